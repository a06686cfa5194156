"""The household page's read model: one household as plain dicts and strings.

Numbers a person could be harmed by (ID numbers, phones, bank accounts) are masked here;
the whole value comes only through households.reveal, which is audited.

Speed: a fixed number of queries (twelve), each by primary key or an indexed column
(household_id, area code, audit_entry.entity_id), whatever the size of the registry or
of the audit trail.
"""

import json
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import bindparam
from sqlmodel import Session, and_, col, or_, select

from ..db.tables import ActionItem, Application, ApplicationEvent, Area, AuditEntry, Need, Organisation, Referral, EconomicStatus, Household, HouseholdTag, Member, User, Visit
from ..db.timeutil import CHINA, as_utc, china_text
from ..domain import areas, intake
from ..domain.meetings import DECISIONS
from ..domain.referrals import kind_label
from ..domain import registry as codes
from ..domain.errors import NotFound
from ..domain.idcard import SEX_LABELS
from ..domain.masking import mask_bank_account, mask_id_number, mask_phone
from ..domain.permissions import Actor, Scope, can, require
from ..domain.registry_input import ECONOMIC_COUNT_FIELDS, ECONOMIC_FLAG_FIELDS, ECONOMIC_MONEY_FIELDS
from .audit import ACTION_LABELS, ENTITY_LABELS
from .households import MSG_NO_HOUSEHOLD, MSG_NO_MEMBER, today_in_china
from .warnings import household_warnings

RECENT_VISITS = 5
MAX_VISITS = 100        # visits read for the timeline
MAX_AUDIT = 200         # newest audit entries read for the timeline
ONGOING = "至今"
YES_NO = {True: "是", False: "否"}
SYSTEM = "系统"

# What the audit trail's keys are called on the page.
FIELD_LABELS = {
    "area_code": "所在村（社区）", "address": "家庭住址", "phone": "联系电话", "bank_name": "开户银行",
    "bank_account": "银行账号", "status": "状态", "note": "备注", "id_number": "身份证号", "name": "姓名",
    "relation": "与户主关系", "labour_capacity": "劳动能力", "health": "健康状况",
    "disability_type": "残疾类别", "disability_grade": "残疾等级", "employment": "就业情况",
    "schooling": "在校情况", "in_school": "是否在校", "medical_insurance": "基本医保",
    "has_supporter": "赡养（抚养）义务人", "active": "在册", "left_on": "移出日期",
    "end_date": "结束日期", "end_reason": "结束原因", "head_id_number": "户主身份证号",
}
_RELATION_ORDER = {code: i for i, code in enumerate(codes.RELATIONS)}


def household_overview(session: Session, *, actor: Actor, household_id: int, today: date | None = None) -> dict:
    """Everything the household page shows: the household, members, economic status and its
    history, tag periods, visits and one timeline (newest first). Masked, plain dicts.
    Changes nothing. Who: registry.view inside the actor's area."""
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(MSG_NO_HOUSEHOLD)
    scope = Scope(area_code=household.area_code)
    require(actor, "registry.view", scope)
    today = today or today_in_china()

    of_household = {"household_id": household_id}
    members = session.exec(_MEMBERS, params=of_household).all()
    statuses = session.exec(_STATUSES, params=of_household).all()
    tags = session.exec(_TAGS, params=of_household).all()
    visits = session.exec(_VISITS, params=of_household).all()
    entries = _audit_entries(session, household_id, members, tags, visits, statuses)
    steps = session.exec(_STEPS, params=of_household).all()
    actions = session.exec(_ACTIONS, params=of_household).all()
    aid = session.exec(_AID, params=of_household).all()
    warnings = household_warnings(session, household_id)
    names = _Names(session, {s.recorded_by for s in statuses} | {t.created_by for t in tags}
                   | {need.recorded_by for need, _, _ in aid}
                   | {w["handled_by"] for w in warnings} | {w["fed_back_by"] for w in warnings},
                   {e.username for e in entries})
    area_path, place = _area_texts(session, household.area_code)
    member_names = {m.id: m.name for m in members}
    active_count = sum(1 for m in members if m.active)

    return {
        "household": _household_dict(household, area_path, place),
        "permissions": {
            "edit": can(actor, "registry.edit", scope),
            "reveal": can(actor, "registry.reveal", scope),
            "tags": can(actor, "tag.manage", scope),
            "visit": can(actor, "visit.record", scope),
            "hard_case": can(actor, "hard_case.raise", scope),
        },
        "members": [_member_dict(m, today) for m in sorted(members, key=_member_order)],
        "economic": _status_dict(statuses[0], active_count, names) if statuses else None,
        "economic_history": [_status_dict(s, active_count, names) for s in statuses],
        "tags": {"current": [_tag_dict(t, names) for t in tags if t.end_date is None],
                 "past": [_tag_dict(t, names) for t in tags if t.end_date is not None]},
        "last_visit": _visit_dict(visits[0]) if visits else None,
        "visits": [_visit_dict(v) for v in visits[:RECENT_VISITS]],
        "timeline": _timeline(visits, tags, statuses, entries, names, member_names, steps, actions, aid,
                              warnings),
    }


def member_for_edit(session: Session, *, actor: Actor, member_id: int) -> dict:
    """An active member's editable facts as the form shows them (Chinese labels, 是/否; the ID
    number masked - a new one is typed only to correct it). Changes nothing.
    Who: registry.edit inside the actor's area."""
    member = session.get(Member, member_id)
    if member is None or not member.active:
        raise NotFound(MSG_NO_MEMBER)
    household = session.get(Household, member.household_id)
    require(actor, "registry.edit", Scope(area_code=household.area_code))
    grade = str(member.disability_grade) if member.disability_grade else ""
    return {
        "id": str(member.id),
        "name": member.name,
        "id_number": mask_id_number(member.id_number),
        "is_head": "1" if member.relation == codes.HEAD else "",
        "relation": codes.label(codes.RELATIONS, member.relation),
        "labour_capacity": codes.label(codes.LABOUR_CAPACITY, member.labour_capacity),
        "health": codes.label(codes.HEALTH, member.health),
        "disability_type": codes.DISABILITY_TYPES.get(member.disability_type, "") if member.disability_type else "",
        "disability_grade": codes.DISABILITY_GRADES.get(grade, "") if grade else "",
        "employment": codes.label(codes.EMPLOYMENT, member.employment),
        "schooling": codes.SCHOOLING.get(member.schooling, "") if member.schooling else "",
        "in_school": "1" if member.in_school else "",
        "medical_insurance": "1" if member.medical_insurance else "",
        "has_supporter": "1" if member.has_supporter else "",
    }


def recorded_visit(session: Session, *, actor: Actor, visit_id: int) -> dict:
    """A visit just recorded, as the household page adds it: {"visit": the visit list's row,
    "event": its timeline item}. Saves reading the whole household again after each visit (the
    commonest change there is). Changes nothing. Who: registry.view inside the actor's area."""
    visit = session.get(Visit, visit_id)
    household = session.get(Household, visit.household_id) if visit else None
    if household is None:
        raise NotFound(MSG_NO_HOUSEHOLD)
    require(actor, "registry.view", Scope(area_code=household.area_code))
    return {"visit": _visit_dict(visit), "event": _visit_event(visit)[1]}


def with_recorded_visit(visits: list[dict], timeline: list[dict],
                        added: dict) -> tuple[list[dict], list[dict]]:
    """The page's recent visits and timeline with a visit from recorded_visit added in its place,
    as household_overview would order them (newest first; on one day, the later entered first)."""
    visit, event = added["visit"], added["event"]
    newest = sorted([visit, *visits], key=lambda v: (str(v["date"]), int(v["id"])), reverse=True)
    at = next((i for i, item in enumerate(timeline) if item.get("order", "") <= event["order"]),
              len(timeline))
    return newest[:RECENT_VISITS], [*timeline[:at], event, *timeline[at:]]


# --- queries ------------------------------------------------------------------------------

# The page's statements are built once, with the household as a bound parameter: SQLAlchemy keeps
# a statement's cache key on the statement itself, and building and keying them on every page
# load cost about as much CPU as running them.
_HOUSEHOLD_ID = bindparam("household_id")
_MEMBERS = select(Member).where(Member.household_id == _HOUSEHOLD_ID)
_STATUSES = (select(EconomicStatus).where(EconomicStatus.household_id == _HOUSEHOLD_ID)
             .order_by(col(EconomicStatus.recorded_on).desc(), col(EconomicStatus.id).desc()))
_TAGS = (select(HouseholdTag).where(HouseholdTag.household_id == _HOUSEHOLD_ID)
         .order_by(col(HouseholdTag.start_date).desc(), col(HouseholdTag.id).desc()))
_VISITS = (select(Visit).where(Visit.household_id == _HOUSEHOLD_ID)
           .order_by(col(Visit.visited_on).desc(), col(Visit.id).desc()).limit(MAX_VISITS))
_STEPS = (select(ApplicationEvent, Application.tracking_no, Application.track)
          .join(Application, col(Application.id) == ApplicationEvent.application_id)
          .where(Application.household_id == _HOUSEHOLD_ID))
_ACTIONS = select(ActionItem).where(ActionItem.household_id == _HOUSEHOLD_ID)
_AID = (select(Need, Referral, Organisation.name)
        .join(Referral, col(Referral.need_id) == Need.id, isouter=True)
        .join(Organisation, col(Organisation.id) == Referral.organisation_id, isouter=True)
        .where(Need.household_id == _HOUSEHOLD_ID))
# The audit trail's entities behind the page's rows (an empty list matches nothing).
_AUDITED = ("household", "member", "household_tag", "visit", "economic_status")
_AUDIT_ENTRIES = select(AuditEntry).where(or_(*(
    and_(col(AuditEntry.entity) == entity, col(AuditEntry.entity_id).in_(bindparam(entity, expanding=True)))
    for entity in _AUDITED)))
_USERS = select(User.id, User.username, User.display_name).where(
    or_(col(User.id).in_(bindparam("ids", expanding=True)),
        col(User.username).in_(bindparam("logins", expanding=True))))
_AREAS = select(Area.code, Area.name).where(col(Area.code).in_(bindparam("codes", expanding=True)))


def _audit_entries(session, household_id, members, tags, visits, statuses) -> list[AuditEntry]:
    """The newest entries about the household and its rows, through the composite
    (entity, entity_id) index: a handful of rows per record, whatever the trail's size."""
    wanted = {"household": [household_id], "member": [m.id for m in members],
              "household_tag": [t.id for t in tags], "visit": [v.id for v in visits],
              "economic_status": [s.id for s in statuses]}
    rows = session.exec(_AUDIT_ENTRIES,
                        params={name: [str(i) for i in ids] for name, ids in wanted.items()}).all()
    # Sorted here, not in SQL: an ORDER BY id LIMIT lets SQLite walk the whole table by id.
    return sorted(rows, key=lambda e: e.id, reverse=True)[:MAX_AUDIT]


class _Names:
    """Display names of the people behind user ids and usernames, read in one query."""

    def __init__(self, session: Session, user_ids: set, usernames: set):
        ids, logins = {i for i in user_ids if i}, {u for u in usernames if u}
        rows = (session.exec(_USERS, params={"ids": list(ids), "logins": list(logins)}).all()
                if ids or logins else [])
        self.by_id = {i: d for i, _, d in rows}
        self.by_login = {u: d for _, u, d in rows}

    def of_id(self, user_id: int | None) -> str:
        return self.by_id.get(user_id, "") if user_id else SYSTEM

    def of_login(self, username: str) -> str:
        if not username or username == "system":
            return SYSTEM
        return self.by_login.get(username, username)


def _area_texts(session: Session, code: str) -> tuple[str, str]:
    chain, current = [], code
    while current:
        chain.append(current)
        current = areas.parent_code(current)
    names = dict(session.exec(_AREAS, params={"codes": chain}).all())
    path = " / ".join(names[c] for c in reversed(chain) if c in names)
    place = "".join(names.get(c, "") for c in reversed(chain[:-1]))  # township + village
    return path, place or names.get(code, code)


# --- one row each ---------------------------------------------------------------------------

def _household_dict(h: Household, area_path: str, place: str) -> dict:
    return {
        "id": h.id,
        "area_code": h.area_code,
        "area_path": area_path,
        "place": place,
        "address": h.address,
        "phone": mask_phone(h.phone),
        "bank_name": h.bank_name,
        "bank_account": mask_bank_account(h.bank_account),
        "status": h.status,
        "status_label": codes.label(codes.HOUSEHOLD_STATUS, h.status),
        "note": h.note,
        "head_name": h.head_name,
        "head_id_number": mask_id_number(h.head_id_number),
        "member_count": h.member_count,
        "tags_label": "、".join(codes.label(codes.TAG_LABELS, t) for t in h.current_tags.split()) or "无",
        "created_at": china_text(h.created_at),
        "updated_at": china_text(h.updated_at),
    }


def _member_order(m: Member):
    return (not m.active, _RELATION_ORDER.get(m.relation, 99), m.birth_date, m.id)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _member_dict(m: Member, today: date) -> dict:
    disability = "无"
    if m.disability_type:
        grade = codes.label(codes.DISABILITY_GRADES, str(m.disability_grade or ""))
        disability = f"{codes.label(codes.DISABILITY_TYPES, m.disability_type)}{grade}"
    return {
        "id": m.id,
        "name": m.name,
        "id_number": mask_id_number(m.id_number),
        "sex": SEX_LABELS.get(m.sex, m.sex),
        "age": _age(m.birth_date, today),
        "relation": codes.label(codes.RELATIONS, m.relation),
        "is_head": m.active and m.relation == codes.HEAD,
        "labour_capacity": codes.label(codes.LABOUR_CAPACITY, m.labour_capacity),
        "health": codes.label(codes.HEALTH, m.health),
        "disability": disability,
        "employment": codes.label(codes.EMPLOYMENT, m.employment) or "—",
        "schooling": codes.label(codes.SCHOOLING, m.schooling) if m.schooling else "—",
        "in_school": YES_NO[bool(m.in_school)],
        "medical_insurance": YES_NO[bool(m.medical_insurance)],
        "has_supporter": YES_NO[bool(m.has_supporter)],
        "active": bool(m.active),
        "status": "在册" if m.active else f"已移出（{m.left_on.isoformat() if m.left_on else ''}）",
        "left_on": m.left_on.isoformat() if m.left_on else "",
        "left_reason": m.left_reason,
    }


def _yuan(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def household_income(s: EconomicStatus) -> Decimal:
    """Income over 12 months, as domain/means_test.py counts it: employment costs only
    offset wages, never below zero."""
    return max(s.wage_income - s.employment_costs, Decimal(0)) + s.business_income + s.property_income \
        + s.transfer_income


def _status_dict(s: EconomicStatus, member_count: int, names: _Names) -> dict:
    income = household_income(s)
    rigid = s.medical_expense + s.education_expense + s.disability_care_expense
    out = {
        "id": s.id,
        "recorded_on": s.recorded_on.isoformat(),
        "source": codes.label(codes.ECONOMIC_SOURCES, s.source),
        "who": names.of_id(s.recorded_by),
        "total_income": _yuan(income),
        "rigid_expense": _yuan(rigid),
        "per_capita_monthly_income": _yuan(income / 12 / member_count) if member_count else "—",
        "member_count": member_count,
        "housing_safety": codes.label(codes.HOUSING_SAFETY, s.housing_safety),
        "housing_unsafe": s.housing_safety in codes.UNSAFE_HOUSING,
        "risk_points": "、".join(codes.label(codes.RISK_POINTS, p) for p in s.risk_points.split()) or "无",
    }
    out |= {name: _yuan(getattr(s, name)) for name in ECONOMIC_MONEY_FIELDS}
    out |= {name: getattr(s, name) for name in ECONOMIC_COUNT_FIELDS}
    out |= {name: YES_NO[bool(getattr(s, name))] for name in ECONOMIC_FLAG_FIELDS}
    return out


def _tag_label(t: HouseholdTag) -> str:
    label = codes.label(codes.TAG_LABELS, t.tag)
    return f"{label}（{codes.label(codes.MONITORING_TYPES, t.subtype)}）" if t.subtype else label


def _tag_dict(t: HouseholdTag, names: _Names) -> dict:
    return {
        "id": t.id,
        "tag": t.tag,
        "label": _tag_label(t),
        "start": t.start_date.isoformat(),
        "end": t.end_date.isoformat() if t.end_date else ONGOING,
        "open": t.end_date is None,
        "decision_ref": t.decision_ref,
        "basis": t.basis,
        "end_reason": t.end_reason,
        "who": names.of_id(t.created_by),
    }


def _visit_dict(v: Visit) -> dict:
    return {"id": v.id, "date": v.visited_on.isoformat(), "who": v.visitor_name, "purpose": v.purpose,
            "findings": v.findings, "changed_fields": v.changed_fields}


# --- the timeline -----------------------------------------------------------------------------

# Audit entries that only record an event the timeline already shows from its own row.
_SHOWN_AS_EVENT = {("visit", "create"), ("economic_status", "create"), ("household_tag", "create"),
                   ("household_tag", "update")}


def _day_key(day: date, entered: datetime | None) -> tuple:
    """Events dated by day sort on that day; among one day's items, by when they were entered."""
    moment = as_utc(entered).astimezone(CHINA).time() if entered else time.max
    return (day, moment)


def _order_text(key: tuple) -> str:
    """A timeline key as text that sorts the same way: each item carries it as `order`, so the
    page can put a new item in its place without reading the household again."""
    day, moment = key
    return f"{day.isoformat()} {moment.isoformat(timespec='microseconds')}"


def _visit_event(v: Visit) -> tuple[tuple, dict]:
    summary = f"{v.purpose}：{v.findings}" if v.purpose else v.findings
    key = _day_key(v.visited_on, v.created_at)
    return key, {"at": v.visited_on.isoformat(), "kind": "走访", "summary": summary, "who": v.visitor_name,
                 "order": _order_text(key)}


def _timeline(visits, tags, statuses, entries, names: _Names, member_names: dict, steps=(), actions=(),
              aid=(), warnings=()) -> list[dict]:
    """Visits, tag starts and ends, economic-status records, the steps of the household's
    applications, the joint meeting's decisions about it, its needs and the aid delivered
    through referrals, its monitoring warnings (raised, handled, fed back), and the audit
    trail, newest first.

    Each item: at (date or China date-time text), kind, summary, who, and order (text that
    sorts as the timeline does). An audit entry that merely records one of those events
    (creating a visit, ending a tag) is not repeated.
    """
    items: list[tuple[tuple, dict]] = [_visit_event(v) for v in visits]

    def add(key, at, kind, summary, who):
        items.append((key, {"at": at, "kind": kind, "summary": summary, "who": who,
                            "order": _order_text(key)}))

    for t in tags:
        basis = f"，依据：{t.basis}" if t.basis else ""
        add(_day_key(t.start_date, t.created_at), t.start_date.isoformat(), "纳入标识",
            f"纳入{_tag_label(t)}（{t.decision_ref}）{basis}", names.of_id(t.created_by))
        if t.end_date:
            add(_day_key(t.end_date, None), t.end_date.isoformat(), "结束标识",
                f"{_tag_label(t)}结束：{t.end_reason}", "")
    for s in statuses:
        add(_day_key(s.recorded_on, s.created_at), s.recorded_on.isoformat(), "经济状况",
            f"{codes.label(codes.ECONOMIC_SOURCES, s.source)}：近 12 个月家庭收入 {_yuan(household_income(s))} 元",
            names.of_id(s.recorded_by))
    for step, tracking_no, track in steps:
        label = intake.state_label(track, step.to_state)
        comment = f"：{step.comment}" if step.comment else ""
        add(_day_key(step.on_day, step.at), step.on_day.isoformat(), "申请办理",
            f"{intake.TRACK_LABELS.get(track, track)} {tracking_no} → {label}{comment}", step.actor_name)
    for a in actions:
        decided = as_utc(a.created_at).astimezone(CHINA)
        add((decided.date(), decided.time()), china_text(a.created_at), "联席会议",
            f"{DECISIONS.get(a.decision, a.decision)}：{a.title}（期限 {a.deadline.isoformat()}）", "")
        if a.done_on:
            add(_day_key(a.done_on, None), a.done_on.isoformat(), "督办办结", f"{a.title}：{a.done_note}", "")
    seen_needs = set()
    for need, referral, organisation in aid:
        if need.id not in seen_needs:
            seen_needs.add(need.id)
            add(_day_key(need.recorded_on, need.created_at), need.recorded_on.isoformat(), "帮扶需求",
                f"{kind_label(need.kind)}：{need.description}", names.of_id(need.recorded_by))
        if referral is not None and referral.completed_on:
            amount = f"，金额 {_yuan(referral.amount)} 元" if referral.amount is not None else ""
            add(_day_key(referral.delivered_on or referral.completed_on, None),
                (referral.delivered_on or referral.completed_on).isoformat(), "救助帮扶",
                f"{organisation or ''}提供{kind_label(referral.kind)}：{referral.outcome}{amount}", organisation or "")
    for w in warnings:
        add(_day_key(w["raised_on"], w["created_at"]), w["raised_on"].isoformat(), "监测预警",
            f"{w['rule_name']}（{w['severity_label']}）：{w['evidence']}", SYSTEM)
        if w["handled_on"]:
            note = f"，{w['disposition_note']}" if w["disposition_note"] else ""
            add(_day_key(w["handled_on"], None), w["handled_on"].isoformat(), "预警处置",
                f"{w['rule_name']}：{w['verify_result_label']}，{w['disposition_label']}{note}",
                names.of_id(w["handled_by"]))
        if w["fed_back_on"]:
            add(_day_key(w["fed_back_on"], None), w["fed_back_on"].isoformat(), "预警反馈",
                f"{w['rule_name']}：{w['feedback']}", names.of_id(w["fed_back_by"]))
    for e in entries:
        if (e.entity, e.action) in _SHOWN_AS_EVENT:
            continue
        at = as_utc(e.at).astimezone(CHINA)
        add((at.date(), at.time()), china_text(e.at), _audit_kind(e), _audit_summary(e, member_names),
            names.of_login(e.username))
    items.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in items]


def _audit_kind(e: AuditEntry) -> str:
    if e.action == "reveal":
        return ACTION_LABELS["reveal"]
    return f"{ACTION_LABELS.get(e.action, e.action)}{ENTITY_LABELS.get(e.entity, e.entity)}"


def _loads(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _audit_summary(e: AuditEntry, member_names: dict) -> str:
    new = _loads(e.new_values)
    who = member_names.get(int(e.entity_id), "") if e.entity == "member" and e.entity_id.isdigit() else ""
    subject = f"成员 {who}" if who else ENTITY_LABELS.get(e.entity, e.entity)
    if e.action == "reveal":
        return f"{subject}：{e.note}" if e.note else f"{subject}：查看完整信息"
    if e.action == "create":
        if e.entity == "household":
            return f"登记家庭，户主 {new.get('head_name', '')}"
        if e.entity == "member":
            relation = codes.label(codes.RELATIONS, new.get("relation"))
            return f"新增家庭成员 {new.get('name', who)}（{relation}）"
    if e.entity == "member" and new.get("active") is False:
        return f"{subject} 移出本户（{e.note}）" if e.note else f"{subject} 移出本户"
    if e.entity == "member" and new.get("relation") == codes.HEAD:
        return f"{subject} 成为户主"
    fields = "、".join(FIELD_LABELS.get(k, k) for k in new)
    summary = f"{subject}：修改{fields}" if fields else subject
    return f"{summary}（{e.note}）" if e.note else summary
