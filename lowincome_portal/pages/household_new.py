"""Register a new household with its head (/households/new). Everything else (members,
economic status, tags) is added on the household's own page afterwards."""

from typing import TypedDict

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..db.uow import unit_of_work
from ..resources import get_resource
from ..services import households
from ..services import resources as resource_service
from ..state.base import SessionState, protected
from .household.forms import checked_flags, field, member_fields, text_input
from .resources.common import back_link


class Village(TypedDict):
    value: str
    label: str


class NewHouseholdState(SessionState):
    villages: list[Village] = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("registry.edit")
        if actor is not None:
            resource = get_resource("households")
            with unit_of_work() as session:
                options = resource_service.choices_of(session, actor, resource, resource.field("area_code"))
            self.villages = [Village(value=k, label=v) for k, v in options.items()]
        return redirect

    @rx.event
    @protected("registry.edit")
    def create(self, actor, form_data: dict):
        place = {k: form_data.get(k, "") for k in ("area_code", "address", "phone", "bank_name", "bank_account")}
        head = {k: v for k, v in checked_flags(form_data).items() if k not in place}
        with unit_of_work() as session:
            household_id = households.create_household(session, actor=actor, household=place, head=head)
        self._flash = "已登记家庭，可继续添加成员、录入经济状况"
        return rx.redirect(routes.household(household_id))


def new_household_page() -> rx.Component:
    S = NewHouseholdState
    return shell(
        "登记家庭",
        back_link(routes.HOUSEHOLDS, "返回家庭档案"),
        rx.form(
            rx.vstack(
                rx.text("家庭", weight="bold"),
                rx.hstack(
                    field("所在村（社区） *", rx.select.root(
                        rx.select.trigger(placeholder="请选择", id="input-area_code", width="100%"),
                        rx.select.content(rx.foreach(S.villages, lambda v: rx.select.item(v["label"],
                                                                                          value=v["value"]))),
                        name="area_code")),
                    field("家庭住址", text_input("address", max_length=200), "22em"),
                    field("联系电话", text_input("phone", max_length=20)),
                    wrap="wrap", spacing="3",
                ),
                rx.hstack(field("开户银行", text_input("bank_name", max_length=60)),
                          field("银行账号", text_input("bank_account", max_length=30), "20em"), spacing="3"),
                rx.text("户主", weight="bold"),
                member_fields(head=True),
                rx.button("登记", type="submit", id="create-household"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.create,
            reset_on_submit=False,
        ),
    )
