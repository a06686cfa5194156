"""联席会议 (/meetings): the meetings of the user's area month by month, a button to create
this month's, the open action items as Excel, and for the county the townships whose
meeting for the month was not held by the month's end (meeting.overview)."""

import reflex as rx

from ... import routes
from ...components.shell import shell
from ...db.uow import unit_of_work
from ...domain import meetings as rules
from ...domain.permissions import can
from ...services import meetings
from ...services.households import today_in_china
from ...state.base import SessionState, protected
from .common import XLSX, actions_workbook, month_value, texts

VIEW = "meeting.view"
STATUS_COLOURS = (("planned", "orange"), ("held", "blue"), ("approved", "green"))


class MeetingListState(SessionState):
    # "2026-11": the month shown; "" shows every month
    month: str = ""
    meetings: list[dict[str, str]] = []
    can_manage: bool = False
    show_overview: bool = False
    # the month the overdue table is for, as "2026年11月"
    overview_month: str = ""
    overdue: list[dict[str, str]] = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(VIEW)
        if actor is None:
            self.meetings, self.overdue = [], []
            return redirect
        self.month = month_value(today_in_china())
        self._load(actor)
        return None

    def _load(self, actor) -> None:
        today = today_in_china()
        month = rules.a_month(self.month) if self.month else None
        overview_month = month or rules.month_start(today)
        self.can_manage = can(actor, "meeting.manage")
        self.show_overview = can(actor, "meeting.overview")
        with unit_of_work() as session:
            rows = meetings.list_meetings(session, actor=actor, month=month, today=today)
            overdue = (meetings.overdue_townships(session, actor=actor, month=overview_month, today=today)
                       if self.show_overview else [])
        self.meetings = [texts(r) for r in rows]
        self.overdue = [texts(r) for r in overdue]
        self.overview_month = rules.month_text(overview_month)

    @rx.event
    @protected(VIEW)
    def pick_month(self, actor, month: str):
        """Show another month ("" for all months)."""
        month = str(month or "").strip()
        if month:
            rules.a_month(month)  # a malformed month is refused with a message
        self.month = month
        self._load(actor)

    @rx.event
    @protected(VIEW)
    def download_actions(self, actor):
        filename, data = actions_workbook(actor, today_in_china())
        return rx.download(data=data, filename=filename, mime_type=XLSX)


def status_badge(row) -> rx.Component:
    """The meeting's status, and a red mark once its month is over and it was not held."""
    return rx.hstack(
        rx.badge(row["status_label"], color_scheme=rx.match(row["status"], *STATUS_COLOURS, "gray"),
                 variant="soft"),
        rx.cond(row["overdue"] == "1", rx.badge("逾期未召开", color_scheme="red", variant="solid")),
        spacing="1",
    )


def _meetings_table() -> rx.Component:
    S = MeetingListState
    headers = ["地区", "月份", "计划日期", "召开日期", "地点", "主持人", "状态", ""]

    def row(r):
        return rx.table.row(
            rx.table.cell(rx.text(r["area_name"], size="2", weight="medium")),
            rx.table.cell(rx.text(r["month_text"], size="2")),
            rx.table.cell(rx.text(r["planned_on"], size="2")),
            rx.table.cell(rx.text(r["held_on"], size="2")),
            rx.table.cell(rx.text(r["place"], size="2")),
            rx.table.cell(rx.text(r["chair_name"], size="2")),
            rx.table.cell(status_badge(r)),
            rx.table.cell(rx.link("打开", href=r["href"], id="open-meeting-" + r["id"], weight="medium")),
        )

    return rx.cond(
        S.meetings.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in headers])),
            rx.table.body(rx.foreach(S.meetings, row)),
            variant="surface", size="1", width="100%", id="meetings-table",
        ),
        rx.text("所选月份还没有联席会议", size="2", color_scheme="gray", id="no-meetings"),
    )


def _overview() -> rx.Component:
    S = MeetingListState

    def row(r):
        return rx.table.row(
            rx.table.cell(rx.text(r["area_name"], size="2", weight="medium")),
            rx.table.cell(rx.cond(r["href"] != "", rx.link(r["status_label"], href=r["href"], size="2"),
                                  rx.text(r["status_label"], size="2"))),
            rx.table.cell(rx.text(r["planned_on"], size="2")),
            rx.table.cell(rx.badge(r["state_text"], color_scheme=rx.cond(r["overdue"] == "1", "red", "orange"),
                                   variant=rx.cond(r["overdue"] == "1", "solid", "soft"))),
            id="overdue-" + r["area_code"],
        )

    return rx.cond(
        S.show_overview,
        rx.vstack(
            rx.heading(S.overview_month, " 尚未召开联席会议的乡镇（街道）", size="4"),
            rx.cond(
                S.overdue.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                   ("乡镇（街道）", "会议", "计划日期", "情况")])),
                    rx.table.body(rx.foreach(S.overdue, row)),
                    variant="surface", size="1", width="100%", id="overdue-meetings",
                ),
                rx.text("各乡镇（街道）均已召开", size="2", color_scheme="gray", id="overdue-meetings"),
            ),
            width="100%", spacing="2",
        ),
    )


def _toolbar() -> rx.Component:
    S = MeetingListState
    return rx.hstack(
        rx.text("月份", size="2", weight="medium"),
        rx.input(type="month", value=S.month, on_change=S.pick_month, id="filter-month", width="11em"),
        rx.button("全部月份", variant="soft", size="2", on_click=S.pick_month(""), id="all-months"),
        rx.spacer(),
        rx.button(rx.icon("file_spreadsheet", size=16), "下载未办结事项（Excel）", variant="outline",
                  on_click=S.download_actions, id="download-actions"),
        rx.cond(S.can_manage,
                rx.link(rx.button(rx.icon("plus", size=16), "新建本月会议"), href=routes.MEETING_NEW,
                        id="new-meeting")),
        width="100%", align="center", spacing="3",
    )


def meetings_page() -> rx.Component:
    return shell(
        "联席会议",
        rx.text("每月召开困难群众联席会议：议题由待审核申请、超期事项、疑难个案和上月未办结的决定事项自动生成，"
                "会议决定形成督办事项，办结前每月列入议题。", size="2", color_scheme="gray"),
        _toolbar(),
        _meetings_table(),
        _overview(),
    )
