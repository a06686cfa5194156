"""The investigation form (入户调查表, routes.INVESTIGATION), opened pre-filled.

能提取的不采集: every fact the registry already holds is offered in its input with a badge
saying where it came from; staff on the visit confirm it or change only what changed. The
state keeps what was offered beside what is typed, so an edited field is highlighted and the
page can say how many facts were brought over. Saving hands the whole form to
services.investigation.save_investigation, which writes one economic status and one visit and
counts the burden figure (pre-filled versus typed) on the application.

Handlers: on_enter checks application.investigate and loads the form; set_value / set_flag
only change the form in this browser's state (public, like the generic form's: nothing is
read or written, and `save` re-checks everything on the server); save is protected and the
service re-checks the application's area and step.
"""

from decimal import Decimal, InvalidOperation
from typing import TypedDict

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..components.table import data_table
from ..db.uow import unit_of_work
from ..domain import intake
from ..domain.errors import NotFound, PortalError
from ..services import investigation as service
from ..services.households import today_in_china
from ..state.base import SessionState, protected
from .resources.common import back_link

ACTION = service.ACTION
TRUE, FALSE, UNSET = "true", "false", "unset"  # a flag's select values; UNSET is "no answer"
MSG_BANNER = "已从家庭档案带出 {n} 项，请逐项核对，只需修改有变化的内容"
MSG_NOTHING_OFFERED = "家庭档案中尚无经济状况记录，以下各项均需入户采集"
MSG_SAVED = "已保存：带出确认 {prefilled} 项，新录入/修改 {typed} 项"
MSG_READ_ONLY = "当前环节为“{state}”，入户调查表只能在“{step}”环节填写，此处仅供查看"
MSG_NO_APPLICATION = "申请不存在"


class Option(TypedDict):
    value: str
    label: str
    checked: bool  # multi-choice boxes only


class Field(TypedDict):
    name: str
    label: str
    kind: str  # money | count | flag | choice | multi (services.investigation)
    group: str
    value: str  # flags "true"/"false"/""; risk points space-delimited codes
    offered: str  # what the registry offered, in the same form: the baseline for `changed`
    source: str
    source_label: str
    changed: bool
    choices: list[Option]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    return str(value)


def _same(kind: str, value: str, offered: str) -> bool:
    """Equal as the registry would store them ("1,200" is 1200.00; risk points in any order)."""
    if kind == service.MULTI:
        return set(value.split()) == set(offered.split())
    if kind in (service.MONEY, service.COUNT):
        try:
            return Decimal(value.replace(",", "").replace("，", "") or "0") == Decimal(offered or "0")
        except InvalidOperation:
            return False
    return value == offered


def _choices(f: dict, value: str) -> list[Option]:
    if f["kind"] == service.FLAG:
        options = [Option(value=TRUE, label="是", checked=False), Option(value=FALSE, label="否", checked=False)]
        # nothing known: the select starts empty, and may be set back to "no answer"
        return options + ([Option(value=UNSET, label="（未填写）", checked=False)] if f["value"] is None else [])
    picked = set(value.split())
    return [Option(value=c["value"], label=c["label"], checked=c["value"] in picked) for c in f["choices"]]


def _field(f: dict) -> Field:
    value = _text(f["value"])
    return Field(name=f["name"], label=f["label"], kind=f["kind"], group=f["group"], value=value, offered=value,
                 source=f["source"], source_label=f["source_label"], changed=False, choices=_choices(f, value))


def _with_value(f: Field, value: str) -> Field:
    choices = [{**o, "checked": o["value"] in value.split()} for o in f["choices"]] \
        if f["kind"] == service.MULTI else f["choices"]
    return {**f, "value": value, "changed": not _same(f["kind"], value, f["offered"]), "choices": choices}


def _submitted(f: Field):
    """A field as the service reads it: flags as bool (None: no answer), risk points as a list."""
    if f["kind"] == service.FLAG:
        return {TRUE: True, FALSE: False}.get(f["value"])
    if f["kind"] == service.MULTI:
        return f["value"].split()
    return f["value"]


def _read_only_reason(app: dict) -> str:
    if app["editable"]:
        return ""
    step = intake.INVESTIGATION_STATES.get(app["track"], "")
    return MSG_READ_ONLY.format(state=app["step_label"], step=intake.state_label(app["track"], step))


class InvestigationState(SessionState):
    _application_id: int = 0
    application: dict[str, str] = {}
    application_href: str = ""
    household: dict[str, str] = {}
    members: list[dict[str, str]] = []
    groups: list[str] = []
    fields: list[Field] = []
    banner: str = ""
    editable: bool = False
    read_only_reason: str = ""
    visited_on: str = ""
    visitor: str = ""
    findings: str = ""
    today: str = ""
    result: str = ""  # the burden figure of the last save, shown beside the save button

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(ACTION)
        self.application, self.fields, self.members, self.groups = {}, [], [], []
        self.result, self.findings, self.editable, self.read_only_reason = "", "", False, ""
        if actor is None:
            return redirect
        self._application_id = self._route_id("application_id")
        try:
            self._load(actor)
        except PortalError as exc:
            self.application, self.fields = {}, []
            self.error = exc.message
        return None

    def _load(self, actor) -> None:
        if not self._application_id:
            raise NotFound(MSG_NO_APPLICATION)
        today = today_in_china()
        with unit_of_work() as session:
            form = service.investigation_form(session, actor=actor, application_id=self._application_id,
                                              today=today)
        app, household = form["application"], form["household"]
        self.application = {k: _text(v) for k, v in app.items()}
        self.application_href = routes.application(app["id"])
        self.household = {"head_name": household["head_name"]}
        for key in ("address", "phone"):
            self.household |= {key: household[key]["value"], f"{key}_source": household[key]["source"],
                               f"{key}_source_label": household[key]["source_label"]}
        self.members = [{k: _text(v) for k, v in m.items()} for m in form["members"]]
        self.fields = [_field(f) for f in form["fields"]]
        self.groups = list(dict.fromkeys(f["group"] for f in self.fields))
        offered = sum(1 for f in self.fields if f["source"])
        self.banner = MSG_BANNER.format(n=offered) if offered else MSG_NOTHING_OFFERED
        self.editable = bool(app["editable"])
        self.read_only_reason = _read_only_reason(app)
        self.visited_on = form["visit"]["visited_on"]
        self.visitor = form["visit"]["visitor"]
        self.today = today.isoformat()

    # ---- the form in this browser (public: shapes the form only; `save` checks everything) ----

    @rx.event
    def set_value(self, name: str, value: str):
        """One input: a fact of the form, or the visit's date or findings."""
        value = "" if value is None else str(value)
        if name == "visited_on":
            self.visited_on = value
        elif name == "findings":
            self.findings = value
        elif self.editable:
            value = "" if value == UNSET else value
            self.fields = [_with_value(f, value) if f["name"] == name and f["kind"] != service.MULTI else f
                           for f in self.fields]

    @rx.event
    def set_flag(self, name: str, code: str, checked: bool):
        """One box of a multi-choice fact (the risk points) ticked or cleared."""
        if not self.editable:
            return

        def toggled(f: Field) -> Field:
            codes = [c for c in f["value"].split() if c != code]
            known = {o["value"] for o in f["choices"]}
            return _with_value(f, " ".join(codes + ([code] if checked and code in known else [])))

        self.fields = [toggled(f) if f["name"] == name and f["kind"] == service.MULTI else f
                       for f in self.fields]

    # ---- saving ----

    @rx.event
    @protected(ACTION)
    def save(self, actor):
        values = {f["name"]: _submitted(f) for f in self.fields}
        with unit_of_work() as session:
            outcome = service.save_investigation(
                session, actor=actor, application_id=self._application_id, values=values,
                visited_on=self.visited_on, findings=self.findings, today=today_in_china())
        self._load(actor)  # the sources now read "本次入户调查 ... 已保存"; nothing is "changed"
        self.findings = ""
        self.result = self.info = MSG_SAVED.format(prefilled=outcome["prefilled"], typed=outcome["typed"])


# ---- the page ----

S = InvestigationState


def _item(label: str, *value) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label, min_width="6em"),
                             rx.data_list.value(rx.hstack(*value, spacing="2", align="center")))


def _source_badge(source, label, element_id) -> rx.Component:
    """Green where a value was brought over (档案/申请表), grey where it must be collected."""
    return rx.cond(source != "",
                   rx.badge(label, color_scheme="green", variant="soft", size="1", id=element_id),
                   rx.badge(label, color_scheme="gray", variant="soft", size="1", id=element_id))


def _header() -> rx.Component:
    a = S.application
    return rx.vstack(
        back_link(S.application_href, "返回申请详情"),
        rx.card(rx.data_list.root(
            _item("受理编号", rx.text(a["tracking_no"], weight="bold", id="inv-tracking-no")),
            _item("申请人", rx.text(a["applicant_name"], id="inv-applicant"), rx.badge(a["track_label"])),
            _item("当前环节", rx.text(a["step_label"], id="inv-step")),
            _item("办理期限", rx.text(rx.cond(a["due_on"] != "", a["due_on"], "—"), id="inv-due-on")),
        ), width="100%"),
        rx.cond(S.editable,
                rx.callout(S.banner, icon="clipboard_check", color_scheme="blue", id="inv-banner", width="100%"),
                rx.callout(S.read_only_reason, icon="lock", color_scheme="orange", id="inv-readonly",
                           width="100%")),
        spacing="3", width="100%",
    )


def _household() -> rx.Component:
    h = S.household
    return rx.card(rx.vstack(
        rx.heading("家庭基本情况（请当面核对）", size="3"),
        rx.data_list.root(
            _item("户主", rx.text(h["head_name"])),
            _item("家庭住址", rx.text(h["address"], id="inv-address"),
                  _source_badge(h["address_source"], h["address_source_label"], "inv-source-address")),
            _item("联系电话", rx.text(h["phone"], id="inv-phone"),
                  _source_badge(h["phone_source"], h["phone_source_label"], "inv-source-phone")),
        ),
        rx.text("家庭成员（成员信息有变化请在家庭档案中更正）", weight="bold", size="2"),
        data_table(S.members, [("name", "姓名"), ("relation", "关系"), ("id_number", "身份证号"), ("sex", "性别"),
                               ("age", "年龄"), ("labour_capacity", "劳动能力"), ("health", "健康"),
                               ("disability", "残疾"), ("employment", "就业"), ("schooling", "在校情况"),
                               ("source_label", "来源")], table_id="inv-members"),
        spacing="3", width="100%",
    ), width="100%")


def _select(f: Field) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="请选择", id="inv-field-" + f["name"], width="100%"),
        rx.select.content(rx.foreach(f["choices"], lambda o: rx.select.item(o["label"], value=o["value"]))),
        value=f["value"], on_change=lambda v: S.set_value(f["name"], v), disabled=~S.editable,
    )


def _boxes(f: Field) -> rx.Component:
    return rx.hstack(
        rx.foreach(f["choices"], lambda o: rx.hstack(
            rx.checkbox(checked=o["checked"], on_change=lambda c: S.set_flag(f["name"], o["value"], c),
                        disabled=~S.editable, id="inv-field-" + f["name"] + "-" + o["value"]),
            rx.text(o["label"], size="2"), spacing="1", align="center")),
        wrap="wrap", spacing="4", id="inv-field-" + f["name"],
    )


def _widget(f: Field) -> rx.Component:
    def text_input(**props) -> rx.Component:
        return rx.input(value=f["value"], on_change=lambda v: S.set_value(f["name"], v), read_only=~S.editable,
                        id="inv-field-" + f["name"], width="100%", **props)

    return rx.match(
        f["kind"],
        (service.MONEY, text_input(input_mode="decimal", placeholder="0.00")),
        (service.COUNT, text_input(type="number", min=0, step=1)),
        (service.MULTI, _boxes(f)),
        _select(f),  # flag (是/否) and choice
    )


def _row(f: Field) -> rx.Component:
    return rx.hstack(
        rx.text(f["label"], size="2", weight="medium", width="11em", min_width="11em"),
        rx.box(_widget(f), width=rx.cond(f["kind"] == service.MULTI, "40em", "14em")),
        _source_badge(f["source"], f["source_label"], "inv-source-" + f["name"]),
        rx.cond(f["changed"], rx.badge("已修改", color_scheme="amber", size="1", id="inv-changed-" + f["name"])),
        align="center", spacing="3", width="100%", padding="0.3em",
        background_color=rx.cond(f["changed"], "var(--amber-3)", "transparent"), border_radius="6px",
    )


def _facts() -> rx.Component:
    return rx.foreach(S.groups, lambda group: rx.card(rx.vstack(
        rx.heading(group, size="3"),
        rx.foreach(S.fields, lambda f: rx.cond(f["group"] == group, _row(f))),
        spacing="1", width="100%",
    ), width="100%"))


def _visit() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("入户调查记录", size="3"),
        rx.hstack(
            rx.text("调查日期 *", size="2", weight="medium", width="11em"),
            rx.input(type="date", value=S.visited_on, max=S.today, on_change=lambda v: S.set_value("visited_on", v),
                     read_only=~S.editable, id="inv-visited-on"),
            rx.text("调查人：", S.visitor, size="2", color_scheme="gray"),
            align="center", spacing="3",
        ),
        rx.text("调查情况 *", size="2", weight="medium"),
        rx.text_area(value=S.findings, on_change=lambda v: S.set_value("findings", v), read_only=~S.editable,
                     placeholder="入户看到的住房、收入、就业、就医就学等情况，以及与档案不一致之处",
                     id="inv-findings", width="100%", rows="4"),
        spacing="2", width="100%",
    ), width="100%")


def _save() -> rx.Component:
    return rx.vstack(
        rx.cond(S.editable, rx.button(rx.icon("save", size=16), "保存入户调查", on_click=S.save,
                                      id="investigation-save")),
        rx.cond(S.result != "", rx.callout(
            rx.vstack(rx.text(S.result),
                      rx.link("返回申请详情，办理下一步", href=S.application_href, id="inv-result-back"), spacing="1"),
            icon="circle_check", color_scheme="green", id="inv-result", width="100%")),
        spacing="3", width="100%",
    )


def investigation_page() -> rx.Component:
    return shell(
        "入户调查表",
        rx.cond(S.application.contains("id"),
                rx.vstack(_header(), _household(), _facts(), _visit(), _save(), spacing="4", width="100%")),
    )
