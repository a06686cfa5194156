"""The generic record page (/r/<resource>/<key>): every field, masked values with a logged
“显示” for the roles that need them, and edit / delete where allowed."""

from typing import TypedDict

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...db.uow import unit_of_work
from ...domain.errors import PortalError
from ...services import resources as resource_service
from ...state.base import protected
from .common import ResourcePageState, back_link, resource_op


class FieldView(TypedDict):
    name: str
    label: str
    value: str
    revealable: bool


class ResourceRecordState(ResourcePageState):
    record_title: str = ""
    fields: list[FieldView] = []
    can_edit: bool = False
    can_delete: bool = False
    locked_reason: str = ""
    edit_href: str = ""
    confirm_delete: bool = False

    @rx.event
    def on_enter(self):
        if self._record_key() == routes.NEW_RECORD:
            return None  # the create form (ResourceFormState) owns this URL
        actor, redirect = self._enter_resource("read")
        self.fields, self.confirm_delete = [], False
        if actor is None:
            return redirect
        self._load(actor)
        return None

    def _load(self, actor) -> None:
        key = self._record_key()
        try:
            with unit_of_work() as session:
                view = resource_service.detail(session, actor=actor, name=self._resource, key=key)
        except PortalError as exc:  # missing, or outside the user's area
            self.error = exc.message
            return
        self.record_title = view["title"]
        self.fields = [FieldView(**f) for f in view["fields"]]
        self.can_edit, self.can_delete = view["can_edit"], view["can_delete"]
        self.locked_reason = view["locked_reason"]
        self.edit_href = routes.resource_edit(self._resource, view["key"])

    @rx.event
    @protected(resource_op("reveal"))
    def reveal(self, actor, field_name: str):
        with unit_of_work() as session:
            value = resource_service.reveal(session, actor=actor, name=self._resource,
                                            key=self._record_key(), field_name=field_name)
        self.fields = [{**f, "value": value, "revealable": False} if f["name"] == field_name else f
                       for f in self.fields]

    @rx.event
    def ask_delete(self, yes: bool):
        self.confirm_delete = yes

    @rx.event
    @protected(resource_op("delete"))
    def delete(self, actor):
        with unit_of_work() as session:
            resource_service.delete(session, actor=actor, name=self._resource, key=self._record_key())
        self._flash = f"已删除{self.resource_label}"
        return rx.redirect(self.list_href)


def _field(f: FieldView) -> rx.Component:
    S = ResourceRecordState
    return rx.data_list.item(
        rx.data_list.label(f["label"], min_width="9em"),
        rx.data_list.value(rx.hstack(
            rx.text(f["value"], id="value-" + f["name"]),
            rx.cond(f["revealable"],
                    rx.button("显示", size="1", variant="ghost", on_click=S.reveal(f["name"]),
                              id="reveal-" + f["name"])),
            spacing="2", align="center")),
    )


def _actions() -> rx.Component:
    S = ResourceRecordState
    return rx.hstack(
        rx.cond(S.can_edit, rx.link(rx.button(rx.icon("pencil", size=16), "编辑"), href=S.edit_href,
                                    id="edit-button")),
        rx.cond(S.can_delete, rx.cond(
            S.confirm_delete,
            rx.hstack(rx.text("确定删除这条记录吗？", color_scheme="red"),
                      rx.button("确定删除", color_scheme="red", on_click=S.delete, id="confirm-delete"),
                      rx.button("取消", variant="soft", on_click=S.ask_delete(False)),
                      align="center"),
            rx.button(rx.icon("trash_2", size=16), "删除", color_scheme="red", variant="soft",
                      on_click=S.ask_delete(True), id="delete-button"))),
        spacing="3",
    )


def record_view() -> rx.Component:
    S = ResourceRecordState
    return rx.vstack(
        back_link(S.list_href),
        rx.heading(S.record_title, size="4", id="record-title"),
        rx.cond(S.locked_reason != "", rx.callout(S.locked_reason, icon="lock", color_scheme="gray",
                                                  id="locked-reason")),
        rx.data_list.root(rx.foreach(S.fields, _field), id="record-fields"),
        _actions(),
        spacing="4",
        width="100%",
    )


def resource_record_page() -> rx.Component:
    from .form import ResourceFormState, form_view

    return shell(
        ResourceRecordState.resource_label,
        rx.cond(ResourceFormState.mode == "create", form_view(), record_view()),
    )
