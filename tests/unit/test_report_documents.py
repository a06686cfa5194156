"""The monthly report's PDF, charts and workbook from hand-made report dicts
(tests/report_samples.py): what each section prints, that names typed as markup print as
text, that an empty month renders, and that the workbook holds numbers as numbers.

PDFs are read back with poppler's pdftotext (`flat`: reading order with whitespace removed,
so a phrase wrapped in a cell still matches; `pages`: laid out page by page)."""

import io
import re
import shutil
import sys
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lowincome_portal.documents import report_charts, report_pdf
from lowincome_portal.services.report_workbook import workbook
from tests.pdftext import flat, pages
from tests.report_samples import empty_report, sample_report, sample_trend

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>粗体</b>"
SECTION_TITLES = ["一、困难群众在册情况", "二、救助申请办理", "三、监测预警", "四、转介帮扶", "五、联席会议",
                  "六、减轻基层负担", "七、主要指标变化"]
SHEETS = ["在册情况", "救助申请", "监测预警", "转介帮扶", "联席会议", "减负", "指标变化"]


@pytest.fixture(scope="module")
def county_pdf() -> bytes:
    return report_pdf.render(sample_report(), sample_trend())


# --- charts --------------------------------------------------------------------------------

def test_a_bar_chart_keeps_its_labels_as_text_and_leaves_matplotlib_settings_alone():
    import matplotlib
    before = dict(matplotlib.rcParams)
    svg = report_charts.bar_svg(["低保", "特困"], {"月初": [12, 3], "月末": [14, 2]}, "各类别户数")
    assert svg.startswith("<svg")
    for text in ("低保", "特困", "月初", "月末", "各类别户数", ">14<"):
        assert text in svg
    assert "Noto Sans CJK SC" in svg
    assert dict(matplotlib.rcParams) == before


def test_a_line_chart_draws_gaps_and_labels_and_a_chart_label_is_escaped_in_the_svg():
    svg = report_charts.line_svg(["1月", "2月", "3月"], {"受理申请": [3, None, 5], SCRIPT: [1, 2, 3]}, "走势")
    assert "受理申请" in svg and "走势" in svg and "3月" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def _chart_set(n: int) -> list[str]:
    """A few charts differing in kind, size and labels (so a mix-up shows in the SVG)."""
    return [
        report_charts.bar_svg(["低保", "特困", "防返贫监测对象"], {"月初": [12, 3, n], "月末": [14, 2, n + 1]},
                              f"各类别户数{n}"),
        report_charts.line_svg([f"{m}月" for m in range(1, 13)], {"受理申请": [m * n for m in range(12)]},
                               f"走势{n}", size_mm=(120, 50), zero_based=False),
        report_charts.bar_svg([f"类别{k}" for k in range(11)], {"派单": list(range(11))}, "转介", size_mm=(170, 80)),
    ]


def test_charts_drawn_in_threads_at_once_come_out_as_drawn_alone():
    """rc_context changes matplotlib's global rcParams: charts drawn by several report workers
    at once must neither mix their settings nor leave them changed."""
    import threading

    import matplotlib
    report_charts.bar_svg(["低保"], {"月初": [1]})  # matplotlib loaded and its font list read
    before = dict(matplotlib.rcParams)
    alone = {n: _chart_set(n) for n in range(4)}
    results: dict[int, list[list[str]]] = {n: [] for n in range(4)}
    start = threading.Barrier(4)

    def draw(n: int) -> None:
        start.wait()
        for _ in range(3):
            results[n].append(_chart_set(n))

    threads = [threading.Thread(target=draw, args=(n,)) for n in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, so an unguarded rcParams shows
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    for n in range(4):
        assert len(results[n]) == 3 and all(drawn == alone[n] for drawn in results[n])
    assert dict(matplotlib.rcParams) == before


def test_charts_refuse_series_that_do_not_match_their_labels():
    with pytest.raises(ValueError):
        report_charts.bar_svg(["低保", "特困"], {"月初": [1]})
    with pytest.raises(ValueError):
        report_charts.line_svg(["1月"], {"受理": [1, 2]})


def test_an_svg_carrying_markup_is_refused_before_it_reaches_the_page():
    hostile = ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
               '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>')
    for svg in hostile:
        with pytest.raises(ValueError):
            report_pdf._checked_svg(svg)


# --- the PDF -------------------------------------------------------------------------------

@needs_poppler
def test_the_county_report_prints_every_section_with_its_figures(county_pdf):
    text = flat(county_pdf)
    assert "垫江县农村低收入人口常态化救助帮扶月度报告" in text
    assert "（垫江县2026年11月）" in text
    assert "2026年11月1日至2026年11月30日" in text
    assert "生成时间：2026年12月1日08:30" in text
    for section in SECTION_TITLES + ["八、各乡镇情况"]:
        assert section in text
    # a number from each table
    assert "防返贫监测对象51779515169523301688" in text           # tag row
    assert "合计2397412724115513106685551" in text                  # distinct households
    assert "防返贫监测15121111" in text                             # by track
    assert "中位数12.5个工作日" in text
    assert "年度医疗自付费用过高1412102" in text                    # by rule
    assert "医疗救助1212101" in text and "61,830.50" in text       # by kind
    assert "重庆市垫江县红十字会98611" in text and "12,000.00" in text  # by partner
    assert "22675" in text                                          # meetings: held, decisions, ...
    assert "75.0%" in text and "合并走访减少入户（次）17" in text   # burden
    assert "受理申请625024.0%" not in text and "受理申请6250+24.0%45+37.8%" in text  # changes
    assert "帮扶金额（元）161,930.50150,100.00+7.9%" in text


@needs_poppler
def test_the_charts_print_their_titles_and_labels_as_text(county_pdf):
    text = flat(county_pdf)
    for label in ("各类别在册户数（月初、月末）", "各救助类别转介件数", "近12个月走势（2025年12月—2026年11月）",
                  "各项办理件数", "在册户数", "帮扶金额（元）", "12月1月2月"):
        assert label in text
    # the kind chart's axis labels and values, not only the table's
    assert text.count("医疗救助") >= 2


@needs_poppler
def test_townships_print_in_the_given_order_with_their_overdue_rate(county_pdf):
    text = flat(county_pdf)
    section = text[text.index("八、各乡镇情况"):]
    order = [section.index(name) for name in ("新民镇", "沙坪镇", "周嘉镇", "桂溪街道", "普顺镇", "永安镇")]
    assert order == sorted(order)
    assert "6/2030.0%" in section and "1/128.3%" in section
    assert "0/0—" in section  # nothing open: no rate


@needs_poppler
def test_every_page_is_numbered_with_the_total(county_pdf):
    laid_out = pages(county_pdf)
    assert len(laid_out) >= 2
    for number, page in enumerate(laid_out, start=1):
        assert re.search(rf"第 {number} 页，?\s*共 {len(laid_out)} 页", page), page[-200:]


@needs_poppler
def test_a_township_report_has_no_township_section_and_no_trend_without_one():
    report = sample_report(county=False)
    del report["trend"]
    text = flat(report_pdf.render(report))
    assert "（新民镇2026年11月）" in text
    assert "七、主要指标变化" in text
    assert "八、各乡镇情况" not in text and "近12个月走势" not in text


@needs_poppler
def test_names_typed_as_markup_print_as_text():
    report = sample_report()
    report["area_name"] = f"{SCRIPT}垫江县"
    report["referrals"]["by_partner"][0]["label"] = f"{BOLD}慈善会"
    report["referrals"]["by_kind"][0]["label"] = f"{SCRIPT}临时"
    report["townships"][0]["area_name"] = f"{BOLD}新民镇"
    report["warnings"]["by_rule"][0]["label"] = '"><img src=x onerror=alert(1)>'
    text = flat(report_pdf.render(report, sample_trend()))
    assert f"（{SCRIPT}垫江县2026年11月）" in text
    assert f"{BOLD}慈善会" in text
    assert text.count(f"{SCRIPT}临时") >= 2  # the table and the chart's axis
    assert f"{BOLD}新民镇" in text
    assert '"><imgsrc=xonerror=alert(1)>' in text


@needs_poppler
def test_an_empty_month_renders_with_zeros_and_dashes():
    for county in (True, False):
        report = empty_report(county=county)
        zero_trend = [row | {k: 0 for k in row if k not in ("period", "period_text")} for row in sample_trend()]
        for trend in (None, zero_trend):
            text = flat(report_pdf.render(report, trend))
            for section in SECTION_TITLES:
                assert section in text
            assert "本月无办结申请" in text
            assert "（无）" in text  # tables without rows say so
            assert "预填率—" in text
            assert ("八、各乡镇情况" in text) is county


def test_a_report_with_minimal_keys_still_renders():
    """A month's figures before `changes` are added (month_figures alone) print too."""
    report = sample_report(county=False)
    del report["changes"], report["generated_at"], report["trend"], report["level"]
    assert report_pdf.render(report).startswith(b"%PDF")


def test_figures_computed_with_numpy_print_like_python_numbers():
    numpy = pytest.importorskip("numpy")
    report = sample_report(county=False)
    report["meetings"] = {k: numpy.int64(v) for k, v in report["meetings"].items()}
    report["referrals"]["amount"] = numpy.float64(161930.5)
    assert report_pdf.render(report).startswith(b"%PDF")


# --- the workbook --------------------------------------------------------------------------

def _sheets(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_the_workbook_has_a_sheet_per_section_with_numbers_as_numbers():
    sheets = _sheets(workbook(sample_report(), sample_trend()))
    assert list(sheets) == SHEETS + ["各乡镇", "月度趋势"]
    tags = sheets["在册情况"]
    assert tags[0][:2] == ("类别", "月初户数")
    assert tags[-1] == ("合计", 2397, 41, 27, 2411, 5513, 106, 68, 5551)
    assert sheets["救助申请"][-1] == ("合计", 62, 53, 44, 9, 4, 12.5)
    assert ("年度医疗自付费用过高", 14, 12, 10, 2) in sheets["监测预警"]
    referrals = sheets["转介帮扶"]
    assert ("按救助类别", "医疗救助", 12, 12, 10, 1, 61830.5) in referrals
    assert ("按帮扶单位", "垫江县慈善会", 14, 13, 12, 0, 31100) in referrals
    assert referrals[-1] == ("合计", None, 61, 56, 47, 4, 161930.5)
    assert ("召开会议（次）", 22) in sheets["联席会议"]
    assert ("预填率（%）", 75) in sheets["减负"]
    assert ("受理申请", 62, 50, 24.0, 45, 37.8) in sheets["指标变化"]
    townships = sheets["各乡镇"]
    assert townships[0][:3] == ("排名", "乡镇（街道）", "区划代码")
    assert townships[1][:3] == (1, "新民镇", "500231100000")  # the code stays text
    assert townships[1][-3:] == (6, 20, 30)
    assert townships[-1][-1] is None  # no open items: no rate
    trend = sheets["月度趋势"]
    assert trend[1][0] == "2025年12月" and trend[-1][0] == "2026年11月"
    assert trend[-1][1:3] == (2411, 5551)
    for rows in sheets.values():
        for row in rows[1:]:
            for value in row:
                assert not (isinstance(value, str) and re.fullmatch(r"-?[\d,]+(\.\d+)?", value)
                            and len(value) < 12), (row, value)  # a number written as text


def test_a_township_workbook_has_no_township_sheet_and_takes_the_report_s_own_trend():
    report = sample_report(county=False)
    assert list(_sheets(workbook(report))) == SHEETS + ["月度趋势"]
    del report["trend"]
    assert list(_sheets(workbook(report))) == SHEETS


def test_an_empty_month_workbook_opens_with_zeros():
    sheets = _sheets(workbook(empty_report(), []))
    assert list(sheets) == SHEETS + ["各乡镇"]
    assert sheets["救助申请"] == [sheets["救助申请"][0], ("合计", 0, 0, 0, 0, 0, None)]
    assert sheets["转介帮扶"][-1] == ("合计", None, 0, 0, 0, 0, 0)
    assert ("预填率（%）", None) in sheets["减负"]


def test_numpy_figures_are_written_as_numbers():
    numpy = pytest.importorskip("numpy")
    report = sample_report(county=False)
    report["meetings"] = {k: numpy.int64(v) for k, v in report["meetings"].items()}
    report["referrals"]["amount"] = numpy.float64(161930.5)
    report["referrals"]["by_kind"][0]["amount"] = Decimal("42500.00")
    sheets = _sheets(workbook(report))
    assert ("召开会议（次）", 22) in sheets["联席会议"]
    assert sheets["转介帮扶"][-1][-1] == 161930.5
    assert sheets["转介帮扶"][1][-1] == 42500


def test_the_sample_is_consistent():
    """The shared sample's numbers agree, so other tests may rely on any of them."""
    report = sample_report()
    for row in report["tags"]:
        assert row["households_start"] + row["households_new"] - row["households_exited"] == row["households_end"]
        assert row["persons_start"] + row["persons_new"] - row["persons_exited"] == row["persons_end"]
    refs = report["referrals"]
    for key in ("dispatched", "claimed", "completed", "overdue", "amount"):
        assert sum(row[key] for row in refs["by_kind"]) == refs[key]
        assert sum(row[key] for row in refs["by_partner"]) == refs[key]
    trend = sample_trend()
    assert trend[-1]["period"] == report["period"] == date(2026, 11, 1).isoformat()
    assert report["trend"] == trend
    assert all(trend[-1][row["key"]] == row["value"] for row in report["changes"])
    rates = [t["overdue_rate"] for t in report["townships"]]
    assert rates[:-1] == sorted(rates[:-1], reverse=True) and rates[-1] is None
