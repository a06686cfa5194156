"""The registry's writes, part two: what is recorded about a household over time -
economic status, tag periods and home visits. Each is a new row; history is never
overwritten (a tag period is ended by setting its end date once).

The same rules as households.py hold: one command per call in the caller's unit of work,
permission and area checked inside, the household row locked, an audit entry written, a
PortalError (Chinese message) when refused, which rolls everything back.
Who may call: registry.edit (economic status), tag.manage (tags), visit.record (visits),
inside the actor's area.
"""

from datetime import date, timedelta

from sqlmodel import Session, col, select

from ..db.tables import EconomicStatus, HouseholdTag, Visit
from ..domain import registry as codes
from ..domain import registry_input as check
from ..domain.errors import NotFound, ValidationError
from ..domain.parameters import CATALOGUE
from ..domain.permissions import Actor
from . import audit
from .households import lock_household, refresh_summary, today_in_china
from .parameters import MissingParameter, value_on

MSG_TAG_UNKNOWN = "对象类别“{tag}”不在可选范围内"
MSG_TAG_NOT_FOUND = "对象标识不存在"
MSG_TAG_OPEN = "该户已有未结束的{label}标识（自 {start} 起），不能重复添加"
MSG_TAG_EXCLUSIVE = "该户正在{activity}（自 {start} 起），{a}与{b}不能同时{verb}，请先结束{a}标识"
MSG_TAG_OVERLAP = "开始日期 {start} 早于该户上一次{label}标识的结束日期 {end}"
MSG_TAG_SUBTYPE = "请选择监测对象类型（{choices}）"
MSG_TAG_NO_SUBTYPE = "只有防返贫监测对象需要选择类型"
MSG_TAG_ENDED = "该标识已于 {day} 结束，不能重复结束"
MSG_TAG_END_BEFORE = "结束日期 {end} 不能早于开始日期 {start}"
MSG_RECENT_VISIT = "该户 {when} 已由 {who} 走访，一次走访各部门共用，如非必要请勿重复入户"

# Tags that exclude each other (DOMAIN.md): 特困 and 低保; 低保边缘 means "not 低保/特困".
EXCLUSIVE_TAGS = {
    codes.DIBAO: (codes.TEKUN, codes.DIBAO_EDGE),
    codes.TEKUN: (codes.DIBAO, codes.DIBAO_EDGE),
    codes.DIBAO_EDGE: (codes.DIBAO, codes.TEKUN),
}
TAG_ACTIVITY = {codes.DIBAO: "享受低保", codes.TEKUN: "享受特困供养", codes.DIBAO_EDGE: "认定为低保边缘家庭"}


# --- economic status ----------------------------------------------------------------------

def record_economic_status(session: Session, *, actor: Actor, household_id: int, values: dict,
                           recorded_on, source: str = "manual") -> int:
    """Add a dated economic-status record (income, assets, rigid spending, living
    conditions); the newest is the current status, older ones stay as history.
    Returns its id. Who: registry.edit inside the actor's area."""
    household = lock_household(session, actor, household_id, "registry.edit")
    facts = check.economic_status(values)
    day = check.a_date(recorded_on, "核查日期", not_after=today_in_china())
    source = check.choice(source, "数据来源", codes.ECONOMIC_SOURCES)
    row = EconomicStatus(household_id=household.id, recorded_on=day, source=source,
                         recorded_by=actor.user_id, **facts)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="economic_status", entity_id=row.id,
                 new=facts | {"household_id": household.id, "recorded_on": day, "source": source})
    from . import monitoring_scan  # here, not at the top: the monitoring services build on this module
    monitoring_scan.on_economic_status(session, actor=actor, household=household, record=row)
    return row.id


# --- tags ---------------------------------------------------------------------------------

def add_tag(session: Session, *, actor: Actor, household_id: int, tag: str, start_date,
            decision_ref: str, basis: str = "", subtype: str = "") -> int:
    """Open a tag period (低保, 特困, 防返贫监测对象 ...) from a decision; returns its id and
    adds the code to Household.current_tags.

    Refuses: a tag already open on the household; 特困, 低保 and 低保边缘 together; a period
    starting before the last period of the same tag ended; a start in the future; no
    decision reference; a monitoring tag without its type (脱贫不稳定户 ...).
    Who: tag.manage (county civil affairs and agriculture) inside the actor's area.
    """
    household = lock_household(session, actor, household_id, "tag.manage")
    if tag not in codes.TAG_LABELS:
        raise ValidationError(MSG_TAG_UNKNOWN.format(tag=tag))
    label = codes.TAG_LABELS[tag]
    start = check.a_date(start_date, "开始日期", not_after=today_in_china())
    ref = check.text(decision_ref, "决定文号", required=True, max_length=100)
    basis = check.text(basis, "认定依据", max_length=2000)
    subtype = (subtype or "").strip()
    if tag == codes.MONITORING:
        subtype = check.choice(subtype, "监测对象类型", codes.MONITORING_TYPES, required=False)
        if not subtype:
            raise ValidationError(MSG_TAG_SUBTYPE.format(choices="、".join(codes.MONITORING_TYPES.values())))
    elif subtype:
        raise ValidationError(MSG_TAG_NO_SUBTYPE)
    periods = session.exec(select(HouseholdTag).where(HouseholdTag.household_id == household.id)).all()
    for p in periods:
        if p.end_date is None and p.tag == tag:
            raise ValidationError(MSG_TAG_OPEN.format(label=label, start=p.start_date))
        if p.end_date is None and p.tag in EXCLUSIVE_TAGS.get(tag, ()):
            verb = "认定" if codes.DIBAO_EDGE in (tag, p.tag) else "享受"
            raise ValidationError(MSG_TAG_EXCLUSIVE.format(
                activity=TAG_ACTIVITY[p.tag], start=p.start_date, a=codes.TAG_LABELS[p.tag], b=label, verb=verb))
        if p.tag == tag and p.end_date is not None and start < p.end_date:
            raise ValidationError(MSG_TAG_OVERLAP.format(start=start, label=label, end=p.end_date))
    row = HouseholdTag(household_id=household.id, tag=tag, subtype=subtype, start_date=start,
                       decision_ref=ref, basis=basis, created_by=actor.user_id)
    session.add(row)
    refresh_summary(session, household)
    audit.record(session, actor=actor, action="create", entity="household_tag", entity_id=row.id,
                 new={"household_id": household.id, "tag": tag, "subtype": subtype, "start_date": start,
                      "decision_ref": ref})
    return row.id


def end_tag(session: Session, *, actor: Actor, tag_id: int, end_date, reason: str) -> None:
    """End an open tag period: sets end date and reason once (start date and decision stay)
    and drops the code from Household.current_tags. Works on a cancelled household too.
    Who: tag.manage inside the actor's area."""
    row = session.get(HouseholdTag, tag_id)
    if row is None:
        raise NotFound(MSG_TAG_NOT_FOUND)
    household = lock_household(session, actor, row.household_id, "tag.manage", open_only=False)
    session.refresh(row)  # read again under the household lock
    if row.end_date is not None:
        raise ValidationError(MSG_TAG_ENDED.format(day=row.end_date))
    end = check.a_date(end_date, "结束日期", not_after=today_in_china())
    if end < row.start_date:
        raise ValidationError(MSG_TAG_END_BEFORE.format(end=end, start=row.start_date))
    why = check.text(reason, "结束原因", required=True, max_length=200)
    row.end_date, row.end_reason = end, why
    session.add(row)
    refresh_summary(session, household)
    audit.record(session, actor=actor, action="update", entity="household_tag", entity_id=row.id,
                 old={"end_date": None}, new={"end_date": end, "end_reason": why})


# --- visits -------------------------------------------------------------------------------

def record_visit(session: Session, *, actor: Actor, household_id: int, visited_on, findings: str,
                 purpose: str = "", changed_fields: list[str] | None = None) -> int:
    """Record a home visit made by the actor (the visitor), on a day not in the future;
    `changed_fields` names the registry facts the visit updated. Returns its id.
    Who: visit.record inside the actor's area."""
    household = lock_household(session, actor, household_id, "visit.record")
    day = check.a_date(visited_on, "走访日期", not_after=today_in_china())
    text = check.text(findings, "走访情况", required=True, max_length=5000)
    purpose = check.text(purpose, "走访事由", max_length=100)
    fields = " ".join(str(f).strip() for f in (changed_fields or []) if str(f).strip())
    if len(fields) > 500:
        raise ValidationError("更新的信息项过多（最多 500 字）")
    row = Visit(household_id=household.id, visited_on=day, visitor_user_id=actor.user_id,
                visitor_name=actor.display_name[:50], purpose=purpose, findings=text, changed_fields=fields)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="visit", entity_id=row.id,
                 new={"household_id": household.id, "visited_on": day, "purpose": purpose,
                      "changed_fields": fields})
    return row.id


def recent_visit_days(session: Session, on: date) -> int:
    """The policy parameter visit_recent_days in force on `on` (catalogue default if unset)."""
    try:
        return int(value_on(session, "visit_recent_days", on))
    except MissingParameter:  # a database seeded before the parameter was catalogued
        return int(CATALOGUE["visit_recent_days"].default)


def recent_visit_warning(session: Session, household_id: int, planned_on: date) -> str | None:
    """A reminder when the household was visited within visit_recent_days before
    `planned_on` (one visit serves every department), else None. Reads only; the caller
    has already checked that the actor may see the household."""
    days = recent_visit_days(session, planned_on)
    found = session.exec(
        select(Visit.visited_on, Visit.visitor_name)
        .where(Visit.household_id == household_id, Visit.visited_on <= planned_on,
               Visit.visited_on >= planned_on - timedelta(days=days))
        .order_by(col(Visit.visited_on).desc(), col(Visit.id).desc()).limit(1)).first()
    if found is None:
        return None
    day, who = found
    when = f"{day.month}月{day.day}日" if day.year == planned_on.year else f"{day.year}年{day.month}月{day.day}日"
    return MSG_RECENT_VISIT.format(when=when, who=who)
