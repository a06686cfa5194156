"""转介帮扶 (/referrals): the referrals of the user's area with their status and overdue
marks, a filter by status, and for those who report on it the 不漏 list - needs nobody
has answered within the set number of days, and pool items nobody claimed in time - with
the dispatch form for a need that was never sent anywhere.
"""

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...components.table import rows_table
from ...db.uow import unit_of_work
from ...domain import referrals as rules
from ...domain.permissions import can
from ...services import referral_views
from ...services.households import today_in_china
from ...state.base import SessionState, protected
from .common import overdue_badges, status_badge, texts
from .dispatch import DispatchMixin, dispatch_form

VIEW, REPORT = "referral.view", "referral.report"
ALL = "all"
# the service filters by a status, or by "open" (not completed) and "overdue" (either clock)
STATUS_CHOICES = [{"value": ALL, "label": "全部状态"}, {"value": "open", "label": "未办结"},
                  {"value": "overdue", "label": "已超期"}] + [
    {"value": code, "label": label} for code, label in rules.STATUS.items()]
STATUS_VALUES = {c["value"] for c in STATUS_CHOICES}


class ReferralListState(DispatchMixin, SessionState):
    status: str = ALL
    rows: list[dict[str, str]] = []
    missed: list[dict[str, str]] = []
    can_report: bool = False
    can_dispatch: bool = False

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(VIEW)
        self.rows, self.missed = [], []
        self._close_dispatch()
        if actor is None:
            return redirect
        self._load(actor)
        return None

    def _load(self, actor) -> None:
        today = today_in_china()
        self.can_report, self.can_dispatch = can(actor, REPORT), can(actor, "referral.dispatch")
        with unit_of_work() as session:
            rows = referral_views.referral_list(session, actor=actor, status=None if self.status == ALL else self.status,
                                                today=today)
            missed = referral_views.missed_needs(session, actor=actor, today=today) if self.can_report else []
        self.rows = [texts(r) for r in rows]
        self.missed = [texts(m) | {"key": f"{m['kind']}-{m['referral_id'] or m['need_id']}",
                                   "household_href": routes.household(m["household_id"])} for m in missed]

    def _after_dispatch(self, actor, referral_id: int) -> None:
        self._load(actor)

    @rx.event
    @protected(VIEW)
    def pick_status(self, actor, status: str):
        self.status = status if status in STATUS_VALUES else ALL
        self._load(actor)

    @rx.event
    @protected(VIEW)
    def refresh(self, actor):
        self._load(actor)


S = ReferralListState


def _referral_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("#", r["id"], href=r["href"], weight="medium", id="referral-link-" + r["id"])),
        rx.table.cell(rx.link(r["head_name"], href=r["household_href"], size="2")),
        rx.table.cell(rx.text(r["village"], size="2")),
        rx.table.cell(rx.text(r["kind_label"], size="2")),
        rx.table.cell(rx.text(r["urgency_label"], size="2")),
        rx.table.cell(rx.text(r["organisation_name"], size="2")),
        rx.table.cell(status_badge(r)),
        rx.table.cell(rx.text(rx.cond(r["status"] == "pooled", r["claim_due_on"], r["delivery_due_on"]), size="2",
                              white_space="nowrap")),
        rx.table.cell(overdue_badges(r)),
        id="referral-" + r["id"],
    )


def _referrals() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.select.root(
                rx.select.trigger(id="status-filter"),
                rx.select.content(*[rx.select.item(o["label"], value=o["value"]) for o in STATUS_CHOICES]),
                value=S.status, on_change=S.pick_status,
            ),
            rx.text("共 ", S.rows.length(), " 件", size="2", id="referral-count"),
            rx.spacer(),
            rx.button("刷新", size="1", variant="soft", on_click=S.refresh, id="referrals-refresh"),
            width="100%", align="center", spacing="3",
        ),
        rx.cond(S.rows.length() > 0,
                rows_table(S.rows, _referral_row,
                       ("编号", "户主", "村（社区）", "救助类别", "紧急程度", "承办机构", "状态", "截止日期", "超期"),
                       "referrals-table"),
                rx.text("没有符合条件的转介事项", size="2", color_scheme="gray", id="no-referrals")),
        spacing="3", width="100%",
    )


def _missed_row(m) -> rx.Component:
    is_need = m["kind"] == "need"
    return rx.table.row(
        rx.table.cell(rx.badge(rx.cond(is_need, "未派单", "无人认领"), color_scheme=rx.cond(is_need, "red", "orange"),
                               variant="soft")),
        rx.table.cell(rx.link(m["head_name"], href=m["household_href"], size="2")),
        rx.table.cell(rx.text(m["village"], size="2")),
        rx.table.cell(rx.text(m["kind_label"], size="2")),
        rx.table.cell(rx.text(m["urgency_label"], size="2")),
        rx.table.cell(rx.text(m["reason"], size="2")),
        rx.table.cell(rx.text(m["since"], size="2", white_space="nowrap")),
        rx.table.cell(rx.cond(
            is_need,
            rx.cond(S.can_dispatch, rx.button("派单", size="1", on_click=S.open_dispatch(m["need_id"]),
                                              id="dispatch-need-" + m["need_id"])),
            rx.link("查看", href=m["href"], size="2", id="missed-referral-" + m["referral_id"]),
        )),
        id="missed-" + m["key"],
    )


def _missed() -> rx.Component:
    return rx.cond(
        S.can_report,
        rx.vstack(
            rx.heading("不漏：超时未响应的需求", size="4"),
            rx.text("登记后超过规定天数仍未派单的需求，以及发布到需求池后超过认领期限无人认领的事项。",
                    size="2", color_scheme="gray"),
            dispatch_form(S),
            rx.cond(S.missed.length() > 0,
                    rows_table(S.missed, _missed_row,
                           ("类型", "户主", "村（社区）", "救助类别", "紧急程度", "情况", "起算日期", ""), "missed-table"),
                    rx.text("没有超时未响应的需求", size="2", color_scheme="green", id="no-missed")),
            spacing="3", width="100%", id="missed-needs",
        ),
    )


def referrals_page() -> rx.Component:
    return shell("转介帮扶", _referrals(), _missed())
