"""Application import (/applications/import): applications taken through 渝快办, 救助通 and
other channels, from their exports. Template download, upload, a background import with a
progress bar, then either the new tracking numbers or the row-by-row error report
(nothing saved). The registry import page (pages/registry_import.py) is the model: its
upload handling, background run, progress holder, upload box and error list are reused,
and element ids mirror its ids with an "app-import-" prefix."""

from typing import TypedDict

import reflex as rx

from .. import routes
from ..components.shell import shell
from ..db.uow import unit_of_work
from ..services import application_import
from ..state.base import SessionState, protected, protected_background
from .registry_import import (
    ErrorRow,
    Progress,
    error_list,
    error_rows,
    import_in_background,
    receive_upload,
    table,
    upload_box,
)

ACTION = application_import.ACTION
UPLOAD_ID = "app-import-upload"
SHOWN_CREATED = 200  # rows of new applications listed on the page; the workbook has them all


class CreatedRow(TypedDict):
    tracking_no: str
    external_ref: str
    channel: str
    applicant_name: str
    members: str
    url: str


def _run(actor, filename: str, data: bytes, progress: Progress):
    """The import in one transaction; rolled back whole when the file has any error."""
    with unit_of_work() as session:
        report = application_import.import_applications(session, actor=actor, filename=filename, data=data,
                                                        progress=progress)
        if not report.ok:
            session.rollback()
    return report


class ApplicationImportState(SessionState):
    running: bool = False
    progress: int = 0
    result: str = ""
    errors: list[ErrorRow] = []
    error_count: int = 0
    created: list[CreatedRow] = []
    created_count: int = 0
    _upload_path: str = ""
    _upload_name: str = ""
    _all_errors: list = []
    _all_created: list = []

    @rx.event
    def on_enter(self):
        actor, redirect = self._enter(ACTION)
        if actor is not None and not self.running:
            self._clear()
        return redirect

    def _clear(self) -> None:
        self.result, self.errors, self.error_count, self.progress = "", [], 0, 0
        self.created, self.created_count, self._all_errors, self._all_created = [], 0, [], []

    @rx.event
    @protected(ACTION)
    def download_template(self, actor):
        return rx.download(data=application_import.template_workbook(), filename="申请导入模板.xlsx")

    @rx.event
    @protected(ACTION)
    def download_errors(self, actor):
        if not self._all_errors:
            return None
        return rx.download(data=application_import.error_report_workbook(self._all_errors),
                           filename="申请导入错误报告.xlsx")

    @rx.event
    @protected(ACTION)
    def download_created(self, actor):
        if not self._all_created:
            return None
        return rx.download(data=application_import.created_workbook(self._all_created),
                           filename="导入申请受理编号.xlsx")

    @rx.event
    @protected(ACTION)
    async def upload(self, actor, files: list[rx.UploadFile]):
        self._upload_path, self._upload_name = await receive_upload(files, self.running)
        self._clear()
        self.running = True
        return ApplicationImportState.run_import

    @rx.event(background=True)
    @protected_background(ACTION)
    async def run_import(self, actor):
        name, report = await import_in_background(self, _run, actor)
        async with self:
            self.progress = 100
            if report.ok:
                self._show_created(name, report)
            else:
                self.result = "文件有错误，未导入任何申请。请按下表修改后重新导入。"
                self._all_errors = list(report.errors)
                self.error_count = report.error_count
                self.errors = error_rows(report.errors)

    def _show_created(self, name: str, report) -> None:
        self.result = (f"导入成功：{report.applications} 份申请（申请人及家庭成员共 {report.rows} 人），"
                       "均为“待受理”，请乡镇（街道）及时受理")
        self.info = f"“{name}”{self.result}"
        self._all_created = list(report.created)
        self.created_count = len(report.created)
        self.created = [CreatedRow(tracking_no=c["tracking_no"], external_ref=c["external_ref"],
                                   channel=c["channel"], applicant_name=c["applicant_name"],
                                   members=str(c["members"]), url=routes.application(c["application_id"]))
                        for c in report.created[:SHOWN_CREATED]]


def _steps() -> rx.Component:
    S = ApplicationImportState
    return rx.vstack(
        rx.text("1. 下载模板，把渝快办、救助通等渠道导出的申请整理到模板中（每行一人：申请人一行、每位家庭成员一行，"
                "同一份申请的各行填写相同的外部申请编号）。", size="2"),
        rx.button(rx.icon("file_spreadsheet", size=16), "下载导入模板", variant="outline",
                  on_click=S.download_template, id="app-import-template-button"),
        rx.text("2. 选择填好的 Excel（.xlsx）或 CSV 文件（不超过 20 MB），点“开始导入”。文件中只要有一处错误，"
                "整份文件都不会导入；导入的申请为“待受理”，由乡镇（街道）受理。", size="2"),
        upload_box(UPLOAD_ID, "app-import-selected-file"),
        rx.button("开始导入", id="app-import-button", loading=S.running, disabled=S.running,
                  on_click=S.upload(rx.upload_files(upload_id=UPLOAD_ID))),
        spacing="3",
    )


def _created() -> rx.Component:
    S = ApplicationImportState
    return rx.vstack(
        rx.hstack(
            rx.text("共 ", S.created_count, " 份申请", id="app-import-created-count"),
            rx.button(rx.icon("download", size=16), "下载受理编号清单", variant="outline",
                      on_click=S.download_created, id="app-import-created-button"),
            align="center", spacing="3",
        ),
        table(["受理编号", "外部申请编号", "申请渠道", "申请人", "家庭成员"], S.created,
               lambda c: [rx.link(c["tracking_no"], href=c["url"]), c["external_ref"], c["channel"],
                          c["applicant_name"], c["members"]],
               "app-import-created"),
        width="100%",
    )


def _outcome() -> rx.Component:
    S = ApplicationImportState
    return rx.vstack(
        rx.cond(S.running, rx.vstack(rx.text("正在检查并导入…", size="2"),
                                     rx.progress(value=S.progress, width="32em", id="app-import-progress"))),
        rx.cond(S.result != "", rx.text(S.result, weight="bold", id="app-import-result")),
        rx.cond(S.created_count > 0, _created()),
        rx.cond(S.error_count > 0, error_list(S, "app-import-error-count", "app-import-error-report-button",
                                              "app-import-errors")),
        width="100%",
        spacing="3",
    )


def application_import_page() -> rx.Component:
    return shell("申请导入", _steps(), _outcome())
