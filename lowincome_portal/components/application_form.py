"""The application form (救助申请表): drawn by the online page (/apply) for a resident on a
phone, and by the station form (/applications/new) for a clerk entering it for them.

The form and the state it binds to are one contract, so both live here: `ApplicationFormState`
is a Reflex state mixin holding what the browser must keep between events (the village
picker, the family-member rows, the message beside each field); each page's state mixes it
in and adds its own `pick_township` (public on /apply, limited to the clerk's area on the
station form) and its own submit handler.

Plain text fields are uncontrolled inputs read from the submitted form (no event per
keystroke); only the rows that can be added and removed are held in state, because an
uncontrolled row would keep the text of the row that was removed before it. (The member
inputs carry names too, as Reflex 0.11 will submit only named controls; their copies in the
submitted form are ignored: the state's rows are what is saved.)
"""

from typing import TypedDict

import reflex as rx

from ..domain import registry as codes
from ..domain.application_input import MAX_MEMBERS


class Option(TypedDict):
    value: str
    label: str


# The applicant is 户主 of the application: a family member is never 户主 again.
RELATION_OPTIONS = [{"value": c, "label": label} for c, label in codes.RELATIONS.items() if c != codes.HEAD]
# What a member row holds, with the most characters kept (a hand-made event cannot fill the state).
MEMBER_FIELDS = {"name": 50, "id_number": 18, "relation": 16}
TEXT_FIELDS = ("applicant_name", "applicant_id_number", "applicant_phone", "address", "difficulty")

CONSENT_TEXT = ("本人自愿申请社会救助，授权民政等部门核查本人及共同生活家庭成员的家庭经济状况"
                "（收入、财产、社保、车辆、工商登记等信息），承诺所填信息真实、完整；"
                "如有虚报、隐瞒，愿承担相应责任。")
ONE_APPLICATION_TEXT = ("一次申请即可：无需选择救助类别，工作人员将根据核查结果认定"
                        "（最低生活保障、特困供养、低保边缘、刚性支出困难等）。")
MSG_FIX_FIELDS = "有 {count} 处需要修改，请按各项下方的红字提示修改后再提交"


def fix_fields_message(fields: dict) -> str:
    return MSG_FIX_FIELDS.format(count=len(fields))


def is_ticked(value) -> bool:
    """A checkbox of a submitted form: present as "on" when ticked, absent when not."""
    return value is True or str(value or "").strip().lower() in ("on", "true", "1")


class ApplicationFormState(rx.State, mixin=True):
    """The picker, the member rows and the per-field messages of one filled-in form."""

    townships: list[Option] = []
    villages: list[Option] = []
    township: str = ""
    area_code: str = ""
    members: list[dict[str, str]] = []
    # service field key ("applicant_name", "members.0.id_number", ...) -> Chinese message
    field_errors: dict[str, str] = {}
    submitting: bool = False

    @rx.event
    def pick_village(self, code: str):
        """Only a village of the township's list can be chosen."""
        if any(v["value"] == code for v in self.villages):
            self.area_code = code

    @rx.event
    def add_member_row(self):
        if len(self.members) < MAX_MEMBERS:
            self.members = [*self.members, {"name": "", "id_number": "", "relation": ""}]

    def _row(self, index) -> int | None:
        """The row `index` names, or None (an index the page never drew: a hand-made event)."""
        try:
            row = int(index)
        except (TypeError, ValueError):
            return None
        return row if 0 <= row < len(self.members) else None

    @rx.event
    def remove_member_row(self, index: int):
        index = self._row(index)
        if index is None:
            return
        rows = list(self.members)
        del rows[index]
        self.members = rows
        # the rows after it moved up: their messages no longer point at the right row
        self.field_errors = {k: v for k, v in self.field_errors.items() if not k.startswith("members")}

    @rx.event
    def set_member_field(self, index: int, field: str, value: str):
        index = self._row(index)
        if field not in MEMBER_FIELDS or index is None:
            return
        rows = [dict(m) for m in self.members]
        rows[index][field] = str(value or "")[:MEMBER_FIELDS[field]]
        self.members = rows

    def _application_form(self, form_data: dict) -> dict:
        """The form as services.intake_submit reads it: text fields from the submitted form,
        the village and the members from state."""
        form = {k: str(form_data.get(k) or "")[:2000] for k in TEXT_FIELDS}
        form["area_code"] = self.area_code
        form["consent"] = is_ticked(form_data.get("consent"))
        form["members"] = [{k: m.get(k, "") for k in MEMBER_FIELDS} for m in self.members]
        return form

    def _clear_form(self) -> None:
        self.members, self.field_errors, self.area_code = [], {}, ""


# --- drawing ----------------------------------------------------------------------------

def field_error(S, key) -> rx.Component:
    """The message for `key` (a service field key, or a var for member rows), red, under its field."""
    return rx.cond(
        S.field_errors.contains(key),
        rx.text(S.field_errors[key], color_scheme="red", size="2", id=f"error-{key}", class_name="field-error"),
    )


def labelled(S, label: str, control: rx.Component, key: str, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(S, key),
        spacing="1",
        width="100%",
    )


def _text(name: str, element_id: str, **props) -> rx.Component:
    return rx.input(name=name, id=element_id, width="100%", size="3", **props)


def _options_select(options, value, on_change, element_id: str, placeholder: str, **props) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=element_id, width="100%"),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))),
        value=value,
        on_change=on_change,
        size="3",
        **props,
    )


def _village_picker(S) -> rx.Component:
    return labelled(
        S, "所在村（社区） *",
        rx.vstack(
            _options_select(S.townships, S.township, S.pick_township, "apply-township", "先选择乡镇（街道）"),
            _options_select(S.villages, S.area_code, S.pick_village, "apply-village", "再选择村（社区）",
                            disabled=S.villages.length() == 0),
            spacing="2", width="100%",
        ),
        "area_code",
    )


def _member_row(S, member, i) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("成员 ", i + 1, weight="bold", size="2"),
                rx.spacer(),
                rx.button("删除", type="button", size="1", variant="soft", color_scheme="gray",
                          on_click=S.remove_member_row(i), id=f"member-remove-{i}"),
                width="100%", align="center",
            ),
            rx.input(value=member["name"], on_change=lambda v: S.set_member_field(i, "name", v),
                     placeholder="姓名", id=f"member-name-{i}", name=f"members.{i}.name",
                     width="100%", size="3", max_length=50),
            field_error(S, f"members.{i}.name"),
            rx.input(value=member["id_number"], on_change=lambda v: S.set_member_field(i, "id_number", v),
                     placeholder="身份证号（18 位）", id=f"member-id-{i}",
                     name=f"members.{i}.id_number", width="100%", size="3", max_length=18),
            field_error(S, f"members.{i}.id_number"),
            rx.select.root(
                rx.select.trigger(placeholder="与申请人关系", id=f"member-relation-{i}", width="100%"),
                rx.select.content(*[rx.select.item(o["label"], value=o["value"]) for o in RELATION_OPTIONS]),
                value=member["relation"],
                on_change=lambda v: S.set_member_field(i, "relation", v),
                size="3",
            ),
            field_error(S, f"members.{i}.relation"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id=f"member-row-{i}",
    )


def _members(S) -> rx.Component:
    return rx.vstack(
        rx.text("共同生活的家庭成员", size="2", weight="medium"),
        rx.text("填写与您共同生活的配偶、子女、父母等，不含申请人本人；独自生活可不填。",
                size="1", color_scheme="gray"),
        rx.foreach(S.members, lambda m, i: _member_row(S, m, i)),
        field_error(S, "members"),
        rx.button(rx.icon("plus", size=16), "添加家庭成员", type="button", variant="outline",
                  on_click=S.add_member_row, id="apply-add-member",
                  disabled=S.members.length() >= MAX_MEMBERS),
        spacing="2",
        width="100%",
    )


def _consent(S, consent_label: str) -> rx.Component:
    return rx.vstack(
        rx.box(rx.text(CONSENT_TEXT, size="2"), padding="0.8em", background_color="var(--gray-3)",
               border_radius="6px", width="100%"),
        # the label is part of the checkbox, so a tap on the words ticks it
        rx.checkbox(consent_label, name="consent", id="apply-consent", size="3"),
        field_error(S, "consent"),
        spacing="2",
        width="100%",
    )


def application_form(S, *, on_submit, submit_label: str = "提交申请",
                     consent_label: str = "我已阅读并同意以上授权和承诺",
                     extra: rx.Component | None = None, form_id: str = "apply-form") -> rx.Component:
    """The whole form for state `S` (a state mixing in ApplicationFormState with a
    `pick_township` handler); `extra` (the station's choices) is drawn first."""
    return rx.form(
        rx.vstack(
            extra if extra is not None else rx.fragment(),
            rx.callout(ONE_APPLICATION_TEXT, icon="info", size="1", width="100%", id="one-application-note"),
            _village_picker(S),
            labelled(S, "申请人姓名 *", _text("applicant_name", "apply-name", max_length=50,
                                            auto_complete="name"), "applicant_name"),
            labelled(S, "申请人身份证号 *", _text("applicant_id_number", "apply-id-number", max_length=18,
                                              placeholder="18 位，末位可能是 X"), "applicant_id_number"),
            labelled(S, "联系电话 *", _text("applicant_phone", "apply-phone", max_length=20, type="tel",
                                          input_mode="tel", auto_complete="tel"),
                     "applicant_phone", hint="手机或座机，工作人员将与您联系入户"),
            labelled(S, "家庭住址 *", _text("address", "apply-address", max_length=200,
                                          placeholder="例：凤凰村三组 12 号"), "address"),
            labelled(S, "困难情况说明 *",
                     rx.text_area(name="difficulty", id="apply-difficulty", width="100%", rows="5",
                                  max_length=1000, size="3",
                                  placeholder="请简要说明家庭遇到的困难，例如：患病、残疾、失业、无收入、子女上学等"),
                     "difficulty"),
            _members(S),
            _consent(S, consent_label),
            rx.button(submit_label, type="submit", size="3", width="100%", id="apply-submit",
                      loading=S.submitting, disabled=S.submitting),
            spacing="4",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
        id=form_id,
    )
