"""The intake's papers from the database, on both databases: applications built through the
real services reach the notice step, the village's notice prints names, masked IDs and
income bands (never a whole ID, a phone or a child's name), refusals print their reasons
and the category the household was moved to, the notice board follows each step, other
townships are refused, and every document leaves an "export" entry in the audit trail."""

import shutil
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import Application, AuditEntry
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import PermissionDenied, ValidationError
from lowincome_portal.domain.masking import mask_id_number
from lowincome_portal.services import household_records as records
from lowincome_portal.services import (
    intake,
    intake_notice,
    intake_papers,
    intake_submit,
)
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id
from tests.pdftext import flat
from tests.page_states import settle

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

FENGHUANG = "500231100200"   # 新民镇凤凰村
TODAY = today_in_china()
START = TODAY - timedelta(days=40)
POSTED = START + timedelta(days=5)
CONTACT = "新民镇社会事务办 023-74511234"


def born(years: int, seq: int) -> str:
    return make_id(birth=TODAY.replace(year=TODAY.year - years) - timedelta(days=3), seq=seq)


ELDER, WIFE, GRANDCHILD = born(70, 11), born(68, 22), born(10, 31)
WORKER = born(45, 13)
PHONES = ("13800001111", "13800002222")


def zhou_form() -> dict:
    """特困: two elders and a grandchild at school, no income but 12,000 a year in transfers."""
    return {"applicant_name": "周大山", "applicant_id_number": ELDER, "applicant_phone": PHONES[0],
            "area_code": FENGHUANG, "address": "凤凰村三组 12 号", "difficulty": "老两口无收入，孙子上学",
            "consent": True,
            "members": [{"name": "吴小花", "id_number": WIFE, "relation": "spouse"},
                        {"name": "周小宝", "id_number": GRANDCHILD, "relation": "grandchild"}]}


def li_form() -> dict:
    """Refused: two people, 17,000 a year - above the 低保 standard, below 1.5 times it."""
    return {"applicant_name": "李有田", "applicant_id_number": WORKER, "applicant_phone": PHONES[1],
            "area_code": FENGHUANG, "address": "凤凰村五组 3 号", "difficulty": "务工收入不稳定",
            "consent": True, "members": [{"name": "张桂兰", "id_number": born(44, 24), "relation": "spouse"}]}


def step(engine, actor, app_id, action, day, comment="", **kw):
    with unit_of_work(engine) as s:
        return intake.take_step(s, actor=actor, application_id=app_id, action=action, comment=comment,
                                today=day, **kw)


def investigate(engine, actor, household_id, day, income):
    with unit_of_work(engine) as s:
        records.record_visit(s, actor=actor, household_id=household_id, visited_on=day, findings="入户核实")
        records.record_economic_status(s, actor=actor, household_id=household_id, recorded_on=day,
                                       values={"transfer_income": income}, source="visit")


def to_notice(engine, actor_of, form: dict, income: str) -> int:
    """A station application walked to the notice step (公示), not yet posted."""
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        app_id = intake_submit.create_at_station(s, actor=xinmin, form=form, today=START)
    step(engine, xinmin, app_id, "complete_check", START + timedelta(days=1))
    with Session(engine) as s:
        household_id = s.get(Application, app_id).household_id
    investigate(engine, xinmin, household_id, START + timedelta(days=3), income)
    step(engine, xinmin, app_id, "complete_investigation", START + timedelta(days=3))
    step(engine, xinmin, app_id, "approve_preliminary", START + timedelta(days=4))
    return app_id


def post(engine, actor, track="assistance", day=POSTED, contact=CONTACT) -> int:
    with unit_of_work(engine) as s:
        return intake_notice.post_notice(s, actor=actor, area_code=FENGHUANG, track=track, posted_on=day,
                                         contact=contact, today=day)


def board(engine, actor, today=TODAY) -> dict:
    with Session(engine) as s:
        return intake_papers.notice_board(s, actor=actor, today=today)


def paper(engine, fn, **kw) -> tuple[str, bytes]:
    with unit_of_work(engine) as s:
        return fn(s, **kw)


def exports(engine) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == "export")
                           .order_by(AuditEntry.id)).all())


@pytest.fixture
def two_on_notice(engine, actor_of) -> tuple[int, int]:
    return to_notice(engine, actor_of, zhou_form(), "12000"), to_notice(engine, actor_of, li_form(), "17000")


def test_the_board_shows_the_village_waiting_then_the_posted_notice(engine, actor_of, two_on_notice):
    xinmin = actor_of("xinmin")
    waiting = board(engine, xinmin)["waiting"]
    assert [(g["area_code"], g["track"], g["count"]) for g in waiting] == [(FENGHUANG, "assistance", 2)]
    assert waiting[0]["place"] == "新民镇凤凰村" and waiting[0]["track_label"] == "救助申请"
    assert [a["name"] for a in waiting[0]["applications"]] == ["周大山", "李有田"]
    assert waiting[0]["earliest"] == (START + timedelta(days=4)).isoformat()
    assert board(engine, actor_of("shaping"))["waiting"] == []   # another township sees nothing of it

    notice_id = post(engine, xinmin)
    during = board(engine, xinmin, today=POSTED + timedelta(days=1))
    assert during["waiting"] == []
    [posted] = during["posted"]
    ends = POSTED + timedelta(days=6)   # 7 days, the posting day included
    assert posted["id"] == notice_id and posted["applications"] == 2 and posted["open_objections"] == 0
    assert posted["period"] == f"{POSTED.isoformat()} 至 {ends.isoformat()}"
    assert (posted["over"], posted["status"]) == (False, "公示中")
    with unit_of_work(engine) as s:
        intake_notice.add_objection(s, actor=xinmin, application_id=two_on_notice[1], raised_on=POSTED,
                                    raised_by="村民", content="有子女在外务工", today=POSTED)
    after = board(engine, xinmin)["posted"][0]
    assert (after["over"], after["status"], after["open_objections"]) == (True, "已期满", 1)
    assert board(engine, actor_of("fenghuang"))["posted"][0]["id"] == notice_id
    assert board(engine, actor_of("shaping"))["posted"] == []


def test_the_notice_prints_names_masked_ids_and_bands_only(engine, actor_of, two_on_notice):
    notice_id = post(engine, actor_of("xinmin"))
    before = len(exports(engine))
    name, pdf = paper(engine, intake_papers.notice_document, actor=actor_of("fenghuang"), notice_id=notice_id)
    assert name.endswith(".pdf") and "凤凰村" in name and pdf.startswith(b"%PDF")
    text = flat(pdf)
    assert "垫江县新民镇凤凰村最低生活保障等社会救助对象审核确认公示" in text
    assert "周大山" in text and "李有田" in text and "吴小花" in text and "张桂兰" in text
    assert mask_id_number(ELDER) in text and mask_id_number(WORKER) in text
    for private in (ELDER, WIFE, GRANDCHILD, WORKER, *PHONES, "周小宝"):
        assert private not in text
    assert "含未成年人1人" in text
    # 12,000 / 12 / 3 = 333.33 a month; 17,000 / 12 / 2 = 708.33: bands, never the figures
    assert "300-400元" in text and "700-800元" in text and "333.33" not in text and "708.33" not in text
    assert "特困" in text and "新民镇人民政府" in text and "023-74511234" in text
    entries = exports(engine)[before:]
    assert [(e.entity, e.entity_id, e.username) for e in entries] == [("public_notice", str(notice_id), "fenghuang")]


def test_another_township_cannot_print_and_nothing_is_logged(engine, actor_of, two_on_notice):
    notice_id = post(engine, actor_of("xinmin"))
    with pytest.raises(PermissionDenied):
        paper(engine, intake_papers.notice_document, actor=actor_of("shaping"), notice_id=notice_id)
    with pytest.raises(PermissionDenied):
        paper(engine, intake_papers.refusal_letter, actor=actor_of("shaping"), application_id=two_on_notice[0])
    with pytest.raises(ValidationError, match="不是结果公开"):
        paper(engine, intake_papers.disclosure_document, actor=actor_of("xinmin"), notice_id=notice_id)
    assert exports(engine) == []


def test_a_notice_whose_contact_is_the_applicants_phone_is_not_posted(engine, actor_of, two_on_notice):
    with pytest.raises(ValidationError, match="不能是申请人的电话"):
        post(engine, actor_of("xinmin"), contact=f"周家 {PHONES[0]}")
    assert exports(engine) == []


def test_refusal_letter_and_disclosure_after_the_county_decides(engine, actor_of, two_on_notice):
    zhou, li = two_on_notice
    xinmin, minzheng = actor_of("xinmin"), actor_of("minzheng")
    post(engine, xinmin)
    for app_id in two_on_notice:
        step(engine, xinmin, app_id, "end_notice", START + timedelta(days=12))
    step(engine, minzheng, zhou, "confirm", START + timedelta(days=14), comment="符合条件")
    step(engine, minzheng, li, "refuse", START + timedelta(days=14), comment="家庭人均月收入高于本县低保标准")

    name, pdf = paper(engine, intake_papers.refusal_letter, actor=xinmin, application_id=li)
    text = flat(pdf)
    assert name.endswith(".pdf") and "不予认定通知书" in text and "李有田" in text
    assert "家庭人均月收入高于本县低保标准" in text
    assert "经审核，您家庭符合低保边缘家庭条件，已直接纳入，无需另行申请" in text
    assert "垫江县民政局" in text and "垫江县人民政府申请行政复议" in text
    assert "申请，经" in text and f"{START.year}年{START.month}月{START.day}日提出" in text
    with pytest.raises(ValidationError, match="未作出不予认定"):
        paper(engine, intake_papers.refusal_letter, actor=xinmin, application_id=zhou)

    undisclosed = board(engine, xinmin)["undisclosed"]
    assert [(g["area_code"], [a["name"] for a in g["applications"]]) for g in undisclosed] == \
        [(FENGHUANG, ["周大山"])]
    with unit_of_work(engine) as s:
        disclosure_id = intake_notice.post_disclosure(s, actor=xinmin, area_code=FENGHUANG, track="assistance",
                                                      posted_on=TODAY, contact="023-74510000", today=TODAY)
    after = board(engine, xinmin)
    assert after["undisclosed"] == [] and after["disclosures"][0]["id"] == disclosure_id
    _, pdf = paper(engine, intake_papers.disclosure_document, actor=xinmin, notice_id=disclosure_id)
    text = flat(pdf)
    decided = START + timedelta(days=14)
    assert "周大山" in text and "特困" in text and f"{decided.year}年{decided.month}月{decided.day}日" in text
    assert "李有田" not in text and ELDER not in text and "垫江县民政局" in text
    assert [e.entity for e in exports(engine)] == ["application", "public_notice"]


def test_the_monitoring_appraisal_notice_is_signed_by_the_village(engine, actor_of):
    village = actor_of("fenghuang")
    form = li_form() | {"applicant_name": "孙建国", "applicant_id_number": born(50, 15), "members": []}
    with unit_of_work(engine) as s:
        lead = intake_submit.create_at_station(s, actor=village, form=form, today=START, track="monitoring",
                                               options={"monitoring_type": "sudden"})
    with Session(engine) as s:
        household_id = s.get(Application, lead).household_id
    investigate(engine, village, household_id, START, "6000")
    step(engine, village, lead, "complete_check", START)
    waiting = board(engine, village)["waiting"]
    assert [(g["track"], g["track_label"]) for g in waiting] == [("monitoring", "防返贫监测")]
    notice_id = post(engine, village, track="monitoring", day=START, contact="凤凰村村委会 023-74519999")
    _, pdf = paper(engine, intake_papers.notice_document, actor=village, notice_id=notice_id)
    text = flat(pdf)
    assert "防止返贫监测对象民主评议公示" in text and "孙建国" in text
    assert "防返贫监测对象（突发严重困难户）" in text and "凤凰村民委员会" in text
    assert "500-600元" in text   # 6,000 a year, one person
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")).one() == 1


def test_the_page_handlers_post_for_their_township_only(engine, actor_of, two_on_notice):
    from lowincome_portal.pages.notices import NoticesState
    from tests.integration.test_handlers_refuse import state_for

    form = {"area_code": FENGHUANG, "track": "assistance", "posted_on": TODAY.isoformat(), "contact": CONTACT,
            "notice_contact_500231100200_assistance": "ignored"}
    outsider = state_for(NoticesState, engine, "shaping")
    assert settle(NoticesState.post_notice.fn(outsider, form)) is None
    assert outsider.error == PermissionDenied.default_message
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Application).where(
            Application.notice_id.is_not(None))).one() == 0

    state = state_for(NoticesState, engine, "xinmin")
    settle(NoticesState.on_enter.fn(state))
    assert state.page_access == "ok" and [g["key"] for g in state.waiting] == [f"{FENGHUANG}-assistance"]
    follow_up = settle(NoticesState.post_notice.fn(state, form))
    assert state.error == "" and follow_up is not None   # the PDF download comes next
    assert state.waiting == [] and [p["status"] for p in state.posted] == ["公示中"]
