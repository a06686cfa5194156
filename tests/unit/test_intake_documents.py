"""Intake documents as PDF: what a posted notice shows, and what it must never show.

Each document is rendered once per module and read back with poppler's pdftotext:
`-layout` for the page-by-page view (running heading, repeated table header, page
numbers), `-raw` with whitespace removed for phrases that may wrap inside a table cell
("（含未成年人2人）" split over two lines is still on the page).
"""

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.services.intake_documents import (
    disclosure_pdf,
    income_band,
    notice_pdf,
    refusal_notice_pdf,
)
from tests.idnumbers import make_id
from tests.pdftext import flat, pages, pdf_text

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
                                reason="needs poppler-utils (pdftotext, pdffonts)")

POSTED, ENDS = date(2026, 12, 1), date(2026, 12, 7)
APPLICANT_ID = make_id(birth=date(1970, 5, 6), seq=11)
SPOUSE_ID = make_id(birth=date(1972, 8, 9), seq=22)
CHILD_ID = make_id(birth=date(2015, 1, 2), seq=31)
PHONE, BANK = "13812345678", "6228480000123456789"
ILLNESS, DISABILITY = "尿毒症血液透析", "肢体残疾二级"
OFFICE = "新民镇社会事务办公室 023-74511234"


def household(index: int = 0, **overrides) -> dict:
    """A notice row carrying every private value a careless caller might leave in."""
    row = {
        "applicant_name": f"张{index}强" if index else "张大强",
        "applicant_id_number": make_id(birth=date(1960 + index % 30, 3, 4), seq=100 + index),
        "applicant_phone": PHONE, "phone": PHONE, "bank_account": BANK,
        "health": ILLNESS, "disability": DISABILITY, "illness": ILLNESS,
        "member_count": 4,
        "members": [
            {"name": "李秀英", "birth_date": date(1972, 8, 9), "phone": PHONE, "health": ILLNESS},
            {"name": "张小明", "birth_date": date(2015, 1, 2)},       # minor
            {"name": "张小红", "id_number": CHILD_ID},                 # minor, age from the ID number
            {"name": "张满", "birth_date": date(2008, 12, 1)},         # 18 on the posting day: named
        ],
        "categories": ["低保"],
        "per_capita_monthly_income": Decimal("356.20"),
    }
    return row | overrides


NOTICE = {
    "county": "垫江县", "township": "新民镇", "village": "凤凰村", "track": "assistance",
    "posted_on": POSTED, "ends_on": ENDS, "contact": f"{OFFICE} <b>办公室</b>",
    "issued_by": "新民镇人民政府",
    "rows": [
        household(0, applicant_id_number=APPLICANT_ID, categories=["特困", "低保边缘"],
                  members=household()["members"] + [{"name": "<i>李四</i>", "birth_date": date(1990, 1, 1)}]),
        household(1, applicant_name="<script>x</script>", per_capita_monthly_income=Decimal("400")),
        household(2, applicant_name="王小龙", applicant_id_number=make_id(birth=date(2010, 2, 3), seq=41),
                  members=[]),
    ],
}


@pytest.fixture(scope="module")
def notice() -> bytes:
    return notice_pdf(NOTICE)


@pytest.fixture(scope="module")
def disclosure() -> bytes:
    rows = [household(0, applicant_id_number=APPLICANT_ID, start_on=date(2027, 1, 1)),
            household(1, applicant_name="<b>王</b>", categories="防返贫监测对象（边缘易致贫户）",
                      start_on=date(2027, 1, 1))]
    return disclosure_pdf({**NOTICE, "track": "monitoring", "contact": "023-74511234", "rows": rows})


LETTER = {
    "county": "垫江县", "track": "assistance", "tracking_no": "SQ20261015-0007",
    "applicant_name": "张大强", "applied_on": date(2026, 10, 15), "decided_on": date(2026, 12, 10),
    "reasons": "家庭人均月收入高于本县低保标准。\n\n家庭成员名下登记有小型轿车一辆。\n<script>alert(1)</script>",
    "moved_to": ["低保边缘"], "issued_by": "垫江县民政局",
    "applicant_id_number": APPLICANT_ID, "phone": PHONE, "bank_account": BANK,
}


@pytest.fixture(scope="module")
def letter() -> bytes:
    return refusal_notice_pdf(LETTER)


def test_every_document_is_set_in_the_cjk_font(notice, disclosure, letter):
    # a missing font would print tofu boxes: every embedded face must be Noto CJK SC
    for pdf in (notice, disclosure, letter):
        listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        faces = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
        assert faces and all(re.search(r"Noto-(Serif|Sans)-CJK-SC", face) for face in faces), listing
        assert any("Serif" in face for face in faces) and any("Sans" in face for face in faces)


def test_notice_title_period_and_how_to_object(notice):
    text = flat(notice)
    assert "垫江县新民镇凤凰村最低生活保障等社会救助对象审核确认公示" in text
    assert "公示期：2026年12月1日至2026年12月7日" in text
    for way in ("当面反映", "电话反映：新民镇社会事务办公室023-74511234", "书面反映"):
        assert way in text
    assert "不公布未成年人姓名" in text and "新民镇人民政府" in text


def test_notice_names_and_masks(notice):
    text = flat(notice)
    assert "张大强" in text
    assert APPLICANT_ID[:6] + "********" + APPLICANT_ID[-4:] in text
    assert APPLICANT_ID not in text and APPLICANT_ID not in pdf_text(notice)
    assert "特困、低保边缘" in text and "李秀英" in text


def test_notice_never_prints_phone_bank_or_health(notice):
    text = flat(notice)
    for private in (PHONE, BANK, ILLNESS, DISABILITY, SPOUSE_ID, CHILD_ID):
        assert private not in text


def test_minors_are_counted_not_named(notice):
    text = flat(notice)
    assert "张小明" not in text and "张小红" not in text
    assert "（含未成年人2人）" in text
    assert "张满" in text  # 18 on the posting day
    # an applicant under 18 shows as surname + *
    assert "王**" in text and "王小龙" not in text


def test_income_is_a_band_only(notice):
    text = flat(notice)
    assert "300-400元" in text and "400-500元" in text
    assert "356.2" not in text


def test_income_band_width_is_a_parameter():
    assert income_band(Decimal("356.20")) == "300-400元"
    assert income_band(Decimal("356.20"), 50) == "350-400元"
    assert income_band(Decimal("400")) == "400-500元"
    assert income_band(Decimal("0")) == "0-100元"
    assert income_band(Decimal("-12")) == "0元以下"
    assert income_band(None) == "—"
    assert income_band(Decimal("1234.5"), Decimal("12.5")) == "1225-1237.5元"
    assert "350-400元" in flat(notice_pdf(NOTICE, income_band_width=50))


def test_markup_in_free_text_prints_literally(notice, disclosure, letter):
    assert "<script>x</script>" in flat(notice)
    assert "<i>李四</i>" in flat(notice)
    assert "<b>办公室</b>" in flat(notice)
    assert "<b>王</b>" in flat(disclosure)
    assert "<script>alert(1)</script>" in flat(letter)


def test_a_long_notice_repeats_heading_and_table_header_on_every_page():
    rows = [household(i) for i in range(60)]
    pdf = notice_pdf({**NOTICE, "rows": rows})
    printed = pages(pdf)
    assert len(printed) >= 3
    total = len(printed)
    for number, page in enumerate(printed, start=1):
        assert "垫江县新民镇凤凰村 · 最低生活保障等社会救助对象审核确认公示" in page
        assert f"第 {number} 页，共 {total} 页" in page
        if "500231****" in page:  # a page with rows has the column heads
            assert re.search(r"序号\s+申请人\s+身份证号码\s+家庭人口\s+家庭成员", page), page
    assert sum("身份证号码" in page for page in printed) >= 2
    assert "张59强" in flat(pdf)


def test_monitoring_notice_title():
    pdf = notice_pdf({**NOTICE, "track": "monitoring",
                      "rows": [household(categories=["防返贫监测对象（边缘易致贫户）"])]})
    text = flat(pdf)
    assert "垫江县新民镇凤凰村防止返贫监测对象民主评议公示" in text
    assert "防返贫监测对象（边缘易致贫户）" in text


def test_notice_refuses_an_applicants_phone_as_contact():
    with pytest.raises(ValidationError, match="电话"):
        notice_pdf({**NOTICE, "contact": f"张大强 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}"})
    with pytest.raises(ValidationError):
        notice_pdf({**NOTICE, "contact": ""})
    with pytest.raises(ValidationError):
        notice_pdf({**NOTICE, "ends_on": date(2026, 11, 30)})


def test_disclosure_rows(disclosure):
    text = flat(disclosure)
    assert "垫江县新民镇凤凰村防止返贫监测对象认定结果公开" in text
    assert "张大强" in text and APPLICANT_ID[:6] + "********" + APPLICANT_ID[-4:] in text
    assert "纳入监测日期" in text and "2027年1月1日" in text
    assert "防返贫监测对象（边缘易致贫户）" in text
    for private in (APPLICANT_ID, PHONE, BANK, ILLNESS, DISABILITY, "张小明", "300-400元"):
        assert private not in text


def test_refusal_letter(letter):
    text = flat(letter)
    assert "垫江县民政局不予认定通知书" in text
    assert "编号：SQ20261015-0007" in text and "张大强：" in text
    assert "2026年10月15日提出的社会救助申请" in text and "于2026年12月10日决定不予认定" in text
    assert "家庭人均月收入高于本县低保标准。" in text and "家庭成员名下登记有小型轿车一辆。" in text
    assert "经审核，您家庭符合低保边缘家庭条件，已直接纳入，无需另行申请。" in text
    assert "60日内向垫江县人民政府申请行政复议" in text and "6个月内依法向人民法院提起行政诉讼" in text
    for private in (APPLICANT_ID, PHONE, BANK):
        assert private not in text


def test_monitoring_refusal_and_missing_reasons():
    text = flat(refusal_notice_pdf({**LETTER, "track": "monitoring", "moved_to": []}))
    assert "不予纳入通知书" in text and "决定不予纳入防止返贫监测对象" in text
    assert "已直接纳入" not in text
    with pytest.raises(ValidationError):
        refusal_notice_pdf({**LETTER, "reasons": " \n "})
