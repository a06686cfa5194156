"""The generic create / edit form (/r/<resource>/new, /r/<resource>/<key>/edit), drawn from
the declaration's form fields: one widget per field kind; a `multiple` choice field is a
checkbox group (one box per option) whose codes are kept in `selected`."""

from typing import TypedDict

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...db.uow import unit_of_work
from ...domain.errors import PortalError
from ...services import resources as resource_service
from ...state.base import protected
from .common import ResourcePageState, back_link

CREATE, EDIT = "create", "edit"


class Option(TypedDict):
    value: str
    label: str


class FormField(TypedDict):
    name: str
    label: str
    kind: str
    required: bool
    value: str  # multiple fields: the selected codes, space-separated
    multiple: bool
    selected: list[str]  # multiple fields: the ticked codes, in the options' order
    options: list[Option]
    help: str
    readonly: bool
    placeholder: str


def _submit_action(state) -> str:
    return f"{state._resource or '<none>'}.{state.mode or '<none>'}"


class ResourceFormState(ResourcePageState):
    mode: str = ""  # create | edit (server-set on entry)
    fields: list[FormField] = []
    cancel_href: str = ""

    @rx.event
    def on_enter(self):
        key = self._record_key()
        creating = key == routes.NEW_RECORD
        self.mode, self.fields = "", []
        if not creating and not self.router.route_id.endswith("/edit"):
            # A record's own page (ResourceRecordState) owns this URL; still, if the tab's user
            # changed, this clears what the earlier user's pages hold (SessionState._actor).
            self._actor()
            return None
        actor, redirect = self._enter_resource(CREATE if creating else EDIT)
        if actor is None:
            return redirect
        try:
            with unit_of_work() as session:
                fields = resource_service.form_fields(session, actor=actor, name=self._resource,
                                                      key=None if creating else key)
        except PortalError as exc:  # a locked or missing record: say why instead of a form
            self.error = exc.message
            return None
        self.fields = [FormField(**f) for f in fields]
        self.mode = CREATE if creating else EDIT
        self.cancel_href = self.list_href if creating else routes.resource_record(self._resource, key)
        return None

    @rx.event
    def set_value(self, name: str, value: str, checked: bool | None = None):
        """A field as typed. For a multiple field `value` is one option's code and `checked`
        whether its box is now ticked (one handler, so it stays in the known-public set)."""
        self.fields = [_changed(f, str(value), checked) if f["name"] == name and not f["readonly"] else f
                       for f in self.fields]

    @rx.event
    def set_flag(self, name: str, checked: bool):
        self.set_value(name, "true" if checked else "false")

    @rx.event
    @protected(_submit_action)
    def submit(self, actor):
        raw = {f["name"]: f["selected"] if f["multiple"] else f["value"] for f in self.fields}
        # the boxes were drawn: an empty list means "none ticked", not "field not shown"
        raw.update({f"has_{f['name']}": "1" for f in self.fields if f["multiple"]})
        with unit_of_work() as session:
            if self.mode == CREATE:
                key = resource_service.create(session, actor=actor, name=self._resource, raw=raw)
            else:
                key = self._record_key()
                resource_service.update(session, actor=actor, name=self._resource, key=key, raw=raw)
        self._flash = "已保存"
        self.mode = ""
        return rx.redirect(routes.resource_record(self._resource, key))


def _changed(f: FormField, value: str, checked: bool | None) -> FormField:
    if not f["multiple"]:
        return {**f, "value": value}
    ticked = (set(f["selected"]) | {value}) if checked else (set(f["selected"]) - {value})
    selected = [o["value"] for o in f["options"] if o["value"] in ticked]  # the options' order
    return {**f, "selected": selected, "value": " ".join(selected)}


def _widget(f: FormField) -> rx.Component:
    S = ResourceFormState
    element_id = "field-" + f["name"]
    text_input = rx.input(value=f["value"], on_change=lambda v: S.set_value(f["name"], v),
                          id=element_id, read_only=f["readonly"], placeholder=f["placeholder"],
                          width="100%")
    return rx.match(
        f["kind"],
        ("textarea", rx.text_area(value=f["value"], on_change=lambda v: S.set_value(f["name"], v),
                                  id=element_id, width="100%")),
        ("date", rx.input(type="date", value=f["value"], on_change=lambda v: S.set_value(f["name"], v),
                          id=element_id, read_only=f["readonly"])),
        ("bool", rx.checkbox(checked=f["value"] == "true",
                             on_change=lambda c: S.set_flag(f["name"], c), id=element_id)),
        ("choice", rx.cond(f["multiple"], _checks(f, element_id), _select(f, element_id))),
        ("area", _select(f, element_id)),
        text_input,
    )


def _select(f: FormField, element_id) -> rx.Component:
    S = ResourceFormState
    return rx.select.root(
        rx.select.trigger(placeholder="请选择", id=element_id, width="100%"),
        rx.select.content(rx.foreach(f["options"], lambda o: rx.select.item(o["label"], value=o["value"]))),
        value=f["value"],
        on_change=lambda v: S.set_value(f["name"], v),
        disabled=f["readonly"],
    )


def _checks(f: FormField, element_id) -> rx.Component:
    """A multiple field: one checkbox per option (id field-<name>-<code>), and a hidden
    has_<name> marking the group as offered, as household/forms.flag does for one box."""
    S = ResourceFormState
    return rx.flex(
        rx.foreach(f["options"], lambda o: rx.checkbox(
            o["label"], checked=f["selected"].contains(o["value"]), disabled=f["readonly"],
            on_change=lambda c: S.set_value(f["name"], o["value"], c), id=element_id + "-" + o["value"])),
        rx.el.input(type="hidden", name="has_" + f["name"], value="1"),
        id=element_id, wrap="wrap", spacing="3", padding_top="0.3em",
    )


def _row(f: FormField) -> rx.Component:
    return rx.hstack(
        rx.text(f["label"], rx.cond(f["required"], rx.text.span(" *", color="red"), ""),
                width="10em", min_width="10em", padding_top="0.4em", size="2", weight="medium"),
        rx.vstack(_widget(f), rx.cond(f["help"] != "", rx.text(f["help"], size="1", color_scheme="gray")),
                  spacing="1", width="28em"),
        align="start",
    )


def form_view() -> rx.Component:
    S = ResourceFormState
    return rx.vstack(
        back_link(S.cancel_href, "返回"),
        rx.heading(rx.cond(S.mode == CREATE, "新增", "编辑"), S.resource_label, size="4"),
        rx.vstack(rx.foreach(S.fields, _row), spacing="3", id="resource-form"),
        rx.hstack(rx.button("保存", on_click=S.submit, id="form-submit"),
                  rx.link(rx.button("取消", variant="soft"), href=S.cancel_href)),
        spacing="4",
        width="100%",
    )


def resource_edit_page() -> rx.Component:
    return shell(ResourceFormState.resource_label, rx.cond(ResourceFormState.mode != "", form_view()))
