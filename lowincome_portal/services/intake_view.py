"""The application page's read model: one dict with everything the page shows.

Reads only. The moves offered are those the track table gives the user's roles from the
current step, each with the reasons it cannot happen yet (the same guards take_step
checks), so the page can say what is missing before anyone clicks.
"""

import json
from datetime import date

from sqlmodel import Session, col, select

from .. import routes
from ..db.tables import ApplicationEvent, Objection, PublicNotice
from ..db.timeutil import china_text
from ..domain import intake
from ..domain import registry as codes
from ..domain.errors import ValidationError
from ..domain.masking import mask_id_number, mask_phone
from ..domain.permissions import Actor, Scope, can
from .areas import area_path
from .intake import facts_for, load
from .means_test import assess_facts
from .parameters import MissingParameter
from .worklist import clock, due_soon_until

DECISION_LABELS = {"approved": "认定", "refused": "不予认定"}
# The same action is called differently on each track ("complete_check").
ACTION_NAMES = {(code, t.action): t.label for code, track in intake.TRACKS.items() for t in track.transitions}
SUBMIT_LABEL = "提交申请"
# Guards that pick one of two ways on (the decision made), not work still missing: a way
# they close is not offered at all.
BRANCH_GUARDS = ("approved", "refused")


def application_detail(session: Session, *, actor: Actor, application_id: int, today: date) -> dict:
    """Everything the application page shows. Who: application.view in the village's area."""
    app = load(session, actor, application_id)
    track = intake.track(app.track)
    scope = Scope(area_code=app.area_code)
    facts = facts_for(session, app, today) if intake.is_open(app.track, app.state) else None
    return {
        "id": app.id,
        "version": app.version,
        "tracking_no": app.tracking_no,
        "track": app.track,
        "track_label": intake.TRACK_LABELS[app.track],
        "channel_label": intake.CHANNEL_LABELS.get(app.channel, app.channel),
        "state": app.state,
        "state_label": intake.state_label(app.track, app.state),
        "open": intake.is_open(app.track, app.state),
        "clock": clock(today, app.due_on, due_soon_until(session, today), app.due_estimated),
        "place": area_path(session, app.area_code),
        "area_code": app.area_code,
        "applicant_name": app.applicant_name,
        "applicant_id_number": mask_id_number(app.applicant_id_number),
        "applicant_phone": mask_phone(app.applicant_phone),
        "address": app.address,
        "difficulty": app.difficulty,
        "submitted_on": china_text(app.created_at, "%Y-%m-%d"),
        "accepted_on": app.accepted_on.isoformat() if app.accepted_on else "",
        "consent": app.consent,
        "staff_relative": app.staff_relative,
        "staff_relative_note": app.staff_relative_note,
        "green_channel": app.green_channel,
        "monitoring_type": codes.MONITORING_TYPES.get(app.monitoring_type, ""),
        "household_href": routes.household(app.household_id) if app.household_id else "",
        "listed_members": [
            {"name": m.get("name", ""), "id_number": mask_id_number(m.get("id_number", "")),
             "relation": codes.label(codes.RELATIONS, m.get("relation"))}
            for m in json.loads(app.members_json or "[]")],
        "burden": {"prefilled": app.fields_prefilled, "typed": app.fields_typed},
        "can_investigate": (app.state == intake.INVESTIGATION_STATES[app.track]
                            and can(actor, "application.investigate", scope)),
        "can_object": (app.notice_id is not None and intake.is_open(app.track, app.state)
                       and can(actor, "application.notice", scope)),
        "progress": _progress(track, app.state),
        "actions": _actions(app, actor, facts),
        "notice": _notice(session, app.notice_id, today),
        "objections": _objections(session, app.id),
        "assessment": _assessment(session, app, today),
        "decision": _decision(app),
        "events": _events(session, app.id, app.track),
    }


def _progress(track: intake.Track, state: str) -> list[dict]:
    """The main path of the track as steps done / current / to come (final detours shown as current)."""
    main = [s for s in track.steps.values() if not s.final]
    main.append(next(s for s in track.steps.values() if s.final))  # the positive end (救助帮扶 / 纳入监测)
    codes_in_order = [s.code for s in main]
    position = codes_in_order.index(state) if state in codes_in_order else None
    out = []
    for i, s in enumerate(main):
        status = ("done" if position is not None and i < position else
                  "current" if i == position else "todo")
        out.append({"code": s.code, "label": s.label, "status": status})
    if position is None:  # ended off the main path: 不予认定, 已撤回 ...
        out.append({"code": state, "label": track.step(state).label, "status": "current"})
    return out


def _actions(app, actor: Actor, facts: intake.CaseFacts | None) -> list[dict]:
    if facts is None:
        return []
    out = []
    for t in intake.available(app.track, app.state, actor.roles):
        if any(intake.GUARDS[g](facts) for g in t.guards if g in BRANCH_GUARDS):
            continue
        out.append({"action": t.action, "label": t.label, "negative": t.negative,
                    "comment_required": t.comment_required, "blockers": intake.blockers(t, facts),
                    "needs_monitoring_type": "monitoring_type" in t.guards,
                    "asks_income_unstable": t.action == "confirm"})
    return out


def _notice(session: Session, notice_id: int | None, today: date) -> dict:
    notice = session.get(PublicNotice, notice_id) if notice_id else None
    if notice is None:
        return {"posted": False, "posted_on": "", "ends_on": "", "contact": "", "status": "尚未张贴"}
    return {"posted": True, "posted_on": notice.posted_on.isoformat(), "ends_on": notice.ends_on.isoformat(),
            "contact": notice.contact, "status": "公示中" if today <= notice.ends_on else "公示期满"}


def _objections(session: Session, application_id: int) -> list[dict]:
    rows = session.exec(select(Objection).where(Objection.application_id == application_id)
                        .order_by(col(Objection.id))).all()
    return [{"id": o.id, "raised_on": o.raised_on.isoformat(), "raised_by": o.raised_by, "content": o.content,
             "resolved": o.resolved_on is not None, "resolution": o.resolution,
             "resolved_on": o.resolved_on.isoformat() if o.resolved_on else ""} for o in rows]


def _assessment(session: Session, app, today: date) -> dict | None:
    """The means test on the investigated facts, once an investigation exists (advice for the
    reviewers; the decision runs it again on the day)."""
    if not app.household_id or app.state in ("submitted", "data_check", "lead") or app.decision:
        return None
    try:
        a = assess_facts(session, app.household_id, today)
    except (ValidationError, MissingParameter):  # no members or no policy yet: nothing to advise
        return None
    return {"recommended": codes.TAG_LABELS.get(a.recommended or "", "不符合救助条件"),
            "qualifies": "、".join(codes.TAG_LABELS[t] for t in a.qualifies) or "无",
            "monthly": f"{a.per_capita_monthly_income:.2f}", "reasons": list(a.reasons)}


def _decision(app) -> dict:
    tags = "、".join(codes.TAG_LABELS.get(t, t) for t in app.decision_tags.split())
    return {"made": bool(app.decision), "label": DECISION_LABELS.get(app.decision, ""), "tags": tags,
            "on": app.decided_on.isoformat() if app.decided_on else "", "reasons": app.decision_reasons,
            "refused": app.decision == "refused"}


def _events(session: Session, application_id: int, track_code: str) -> list[dict]:
    rows = session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
                        .order_by(col(ApplicationEvent.id).desc())).all()
    return [{"day": e.on_day.isoformat(), "at": china_text(e.at, "%Y-%m-%d %H:%M"),
             "action": ACTION_NAMES.get((track_code, e.action), SUBMIT_LABEL if e.action == "submit" else e.action),
             "to_state": intake.state_label(track_code, e.to_state), "actor": e.actor_name or "—",
             "comment": e.comment} for e in rows]
