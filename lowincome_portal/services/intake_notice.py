"""Public notice (公示) and disclosure (公开): posting a village's notice, objections raised
during it and how each was resolved.

A notice covers every application of one village waiting in the notice step of a track.
Its period (notice_days, or monitoring_notice_days) counts calendar days from the posting
day, that day included; the case may go on only when the period is over and every
objection is resolved (the guards in domain/intake.py read what this module records).
"""

from datetime import date, timedelta

from sqlmodel import Session, col, select

from ..db.tables import Application, Objection, PublicNotice
from ..domain import areas, intake
from ..domain import registry_input as check
from ..domain.errors import NotFound, ValidationError
from ..domain.permissions import Actor, Scope, require
from . import audit
from .intake import load
from .parameters import value_on

MSG_NOTHING_TO_POST = "该村（社区）没有待张贴公示的申请"
MSG_NOT_VILLAGE = "公示按村（社区）张贴，请选择村（社区）"
MSG_POSTED_BEFORE = "张贴日期不能早于申请进入公示环节的日期（{day}）"
MSG_NO_NOTICE = "该申请尚未张贴公示，不能登记异议"
MSG_OBJECTION_CLOSED = "该申请已办结，不能再登记异议"
MSG_NO_OBJECTION = "异议记录不存在"
MSG_RESOLVED = "该异议已于 {day} 处理完毕"
MSG_PRIVATE_PHONE = "异议受理联系方式须为乡镇或村（居）委会的办公电话，不能是申请人的电话"
MSG_NOTHING_TO_DISCLOSE = "该村（社区）没有待公开的认定结果"


def _village(code: str) -> str:
    code = (code or "").strip()
    if not (areas.is_valid_code(code) and areas.level_of(code) == areas.VILLAGE):
        raise ValidationError(MSG_NOT_VILLAGE)
    return code


def awaiting_notice(session: Session, area_code: str, track: str) -> list[Application]:
    return list(session.exec(select(Application).where(
        Application.area_code == area_code, Application.track == track,
        Application.state == intake.NOTICE_STATES[track], col(Application.notice_id).is_(None))
        .order_by(col(Application.id))).all())


def post_notice(session: Session, *, actor: Actor, area_code: str, track: str, posted_on, contact: str,
                today: date) -> int:
    """Record that the village's notice was posted on `posted_on`; returns the notice id.
    Every application of the village waiting in the track's notice step joins it.
    Who: application.notice inside the village's area."""
    area_code = _village(area_code)
    require(actor, "application.notice", Scope(area_code=area_code))
    intake.track(track)
    day = check.a_date(posted_on, "张贴日期", not_after=today)
    contact = check.text(contact, "异议受理联系方式", required=True, max_length=100)
    waiting = awaiting_notice(session, area_code, track)
    if not waiting:
        raise ValidationError(MSG_NOTHING_TO_POST)
    _refuse_private_phone(contact, waiting)
    earliest = max(a.state_entered_on for a in waiting)
    if day < earliest:
        raise ValidationError(MSG_POSTED_BEFORE.format(day=earliest.isoformat()))
    days = int(value_on(session, intake.NOTICE_PERIOD[track], day))
    notice = PublicNotice(area_code=area_code, track=track, kind="notice", posted_on=day,
                          ends_on=day + timedelta(days=days - 1), contact=contact, created_by=actor.user_id)
    session.add(notice)
    session.flush()
    for application in waiting:
        application.notice_id = notice.id
        session.add(application)
    audit.record(session, actor=actor, action="post_notice", entity="public_notice", entity_id=notice.id,
                 new={"area_code": area_code, "track": track, "posted_on": day, "ends_on": notice.ends_on,
                      "applications": [a.tracking_no for a in waiting]})
    return notice.id


def post_disclosure(session: Session, *, actor: Actor, area_code: str, track: str, posted_on, contact: str,
                    today: date) -> int:
    """Record the 公开 of the village's approved results not yet disclosed; returns its id."""
    area_code = _village(area_code)
    require(actor, "application.notice", Scope(area_code=area_code))
    day = check.a_date(posted_on, "公开日期", not_after=today)
    contact = check.text(contact, "联系方式", required=True, max_length=100)
    decided = list(session.exec(select(Application).where(
        Application.area_code == area_code, Application.track == track, Application.decision == "approved",
        col(Application.disclosure_id).is_(None)).order_by(col(Application.id))).all())
    if not decided:
        raise ValidationError(MSG_NOTHING_TO_DISCLOSE)
    _refuse_private_phone(contact, decided)
    notice = PublicNotice(area_code=area_code, track=track, kind="disclosure", posted_on=day, ends_on=day,
                          contact=contact, created_by=actor.user_id)
    session.add(notice)
    session.flush()
    for application in decided:
        application.disclosure_id = notice.id
        session.add(application)
    audit.record(session, actor=actor, action="post_notice", entity="public_notice", entity_id=notice.id,
                 new={"kind": "disclosure", "area_code": area_code, "posted_on": day,
                      "applications": [a.tracking_no for a in decided]})
    return notice.id


def _refuse_private_phone(contact: str, applications: list[Application]) -> None:
    """The contact goes on a public notice: it must be an office's, never an applicant's phone."""
    digits = "".join(ch for ch in contact if ch.isdigit())
    for a in applications:
        if a.applicant_phone and a.applicant_phone in digits:
            raise ValidationError(MSG_PRIVATE_PHONE)


def add_objection(session: Session, *, actor: Actor, application_id: int, raised_on, raised_by: str,
                  content: str, today: date) -> int:
    """Record an objection to an application on notice: who raised it, when, and what."""
    application = load(session, actor, application_id, "application.notice", lock=True)
    if not intake.is_open(application.track, application.state):
        raise ValidationError(MSG_OBJECTION_CLOSED)
    if application.notice_id is None:
        raise ValidationError(MSG_NO_NOTICE)
    row = Objection(
        application_id=application.id,
        raised_on=check.a_date(raised_on, "提出日期", not_after=today),
        raised_by=check.text(raised_by, "异议人", required=True, max_length=50),
        content=check.text(content, "异议内容", required=True, max_length=2000),
        created_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="objection", entity_id=row.id,
                 new={"application_id": application.id, "raised_on": row.raised_on, "raised_by": row.raised_by,
                      "content": row.content})
    return row.id


def resolve_objection(session: Session, *, actor: Actor, objection_id: int, resolution: str, today: date) -> None:
    """Record how an objection was resolved (the finding of the re-check, in words)."""
    row = session.get(Objection, objection_id)
    if row is None:
        raise NotFound(MSG_NO_OBJECTION)
    application = load(session, actor, row.application_id, "application.notice", lock=True)
    if not intake.is_open(application.track, application.state):
        raise ValidationError(MSG_OBJECTION_CLOSED)
    session.refresh(row)
    if row.resolved_on is not None:
        raise ValidationError(MSG_RESOLVED.format(day=row.resolved_on.isoformat()))
    row.resolution = check.text(resolution, "处理结果", required=True, max_length=2000)
    row.resolved_on, row.resolved_by = today, actor.user_id
    session.add(row)
    audit.record(session, actor=actor, action="resolve", entity="objection", entity_id=row.id,
                 new={"resolution": row.resolution, "resolved_on": today})
