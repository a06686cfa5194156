"""The intake engine: moving an application one step along its track.

`take_step` is one command in the caller's unit of work: it locks the application row,
checks the area and the expected version (two people clicking at once: the second is told
and nothing changes), gathers the facts the guards need, asks domain/intake.py whether the
move is allowed, applies the move's effect (services/intake_effects.py), starts the next
step's clock, and writes the step history and the audit entry - all or nothing.
"""

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..db.tables import Application, ApplicationEvent, EconomicStatus, Objection, PublicNotice, Visit
from ..db.timeutil import utcnow
from ..domain import intake
from ..domain.errors import NotFound, ValidationError
from ..domain.permissions import Actor, Scope, require
from ..domain.working_days import add_calendar_days, add_working_days, is_estimated
from . import audit, intake_effects
from .means_test import assess_facts
from .parameters import value_on

MSG_NO_APPLICATION = "申请不存在"
MSG_STALE = "该申请已由他人办理，现处于“{state}”环节，请刷新后查看"


def load(session: Session, actor: Actor | None, application_id: int, action: str = "application.view",
         lock: bool = False) -> Application:
    """The application, with `action` allowed in its village (PermissionDenied otherwise)."""
    query = select(Application).where(Application.id == application_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.exec(query).first()
    if row is None:
        raise NotFound(MSG_NO_APPLICATION)
    require(actor, action, Scope(area_code=row.area_code))
    return row


def start_clock(session: Session, application: Application, day: date) -> None:
    """Enter the application's current step on `day`: its deadline from the step's parameter,
    in working days on the PRC calendar (or calendar days), marked when estimated."""
    step = intake.track(application.track).step(application.state)
    application.state_entered_on = day
    if step.clock is None:
        application.due_on, application.due_estimated = None, False
        return
    days = int(value_on(session, step.clock, day))
    if step.days == intake.WORKING:
        due = add_working_days(day, days)
        application.due_on, application.due_estimated = due, is_estimated(day, due)
    else:
        application.due_on, application.due_estimated = add_calendar_days(day, days), False


def record_event(session: Session, application: Application, actor: Actor | None, action: str,
                 from_state: str, comment: str, day: date, actor_name: str = "") -> None:
    session.add(ApplicationEvent(
        application_id=application.id, from_state=from_state, action=action, to_state=application.state,
        user_id=actor.user_id if actor else None, actor_name=actor.display_name if actor else actor_name,
        comment=comment, on_day=day))


def _round_start(session: Session, application: Application) -> date | None:
    """The day the current investigation round began: acceptance, or the last time the case
    was sent back for re-investigation (a return asks for new facts, not the old visit)."""
    returned = session.exec(select(func.max(ApplicationEvent.on_day)).where(
        ApplicationEvent.application_id == application.id, ApplicationEvent.action == "return")).one()
    if returned and application.accepted_on:
        return max(returned, application.accepted_on)
    return application.accepted_on


def facts_for(session: Session, application: Application, today: date,
              transition: intake.Transition | None = None) -> intake.CaseFacts:
    """What the guards of `transition` (or of every move, when None) look at."""
    household_id = application.household_id
    since = _round_start(session, application)
    visit = status = False
    if household_id and since:
        visit = session.exec(select(func.count()).select_from(Visit).where(
            Visit.household_id == household_id, Visit.visited_on >= since)).one() > 0
        status = session.exec(select(func.count()).select_from(EconomicStatus).where(
            EconomicStatus.household_id == household_id, EconomicStatus.recorded_on >= since)).one() > 0
    notice = session.get(PublicNotice, application.notice_id) if application.notice_id else None
    open_objections = session.exec(select(func.count()).select_from(Objection).where(
        Objection.application_id == application.id, col(Objection.resolved_on).is_(None))).one()
    qualifies: tuple[str, ...] = ()
    wants_test = transition is None or "qualifies" in transition.guards
    if wants_test and household_id:
        qualifies = tuple(assess_facts(session, household_id, today).qualifies)
    return intake.CaseFacts(
        today=today, consent=application.consent, household_id=household_id, accepted_on=since,
        visit_since_accepted=visit, economic_status_since_accepted=status,
        notice_posted_on=notice.posted_on if notice else None, notice_ends_on=notice.ends_on if notice else None,
        open_objections=open_objections, decision=application.decision, qualifies=qualifies,
        monitoring_type=application.monitoring_type)


def take_step(session: Session, *, actor: Actor, application_id: int, action: str, comment: str = "",
              expected_version: int | None = None, today: date, options: dict | None = None) -> str:
    """Move the application by `action`; returns the new state.

    `expected_version` is the version the user's page showed: if someone moved the case
    since, the move is refused with the step it is in now. `options` carries what an effect
    needs from the user (the monitoring type, whether income is unstable, relatives' flag).
    Who: the roles the track's transition names, inside the application's area.
    """
    application = load(session, actor, application_id, lock=True)
    if expected_version is not None and application.version != expected_version:
        raise ValidationError(MSG_STALE.format(state=intake.state_label(application.track, application.state)))
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError("意见不能超过 2000 个字")
    options = options or {}
    intake_effects.prepare(application, action, options)
    transition = intake.find_transition(application.track, application.state, action)
    facts = facts_for(session, application, today, transition)
    intake.check_transition(application.track, application.state, action, actor.roles, facts, comment)
    before = application.state
    if transition.effect:
        intake_effects.apply(session, actor, application, transition.effect, comment=comment, today=today,
                             options=options)
    application.state = transition.target
    start_clock(session, application, today)
    application.version += 1
    application.updated_at = utcnow()
    session.add(application)
    session.flush()
    record_event(session, application, actor, action, before, comment, today)
    audit.record(session, actor=actor, action="transition", entity="application", entity_id=application.id,
                 old={"state": before}, new={"state": application.state, "action": action},
                 note=f"{transition.label}：{comment}" if comment else transition.label)
    return application.state
