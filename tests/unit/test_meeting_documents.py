"""The joint meeting's documents from plain dicts: what the minutes PDF shows (decisions,
who is responsible, deadlines, attendance, follow-ups, lines to sign) and never shows (a
whole ID number, a phone, a bank account, live markup), and the action-item workbook.

PDFs are read back with poppler's pdftotext (`-raw` with whitespace removed, so a phrase
wrapped inside a table cell still matches; `-layout` page by page for page numbers);
workbooks with openpyxl."""

import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from lowincome_portal.domain.masking import mask_id_number
from lowincome_portal.services.meeting_documents import (
    SHEET_HEADERS,
    action_state,
    actions_workbook,
    chinese_number,
    minutes_pdf,
    scrub,
)
from tests.idnumbers import make_id
from tests.pdftext import flat, pages, pdf_text

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
                                   reason="needs poppler-utils (pdftotext, pdffonts)")

HEAD_ID = make_id(birth=date(1960, 3, 4), seq=11)
OTHER_ID = make_id(birth=date(1980, 1, 1), seq=22)
PHONE, BANK = "13812345678", "6228480000123456789"
MEETING_DAY = date(2026, 11, 18)


def zhang() -> dict:
    """A household dict carrying private values a careless caller might leave in."""
    return {"head_name": "张大强", "head_id_number": HEAD_ID, "phone": PHONE, "bank_account": BANK}


def item(title: str, **overrides) -> dict:
    row = {"title": title, "detail": "", "discussion": "", "decision": "", "responsible": "",
           "deadline": None, "dropped": False, "household": None}
    return row | overrides


def action(title: str, **overrides) -> dict:
    row = {"meeting": "2026年10月", "title": title, "household": None, "decision": "assign",
           "responsible": "垫江县教育委员会", "deadline": date(2026, 11, 10), "status": "open",
           "done_on": None, "done_note": ""}
    return row | overrides


MINUTES = {
    "county": "垫江县", "area_name": "新民镇", "month": date(2026, 11, 1), "status": "held",
    "planned_on": MEETING_DAY, "held_on": MEETING_DAY, "approved_on": None,
    "place": "新民镇政府三楼会议室", "chair": "王芳", "recorder": "李明", "as_of": MEETING_DAY,
    "attendees": [{"name": "王芳", "kind": "user", "signed_in": True},
                  {"name": "李明", "kind": "user", "signed_in": True},
                  {"name": "陈小兵", "kind": "user", "signed_in": False},
                  {"name": "垫江县慈善会", "kind": "unit", "signed_in": True},
                  {"name": "垫江县医疗保障局", "kind": "unit", "signed_in": True},
                  {"name": "垫江县教育委员会", "kind": "unit", "signed_in": False}],
    "items": [
        item("周大山家庭申请特困供养", detail="老两口无收入，孙子上学。\n申请编号 SQ20261101-0001",
             discussion="民政办介绍入户调查情况。", decision="approve", responsible="新民镇社会事务办",
             deadline=date(2026, 11, 30), household=zhang()),
        item("<script>alert(1)</script>李有田家庭临时救助",
             detail=f"联系电话 {PHONE}，身份证 {OTHER_ID}，账户 {BANK}，镇办电话 023-74511234",
             discussion="<b>慈善会</b>同意接收", decision="refer", responsible="垫江县慈善会、刘慧",
             deadline=date(2026, 12, 15),
             household={"head_name": "李有田", "head_id_number": OTHER_ID, "phone": PHONE}),
        item("已撤下的议题", dropped=True),
        item("王家孩子辍学风险", decision="defer", responsible="垫江县教育委员会", deadline=date(2026, 12, 31)),
        item("尚未讨论的议题"),
    ],
    "follow_ups": [
        action("协调落实孙子助学金", household=zhang()),
        action("医疗救助报销", responsible="垫江县医疗保障局", deadline=date(2026, 11, 30), status="done",
               done_on=date(2026, 11, 5), done_note="已报销 3200 元"),
        action("危房改造申报", responsible="新民镇建设办", deadline=date(2026, 12, 20)),
        # done after the meeting: the minutes show it as the meeting saw it
        action("低保复核", deadline=date(2026, 12, 1), status="done", done_on=date(2026, 11, 25)),
        action("暂缓事项", decision="defer", deadline=date(2026, 11, 30), status="superseded",
               done_on=MEETING_DAY, done_note="2026年11月联席会议重新决定：交办"),
    ],
}


@pytest.fixture(scope="module")
def minutes() -> bytes:
    return minutes_pdf(MINUTES)


# --- the minutes ------------------------------------------------------------------------

@needs_poppler
def test_title_particulars_and_county_heading(minutes):
    text = flat(minutes)
    assert "垫江县新民镇困难群众联席会议纪要（2026年11月）" in text
    for part in ("会议日期2026年11月18日", "会议地点新民镇政府三楼会议室", "主持人王芳", "记录人李明",
                 "应到6人（单位），实到4人（单位）", "纪要状态：已召开，纪要待审定"):
        assert part in text
    listing = subprocess.run(["pdffonts", "-"], input=minutes, capture_output=True, check=True).stdout.decode()
    faces = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
    assert faces and all(re.search(r"Noto-(Serif|Sans)-CJK-SC", face) for face in faces), listing


@needs_poppler
def test_attendance_is_listed_with_sign_in(minutes):
    text = flat(minutes)
    assert "1参会人员王芳已签到" in text
    assert "3参会人员陈小兵未到" in text
    assert "4成员单位垫江县慈善会已签到" in text
    assert "6成员单位垫江县教育委员会未到" in text


@needs_poppler
def test_each_item_in_order_with_its_decision_responsible_and_deadline(minutes):
    text = flat(minutes)
    expected = ["（一）周大山家庭申请特困供养", "决定同意", "责任单位/人新民镇社会事务办", "办理期限2026年11月30日",
                "（二）<script>alert(1)</script>李有田家庭临时救助", "决定转介", "责任单位/人垫江县慈善会、刘慧",
                "办理期限2026年12月15日",
                "（三）王家孩子辍学风险", "决定暂缓", "责任单位/人垫江县教育委员会", "办理期限2026年12月31日",
                "（四）尚未讨论的议题", "决定（未形成决定）"]
    positions = [text.find(part) for part in expected]
    assert -1 not in positions, [p for p, at in zip(expected, positions) if at == -1]
    assert positions == sorted(positions)
    assert "已撤下的议题" not in text  # dropped


@needs_poppler
def test_households_show_name_and_masked_id_only(minutes):
    text, layout = flat(minutes), pdf_text(minutes)
    assert f"涉及家庭张大强（{mask_id_number(HEAD_ID)}）" in text
    assert f"李有田（{mask_id_number(OTHER_ID)}）" in text
    for private in (HEAD_ID, OTHER_ID, PHONE, BANK):
        assert private not in text and private not in layout
    # numbers pasted into free text are masked too; an office line stays readable
    assert "138****5678" in text and BANK[-4:] in text and "023-74511234" in text


@needs_poppler
def test_markup_prints_literally(minutes):
    text = flat(minutes)
    assert "<script>alert(1)</script>" in text
    assert "<b>慈善会</b>同意接收" in text


@needs_poppler
def test_follow_ups_show_their_state_on_the_meeting_day(minutes):
    text = flat(minutes)
    assert "以往会议督办事项办理情况（截至2026年11月18日）" in text
    assert re.search(r"协调落实孙子助学金（户主张大强" + re.escape(mask_id_number(HEAD_ID)) + r"）.*已超期", text)
    assert re.search(r"医疗救助报销.*2026-11-30已办结2026年11月5日，已报销3200元", text)
    assert re.search(r"危房改造申报.*2026-12-20未办结", text)
    assert re.search(r"低保复核.*2026-12-01未办结", text)
    assert re.search(r"暂缓事项.*2026-11-30已重新决定2026年11月18日，2026年11月联席会议重新决定：交办", text)


@needs_poppler
def test_signature_lines_for_chair_recorder_and_units_present(minutes):
    last = pages(minutes)[-1]
    signers = [line.split("签字")[0].strip() for line in last.splitlines() if "签字：" in line]
    assert signers == ["主持人：王芳", "记录人：李明", "垫江县慈善会", "垫江县医疗保障局"]
    assert last.count("日期：") == 4 and last.count("年") >= 4


@needs_poppler
def test_before_the_meeting_every_invited_unit_gets_a_line():
    planned = MINUTES | {"status": "planned", "held_on": None, "recorder": "",
                         "attendees": [a | {"signed_in": False} for a in MINUTES["attendees"]]}
    pdf = minutes_pdf(planned)
    text = flat(pdf)
    assert "会议日期2026年11月18日（计划）" in text and "记录人—" in text
    last = pages(pdf)[-1]
    signers = [line.split("签字")[0].strip() for line in last.splitlines() if "签字：" in line]
    assert signers == ["主持人：王芳", "记录人：", "垫江县慈善会", "垫江县医疗保障局", "垫江县教育委员会"]


@needs_poppler
def test_the_county_meeting_is_not_headed_twice():
    pdf = minutes_pdf(MINUTES | {"area_name": "垫江县", "status": "approved", "approved_on": date(2026, 11, 20)})
    text = flat(pdf)
    assert "垫江县困难群众联席会议纪要（2026年11月）" in text
    assert "垫江县垫江县" not in text
    assert "纪要状态：纪要已审定（2026年11月20日）" in text


@needs_poppler
def test_a_long_agenda_spans_pages_with_page_numbers():
    many = [item(f"第{n}户低保申请审核", detail="入户调查已完成。\n" * 3, discussion="与会单位无异议。",
                 decision="approve", responsible="新民镇社会事务办", deadline=date(2026, 11, 30),
                 household=zhang()) for n in range(1, 41)]
    pdf = minutes_pdf(MINUTES | {"items": many})
    printed = pages(pdf)
    total = len(printed)
    assert total >= 5
    for number, page in enumerate(printed, start=1):
        assert f"第 {number} 页，共 {total} 页" in page
        assert "垫江县 · 新民镇困难群众联席会议纪要（2026年11月）" in page
    text = flat(pdf)
    assert "（四十）第40户低保申请审核" in text and "（二十一）第21户" in text
    # an item is kept whole: its title and its deadline fall on the same page
    for page in printed:
        for title in re.findall(r"（[一二三四五六七八九十]+）第\d+户低保申请审核", page):
            rest = page.split(title, 1)[1]
            assert "办理期限" in rest, title


# --- the workbook -----------------------------------------------------------------------

def test_workbook_reads_back_with_rows_and_states():
    rows = [action("协调落实孙子助学金", household=zhang()),
            action("医疗救助报销", decision="refer", deadline=date(2026, 11, 30), status="done",
                   done_on=date(2026, 11, 5), done_note="已报销 3200 元"),
            action("=HYPERLINK(\"http://x\")<b>危房</b>", decision="defer", responsible="新民镇建设办",
                   deadline=date(2026, 12, 20), household={"head_name": "李有田", "head_id_number": OTHER_ID,
                                                             "phone": PHONE})]
    book = load_workbook(io.BytesIO(actions_workbook(rows, today=MEETING_DAY)))
    sheet = book["督办事项"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == SHEET_HEADERS
    first, second, third = values[1:]
    assert first[:5] == ("2026年10月", "协调落实孙子助学金", f"张大强（{mask_id_number(HEAD_ID)}）", "交办",
                         "垫江县教育委员会")
    assert first[5].date() == date(2026, 11, 10) and first[6] == "已超期" and first[7] is None
    assert second[3] == "转介" and second[6] == "已办结" and second[7].date() == date(2026, 11, 5)
    assert second[8] == "已报销 3200 元"
    assert third[1] == "=HYPERLINK(\"http://x\")<b>危房</b>" and third[3] == "暂缓" and third[6] == "未办结"
    everything = " ".join(str(v) for row in values for v in row)
    for private in (HEAD_ID, OTHER_ID, PHONE):
        assert private not in everything


def test_workbook_of_no_rows_has_the_headers():
    sheet = load_workbook(io.BytesIO(actions_workbook([], today=MEETING_DAY)))["督办事项"]
    assert [c.value for c in sheet[1]] == SHEET_HEADERS and sheet.max_row == 1


# --- the small rules --------------------------------------------------------------------

def test_action_state():
    due = date(2026, 11, 10)
    assert action_state({"status": "open", "deadline": due}, date(2026, 11, 10)) == "open"
    assert action_state({"status": "open", "deadline": due}, date(2026, 11, 11)) == "overdue"
    assert action_state({"status": "done", "deadline": due, "done_on": date(2026, 11, 20)},
                        date(2026, 11, 30)) == "done"
    # done after the day asked about: still open (or overdue) that day
    assert action_state({"status": "done", "deadline": due, "done_on": date(2026, 11, 20)},
                        date(2026, 11, 15)) == "overdue"
    superseded = {"status": "superseded", "deadline": due, "done_on": date(2026, 11, 20)}
    assert action_state(superseded, date(2026, 11, 20)) == "superseded"
    assert action_state(superseded, date(2026, 11, 19)) == "overdue"
    assert action_state({"status": "cancelled", "deadline": due}, date(2026, 11, 1)) == "cancelled"
    with pytest.raises(ValueError):
        action_state({"status": "open", "deadline": due}, None)


def test_chinese_numbers():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 21, 40, 99, 100)] == \
        ["一", "九", "十", "十一", "二十", "二十一", "四十", "九十九", "100"]


def test_scrub_masks_personal_numbers_only():
    assert scrub(f"身份证{HEAD_ID}。") == f"身份证{mask_id_number(HEAD_ID)}。"
    assert scrub("电话13812345678") == "电话138****5678"
    assert scrub(f"账号 {BANK}") == "账号 **** **** **** 6789"
    kept = "镇办 023-74511234，编号 SQ20261101-0001，2026年11月18日，补助 3200 元"
    assert scrub(kept) == kept
    assert scrub(None) == ""
