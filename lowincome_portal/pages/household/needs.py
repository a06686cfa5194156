"""The household page's 帮扶需求 tab: record what the household lacks (缺啥补啥), list its
needs with the referrals that carry them and what was delivered, and dispatch a need from
here (the shared dispatch form of pages/referrals/dispatch.py).

A substate of HouseholdState: it reads the page's household id and, after a change,
reloads the overview so the timeline shows it too. The tab loads its rows when it is
opened (Radix tabs mount a tab's content only while it shows), so entering the household
page costs nothing extra and a flash message from the previous page is kept.
"""

import reflex as rx

from ...db.uow import unit_of_work
from ...domain import referrals as rules
from ...domain.permissions import can
from ...services import referral_views, referrals
from ...services.households import today_in_china
from ...state.base import protected
from ..referrals.common import form_text, native_select, status_badge, texts
from ..referrals.dispatch import DispatchMixin, dispatch_form
from .state import HouseholdState

RECORD, VIEW, DISPATCH = "need.record", "referral.view", "referral.dispatch"
NEED_STATUS_COLOURS = (("open", "red"), ("referred", "orange"), ("met", "green"), ("closed", "gray"))


def _rows(needs: list[dict]) -> list[dict[str, str]]:
    """Needs and their referrals as one flat list, each need followed by its referrals
    (row "need" / "referral"): a page var holds flat string dicts best."""
    rows: list[dict[str, str]] = []
    for need in needs:
        rows.append(texts(need) | {"row": "need", "key": f"need-{need['id']}"})
        rows.extend(texts(r) | {"row": "referral", "key": f"referral-{r['id']}"} for r in need.get("referrals", []))
    return rows


class HouseholdNeedsState(DispatchMixin, HouseholdState):
    need_rows: list[dict[str, str]] = []
    need_form_open: bool = False
    can_record_need: bool = False
    can_dispatch_need: bool = False

    def _load_needs(self, actor) -> None:
        with unit_of_work() as session:
            needs = referral_views.household_needs(session, actor=actor, household_id=self._household_id)
        self.need_rows = _rows(needs)
        self.can_record_need, self.can_dispatch_need = can(actor, RECORD), can(actor, DISPATCH)

    def _after_dispatch(self, actor, referral_id: int) -> None:
        self._load_needs(actor)
        self._reload(actor)  # the overview and its timeline

    @rx.event
    @protected(VIEW)
    def load_needs(self, actor):
        self._close_dispatch()
        self.need_form_open = False
        self._load_needs(actor)

    @rx.event
    @protected(RECORD)
    def toggle_need_form(self, actor):
        self.need_form_open = not self.need_form_open

    @rx.event
    @protected(RECORD)
    def record_need(self, actor, form_data: dict):
        amount = form_text(form_data, "amount").strip()
        with unit_of_work() as session:
            referrals.record_need(
                session, actor=actor, household_id=self._household_id, kind=form_text(form_data, "kind"),
                description=form_text(form_data, "description"), amount=amount or None,
                urgency=form_text(form_data, "urgency"), source=form_text(form_data, "source"),
                source_ref=form_text(form_data, "source_ref"), today=today_in_china())
        self.need_form_open = False
        self._load_needs(actor)
        self._reload(actor)
        self.info = "已登记帮扶需求"


S = HouseholdNeedsState


def _field(label: str, control: rx.Component, width: str = "14em") -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium"), control, spacing="1", width=width)


def _need_form() -> rx.Component:
    return rx.cond(
        S.need_form_open,
        rx.card(rx.form(
            rx.vstack(
                rx.heading("登记帮扶需求（缺啥补啥）", size="3"),
                rx.hstack(
                    _field("救助类别 *", native_select("kind", "need-kind", fixed=rules.ASSISTANCE_KINDS), "18em"),
                    _field("紧急程度", native_select("urgency", "need-urgency", fixed=rules.URGENCY, default="normal",
                                                 empty=None)),
                    _field("需求来源", native_select("source", "need-source", fixed=rules.SOURCES, default="visit",
                                                 empty=None)),
                    _field("金额（元，可不填）", rx.input(name="amount", input_mode="decimal", id="need-amount",
                                                   width="100%")),
                    _field("来源编号（可不填）", rx.input(name="source_ref", max_length=60, id="need-source-ref",
                                                   width="100%")),
                    spacing="3", wrap="wrap", align="end",
                ),
                _field("需求说明 *", rx.text_area(name="description", rows="3", max_length=2000, width="100%",
                                               placeholder="例：孙子小学学费及午餐费无力负担", id="need-description"),
                       "100%"),
                rx.hstack(rx.button("登记", type="submit", id="need-submit"),
                          rx.button("取消", type="button", variant="soft", on_click=S.toggle_need_form), spacing="3"),
                spacing="3", width="100%",
            ),
            on_submit=S.record_need, reset_on_submit=False, id="need-form",
        ), width="100%"),
    )


def _need_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["recorded_on"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(r["kind_label"], size="2", weight="bold")),
        rx.table.cell(rx.text(r["description"], size="2", white_space="pre-wrap")),
        rx.table.cell(rx.text(r["amount"], size="2")),
        rx.table.cell(rx.text(r["urgency_label"], " · ", r["source_label"], size="2")),
        rx.table.cell(rx.badge(r["status_label"], color_scheme=rx.match(r["status"], *NEED_STATUS_COLOURS, "gray"),
                               variant="soft")),
        rx.table.cell(rx.cond(S.can_dispatch_need & (r["status"] == "open"),
                              rx.button("派单", size="1", on_click=S.open_dispatch(r["id"]), id="dispatch-need-" + r["id"]))),
        id=r["key"],
    )


def _referral_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("转介 #", r["id"], href=r["href"], size="1"), padding_left="2em"),
        rx.table.cell(rx.text(r["mode_label"], size="1")),
        rx.table.cell(rx.text(r["organisation_name"], size="1")),
        rx.table.cell(rx.text(r["outcome"], size="1", white_space="pre-wrap")),
        rx.table.cell(rx.text(r["delivered_amount"], size="1")),
        rx.table.cell(rx.text(r["delivered_on"], size="1")),
        rx.table.cell(status_badge(r)),
        id=r["key"], background_color="var(--gray-2)",
    )


def needs_tab() -> rx.Component:
    """The tab's content; loads the rows each time the tab opens or the household changes."""
    return rx.box(
        rx.vstack(
            rx.cond(S.can_record_need & ~S.need_form_open,
                    rx.button(rx.icon("plus", size=16), "登记需求", variant="outline", on_click=S.toggle_need_form,
                              id="add-need")),
            _need_form(),
            dispatch_form(S),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in
                                               ("登记日期", "救助类别", "需求说明", "金额", "紧急程度 · 来源", "状态", "")])),
                rx.table.body(rx.foreach(S.need_rows, lambda r: rx.cond(r["row"] == "need", _need_row(r),
                                                                        _referral_row(r)))),
                variant="surface", size="1", width="100%", id="needs-table",
            ),
            rx.cond(S.need_rows.length() == 0, rx.text("尚未登记帮扶需求", size="2", color_scheme="gray")),
            spacing="3", width="100%",
        ),
        on_mount=S.load_needs, key=S.household["id"], width="100%",
    )
