"""领导驾驶舱 (/summary): the county at a glance for its leaders and the county departments -
the main figures of the latest complete month with their change on last month and on the
same month last year, twelve-month trend lines, and the townships ranked by overdue rate.
A township's name drills down to the same view for that township (also reachable as
/summary?area=<code>), with 返回全县 to come back.

Counts and amounts only: the service (reports.leader_summary) builds the summary without any
name, ID number, phone or address, so nothing personal ever reaches this state.
"""

from datetime import date
from typing import Any

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..db.uow import unit_of_work
from ..domain.areas import COUNTY, is_valid_code, level_of
from ..domain.errors import PortalError, ValidationError
from ..domain.monitoring import parse_month
from ..services import reports
from ..state.base import SessionState, protected
from .meetings.common import month_value
from .reports import change_rows, township_rows, trend_chart, trend_points

VIEW = "summary.view"
MSG_NO_MONTH = "请选择月份"
MSG_NO_TOWNSHIP = "请选择要查看的乡镇（街道）"
# The trend charts: (chart title, [(figure key, line name, colour)]).
TREND_CHARTS = (
    ("在册户数与人数", [("households_end", "在册户数", "#e5484d"), ("persons_end", "在册人数", "#8da4ef")]),
    ("救助申请", [("applications_received", "受理", "#8da4ef"), ("applications_decided", "办结", "#30a46c")]),
    ("监测预警", [("warnings_raised", "新增预警", "#f76b15"), ("warnings_handled", "已处置", "#30a46c")]),
    ("转介帮扶", [("referrals_completed", "转介办结", "#30a46c")]),
)
TREND_KEYS = tuple(key for _, lines in TREND_CHARTS for key, _, _ in lines)
TOWNSHIP_HEADERS = ("排名", "乡镇", "在册户数", "超期事项", "未办结事项", "超期率", "受理申请", "新增预警", "转介办结")
TOWNSHIP_KEYS = ("households_end", "overdue", "open", "overdue_rate", "applications_received", "warnings_raised",
                 "referrals_completed")


class SummaryState(SessionState):
    area_code: str = ""  # "" = the county
    area_name: str = ""
    period: str = ""  # the month shown, "2026-11"
    period_text: str = ""
    drilled: bool = False
    cards: list[dict[str, str]] = []
    trend: list[dict[str, Any]] = []
    townships: list[dict[str, str]] = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(VIEW)
        self._clear()
        self.area_code, self.period, self.drilled = "", "", False
        if actor is None:
            return redirect
        # /summary?area=<township code> opens that township (the service checks it is the user's)
        wanted = str(self.router.url.query_parameters.get("area", "") or "").strip()
        try:
            self._load(actor, wanted if wanted and level_of(wanted) != COUNTY else "", None)
        except PortalError as exc:
            self.error = exc.message
            self._load(actor, "", None)
        return None

    def _clear(self) -> None:
        self.area_name = self.period_text = ""
        self.cards, self.trend, self.townships = [], [], []

    def _load(self, actor, area_code: str, period: date | None) -> None:
        """The summary of `area_code` ("" = the user's county) for `period` (None = the latest
        complete month). The page changes only once the service has answered, so a refused
        township or month leaves the view as it was, with the message."""
        with unit_of_work() as session:
            summary = reports.leader_summary(session, actor=actor, area_code=area_code or None, period=period)
        self.area_code, self.drilled = area_code, bool(area_code)
        self.area_name = str(summary.get("area_name", ""))
        shown = parse_month(summary.get("period"))
        self.period = month_value(shown) if shown is not None else ""
        self.period_text = str(summary.get("period_text") or self.period)
        self.cards = change_rows(summary.get("figures"))
        self.trend = trend_points(summary.get("trend"), TREND_KEYS)
        self.townships = township_rows(summary.get("townships"))

    @rx.event
    @protected(VIEW)
    def pick_period(self, actor, value: str):
        month = parse_month(str(value or "")[:7])
        if month is None:
            raise ValidationError(MSG_NO_MONTH)
        self._load(actor, self.area_code, month)

    @rx.event
    @protected(VIEW)
    def drill(self, actor, code: str):
        """One township's view (the service checks the code is an area of the user's)."""
        code = str(code or "").strip()
        if not is_valid_code(code) or level_of(code) == COUNTY:
            raise ValidationError(MSG_NO_TOWNSHIP)
        self._load(actor, code, parse_month(self.period))

    @rx.event
    @protected(VIEW)
    def back(self, actor):
        self._load(actor, "", parse_month(self.period))


S = SummaryState


def _change(text, dir_) -> rx.Component:
    return rx.text(text, size="1", weight="medium",
                   color_scheme=rx.match(dir_, ("up", "red"), ("down", "green"), "gray"))


def _card(c) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(c["label"], size="2", color_scheme="gray"),
            rx.heading(c["value"], size="6", id="summary-card-" + c["key"]),
            rx.hstack(rx.text("环比", size="1", color_scheme="gray"), _change(c["mom"], c["mom_dir"]),
                      rx.text("同比", size="1", color_scheme="gray"), _change(c["yoy"], c["yoy_dir"]),
                      spacing="1", align="center"),
            spacing="1",
        ),
        min_width="12em",
    )


def _cards() -> rx.Component:
    return rx.vstack(
        rx.text("环比、同比：上升为红色、下降为绿色；上期为 0 时不计算（显示“—”）", size="1", color_scheme="gray"),
        rx.flex(rx.foreach(S.cards, _card), gap="3", wrap="wrap", id="summary-cards"),
        spacing="2", width="100%",
    )


def _trend() -> rx.Component:
    return rx.vstack(
        rx.heading("近 12 个月趋势", size="4"),
        rx.grid(*[rx.card(rx.text(title, size="2", weight="medium"),
                          trend_chart(S.trend, lines, f"summary-trend-{n}", 220))
                  for n, (title, lines) in enumerate(TREND_CHARTS)], columns="2", spacing="3", width="100%"),
        spacing="2", width="100%", id="summary-trend",
    )


def _township_row(t) -> rx.Component:
    return rx.table.row(
        rx.table.cell(t["rank"]),
        rx.table.cell(rx.link(t["name"], on_click=S.drill(t["code"]), weight="medium", cursor="pointer",
                              id="township-link-" + t["code"])),
        *[rx.table.cell(t[key]) for key in TOWNSHIP_KEYS],
        id="summary-township-" + t["code"],
    )


def _townships() -> rx.Component:
    return rx.cond(S.townships.length() > 0, rx.vstack(
        rx.heading("各乡镇情况（按超期率排序）", size="4"),
        rx.text("超期率 = 月末超期的申请、预警、转介和督办事项 ÷ 月末未办结的同类事项；点乡镇名称查看该乡镇", size="1",
                color_scheme="gray"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap")
                                           for h in TOWNSHIP_HEADERS])),
            rx.table.body(rx.foreach(S.townships, _township_row)),
            variant="surface", size="1", width="100%", id="summary-townships"),
        spacing="2", width="100%",
    ))


def _heading() -> rx.Component:
    return rx.hstack(
        rx.heading(S.area_name, " ", S.period_text, size="5", id="summary-title"),
        rx.cond(S.drilled, rx.button(rx.icon("arrow_left", size=16), "返回全县", size="1", variant="soft",
                                     on_click=S.back, id="summary-back")),
        rx.spacer(),
        rx.text("月份", size="2"),
        rx.input(type="month", value=S.period, on_change=S.pick_period, id="summary-month"),
        rx.link("查看月度报告", href=routes.REPORTS, size="2"),
        width="100%", align="center", spacing="3",
    )


def summary_page() -> rx.Component:
    return shell("领导驾驶舱", _heading(), _cards(), _trend(), _townships())
