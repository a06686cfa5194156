"""统一监测预警, the loop: a warning is assigned for verification on foot (待核查 → 核查中),
handled (→ 已处置: a referral, an application for assistance, or nothing to do, with the
verification's result) and fed back to the departments (→ 已反馈); warnings past their
step's deadline are escalated by the hourly chores. Civil affairs and agriculture read the
same warning and the same result here, so nobody verifies a household twice.

Each command is one step inside the caller's unit of work, as services/referrals.py does:
the warning row is locked (SELECT ... FOR UPDATE), the permission is checked in the
household's area, the page's copy of the version must still be current, the step must be
allowed from the status for the actor's roles (domain/monitoring.check_step), and the
change, its event and its audit entry are written in the same transaction. A refusal
raises before anything is written - or, for a referral dispatched while handling, raises
from services/referrals and the caller's unit of work rolls the need back with the rest.

The reads (inbox, township table, one warning, a household's warnings) return plain dicts of
strings for the pages. Staff see the household head's name (they hold registry.view in the
area, as on the referral pages); phones are masked, ID numbers are not shown.
"""

import math
from datetime import date

from sqlalchemy import and_, bindparam, case, or_
from sqlmodel import Session, col, func, select

from .. import routes
from ..db.tables import (
    Application,
    Area,
    DataSource,
    Household,
    Member,
    Need,
    Organisation,
    Referral,
    RiskWarning,
    RiskWarningEvent,
    User,
    UserRole,
    WarningRule,
)
from ..db.timeutil import china_text, utcnow
from ..domain import areas as area_rules
from ..domain import intake
from ..domain import monitoring as rules
from ..domain import referrals as referral_rules
from ..domain import registry as codes
from ..domain import roles as role_codes
from ..domain import working_days
from ..domain.errors import FormErrors, NotFound, PermissionDenied, ValidationError
from ..domain.masking import mask_phone
from ..domain.permissions import Actor, Scope, can, require
from ..resources.organisations import KINDS as ORGANISATION_KINDS
from . import audit, intake_submit
from . import referrals as referral_service
from .households import today_in_china
from .referrals import clock_days
from .resources import area_labels, area_range

MSG_NO_WARNING = "预警不存在"
MSG_STALE = "该预警已被他人处理，请刷新"
MSG_ASSIGNEE = "核查人员须为该户所在乡镇（街道）或村（社区）的在岗工作人员"
MSG_NEED = "转介帮扶须填写帮扶需求（救助类别、需求说明、派单方式）"
MSG_TRACK = "请选择救助申请类别（低保特困等救助或防返贫监测）"
MSG_APPLICATION_FORM = "该户信息不完整，无法代为启动救助申请：{problem}；请先在家庭页补全"
MSG_NO_HEAD = "该户没有在册的户主，无法代为启动救助申请"
MSG_TOWNSHIP = "请选择乡镇（街道）"

# The permission each step needs, besides the roles of the transition table.
STEP_PERMISSION = {"assign": "warning.verify", "handle": "warning.verify", "feed_back": "warning.feedback"}
# Who may be sent on foot: township and village staff (county staff assign themselves if at all).
VERIFIER_ROLES = (role_codes.TOWNSHIP_STAFF, role_codes.VILLAGE_STAFF)
MAX_PAGE_SIZE = 200
OPEN_FILTER = "open"


# --- helpers ------------------------------------------------------------------------------------

def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _an_id(value, message: str = MSG_NO_WARNING) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(message) from None


def _in_area(column, code: str):
    low, high = area_range(code)
    return (column >= low) & (column <= high)


def _staff_area(actor: Actor, action: str) -> str:
    """The actor's area for a staff read (`action` allowed there); partners have none."""
    require(actor, action, Scope(area_code=actor.area_code) if actor and actor.area_code else None)
    if not actor.area_code:
        raise PermissionDenied()
    return actor.area_code


def step_due(session: Session, code: str, start: date) -> date:
    """A step's deadline: `code` (warning_handle_days, warning_feedback_days) working days on."""
    return working_days.add_working_days(start, clock_days(session, code, start))


def is_overdue(status: str, due_on: date | None, today: date) -> bool:
    return status in rules.OPEN_STATUSES and due_on is not None and due_on < today


def is_escalated(status: str, due_on: date | None, escalated_on: date | None) -> bool:
    """Escalated in its current step: escalation comes after the step's deadline, and each
    new step sets a later deadline, so an escalation before the deadline was an earlier step's."""
    return (status in rules.OPEN_STATUSES and escalated_on is not None
            and (due_on is None or escalated_on > due_on))


def _overdue_clause(today: date):
    return and_(col(RiskWarning.status).in_(rules.OPEN_STATUSES), col(RiskWarning.due_on).is_not(None),
                col(RiskWarning.due_on) < today)


def _escalated_clause():
    return and_(col(RiskWarning.status).in_(rules.OPEN_STATUSES), col(RiskWarning.escalated_on).is_not(None),
                or_(col(RiskWarning.due_on).is_(None), col(RiskWarning.escalated_on) > col(RiskWarning.due_on)))


def _lock(session: Session, actor: Actor, warning_id, action: str, version) -> RiskWarning:
    """The warning for a step: locked, `action` allowed in its area, the page's version current."""
    row = session.exec(select(RiskWarning).where(RiskWarning.id == _an_id(warning_id)).with_for_update()
                       .execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(MSG_NO_WARNING)
    require(actor, action, Scope(area_code=row.area_code))
    if version not in (None, ""):
        try:
            stale = int(version) != row.version
        except (TypeError, ValueError):
            stale = True
        if stale:
            raise ValidationError(MSG_STALE)
    return row


def _touch(warning: RiskWarning) -> None:
    warning.version += 1
    warning.updated_at = utcnow()


def _event(session: Session, warning: RiskWarning, action: str, actor: Actor | None, today: date,
           comment: str = "") -> None:
    session.add(RiskWarningEvent(warning_id=warning.id, action=action, status=warning.status,
                                 user_id=actor.user_id if actor else None,
                                 actor_name=actor.display_name[:100] if actor else "系统",
                                 comment=comment, on_day=today))


def _rule_names(session: Session, codes_wanted) -> dict[str, str]:
    wanted = {c for c in codes_wanted if c}
    if not wanted:
        return {}
    return dict(session.exec(select(WarningRule.code, WarningRule.name).where(col(WarningRule.code).in_(wanted))).all())


def _user_names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all())


# --- assign -------------------------------------------------------------------------------------

def verifiers_query(area_code: str):
    """Active township and village staff whose area holds `area_code` (a village): the
    village's own staff and its township's. County staff are not sent on foot."""
    holding = [area_code]
    parent = area_rules.parent_code(area_code) if area_rules.is_valid_code(area_code) else None
    if parent and area_rules.level_of(parent) != area_rules.COUNTY:
        holding.append(parent)
    return (select(User).join(UserRole, col(UserRole.user_id) == User.id)
            .where(col(UserRole.role).in_(VERIFIER_ROLES), col(User.area_code).in_(holding),
                   col(User.disabled).is_(False)).distinct())


def _assignee(session: Session, warning: RiskWarning, assignee_id, actor: Actor) -> tuple[int, str]:
    if assignee_id in (None, "", 0, "0"):
        return actor.user_id, actor.display_name
    try:
        wanted = int(assignee_id)
    except (TypeError, ValueError):
        raise ValidationError(MSG_ASSIGNEE) from None
    user = session.exec(verifiers_query(warning.area_code).where(User.id == wanted)).first()
    if user is None:
        raise ValidationError(MSG_ASSIGNEE)
    return user.id, user.display_name


def assign(session: Session, *, actor: Actor, warning_id, assignee_id=None, version=None,
           today: date | None = None) -> None:
    """待核查 → 核查中: the actor takes the verification (assignee None) or sends a township or
    village worker whose area holds the household. The step's deadline becomes
    warning_handle_days working days from today. Who: warning.verify in the household's area."""
    today = today or today_in_china()
    warning = _lock(session, actor, warning_id, STEP_PERMISSION["assign"], version)
    target = rules.check_step(warning.status, "assign", actor.roles)
    user_id, name = _assignee(session, warning, assignee_id, actor)
    old = {"status": warning.status, "assigned_to": warning.assigned_to, "due_on": warning.due_on}
    warning.status, warning.assigned_to, warning.assigned_on = target, user_id, today
    warning.due_on = step_due(session, "warning_handle_days", today)
    _touch(warning)
    session.add(warning)
    comment = f"指派 {name} 核查，请于 {warning.due_on.isoformat()} 前处置" if user_id != actor.user_id \
        else f"本人核查，请于 {warning.due_on.isoformat()} 前处置"
    _event(session, warning, "assign", actor, today, comment)
    audit.record(session, actor=actor, action="assign", entity="risk_warning", entity_id=warning.id, old=old,
                 new={"status": target, "assigned_to": user_id, "due_on": warning.due_on,
                      "household_id": warning.household_id})


# --- handle -------------------------------------------------------------------------------------

def _refer(session: Session, actor: Actor, warning: RiskWarning, need: dict | None, today: date) -> tuple[int, int]:
    """The need (source 预警) and its referral, through services/referrals (which checks
    need.record and referral.dispatch, the kind, the unit, 不重). Returns (need, referral)."""
    if not can(actor, "referral.dispatch", Scope(area_code=warning.area_code)):
        raise PermissionDenied(MSG_REFER_ROLE)
    need = dict(need or {})
    if not (need.get("kind") and need.get("mode")):
        raise ValidationError(MSG_NEED)
    rule_name = _rule_names(session, {warning.rule_code}).get(warning.rule_code, warning.rule_code)
    need_id = referral_service.record_need(
        session, actor=actor, household_id=warning.household_id, kind=need["kind"],
        # the default text is read by every partner in the pool: the rule's name only, never the
        # evidence (it names members, ages and the household's tag)
        description=(need.get("description") or f"{rule_name}预警经入户核查属实，需要帮扶")[:2000],
        amount=need.get("amount"), urgency=need.get("urgency") or "normal", source="warning",
        source_ref=f"预警#{warning.id}", today=today)
    referral_id = referral_service.dispatch(
        session, actor=actor, need_id=need_id, mode=need["mode"], organisation_id=need.get("organisation_id"),
        justification=need.get("justification") or "", higher_benefit_note=need.get("higher_benefit_note") or "",
        today=today)
    return need_id, referral_id


MSG_CONSENT = "启动救助申请须经申请人同意并书面授权核对家庭经济状况，请确认已取得授权"
MSG_REFER_ROLE = "转介帮扶须由乡镇（街道）工作人员或县级部门派单；请选择启动救助申请或无需处置，或交乡镇工作人员处置"


def application_form(session: Session, household: Household, difficulty: str) -> dict:
    """The station form for a household already in the registry: the head applies, the other
    members on the register are listed with their relation to the head."""
    members = session.exec(select(Member).where(Member.household_id == household.id, col(Member.active))
                           .order_by(Member.id)).all()
    head = next((m for m in members if m.relation == codes.HEAD), None)
    if head is None:
        raise ValidationError(MSG_NO_HEAD)
    return {"applicant_name": head.name, "applicant_id_number": head.id_number,
            "applicant_phone": household.phone, "area_code": household.area_code, "address": household.address,
            "difficulty": difficulty[:1000], "consent": True,
            "members": [{"name": m.name, "id_number": m.id_number, "relation": m.relation}
                        for m in members if m.id != head.id]}


def _apply(session: Session, actor: Actor, warning: RiskWarning, need: dict | None, facts, today: date) -> int:
    """An intake case for the household, opened at the station by the verifier (the household
    agreed on the visit: 主动发现、代为申请). Track assistance (低保/特困 ...) or monitoring (防返贫
    监测). The case is linked to the household at once. Returns the application's id."""
    need = dict(need or {})
    track = (need.get("track") or intake.ASSISTANCE).strip()
    if track not in intake.TRACKS:
        raise ValidationError(MSG_TRACK)
    # an application is the household's own act: the station form's consent to the economic check
    # is given by them on the visit, and the verifier records that it was
    if not need.get("consent"):
        raise ValidationError(MSG_CONSENT)
    household = session.get(Household, warning.household_id)
    rule_name = _rule_names(session, {warning.rule_code}).get(warning.rule_code, warning.rule_code)
    difficulty = "；".join(t for t in (f"监测预警（{rule_name}）：{warning.evidence}", f"核查情况：{facts.verify_note}",
                                      facts.disposition_note) if t)
    options = {"monitoring_type": need["monitoring_type"]} if need.get("monitoring_type") else None
    try:
        application_id = intake_submit.create_at_station(
            session, actor=actor, form=application_form(session, household, difficulty), today=today,
            track=track, options=options)
    except FormErrors as exc:
        raise ValidationError(MSG_APPLICATION_FORM.format(problem=exc.message)) from None
    application = session.get(Application, application_id)
    if application.household_id is None:  # a village clerk's entry waits for acceptance: link it now
        application.household_id = household.id
        session.add(application)
    return application_id


def handle(session: Session, *, actor: Actor, warning_id, verify_result, verify_note, disposition,
           disposition_note: str = "", need: dict | None = None, version=None, today: date | None = None) -> None:
    """核查中 → 已处置 with the verification's result and what was done:
    - referral: `need` = {kind, description, amount, urgency, mode, organisation_id} is
      recorded (source 预警, ref 预警#id) and dispatched through services/referrals in this
      transaction; a refusal there (unit unfit, no partner, 不重, no dispatch permission)
      raises and nothing is kept;
    - application: an intake case for the household (`need["track"]`: assistance, the
      default, or monitoring);
    - no_action: with a reason (the only choice when the warning was not confirmed).
    The step's deadline becomes warning_feedback_days working days. Who: warning.verify in
    the household's area, with the roles of the transition table."""
    today = today or today_in_china()
    warning = _lock(session, actor, warning_id, STEP_PERMISSION["handle"], version)
    target = rules.check_step(warning.status, "handle", actor.roles)
    facts = rules.handle_input(verify_result, verify_note, disposition, disposition_note)
    need_id = referral_id = application_id = None
    if facts.disposition == "referral":
        need_id, referral_id = _refer(session, actor, warning, need, today)
    elif facts.disposition == "application":
        application_id = _apply(session, actor, warning, need, facts, today)
    old = {"status": warning.status, "due_on": warning.due_on}
    warning.status = target
    warning.verify_result, warning.verify_note = facts.verify_result, facts.verify_note
    warning.disposition, warning.disposition_note = facts.disposition, facts.disposition_note
    warning.need_id, warning.referral_id, warning.application_id = need_id, referral_id, application_id
    warning.handled_on, warning.handled_by = today, actor.user_id
    warning.due_on = step_due(session, "warning_feedback_days", today)
    _touch(warning)
    session.add(warning)
    linked = (f"（转介事项编号 {referral_id}）" if referral_id else f"（救助申请编号 {application_id}）"
              if application_id else "")
    comment = "；".join(t for t in (f"{rules.VERIFY_RESULTS[facts.verify_result]}：{facts.verify_note}",
                                    f"{rules.DISPOSITIONS[facts.disposition]}{linked}", facts.disposition_note) if t)
    _event(session, warning, "handle", actor, today, comment)
    audit.record(session, actor=actor, action="handle", entity="risk_warning", entity_id=warning.id, old=old,
                 new={"status": target, "verify_result": facts.verify_result, "disposition": facts.disposition,
                      "need_id": need_id, "referral_id": referral_id, "application_id": application_id,
                      "due_on": warning.due_on, "household_id": warning.household_id})


# --- feed back ----------------------------------------------------------------------------------

def feed_back(session: Session, *, actor: Actor, warning_id, feedback, version=None,
              today: date | None = None) -> None:
    """已处置 → 已反馈: the result told back to the departments; the loop is closed (no deadline).
    Who: warning.feedback in the household's area (township staff, county)."""
    today = today or today_in_china()
    warning = _lock(session, actor, warning_id, STEP_PERMISSION["feed_back"], version)
    target = rules.check_step(warning.status, "feed_back", actor.roles)
    text = rules.feedback_input(feedback)
    old = {"status": warning.status, "due_on": warning.due_on}
    warning.status, warning.feedback = target, text
    warning.fed_back_on, warning.fed_back_by, warning.due_on = today, actor.user_id, None
    _touch(warning)
    session.add(warning)
    _event(session, warning, "feed_back", actor, today, text)
    audit.record(session, actor=actor, action="feed_back", entity="risk_warning", entity_id=warning.id, old=old,
                 new={"status": target, "feedback": text, "household_id": warning.household_id})


# --- escalation ---------------------------------------------------------------------------------

def escalate_overdue(session: Session, *, today: date) -> int:
    """Escalate (逾期升级) every open warning past its step's deadline that this step has not
    escalated yet: escalated_on is set and an "escalate" event written; returns how many.
    Idempotent (run hourly by chores.py and by `lowincome-portal daily`): the rows are locked
    and the condition excludes what another worker has just escalated. The version is not
    raised: escalation marks lateness and does not conflict with the page's next step."""
    due = session.exec(select(RiskWarning).where(
        _overdue_clause(today),
        or_(col(RiskWarning.escalated_on).is_(None), col(RiskWarning.escalated_on) <= col(RiskWarning.due_on)))
        .order_by(RiskWarning.id).with_for_update().execution_options(populate_existing=True)).all()
    for warning in due:
        warning.escalated_on = today
        warning.updated_at = utcnow()
        session.add(warning)
        days = (today - warning.due_on).days
        _event(session, warning, "escalate", None, today,
               f"{rules.STATUS.get(warning.status, warning.status)}环节已超过办理期限 {warning.due_on.isoformat()}"
               f"（{days} 天），逾期升级")
    if due:
        audit.record(session, actor=None, action="escalate", entity="risk_warning", username="system",
                     new={"count": len(due), "ids": [w.id for w in due][:200], "on": today},
                     note=f"逾期升级预警 {len(due)} 条")
    return len(due)


# --- the inbox ----------------------------------------------------------------------------------

def _flag(value) -> bool:
    return value is True or str(value or "").strip().lower() in ("1", "true", "yes", "on", "是")


def _filtered(query, filters: dict, today: date):
    rule = str(filters.get("rule") or "").strip()
    if rule:
        query = query.where(RiskWarning.rule_code == rule)
    severity = str(filters.get("severity") or "").strip()
    if severity:
        query = query.where(RiskWarning.severity == severity)
    township = str(filters.get("township") or "").strip()
    if township:
        if not area_rules.is_valid_code(township):
            raise ValidationError(MSG_TOWNSHIP)
        query = query.where(_in_area(RiskWarning.area_code, township))
    status = str(filters.get("status") or "").strip()
    if status == OPEN_FILTER:
        query = query.where(col(RiskWarning.status).in_(rules.OPEN_STATUSES))
    elif status:
        query = query.where(RiskWarning.status == status)
    if _flag(filters.get("overdue")):
        query = query.where(_overdue_clause(today))
    department = str(filters.get("department") or "").strip()
    if department in ("civil", "agri"):  # a rule owned by both departments shows for either
        query = query.where(col(RiskWarning.department).in_((department, "both")))
    elif department:
        query = query.where(RiskWarning.department == department)
    q = str(filters.get("q") or "").strip()
    if q:
        query = query.where(col(Household.head_name).contains(q, autoescape=True))
    return query


def _row(w: RiskWarning, head_name: str, rule_name: str | None, places: dict, assignees: dict, today: date) -> dict:
    late = is_overdue(w.status, w.due_on, today)
    return {
        "id": str(w.id), "version": str(w.version), "href": routes.warning(w.id),
        "household_id": str(w.household_id), "household_href": routes.household(w.household_id),
        "head_name": head_name or "", "village": places.get(w.area_code, ""),
        "rule_code": w.rule_code, "rule_name": rule_name or w.rule_code,
        "severity": w.severity, "severity_label": rules.SEVERITY.get(w.severity, w.severity),
        "department": w.department, "department_label": rules.DEPARTMENTS.get(w.department, w.department),
        "status": w.status, "status_label": rules.STATUS.get(w.status, w.status),
        "period": rules.period_text(w.period), "raised_on": _day(w.raised_on), "due_on": _day(w.due_on),
        "overdue": "1" if late else "", "overdue_days": str((today - w.due_on).days) if late else "",
        "escalated": "1" if is_escalated(w.status, w.due_on, w.escalated_on) else "",
        "assignee": assignees.get(w.assigned_to, ""), "evidence": w.evidence,
    }


def inbox(session: Session, *, actor: Actor, filters: dict | None = None, page: int = 1, page_size: int = 50,
          today: date | None = None) -> dict:
    """The warnings of the actor's area (county roles: the county), overdue first, then by
    deadline. `filters`: rule (code), severity, township (a township's code), status (a
    status code or "open"), overdue (truthy: open and past the deadline), department
    (civil / agri: that department's and the shared ones; both: the shared ones), q (the
    head's name, part of it). Returns {rows, total, page, pages, page_size}; each row a dict
    of str: id, version, href, household_id, household_href, head_name, village, rule_code,
    rule_name, severity, severity_label, department, department_label, status, status_label,
    period, raised_on, due_on, overdue ("1" or ""), overdue_days, escalated ("1" or ""),
    assignee, evidence. Who: warning.view (caseworkers with an area)."""
    today = today or today_in_china()
    area = _staff_area(actor, "warning.view")
    filters = dict(filters or {})
    size = max(1, min(int(page_size or 50), MAX_PAGE_SIZE))
    base = (select(RiskWarning.id).join(Household, col(Household.id) == RiskWarning.household_id)
            .where(_in_area(RiskWarning.area_code, area)))
    base = _filtered(base, filters, today)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    pages = max(1, math.ceil(total / size))
    page = max(1, min(int(page or 1), pages))
    late_first = case((_overdue_clause(today), 0), else_=1)
    query = (select(RiskWarning, Household.head_name, WarningRule.name)
             .join(Household, col(Household.id) == RiskWarning.household_id)
             .join(WarningRule, col(WarningRule.code) == RiskWarning.rule_code, isouter=True)
             .where(_in_area(RiskWarning.area_code, area)))
    query = _filtered(query, filters, today)
    rows = session.exec(query.order_by(late_first, col(RiskWarning.due_on).is_(None), col(RiskWarning.due_on),
                                       RiskWarning.id).offset((page - 1) * size).limit(size)).all()
    places = area_labels(session, {w.area_code for w, _, _ in rows})
    assignees = _user_names(session, {w.assigned_to for w, _, _ in rows})
    return {"rows": [_row(w, name, rule_name, places, assignees, today) for w, name, rule_name in rows],
            "total": total, "page": page, "pages": pages, "page_size": size}


def _choices(mapping: dict) -> list[dict]:
    return [{"value": code, "label": label} for code, label in mapping.items()]


def townships_in(session: Session, area_code: str) -> list[Area]:
    """The townships (乡镇/街道) inside an area: all of the county's, or a township itself."""
    if area_rules.level_of(area_code) == area_rules.COUNTY:
        return list(session.exec(select(Area).where(Area.parent_code == area_code,
                                                    Area.level == area_rules.TOWNSHIP).order_by(Area.code)).all())
    code = area_code if area_rules.level_of(area_code) == area_rules.TOWNSHIP else area_rules.parent_code(area_code)
    found = session.get(Area, code)
    return [found] if found else []


def inbox_options(session: Session, *, actor: Actor) -> dict:
    """The inbox's filter choices, each a list of {value, label}: rules, severities, statuses
    ("open" 未办结 first), townships (of the actor's area), departments; and
    default_department (the county user's own department, "" for others) and can_overview
    (the township table is for them). Who: warning.view."""
    area = _staff_area(actor, "warning.view")
    rule_rows = session.exec(select(WarningRule.code, WarningRule.name).order_by(WarningRule.id)).all()
    department = next((rules.DEPARTMENT_OF_ROLE[r] for r in sorted(actor.roles) if r in rules.DEPARTMENT_OF_ROLE), "")
    return {
        "rules": [{"value": code, "label": name} for code, name in rule_rows],
        "severities": _choices(rules.SEVERITY),
        "statuses": [{"value": OPEN_FILTER, "label": "未办结"}, *_choices(rules.STATUS)],
        "townships": [{"value": a.code, "label": a.name} for a in townships_in(session, area)],
        "departments": _choices(rules.DEPARTMENTS),
        "default_department": department,
        "can_overview": can(actor, "warning.overview", Scope(area_code=area)),
    }


def township_table(session: Session, *, actor: Actor, today: date | None = None) -> list[dict]:
    """Per township of the actor's area that has warnings, ranked by overdue then open: open (未办结), pending, verifying, handled (awaiting
    feedback), overdue, escalated (in the current step), handled_month and fed_back_month
    (this calendar month), as dicts of str with code and name. Who: warning.overview."""
    today = today or today_in_china()
    area = _staff_area(actor, "warning.overview")
    month = today.replace(day=1)
    township = func.substr(RiskWarning.area_code, 1, 9)

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    status = col(RiskWarning.status)
    rows = session.exec(select(
        township, count(status.in_(rules.OPEN_STATUSES)), count(status == rules.PENDING),
        count(status == rules.VERIFYING), count(status == rules.HANDLED), count(_overdue_clause(today)),
        count(_escalated_clause()), count(col(RiskWarning.handled_on) >= month),
        count(col(RiskWarning.fed_back_on) >= month))
        .where(_in_area(RiskWarning.area_code, area)).group_by(township)).all()
    figures = {r[0]: [int(v or 0) for v in r[1:]] for r in rows}
    keys = ("open", "pending", "verifying", "handled", "overdue", "escalated", "handled_month", "fed_back_month")
    # Only townships with warnings, the most overdue first: the county's eye goes where work is late.
    ranked = sorted((t for t in townships_in(session, area) if t.code[:9] in figures),
                    key=lambda t: (-figures[t.code[:9]][4], -figures[t.code[:9]][0], t.code))
    return [{"code": t.code, "name": t.name,
             **{k: str(v) for k, v in zip(keys, figures[t.code[:9]], strict=True)}}
            for t in ranked]


# --- one warning --------------------------------------------------------------------------------

def _source_label(session: Session, source: str) -> str:
    if source == rules.REGISTRY_SOURCE:
        return "登记信息变更"
    name = session.exec(select(DataSource.name).where(DataSource.code == source)).first()
    return name or source


def _money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _actions(session: Session, actor: Actor, warning: RiskWarning) -> list[dict]:
    scope = Scope(area_code=warning.area_code)
    out = []
    for step in rules.TRANSITIONS:
        if step.source != warning.status or not can(actor, STEP_PERMISSION.get(step.action, ""), scope):
            continue
        try:
            rules.check_step(warning.status, step.action, actor.roles)
        except ValidationError:
            continue
        out.append({"action": step.action, "label": step.label})
    return out


def _dispatch_options(session: Session, area_code: str) -> dict:
    """What the referral disposition offers: each assistance kind with the active
    organisations offering it where the household lives (departments first)."""
    orgs = session.exec(select(Organisation).where(col(Organisation.active))
                        .order_by(Organisation.kind != "department", Organisation.name)).all()
    by_kind = {kind: [{"id": str(o.id), "name": o.name, "kind_label": ORGANISATION_KINDS.get(o.kind, o.kind),
                       "department": "1" if o.kind == "department" else ""}
                      for o in orgs if referral_rules.matches(o.assistance_kinds, o.areas_served, kind, area_code)]
               for kind in referral_rules.ASSISTANCE_KINDS}
    return {
        "kinds": [{"value": k, "label": label, "organisations": str(len(by_kind[k]))}
                  for k, label in referral_rules.ASSISTANCE_KINDS.items()],
        "organisations": by_kind,
        "modes": _choices(referral_rules.MODES),
        "urgencies": _choices(referral_rules.URGENCY),
        "tracks": _choices(intake.TRACK_LABELS),
    }


def _linked(session: Session, warning: RiskWarning) -> dict:
    out = {"need": {}, "referral": {}, "application": {}}
    if warning.need_id:
        need = session.get(Need, warning.need_id)
        if need:
            out["need"] = {"id": str(need.id), "kind_label": referral_rules.kind_label(need.kind),
                           "status_label": referral_rules.NEED_STATUS.get(need.status, need.status),
                           "description": need.description, "href": routes.household(need.household_id)}
    if warning.referral_id:
        referral = session.get(Referral, warning.referral_id)
        if referral:
            org = session.get(Organisation, referral.organisation_id) if referral.organisation_id else None
            out["referral"] = {"id": str(referral.id), "href": routes.referral(referral.id),
                               "kind_label": referral_rules.kind_label(referral.kind),
                               "status_label": referral_rules.STATUS.get(referral.status, referral.status),
                               "mode_label": referral_rules.MODES.get(referral.mode, referral.mode),
                               "organisation_name": org.name if org else ""}
    if warning.application_id:
        app = session.get(Application, warning.application_id)
        if app:
            out["application"] = {"id": str(app.id), "href": routes.application(app.id),
                                  "tracking_no": app.tracking_no,
                                  "track_label": intake.TRACK_LABELS.get(app.track, app.track),
                                  "state_label": intake.state_label(app.track, app.state)}
    return out


def warning_detail(session: Session, *, actor: Actor, warning_id, today: date | None = None) -> dict:
    """One warning for its page (plain dicts of str):
    warning {id, version, status, status_label, rule_code, rule_name, severity(_label),
        department(_label), source_label, period, raised_on, due_on, overdue, overdue_days,
        escalated, escalated_on, member_name, value, threshold, evidence, assignee, assigned_on,
        verify_result(_label), verify_note, disposition(_label), disposition_note, handled_on,
        handled_by, feedback, fed_back_on, fed_back_by};
    fields [{label, value}] (the same, in Chinese, for a data list);
    household {id, href, head_name, village, address, phone (masked), member_count, tags_label};
    events [{action, action_label, status_label, actor_name, comment, on_day, at}] oldest first;
    actions [{action, label}] the actor may take now; can_assign, can_handle, can_feed_back;
    assignable [{id, name, area}] (township and village staff whose area holds the household);
    dispatch (for 转介帮扶: kinds, organisations by kind, modes, urgencies, tracks);
    dispositions, verify_results ([{value, label}]); linked {need, referral, application}.
    Who: warning.view in the household's area."""
    today = today or today_in_china()
    warning = session.get(RiskWarning, _an_id(warning_id))
    if warning is None:
        raise NotFound(MSG_NO_WARNING)
    require(actor, "warning.view", Scope(area_code=warning.area_code))
    household = session.get(Household, warning.household_id)
    rule_name = _rule_names(session, {warning.rule_code}).get(warning.rule_code, warning.rule_code)
    member = session.get(Member, warning.member_id) if warning.member_id else None
    users = _user_names(session, {warning.assigned_to, warning.handled_by, warning.fed_back_by})
    places = area_labels(session, {warning.area_code})
    late = is_overdue(warning.status, warning.due_on, today)
    w = {
        "id": str(warning.id), "version": str(warning.version), "status": warning.status,
        "status_label": rules.STATUS.get(warning.status, warning.status), "rule_code": warning.rule_code,
        "rule_name": rule_name, "severity": warning.severity,
        "severity_label": rules.SEVERITY.get(warning.severity, warning.severity), "department": warning.department,
        "department_label": rules.DEPARTMENTS.get(warning.department, warning.department),
        "source_label": _source_label(session, warning.source), "batch_id": str(warning.batch_id or ""),
        "period": rules.period_text(warning.period),
        "raised_on": _day(warning.raised_on), "due_on": _day(warning.due_on), "overdue": "1" if late else "",
        "overdue_days": str((today - warning.due_on).days) if late else "",
        "escalated": "1" if is_escalated(warning.status, warning.due_on, warning.escalated_on) else "",
        "escalated_on": _day(warning.escalated_on), "member_name": member.name if member else "",
        "value": _money(warning.value), "threshold": _money(warning.threshold), "evidence": warning.evidence,
        "assignee": users.get(warning.assigned_to, ""), "assigned_on": _day(warning.assigned_on),
        "verify_result": warning.verify_result,
        "verify_result_label": rules.VERIFY_RESULTS.get(warning.verify_result, ""),
        "verify_note": warning.verify_note, "disposition": warning.disposition,
        "disposition_label": rules.DISPOSITIONS.get(warning.disposition, ""),
        "disposition_note": warning.disposition_note, "handled_on": _day(warning.handled_on),
        "handled_by": users.get(warning.handled_by, ""), "feedback": warning.feedback,
        "fed_back_on": _day(warning.fed_back_on), "fed_back_by": users.get(warning.fed_back_by, ""),
    }
    labels = (("预警编号", "id"), ("预警规则", "rule_name"), ("预警等级", "severity_label"),
              ("责任部门", "department_label"), ("数据来源", "source_label"), ("所属月份", "period"),
              ("涉及成员", "member_name"), ("指标值", "value"), ("预警阈值", "threshold"), ("预警依据", "evidence"),
              ("状态", "status_label"), ("生成日期", "raised_on"), ("本环节期限", "due_on"),
              ("逾期升级日期", "escalated_on"), ("核查人员", "assignee"), ("指派日期", "assigned_on"),
              ("核查结果", "verify_result_label"), ("核查情况", "verify_note"), ("处置方式", "disposition_label"),
              ("处置说明", "disposition_note"), ("处置日期", "handled_on"), ("处置人", "handled_by"),
              ("反馈内容", "feedback"), ("反馈日期", "fed_back_on"), ("反馈人", "fed_back_by"))
    events = session.exec(select(RiskWarningEvent).where(RiskWarningEvent.warning_id == warning.id)
                          .order_by(RiskWarningEvent.at, RiskWarningEvent.id)).all()
    actions = _actions(session, actor, warning)
    allowed = {a["action"] for a in actions}
    assignable = session.exec(verifiers_query(warning.area_code).order_by(User.area_code, User.display_name)).all() \
        if "assign" in allowed else []
    user_places = area_labels(session, {u.area_code for u in assignable if u.area_code})
    tags = "、".join(codes.label(codes.TAG_LABELS, t) for t in (household.current_tags or "").split()) or "无"
    return {
        "warning": w,
        "fields": [{"label": label, "value": w[key]} for label, key in labels if w[key]],
        "household": {"id": str(household.id), "href": routes.household(household.id),
                      "head_name": household.head_name, "village": places.get(warning.area_code, ""),
                      "address": household.address, "phone": mask_phone(household.phone),
                      "member_count": str(household.member_count), "tags_label": tags},
        "events": [{"action": e.action, "action_label": rules.ACTIONS.get(e.action, e.action),
                    "status_label": rules.STATUS.get(e.status, e.status), "actor_name": e.actor_name,
                    "comment": e.comment, "on_day": _day(e.on_day), "at": china_text(e.at)} for e in events],
        "actions": actions,
        "can_assign": "assign" in allowed, "can_handle": "handle" in allowed, "can_feed_back": "feed_back" in allowed,
        "assignable": [{"id": str(u.id), "name": u.display_name, "area": user_places.get(u.area_code, "")}
                       for u in assignable],
        "dispatch": _dispatch_options(session, warning.area_code) if "handle" in allowed else {},
        # a village clerk verifies but does not dispatch (referral.dispatch): no 转介帮扶 offered
        "can_refer": can(actor, "referral.dispatch", Scope(area_code=warning.area_code)),
        "dispositions": _choices(rules.DISPOSITIONS),
        "verify_results": _choices(rules.VERIFY_RESULTS),
        "linked": _linked(session, warning),
    }


# --- a household's warnings (the household page's timeline) --------------------------------------

# Built once (it runs on every household page load): see household_view's statements.
_HOUSEHOLD_WARNINGS = (select(RiskWarning, WarningRule.name)
                       .join(WarningRule, col(WarningRule.code) == RiskWarning.rule_code, isouter=True)
                       .where(RiskWarning.household_id == bindparam("household_id")).order_by(RiskWarning.id))


def household_warnings(session: Session, household_id: int) -> list[dict]:
    """A household's warnings, oldest first, in one query, for the timeline (no permission
    check: the household page has checked registry.view). Each: id, href, rule_name,
    evidence, severity_label, status_label, raised_on, created_at, handled_on, handled_by
    (user id), verify_result_label, disposition_label, disposition_note, fed_back_on,
    fed_back_by (user id), feedback. Dates stay dates: the timeline sorts on them."""
    rows = session.exec(_HOUSEHOLD_WARNINGS, params={"household_id": household_id}).all()
    return [{"id": w.id, "href": routes.warning(w.id), "rule_name": name or w.rule_code, "evidence": w.evidence,
             "severity_label": rules.SEVERITY.get(w.severity, w.severity),
             "status_label": rules.STATUS.get(w.status, w.status), "raised_on": w.raised_on,
             "created_at": w.created_at, "handled_on": w.handled_on, "handled_by": w.handled_by,
             "verify_result_label": rules.VERIFY_RESULTS.get(w.verify_result, ""),
             "disposition_label": rules.DISPOSITIONS.get(w.disposition, ""),
             "disposition_note": w.disposition_note, "fed_back_on": w.fed_back_on, "fed_back_by": w.fed_back_by,
             "feedback": w.feedback} for w, name in rows]


# --- the joint meeting ----------------------------------------------------------------------------

def overdue_for_agenda(session: Session, area_code: str, today: date) -> list[dict]:
    """Open warnings of an area that are escalated or past their step's deadline, for the
    joint meeting (no permission check: the meeting service has checked the meeting).
    Each: warning (the row), head_name, rule_name, village, days (past the deadline)."""
    rows = session.exec(select(RiskWarning, Household.head_name, WarningRule.name)
                        .join(Household, col(Household.id) == RiskWarning.household_id)
                        .join(WarningRule, col(WarningRule.code) == RiskWarning.rule_code, isouter=True)
                        .where(_in_area(RiskWarning.area_code, area_code),
                               or_(_overdue_clause(today), _escalated_clause()))
                        .order_by(RiskWarning.due_on, RiskWarning.id)).all()
    places = area_labels(session, {w.area_code for w, _, _ in rows})
    return [{"warning": w, "head_name": name, "rule_name": rule_name or w.rule_code,
             "village": places.get(w.area_code, ""),
             "days": (today - w.due_on).days if w.due_on and w.due_on < today else 0}
            for w, name, rule_name in rows]
