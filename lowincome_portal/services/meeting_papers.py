"""The joint meeting's papers from the database: one meeting's minutes (PDF) and an
area's action items (Excel).

services/meeting_documents.py draws the documents from plain dicts and decides what is
private; this module fills those dicts from the meeting tables and checks who may print.
It reads the tables directly rather than services/meetings.py, so the papers need
nothing from the meeting service but its rows. Reading only, except that every document
produced writes an audit entry "export" (as services/intake_papers.py does): the papers
carry households' names and decisions about them, and the trail must say who took one out.
"""

from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ..db.tables import (ActionItem, AgendaItem, Household, Meeting, MeetingAttendee, Organisation,
                         User)
from ..domain import areas
from ..domain.errors import NotFound, ValidationError
from ..domain.meetings import CANCELLED, DONE, OPEN, SUPERSEDED
from ..domain.permissions import Actor, Scope, require
from . import audit
from .areas import area_names
from .meeting_documents import actions_workbook, minutes_pdf, month_text

MSG_NO_MEETING = "联席会议不存在"
MSG_NO_AREA = "请选择区划"


def minutes_document(session: Session, *, actor: Actor, meeting_id: int, today: date) -> tuple[str, bytes]:
    """(file name, PDF) of one meeting's minutes as they stand (a draft until approved,
    which the PDF says). Writes an audit "export" entry.
    Who: meeting.view in the meeting's area (its township, or the county)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(MSG_NO_MEETING)
    require(actor, "meeting.view", Scope(area_code=meeting.area_code))
    minutes = minutes_data(session, meeting, today)
    pdf = minutes_pdf(minutes)
    audit.record(session, actor=actor, action="export", entity="meeting", entity_id=meeting.id,
                 new={"document": "minutes", "month": month_text(meeting.month), "status": meeting.status})
    return f"{minutes['area_name']}联席会议纪要_{meeting.month:%Y-%m}.pdf", pdf


def actions_document(session: Session, *, actor: Actor, area_code: str | None = None,
                     today: date) -> tuple[str, bytes]:
    """(file name, .xlsx) of the action items (督办事项) of every meeting in an area (the
    actor's own by default), open and closed (not the cancelled), oldest meeting first; a
    village sees those about its households. Writes an audit "export" entry.
    Who: meeting.view in that area."""
    area_code = area_code or actor.area_code
    if not area_code or not areas.is_valid_code(area_code):
        raise ValidationError(MSG_NO_AREA)
    require(actor, "meeting.view", Scope(area_code=area_code))
    prefix = areas.significant_prefix(area_code)
    actions = list(session.exec(
        select(ActionItem).join(Meeting, Meeting.id == ActionItem.meeting_id)
        .outerjoin(Household, Household.id == ActionItem.household_id)
        .where(or_(col(ActionItem.area_code).startswith(prefix), col(Household.area_code).startswith(prefix)),
               ActionItem.status != CANCELLED)
        .order_by(col(Meeting.month), col(Meeting.area_code), col(ActionItem.id))).all())
    rows = action_rows(session, actions)
    name = area_names(session, {area_code}).get(area_code, area_code)
    audit.record(session, actor=actor, action="export", entity="action_item", entity_id="",
                 new={"document": "actions", "area_code": area_code, "count": len(rows)})
    return f"{name}联席会议督办事项_{today.isoformat()}.xlsx", actions_workbook(rows, today=today)


# --- the dicts --------------------------------------------------------------------------

def minutes_data(session: Session, meeting: Meeting, today: date) -> dict:
    """The minutes dict of meeting_documents.minutes_pdf for one meeting.

    Follow-ups: every action item of the area's previous meeting, and those of older
    meetings not closed before this meeting's month began (never the cancelled ones: the
    meeting changed that decision before approving it); their state is read on the
    meeting day (or today, if that is earlier), so a reprint shows what the meeting saw."""
    county_code = areas.parent_code(meeting.area_code) or meeting.area_code
    names = area_names(session, {meeting.area_code, county_code})
    items = list(session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                              .order_by(col(AgendaItem.position), col(AgendaItem.id))).all())
    attendees = list(session.exec(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting.id)
                                  .order_by(col(MeetingAttendee.id))).all())
    follow_ups = _follow_ups(session, meeting)
    households = _households(session, {i.household_id for i in items} | {a.household_id for a in follow_ups})
    people = _responsible_names(session, items + follow_ups)
    recorder = session.get(User, meeting.created_by) if meeting.created_by else None
    day = meeting.held_on or meeting.planned_on
    return {
        "county": names.get(county_code, ""), "area_name": names.get(meeting.area_code, meeting.area_code),
        "month": meeting.month, "status": meeting.status, "planned_on": meeting.planned_on,
        "held_on": meeting.held_on, "approved_on": meeting.approved_on, "place": meeting.place,
        "chair": meeting.chair_name, "recorder": recorder.display_name if recorder else "",
        "as_of": min(day, today),
        "attendees": [{"name": a.name, "kind": "unit" if a.organisation_id else "user", "signed_in": a.signed_in}
                      for a in attendees],
        "items": [{"title": i.title, "detail": i.detail, "discussion": i.discussion, "decision": i.decision,
                   "responsible": people(i), "deadline": i.deadline, "dropped": i.dropped,
                   "household": households.get(i.household_id)} for i in items],
        # all from this area: the month alone names the meeting
        "follow_ups": action_rows(session, follow_ups, households=households, people=people, with_area=False),
    }


def action_rows(session: Session, actions: list[ActionItem], *, households: dict | None = None,
                people=None, with_area: bool = True) -> list[dict]:
    """Action rows of meeting_documents (for the workbook and the minutes' follow-ups);
    "meeting" is "新民镇 2026年10月", or "2026年10月" without the area."""
    if households is None:
        households = _households(session, {a.household_id for a in actions})
    people = people or _responsible_names(session, actions)
    meetings = _meeting_labels(session, {a.meeting_id for a in actions}, with_area)
    return [{"meeting": meetings.get(a.meeting_id, ""), "title": a.title, "household": households.get(a.household_id),
             "decision": a.decision, "responsible": people(a), "deadline": a.deadline, "status": a.status,
             "done_on": a.done_on, "done_note": a.done_note} for a in actions]


def _follow_ups(session: Session, meeting: Meeting) -> list[ActionItem]:
    previous = session.exec(select(Meeting.id).where(Meeting.area_code == meeting.area_code,
                                                     Meeting.month < meeting.month)
                            .order_by(col(Meeting.month).desc()).limit(1)).first()
    if previous is None:
        return []
    carried = or_(ActionItem.meeting_id == previous, ActionItem.status == OPEN,
                  col(ActionItem.done_on).is_(None), col(ActionItem.done_on) >= meeting.month)
    return list(session.exec(
        select(ActionItem).join(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(Meeting.area_code == meeting.area_code, Meeting.month < meeting.month,
               col(ActionItem.status).in_((OPEN, DONE, SUPERSEDED)), carried)
        .order_by(col(Meeting.month), col(ActionItem.deadline), col(ActionItem.id))).all())


def _households(session: Session, ids: set[int | None]) -> dict[int, dict]:
    """Head's name and ID number per household (printed masked); nothing else is read."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(Household.id, Household.head_name, Household.head_id_number)
                        .where(col(Household.id).in_(ids))).all()
    return {hid: {"head_name": name, "head_id_number": id_number} for hid, name, id_number in rows}


def _responsible_names(session: Session, rows: list):
    """A function row -> "垫江县慈善会、刘慧": the responsible unit and/or person (a
    display name may carry its own brackets, "刘慧（县慈善会）", so none are added)."""
    org_ids = {r.responsible_org_id for r in rows if r.responsible_org_id}
    user_ids = {r.responsible_user_id for r in rows if r.responsible_user_id}
    orgs = dict(session.exec(select(Organisation.id, Organisation.name)
                             .where(col(Organisation.id).in_(org_ids))).all()) if org_ids else {}
    users = dict(session.exec(select(User.id, User.display_name)
                              .where(col(User.id).in_(user_ids))).all()) if user_ids else {}

    def name(row) -> str:
        unit, person = orgs.get(row.responsible_org_id, ""), users.get(row.responsible_user_id, "")
        return "、".join(part for part in (unit, person) if part)
    return name


def _meeting_labels(session: Session, ids: set[int], with_area: bool = True) -> dict[int, str]:
    """"新民镇 2026年10月" (or "2026年10月") per meeting id."""
    if not ids:
        return {}
    meetings = session.exec(select(Meeting.id, Meeting.area_code, Meeting.month)
                            .where(col(Meeting.id).in_(ids))).all()
    if not with_area:
        return {mid: month_text(month) for mid, _, month in meetings}
    names = area_names(session, {code for _, code, _ in meetings})
    return {mid: f"{names.get(code, code)} {month_text(month)}" for mid, code, month in meetings}
