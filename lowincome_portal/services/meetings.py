"""The monthly joint meeting (困难群众联席会议): a meeting per township per month (and the
county's), its attendees and sign-in, the minutes and decisions of each agenda item, the
action items decisions create, and the county's view of townships that have not met.

Every write is one command in the caller's unit of work: it locks the meeting row, checks
the permission in the meeting's area (a township, or the county code for the county meeting,
which only county roles reach), refuses once the minutes are approved, and writes its audit
entry in the same transaction; bad input raises ValidationError and changes nothing. Free
text is stored as typed: pages and PDFs escape it. The rules and their Chinese words are in
domain/meetings.py; the agenda (drafting, the chair's edits, each item's minutes) is in
meeting_agenda.py, whose commands are re-exported here so pages import one module.

Reads return plain dicts (ID numbers masked) for pages, the minutes PDF and the Excel.
"""

from datetime import date

from sqlalchemy import case
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from .. import routes
from ..db.tables import (
    ActionItem,
    AgendaItem,
    Application,
    Area,
    Household,
    Meeting,
    MeetingAttendee,
    Organisation,
    User,
    UserRole,
)
from ..domain import areas as area_rules
from ..domain import meetings as rules
from ..domain.errors import NotFound, ValidationError
from ..domain.masking import mask_id_number
from ..domain.permissions import Actor, Scope, can, require
from ..domain.roles import COUNTY_AGRI, COUNTY_CIVIL, TOWNSHIP_STAFF
from ..resources.organisations import KINDS as ORGANISATION_KINDS
from . import audit
from .households import today_in_china
from .meeting_agenda import (  # noqa: F401 - re-exported: the feature's API is this module
    AGENDA_SOURCES,
    add_item,
    attendees_of,
    draft_agenda,
    drop_item,
    load_meeting,
    lock_meeting,
    locked_action,
    move_item,
    ordered_items,
    raise_hard_case,
    record_minutes,
    responsible_names,
    restore_item,
    touch,
)
from .resources import area_labels, area_range

# The levels a meeting is held at: a township (or street), or the county itself.
MEETING_AREA = (area_rules.TOWNSHIP, area_rules.COUNTY)
# Who attends for the area: the township's staff; for the county, civil affairs and agriculture.
STAFF_ROLES = {area_rules.TOWNSHIP: (TOWNSHIP_STAFF,), area_rules.COUNTY: (COUNTY_CIVIL, COUNTY_AGRI)}
ACTIVE_ACTIONS = (rules.OPEN, rules.DONE, rules.SUPERSEDED)


# --- creating a meeting -----------------------------------------------------------------------

def _meeting_area(session: Session, area_code) -> Area:
    code = (area_code or "").strip() if isinstance(area_code, str) else ""
    area = session.get(Area, code) if area_rules.is_valid_code(code) else None
    if area is None or area_rules.level_of(code) not in MEETING_AREA:
        raise ValidationError(rules.MSG_AREA)
    return area


def _units(session: Session, unit_ids) -> list[Organisation]:
    ids = list(dict.fromkeys(i for i in (rules.an_id(u) for u in unit_ids or []) if i))
    if not ids:
        return []
    found = {o.id: o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(ids),
                                                                       col(Organisation.active))).all()}
    if len(found) != len(ids):
        raise ValidationError(rules.MSG_UNITS)
    return [found[i] for i in ids]


def member_unit_options(session: Session) -> list[dict]:
    """The units a meeting may invite (active organisations: departments first, then charities
    and social organisations): [{id, name, kind, kind_label}]. Names only: any page may list them."""
    order = {kind: n for n, kind in enumerate(ORGANISATION_KINDS)}
    orgs = session.exec(select(Organisation).where(col(Organisation.active))).all()
    return [{"id": o.id, "name": o.name, "kind": o.kind, "kind_label": ORGANISATION_KINDS.get(o.kind, o.kind)}
            for o in sorted(orgs, key=lambda o: (order.get(o.kind, len(order)), o.name))]


def _staff(session: Session, area_code: str) -> list[User]:
    roles = STAFF_ROLES[area_rules.level_of(area_code)]
    holders = select(UserRole.user_id).where(col(UserRole.role).in_(roles))
    return list(session.exec(select(User).where(User.area_code == area_code, ~col(User.disabled),
                                                col(User.id).in_(holders)).order_by(User.id)).all())


def create_meeting(session: Session, *, actor: Actor, area_code: str, month, planned_on, place: str,
                   chair_name: str, unit_ids: list[int], today: date) -> int:
    """Plan the joint meeting of a township (or the county) for a month, invite the area's
    staff and the chosen member units, and draft its agenda from the area's pending work
    (hard cases on it are marked taken up). One meeting per area per month. Returns its id.
    Who: meeting.manage in the area (township staff for their township, county civil affairs)."""
    area = _meeting_area(session, area_code)
    require(actor, "meeting.manage", Scope(area_code=area.code))
    facts = rules.meeting_input(month, planned_on, place, chair_name)
    units = _units(session, unit_ids)
    duplicate = rules.MSG_DUPLICATE.format(area=area.name, month=rules.month_text(facts.month))
    if session.exec(select(Meeting.id).where(Meeting.area_code == area.code, Meeting.month == facts.month)).first():
        raise ValidationError(duplicate)
    meeting = Meeting(area_code=area.code, month=facts.month, planned_on=facts.planned_on, place=facts.place,
                      chair_name=facts.chair_name, status=rules.PLANNED, created_by=actor.user_id)
    try:
        with session.begin_nested():  # someone else created it since our check: the index says so
            session.add(meeting)
            session.flush()
    except IntegrityError:
        raise ValidationError(duplicate) from None
    for user in _staff(session, area.code):
        session.add(MeetingAttendee(meeting_id=meeting.id, user_id=user.id, name=user.display_name))
    for org in units:
        session.add(MeetingAttendee(meeting_id=meeting.id, organisation_id=org.id, name=org.name))
    items = draft_agenda(session, meeting, today)
    audit.record(session, actor=actor, action="create", entity="meeting", entity_id=meeting.id,
                 new={"area_code": area.code, "month": facts.month, "planned_on": facts.planned_on,
                      "place": facts.place, "chair_name": facts.chair_name, "units": [o.name for o in units],
                      "agenda_items": len(items)})
    for item in items:
        if item.hard_case_id:
            audit.record(session, actor=actor, action="update", entity="hard_case", entity_id=item.hard_case_id,
                         old={"taken_up_on": None}, new={"taken_up_on": today, "meeting_id": meeting.id,
                                                         "household_id": item.household_id})
    return meeting.id


# --- the meeting's course: sign-in, held, approved; action items done -------------------

def sign_in(session: Session, *, actor: Actor, attendee_id: int, present: bool) -> None:
    """Mark an attendee (a person or a member unit) present or absent.
    Who: meeting.manage in the meeting's area, until the minutes are approved."""
    meeting_id = session.exec(select(MeetingAttendee.meeting_id).where(MeetingAttendee.id == attendee_id)).first()
    if meeting_id is None:
        raise NotFound(rules.MSG_NO_ATTENDEE)
    meeting = lock_meeting(session, actor, meeting_id)
    attendee = session.get(MeetingAttendee, attendee_id)
    before, attendee.signed_in = attendee.signed_in, bool(present)
    session.add(attendee)
    touch(session, meeting)
    audit.record(session, actor=actor, action="update", entity="meeting", entity_id=meeting.id,
                 old={"signed_in": before}, new={"attendee_id": attendee.id, "name": attendee.name,
                                                 "signed_in": attendee.signed_in},
                 note="签到" if attendee.signed_in else "取消签到")


def mark_held(session: Session, *, actor: Actor, meeting_id: int, held_on, today: date) -> None:
    """Record the day the meeting was held (not in the future, not before its month; later
    than the month means held late). Refused when a recorded deadline falls before that day.
    Who: meeting.manage in the meeting's area, until the minutes are approved."""
    meeting = lock_meeting(session, actor, meeting_id)
    day = rules.held_on(held_on, meeting.month, today)
    live = [i for i in ordered_items(session, meeting.id) if not i.dropped]
    for number, item in enumerate(live, start=1):
        if item.deadline and item.deadline < day:
            raise ValidationError(rules.MSG_HELD_AFTER_DEADLINE.format(
                number=number, title=item.title, deadline=item.deadline.isoformat()))
    old = {"status": meeting.status, "held_on": meeting.held_on}
    meeting.status, meeting.held_on = rules.HELD, day
    touch(session, meeting)
    audit.record(session, actor=actor, action="update", entity="meeting", entity_id=meeting.id,
                 old=old, new={"status": rules.HELD, "held_on": day}, note="登记召开")


def approve_minutes(session: Session, *, actor: Actor, meeting_id: int, today: date) -> None:
    """Approve the minutes of a held meeting whose every item (not dropped) is decided; from
    then on nothing in the meeting changes. Earlier decisions this meeting decided again (a
    deferred matter, a task re-assigned) are closed as superseded.
    Who: meeting.manage in the meeting's area."""
    meeting = lock_meeting(session, actor, meeting_id)
    if meeting.status != rules.HELD:
        raise ValidationError(rules.MSG_NOT_HELD)
    live = [i for i in ordered_items(session, meeting.id) if not i.dropped]
    if not live:
        raise ValidationError(rules.MSG_NO_ITEMS)
    problem = rules.undecided([(i.title, i.decision) for i in live])
    if problem:
        raise ValidationError(problem)
    meeting.status, meeting.approved_on, meeting.approved_by = rules.APPROVED, today, actor.user_id
    for item in live:
        _close_followed(session, actor, meeting, item, today)
    touch(session, meeting)
    audit.record(session, actor=actor, action="approve", entity="meeting", entity_id=meeting.id,
                 old={"status": rules.HELD}, new={"status": rules.APPROVED, "approved_on": today})


def _close_followed(session: Session, actor: Actor, meeting: Meeting, item: AgendaItem, today: date) -> None:
    if not item.action_item_id:
        return
    followed = locked_action(session, select(ActionItem).where(ActionItem.id == item.action_item_id))
    if followed is None or followed.status != rules.OPEN:
        return
    # 暂缓 waits for this meeting; a new 转介/交办/暂缓 replaces the old task. 同意 of a progress
    # report leaves the task open until it is marked done.
    if followed.decision == "defer" or item.decision in rules.ACTION_DECISIONS:
        followed.status, followed.done_on = rules.SUPERSEDED, today
        followed.done_note = (f"{rules.month_text(meeting.month)}联席会议重新决定："
                              f"{rules.DECISIONS[item.decision]}")[:500]
        session.add(followed)
        audit.record(session, actor=actor, action="update", entity="action_item", entity_id=followed.id,
                     old={"status": rules.OPEN}, new={"status": rules.SUPERSEDED, "meeting_id": meeting.id,
                                                      "household_id": followed.household_id})


def complete_action(session: Session, *, actor: Actor, action_id: int, note: str, today: date) -> None:
    """Mark an open action item done, saying how; the next meeting's agenda no longer lists it
    (its summary counts it done). Works after the minutes are approved: that is its point.
    Who: action_item.update in the meeting's area."""
    row = locked_action(session, select(ActionItem).where(ActionItem.id == action_id))
    if row is None:
        raise NotFound(rules.MSG_NO_ACTION)
    require(actor, "action_item.update", Scope(area_code=row.area_code))
    if row.status != rules.OPEN:
        raise ValidationError(rules.MSG_ACTION_CLOSED.format(status=rules.ACTION_STATUS_LABELS[row.status]))
    text = rules.done_note(note)
    row.status, row.done_on, row.done_note = rules.DONE, today, text
    session.add(row)
    audit.record(session, actor=actor, action="update", entity="action_item", entity_id=row.id,
                 old={"status": rules.OPEN}, new={"status": rules.DONE, "done_on": today, "done_note": text,
                                                  "household_id": row.household_id})


# --- reads --------------------------------------------------------------------------------------

def _households(session: Session, ids) -> dict[int, dict]:
    ids = {i for i in ids if i}
    rows = session.exec(select(Household.id, Household.head_name, Household.head_id_number)
                        .where(col(Household.id).in_(ids))).all() if ids else []
    return {i: {"name": name, "id_masked": mask_id_number(number), "href": routes.household(i)}
            for i, name, number in rows}


def _user_names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all()) if ids else {}


def _meeting_dict(meeting: Meeting, area_name: str, today: date) -> dict:
    return {
        "id": meeting.id, "href": routes.meeting(meeting.id), "area_code": meeting.area_code,
        "area_name": area_name, "is_county": area_rules.level_of(meeting.area_code) == area_rules.COUNTY,
        "title": rules.meeting_title(area_name, meeting.month), "month": meeting.month.isoformat(),
        "month_text": rules.month_text(meeting.month), "planned_on": meeting.planned_on.isoformat(),
        "held_on": meeting.held_on.isoformat() if meeting.held_on else "", "place": meeting.place,
        "chair_name": meeting.chair_name, "status": meeting.status,
        "status_label": rules.STATUS_LABELS.get(meeting.status, meeting.status),
        "overdue": rules.is_overdue(meeting.status, meeting.month, today),
        "approved_on": meeting.approved_on.isoformat() if meeting.approved_on else "", "version": meeting.version,
    }


def _action_dict(a: ActionItem, names: dict, households: dict, today: date, can_update: bool,
                 meeting: dict | None = None) -> dict:
    late = rules.overdue_days(a.deadline, today) if a.status == rules.OPEN else 0
    home = households.get(a.household_id, {})
    return {
        "id": a.id, "meeting_id": a.meeting_id, "agenda_item_id": a.agenda_item_id, "title": a.title,
        "decision": a.decision, "decision_label": rules.DECISIONS.get(a.decision, a.decision),
        "household_id": a.household_id, "household_name": home.get("name", ""),
        "household_id_masked": home.get("id_masked", ""), "household_href": home.get("href", ""),
        "responsible_org_id": a.responsible_org_id, "responsible_user_id": a.responsible_user_id,
        "responsible_name": names.get((a.responsible_org_id, a.responsible_user_id), ""),
        "deadline": a.deadline.isoformat(), "status": a.status,
        "status_label": rules.ACTION_STATUS_LABELS.get(a.status, a.status),
        "status_text": rules.action_status_text(a.status, a.deadline, today),
        "overdue": late > 0, "overdue_days": late, "done_on": a.done_on.isoformat() if a.done_on else "",
        "done_note": a.done_note, "can_complete": can_update and a.status == rules.OPEN,
        "meeting_title": (meeting or {}).get("title", ""), "meeting_href": routes.meeting(a.meeting_id),
        "month_text": (meeting or {}).get("month_text", ""), "area_name": (meeting or {}).get("area_name", ""),
    }


def _item_dict(item: AgendaItem, number: int | None, names: dict, households: dict, tracking: dict) -> dict:
    home = households.get(item.household_id, {})
    return {
        "id": item.id, "number": number or "", "position": item.position, "kind": item.kind,
        "kind_label": rules.KIND_LABELS.get(item.kind, item.kind), "title": item.title, "detail": item.detail,
        "household_id": item.household_id, "household_name": home.get("name", ""),
        "household_id_masked": home.get("id_masked", ""), "household_href": home.get("href", ""),
        "application_id": item.application_id, "tracking_no": tracking.get(item.application_id, ""),
        "application_href": routes.application(item.application_id) if item.application_id else "",
        "action_item_id": item.action_item_id, "hard_case_id": item.hard_case_id, "dropped": item.dropped,
        "discussion": item.discussion, "decision": item.decision,
        "decision_label": rules.DECISIONS.get(item.decision, rules.UNDECIDED_LABEL),
        "decided": bool(item.decision), "responsible_org_id": item.responsible_org_id,
        "responsible_user_id": item.responsible_user_id,
        "responsible_name": names.get((item.responsible_org_id, item.responsible_user_id), ""),
        "deadline": item.deadline.isoformat() if item.deadline else "",
        "can_move_up": False, "can_move_down": False,
    }


def meeting_detail(session: Session, *, actor: Actor, meeting_id: int, today: date) -> dict:
    """Everything the meeting page, the minutes PDF and the Excel show: the meeting, its
    attendees, its items in order (numbered, dropped ones unnumbered), the action items it
    made, the choices for decisions and responsible parties, and what the actor may do.
    Who: meeting.view in the meeting's area."""
    meeting = load_meeting(session, actor, meeting_id)
    scope = Scope(area_code=meeting.area_code)
    area_name = area_labels(session, {meeting.area_code}).get(meeting.area_code, meeting.area_code)
    attendees, items = attendees_of(session, meeting.id), ordered_items(session, meeting.id)
    actions = session.exec(select(ActionItem).where(ActionItem.meeting_id == meeting.id,
                                                    ActionItem.status != rules.CANCELLED).order_by(ActionItem.id)).all()
    names = responsible_names(session, [(i.responsible_org_id, i.responsible_user_id) for i in items]
                              + [(a.responsible_org_id, a.responsible_user_id) for a in actions])
    households = _households(session, {i.household_id for i in items} | {a.household_id for a in actions})
    app_ids = {i.application_id for i in items if i.application_id}
    tracking = dict(session.exec(select(Application.id, Application.tracking_no)
                                 .where(col(Application.id).in_(app_ids))).all()) if app_ids else {}
    people = _user_names(session, {meeting.created_by, meeting.approved_by})
    can_manage = can(actor, "meeting.manage", scope)
    editable = can_manage and meeting.status != rules.APPROVED
    detail = _meeting_dict(meeting, area_name, today)
    live = [i for i in items if not i.dropped]
    numbers = {i.id: n for n, i in enumerate(live, start=1)}
    item_dicts = [_item_dict(i, numbers.get(i.id), names, households, tracking) for i in items]
    for d in item_dicts:
        number = numbers.get(d["id"])
        d["can_move_up"] = bool(editable and number and number > 1)
        d["can_move_down"] = bool(editable and number and number < len(live))
    can_update = can(actor, "action_item.update", scope)
    return detail | {
        "created_by_name": people.get(meeting.created_by, ""), "approved_by_name": people.get(meeting.approved_by, ""),
        "attendees": [{"id": a.id, "kind": "unit" if a.organisation_id else "user",
                       "kind_label": "成员单位" if a.organisation_id else "工作人员", "name": a.name,
                       "user_id": a.user_id, "organisation_id": a.organisation_id, "signed_in": a.signed_in,
                       "signed_in_text": "已签到" if a.signed_in else "未签到"} for a in attendees],
        "items": item_dicts,
        "actions": [_action_dict(a, names, households, today, can_update, detail) for a in actions],
        "counts": {"items": len(live), "decided": sum(bool(i.decision) for i in live),
                   "undecided": sum(not i.decision for i in live), "dropped": len(items) - len(live),
                   "signed_in": sum(a.signed_in for a in attendees), "attendees": len(attendees)},
        "decisions": [{"value": code, "label": label} for code, label in rules.DECISIONS.items()],
        "units": [{"id": a.organisation_id, "name": a.name} for a in attendees if a.organisation_id],
        "people": [{"id": a.user_id, "name": a.name} for a in attendees if a.user_id],
        "can_manage": can_manage, "editable": editable,
        "can_mark_held": editable, "can_approve": editable and meeting.status == rules.HELD,
        "can_update_actions": can_update,
    }


def list_meetings(session: Session, *, actor: Actor, month=None, today: date | None = None) -> list[dict]:
    """The meetings inside the actor's area (a township's own; the county sees all), newest
    month first, with item and open-action counts. Who: meeting.view."""
    require(actor, "meeting.view")
    if not actor.area_code:
        return []
    today = today or today_in_china()
    low, high = area_range(actor.area_code)
    query = select(Meeting).where(Meeting.area_code >= low, Meeting.area_code <= high)
    if month:
        query = query.where(Meeting.month == rules.a_month(month))
    meetings = session.exec(query.order_by(col(Meeting.month).desc(), Meeting.area_code)).all()
    ids = [m.id for m in meetings]
    if not ids:
        return []
    undecided = func.sum(case((AgendaItem.decision == "", 1), else_=0))
    counted = session.exec(select(AgendaItem.meeting_id, func.count(), undecided)
                           .where(col(AgendaItem.meeting_id).in_(ids), ~col(AgendaItem.dropped))
                           .group_by(AgendaItem.meeting_id)).all()
    items = {m: (n, int(u or 0)) for m, n, u in counted}
    open_counts = dict(session.exec(select(ActionItem.meeting_id, func.count())
                                    .where(col(ActionItem.meeting_id).in_(ids), ActionItem.status == rules.OPEN)
                                    .group_by(ActionItem.meeting_id)).all())
    names = area_labels(session, {m.area_code for m in meetings})
    return [_meeting_dict(m, names.get(m.area_code, m.area_code), today)
            | {"items": items.get(m.id, (0, 0))[0], "undecided": items.get(m.id, (0, 0))[1],
               "open_actions": open_counts.get(m.id, 0)} for m in meetings]


def overdue_townships(session: Session, *, actor: Actor, month, today: date) -> list[dict]:
    """The townships of the actor's area without a held meeting for `month`: overdue once the
    month is over, "not yet due" while it runs (overdue ones first). Who: meeting.overview."""
    require(actor, "meeting.overview")
    if not actor.area_code:
        return []
    first = rules.a_month(month)
    low, high = area_range(actor.area_code)
    townships = session.exec(select(Area).where(Area.level == area_rules.TOWNSHIP, Area.code >= low,
                                                Area.code <= high).order_by(Area.code)).all()
    meetings = {m.area_code: m for m in session.exec(select(Meeting).where(
        Meeting.month == first, col(Meeting.area_code).in_([t.code for t in townships]))).all()}
    over = today > rules.month_end(first)
    rows = []
    for town in townships:
        meeting = meetings.get(town.code)
        if meeting is not None and meeting.status != rules.PLANNED:
            continue
        rows.append({
            "area_code": town.code, "area_name": town.name, "month": first.isoformat(),
            "month_text": rules.month_text(first), "meeting_id": meeting.id if meeting else None,
            "href": routes.meeting(meeting.id) if meeting else "",
            "status": meeting.status if meeting else "",
            "status_label": rules.STATUS_LABELS[meeting.status] if meeting else "未创建",
            "planned_on": meeting.planned_on.isoformat() if meeting else "", "overdue": over,
            "state_text": "已超期未召开" if over else "本月尚未召开（未到期）",
        })
    return rows


def open_actions(session: Session, *, actor: Actor, area_code: str | None = None, meeting_id: int | None = None,
                 include_done: bool = False, today: date | None = None) -> list[dict]:
    """Action items inside an area (default: the actor's) or of one meeting, earliest deadline
    first: open ones, or every one but the cancelled with include_done (the Excel of a meeting).
    Who: meeting.view in the area or the meeting's area."""
    today = today or today_in_china()
    query = select(ActionItem)
    if meeting_id is not None:
        load_meeting(session, actor, meeting_id)
        query = query.where(ActionItem.meeting_id == meeting_id)
    else:
        code = area_code or actor.area_code
        require(actor, "meeting.view", Scope(area_code=code) if code else None)
        if not code:
            return []
        low, high = area_range(code)
        query = query.where(ActionItem.area_code >= low, ActionItem.area_code <= high)
    statuses = ACTIVE_ACTIONS if include_done else (rules.OPEN,)
    actions = session.exec(query.where(col(ActionItem.status).in_(statuses))
                           .order_by(ActionItem.deadline, ActionItem.id)).all()
    meetings = {m.id: m for m in session.exec(select(Meeting).where(
        col(Meeting.id).in_({a.meeting_id for a in actions}))).all()} if actions else {}
    areas = area_labels(session, {m.area_code for m in meetings.values()})
    info = {i: _meeting_dict(m, areas.get(m.area_code, m.area_code), today) for i, m in meetings.items()}
    names = responsible_names(session, [(a.responsible_org_id, a.responsible_user_id) for a in actions])
    households = _households(session, {a.household_id for a in actions})
    return [_action_dict(a, names, households, today,
                         can(actor, "action_item.update", Scope(area_code=a.area_code)), info.get(a.meeting_id))
            for a in actions]
