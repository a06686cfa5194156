"""The joint meeting pages' states driven as the browser would (no browser): a township clerk
creates this month's meeting and lands on its drafted agenda, records minutes, is told why a
bad deadline or an undecided item is refused (with nothing saved), another township's staff
are refused, and the county coordinator sees the townships that did not meet."""

from datetime import date, timedelta

import pytest
import reflex as rx
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import (
    ActionItem,
    AgendaItem,
    Application,
    AuditEntry,
    HardCase,
    Meeting,
    MeetingAttendee,
    Organisation,
)
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.domain import meetings as rules
from lowincome_portal.pages.meetings import (
    MeetingListState,
    MeetingState,
    NewMeetingState,
)
from lowincome_portal.pages.meetings.common import month_value
from lowincome_portal.pages.meetings.new import CREATED
from lowincome_portal.pages.meetings.state import _minutes_pdf
from lowincome_portal.services import households, meetings
from lowincome_portal.services.households import today_in_china
from tests.idnumbers import make_id
from tests.page_states import state_for, settle

XINMIN, SHAPING = "500231100000", "500231101000"
FENGHUANG = "500231100200"   # 新民镇凤凰村
TODAY = today_in_china()
MONTH = rules.month_start(TODAY)
LAST_MONTH = rules.previous_month(TODAY)
DENIED = "您没有执行此操作的权限"


def opened(engine, username, meeting_id, monkeypatch, root=None):
    """The meeting page entered at /meetings/<meeting_id>."""
    monkeypatch.setattr(MeetingState, "_route_arg",
                        lambda self, name: str(meeting_id) if name == "meeting_id" else "")
    state = state_for(MeetingState, engine, username, root)
    settle(MeetingState.on_enter.fn(state))
    return state


def unit_ids(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {o.name: o.id for o in s.exec(select(Organisation)).all()}


def snapshot(engine):
    """Every meeting row and the audit count: a refusal must leave them as they were."""
    with Session(engine) as s:
        rows = [[tuple(r.model_dump(exclude={"created_at"}).values())
                 for r in s.exec(select(table).order_by(table.id)).all()]
                for table in (Meeting, MeetingAttendee, AgendaItem, ActionItem, HardCase)]
        rows.append(s.exec(select(func.count()).select_from(AuditEntry)
                           .where(AuditEntry.action.not_in(["login", "login_failed"]))).one())
        return rows


@pytest.fixture
def pending(engine, actor_of):
    """新民镇's pending work: a household flagged as a hard case and an application waiting
    for the township's review."""
    xinmin = actor_of("xinmin")
    with unit_of_work(engine) as s:
        household_id = households.create_household(
            s, actor=xinmin, household={"area_code": FENGHUANG, "address": "凤凰村二组 8 号"},
            head={"name": "钱老汉", "id_number": make_id(birth=date(1950, 3, 3), seq=21)})
        meetings.raise_hard_case(s, actor=xinmin, household_id=household_id,
                                 note="房屋受损，<b>急需</b>安置", today=TODAY)
        s.add(Application(tracking_no="SQ2026990001", track="assistance", channel="station",
                          state="township_review", state_entered_on=TODAY, due_on=TODAY + timedelta(days=10),
                          area_code=FENGHUANG, applicant_name="周大山", difficulty="独居老人",
                          applicant_id_number=make_id(birth=date(1958, 5, 5), seq=33), consent=True))
    return {"household_id": household_id}


@pytest.fixture
def meeting_id(engine, actor_of, pending):
    """This month's 新民镇 meeting, planned for today, with two member units."""
    ids = unit_ids(engine)
    with unit_of_work(engine) as s:
        return meetings.create_meeting(s, actor=actor_of("xinmin"), area_code=XINMIN, month=MONTH, planned_on=TODAY,
                                       place="新民镇便民服务中心", chair_name="王芳",
                                       unit_ids=[ids["垫江县慈善会"], ids["垫江县医疗保障局"]], today=TODAY)


def hard_case_item(state) -> dict:
    return next(i for i in state.items if i["kind"] == "hard_case")


def minutes(item, **values) -> dict:
    """A minutes form as the browser submits it (empty selects submit "")."""
    return {"item_id": item["id"], "discussion": "", "decision": "", "responsible_org_id": "",
            "responsible_user_id": "", "deadline": ""} | values


def test_the_township_clerk_creates_the_meeting_and_lands_on_its_agenda(engine, pending, monkeypatch):
    root = rx.State(_reflex_internal_init=True)
    new = state_for(NewMeetingState, engine, "xinmin", root)
    settle(NewMeetingState.on_enter.fn(new))
    assert new.page_access == "ok" and new.error == ""
    assert new.areas == [{"value": XINMIN, "label": "新民镇"}] and new.area_code == XINMIN
    assert new.month == month_value(TODAY) and new.today == TODAY.isoformat()
    ids = unit_ids(engine)
    assert {u["name"] for u in new.units} == set(ids)
    form = {"area_code": XINMIN, "month": month_value(TODAY), "planned_on": TODAY.isoformat(),
            "place": "新民镇便民服务中心", "chair_name": "王芳",
            f"unit_{ids['垫江县慈善会']}": "on", f"unit_{ids['垫江县医疗保障局']}": "on", "unit-1": "on"}
    result = settle(NewMeetingState.create_meeting.fn(new, form))
    assert new.error == ""
    with Session(engine) as s:
        meeting = s.exec(select(Meeting).where(Meeting.area_code == XINMIN, Meeting.month == MONTH)).one()
    assert result.args[0][1]._var_value == f"/meetings/{meeting.id}"

    page = opened(engine, "xinmin", meeting.id, monkeypatch, root)
    assert page.info == CREATED and page.error == ""
    assert page.meeting["area_name"] == "新民镇" and page.meeting["status_label"] == "计划中"
    assert page.meeting["month_text"] == rules.month_text(MONTH) and page.editable
    kinds = [i["kind"] for i in page.items]
    assert "hard_case" in kinds and "application" in kinds
    case = hard_case_item(page)
    assert case["household_name"] == "钱老汉" and case["household_href"] == f"/households/{pending['household_id']}"
    assert case["household_id_masked"].count("*") >= 8  # the ID number is masked
    assert {u["label"] for u in page.units} == {"垫江县慈善会", "垫江县医疗保障局"}
    assert any(a["name"] == "王芳（新民镇）" for a in page.attendees)

    # a second meeting for the same month is refused with the service's message
    again = state_for(NewMeetingState, engine, "xinmin")
    settle(NewMeetingState.on_enter.fn(again))
    assert settle(NewMeetingState.create_meeting.fn(again, form)) is None
    assert again.error == f"新民镇 {rules.month_text(MONTH)} 的联席会议已创建"


def test_the_chair_edits_the_agenda_and_signs_attendees_in(engine, meeting_id, monkeypatch):
    state = opened(engine, "xinmin", meeting_id, monkeypatch)
    settle(MeetingState.add_item.fn(state, {"title": "<i>临时</i>议题", "detail": "村里反映的新情况"}))
    assert state.error == "" and state.items[-1]["title"] == "<i>临时</i>议题"
    added = state.items[-1]["id"]
    settle(MeetingState.move_item.fn(state, added, "up"))
    assert state.items[-2]["id"] == added and state.info == "议题顺序已调整"
    settle(MeetingState.drop_item.fn(state, added))
    assert next(i for i in state.items if i["id"] == added)["dropped"] == "1"
    settle(MeetingState.restore_item.fn(state, added))
    assert next(i for i in state.items if i["id"] == added)["dropped"] == ""
    person = state.attendees[0]
    settle(MeetingState.sign_in.fn(state, person["id"], True))
    assert state.error == "" and state.attendees[0]["signed_in"] == "1"


def test_minutes_are_recorded_shown_and_make_an_action_item(engine, meeting_id, monkeypatch):
    state = opened(engine, "xinmin", meeting_id, monkeypatch)
    case = hard_case_item(state)
    charity = next(u["value"] for u in state.units if u["label"] == "垫江县慈善会")
    deadline = TODAY + timedelta(days=15)
    settle(MeetingState.save_minutes.fn(state, minutes(case, discussion="会议研究：先行临时救助", decision="assign",
                                                responsible_org_id=charity, deadline=deadline.isoformat())))
    assert state.error == "" and state.info == "已保存会议记录和决定"
    shown = hard_case_item(state)
    assert shown["decided"] == "1" and shown["decision_label"] == "交办"
    assert shown["responsible_name"] == "垫江县慈善会" and shown["deadline"] == deadline.isoformat()
    assert shown["discussion"] == "会议研究：先行临时救助"
    assert [a["decision_label"] for a in state.actions] == ["交办"]
    with Session(engine) as s:
        item = s.get(AgendaItem, int(case["id"]))
        action = s.exec(select(ActionItem).where(ActionItem.agenda_item_id == item.id)).one()
    assert item.decision == "assign" and action.household_id == item.household_id

    # the action item is closed from the same page
    action_row = state.actions[0]
    assert action_row["can_complete"] == "1"
    settle(MeetingState.complete_action.fn(state, {"action_id": action_row["id"], "note": "已发放临时救助金"}))
    assert state.error == "" and state.actions[0]["status"] == "done"


def test_a_deadline_before_the_meeting_is_refused_and_nothing_saved(engine, meeting_id, monkeypatch):
    state = opened(engine, "xinmin", meeting_id, monkeypatch)
    case = hard_case_item(state)
    charity = next(u["value"] for u in state.units if u["label"] == "垫江县慈善会")
    before = snapshot(engine)
    settle(MeetingState.save_minutes.fn(state, minutes(case, discussion="研究", decision="refer", responsible_org_id=charity,
                                                deadline=(TODAY - timedelta(days=1)).isoformat())))
    assert state.error == rules.MSG_DEADLINE_EARLY.format(day=rules.date_text(TODAY)) and state.info == ""
    assert snapshot(engine) == before
    assert hard_case_item(state)["decided"] == ""


def test_approval_with_an_undecided_item_is_refused_then_the_page_is_read_only(engine, meeting_id, monkeypatch):
    state = opened(engine, "xinmin", meeting_id, monkeypatch)
    settle(MeetingState.approve_minutes.fn(state))
    assert state.error == rules.MSG_NOT_HELD
    settle(MeetingState.mark_held.fn(state, {"held_on": TODAY.isoformat()}))
    assert state.error == "" and state.meeting["status"] == "held" and state.meeting["held_on"] == TODAY.isoformat()
    first = next(i for i in state.items if i["dropped"] != "1")
    before = snapshot(engine)
    settle(MeetingState.approve_minutes.fn(state))
    assert state.error == rules.MSG_UNDECIDED.format(number=1, title=first["title"])
    assert snapshot(engine) == before

    for item in [i for i in state.items if i["dropped"] != "1"]:
        settle(MeetingState.save_minutes.fn(state, minutes(item, decision="approve")))
        assert state.error == ""
    settle(MeetingState.approve_minutes.fn(state))
    assert state.error == "" and state.meeting["status"] == "approved" and not state.editable
    assert all(i["can_move_up"] == "" for i in state.items)
    before = snapshot(engine)
    settle(MeetingState.save_minutes.fn(state, minutes(first, decision="refuse")))
    assert state.error == rules.MSG_APPROVED
    assert snapshot(engine) == before


def test_another_township_is_refused_and_nothing_changes(engine, meeting_id, monkeypatch):
    good = opened(engine, "xinmin", meeting_id, monkeypatch)
    state = opened(engine, "shaping", meeting_id, monkeypatch)
    assert state.error == DENIED and state.meeting == {} and state.items == [] and state.attendees == []
    case = hard_case_item(good)
    before = snapshot(engine)
    calls = [
        (MeetingState.save_minutes, (minutes(case, decision="approve"),)),
        (MeetingState.move_item, (case["id"], "up")),
        (MeetingState.drop_item, (case["id"],)),
        (MeetingState.add_item, ({"title": "插入议题"},)),
        (MeetingState.sign_in, (good.attendees[0]["id"], True)),
        (MeetingState.mark_held, ({"held_on": TODAY.isoformat()},)),
        (MeetingState.approve_minutes, ()),
    ]
    for handler, args in calls:
        state = opened(engine, "shaping", meeting_id, monkeypatch)
        state._meeting_id = meeting_id  # a hand-made call on the meeting
        settle(handler.fn(state, *args))
        assert state.error == DENIED, handler.fn.__name__
        assert "钱老汉" not in str(state.items)
    # nor can they create 新民镇's meeting for next month
    new = state_for(NewMeetingState, engine, "shaping")
    settle(NewMeetingState.on_enter.fn(new))
    assert new.areas == [{"value": SHAPING, "label": "沙坪镇"}]
    following = rules.next_month(TODAY)
    settle(NewMeetingState.create_meeting.fn(new, {"area_code": XINMIN, "month": month_value(following),
                                            "planned_on": following.isoformat(), "place": "x", "chair_name": "x"}))
    assert new.error == DENIED
    assert snapshot(engine) == before


def test_the_county_sees_townships_that_did_not_meet(engine, actor_of, meeting_id):
    # 沙坪镇 held last month's meeting; 新民镇 did not
    shaping = actor_of("shaping")
    with unit_of_work(engine) as s:
        held = meetings.create_meeting(s, actor=shaping, area_code=SHAPING, month=LAST_MONTH, planned_on=LAST_MONTH,
                                       place="沙坪镇会议室", chair_name="陈刚", unit_ids=[], today=TODAY)
    with unit_of_work(engine) as s:
        meetings.mark_held(s, actor=shaping, meeting_id=held, held_on=LAST_MONTH, today=TODAY)

    state = state_for(MeetingListState, engine, "minzheng")
    settle(MeetingListState.on_enter.fn(state))
    assert state.page_access == "ok" and state.show_overview and state.can_manage
    assert state.month == month_value(TODAY)
    assert [m["area_name"] for m in state.meetings] == ["新民镇"]
    # this month: 新民镇 planned, not held yet and not yet due
    this_month = {r["area_name"]: r for r in state.overdue}
    assert this_month["新民镇"]["overdue"] == "" and this_month["新民镇"]["href"] == f"/meetings/{meeting_id}"
    settle(MeetingListState.pick_month.fn(state, month_value(LAST_MONTH)))
    assert state.error == "" and state.overview_month == rules.month_text(LAST_MONTH)
    overdue = {r["area_name"]: r for r in state.overdue}
    assert overdue["新民镇"]["overdue"] == "1" and overdue["新民镇"]["status_label"] == "未创建"
    assert "沙坪镇" not in overdue
    assert [m["area_name"] for m in state.meetings] == ["沙坪镇"]
    settle(MeetingListState.pick_month.fn(state, ""))
    assert {m["area_name"] for m in state.meetings} == {"新民镇", "沙坪镇"}
    assert settle(MeetingListState.download_actions.fn(state)) is not None and state.error == ""

    # a township clerk sees their own meetings, no county table
    clerk = state_for(MeetingListState, engine, "xinmin")
    settle(MeetingListState.on_enter.fn(clerk))
    assert not clerk.show_overview and clerk.overdue == [] and clerk.can_manage
    assert [m["area_name"] for m in clerk.meetings] == ["新民镇"]


def test_the_minutes_pdf_is_drawn_for_the_page(actor_of, meeting_id):
    filename, pdf = _minutes_pdf(actor_of("xinmin"), meeting_id)
    assert filename.endswith(".pdf") and pdf.startswith(b"%PDF")
