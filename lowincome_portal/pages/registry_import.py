"""Registry import (/registry/import): template download, upload, a background import with a
progress bar, and the row-by-row error report when the file has mistakes (nothing saved).

The module functions (receiving and keeping the upload, running the import in a thread,
the upload box and the error list) serve the application import page too, so both
imports take a file and explain its mistakes the same way."""

import asyncio
import tempfile
import threading
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import reflex as rx

from ..components.shell import shell
from ..db.uow import unit_of_work
from ..domain.errors import ValidationError
from ..services import registry_import, spreadsheets
from ..state.base import SessionState, protected, protected_background

UPLOAD_ID = "registry-upload"
SHOWN_ERRORS = 200
MAX_NAME_LENGTH = 200
MSG_NO_NAME = "上传的文件没有文件名，请重新选择文件"
MSG_LONG_NAME = "文件名超过 {limit} 个字符，请改短后重新上传"
MSG_BAD_NAME = "文件名不合法：不能含有路径（/ 或 \\）或控制字符，请改名后重新上传"
MSG_OLD_EXCEL = "文件“{name}”是旧版 Excel（.xls）格式，请在 Excel 中“另存为” .xlsx 或 .csv 后再导入"
MSG_NOT_TABLE = "文件“{name}”不是表格文件，请上传 .xlsx 或 .csv 文件"


class ErrorRow(TypedDict):
    row: str
    column: str
    reason: str


class Progress:
    """Shared between the import thread and the task that shows it."""

    def __init__(self):
        self.done, self.total = 0, 0
        self.lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        with self.lock:
            self.done, self.total = done, total

    def percent(self) -> int:
        with self.lock:
            return int(self.done * 100 / self.total) if self.total else 0


def _run(actor, filename: str, data: bytes, progress: Progress):
    """The import in one transaction; rolled back whole when the file has any error."""
    with unit_of_work() as session:
        report = registry_import.import_registry(session, actor, filename, data, progress=progress)
        if not report.ok:
            session.rollback()
    return report


async def receive_upload(files: list[rx.UploadFile], running: bool) -> tuple[str, str]:
    """The chosen file kept on disk: (path, file name). Refuses while another file is still
    importing, without a file, or over the upload limit."""
    if running:
        raise ValidationError("上一份文件还在导入，请稍候")
    if not files:
        raise ValidationError("请先选择要导入的 Excel 或 CSV 文件")
    file = files[0]
    name = upload_name(file.name)
    data = await file.read()
    if len(data) > registry_import.MAX_UPLOAD_BYTES:
        raise ValidationError("文件超过 20 MB，请分成几个文件导入")
    return keep_upload(name, data), name


def upload_name(raw: str | None) -> str:
    """The file name the browser sent, checked before the file is kept. A browser sends a
    bare name ("低保名册.xlsx"); a name carrying a path ("../../etc/passwd.csv", "C:\\x.xlsx"),
    control characters (a NUL) or another file type comes from a crafted request or the
    wrong file, and is refused here, so such a file is never written to disk at all."""
    name = str(raw or "").strip()
    if not name:
        raise ValidationError(MSG_NO_NAME)
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(MSG_LONG_NAME.format(limit=MAX_NAME_LENGTH))
    if "/" in name or "\\" in name or any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValidationError(MSG_BAD_NAME)
    lower = name.lower()
    if lower.endswith(".xls"):
        raise ValidationError(MSG_OLD_EXCEL.format(name=name))
    if not lower.endswith(spreadsheets.SPREADSHEET_EXTENSIONS):
        raise ValidationError(MSG_NOT_TABLE.format(name=name))
    return name


def keep_upload(name: str, data: bytes) -> str:
    """Save an upload for the background task (held on disk between the upload and the task,
    never in the state); returns the path. The file is named by a random id plus the suffix
    of `name` (.xlsx or .csv only), so no part of a client's name reaches the file system."""
    folder = Path(tempfile.gettempdir()) / "lowincome-portal-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}{suffix if suffix in spreadsheets.SPREADSHEET_EXTENSIONS else ''}"
    path.write_bytes(data)
    return str(path)


async def import_in_background(state: SessionState, run: Callable[..., Any], actor) -> tuple[str, Any]:
    """Run `run(actor, name, data, progress)` on the upload `state` kept (its _upload_path and
    _upload_name) in a worker thread, copying the progress into `state.progress` meanwhile.
    The upload is deleted and `state.running` cleared however it ends. Returns (name, report)."""
    async with state:
        path, name = Path(state._upload_path), state._upload_name
    progress = Progress()
    try:
        data = path.read_bytes() if path.is_file() else b""
        task = asyncio.create_task(asyncio.to_thread(run, actor, name, data, progress))
        while not task.done():
            await asyncio.sleep(0.4)
            async with state:
                state.progress = progress.percent()
        report = task.result()
    finally:
        path.unlink(missing_ok=True)
        async with state:
            state.running = False
            state._upload_path = ""
    return name, report


def error_rows(errors: list) -> list[ErrorRow]:
    """The first SHOWN_ERRORS errors of a report as the page's table shows them."""
    return [ErrorRow(row=str(r) if r else "整个文件", column=c or "—", reason=m)
            for r, c, m in errors[:SHOWN_ERRORS]]


class RegistryImportState(SessionState):
    running: bool = False
    progress: int = 0
    result: str = ""
    errors: list[ErrorRow] = []
    error_count: int = 0
    _upload_path: str = ""
    _upload_name: str = ""
    _all_errors: list = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter("registry.import")
        if actor is not None and not self.running:
            self.result, self.errors, self.error_count, self.progress = "", [], 0, 0
        return redirect

    @rx.event
    @protected("registry.import")
    def download_template(self, actor):
        return rx.download(data=registry_import.template_workbook(), filename="家庭成员导入模板.xlsx")

    @rx.event
    @protected("registry.import")
    def download_errors(self, actor):
        if not self._all_errors:
            return None
        return rx.download(data=registry_import.error_report_workbook(self._all_errors),
                           filename="导入错误报告.xlsx")

    @rx.event
    @protected("registry.import")
    async def upload(self, actor, files: list[rx.UploadFile]):
        self._upload_path, self._upload_name = await receive_upload(files, self.running)
        self.running, self.progress = True, 0
        self.result, self.errors, self.error_count, self._all_errors = "", [], 0, []
        return RegistryImportState.run_import

    @rx.event(background=True)
    @protected_background("registry.import")
    async def run_import(self, actor):
        name, report = await import_in_background(self, _run, actor)
        async with self:
            self.progress = 100
            if report.ok:
                self.result = f"导入成功：{report.households} 户、{report.members} 人"
                self.info = f"“{name}”{self.result}"
            else:
                self.result = "文件有错误，未导入任何数据。请按下表修改后重新导入。"
                self._all_errors = list(report.errors)
                self.error_count = report.error_count
                self.errors = error_rows(report.errors)


def _steps() -> rx.Component:
    S = RegistryImportState
    return rx.vstack(
        rx.text("1. 下载模板，按模板填写（每行一名家庭成员，同一户的成员填写相同的户主身份证号）。", size="2"),
        rx.button(rx.icon("file_spreadsheet", size=16), "下载导入模板", variant="outline",
                  on_click=S.download_template, id="template-button"),
        rx.text("2. 选择填好的 Excel（.xlsx）或 CSV 文件（不超过 20 MB），点“开始导入”。"
                "文件中只要有一处错误，整份文件都不会导入。", size="2"),
        upload_box(UPLOAD_ID, "selected-file"),
        rx.button("开始导入", id="import-button", loading=S.running, disabled=S.running,
                  on_click=S.upload(rx.upload_files(upload_id=UPLOAD_ID))),
        spacing="3",
    )


def upload_box(upload_id: str, selected_id: str) -> rx.Component:
    """The drop zone for one .xlsx or .csv file, naming the chosen file (element id `selected_id`)."""
    return rx.upload(
        rx.vstack(
            rx.icon("upload", size=28, color="var(--gray-9)"),
            rx.text("把文件拖到这里，或点击选择文件", size="2"),
            rx.foreach(rx.selected_files(upload_id),
                       lambda f: rx.text(f, weight="bold", id=selected_id)),
            align="center",
        ),
        id=upload_id,
        max_files=1,
        accept={"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
                "text/csv": [".csv"]},
        border="1px dashed var(--gray-7)",
        padding="1.5em",
        width="32em",
    )


def table(headers: list[str], rows, cells: Callable[[Any], list], table_id: str) -> rx.Component:
    """A plain table of `rows` (a state list), each row's cells given by `cells(row)`."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(rows, lambda r: rx.table.row(*[rx.table.cell(c) for c in cells(r)]))),
        variant="surface", size="1", width="100%", id=table_id,
    )


def error_list(S, count_id: str, button_id: str, table_id: str) -> rx.Component:
    """The error count, the error report download and the table of the first errors of state `S`
    (an import page's state: error_count, errors, download_errors)."""
    return rx.vstack(
        rx.hstack(
            rx.text("共 ", S.error_count, " 处错误", color_scheme="red", id=count_id),
            rx.button(rx.icon("download", size=16), "下载错误报告", variant="outline",
                      on_click=S.download_errors, id=button_id),
            align="center", spacing="3",
        ),
        table(["行号", "列", "错误原因"], S.errors, lambda e: [e["row"], e["column"], e["reason"]], table_id),
        width="100%",
    )


def _outcome() -> rx.Component:
    S = RegistryImportState
    return rx.vstack(
        rx.cond(S.running, rx.vstack(rx.text("正在检查并导入…", size="2"),
                                     rx.progress(value=S.progress, width="32em", id="import-progress"))),
        rx.cond(S.result != "", rx.text(S.result, weight="bold", id="import-result")),
        rx.cond(S.error_count > 0, error_list(S, "error-count", "error-report-button", "import-errors")),
        width="100%",
        spacing="3",
    )


def registry_import_page() -> rx.Component:
    return shell("批量导入家庭成员", _steps(), _outcome())
