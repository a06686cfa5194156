"""The joint meeting's agenda: drafted from the area's pending work (with the hard cases staff
raise for it), edited by the chair, and each item's minutes and decision (with the action
item a decision makes).

`draft_agenda` asks every provider in AGENDA_SOURCES for items, in order, so a capability
built later (warnings, referrals) adds its own row, as services/home.py PROVIDERS does for the
home page. A provider only reads: fn(session, meeting, today) -> list of item dicts.

This module also holds the lock every meeting write goes through (`lock_meeting`): the
meeting row is read with SELECT ... FOR UPDATE, the permission is checked in the meeting's
area, and a meeting whose minutes are approved refuses every change. services/meetings.py
(the rest of the feature) re-exports the commands below, so pages import one module.
"""

from collections.abc import Callable
from datetime import date

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from ..db.tables import (
    ActionItem,
    AgendaItem,
    Application,
    HardCase,
    Household,
    Meeting,
    MeetingAttendee,
    Organisation,
    Referral,
    User,
)
from ..domain import areas as area_rules
from ..domain import intake
from ..domain import meetings as rules
from ..domain import referrals as referral_rules
from ..domain.errors import NotFound, ValidationError
from ..domain.permissions import Actor, Scope, require
from . import audit
from . import referrals as referral_service
from .households import lock_household
from .resources import area_labels, area_range

ItemDict = dict  # {kind, title, detail, household_id, application_id, action_item_id, hard_case_id}

# Every step of either track that is not final: an application there is still open.
OPEN_STATES = tuple(sorted({code for t in intake.TRACKS.values() for code, step in t.steps.items()
                            if not step.final}))


# --- loading and locking ------------------------------------------------------------------

def load_meeting(session: Session, actor: Actor | None, meeting_id: int, action: str = "meeting.view",
                 lock: bool = False) -> Meeting:
    """The meeting, with `action` allowed in its area (a township, or the county for the
    county meeting: only county roles reach that one)."""
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    meeting = session.exec(query).first()
    if meeting is None:
        raise NotFound(rules.MSG_NO_MEETING)
    require(actor, action, Scope(area_code=meeting.area_code))
    return meeting


def lock_meeting(session: Session, actor: Actor, meeting_id: int, action: str = "meeting.manage") -> Meeting:
    """The meeting for a write: locked, `action` allowed in its area, minutes not yet approved.
    Two people editing one meeting are served one after the other."""
    meeting = load_meeting(session, actor, meeting_id, action, lock=True)
    if meeting.status == rules.APPROVED:
        raise ValidationError(rules.MSG_APPROVED)
    return meeting


def touch(session: Session, meeting: Meeting) -> None:
    """Every change to a meeting or its parts raises its version (pages can tell they are stale)."""
    meeting.version += 1
    session.add(meeting)


def lock_item(session: Session, actor: Actor, item_id: int) -> tuple[AgendaItem, Meeting]:
    """An agenda item and its meeting, the meeting locked; the item read again under the lock."""
    meeting_id = session.exec(select(AgendaItem.meeting_id).where(AgendaItem.id == item_id)).first()
    if meeting_id is None:
        raise NotFound(rules.MSG_NO_ITEM)
    meeting = lock_meeting(session, actor, meeting_id)
    item = session.exec(select(AgendaItem).where(AgendaItem.id == item_id)
                        .execution_options(populate_existing=True)).one()
    return item, meeting


def ordered_items(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                             .order_by(AgendaItem.position, AgendaItem.id)).all())


def responsible_names(session: Session, pairs) -> dict[tuple, str]:
    """“垫江县医疗保障局、王芳（新民镇）” for each (org_id, user_id) pair, in two small queries."""
    pairs = set(pairs)
    org_ids = {o for o, _ in pairs if o}
    user_ids = {u for _, u in pairs if u}
    orgs = dict(session.exec(select(Organisation.id, Organisation.name)
                             .where(col(Organisation.id).in_(org_ids))).all()) if org_ids else {}
    users = dict(session.exec(select(User.id, User.display_name)
                              .where(col(User.id).in_(user_ids))).all()) if user_ids else {}
    return {(o, u): "、".join(n for n in (orgs.get(o, ""), users.get(u, "")) if n) for o, u in pairs}


# --- the providers ----------------------------------------------------------------------------

def _entry(kind: str, title: str, detail: str = "", household_id=None, application_id=None,
           action_item_id=None, hard_case_id=None) -> ItemDict:
    return {"kind": kind, "title": title[:200], "detail": detail, "household_id": household_id,
            "application_id": application_id, "action_item_id": action_item_id, "hard_case_id": hard_case_id}


def _is_county(meeting: Meeting) -> bool:
    return area_rules.level_of(meeting.area_code) == area_rules.COUNTY


def _applications(session: Session, meeting: Meeting, states, overdue: bool, today: date) -> list[Application]:
    low, high = area_range(meeting.area_code)
    if _is_county(meeting):  # the county meeting studies the steps the county decides
        states = [s for s in states if s in rules.COUNTY_REVIEW_STATES]
    due = col(Application.due_on)
    clock = and_(due.is_not(None), due < today) if overdue else or_(due.is_(None), due >= today)
    query = select(Application).where(Application.area_code >= low, Application.area_code <= high,
                                      col(Application.state).in_(states), clock)
    return list(session.exec(query.order_by(Application.due_on, Application.id)).all())


def _case_text(app: Application, places: dict) -> str:
    return (f"{app.applicant_name}（{app.tracking_no}，{intake.TRACK_LABELS.get(app.track, app.track)}·"
            f"{intake.state_label(app.track, app.state)}，{places.get(app.area_code, '')}）")


def _application_entries(session: Session, meeting: Meeting, today: date, overdue: bool) -> list[ItemDict]:
    apps = _applications(session, meeting, OPEN_STATES if overdue else rules.REVIEW_STATES, overdue, today)
    places = area_labels(session, {a.area_code for a in apps})
    entries = []
    for app in apps:
        due = f"本环节办理期限 {app.due_on.isoformat()}" if app.due_on else ""
        if overdue:
            title = f"超期未办：{_case_text(app, places)}，已超期 {rules.overdue_days(app.due_on, today)} 天"
        else:
            title = f"待审核：{_case_text(app, places)}"
        detail = "；".join(t for t in (due, f"困难情况：{app.difficulty}" if app.difficulty else "") if t)
        entries.append(_entry("overdue" if overdue else "application", title, detail,
                              household_id=app.household_id, application_id=app.id))
    return entries


def waiting_for_review(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """Applications at a review step, not yet past its deadline (those are listed as overdue)."""
    return _application_entries(session, meeting, today, overdue=False)


def overdue_applications(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """Open applications whose current step is past its deadline."""
    return _application_entries(session, meeting, today, overdue=True)


def hard_cases(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """Households staff flagged as hard and no meeting has taken up yet. A township's hard
    cases go to the township's meeting (the county meeting hears what townships refer to it)."""
    if _is_county(meeting):
        return []
    low, high = area_range(meeting.area_code)
    rows = session.exec(select(HardCase, Household.head_name)
                        .join(Household, col(Household.id) == HardCase.household_id)
                        .where(HardCase.area_code >= low, HardCase.area_code <= high,
                               col(HardCase.taken_up_on).is_(None)).order_by(HardCase.raised_on, HardCase.id)).all()
    places = area_labels(session, {case.area_code for case, _ in rows})
    return [_entry("hard_case", f"疑难个案：{name}户（{places.get(case.area_code, '')}）",
                   f"{case.raised_on.isoformat()} 提出：{case.note}", household_id=case.household_id,
                   hard_case_id=case.id) for case, name in rows]


def _earlier_actions(session: Session, meeting: Meeting):
    return (select(ActionItem, Meeting.month).join(Meeting, col(Meeting.id) == ActionItem.meeting_id)
            .where(Meeting.area_code == meeting.area_code, Meeting.month < meeting.month))


def last_meeting_summary(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """“上月会议决定事项：8 项已办结，2 项超期未办”, with one line per decision, when this area
    met before."""
    previous = session.exec(select(Meeting).where(Meeting.area_code == meeting.area_code, Meeting.month < meeting.month)
                            .order_by(col(Meeting.month).desc()).limit(1)).first()
    if previous is None:
        return []
    actions = session.exec(select(ActionItem).where(ActionItem.meeting_id == previous.id,
                                                    col(ActionItem.status).in_((rules.OPEN, rules.DONE)))
                           .order_by(ActionItem.id)).all()
    done = sum(a.status == rules.DONE for a in actions)
    late = sum(a.status == rules.OPEN and rules.overdue_days(a.deadline, today) > 0 for a in actions)
    title = rules.summary_title(done, late, len(actions) - done - late, previous.month, meeting.month)
    names = responsible_names(session, [(a.responsible_org_id, a.responsible_user_id) for a in actions])
    lines = [f"{n}. {a.title}（{names[(a.responsible_org_id, a.responsible_user_id)] or '未指定'}）："
             f"{rules.action_status_text(a.status, a.deadline, today)}" for n, a in enumerate(actions, start=1)]
    return [_entry("summary", title, "\n".join(lines))]


def open_action_items(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """Every decision of an earlier meeting of this area that is not done: it comes back each
    month until someone marks it done."""
    rows = session.exec(_earlier_actions(session, meeting).where(ActionItem.status == rules.OPEN)
                        .order_by(Meeting.month, ActionItem.deadline, ActionItem.id)).all()
    names = responsible_names(session, [(a.responsible_org_id, a.responsible_user_id) for a, _ in rows])
    return [_entry("follow_up",
                   rules.follow_up_title(a.title, names[(a.responsible_org_id, a.responsible_user_id)],
                                         a.deadline, today),
                   f"{rules.month_text(month)}会议决定：{rules.DECISIONS.get(a.decision, a.decision)}",
                   household_id=a.household_id, action_item_id=a.id) for a, month in rows]


# (name, provider) in agenda order: last month's decisions are checked first, as the county's
# meetings do; warnings and referrals add their rows when they are built.
AGENDA_SOURCES: list[tuple[str, Callable[[Session, Meeting, date], list[ItemDict]]]] = [
    ("summary", last_meeting_summary),
    ("follow_up", open_action_items),
    ("overdue", overdue_applications),
    ("application", waiting_for_review),
    ("hard_case", hard_cases),
]


def draft_agenda(session: Session, meeting: Meeting, today: date) -> list[AgendaItem]:
    """Add the providers' items after the meeting's last item (positions run on from 1) and
    mark the hard cases taken up. An application appears once, under the first provider that
    names it. The caller (create_meeting) has checked the permission and writes the audit."""
    position = session.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)).one() or 0
    seen: set[int] = set()
    items = []
    for _name, provider in AGENDA_SOURCES:
        for entry in provider(session, meeting, today):
            if entry.get("application_id"):
                if entry["application_id"] in seen:
                    continue
                seen.add(entry["application_id"])
            position += 1
            item = AgendaItem(meeting_id=meeting.id, position=position, **entry)
            session.add(item)
            items.append(item)
            if entry.get("hard_case_id"):
                case = session.get(HardCase, entry["hard_case_id"])
                case.taken_up_on = today
                session.add(case)
    session.flush()
    return items


# --- the chair's edits ------------------------------------------------------------------------

def add_item(session: Session, *, actor: Actor, meeting_id: int, title: str, detail: str = "",
             household_id: int | None = None) -> int:
    """Add an item of the chair's own at the end of the agenda, about a household of the
    meeting's area or none. Returns its id. Who: meeting.manage in the meeting's area, until
    the minutes are approved."""
    meeting = lock_meeting(session, actor, meeting_id)
    title, detail = rules.item_text(title, detail)
    household_id = rules.an_id(household_id)
    if household_id is not None:
        area_code = session.exec(select(Household.area_code).where(Household.id == household_id)).first()
        if area_code is None or not area_rules.contains(meeting.area_code, area_code):
            raise ValidationError(rules.MSG_HOUSEHOLD_OUTSIDE)
    position = session.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)).one() or 0
    item = AgendaItem(meeting_id=meeting.id, position=position + 1, kind="other", title=title, detail=detail,
                      household_id=household_id)
    session.add(item)
    touch(session, meeting)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="agenda_item", entity_id=item.id,
                 new={"meeting_id": meeting.id, "title": title, "household_id": household_id,
                      "position": item.position})
    return item.id


def _set_dropped(session: Session, actor: Actor, item_id: int, dropped: bool, today: date | None) -> None:
    item, meeting = lock_item(session, actor, item_id)
    if dropped and item.dropped:
        raise ValidationError(rules.MSG_ITEM_ALREADY_DROPPED)
    if not dropped and not item.dropped:
        raise ValidationError(rules.MSG_ITEM_NOT_DROPPED)
    if dropped and item.decision:
        raise ValidationError(rules.MSG_ITEM_DECIDED)
    item.dropped = dropped
    session.add(item)
    if item.hard_case_id:
        # a dropped hard case goes back to the pool, so the next meeting takes it up
        case = session.exec(select(HardCase).where(HardCase.id == item.hard_case_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
        case.taken_up_on = None if dropped else (today or meeting.planned_on)
        session.add(case)
    touch(session, meeting)
    audit.record(session, actor=actor, action="update", entity="agenda_item", entity_id=item.id,
                 old={"dropped": not dropped}, new={"dropped": dropped, "household_id": item.household_id},
                 note="撤下议题" if dropped else "恢复议题")


def drop_item(session: Session, *, actor: Actor, item_id: int, today: date | None = None) -> None:
    """Take an undecided item off the agenda (kept, marked dropped; a hard case returns to the
    pool). Who: meeting.manage in the meeting's area, until the minutes are approved."""
    _set_dropped(session, actor, item_id, True, today)


def restore_item(session: Session, *, actor: Actor, item_id: int, today: date | None = None) -> None:
    """Put a dropped item back in its place. Who: as drop_item."""
    _set_dropped(session, actor, item_id, False, today)


def move_item(session: Session, *, actor: Actor, item_id: int, direction: str) -> None:
    """Swap an item with its neighbour among the items not dropped ("up" or "down").
    Who: meeting.manage in the meeting's area, until the minutes are approved."""
    if direction not in ("up", "down"):
        raise ValidationError(rules.MSG_MOVE_DIRECTION)
    item, meeting = lock_item(session, actor, item_id)
    live = [i for i in ordered_items(session, meeting.id) if not i.dropped or i.id == item.id]
    index = next(n for n, i in enumerate(live) if i.id == item.id)
    other_index = index - 1 if direction == "up" else index + 1
    if other_index < 0:
        raise ValidationError(rules.MSG_MOVE_FIRST)
    if other_index >= len(live):
        raise ValidationError(rules.MSG_MOVE_LAST)
    other = live[other_index]
    # positions are renumbered 1..n first, so two items never share one after a swap
    everything = ordered_items(session, meeting.id)
    for n, row in enumerate(everything, start=1):
        row.position = n
    item.position, other.position = other.position, item.position
    session.add_all(everything)
    touch(session, meeting)
    audit.record(session, actor=actor, action="update", entity="agenda_item", entity_id=item.id,
                 new={"position": item.position, "swapped_with": other.id}, note="上移" if direction == "up" else "下移")


# --- hard cases -------------------------------------------------------------------------------

def raise_hard_case(session: Session, *, actor: Actor, household_id: int, note: str, today: date) -> int:
    """Ask the township's next joint meeting to study a household (疑难个案); one open case per
    household until a meeting takes it up. Returns its id. Who: hard_case.raise in the
    household's area."""
    household = lock_household(session, actor, household_id, "hard_case.raise")
    text = rules.hard_case_note(note)
    open_case = session.exec(select(HardCase).where(HardCase.household_id == household.id,
                                                    col(HardCase.taken_up_on).is_(None))).first()
    if open_case is not None:
        raise ValidationError(rules.MSG_HARD_CASE_OPEN.format(day=open_case.raised_on.isoformat()))
    case = HardCase(household_id=household.id, area_code=household.area_code, note=text, raised_on=today,
                    raised_by=actor.user_id)
    session.add(case)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="hard_case", entity_id=case.id,
                 new={"household_id": household.id, "note": text, "raised_on": today})
    return case.id


# --- minutes: each item's discussion and decision -----------------------------------------

def attendees_of(session: Session, meeting_id: int) -> list[MeetingAttendee]:
    return list(session.exec(select(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id)
                             .order_by(col(MeetingAttendee.organisation_id).is_not(None), MeetingAttendee.id)).all())


def locked_action(session: Session, query) -> ActionItem | None:
    return session.exec(query.with_for_update().execution_options(populate_existing=True)).first()


MINUTES_FIELDS = ("discussion", "decision", "responsible_org_id", "responsible_user_id", "deadline")


def record_minutes(session: Session, *, actor: Actor, item_id: int, discussion: str, decision: str,
                   responsible_org_id=None, responsible_user_id=None, deadline=None, assistance_kind: str = "",
                   today: date) -> None:
    """Record an item's discussion and decision (同意/不同意/转介/交办/暂缓; empty keeps the notes
    of an item not yet decided). 转介/交办/暂缓 make an action item linked to the item's household;
    recording again replaces the minutes and updates that action item (or cancels it when
    the new decision asks nothing), unless it is already done.

    转介 of an item about a household also records a need (source 联席会议) of
    `assistance_kind` (a code of domain/referrals.ASSISTANCE_KINDS, required then) and
    dispatches it "assigned" to the responsible unit, through services/referrals.py, in this
    transaction: a refusal there (unit not offering the kind or not serving the area, 不重 ...)
    comes with that service's message and saves nothing. The action item's done_note names
    the referral. Recording again keeps that first referral (no second need; a changed kind or
    unit is not carried over: the referral is managed on its own page from then on); a decision
    changed away from 转介 leaves the referral alone and says so in the action item's note.
    Without a household, 转介 makes the action item only.
    Who: meeting.manage in the meeting's area, until the minutes are approved; a referral also
    needs need.record and referral.dispatch there (township staff and county civil affairs have them)."""
    item, meeting = lock_item(session, actor, item_id)
    if item.dropped:
        raise ValidationError(rules.MSG_ITEM_DROPPED)
    attendees = attendees_of(session, meeting.id)
    minutes = rules.minutes(
        discussion=discussion, decision=decision, responsible_org_id=responsible_org_id,
        responsible_user_id=responsible_user_id, deadline=deadline, month=meeting.month,
        meeting_day=meeting.held_on or meeting.planned_on,
        member_unit_ids={a.organisation_id for a in attendees if a.organisation_id},
        attendee_user_ids={a.user_id for a in attendees if a.user_id})
    current = locked_action(session, select(ActionItem).where(ActionItem.agenda_item_id == item.id,
                                                               ActionItem.status != rules.CANCELLED))
    if current is not None and current.status != rules.OPEN:
        raise ValidationError(rules.MSG_ACTION_DONE.format(status=rules.ACTION_STATUS_LABELS[current.status]))
    referral_id, created = item_referral(session, item.id), None
    if minutes.decision == "refer" and item.household_id is not None and referral_id is None:
        referral_id = created = _refer(session, actor, meeting, item, minutes, assistance_kind, today)
    old = {f: getattr(item, f) for f in MINUTES_FIELDS}
    new = {f: getattr(minutes, f) for f in MINUTES_FIELDS}
    for field, value in new.items():
        setattr(item, field, value)
    session.add(item)
    _sync_action(session, actor, meeting, item, minutes, current, referral_id)
    touch(session, meeting)
    before, after = audit.changes(old, new)
    audit.record(session, actor=actor, action="update", entity="agenda_item", entity_id=item.id,
                 old=before, new=after | {"household_id": item.household_id}
                 | ({"referral_id": created} if created else {}), note="记录会议纪要")


def item_referral(session: Session, item_id: int) -> int | None:
    """The referral an earlier 转介 of this agenda item dispatched, named in the note of one of
    its action items (any status: a cancelled one keeps the mark), or None."""
    notes = session.exec(select(ActionItem.done_note).where(ActionItem.agenda_item_id == item_id)
                         .order_by(col(ActionItem.id).desc())).all()
    return next((found for found in map(rules.referral_in_note, notes) if found), None)


def _refer(session: Session, actor: Actor, meeting: Meeting, item: AgendaItem, minutes: rules.Minutes,
           kind, today: date) -> int:
    """The need and the assigned referral of a 转介 about the item's household; returns the
    referral's id. The referral service checks its own permissions (need.record,
    referral.dispatch), the kind, the unit and 不重; a refusal raises and the caller's unit of
    work rolls everything back."""
    kind = (kind or "").strip()
    if not kind:
        raise ValidationError(rules.MSG_REFER_KIND)
    if minutes.responsible_org_id is None:
        raise ValidationError(rules.MSG_REFER_UNIT)
    area_name = area_labels(session, {meeting.area_code}).get(meeting.area_code, meeting.area_code)
    need_id = referral_service.record_need(
        session, actor=actor, household_id=item.household_id, kind=kind,
        # the item's title names the family: the need may reach partners' pool, so never copy it
        description=(minutes.discussion or f"联席会议决定转介：{referral_rules.kind_label(kind)}")[:2000],
        amount=None, urgency="normal", source="meeting",
        source_ref=rules.meeting_title(area_name, meeting.month)[:60], today=today)
    return referral_service.dispatch(session, actor=actor, need_id=need_id, mode="assigned",
                                     organisation_id=minutes.responsible_org_id, today=today)


def _referral_note(session: Session, referral_id: int) -> str:
    """“已转介：转介事项编号 12（医疗救助，垫江县医疗保障局承办）”, from the referral as it stands."""
    referral = session.get(Referral, referral_id)
    if referral is None:  # not expected: referrals are never deleted
        return rules.referral_note(referral_id, "", "")
    unit = session.get(Organisation, referral.organisation_id) if referral.organisation_id else None
    return rules.referral_note(referral_id, referral_rules.kind_label(referral.kind), unit.name if unit else "")


def _sync_action(session: Session, actor: Actor, meeting: Meeting, item: AgendaItem, minutes: rules.Minutes,
                 current: ActionItem | None, referral_id: int | None = None) -> None:
    """Create, update or cancel the item's action item. `referral_id`: the referral a 转介 of this
    item dispatched, named in the action item's done_note (or in why it is no longer 转介)."""
    kept = rules.referral_kept_note(referral_id) if referral_id else ""
    if not minutes.makes_action:
        if current is not None:
            current.status = rules.CANCELLED
            current.done_note = kept or "会议改变决定"
            session.add(current)
            audit.record(session, actor=actor, action="update", entity="action_item", entity_id=current.id,
                         old={"status": rules.OPEN},
                         new={"status": rules.CANCELLED, "household_id": current.household_id})
        return
    subject = item.title
    if item.action_item_id:  # a follow-up: the matter is the earlier decision's, not "督办：…"
        followed = session.get(ActionItem, item.action_item_id)
        subject = followed.title if followed else subject
    values = {"title": rules.action_title(minutes.decision, subject), "decision": minutes.decision,
              "responsible_org_id": minutes.responsible_org_id, "responsible_user_id": minutes.responsible_user_id,
              "deadline": minutes.deadline, "household_id": item.household_id}
    if referral_id:
        values["done_note"] = _referral_note(session, referral_id) if minutes.decision == "refer" else kept
    if current is None:
        row = ActionItem(meeting_id=meeting.id, agenda_item_id=item.id, area_code=meeting.area_code, **values)
        session.add(row)
        session.flush()
        audit.record(session, actor=actor, action="create", entity="action_item", entity_id=row.id,
                     new=values | {"meeting_id": meeting.id})
        return
    before, after = audit.changes({k: getattr(current, k) for k in values}, values)
    for key, value in values.items():
        setattr(current, key, value)
    session.add(current)
    if after:
        audit.record(session, actor=actor, action="update", entity="action_item", entity_id=current.id,
                     old=before, new=after | {"household_id": current.household_id})


# --- referrals (分类救助帮扶): added by the referral feature ----------------------------------------

def overdue_referrals(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """The township's referrals nobody claimed by the claim deadline, or not completed by the
    delivery deadline (the county meeting hears what townships refer to it, as for hard cases)."""
    # imported here, so this appended block is the referral feature's only hook in this module
    from .referral_views import overdue_for_agenda

    if _is_county(meeting):
        return []
    entries = []
    for row in overdue_for_agenda(session, meeting.area_code, today):
        referral = row["referral"]
        what = f"{row['head_name']}户 {referral_rules.kind_label(referral.kind)}"
        if row["late"] == "claim":
            title = (f"超期未认领：{what}（{row['village']}，认领期限 {row['due'].isoformat()}，"
                     f"已超期 {row['days']} 天）")
        else:
            holder = f"{row['organisation_name']}承办，" if row["organisation_name"] else ""
            title = (f"超期未办结：{what}（{holder}办结期限 {row['due'].isoformat()}，"
                     f"已超期 {row['days']} 天）")
        detail = (f"转介事项编号 {referral.id}，{referral_rules.STATUS[referral.status]}，"
                  f"{referral_rules.URGENCY.get(referral.urgency, '')}")
        entries.append(_entry("referral", title, detail, household_id=referral.household_id))
    return entries


AGENDA_SOURCES.append(("referral", overdue_referrals))


# --- warnings (统一监测预警): added by the monitoring feature ---------------------------------------

def overdue_warnings(session: Session, meeting: Meeting, today: date) -> list[ItemDict]:
    """The township's open warnings that were escalated or are past their step's deadline
    (待核查 not verified, 核查中 not handled, 已处置 not fed back); the county meeting hears
    what townships refer to it, as for referrals."""
    # imported here, so this appended block is the monitoring feature's only hook in this module
    from ..domain import monitoring as monitoring_rules
    from .warnings import overdue_for_agenda as overdue_warning_rows

    if _is_county(meeting):
        return []
    entries = []
    for row in overdue_warning_rows(session, meeting.area_code, today):
        warning = row["warning"]
        status = monitoring_rules.STATUS.get(warning.status, warning.status)
        late = f"已超期 {row['days']} 天" if row["days"] else "已逾期升级"
        due = f"，办理期限 {warning.due_on.isoformat()}" if warning.due_on else ""
        title = f"超期预警：{row['head_name']}户 {row['rule_name']}（{row['village']}，{status}{due}，{late}）"
        detail = (f"预警编号 {warning.id}，{monitoring_rules.SEVERITY.get(warning.severity, '')}等级；"
                  f"{warning.evidence}")
        entries.append(_entry("warning", title, detail, household_id=warning.household_id))
    return entries


AGENDA_SOURCES.append(("warning", overdue_warnings))
