"""分类救助帮扶, the commands: record a need, dispatch it (to a department or to the partners'
pool), and the partner's steps - claim, start, complete, return - plus marking messages read.

Each command is one step inside the caller's unit of work: it checks the permission and the
scope (staff: the household's area; partners: their own organisation and what it offers),
locks what it changes, changes it and writes the audit entry in the same transaction. A
refusal raises a PortalError subclass before anything is written, and the unit of work rolls
back, so a refusal changes nothing.

The claim is the one place two organisations race: it is a single conditional UPDATE
(… WHERE id = :id AND status = 'pooled' AND version = :v). On PostgreSQL the second UPDATE
waits for the first to commit, finds the row no longer pooled and changes nothing; the loser
is told "该事项已被其他机构认领". Reads for pages are in referral_views.py.
"""

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from .. import routes
from ..db.tables import Need, Notification, Organisation, Referral, ReferralEvent
from ..db.timeutil import utcnow
from ..domain import referrals as rules
from ..domain import registry_input as check
from ..domain import working_days
from ..domain.errors import NotFound, PermissionDenied, ValidationError
from ..domain.parameters import CATALOGUE
from ..domain.permissions import Actor, Scope, can, require
from . import audit
from .households import lock_household, place_name, today_in_china
from .parameters import MissingParameter, value_on

MSG_CAPACITY = "本机构本月已承接 {count} 件，已达承接能力上限（每月 {capacity} 件）"


# --- helpers ----------------------------------------------------------------------------------

def clock_days(session: Session, code: str, on: date) -> int:
    """A referral clock parameter in force on `on` (the catalogue default if the county has none)."""
    try:
        return int(value_on(session, code, on))
    except MissingParameter:
        return int(CATALOGUE[code].default)


def claim_due(session: Session, start: date) -> date:
    return working_days.add_working_days(start, clock_days(session, "referral_claim_days", start))


def delivery_due(session: Session, start: date, urgency: str) -> date:
    code = "referral_urgent_delivery_days" if urgency in rules.URGENT else "referral_delivery_days"
    return working_days.add_working_days(start, clock_days(session, code, start))


def partner_organisation(session: Session, actor: Actor, taking_new: bool = False) -> Organisation:
    """The actor's organisation, for a partner command: partner.portal and an organisation.
    A stopped (停用) organisation takes nothing new (`taking_new`) but may finish what it holds."""
    require(actor, "partner.portal")
    org = session.get(Organisation, actor.org_id) if actor.org_id else None
    if org is None:
        raise PermissionDenied(rules.MSG_NO_ORGANISATION)
    if taking_new and not org.active:
        raise ValidationError(rules.MSG_ORG_INACTIVE)
    return org


def matching_organisations(session: Session, kind: str, area_code: str,
                           exclude: int | None = None) -> list[Organisation]:
    """Active organisations offering `kind` where the household lives. A county has a few
    dozen partners, so they are matched in Python (the codes lists stay simple text)."""
    orgs = session.exec(select(Organisation).where(col(Organisation.active)).order_by(Organisation.name)).all()
    return [o for o in orgs if o.id != exclude and rules.matches(o.assistance_kinds, o.areas_served, kind, area_code)]


def _lock_referral(session: Session, referral_id) -> Referral:
    row = session.exec(select(Referral).where(Referral.id == _an_id(referral_id)).with_for_update()
                       .execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(rules.MSG_NO_REFERRAL)
    return row


def _an_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _held(session: Session, actor: Actor, referral_id, action: str) -> tuple[Referral, Organisation, str]:
    """The referral for a holder's step, locked: it must be assigned to or claimed by the
    actor's organisation (PermissionDenied otherwise, whatever its status), and the step must
    be allowed from its status. Returns (referral, organisation, next status)."""
    org = partner_organisation(session, actor)
    referral = _lock_referral(session, referral_id)
    if referral.organisation_id is None or not can(actor, "partner.portal", Scope(org_id=referral.organisation_id)):
        raise PermissionDenied(rules.MSG_NOT_HOLDER)
    return referral, org, rules.next_status(referral.status, action)


def _event(session: Session, referral: Referral, action: str, actor: Actor, today: date,
           comment: str = "", organisation_id: int | None = None) -> None:
    session.add(ReferralEvent(referral_id=referral.id, action=action, status=referral.status,
                              organisation_id=organisation_id if organisation_id is not None
                              else referral.organisation_id,
                              user_id=actor.user_id, actor_name=actor.display_name[:100],
                              comment=comment, on_day=today))


def _notify(session: Session, orgs, text: str, href: str, referral_id: int) -> None:
    for org in orgs:
        session.add(Notification(organisation_id=org.id, text=text[:300], href=href, referral_id=referral_id))


def _pool_text(session: Session, referral: Referral) -> str:
    return (f"新的待认领事项：{rules.kind_label(referral.kind)}（{place_name(session, referral.area_code)}，"
            f"{rules.URGENCY.get(referral.urgency, '')}），请于 {referral.claim_due_on.isoformat()} 前认领")


def _touch(referral: Referral) -> None:
    referral.version += 1
    referral.updated_at = utcnow()


# --- needs ------------------------------------------------------------------------------------

def record_need(session: Session, *, actor: Actor, household_id: int, kind: str, description: str,
                amount=None, urgency: str = "normal", source: str = "visit", source_ref: str = "",
                today: date | None = None) -> int:
    """Record what a household lacks (缺啥补啥), found by an investigation, a warning, a visit or
    a meeting; returns the need's id. The need is open until it is dispatched.
    Who: need.record in the household's area (the household locked, still registered)."""
    today = today or today_in_china()
    household = lock_household(session, actor, household_id, "need.record")
    facts = rules.need_input(kind=kind, description=description, amount=amount, urgency=urgency,
                             source=source, source_ref=source_ref)
    need = Need(household_id=household.id, area_code=household.area_code, kind=facts.kind,
                description=facts.description, amount=facts.amount, urgency=facts.urgency,
                source=facts.source, source_ref=facts.source_ref, status="open", recorded_on=today,
                recorded_by=actor.user_id)
    session.add(need)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="need", entity_id=need.id,
                 new={"household_id": household.id, "kind": facts.kind, "amount": facts.amount,
                      "urgency": facts.urgency, "source": facts.source, "recorded_on": today})
    return need.id


# --- dispatch ---------------------------------------------------------------------------------

def household_kinds(session: Session, household, exclude_need: int | None = None) -> list[str]:
    """The kinds a household receives (its tags: 低保, 特困) or asks for (its other needs not
    closed), for 就高不就低."""
    query = select(Need.kind).where(Need.household_id == household.id, Need.status != "closed")
    if exclude_need is not None:
        query = query.where(Need.id != exclude_need)
    tags = [rules.TAG_KINDS[t] for t in (household.current_tags or "").split() if t in rules.TAG_KINDS]
    return list(dict.fromkeys([*tags, *session.exec(query).all()]))


def duplicate_of(session: Session, household_id: int, kind: str, period: date) -> Referral | None:
    """不重: a referral of this kind for this household and period (open or completed)."""
    return session.exec(select(Referral).where(Referral.household_id == household_id, Referral.kind == kind,
                                               Referral.period == period).order_by(Referral.id)).first()


def _assignee(session: Session, organisation_id, need: Need) -> Organisation:
    if organisation_id in (None, "", 0, "0"):
        raise ValidationError(rules.MSG_NO_ASSIGNEE)
    try:
        org = session.get(Organisation, int(organisation_id))
    except (TypeError, ValueError):
        org = None
    if org is None or not org.active or not rules.matches(org.assistance_kinds, org.areas_served,
                                                          need.kind, need.area_code):
        raise ValidationError(rules.MSG_ASSIGNEE_UNFIT.format(kind=rules.kind_label(need.kind)))
    return org


def dispatch(session: Session, *, actor: Actor, need_id: int, mode: str, organisation_id=None,
             justification: str = "", higher_benefit_note: str = "", today: date | None = None) -> int:
    """Turn an open need into a referral; returns the referral's id.

    mode "assigned": to one organisation (the competent department), which must be active,
    offer the kind and serve the household's place; it is told in its message list.
    mode "pool": published for every active organisation offering the kind there, each told
    (refused when there is none: nobody could claim it); it must be claimed within
    referral_claim_days working days.
    不重: a referral of the same kind, household and month already there is refused, naming
    it, unless `justification` is given by someone allowed referral.justify_duplicate.
    就高不就低: the note on overlapping benefits is stored (the caller's, or the suggested one).
    Deadlines from the policy parameters (urgent/critical: the shorter delivery clock).
    The need becomes "referred". Who: referral.dispatch in the household's area; the household
    and the need are locked, so two dispatches of one household are served one after the other.
    """
    today = today or today_in_china()
    mode = rules.dispatch_mode(mode)
    found = session.exec(select(Need.household_id, Need.area_code).where(Need.id == _an_id(need_id))).first()
    if found is None:
        raise NotFound(rules.MSG_NO_NEED)
    require(actor, "referral.dispatch", Scope(area_code=found.area_code))
    household = lock_household(session, actor, found.household_id, "referral.dispatch")
    need = session.exec(select(Need).where(Need.id == _an_id(need_id)).with_for_update()
                        .execution_options(populate_existing=True)).one()
    if need.status != "open":
        raise ValidationError(rules.MSG_NEED_NOT_OPEN.format(status=rules.NEED_STATUS.get(need.status, need.status)))
    reason = rules.justification(justification)
    period = rules.period_of(today)
    earlier = duplicate_of(session, household.id, need.kind, period)
    if earlier is not None:
        if not reason:
            raise ValidationError(rules.MSG_DUPLICATE.format(
                period=rules.period_text(period), kind=rules.kind_label(need.kind), id=earlier.id,
                status=rules.STATUS.get(earlier.status, earlier.status)))
        if not can(actor, "referral.justify_duplicate", Scope(area_code=need.area_code)):
            raise PermissionDenied(rules.MSG_JUSTIFY_ROLE)
    else:
        reason = ""  # a reason is kept only where the rule asked for one
    assignee = _assignee(session, organisation_id, need) if mode == "assigned" else None
    partners = matching_organisations(session, need.kind, need.area_code) if mode == "pool" else []
    if mode == "pool" and not partners:
        raise ValidationError(rules.MSG_NO_PARTNERS.format(kind=rules.kind_label(need.kind)))
    note = (check.text(higher_benefit_note, "就高不就低说明", max_length=500)
            or rules.overlap_note(need.kind, household_kinds(session, household, exclude_need=need.id)))
    pooled = mode == "pool"
    claim_by = claim_due(session, today) if pooled else None
    referral = Referral(
        need_id=need.id, household_id=household.id, area_code=need.area_code, kind=need.kind, period=period,
        mode=mode, status=rules.POOLED if pooled else rules.ASSIGNED,
        organisation_id=assignee.id if assignee else None, urgency=need.urgency, claim_due_on=claim_by,
        # a pooled referral's delivery clock restarts when it is claimed (services.claim)
        delivery_due_on=delivery_due(session, claim_by or today, need.urgency),
        duplicate_justification=reason, higher_benefit_note=note, created_by=actor.user_id)
    session.add(referral)
    session.flush()
    need.status = "referred"
    session.add(need)
    _event(session, referral, "dispatch", actor, today,
           comment="；".join(t for t in (f"重复转介理由：{reason}" if reason else "", note) if t))
    if pooled:
        _notify(session, partners, _pool_text(session, referral), routes.PARTNER, referral.id)
    else:
        _notify(session, [assignee], f"新派单：{rules.kind_label(need.kind)}（{place_name(session, need.area_code)}），"
                f"请于 {referral.delivery_due_on.isoformat()} 前办结", routes.referral(referral.id), referral.id)
    audit.record(session, actor=actor, action="dispatch", entity="referral", entity_id=referral.id,
                 new={"household_id": household.id, "need_id": need.id, "kind": need.kind, "mode": mode,
                      "organisation_id": referral.organisation_id, "period": period,
                      "claim_due_on": claim_by, "delivery_due_on": referral.delivery_due_on,
                      "duplicate_justification": reason, "higher_benefit_note": note},
                 note=f"重复转介理由：{reason}" if reason else "")
    return referral.id


# --- the partner's steps --------------------------------------------------------------------------

def _check_capacity(session: Session, org: Organisation, today: date) -> None:
    if org.capacity is None:
        return
    taken = session.exec(select(func.count()).select_from(Referral).where(
        Referral.organisation_id == org.id, col(Referral.claimed_on).is_not(None),
        Referral.claimed_on >= rules.period_of(today))).one()
    if taken >= org.capacity:
        raise ValidationError(MSG_CAPACITY.format(count=taken, capacity=org.capacity))


def claim(session: Session, *, actor: Actor, referral_id: int, today: date | None = None,
          expected_version: int | None = None) -> None:
    """Claim (认领) a pooled referral for the actor's organisation.

    Refused, changing nothing: not pooled (claimed by another: "该事项已被其他机构认领"), a kind
    or place the organisation does not offer, the organisation's monthly capacity reached.
    The claim itself is one conditional UPDATE on (id, status pooled, version), so of two
    organisations claiming at once exactly one wins. `expected_version` is the version the
    partner's page showed (default: the one read now). Sets the organisation, claim day and
    claimer and restarts the delivery clock. Who: partner.portal.
    """
    today = today or today_in_china()
    org = partner_organisation(session, actor, taking_new=True)
    row = session.exec(select(Referral.status, Referral.version, Referral.organisation_id, Referral.kind,
                              Referral.area_code, Referral.urgency).where(Referral.id == _an_id(referral_id))).first()
    if row is None:
        raise NotFound(rules.MSG_NO_REFERRAL)
    if row.status != rules.POOLED:
        if row.organisation_id == org.id:
            raise ValidationError(rules.MSG_OWN_CLAIM)
        raise ValidationError(rules.MSG_CLAIMED if row.status in (rules.CLAIMED, rules.IN_SERVICE, rules.COMPLETED)
                              else rules.MSG_NOT_POOLED)
    if not rules.matches(org.assistance_kinds, org.areas_served, row.kind, row.area_code):
        raise PermissionDenied(rules.MSG_OUTSIDE_OFFER)
    _check_capacity(session, org, today)
    version = row.version if expected_version is None else int(expected_version)
    due = delivery_due(session, today, row.urgency)
    result = session.exec(
        update(Referral)
        .where(Referral.id == _an_id(referral_id), Referral.status == rules.POOLED, Referral.version == version)
        .values(status=rules.CLAIMED, organisation_id=org.id, claimed_on=today, claimed_by=actor.user_id,
                delivery_due_on=due, version=Referral.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ValidationError(rules.MSG_CLAIMED)
    referral = session.exec(select(Referral).where(Referral.id == _an_id(referral_id))
                            .execution_options(populate_existing=True)).one()
    _event(session, referral, "claim", actor, today)
    audit.record(session, actor=actor, action="claim", entity="referral", entity_id=referral.id,
                 old={"status": rules.POOLED},
                 new={"status": rules.CLAIMED, "organisation_id": org.id, "claimed_on": today,
                      "delivery_due_on": due, "household_id": referral.household_id})


def start_service(session: Session, *, actor: Actor, referral_id: int, today: date | None = None) -> None:
    """Say the service has begun (已认领/已派单 -> 服务中). Who: partner.portal, the organisation
    holding the referral (another organisation: PermissionDenied)."""
    today = today or today_in_china()
    referral, _org, status = _held(session, actor, referral_id, "start")
    old = referral.status
    referral.status = status
    _touch(referral)
    session.add(referral)
    _event(session, referral, "start", actor, today)
    audit.record(session, actor=actor, action="update", entity="referral", entity_id=referral.id,
                 old={"status": old}, new={"status": status, "household_id": referral.household_id},
                 note="开始服务")


def _received_on(session: Session, referral: Referral) -> date | None:
    """The day the holder received the referral: its claim, or the dispatch of an assigned one."""
    if referral.claimed_on is not None:
        return referral.claimed_on
    return session.exec(select(func.max(ReferralEvent.on_day)).where(
        ReferralEvent.referral_id == referral.id, ReferralEvent.action == "dispatch")).one()


def complete(session: Session, *, actor: Actor, referral_id: int, outcome: str, amount=None, delivered_on=None,
             attachments="", today: date | None = None) -> None:
    """Report the referral done (办结) with what was delivered, the amount if any, the day
    and the documents kept. Refused with a clear message: no outcome, a negative amount, a
    delivery day in the future or before the referral was received. The need becomes met.
    Who: partner.portal, the organisation holding the referral."""
    today = today or today_in_china()
    referral, _org, status = _held(session, actor, referral_id, "complete")
    received = _received_on(session, referral)
    facts = rules.completion_input(outcome=outcome, amount=amount, delivered_on=delivered_on,
                                   attachments=attachments, today=today, earliest=received,
                                   earliest_what="认领日期" if referral.claimed_on else "派单日期")
    need = session.exec(select(Need).where(Need.id == referral.need_id).with_for_update()
                        .execution_options(populate_existing=True)).one()
    old = referral.status
    referral.status = status
    referral.outcome, referral.amount = facts.outcome, facts.amount
    referral.delivered_on, referral.attachments, referral.completed_on = facts.delivered_on, facts.attachments, today
    _touch(referral)
    session.add(referral)
    need.status = "met"
    session.add(need)
    _event(session, referral, "complete", actor, today, comment=facts.outcome)
    audit.record(session, actor=actor, action="complete", entity="referral", entity_id=referral.id,
                 old={"status": old},
                 new={"status": status, "outcome": facts.outcome, "amount": facts.amount,
                      "delivered_on": facts.delivered_on, "attachments": facts.attachments,
                      "household_id": referral.household_id, "need_id": need.id})


def return_referral(session: Session, *, actor: Actor, referral_id: int, reason: str,
                    today: date | None = None) -> None:
    """Give a referral back (退回) with a reason: it goes back to the pool (an assigned one too,
    so the dispatcher sees it waiting), with a new claim deadline, and every other matching
    organisation is told again. Who: partner.portal, the organisation holding the referral."""
    today = today or today_in_china()
    referral, org, status = _held(session, actor, referral_id, "return")
    why = rules.return_reason(reason)
    old = {"status": referral.status, "organisation_id": referral.organisation_id}
    referral.status, referral.mode = status, "pool"
    referral.organisation_id, referral.claimed_on, referral.claimed_by = None, None, None
    referral.claim_due_on = claim_due(session, today)
    referral.delivery_due_on = delivery_due(session, referral.claim_due_on, referral.urgency)
    referral.return_reason = why
    _touch(referral)
    session.add(referral)
    _event(session, referral, "return", actor, today, comment=why, organisation_id=org.id)
    _notify(session, matching_organisations(session, referral.kind, referral.area_code, exclude=org.id),
            _pool_text(session, referral), routes.PARTNER, referral.id)
    audit.record(session, actor=actor, action="return", entity="referral", entity_id=referral.id, old=old,
                 new={"status": status, "organisation_id": None, "claim_due_on": referral.claim_due_on,
                      "household_id": referral.household_id}, note=f"退回原因：{why}"[:255])


def mark_notifications_read(session: Session, *, actor: Actor, ids=None) -> int:
    """Mark the organisation's unread messages read (all, or those in `ids`); returns how many.
    Who: partner.portal, for its own organisation's messages only."""
    org = partner_organisation(session, actor)
    stmt = (update(Notification).where(Notification.organisation_id == org.id, col(Notification.read_at).is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))
    if ids is not None:
        wanted = [_an_id(i) for i in ids]
        if not wanted:
            return 0
        stmt = stmt.where(col(Notification.id).in_(wanted))
    count = session.exec(stmt).rowcount
    if count:
        audit.record(session, actor=actor, action="update", entity="notification", entity_id="",
                     new={"organisation_id": org.id, "read": count}, note=f"已读消息 {count} 条")
    return count
