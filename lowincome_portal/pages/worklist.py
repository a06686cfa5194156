"""我的待办 (/tasks): the user's open cases and reviews, earliest deadline first, and for
county roles the overdue-by-township table.

The state only calls services/worklist.py and keeps its plain dicts; the list is capped
by the service (a township may have hundreds of items), so the state stays small.
"""

from typing import TypedDict

import reflex as rx

from ..components.shell import shell
from ..components.table import data_table
from ..db.uow import unit_of_work
from ..domain.permissions import can
from ..services import worklist
from ..services.households import today_in_china
from ..state.base import SessionState, protected


class WorkItem(TypedDict):
    key: str
    kind: str
    kind_label: str
    id: int
    tracking_no: str
    track: str
    step: str
    name: str
    place: str
    text: str
    due_on: str
    mark: str
    mark_text: str
    estimated_text: str
    staff_relative: bool
    staff_relative_note: str
    green_channel: bool
    href: str


class TownshipRow(TypedDict):
    code: str
    township: str
    open: int
    due_soon: int
    overdue: int
    longest_overdue_text: str


class WorklistState(SessionState):
    items: list[WorkItem] = []
    total: int = 0
    overdue: int = 0
    due_soon: int = 0
    truncated: bool = False
    townships: list[TownshipRow] = []
    show_townships: bool = False
    today: str = ""

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("worklist.view")
        if actor is not None:
            self._load(actor)
        return redirect

    @protected("worklist.view")
    def refresh(self, actor):
        self._load(actor)

    def _load(self, actor) -> None:
        today = today_in_china()
        with unit_of_work() as session:
            work = worklist.my_work(session, actor=actor, today=today)
            self.show_townships = can(actor, "intake.overview")
            townships = (worklist.overdue_by_township(session, actor=actor, today=today)
                         if self.show_townships else [])
        self.items = [WorkItem(**{k: item[k] for k in WorkItem.__annotations__}) for item in work.items]
        self.total, self.overdue, self.due_soon = work.total, work.overdue, work.due_soon
        self.truncated = work.truncated
        self.townships = [TownshipRow(**{k: row[k] for k in TownshipRow.__annotations__}) for row in townships]
        self.today = today.isoformat()


def _mark(item) -> rx.Component:
    return rx.match(
        item["mark"],
        (worklist.OVERDUE, rx.badge(item["mark_text"], color_scheme="red", variant="solid", class_name="mark-overdue")),
        (worklist.DUE_SOON, rx.badge(item["mark_text"], color_scheme="orange", variant="solid",
                                     class_name="mark-due-soon")),
        rx.fragment(),
    )


def _flags(item) -> rx.Component:
    # Solid, high-contrast badges: a relative's case or a green-channel case must not be missed.
    return rx.hstack(
        rx.cond(item["staff_relative"],
                rx.tooltip(rx.badge(worklist.STAFF_RELATIVE_TEXT, color_scheme="crimson", variant="solid",
                                    high_contrast=True, class_name="flag-staff-relative"),
                           content=rx.cond(item["staff_relative_note"] != "", item["staff_relative_note"],
                                           worklist.STAFF_RELATIVE_TEXT))),
        rx.cond(item["green_channel"],
                rx.badge(worklist.GREEN_CHANNEL_TEXT, color_scheme="green", variant="solid",
                         high_contrast=True, class_name="flag-green-channel")),
        spacing="1",
    )


def _row(item) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_mark(item)),
        rx.table.cell(rx.link(rx.cond(item["tracking_no"] != "", item["tracking_no"], item["kind_label"]),
                              href=item["href"], weight="medium", class_name="worklist-link")),
        rx.table.cell(rx.text(item["name"], size="2")),
        rx.table.cell(rx.text(item["place"], size="2")),
        rx.table.cell(rx.text(item["track"], size="2")),
        rx.table.cell(rx.text(item["text"], size="2")),
        rx.table.cell(rx.text(item["due_on"], item["estimated_text"], size="2", white_space="nowrap")),
        rx.table.cell(_flags(item)),
        id="worklist-row-" + item["key"],
        background_color=rx.cond(item["staff_relative"], "var(--crimson-2)", "transparent"),
    )


def _work_table() -> rx.Component:
    headers = ("状态", "编号", "申请人/户主", "所在地", "类别", "当前环节/事项", "截止日期", "标识")
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in headers])),
        rx.table.body(rx.foreach(WorklistState.items, _row)),
        variant="surface",
        size="1",
        width="100%",
        id="worklist-table",
    )


def _summary() -> rx.Component:
    return rx.hstack(
        rx.text("共 ", WorklistState.total, " 项待办", size="2", id="worklist-total"),
        rx.badge("已超期 ", WorklistState.overdue, " 项", color_scheme="red", id="worklist-overdue-count"),
        rx.badge("即将到期 ", WorklistState.due_soon, " 项", color_scheme="orange", id="worklist-due-soon-count"),
        rx.spacer(),
        rx.text("今天：", WorklistState.today, size="2", color_scheme="gray"),
        rx.button("刷新", on_click=WorklistState.refresh, size="1", variant="soft", id="worklist-refresh"),
        width="100%",
        align="center",
    )


def _townships() -> rx.Component:
    return rx.vstack(
        rx.heading("各乡镇办理时限情况", size="4"),
        data_table(WorklistState.townships,
                   [("township", "乡镇（街道）"), ("open", "在办"), ("due_soon", "即将到期"),
                    ("overdue", "已超期"), ("longest_overdue_text", "最长超期")],
                   table_id="township-overdue-table"),
        width="100%",
    )


def worklist_page() -> rx.Component:
    return shell(
        "我的待办",
        _summary(),
        rx.cond(
            WorklistState.items.length() > 0,
            _work_table(),
            rx.text("暂无待办事项", color_scheme="gray", id="worklist-empty"),
        ),
        rx.cond(WorklistState.truncated,
                rx.text("仅显示最早到期的 ", WorklistState.items.length(), " 项，共 ", WorklistState.total, " 项",
                        size="2", color_scheme="gray", id="worklist-truncated")),
        rx.cond(WorklistState.show_townships, _townships()),
    )
