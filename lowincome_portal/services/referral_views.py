"""分类救助帮扶, the reads: what staff and partners see of needs and referrals, as plain dicts
of strings, numbers and booleans (ready for Reflex state). Nothing here changes a row.

Masking follows who holds the referral: a partner sees a pool item with the head's name
masked and no ID number, phone or address; the organisation holding a referral (claimed or
assigned) sees the full contact; another organisation is refused. Staff see referrals in
their area (phones masked: the household page reveals them, audited).

Dates are ISO text ("" when none); money is text with two places ("" when none).
"""

from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, func, or_, select

from .. import routes
from ..db.tables import (
    Household,
    Need,
    Notification,
    Organisation,
    Referral,
    ReferralEvent,
)
from ..db.timeutil import china_text
from ..domain import areas as area_rules
from ..domain import referrals as rules
from ..domain import working_days
from ..domain.errors import NotFound, PermissionDenied
from ..domain.masking import mask_name, mask_name_in, mask_numbers_in, mask_phone
from ..domain.permissions import Actor, Scope, can, require
from ..resources.organisations import KINDS as ORGANISATION_KINDS
from .households import today_in_china
from .referrals import clock_days, household_kinds, matching_organisations
from .resources import area_labels, area_range

MAX_ROWS = 500  # a list page shows the newest; the county filters by status or area for more
MAX_MESSAGES = 50


# --- small helpers ---------------------------------------------------------------------------------

def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _org_names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(ids))).all())


def _in_area(column, code: str):
    low, high = area_range(code)
    return (column >= low) & (column <= high)


def _staff_area(actor: Actor, action: str) -> str:
    """The actor's area for a staff read (`action` allowed there); partners have none."""
    require(actor, action, Scope(area_code=actor.area_code) if actor.area_code else None)
    if not actor.area_code:
        raise PermissionDenied()
    return actor.area_code


def _partner(session: Session, actor: Actor) -> Organisation:
    require(actor, "partner.portal")
    org = session.get(Organisation, actor.org_id) if actor.org_id else None
    if org is None:
        raise PermissionDenied(rules.MSG_NO_ORGANISATION)
    return org


def _clocks(referral: Referral, today: date) -> dict:
    late_claim = rules.claim_overdue(referral.status, referral.claim_due_on, today)
    late_delivery = rules.delivery_overdue(referral.status, referral.delivery_due_on, today)
    due = referral.claim_due_on if late_claim else referral.delivery_due_on
    return {"claim_due_on": _day(referral.claim_due_on), "delivery_due_on": _day(referral.delivery_due_on),
            "claim_overdue": late_claim, "delivery_overdue": late_delivery,
            "overdue": late_claim or late_delivery,
            "overdue_days": rules.overdue_days(due, today) if late_claim or late_delivery else 0}


def _labels(referral: Referral) -> dict:
    return {"id": referral.id, "version": referral.version, "kind": referral.kind,
            "kind_label": rules.kind_label(referral.kind), "status": referral.status,
            "status_label": rules.STATUS.get(referral.status, referral.status), "mode": referral.mode,
            "mode_label": rules.MODES.get(referral.mode, referral.mode), "urgency": referral.urgency,
            "urgency_label": rules.URGENCY.get(referral.urgency, referral.urgency),
            "period": rules.period_text(referral.period)}


def _outcome(referral: Referral) -> dict:
    return {"outcome": referral.outcome, "delivered_amount": _money(referral.amount),
            "delivered_on": _day(referral.delivered_on), "attachments": referral.attachments,
            "completed_on": _day(referral.completed_on), "claimed_on": _day(referral.claimed_on),
            "return_reason": referral.return_reason}


def _with_household(query):
    return (query.join(Household, col(Household.id) == Referral.household_id)
            .join(Need, col(Need.id) == Referral.need_id))


# --- the partner portal ---------------------------------------------------------------------------

def partner_pool(session: Session, *, actor: Actor, today: date | None = None) -> list[dict]:
    """Pool items the actor's organisation may claim (its kinds, its areas), soonest claim
    deadline first. Each: id, version, kind, kind_label, status, status_label, urgency,
    urgency_label, period, village, member_count, description, amount (the need's), head_name
    (MASKED: surname only), claim_due_on, delivery_due_on, claim_overdue, delivery_overdue,
    overdue, overdue_days. No ID number, phone or address. Who: partner.portal."""
    today = today or today_in_china()
    org = _partner(session, actor)
    kinds = rules.split_codes(org.assistance_kinds)
    if not org.active or not kinds:
        return []
    query = _with_household(select(Referral, Household.head_name, Household.member_count, Need.description,
                                   Need.amount)).where(Referral.status == rules.POOLED, col(Referral.kind).in_(kinds))
    served = [a for a in rules.split_codes(org.areas_served) if area_rules.is_valid_code(a)]
    if served:
        query = query.where(or_(*[_in_area(Referral.area_code, a) for a in served]))
    elif rules.split_codes(org.areas_served):  # only unknown codes: it serves nowhere we know
        return []
    rows = session.exec(query.order_by(col(Referral.claim_due_on), Referral.id).limit(MAX_ROWS)).all()
    places = area_labels(session, {r.area_code for r, *_ in rows})
    return [{**_labels(r), **_clocks(r, today), "village": places.get(r.area_code, ""), "member_count": size,
             # staff may have named the family or typed a number in the need: not before a claim
             "description": mask_numbers_in(mask_name_in(text, name)), "amount": _money(amount),
             "head_name": mask_name(name)}
            for r, name, size, text, amount in rows]


def _holder_row(r: Referral, name, size, phone, address, text, amount, places, today) -> dict:
    return {**_labels(r), **_clocks(r, today), **_outcome(r), "href": routes.referral(r.id),
            "village": places.get(r.area_code, ""), "member_count": size, "description": text,
            "amount": _money(amount), "head_name": name, "phone": phone, "address": address,
            "can_start": (r.status, "start") in rules.TRANSITIONS,
            "can_complete": (r.status, "complete") in rules.TRANSITIONS,
            "can_return": (r.status, "return") in rules.TRANSITIONS}


def partner_mine(session: Session, *, actor: Actor, today: date | None = None) -> list[dict]:
    """Referrals assigned to or claimed by the actor's organisation, open ones first (soonest
    delivery deadline first), then completed ones (newest first). Each: as partner_pool plus
    href, mode, mode_label, head_name (FULL), phone, address, claimed_on, outcome,
    delivered_amount, delivered_on, attachments, completed_on, return_reason, can_start,
    can_complete, can_return. Only here does a partner see contact details, and only for what
    it holds. Who: partner.portal."""
    today = today or today_in_china()
    org = _partner(session, actor)
    rows = session.exec(_with_household(select(Referral, Household.head_name, Household.member_count,
                                               Household.phone, Household.address, Need.description, Need.amount))
                        .where(Referral.organisation_id == org.id)
                        .order_by(Referral.status == rules.COMPLETED, col(Referral.delivery_due_on),
                                  col(Referral.id).desc()).limit(MAX_ROWS)).all()
    places = area_labels(session, {r.area_code for r, *_ in rows})
    open_rows = [_holder_row(*row, places, today) for row in rows if row[0].status != rules.COMPLETED]
    done = [_holder_row(*row, places, today) for row in rows if row[0].status == rules.COMPLETED]
    done.sort(key=lambda d: (d["completed_on"], d["id"]), reverse=True)
    return open_rows + done


def partner_figures(session: Session, *, actor: Actor, today: date | None = None) -> dict:
    """The organisation's own figures: organisation (name), pool (items it could claim now),
    taken (every referral it holds or held to the end), waiting (claimed/assigned, not started),
    in_service, completed, overdue (open past the delivery deadline), amount (delivered, text)
    and amount_value (Decimal). Who: partner.portal."""
    today = today or today_in_china()
    org = _partner(session, actor)
    rows = session.exec(select(Referral.status, Referral.delivery_due_on, Referral.amount)
                        .where(Referral.organisation_id == org.id)).all()
    total = sum((a for s, _, a in rows if s == rules.COMPLETED and a is not None), Decimal(0))
    return {
        "organisation": org.name,
        "pool": len(partner_pool(session, actor=actor, today=today)),
        "taken": len(rows),
        "claimed": len(rows),
        "waiting": sum(s in (rules.ASSIGNED, rules.CLAIMED) for s, _, _ in rows),
        "in_service": sum(s == rules.IN_SERVICE for s, _, _ in rows),
        "completed": sum(s == rules.COMPLETED for s, _, _ in rows),
        "overdue": sum(rules.delivery_overdue(s, due, today) for s, due, _ in rows),
        "amount": f"{total:.2f}",
        "amount_value": total,
    }


def notifications(session: Session, *, actor: Actor, today: date | None = None) -> dict:
    """The organisation's message list with a count: {"unread": n, "items": [...]}. Items are
    deadline reminders first (kind "deadline": open referrals it holds whose delivery deadline
    is within due_soon_working_days or past - they stay until the referral is done, so they
    always count as unread), then stored messages newest first (kind "message": new pool items,
    new assignments). Each item: id (0 for a reminder), kind, text, href, at, read.
    Anyone else (staff, no organisation) gets an empty list. Who: partner.portal."""
    if not actor.org_id or not can(actor, "partner.portal"):
        return {"unread": 0, "items": []}
    today = today or today_in_china()
    soon = clock_days(session, "due_soon_working_days", today)
    items = []
    held = session.exec(select(Referral).where(Referral.organisation_id == actor.org_id,
                                               col(Referral.status).in_(rules.HELD_STATUSES),
                                               col(Referral.delivery_due_on).is_not(None))
                        .order_by(Referral.delivery_due_on, Referral.id)).all()
    for r in held:
        left = working_days.working_days_between(today, r.delivery_due_on)
        if left > soon:
            continue
        when = (f"已超期 {rules.overdue_days(r.delivery_due_on, today)} 天" if left < 0
                else "今天到期" if left == 0 else f"还有 {left} 个工作日")
        items.append({"id": 0, "kind": "deadline", "href": routes.referral(r.id), "at": _day(today), "read": False,
                      "text": f"转介事项 {r.id}（{rules.kind_label(r.kind)}）办结期限 "
                              f"{r.delivery_due_on.isoformat()}，{when}"})
    reminders = len(items)
    messages = session.exec(select(Notification).where(Notification.organisation_id == actor.org_id)
                            .order_by(col(Notification.id).desc()).limit(MAX_MESSAGES)).all()
    unread = session.exec(select(func.count()).select_from(Notification).where(
        Notification.organisation_id == actor.org_id, col(Notification.read_at).is_(None))).one()
    items += [{"id": m.id, "kind": "message", "text": m.text, "href": m.href, "at": china_text(m.created_at),
               "read": m.read_at is not None} for m in messages]
    return {"unread": unread + reminders, "items": items}


# --- one referral ---------------------------------------------------------------------------------

def referral_detail(session: Session, *, actor: Actor, referral_id, today: date | None = None) -> dict:
    """One referral for its page. Staff: referral.view in its area (phone masked). A partner:
    only a referral its organisation holds (full contact); any other - pooled, another's,
    unknown organisation - is PermissionDenied. Keys: as partner_mine, plus household_id,
    household_href (staff), organisation_name, need_id, source_label, recorded_on,
    duplicate_justification, higher_benefit_note, is_holder, can_claim (always False here:
    partners claim from the pool), events [{action, action_label, status_label, actor_name,
    organisation_name, comment, on_day, at}] oldest first."""
    today = today or today_in_china()
    try:
        key = int(referral_id)
    except (TypeError, ValueError):
        raise NotFound(rules.MSG_NO_REFERRAL) from None
    referral = session.get(Referral, key)
    if referral is None:
        raise NotFound(rules.MSG_NO_REFERRAL)
    holder = bool(actor.org_id) and can(actor, "partner.portal") and referral.organisation_id == actor.org_id
    if not holder:
        if can(actor, "partner.portal"):
            raise PermissionDenied(rules.MSG_NOT_HOLDER)
        require(actor, "referral.view", Scope(area_code=referral.area_code))
    household = session.get(Household, referral.household_id)
    need = session.get(Need, referral.need_id)
    places = area_labels(session, {referral.area_code})
    row = _holder_row(referral, household.head_name, household.member_count,
                      household.phone if holder else mask_phone(household.phone), household.address,
                      need.description, need.amount, places, today)
    if not holder:
        row.update(can_start=False, can_complete=False, can_return=False)
    events = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                          .order_by(ReferralEvent.at, ReferralEvent.id)).all()
    names = _org_names(session, {referral.organisation_id, *(e.organisation_id for e in events)})
    return {**row, "household_id": referral.household_id,
            "household_href": "" if holder else routes.household(referral.household_id),
            "organisation_name": names.get(referral.organisation_id, ""), "need_id": need.id,
            "source_label": rules.SOURCES.get(need.source, need.source), "recorded_on": _day(need.recorded_on),
            "duplicate_justification": referral.duplicate_justification,
            "higher_benefit_note": referral.higher_benefit_note, "is_holder": holder, "can_claim": False,
            "events": [{"action": e.action, "action_label": rules.ACTIONS.get(e.action, e.action),
                        "status_label": rules.STATUS.get(e.status, e.status), "actor_name": e.actor_name,
                        "organisation_name": names.get(e.organisation_id, ""), "comment": e.comment,
                        "on_day": _day(e.on_day), "at": china_text(e.at)} for e in events]}


# --- staff lists ----------------------------------------------------------------------------------

def referral_list(session: Session, *, actor: Actor, status: str | None = None,
                  today: date | None = None) -> list[dict]:
    """Referrals in the actor's area, newest first (at most MAX_ROWS). `status`: a status code,
    "open" (not completed), "overdue" (past the claim or delivery deadline) or None/"" for all.
    Each: id, href, version, kind, kind_label, status, status_label, mode, mode_label, urgency,
    urgency_label, period, household_id, household_href, head_name, village, organisation_name,
    claim_due_on, delivery_due_on, claim_overdue, delivery_overdue, overdue, overdue_days,
    completed_on. Who: referral.view (staff with an area)."""
    today = today or today_in_china()
    area = _staff_area(actor, "referral.view")
    query = (select(Referral, Household.head_name).join(Household, col(Household.id) == Referral.household_id)
             .where(_in_area(Referral.area_code, area)))
    wanted = (status or "").strip()
    if wanted == "open" or wanted == "overdue":
        query = query.where(col(Referral.status).in_(rules.OPEN_STATUSES))
    elif wanted:
        query = query.where(Referral.status == wanted)
    if wanted == "overdue":
        query = query.where(or_((Referral.status == rules.POOLED) & (col(Referral.claim_due_on) < today),
                                col(Referral.delivery_due_on) < today))
    rows = session.exec(query.order_by(col(Referral.id).desc()).limit(MAX_ROWS)).all()
    places = area_labels(session, {r.area_code for r, _ in rows})
    names = _org_names(session, {r.organisation_id for r, _ in rows})
    return [{**_labels(r), **_clocks(r, today), "href": routes.referral(r.id), "household_id": r.household_id,
             "household_href": routes.household(r.household_id), "head_name": name,
             "village": places.get(r.area_code, ""), "organisation_name": names.get(r.organisation_id, ""),
             "completed_on": _day(r.completed_on)} for r, name in rows]


def missed_needs(session: Session, *, actor: Actor, today: date | None = None) -> list[dict]:
    """不漏: what nobody has answered, in the actor's area, oldest first - open needs with no
    referral recorded more than need_response_days (calendar days) ago, then pooled referrals
    unclaimed past their claim deadline. Each: kind ("need" | "referral"), reason, need_id,
    referral_id (0 for a need), href, household_id, head_name, village, kind_label,
    urgency_label, since (ISO), days. Who: referral.report (county and township staff)."""
    today = today or today_in_china()
    area = _staff_area(actor, "referral.report")
    limit_days = clock_days(session, "need_response_days", today)
    cutoff = date.fromordinal(today.toordinal() - limit_days)
    answered = select(Referral.id).where(Referral.need_id == Need.id).exists()
    needs = session.exec(select(Need, Household.head_name).join(Household, col(Household.id) == Need.household_id)
                         .where(_in_area(Need.area_code, area), Need.status == "open", Need.recorded_on < cutoff,
                                ~answered).order_by(Need.recorded_on, Need.id).limit(MAX_ROWS)).all()
    pooled = session.exec(select(Referral, Household.head_name)
                          .join(Household, col(Household.id) == Referral.household_id)
                          .where(_in_area(Referral.area_code, area), Referral.status == rules.POOLED,
                                 col(Referral.claim_due_on) < today)
                          .order_by(Referral.claim_due_on, Referral.id).limit(MAX_ROWS)).all()
    places = area_labels(session, {n.area_code for n, _ in needs} | {r.area_code for r, _ in pooled})
    out = []
    for n, name in needs:
        days = (today - n.recorded_on).days
        out.append({"kind": "need", "reason": f"需求登记 {days} 天未响应（超过 {limit_days} 天）",
                    "need_id": n.id, "referral_id": 0, "href": routes.household(n.household_id),
                    "household_id": n.household_id, "head_name": name, "village": places.get(n.area_code, ""),
                    "kind_label": rules.kind_label(n.kind), "urgency_label": rules.URGENCY.get(n.urgency, ""),
                    "since": _day(n.recorded_on), "days": days})
    for r, name in pooled:
        days = rules.overdue_days(r.claim_due_on, today)
        out.append({"kind": "referral", "reason": f"超过认领期限 {days} 天无人认领",
                    "need_id": r.need_id, "referral_id": r.id, "href": routes.referral(r.id),
                    "household_id": r.household_id, "head_name": name, "village": places.get(r.area_code, ""),
                    "kind_label": rules.kind_label(r.kind), "urgency_label": rules.URGENCY.get(r.urgency, ""),
                    "since": _day(r.claim_due_on), "days": days})
    return out


def household_needs(session: Session, *, actor: Actor, household_id: int) -> list[dict]:
    """A household's needs (newest first), each with its referrals and their outcome, for the
    household page. Each need: id, kind, kind_label, description, amount, urgency_label,
    status, status_label, source_label, recorded_on, referrals [{id, href, status,
    status_label, mode_label, organisation_name, period, outcome, delivered_amount,
    delivered_on, completed_on, return_reason}]. Who: referral.view in the household's area."""
    area_code = session.exec(select(Household.area_code).where(Household.id == household_id)).first()
    if area_code is None:
        raise NotFound("家庭不存在")
    require(actor, "referral.view", Scope(area_code=area_code))
    needs = session.exec(select(Need).where(Need.household_id == household_id)
                         .order_by(col(Need.recorded_on).desc(), col(Need.id).desc())).all()
    referrals = session.exec(select(Referral).where(Referral.household_id == household_id).order_by(Referral.id)).all()
    names = _org_names(session, {r.organisation_id for r in referrals})
    by_need: dict[int, list[dict]] = {}
    for r in referrals:
        by_need.setdefault(r.need_id, []).append({
            "id": r.id, "href": routes.referral(r.id), "status": r.status,
            "status_label": rules.STATUS.get(r.status, r.status), "mode_label": rules.MODES.get(r.mode, r.mode),
            "organisation_name": names.get(r.organisation_id, ""), "period": rules.period_text(r.period),
            "outcome": r.outcome, "delivered_amount": _money(r.amount), "delivered_on": _day(r.delivered_on),
            "completed_on": _day(r.completed_on), "return_reason": r.return_reason})
    return [{"id": n.id, "kind": n.kind, "kind_label": rules.kind_label(n.kind), "description": n.description,
             "amount": _money(n.amount), "urgency_label": rules.URGENCY.get(n.urgency, n.urgency),
             "status": n.status, "status_label": rules.NEED_STATUS.get(n.status, n.status),
             "source_label": rules.SOURCES.get(n.source, n.source), "recorded_on": _day(n.recorded_on),
             "referrals": by_need.get(n.id, [])} for n in needs]


# --- the dispatch screen --------------------------------------------------------------------------

def dispatch_options(session: Session, *, actor: Actor, need_id, today: date | None = None) -> dict:
    """What the dispatch screen shows for a need:
    need {id, household_id, household_href, head_name, village, kind, kind_label, description,
          amount, urgency, urgency_label, status, status_label, recorded_on};
    departments [{id, name, kind_label}] (active departments offering the kind there: the
          competent ones for "assigned"); organisations [{id, name, kind, kind_label}] (every
          active organisation offering it there, departments first);
    pool_count, pool_names (who a pooled referral would reach);
    overlaps [{kind, kind_label, source, current}] (就高不就低: this need's kind and the
          overlapping kinds the household receives or asks for, higher first; current marks
          this need's), suggested_kind, suggested_note (the note to record);
    duplicates [{id, status_label, period}] (不重: referrals of this kind for the household this
          month), needs_justification, can_justify; can_dispatch (the need is open).
    Who: referral.dispatch in the household's area."""
    today = today or today_in_china()
    try:
        need = session.get(Need, int(need_id))
    except (TypeError, ValueError):
        need = None
    if need is None:
        raise NotFound(rules.MSG_NO_NEED)
    scope = Scope(area_code=need.area_code)
    require(actor, "referral.dispatch", scope)
    household = session.get(Household, need.household_id)
    fitting = matching_organisations(session, need.kind, need.area_code)
    fitting.sort(key=lambda o: (o.kind != "department", o.name))
    period = rules.period_of(today)
    earlier = session.exec(select(Referral).where(Referral.household_id == household.id, Referral.kind == need.kind,
                                                  Referral.period == period).order_by(Referral.id)).all()
    others = household_kinds(session, household, exclude_need=need.id)
    tags = {rules.TAG_KINDS[t] for t in (household.current_tags or "").split() if t in rules.TAG_KINDS}
    group = rules.higher_first([need.kind, *rules.overlapping(need.kind, others)])
    suggested = group[0]
    places = area_labels(session, {need.area_code})
    return {
        "need": {"id": need.id, "household_id": household.id, "household_href": routes.household(household.id),
                 "head_name": household.head_name, "village": places.get(need.area_code, ""), "kind": need.kind,
                 "kind_label": rules.kind_label(need.kind), "description": need.description,
                 "amount": _money(need.amount), "urgency": need.urgency,
                 "urgency_label": rules.URGENCY.get(need.urgency, need.urgency), "status": need.status,
                 "status_label": rules.NEED_STATUS.get(need.status, need.status),
                 "recorded_on": _day(need.recorded_on)},
        "departments": [{"id": o.id, "name": o.name, "kind_label": ORGANISATION_KINDS.get(o.kind, o.kind)}
                        for o in fitting if o.kind == "department"],
        "organisations": [{"id": o.id, "name": o.name, "kind": o.kind,
                           "kind_label": ORGANISATION_KINDS.get(o.kind, o.kind)} for o in fitting],
        "pool_count": len(fitting),
        "pool_names": [o.name for o in fitting],
        "overlaps": [{"kind": k, "kind_label": rules.kind_label(k), "current": k == need.kind,
                      "source": "本次需求" if k == need.kind else "现享受" if k in tags else "另有需求"}
                     for k in group] if len(group) > 1 else [],
        "suggested_kind": suggested,
        "suggested_note": rules.overlap_note(need.kind, others),
        "duplicates": [{"id": r.id, "status_label": rules.STATUS.get(r.status, r.status),
                        "period": rules.period_text(r.period)} for r in earlier],
        "needs_justification": bool(earlier),
        "can_justify": can(actor, "referral.justify_duplicate", scope),
        "can_dispatch": need.status == "open",
    }


# --- the joint meeting ----------------------------------------------------------------------------

def overdue_for_agenda(session: Session, area_code: str, today: date) -> list[dict]:
    """Referrals of an area late on either clock, for the joint meeting's agenda (no permission
    check: the meeting service has checked the meeting). Each: referral (the row), head_name,
    village, organisation_name, late ("claim" | "delivery"), due (date), days."""
    rows = session.exec(select(Referral, Household.head_name)
                        .join(Household, col(Household.id) == Referral.household_id)
                        .where(_in_area(Referral.area_code, area_code), col(Referral.status).in_(rules.OPEN_STATUSES),
                               or_((Referral.status == rules.POOLED) & (col(Referral.claim_due_on) < today),
                                   col(Referral.delivery_due_on) < today))
                        .order_by(Referral.id)).all()
    places = area_labels(session, {r.area_code for r, _ in rows})
    names = _org_names(session, {r.organisation_id for r, _ in rows})
    out = []
    for r, name in rows:
        late = "claim" if rules.claim_overdue(r.status, r.claim_due_on, today) else "delivery"
        due = r.claim_due_on if late == "claim" else r.delivery_due_on
        out.append({"referral": r, "head_name": name, "village": places.get(r.area_code, ""),
                    "organisation_name": names.get(r.organisation_id, ""), "late": late, "due": due,
                    "days": rules.overdue_days(due, today)})
    return out
