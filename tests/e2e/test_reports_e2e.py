"""The monthly report and the leaders' summary in a real browser, as the county leader: open
the report page, generate last month's report in the background, download the PDF and the
Excel workbook (the PDF's Chinese text checked and its first page rendered to PNG), then the
summary with its township table and a drill-down to one township."""

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from lowincome_portal.db.engine import engine_for
from lowincome_portal.db.tables import MonthlyReport
from tests.pdftext import flat

from .conftest import ARTIFACTS, screenshot
from .test_registry_e2e import sign_in

pytestmark = pytest.mark.e2e

XINMIN = "500231100000"


def _download(page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.locator(button).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_the_county_leader_reads_the_report_downloads_it_and_drills_into_a_township(
        portal_url, portal_db, new_page, tmp_path):
    page = new_page()
    sign_in(page, portal_url, "lingdao")
    page.goto(f"{portal_url}/reports")
    expect(page.locator("#report-tags-table")).to_contain_text("低保")
    expect(page.locator("#report-townships-table")).to_contain_text("新民镇")
    screenshot(page, "report-1-page")

    # generate in the background, then download both files from the archive
    page.locator("#report-generate").click()
    engine = engine_for(portal_db)

    def latest() -> MonthlyReport | None:
        with Session(engine) as s:
            return s.exec(select(MonthlyReport).order_by(col(MonthlyReport.id).desc())).first()

    expect(page.locator("#report-archive")).to_contain_text("已完成", timeout=60_000)
    report = latest()
    assert report is not None and report.status == "done"
    pdf = _download(page, f"#download-pdf-{report.id}", tmp_path)
    text = flat(pdf.read_bytes())
    assert "垫江县农村低收入人口常态化救助帮扶月度报告" in text
    assert "困难群众在册情况" in text and "第1页" in text
    png = ARTIFACTS / "report-pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(png)], check=True)
    xlsx = _download(page, f"#download-xlsx-{report.id}", tmp_path)
    book = load_workbook(xlsx)
    assert "在册情况" in book.sheetnames and "各乡镇" in book.sheetnames
    screenshot(page, "report-2-archive")

    # the leaders' summary: figures at a glance, trends, townships ranked; drill into one
    page.goto(f"{portal_url}/summary")
    expect(page.locator("#summary-cards")).to_be_visible()
    expect(page.locator("#summary-trend")).to_be_visible()
    expect(page.locator("#summary-townships")).to_contain_text("新民镇")
    screenshot(page, "report-3-summary")
    page.locator(f"#township-link-{XINMIN}").click()
    expect(page.locator("#summary-back")).to_be_visible()
    expect(page.locator("#summary-cards")).to_be_visible()
    screenshot(page, "report-4-township")
    page.locator("#summary-back").click()
    expect(page.locator("#summary-townships")).to_contain_text("沙坪镇")
