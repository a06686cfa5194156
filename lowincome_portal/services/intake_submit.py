"""Ways in: the online self-application (no account), the service-station form (代办), a
monitoring lead, and the public status lookup by tracking number plus ID number.

One application covers every category (一次申请): the applicant does not choose 低保 or
特困; the investigation and the means test decide.
"""

import json
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..db.tables import Application, ApplicationEvent, Area, AuditEntry
from ..db.timeutil import utcnow
from ..domain import application_input, intake
from ..domain import registry as codes
from ..domain import registry_input as check
from ..domain.errors import FormErrors, ValidationError
from ..domain.masking import mask_id_number
from ..domain.permissions import Actor, Scope, require
from . import audit
from .intake import record_event, start_clock, take_step
from .parameters import value_on

PREFIX = {intake.ASSISTANCE: "SQ", intake.MONITORING: "JC"}
MSG_TOO_OFTEN = "提交过于频繁，请稍后再试；如需帮助请到乡镇（街道）便民服务中心办理"
MSG_NOT_FOUND = "未找到该申请：请核对受理编号和申请人身份证号"
MSG_LOOKUP_TOO_OFTEN = "查询失败次数过多，请一小时后再试，或携带身份证到乡镇（街道）便民服务中心查询"
LOOKUP_ENTITY = "application_lookup"
MSG_VILLAGE_UNKNOWN = "所选村（社区）不存在"
ONLINE = "online"


def _tracking_no(session: Session, track: str, day: date) -> str:
    """SQ20261129-483920: the day plus six random digits (not guessable in sequence; the
    status page needs the applicant's ID number as well)."""
    while True:
        number = f"{PREFIX[track]}{day:%Y%m%d}-{secrets.randbelow(10**6):06d}"
        if session.exec(select(Application.id).where(Application.tracking_no == number)).first() is None:
            return number


def _checked(session: Session, form: dict, today: date) -> dict:
    values = application_input.application(form, today)
    if session.get(Area, values["area_code"]) is None:
        raise FormErrors({"area_code": MSG_VILLAGE_UNKNOWN})
    return values


def _new_application(session: Session, values: dict, *, track: str, channel: str, today: date,
                     actor: Actor | None, submission_key: str | None = None, client_key: str = "",
                     comment: str = "") -> Application:
    members = values.pop("members")
    row = Application(
        tracking_no=_tracking_no(session, track, today), track=track, channel=channel,
        state=intake.track(track).start, state_entered_on=today,
        members_json=json.dumps(members, ensure_ascii=False), consent_at=utcnow() if values["consent"] else None,
        submission_key=submission_key, client_key=client_key,
        created_by=actor.user_id if actor else None, **values)
    start_clock(session, row, today)
    session.add(row)
    session.flush()
    record_event(session, row, actor, "submit", "", comment, today, actor_name="申请人（网上）")
    audit.record(session, actor=actor, action="submit", entity="application", entity_id=row.id,
                 username="online" if actor is None else "",
                 new={"tracking_no": row.tracking_no, "track": track, "channel": channel,
                      "area_code": row.area_code, "applicant_name": row.applicant_name,
                      "applicant_id_number": mask_id_number(row.applicant_id_number),
                      "members": len(members)})
    return row


def submit_online(session: Session, *, form: dict, client_key: str, submission_key: str,
                  now: datetime | None = None, today: date) -> str:
    """A resident's own application; returns its tracking number.

    The same `submission_key` (one per filled-in form, so a double click or a resend) gives
    the same application. A client may submit `online_applications_per_hour` per hour.
    Raises FormErrors with a message per wrong field.
    """
    key = (submission_key or "").strip()[:64]
    if not key:
        raise ValidationError("表单已过期，请刷新页面后重新提交")
    existing = session.exec(select(Application.tracking_no).where(Application.submission_key == key)).first()
    if existing:
        return existing
    now = now or utcnow()
    limit = int(value_on(session, "online_applications_per_hour", today))
    recent = session.exec(select(func.count()).select_from(Application).where(
        Application.client_key == client_key, Application.created_at >= now - timedelta(hours=1))).one()
    if client_key and recent >= limit:
        raise ValidationError(MSG_TOO_OFTEN)
    values = _checked(session, form, today)
    try:
        with session.begin_nested():
            row = _new_application(session, values, track=intake.ASSISTANCE, channel=ONLINE, today=today,
                                   actor=None, submission_key=key, client_key=client_key)
    except IntegrityError:
        # the same form arrived twice at the same moment: the first one won
        existing = session.exec(select(Application.tracking_no).where(Application.submission_key == key)).first()
        if existing:
            return existing
        raise
    return row.tracking_no


def create_at_station(session: Session, *, actor: Actor, form: dict, today: date,
                      track: str = intake.ASSISTANCE, options: dict | None = None) -> int:
    """An application entered by station staff for a resident who is there (代办), or a
    monitoring lead found on a visit. The staff accept it at once: the applicant signed the
    authorisation in front of them, so the case starts at 信息比对 (or 入户核实) the same day - when
    the clerk may accept; a village clerk's entry waits at 待受理 for the township.
    Returns the application id. Who: application.create in the village's area, plus the
    accepting role of the track's first step."""
    values = _checked(session, form, today)
    require(actor, "application.create", Scope(area_code=values["area_code"]))
    options = dict(options or {})
    if track == intake.MONITORING and options.get("monitoring_type"):
        values["monitoring_type"] = check.choice(options.pop("monitoring_type"), "监测对象类型",
                                                 codes.MONITORING_TYPES)
    channel = "lead" if track == intake.MONITORING else "station"
    row = _new_application(session, values, track=track, channel=channel, today=today, actor=actor)
    first = "accept" if track == intake.ASSISTANCE else "start_check"
    # village staff help residents apply (代办) but acceptance is the township's: their entry waits
    if any(t.action == first for t in intake.available(track, row.state, actor.roles)):
        take_step(session, actor=actor, application_id=row.id, action=first, comment="窗口受理", today=today,
                  options=options)
    return row.id


def create_imported(session: Session, *, actor: Actor, values: dict, today: date, comment: str = "") -> Application:
    """An application taken through another channel (渝快办, 救助通 ...), checked by
    domain/application_input.application, waiting at 待受理 for the township to accept.
    `comment` says where it came from. Who: application.import in the village's area."""
    require(actor, "application.import", Scope(area_code=values["area_code"]))
    if not values.get("consent"):
        raise ValidationError("未取得申请人核查家庭经济状况授权的申请不能导入")
    return _new_application(session, dict(values), track=intake.ASSISTANCE, channel="import", today=today,
                            actor=actor, comment=comment)


class LookupFailed(ValidationError):
    """No case matches the tracking number and ID number given (counted per client)."""

    default_message = MSG_NOT_FOUND


def note_failed_lookup(session: Session, *, client_key: str) -> None:
    """Count a failed status lookup for the client (in the audit trail, its own transaction:
    the lookup that failed changed nothing else)."""
    if client_key:
        audit.record(session, actor=None, action="lookup_failed", entity=LOOKUP_ENTITY, entity_id=client_key,
                     username="online")


def public_status(session: Session, *, tracking_no: str, id_number: str, client_key: str = "",
                  now: datetime | None = None, today: date | None = None) -> dict:
    """What an applicant may see of their case: the steps and dates, nothing about anyone
    else and no staff comments. The same message (LookupFailed) for a wrong number and a
    wrong ID, so the page cannot be used to probe who applied; a client that fails
    `status_lookup_failures_per_hour` times is told to wait, so the six random digits of a
    tracking number cannot be tried one after another against a known ID number."""
    if client_key:
        since = (now or utcnow()) - timedelta(hours=1)
        failures = session.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == LOOKUP_ENTITY, AuditEntry.entity_id == client_key, AuditEntry.at >= since)).one()
        if failures >= int(value_on(session, "status_lookup_failures_per_hour", today or date.today())):
            raise ValidationError(MSG_LOOKUP_TOO_OFTEN)
    number = (tracking_no or "").strip().upper()
    person = (id_number or "").strip().upper()
    row = session.exec(select(Application).where(Application.tracking_no == number)).first()
    if row is None or not person or row.applicant_id_number != person:
        raise LookupFailed()
    events = session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == row.id)
                          .order_by(col(ApplicationEvent.id))).all()
    result = {
        "tracking_no": row.tracking_no,
        "applicant": row.applicant_name,
        "state": intake.state_label(row.track, row.state),
        "open": intake.is_open(row.track, row.state),
        "due_on": row.due_on.isoformat() if row.due_on and intake.is_open(row.track, row.state) else "",
        "steps": [{"day": e.on_day.isoformat(), "step": intake.state_label(row.track, e.to_state)} for e in events],
        "decision": "",
    }
    if row.decision:
        tags = "、".join(codes.TAG_LABELS.get(t, t) for t in row.decision_tags.split())
        result["decision"] = (f"已认定：{tags}" if row.decision == "approved"
                              else "不予认定" + (f"（已纳入{tags}）" if tags else ""))
    return result
