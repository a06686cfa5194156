"""监测预警 (/warnings): the warnings of the user's area with filters (rule, severity,
township, status, overdue only, department, the head's name) and paging; the county also
sees, above it, how each township is getting on (待核查, 核查中, 超期, 已升级, 本月已反馈).

County civil affairs and agriculture open the list on their own department's warnings
(the service's default_department, from DEPARTMENT_OF_ROLE; rules of both departments show
to each), and may widen it to all. The service checks the area on every call.
"""

import reflex as rx

from ...components.shell import shell
from ...components.table import pager, rows_table
from ...db.uow import unit_of_work
from ...services import warnings
from ...services.households import today_in_china
from ...state.base import SessionState, protected
from .common import due_marks, form_text, native_select, options_of, severity_badge, status_badge, texts

VIEW = "warning.view"
PAGE_SIZE = 50
FILTERS = ("rule", "severity", "township", "status", "department", "q")


class WarningListState(SessionState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    page_count: int = 1
    # the filters in force, as the form shows them ("" = all; overdue "1" = only overdue)
    filters: dict[str, str] = {}
    rule_options: list[dict[str, str]] = []
    severity_options: list[dict[str, str]] = []
    township_options: list[dict[str, str]] = []
    status_options: list[dict[str, str]] = []
    department_options: list[dict[str, str]] = []
    can_overview: bool = False
    townships: list[dict[str, str]] = []
    # changes when the filters are reset, so the form's uncontrolled inputs show them again
    form_key: str = "0"

    @rx.event
    def on_enter(self):
        self.rows, self.townships, self.total, self.page = [], [], 0, 1
        actor, redirect = self._enter(VIEW)
        if actor is None:
            return redirect
        with unit_of_work() as session:
            options = warnings.inbox_options(session, actor=actor)
        self.filters = {name: "" for name in FILTERS} | {"overdue": "",
                                                        "department": options["default_department"]}
        self.form_key = str(int(self.form_key) + 1)
        self.can_overview = bool(options["can_overview"])
        self.rule_options = options_of(options["rules"])
        self.severity_options = options_of(options["severities"])
        self.township_options = options_of(options["townships"])
        self.status_options = options_of(options["statuses"])
        self.department_options = options_of(options["departments"])
        self._load(actor)
        return None

    def _service_filters(self) -> dict:
        f = dict(self.filters)
        return {"rule": f.get("rule", ""), "severity": f.get("severity", ""), "township": f.get("township", ""),
                "status": f.get("status", ""), "overdue": f.get("overdue") == "1",
                "department": f.get("department", ""), "q": f.get("q", "")}

    def _load(self, actor) -> None:
        today = today_in_china()
        with unit_of_work() as session:
            inbox = warnings.inbox(session, actor=actor, filters=self._service_filters(), page=self.page,
                                   page_size=PAGE_SIZE, today=today)
            table = warnings.township_table(session, actor=actor, today=today) if self.can_overview else []
        self.total, self.page, self.page_count = int(inbox["total"]), int(inbox["page"]), int(inbox["pages"])
        self.rows = [texts(r) for r in inbox["rows"]]
        self.townships = [texts(t) for t in table]

    @rx.event
    @protected(VIEW)
    def apply_filters(self, actor, form_data: dict):
        self.filters = {name: form_text(form_data, name).strip()[:40] for name in FILTERS} | {
            "overdue": "1" if form_data.get("overdue") in (True, "on", "1", "true") else ""}
        self.page = 1
        self._load(actor)

    @rx.event
    @protected(VIEW)
    def clear_filters(self, actor):
        self.filters = {name: "" for name in FILTERS} | {"overdue": ""}
        self.form_key = str(int(self.form_key) + 1)
        self.page = 1
        self._load(actor)

    @rx.event
    @protected(VIEW)
    def prev_page(self, actor):
        self.page = max(1, self.page - 1)
        self._load(actor)

    @rx.event
    @protected(VIEW)
    def next_page(self, actor):
        self.page = min(self.page_count, self.page + 1)
        self._load(actor)


S = WarningListState


def _narrow(select: rx.Component, width: str = "10em") -> rx.Component:
    return rx.box(select, width=width)


def _filter_form() -> rx.Component:
    f = S.filters
    return rx.form(
        rx.hstack(
            # the native selects fill their box: narrow boxes keep the filters on one wrapping row
            _narrow(native_select("rule", "filter-rule", options=S.rule_options, default=f["rule"],
                                  empty="全部规则"), "14em"),
            _narrow(native_select("severity", "filter-severity", options=S.severity_options,
                                  default=f["severity"], empty="全部严重程度")),
            _narrow(native_select("township", "filter-township", options=S.township_options,
                                  default=f["township"], empty="全部乡镇")),
            _narrow(native_select("status", "filter-status", options=S.status_options, default=f["status"],
                                  empty="全部状态")),
            _narrow(native_select("department", "filter-department", options=S.department_options,
                                  default=f["department"], empty="全部部门")),
            rx.input(name="q", placeholder="户主姓名", default_value=f["q"], max_length=40, id="filter-q",
                     width="9em"),
            rx.el.label(rx.el.input(type="checkbox", name="overdue", default_checked=f["overdue"] == "1",
                                    id="filter-overdue"),
                        " 仅看超期", style={"white_space": "nowrap", "font_size": "var(--font-size-2)"}),
            rx.button("查询", type="submit", id="warnings-search"),
            rx.button("清除", type="button", variant="soft", on_click=S.clear_filters, id="warnings-clear"),
            spacing="2", align="center", wrap="wrap", width="100%",
        ),
        on_submit=S.apply_filters, reset_on_submit=False, key=S.form_key, id="warnings-filter", width="100%",
    )


def _warning_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("#", r["id"], href=r["href"], weight="medium", id="warning-link-" + r["id"])),
        rx.table.cell(rx.link(r["head_name"], href=r["household_href"], size="2")),
        rx.table.cell(rx.text(r["village"], size="2")),
        rx.table.cell(rx.link(r["rule_name"], href=r["href"], size="2")),
        rx.table.cell(severity_badge(r)),
        rx.table.cell(status_badge(r)),
        rx.table.cell(rx.text(r["raised_on"], size="2", white_space="nowrap")),
        rx.table.cell(due_marks(r)),
        rx.table.cell(rx.text(r["assignee"], size="2")),
        id="warning-" + r["id"],
    )


def _township_row(t) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(t["name"], size="2", weight="medium")),
        rx.table.cell(rx.text(t["pending"], size="2")),
        rx.table.cell(rx.text(t["verifying"], size="2")),
        rx.table.cell(rx.text(t["overdue"], size="2", color_scheme=rx.cond(t["overdue"] != "0", "red", "gray"))),
        rx.table.cell(rx.text(t["escalated"], size="2", color_scheme=rx.cond(t["escalated"] != "0", "red", "gray"))),
        rx.table.cell(rx.text(t["fed_back_month"], size="2")),
    )


def _townships() -> rx.Component:
    return rx.cond(
        S.can_overview,
        rx.vstack(
            rx.heading("各乡镇办理情况", size="4"),
            rx.text("列出有预警的乡镇，超期多的在前", size="2", color_scheme="gray"),
            rows_table(S.townships, _township_row, ("乡镇", "待核查", "核查中", "超期", "已升级", "本月已反馈"),
                   "township-table"),
            spacing="2", width="100%",
        ),
    )


def _warnings() -> rx.Component:
    return rx.vstack(
        _filter_form(),
        rx.cond(S.rows.length() > 0,
                rows_table(S.rows, _warning_row,
                       ("编号", "户主", "村（社区）", "规则", "严重程度", "状态", "发现于", "办理时限", "核查人"),
                       "warnings-table"),
                rx.text("没有符合条件的预警", size="2", color_scheme="gray", id="no-warnings")),
        pager(S.page, S.page_count, S.total, S.prev_page, S.next_page),
        spacing="3", width="100%",
    )


def warnings_page() -> rx.Component:
    return shell("监测预警", _townships(), _warnings())
