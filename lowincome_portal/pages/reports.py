"""月度报告 (/reports): one area's report for one month on screen, its PDF and Excel generated
in the background, and the archive of every generation with its downloads.

The area is the county or a township inside the user's area (township staff get their own
township only); the month defaults to last month. The figures are counts and amounts only
(docs/reporting.md). Every handler goes through the services, which check report.view /
report.generate in the chosen area and refuse a month that has not started; the page
turns their refusals into the Chinese message. The state holds strings only (numbers are
formatted here), except the chart series, which recharts needs as numbers.
"""

import asyncio
import logging
from datetime import date
from decimal import Decimal
from typing import Any

import reflex as rx

from ..components.shell import shell
from ..components.table import data_table
from ..db.uow import unit_of_work
from ..domain.reporting import previous_month
from ..domain.areas import COUNTY, contains, level_of
from ..domain.errors import PortalError, ValidationError
from ..domain.monitoring import parse_month
from ..domain.permissions import can
from ..services import auth, public_areas, reports
from ..services.areas import area_names
from ..services.households import today_in_china
from ..state.base import SessionState, protected, protected_background
from .meetings.common import month_value

log = logging.getLogger(__name__)

VIEW, GENERATE = "report.view", "report.generate"
MSG_NO_AREA = "请选择您辖区内的县或乡镇"
MSG_NO_MONTH = "请选择报告月份"
MSG_BUSY = "上一份报告还在生成，请稍候"
DASH = "—"
STATUS_COLOURS = (("done", "green"), ("failed", "red"), ("running", "blue"))

# (key, header) of the tables; the state rows carry these keys as text
TAG_COLUMNS = [("label", "类别"), ("households_start", "月初户数"), ("households_new", "新增户数"),
               ("households_exited", "退出户数"), ("households_end", "月末户数"), ("persons_start", "月初人数"),
               ("persons_new", "新增人数"), ("persons_exited", "退出人数"), ("persons_end", "月末人数")]
TRACK_COLUMNS = [("label", "类别"), ("received", "受理"), ("decided", "办结"), ("approved", "批准"),
                 ("refused", "不予批准"), ("overdue", "超期未办")]
RULE_COLUMNS = [("label", "预警规则"), ("raised", "新增预警"), ("handled", "已处置"), ("fed_back", "已反馈"),
                ("overdue", "超期未办")]
KIND_COLUMNS = [("label", "救助类别"), ("dispatched", "派单"), ("claimed", "认领"), ("completed", "办结"),
                ("overdue", "超期"), ("amount", "办结金额（元）")]
PARTNER_COLUMNS = [("label", "承办机构"), ("dispatched", "派单"), ("claimed", "认领"), ("completed", "办结"),
                   ("overdue", "超期"), ("amount", "办结金额（元）")]
CHANGE_COLUMNS = [("label", "指标"), ("value", "本月"), ("previous", "上月"), ("mom", "环比"),
                  ("last_year", "去年同月"), ("yoy", "同比")]
TOWNSHIP_COLUMNS = [("rank", "排名"), ("name", "乡镇"), ("households_end", "在册户数"), ("overdue", "超期事项"),
                    ("open", "未办结事项"), ("overdue_rate", "超期率"), ("applications_received", "受理申请"),
                    ("warnings_raised", "新增预警"), ("referrals_completed", "转介办结")]
# the report's 12-month trend lines: (key, line name, colour)
TREND_LINES = (("applications_received", "受理申请", "#8da4ef"), ("applications_decided", "审批办结", "#30a46c"),
               ("warnings_raised", "新增预警", "#f76b15"), ("referrals_completed", "转介办结", "#e5484d"))
ARCHIVE_HEADERS = ["月份", "区域", "状态", "生成人", "生成时间", "用时", "下载"]

APPLICATION_TOTALS = (("received", "受理申请"), ("decided", "办结"), ("approved", "批准"), ("refused", "不予批准"),
                      ("overdue", "超期未办"), ("median_working_days", "办结用时中位数（工作日）"))
WARNING_TOTALS = (("raised", "新增预警"), ("handled", "已处置"), ("fed_back", "已反馈"), ("overdue", "超期未办"))
REFERRAL_TOTALS = (("dispatched", "派单"), ("claimed", "认领"), ("completed", "办结"), ("overdue", "超期"),
                   ("amount", "办结金额（元）"))
MEETING_TOTALS = (("held", "召开会议"), ("decisions", "议定事项"), ("actions_done", "完成督办事项"),
                  ("actions_overdue", "超期督办事项"))
BURDEN_TOTALS = (("investigated", "完成入户调查"), ("fields_prefilled", "自动带出字段"), ("fields_typed", "手工填写字段"),
                 ("prefilled_share", "自动带出占比"), ("visits", "入户走访"), ("visits_avoided", "减少入户次数"))
PERCENT_KEYS = {"prefilled_share", "overdue_rate"}
AMOUNT_KEYS = {"amount", "referral_amount"}


def number_text(value: Any, key: str = "") -> str:
    """A figure as the page shows it: counts plain, amounts with two decimals, shares as
    percentages, a missing figure as a dash."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        value = float(value) if isinstance(value, Decimal) else value
        if key in PERCENT_KEYS:
            return f"{value * 100:.1f}%"
        if key in AMOUNT_KEYS or key.endswith("amount"):
            return f"{value:,.2f}"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:.1f}"
        return str(int(value))
    return str(value)


def pct_text(value: Any) -> str:
    """A change in percent: "+12.5%", "-3.0%", a dash where the earlier value was 0."""
    if value is None or value == "":
        return DASH
    return f"{float(value):+.1f}%"


def direction(value: Any) -> str:
    """"up" / "down" / "" (no change or no comparison) for colouring a change."""
    if value is None or value == "":
        return ""
    return "up" if float(value) > 0 else "down" if float(value) < 0 else ""


def row_texts(row: dict, label_keys: tuple[str, ...] = ("label", "name")) -> dict[str, str]:
    """A table row: every figure formatted, nested values left out, `label` always present."""
    out = {key: number_text(value, key) for key, value in row.items()
           if not isinstance(value, (dict, list, tuple, set))}
    out["label"] = next((str(row[k]) for k in label_keys if row.get(k) not in (None, "")), "")
    return out


def totals(section: dict | None, wanted: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """The section's headline figures as (label, value) rows, in the order given."""
    section = section or {}
    return [{"key": key, "label": label, "value": number_text(section.get(key), key)}
            for key, label in wanted if key in section]


def change_rows(changes: list[dict] | None) -> list[dict[str, str]]:
    return [{"key": str(c.get("key", "")), "label": str(c.get("label", "")),
             "value": number_text(c.get("value"), c.get("key", "")),
             "previous": number_text(c.get("previous"), c.get("key", "")),
             "last_year": number_text(c.get("last_year"), c.get("key", "")),
             "mom": pct_text(c.get("mom_pct")), "mom_dir": direction(c.get("mom_pct")),
             "yoy": pct_text(c.get("yoy_pct")), "yoy_dir": direction(c.get("yoy_pct"))}
            for c in changes or []]


def township_rows(townships: list[dict] | None) -> list[dict[str, str]]:
    rows = []
    for rank, t in enumerate(townships or [], start=1):
        row = row_texts(t, ("area_name", "name", "label"))
        row["name"] = row["label"]
        row["code"] = str(t.get("area_code") or t.get("code") or "")
        row["rank"] = str(rank)
        rows.append(row)
    return rows


def _num(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def archive_rows(entries: list[dict]) -> list[dict[str, str]]:
    """The archive as the table shows it (the service gives strings already)."""
    rows = []
    for e in entries:
        status = str(e.get("status", ""))
        seconds = str(e.get("seconds") or "")
        rows.append({
            "id": str(e.get("id", "")),
            "period_text": str(e.get("period_text", "")),
            "area_name": str(e.get("area_name", "")),
            "status": status,
            "status_label": str(e.get("status_text") or status),
            "stale": "1" if e.get("stale") else "",
            "requested_by": str(e.get("requested_by", "")),
            "requested_at": str(e.get("requested_at", "")),
            "seconds": f"{seconds} 秒" if seconds and status == "done" else "",
            "error": str(e.get("error") or ""),
            "has_pdf": "1" if e.get("has_pdf") else "",
            "has_xlsx": "1" if e.get("has_xlsx") else "",
        })
    return rows


def trend_points(trend: list[dict] | None, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """One chart point per month: "month" ("2026-11") and the figures of `keys` as numbers."""
    points = []
    for month in trend or []:
        period = parse_month(month.get("period"))
        label = month_value(period) if period else str(month.get("period_text") or "")
        points.append({"month": label, **{key: _num(month.get(key)) for key in keys}})
    return points


class ReportsState(SessionState):
    areas: list[dict[str, str]] = []
    area_code: str = ""
    period: str = ""  # the month input's value, "2026-11"
    shown: bool = False
    title: str = ""
    is_county: bool = False
    changes: list[dict[str, str]] = []
    tags: list[dict[str, str]] = []
    tag_chart: list[dict[str, Any]] = []
    application_totals: list[dict[str, str]] = []
    tracks: list[dict[str, str]] = []
    warning_totals: list[dict[str, str]] = []
    rules: list[dict[str, str]] = []
    referral_totals: list[dict[str, str]] = []
    kinds: list[dict[str, str]] = []
    kind_chart: list[dict[str, Any]] = []
    partners: list[dict[str, str]] = []
    meeting_totals: list[dict[str, str]] = []
    burden_totals: list[dict[str, str]] = []
    townships: list[dict[str, str]] = []
    trend: list[dict[str, Any]] = []
    running: bool = False
    progress: int = 0
    archive: list[dict[str, str]] = []
    can_generate: bool = False
    _report_id: int = 0  # the generation this tab follows (0: none)
    _run_user: int = 0  # who asked for it: its outcome is shown to that user only

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(VIEW)
        if actor is None:
            self._clear()
            return redirect
        self.can_generate = can(actor, GENERATE)
        if self._run_user != actor.user_id:
            # Someone else signed in on this tab: the earlier user's generation goes on in the
            # background, but this tab no longer follows it (its outcome is not shown here).
            self.running, self.progress, self._report_id, self._run_user = False, 0, 0, 0
        with unit_of_work() as session:
            self.areas = area_options(session, actor.area_code or "")
        if self.area_code not in {a["value"] for a in self.areas}:
            self.area_code = self.areas[0]["value"] if self.areas else ""
        if not self.running:  # while a generation runs, the month it is for stays chosen
            self.period = month_value(previous_month(today_in_china()))
        self._clear()  # never show what was on screen before (it may be another user's)
        try:
            if self.area_code:
                self._build(actor)  # the page opens on the chosen month's report of the user's area
            self._load_archive(actor)
        except PortalError as exc:  # e.g. an account bound to no area
            self.error = exc.message
        return None

    def _clear(self) -> None:
        self.shown, self.title, self.is_county = False, "", False
        self.changes, self.tags, self.tag_chart, self.townships = [], [], [], []
        self.application_totals, self.tracks, self.warning_totals, self.rules = [], [], [], []
        self.referral_totals, self.kinds, self.kind_chart, self.partners = [], [], [], []
        self.meeting_totals, self.burden_totals, self.trend = [], [], []

    def _choice(self) -> tuple[str, date]:
        if self.area_code not in {a["value"] for a in self.areas}:
            raise ValidationError(MSG_NO_AREA)
        period = parse_month(self.period)
        if period is None:
            raise ValidationError(MSG_NO_MONTH)
        return self.area_code, period

    def _load_archive(self, actor) -> None:
        with unit_of_work() as session:
            self.archive = archive_rows(reports.archive(session, actor=actor))

    @rx.event
    @protected(VIEW)
    def pick_area(self, actor, code: str):
        if code not in {a["value"] for a in self.areas}:
            raise ValidationError(MSG_NO_AREA)
        self.area_code = code
        self._clear()

    @rx.event
    @protected(VIEW)
    def pick_period(self, actor, value: str):
        self.period = str(value or "")[:7]
        self._clear()

    @rx.event
    @protected(VIEW)
    def show(self, actor):
        """Compute the report of the chosen area and month and draw it."""
        self._build(actor)

    def _build(self, actor) -> None:
        self._clear()
        area_code, period = self._choice()
        with unit_of_work() as session:
            report = reports.build_report(session, actor=actor, area_code=area_code, period=period)
        self._show(report)

    def _show(self, report: dict) -> None:
        self.title = f"{report.get('area_name', '')} {report.get('period_text', '')} 月度报告"
        self.is_county = level_of(str(report.get("area_code") or self.area_code)) == COUNTY
        self.changes = change_rows(report.get("changes"))
        tag_list = report.get("tags") or []
        self.tags = [row_texts(t) for t in tag_list]
        self.tag_chart = [{"label": str(t.get("label", "")), "start": _num(t.get("households_start")),
                           "end": _num(t.get("households_end"))}
                          for t in tag_list if t.get("tag") != "total"]
        applications, warnings_ = report.get("applications") or {}, report.get("warnings") or {}
        referrals_ = report.get("referrals") or {}
        self.application_totals = totals(applications, APPLICATION_TOTALS)
        self.tracks = [row_texts(t, ("label", "track")) for t in applications.get("by_track") or []]
        self.warning_totals = totals(warnings_, WARNING_TOTALS)
        self.rules = [row_texts(r, ("label", "rule")) for r in warnings_.get("by_rule") or []]
        self.referral_totals = totals(referrals_, REFERRAL_TOTALS)
        by_kind = referrals_.get("by_kind") or []
        self.kinds = [row_texts(k, ("label", "kind")) for k in by_kind]
        self.kind_chart = [{"label": row["label"], "dispatched": _num(k.get("dispatched")),
                            "completed": _num(k.get("completed"))} for k, row in zip(by_kind, self.kinds, strict=True)]
        self.partners = [row_texts(p, ("label",)) for p in referrals_.get("by_partner") or []]
        self.meeting_totals = totals(report.get("meetings"), MEETING_TOTALS)
        self.burden_totals = totals(report.get("burden"), BURDEN_TOTALS)
        self.townships = township_rows(report.get("townships")) if self.is_county else []
        self.trend = trend_points(report.get("trend"), tuple(key for key, _, _ in TREND_LINES))
        self.shown = True

    @rx.event
    @protected(GENERATE)
    def generate(self, actor):
        """Queue the generation (the service checks the area and the month, and refuses while the
        same report is being generated - `running` only spares a pointless request, the browser
        can set it), then run it in the background."""
        if self.running:
            raise ValidationError(MSG_BUSY)
        area_code, period = self._choice()
        with unit_of_work() as session:
            report_id = reports.request(session, actor=actor, area_code=area_code, period=period)
        self._report_id, self._run_user, self.running, self.progress = report_id, actor.user_id, True, 0
        self._load_archive(actor)
        return ReportsState.run_generation

    @rx.event(background=True)
    @protected_background(GENERATE)
    async def run_generation(self, actor):
        async with self:
            report_id = self._report_id
            if self._run_user != actor.user_id:  # not this user's generation
                report_id = 0
        if not report_id:  # called without a generation queued by `generate`
            return
        task = asyncio.create_task(asyncio.to_thread(reports.run, report_id))
        try:
            while not task.done():
                await asyncio.sleep(0.5)
                try:
                    progress = await asyncio.to_thread(_progress_of, actor, report_id)
                except Exception:  # noqa: BLE001 - e.g. "database is locked": the bar waits a step
                    log.warning("progress of report %s not read", report_id, exc_info=True)
                    continue
                async with self:
                    if self._report_id == report_id:
                        self.progress = max(self.progress, progress)
            await task
        finally:
            async with self:
                if self._report_id == report_id:
                    self.running, self._report_id, self._run_user = False, 0, 0
        async with self:
            # Another user may have signed in on this tab meanwhile: the outcome is not theirs.
            if not self._still_signed_in_as(actor.user_id):
                return
            self.progress = 100
            self._load_archive(actor)
            row = next((r for r in self.archive if r["id"] == str(report_id)), None)
            if row is not None and row["status"] == "failed":
                self.error = row["error"] or "报告生成失败，请稍后重试"
            else:
                self.info = "报告已生成，可在下方归档中下载 PDF 和 Excel"

    def _still_signed_in_as(self, user_id: int) -> bool:
        """Whether this tab's session is still that of `user_id` (read from the database, not
        from the state, which the tab's next user may have entered with)."""
        try:
            with unit_of_work() as session:
                check = auth.check_session(session, self.token)
        except Exception:  # noqa: BLE001 - unknown: show nothing rather than risk another's view
            log.warning("session of a finished report generation not checked", exc_info=True)
            return False
        return check.actor is not None and check.actor.user_id == user_id

    @rx.event
    @protected(VIEW)
    def refresh(self, actor):
        self._load_archive(actor)

    @rx.event
    @protected(VIEW)
    def download(self, actor, report_id: str, kind: str):
        """The PDF or Excel of one archived report (the service checks the report's area and
        records the download)."""
        try:
            wanted = int(str(report_id))
        except ValueError:
            wanted = 0
        with unit_of_work() as session:
            filename, data = reports.report_file(session, actor=actor, report_id=wanted,
                                                 kind="xlsx" if kind == "xlsx" else "pdf")
        return rx.download(data=data, filename=filename)


def area_options(session, user_area: str) -> list[dict[str, str]]:
    """The county (for a county user) and the townships inside the user's area (never the
    township that merely holds a village user's village)."""
    if not user_area:
        return []
    options = [o for o in public_areas.townships(session, within=user_area) if contains(user_area, o["value"])]
    if level_of(user_area) == COUNTY:
        county = area_names(session, {user_area}).get(user_area, "全县")
        options = [{"value": user_area, "label": f"{county}（全县）"}, *options]
    return options


def _progress_of(actor, report_id: int) -> int:
    with unit_of_work() as session:
        row = reports.status(session, actor=actor, report_id=report_id)
    try:
        return int(row.get("progress") or 0)
    except ValueError:
        return 0


S = ReportsState


def _controls() -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text("区域", size="1", weight="medium"),
                  rx.select.root(
                      rx.select.trigger(placeholder="请选择区域", id="report-area", width="16em"),
                      rx.select.content(rx.foreach(S.areas, lambda a: rx.select.item(a["label"], value=a["value"]))),
                      value=S.area_code, on_change=S.pick_area),
                  spacing="1"),
        rx.vstack(rx.text("报告月份", size="1", weight="medium"),
                  rx.input(type="month", value=S.period, on_change=S.pick_period, id="report-month"),
                  spacing="1"),
        rx.button(rx.icon("table", size=16), "查看报告", on_click=S.show, id="report-show"),
        rx.cond(S.can_generate,
                rx.button(rx.icon("file_down", size=16), "生成 PDF 和 Excel", variant="outline",
                          on_click=S.generate, loading=S.running, disabled=S.running, id="report-generate")),
        spacing="4", align="end", wrap="wrap",
    )


def _progress() -> rx.Component:
    return rx.cond(S.running, rx.vstack(
        rx.text("正在生成报告（统计数据、绘制图表、排版 PDF 和 Excel）…", size="2"),
        rx.progress(value=S.progress, width="32em", id="report-progress"),
        spacing="2"))


def _totals(rows, element_id: str) -> rx.Component:
    """A section's headline figures as small cards."""
    return rx.hstack(
        rx.foreach(rows, lambda r: rx.card(
            rx.vstack(rx.text(r["label"], size="1", color_scheme="gray"),
                      rx.heading(r["value"], size="4", id=element_id + "-" + r["key"]),
                      spacing="1", align="center"),
            min_width="7em")),
        spacing="3", wrap="wrap", id=element_id,
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4"), *children, spacing="2", width="100%")


def _bar_chart(data, bars: list[tuple[str, str, str]], element_id: str) -> rx.Component:
    """A bar chart of `data` (a state list with "label" and the numeric keys of `bars`:
    (key, legend name, colour))."""
    return rx.box(
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            *[rx.recharts.bar(data_key=key, name=name, fill=colour) for key, name, colour in bars],
            rx.recharts.x_axis(data_key="label"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            data=data, width="100%", height=260,
        ),
        width="100%", max_width="760px", id=element_id,
    )


def trend_chart(data, lines, element_id: str, height: int = 240) -> rx.Component:
    """Month-by-month lines of `data` (a state list with "month" and the numeric keys of
    `lines`: (key, line name, colour))."""
    return rx.box(
        rx.recharts.line_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            *[rx.recharts.line(data_key=key, name=name, stroke=colour, type_="monotone")
              for key, name, colour in lines],
            rx.recharts.x_axis(data_key="month"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            data=data, width="100%", height=height,
        ),
        width="100%", id=element_id,
    )


def changes_table(rows, element_id: str) -> rx.Component:
    """The main figures with the change on last month and on the same month last year,
    rises in red and falls in green as Chinese tables colour them."""
    def colour(d):
        return rx.match(d, ("up", "red"), ("down", "green"), "gray")

    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for _, h in CHANGE_COLUMNS])),
        rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
            rx.table.cell(r["label"]), rx.table.cell(r["value"]), rx.table.cell(r["previous"]),
            rx.table.cell(rx.text(r["mom"], color_scheme=colour(r["mom_dir"]))),
            rx.table.cell(r["last_year"]),
            rx.table.cell(rx.text(r["yoy"], color_scheme=colour(r["yoy_dir"]))),
        ))),
        variant="surface", size="1", width="100%", id=element_id,
    )


def _report() -> rx.Component:
    return rx.cond(S.shown, rx.vstack(
        rx.heading(S.title, size="5", id="report-title"),
        _section("主要指标", changes_table(S.changes, "report-changes"),
                 rx.text("近 12 个月", size="2", color_scheme="gray"),
                 trend_chart(S.trend, TREND_LINES, "report-trend")),
        _section("一、救助对象",
                 data_table(S.tags, TAG_COLUMNS, table_id="report-tags-table"),
                 _bar_chart(S.tag_chart, [("start", "月初户数", "#8da4ef"), ("end", "月末户数", "#e5484d")],
                            "report-tags-chart")),
        _section("二、救助申请", _totals(S.application_totals, "report-applications"),
                 data_table(S.tracks, TRACK_COLUMNS, table_id="report-tracks-table")),
        _section("三、监测预警", _totals(S.warning_totals, "report-warnings"),
                 data_table(S.rules, RULE_COLUMNS, table_id="report-rules-table")),
        _section("四、转介帮扶", _totals(S.referral_totals, "report-referrals"),
                 data_table(S.kinds, KIND_COLUMNS, table_id="report-kinds-table"),
                 _bar_chart(S.kind_chart, [("dispatched", "派单", "#8da4ef"), ("completed", "办结", "#30a46c")],
                            "report-kinds-chart"),
                 data_table(S.partners, PARTNER_COLUMNS, table_id="report-partners-table")),
        _section("五、联席会议", _totals(S.meeting_totals, "report-meetings")),
        _section("六、减轻基层负担", _totals(S.burden_totals, "report-burden")),
        rx.cond(S.is_county, _section(
            "七、各乡镇情况（按超期率排序）",
            rx.text("超期率 = 月末超期的申请、预警、转介和督办事项 ÷ 月末未办结的同类事项", size="1", color_scheme="gray"),
            data_table(S.townships, TOWNSHIP_COLUMNS, table_id="report-townships-table"))),
        spacing="5", width="100%", id="report-body",
    ))


def _archive_row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["period_text"]),
        rx.table.cell(r["area_name"]),
        rx.table.cell(rx.vstack(
            rx.badge(r["status_label"], color_scheme=rx.cond(r["stale"] == "1", "orange",
                                                             rx.match(r["status"], *STATUS_COLOURS, "gray")),
                     variant="soft"),
            rx.cond(r["error"] != "", rx.text(r["error"], size="1", color_scheme="red")),
            spacing="1")),
        rx.table.cell(r["requested_by"]),
        rx.table.cell(rx.text(r["requested_at"], white_space="nowrap")),
        rx.table.cell(r["seconds"]),
        rx.table.cell(rx.hstack(
            rx.cond(r["has_pdf"] == "1",
                    rx.button("下载 PDF", size="1", variant="soft", on_click=S.download(r["id"], "pdf"),
                              id="download-pdf-" + r["id"])),
            rx.cond(r["has_xlsx"] == "1",
                    rx.button("下载 Excel", size="1", variant="soft", on_click=S.download(r["id"], "xlsx"),
                              id="download-xlsx-" + r["id"])),
            spacing="2")),
        id="archive-row-" + r["id"],
    )


def _archive() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading("报告归档", size="4"), rx.spacer(),
                  rx.button("刷新", size="1", variant="soft", on_click=S.refresh, id="report-archive-refresh"),
                  width="100%", align="center"),
        rx.cond(S.archive.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ARCHIVE_HEADERS])),
                    rx.table.body(rx.foreach(S.archive, _archive_row)),
                    variant="surface", size="1", width="100%", id="report-archive"),
                rx.text("还没有生成过报告", size="2", color_scheme="gray", id="report-archive")),
        spacing="2", width="100%",
    )


def reports_page() -> rx.Component:
    return shell("月度报告", _controls(), _progress(), _report(), _archive())
