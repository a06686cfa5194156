"""The joint meeting's papers from the database, on both databases: meeting rows inserted
directly (the meeting service is not needed to print), the minutes PDF shows the decisions,
responsible units, deadlines and earlier meetings' follow-ups with masked IDs only, the
action-item workbook reads back with its states, each township sees only its own, and
every paper leaves an "export" entry in the audit trail."""

import io
import re
import shutil
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from lowincome_portal.db.tables import (
    ActionItem,
    AgendaItem,
    AuditEntry,
    Meeting,
    MeetingAttendee,
    Organisation,
    User,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain.errors import NotFound, PermissionDenied
from lowincome_portal.domain.masking import mask_id_number
from lowincome_portal.services import households, meeting_papers
from tests.idnumbers import make_id
from tests.pdftext import flat

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")

XINMIN, SHAPING = "500231100000", "500231101000"
FENGHUANG, HONGYAN = "500231100200", "500231101200"   # 新民镇凤凰村, 沙坪镇红岩村
HEAD_ID = make_id(birth=date(1962, 4, 5), seq=11)
PHONE, BANK = "13912345678", "6228480000987654321"
TODAY = date(2026, 11, 25)
HELD = date(2026, 11, 18)


def household(engine, actor, area: str, head_id: str, name: str) -> int:
    with unit_of_work(engine) as s:
        return households.create_household(
            s, actor=actor, household={"area_code": area, "address": "三组 12 号", "phone": PHONE,
                                       "bank_name": "重庆农村商业银行", "bank_account": BANK},
            head={"id_number": head_id, "name": name, "employment": "farming"})


def ids(session: Session) -> dict:
    users = {u.username: u.id for u in session.exec(select(User)).all()}
    orgs = {o.name: o.id for o in session.exec(select(Organisation)).all()}
    return users | orgs


def meeting(engine, area: str, month: date, *, items=(), actions=(), attendees=(), **fields) -> int:
    """A meeting with its attendees, agenda items (in order) and the action items of those
    items, inserted as rows. items: dicts of AgendaItem fields; actions: (item index, dict of
    ActionItem fields); attendees: (user_id, organisation_id, name, signed_in)."""
    with unit_of_work(engine) as s:
        row = Meeting(area_code=area, month=month, planned_on=fields.pop("planned_on", month.replace(day=18)),
                      **fields)
        s.add(row)
        s.flush()
        for user_id, org_id, name, signed_in in attendees:
            s.add(MeetingAttendee(meeting_id=row.id, user_id=user_id, organisation_id=org_id, name=name,
                                  signed_in=signed_in))
        agenda = []
        for position, values in enumerate(items, start=1):
            agenda.append(AgendaItem(meeting_id=row.id, position=position, **{"kind": "other", **values}))
            s.add(agenda[-1])
        s.flush()
        for index, values in actions:
            source = agenda[index]
            s.add(ActionItem(meeting_id=row.id, agenda_item_id=source.id, area_code=area,
                             household_id=source.household_id, title=source.title, decision=source.decision,
                             responsible_org_id=source.responsible_org_id,
                             responsible_user_id=source.responsible_user_id, deadline=source.deadline,
                             **values))
        return row.id


@pytest.fixture
def xinmin_meetings(engine, actor_of) -> dict:
    """新民镇: September's meeting (one item done in October, one still open), October's (one
    open and overdue, one done, one cancelled) and November's, held, with a household
    decision, a markup title, a dropped and a deferred item."""
    xinmin = actor_of("xinmin")
    zhang = household(engine, xinmin, FENGHUANG, HEAD_ID, "张大山")
    with Session(engine) as s:
        k = ids(s)
    meeting(engine, XINMIN, date(2026, 9, 1), status="approved", held_on=date(2026, 9, 15), chair_name="王芳",
            items=[{"title": "九月已办结事项", "decision": "assign", "responsible_user_id": k["xinmin"],
                    "deadline": date(2026, 10, 15)},
                   {"title": "九月遗留事项", "decision": "assign", "responsible_user_id": k["xinmin"],
                    "deadline": date(2026, 12, 31)}],
            actions=[(0, {"status": "done", "done_on": date(2026, 10, 3)}), (1, {})])
    october = meeting(
        engine, XINMIN, date(2026, 10, 1), status="approved", held_on=date(2026, 10, 16), chair_name="王芳",
        items=[{"title": "协调孙子助学金", "decision": "assign", "household_id": zhang,
                "responsible_org_id": k["垫江县教育委员会"], "deadline": date(2026, 11, 10)},
               {"title": "医疗救助报销", "decision": "refer", "responsible_org_id": k["垫江县医疗保障局"],
                "deadline": date(2026, 11, 30)},
               {"title": "已撤销的交办", "decision": "assign", "responsible_user_id": k["xinmin"],
                "deadline": date(2026, 11, 30)}],
        actions=[(0, {}), (1, {"status": "done", "done_on": date(2026, 11, 5), "done_note": "已报销 3200 元"}),
                 (2, {"status": "cancelled"})])
    november = meeting(
        engine, XINMIN, date(2026, 11, 1), status="held", held_on=HELD, place="新民镇政府三楼会议室",
        chair_name="王芳", created_by=k["xinmin"],
        attendees=[(k["xinmin"], None, "王芳（新民镇）", True),
                   (None, k["垫江县慈善会"], "垫江县慈善会", True),
                   (None, k["垫江县医疗保障局"], "垫江县医疗保障局", False)],
        items=[{"kind": "application", "title": "张大山家庭申请特困供养", "household_id": zhang,
                "detail": f"户主电话 {PHONE}", "discussion": "入户调查属实，慈善会可先行救助。",
                "decision": "refer", "responsible_org_id": k["垫江县慈善会"], "responsible_user_id": k["cishan"],
                "deadline": date(2026, 12, 15)},
               {"title": "<script>alert(1)</script>临时救助", "discussion": "<b>同意</b>", "decision": "approve",
                "responsible_user_id": k["xinmin"], "deadline": date(2026, 11, 30)},
               {"title": "已撤下的议题", "dropped": True},
               {"title": "危房改造", "decision": "defer", "deadline": date(2026, 12, 31)}],
        actions=[(0, {})])
    return {"october": october, "november": november, "zhang": zhang}


def exports(engine) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)).all())


def test_minutes_pdf_from_the_tables(engine, actor_of, xinmin_meetings):
    with unit_of_work(engine) as s:
        name, pdf = meeting_papers.minutes_document(s, actor=actor_of("xinmin"),
                                                    meeting_id=xinmin_meetings["november"], today=TODAY)
    assert name == "新民镇联席会议纪要_2026-11.pdf"
    text = flat(pdf)
    for part in ("垫江县新民镇困难群众联席会议纪要（2026年11月）", "会议日期2026年11月18日",
                 "会议地点新民镇政府三楼会议室", "主持人王芳", "记录人王芳（新民镇）",
                 "成员单位垫江县慈善会已签到", "成员单位垫江县医疗保障局未到",
                 "（一）张大山家庭申请特困供养", f"涉及家庭张大山（{mask_id_number(HEAD_ID)}）", "决定转介",
                 "责任单位/人垫江县慈善会、刘慧（县慈善会）", "办理期限2026年12月15日",
                 "（二）<script>alert(1)</script>临时救助", "<b>同意</b>", "决定同意",
                 "责任单位/人王芳（新民镇）", "办理期限2026年11月30日",
                 "（三）危房改造", "决定暂缓", "办理期限2026年12月31日"):
        assert part in text, part
    assert "已撤下的议题" not in text
    for private in (HEAD_ID, PHONE, BANK):
        assert private not in text
    # October's decisions as the meeting saw them on its day
    assert re.search(r"2026年10月协调孙子助学金（户主张大山.*垫江县教育委员会2026-11-10已超期", text)
    assert re.search(r"医疗救助报销垫江县医疗保障局2026-11-30已办结2026年11月5日，已报销3200元", text)
    # September's: the open one carried on, the one done before November not; never the cancelled
    assert "2026年9月九月遗留事项王芳（新民镇）2026-12-31未办结" in text
    assert "九月已办结事项" not in text and "已撤销的交办" not in text
    # lines to sign: chair, recorder, the unit present (not the one absent)
    signing = text.split("四、签字", 1)[1]
    assert "主持人：王芳签字" in signing and "记录人：王芳（新民镇）签字" in signing
    assert "垫江县慈善会签字" in signing and "垫江县医疗保障局" not in signing
    entry = exports(engine)[-1]
    assert (entry.entity, entry.entity_id, entry.username) == ("meeting", str(xinmin_meetings["november"]), "xinmin")
    assert '"document": "minutes"' in entry.new_values


def test_the_county_may_print_a_township_meeting_and_a_leader_may_not(engine, actor_of, xinmin_meetings):
    with unit_of_work(engine) as s:
        _, pdf = meeting_papers.minutes_document(s, actor=actor_of("minzheng"),
                                                 meeting_id=xinmin_meetings["october"], today=TODAY)
    assert "纪要状态：纪要已审定" in flat(pdf)
    # minutes name households: leaders see counts, never a person's data
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        meeting_papers.minutes_document(s, actor=actor_of("lingdao"), meeting_id=xinmin_meetings["october"],
                                        today=TODAY)
    assert [e.username for e in exports(engine)] == ["minzheng"]


def test_other_townships_villages_and_partners_are_refused(engine, actor_of, xinmin_meetings):
    for who in ("shaping", "fenghuang", "cishan"):
        with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
            meeting_papers.minutes_document(s, actor=actor_of(who), meeting_id=xinmin_meetings["november"],
                                            today=TODAY)
    with pytest.raises(PermissionDenied), unit_of_work(engine) as s:
        meeting_papers.actions_document(s, actor=actor_of("shaping"), area_code=XINMIN, today=TODAY)
    with pytest.raises(NotFound), unit_of_work(engine) as s:
        meeting_papers.minutes_document(s, actor=actor_of("xinmin"), meeting_id=999999, today=TODAY)
    assert exports(engine) == []


def workbook_rows(engine, actor, area_code=None) -> tuple[str, list[tuple]]:
    with unit_of_work(engine) as s:
        name, data = meeting_papers.actions_document(s, actor=actor, area_code=area_code, today=TODAY)
    sheet = load_workbook(io.BytesIO(data))["督办事项"]
    return name, list(sheet.iter_rows(values_only=True))[1:]


def test_actions_workbook_per_area(engine, actor_of, xinmin_meetings):
    shaping = actor_of("shaping")
    wang = household(engine, shaping, HONGYAN, make_id(birth=date(1970, 6, 7), seq=33), "王二")
    with Session(engine) as s:
        k = ids(s)
    meeting(engine, SHAPING, date(2026, 11, 1), items=[
        {"title": "王二家庭医疗救助", "decision": "refer", "household_id": wang,
         "responsible_org_id": k["垫江县医疗保障局"], "deadline": date(2026, 12, 1)}], actions=[(0, {})])

    name, rows = workbook_rows(engine, actor_of("xinmin"))
    assert name == "新民镇联席会议督办事项_2026-11-25.xlsx"
    assert [(r[0], r[1], r[3], r[4], r[6]) for r in rows] == [
        ("新民镇 2026年9月", "九月已办结事项", "交办", "王芳（新民镇）", "已办结"),
        ("新民镇 2026年9月", "九月遗留事项", "交办", "王芳（新民镇）", "未办结"),
        ("新民镇 2026年10月", "协调孙子助学金", "交办", "垫江县教育委员会", "已超期"),
        ("新民镇 2026年10月", "医疗救助报销", "转介", "垫江县医疗保障局", "已办结"),
        ("新民镇 2026年11月", "张大山家庭申请特困供养", "转介", "垫江县慈善会、刘慧（县慈善会）", "未办结")]
    assert rows[2][2] == f"张大山（{mask_id_number(HEAD_ID)}）"
    assert rows[2][5].date() == date(2026, 11, 10) and rows[3][7].date() == date(2026, 11, 5)
    assert rows[3][8] == "已报销 3200 元"
    assert all(HEAD_ID not in str(v) and PHONE not in str(v) for r in rows for v in r)

    # the county sees both townships; 沙坪镇 only its own; a village those about its households
    assert len(workbook_rows(engine, actor_of("minzheng"))[1]) == 6
    assert [r[1] for r in workbook_rows(engine, shaping)[1]] == ["王二家庭医疗救助"]
    assert [r[1] for r in workbook_rows(engine, actor_of("minzheng"), SHAPING)[1]] == ["王二家庭医疗救助"]
    assert [r[1] for r in workbook_rows(engine, actor_of("fenghuang"))[1]] == ["协调孙子助学金",
                                                                              "张大山家庭申请特困供养"]
    entries = exports(engine)
    assert [(e.entity, e.username) for e in entries] == [("action_item", u) for u in
                                                         ("xinmin", "minzheng", "shaping", "minzheng", "fenghuang")]
    assert '"area_code": "500231100000"' in entries[0].new_values and '"count": 5' in entries[0].new_values
