"""数据比对导入 (/monitoring/import): a department's monthly file (医保结算, 学籍, 死亡登记 ...)
compared with the registry. Choose the source and the month, download that source's
template, upload; the import runs in the background with a progress bar, then the batch
report: rows read, matched, unmatched, invalid, warnings raised, the file's message (e.g.
the same file as an earlier batch), the rows with errors and the rows nobody matched.

A failed file writes nothing but still appears in the batch list (record_failed_batch in a
transaction of its own), so the county sees every attempt. Upload handling, the background
run, the progress holder, the upload box and the error list are the registry import's
(pages/registry_import.py); element ids carry a "mon-import-" prefix.
"""

import functools
from datetime import date

import reflex as rx

from ..components.shell import shell
from ..db.uow import unit_of_work
from ..domain.reporting import previous_month
from ..domain import monitoring as rules
from ..domain.errors import ValidationError
from ..services import department_import, monitoring_rules, registry_import
from ..services.households import today_in_china
from ..state.base import SessionState, protected, protected_background
from .meetings.common import month_value, texts
from .registry_import import (
    ErrorRow,
    Progress,
    error_list,
    error_rows,
    import_in_background,
    keep_upload,
    table,
    upload_box,
    upload_name,
)

ACTION = "monitoring.import"
UPLOAD_ID = "mon-import-upload"
SHOWN_ROWS = 200  # unmatched rows listed on the page
MAX_UPLOAD_BYTES = department_import.MAX_UPLOAD_BYTES  # department files run to a million rows
MSG_NO_SOURCE = "请选择数据来源"
MSG_NO_MONTH = "请选择数据月份"
MSG_BUSY = "上一份文件还在导入，请稍候"
MSG_NO_FILE = "请先选择要导入的 Excel 或 CSV 文件"
MSG_TOO_BIG = "文件超过 {mb} MB，请分成几个文件导入"


def _run(actor, filename: str, data: bytes, progress: Progress, *, source_code: str, period: date):
    """The import in one transaction; a failed file is rolled back whole, then recorded as a
    failed batch in a transaction of its own so the batch list shows it."""
    with unit_of_work() as session:
        report = department_import.import_department_file(
            session, actor=actor, source_code=source_code, period=period, filename=filename, data=data,
            today=today_in_china(), progress=progress)
        if report.failed:
            session.rollback()
    if report.failed:
        with unit_of_work() as session:
            report.batch_id = department_import.record_failed_batch(session, actor=actor, report=report)
    return report


class MonitoringImportState(SessionState):
    sources: list[dict[str, str]] = []
    source_code: str = ""
    period: str = ""  # the month input's value, "2026-11"
    running: bool = False
    progress: int = 0
    result: str = ""
    failed: bool = False
    counts: dict[str, str] = {}
    errors: list[ErrorRow] = []
    error_count: int = 0
    unmatched: list[dict[str, str]] = []
    unmatched_count: int = 0
    batches: list[dict[str, str]] = []
    _upload_path: str = ""
    _upload_name: str = ""
    _run_source: str = ""
    _run_period: str = ""
    _all_errors: list = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(ACTION)
        if actor is None:
            return redirect
        with unit_of_work() as session:
            self.sources = [{"value": s["code"], "label": s["name"]}
                            for s in department_import.active_sources(session, actor=actor)]
        if self.source_code not in {s["value"] for s in self.sources}:
            self.source_code = self.sources[0]["value"] if self.sources else ""
        if not self.running:
            self.period = month_value(previous_month(today_in_china()))
            self._clear()
        self._load_batches(actor)
        return None

    def _clear(self) -> None:
        self.result, self.failed, self.counts, self.progress = "", False, {}, 0
        self.errors, self.error_count, self._all_errors = [], 0, []
        self.unmatched, self.unmatched_count = [], 0

    def _load_batches(self, actor) -> None:
        with unit_of_work() as session:
            self.batches = [texts(b) for b in department_import.batches(session, actor=actor)]

    def _period(self) -> date:
        period = rules.parse_month(self.period)
        if period is None:
            raise ValidationError(MSG_NO_MONTH)
        return period

    @rx.event
    @protected(ACTION)
    def pick_source(self, actor, code: str):
        self.source_code = code if code in {s["value"] for s in self.sources} else ""

    @rx.event
    @protected(ACTION)
    def pick_period(self, actor, value: str):
        self.period = str(value or "")[:10]

    @rx.event
    @protected(ACTION)
    def refresh(self, actor):
        self._load_batches(actor)

    @rx.event
    @protected(ACTION)
    def download_template(self, actor):
        if not self.source_code:
            raise ValidationError(MSG_NO_SOURCE)
        with unit_of_work() as session:
            data = monitoring_rules.template_bytes(session, self.source_code)
        name = next((s["label"] for s in self.sources if s["value"] == self.source_code), self.source_code)
        return rx.download(data=data, filename=f"{name}导入模板.xlsx")

    @rx.event
    @protected(ACTION)
    def download_errors(self, actor):
        if not self._all_errors:
            return None
        return rx.download(data=registry_import.error_report_workbook(self._all_errors),
                           filename="数据比对错误报告.xlsx")

    @rx.event
    @protected(ACTION)
    async def upload(self, actor, files: list[rx.UploadFile]):
        if self.running:
            raise ValidationError(MSG_BUSY)
        if not self.source_code:
            raise ValidationError(MSG_NO_SOURCE)
        self._period()
        if not files:
            raise ValidationError(MSG_NO_FILE)
        name = upload_name(files[0].name)  # a path or control characters in it: refused, nothing kept
        data = await files[0].read()
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValidationError(MSG_TOO_BIG.format(mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
        self._upload_path, self._upload_name = keep_upload(name, data), name
        self._run_source, self._run_period = self.source_code, self.period
        self._clear()
        self.running = True
        return MonitoringImportState.run_import

    @rx.event(background=True)
    @protected_background(ACTION)
    async def run_import(self, actor):
        async with self:
            run = functools.partial(_run, source_code=self._run_source,
                                    period=rules.parse_month(self._run_period))
        name, report = await import_in_background(self, run, actor)
        async with self:
            self.progress = 100
            self._show(name, report)
            self._load_batches(actor)

    def _show(self, name: str, report) -> None:
        self.failed = bool(report.failed)
        self.counts = {"rows_read": str(report.rows_read), "matched": str(report.matched),
                       "unmatched": str(report.unmatched), "invalid": str(report.invalid),
                       "warnings_raised": str(report.warnings_raised), "batch_id": str(report.batch_id or ""),
                       "seconds": f"{report.seconds:.1f}" if report.seconds else "",
                       "same_file_as": str(report.same_file_as or "")}
        if report.failed:
            self.result = f"“{name}”未导入：{report.message}"
        else:
            self.result = f"“{name}”导入完成：{report.message}" if report.message else f"“{name}”导入完成"
            self.info = f"“{name}”导入完成，新增预警 {report.warnings_raised} 条"
        self._all_errors = list(report.errors)
        self.error_count = int(report.error_count or len(report.errors))
        self.errors = error_rows(report.errors)
        self.unmatched_count = int(report.unmatched)
        self.unmatched = [{"row": str(r), "id_number": str(i)} for r, i in report.unmatched_rows[:SHOWN_ROWS]]


S = MonitoringImportState


def _steps() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.text("数据来源", size="1", weight="medium"),
                      rx.select.root(
                          rx.select.trigger(placeholder="请选择数据来源", id="mon-import-source", width="18em"),
                          rx.select.content(rx.foreach(S.sources, lambda s: rx.select.item(s["label"],
                                                                                           value=s["value"]))),
                          value=S.source_code, on_change=S.pick_source),
                      spacing="1"),
            rx.vstack(rx.text("数据月份", size="1", weight="medium"),
                      rx.input(type="month", value=S.period, on_change=S.pick_period, id="mon-import-month"),
                      spacing="1"),
            rx.button(rx.icon("file_spreadsheet", size=16), "下载该来源模板", variant="outline",
                      on_click=S.download_template, id="mon-import-template-button"),
            spacing="4", align="end", wrap="wrap",
        ),
        rx.text("选择部门报送的 Excel（.xlsx）或 CSV 文件，点“开始比对”。表头须与该来源的声明一致；"
                "身份证号有误、月份不符或重复的行不参与比对，在下方列出。", size="2"),
        upload_box(UPLOAD_ID, "mon-import-selected-file"),
        rx.button("开始比对", id="mon-import-button", loading=S.running, disabled=S.running,
                  on_click=S.upload(rx.upload_files(upload_id=UPLOAD_ID))),
        spacing="3",
    )


def _count(label: str, key: str, colour: str = "gray") -> rx.Component:
    return rx.card(rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                             rx.heading(S.counts[key], size="5", color_scheme=colour, id=f"mon-import-{key}"),
                             spacing="1", align="center"), min_width="7em")


def _report() -> rx.Component:
    return rx.vstack(
        rx.cond(S.running, rx.vstack(rx.text("正在读取并比对…", size="2"),
                                     rx.progress(value=S.progress, width="32em", id="mon-import-progress"))),
        rx.cond(S.result != "", rx.cond(
            S.failed,
            rx.callout(S.result, icon="triangle_alert", color_scheme="red", width="100%", id="mon-import-result"),
            rx.callout(S.result, icon="info", color_scheme="green", width="100%", id="mon-import-result"))),
        rx.cond(S.counts.contains("rows_read") & ~S.failed,
                rx.hstack(_count("读取", "rows_read"), _count("匹配", "matched", "green"),
                          _count("未匹配", "unmatched", "orange"), _count("无效", "invalid", "red"),
                          _count("新增预警", "warnings_raised", "red"), spacing="3", wrap="wrap",
                          id="mon-import-counts")),
        rx.cond(S.counts["same_file_as"] != "",
                rx.callout(rx.text("与批次 #", S.counts["same_file_as"], " 为同一文件，已有的预警不会重复产生"), icon="copy",
                           color_scheme="amber", width="100%", id="mon-import-same-file")),
        rx.cond(S.error_count > 0, error_list(S, "mon-import-error-count", "mon-import-error-report-button",
                                              "mon-import-errors")),
        rx.cond(S.unmatched_count > 0, rx.vstack(
            rx.text("共 ", S.unmatched_count, " 行在系统中未找到对应人员（身份证号已脱敏）", size="2",
                    id="mon-import-unmatched-count"),
            table(["行号", "身份证号"], S.unmatched, lambda u: [u["row"], u["id_number"]], "mon-import-unmatched"),
            width="100%")),
        width="100%", spacing="3",
    )


def _batches() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading("导入记录", size="4"), rx.spacer(),
                  rx.button("刷新", size="1", variant="soft", on_click=S.refresh, id="mon-import-refresh"),
                  width="100%", align="center"),
        table(["批次", "来源", "月份", "文件名", "状态", "读取", "匹配", "未匹配", "无效", "新增预警", "导入人", "时间"],
              S.batches,
              lambda b: ["#" + b["id"], b["source"], b["period_text"], b["filename"],
                         rx.badge(b["status_label"], color_scheme=rx.cond(b["status"] == "failed", "red", "green"),
                                  variant="soft"),
                         b["rows_read"], b["matched"], b["unmatched"], b["invalid"], b["warnings_raised"],
                         b["imported_by"], b["created_at"]],
              "mon-import-batches"),
        width="100%", spacing="2",
    )


def monitoring_import_page() -> rx.Component:
    return shell("数据比对导入", _steps(), _report(), _batches())
