"""The registry's writes, part one: households and their members.

Every write function of the registry services is one command inside the caller's unit of work: it checks the
permission and the household's area against the actor, checks the input with
domain/registry_input.py, changes the rows, keeps the household's denormalised columns
(head_name, head_id_number, member_count, current_tags) right, and writes the audit entry
- all in the caller's transaction. A refusal raises a PortalError subclass with a Chinese
message; the unit of work then rolls everything back, so a refusal changes nothing.

Writes lock the household row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises
writers anyway), so two people changing one household at once cannot leave its member
count or tag list wrong.

This module: households and their members, and revealing a masked number. Economic
status, tags and visits are in household_records.py; the read model is household_view.py.
Who may call: registry.edit (and registry.reveal for `reveal`) inside the actor's area.
"""

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..db.tables import Area, Household, HouseholdTag, Member, RiskWarning
from ..db.timeutil import CHINA, utcnow
from ..domain import areas
from ..domain import registry as codes
from ..domain import registry_input as check
from ..domain.errors import NotFound, ValidationError
from ..domain.idcard import parse_resident_id
from ..domain.masking import mask_bank_account, mask_id_number, mask_phone
from ..domain.permissions import Actor, Scope, can, require
from . import audit

MSG_NO_HOUSEHOLD = "家庭不存在"
MSG_NO_MEMBER = "家庭成员不存在"
MSG_AREA_UNKNOWN = "所选村（社区）不存在"
MSG_AREA_LEVEL = "家庭所在地须选到村（社区）一级"
MSG_CANCELLED = "该户已注销，不能再修改；如需重新纳入请重新登记"
MSG_DUPLICATE = "身份证号 {number} 已是{where}的在册成员，一人只能在一个家庭中"
MSG_HEAD_RELATION = "户主请通过“变更户主”设置，成员的与户主关系不能直接改为户主或由户主改为其他"
MSG_HEAD_ALONE = "户主是该户唯一的在册成员，不能移出；如该户已无人在册，请注销该户"
MSG_HEAD_NEEDS_SUCCESSOR = "移出户主前须指定新户主（须为本户其他在册成员）"
MSG_MEMBER_LEFT = "该成员已于 {day} 移出本户"
MSG_NEW_HEAD = "新户主须为本户其他在册成员"
MSG_CANCEL_REASON = "注销家庭须填写注销原因"
MSG_CANCEL_TAGS = "该户仍有未结束的对象标识（{tags}），请先结束后再注销"
MSG_REACTIVATE = "已注销的家庭不能直接恢复在册，如需重新纳入请重新登记"

HOUSEHOLD_FIELDS = ("area_code", "address", "phone", "bank_name", "bank_account", "status", "note")
MEMBER_FIELDS = ("id_number", "name", "sex", "birth_date", "relation", "labour_capacity", "health",
                 "disability_type", "disability_grade", "employment", "schooling", "in_school",
                 "medical_insurance", "has_supporter")
_NOT_IN_SCHOOL = ("", "dropped_out")


def today_in_china() -> date:
    return datetime.now(CHINA).date()


# --- loading and checking -------------------------------------------------------------

def household_scope(session: Session, household_id: int) -> Scope:
    """The scope (area) of a household, for permission checks by pages and other services."""
    area_code = session.exec(select(Household.area_code).where(Household.id == household_id)).first()
    if area_code is None:
        raise NotFound(MSG_NO_HOUSEHOLD)
    return Scope(area_code=area_code)


def lock_household(session: Session, actor: Actor, household_id: int, action: str,
                   lock: bool = True, open_only: bool = True) -> Household:
    """The household for a command: locked (unless lock=False), `action` allowed in its area
    (PermissionDenied), and still active unless open_only=False (ValidationError)."""
    query = select(Household).where(Household.id == household_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    household = session.exec(query).first()
    if household is None:
        raise NotFound(MSG_NO_HOUSEHOLD)
    require(actor, action, Scope(area_code=household.area_code))
    if open_only and household.status != "active":
        raise ValidationError(MSG_CANCELLED)
    return household


def _member(session: Session, actor: Actor, member_id: int, action: str = "registry.edit"
            ) -> tuple[Member, Household]:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(MSG_NO_MEMBER)
    household = lock_household(session, actor, member.household_id, action)
    session.refresh(member)  # read again under the household lock
    return member, household


def _village(session: Session, code) -> str:
    code = (code or "").strip()
    if not areas.is_valid_code(code) or session.get(Area, code) is None:
        raise ValidationError(MSG_AREA_UNKNOWN)
    if areas.level_of(code) != areas.VILLAGE:
        raise ValidationError(MSG_AREA_LEVEL)
    return code


def place_name(session: Session, area_code: str) -> str:
    """“新民镇凤凰村” - township and village, as messages name a household's place."""
    chain = [area_code[:9] + "000", area_code] if areas.level_of(area_code) == areas.VILLAGE else [area_code]
    names = dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(chain))).all())
    return "".join(names.get(c, "") for c in chain) or area_code


def _short_id(number: str) -> str:
    return f"{number[:6]}…{number[-4:]}"


def _duplicate_message(session: Session, actor: Actor, number: str, exclude_member: int | None = None
                       ) -> str | None:
    query = (select(Household.area_code, Household.head_name)
             .join(Member, col(Member.household_id) == Household.id)
             .where(Member.id_number == number, col(Member.active).is_(True)))
    if exclude_member is not None:
        query = query.where(Member.id != exclude_member)
    found = session.exec(query).first()
    if found is None:
        return None
    area_code, head_name = found
    place = place_name(session, area_code)
    # Inside the actor's area name the family; outside it, say where only (as the import does).
    where = (f" {place} {head_name} 家庭" if can(actor, "registry.view", Scope(area_code=area_code))
             else f" {place} 的一户家庭（不在您的管辖范围，请与该乡镇核实）")
    return MSG_DUPLICATE.format(number=_short_id(number), where=where)


def _refuse_duplicate(session: Session, actor: Actor, number: str, exclude_member: int | None = None) -> None:
    message = _duplicate_message(session, actor, number, exclude_member)
    if message:
        raise ValidationError(message)


def _flush_member(session: Session, actor: Actor, number: str) -> None:
    """Flush a member row; the partial unique index catches a person registered by someone
    else since our check. Our transaction is dead then, so a fresh session names the family."""
    try:
        session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "uq_member_active_id_number" not in text and "member.id_number" not in text:
            raise
        bind = session.get_bind()
        with Session(getattr(bind, "engine", bind)) as fresh:
            message = _duplicate_message(fresh, actor, number)
        raise ValidationError(message or MSG_DUPLICATE.format(
            number=_short_id(number), where="其他家庭")) from None


def refresh_summary(session: Session, household: Household) -> None:
    """Recompute the household's denormalised columns from its rows (same transaction).

    current_tags is " code code " with a space at each end, so `LIKE '% dibao %'` finds a tag.
    """
    session.flush()
    members = session.exec(select(Member).where(Member.household_id == household.id,
                                                col(Member.active).is_(True))).all()
    head = next((m for m in members if m.relation == codes.HEAD), None)
    if head is not None:  # a cancelled household keeps the name of its last head
        household.head_name, household.head_id_number = head.name, head.id_number
    household.member_count = len(members)
    open_tags = set(session.exec(select(HouseholdTag.tag).where(
        HouseholdTag.household_id == household.id, col(HouseholdTag.end_date).is_(None))).all())
    ordered = [t for t in codes.TAG_LABELS if t in open_tags] + sorted(open_tags - set(codes.TAG_LABELS))
    household.current_tags = f" {' '.join(ordered)} " if ordered else ""
    household.updated_at = utcnow()
    session.add(household)


def _member_audit(values: dict) -> dict:
    """Member facts for the audit trail: the ID number masked, nothing else hidden."""
    out = {k: v for k, v in values.items() if k not in ("id_number", "birth_date", "sex")}
    if "id_number" in values:
        out["id_number"] = mask_id_number(values["id_number"])
    return out


def _household_audit(values: dict) -> dict:
    out = dict(values)
    if "phone" in out:
        out["phone"] = mask_phone(out["phone"])
    if "bank_account" in out:
        out["bank_account"] = mask_bank_account(out["bank_account"])
    return out


def _checked_member(values: dict, today: date) -> dict:
    facts = check.member(values, today=today)
    if "in_school" not in values:
        facts["in_school"] = facts["schooling"] not in _NOT_IN_SCHOOL
    return facts


# --- households -----------------------------------------------------------------------

def _checked_household(session: Session, values: dict) -> dict:
    unknown = set(values) - set(HOUSEHOLD_FIELDS) - {"reason"}
    if unknown:
        raise ValueError(f"unknown household fields: {sorted(unknown)}")
    out = {}
    if "area_code" in values:
        out["area_code"] = _village(session, values["area_code"])
    if "address" in values:
        out["address"] = check.text(values["address"], "家庭住址", max_length=200)
    if "phone" in values:
        out["phone"] = check.phone(values["phone"])
    if "bank_name" in values:
        out["bank_name"] = check.text(values["bank_name"], "开户银行", max_length=60)
    if "bank_account" in values:
        out["bank_account"] = check.bank_account(values["bank_account"])
    if "status" in values:
        out["status"] = check.choice(values["status"], "状态", codes.HOUSEHOLD_STATUS)
    if "note" in values:
        out["note"] = check.text(values["note"], "备注", max_length=500)
    return out


def create_household(session: Session, *, actor: Actor, household: dict, head: dict,
                     today: date | None = None) -> int:
    """Register a household with its head; returns the household id.

    Changes: inserts the household and its head (relation forced to 户主), sets the
    denormalised columns, audits both. Who: registry.edit, the village inside the actor's area.
    """
    today = today or today_in_china()
    area_code = _village(session, household.get("area_code"))
    require(actor, "registry.edit", Scope(area_code=area_code))
    values = _checked_household(session, {k: v for k, v in household.items() if k != "status"})
    facts = _checked_member({**head, "relation": codes.HEAD}, today)
    _refuse_duplicate(session, actor, facts["id_number"])
    row = Household(**values, status="active")
    session.add(row)
    session.flush()
    member = Member(household_id=row.id, **facts)
    session.add(member)
    _flush_member(session, actor, facts["id_number"])
    refresh_summary(session, row)
    audit.record(session, actor=actor, action="create", entity="household", entity_id=row.id,
                 new=_household_audit(values) | {"head_name": facts["name"]})
    audit.record(session, actor=actor, action="create", entity="member", entity_id=member.id,
                 new=_member_audit(facts) | {"household_id": row.id})
    return row.id


def update_household(session: Session, *, actor: Actor, household_id: int, changes: dict,
                     today: date | None = None) -> None:
    """Change a household's place, address, phone, bank account, note or status.

    Moving to another village needs registry.edit there too. Cancelling (status
    "cancelled") needs `changes["reason"]`, refuses while a tag is open, and moves every
    member out (so they can be registered elsewhere); a cancelled household cannot be
    reactivated. Audits the changed values (phone and bank account masked).
    Who: registry.edit inside the actor's area.
    """
    household = lock_household(session, actor, household_id, "registry.edit", open_only=False)
    values = _checked_household(session, changes)
    reason = check.text(changes.get("reason"), "注销原因", max_length=200)
    old_values = {k: getattr(household, k) for k in values}
    old, new = audit.changes(old_values, values)
    if not new:
        return
    if household.status != "active":
        raise ValidationError(MSG_REACTIVATE if new.get("status") == "active" else MSG_CANCELLED)
    if "area_code" in new:
        require(actor, "registry.edit", Scope(area_code=new["area_code"]))
    cancelling = new.get("status") == "cancelled"
    if cancelling:
        _check_can_cancel(household, reason)
    for key, value in new.items():
        setattr(household, key, value)
    if cancelling:
        day = today or today_in_china()
        for member in session.exec(select(Member).where(Member.household_id == household.id,
                                                        col(Member.active).is_(True))).all():
            member.active, member.left_on, member.left_reason = False, day, f"家庭注销：{reason}"[:200]
            session.add(member)
            audit.record(session, actor=actor, action="update", entity="member", entity_id=member.id,
                         old={"active": True}, new={"active": False, "left_on": day},
                         note=member.left_reason)
    if "area_code" in new:
        # A warning is scoped by its household's village: it moves with the household, so the
        # new village's staff see it and the old village's no longer do.
        session.execute(update(RiskWarning).where(RiskWarning.household_id == household.id)
                        .values(area_code=new["area_code"]))
    refresh_summary(session, household)
    audit.record(session, actor=actor, action="update", entity="household", entity_id=household.id,
                 old=_household_audit(old), new=_household_audit(new),
                 note=f"注销原因：{reason}" if cancelling else "")


def _check_can_cancel(household: Household, reason: str) -> None:
    if not reason:
        raise ValidationError(MSG_CANCEL_REASON)
    open_tags = [codes.label(codes.TAG_LABELS, t) for t in household.current_tags.split()]
    if open_tags:
        raise ValidationError(MSG_CANCEL_TAGS.format(tags="、".join(open_tags)))


# --- members ----------------------------------------------------------------------------

def add_member(session: Session, *, actor: Actor, household_id: int, member: dict,
               today: date | None = None) -> int:
    """Add a member (not the head: see change_head); returns the member id.

    Refuses a person already active in any household, naming that household.
    Who: registry.edit inside the actor's area.
    """
    household = lock_household(session, actor, household_id, "registry.edit")
    facts = _checked_member(member, today or today_in_china())
    if facts["relation"] == codes.HEAD:
        raise ValidationError(MSG_HEAD_RELATION)
    _refuse_duplicate(session, actor, facts["id_number"])
    row = Member(household_id=household.id, **facts)
    session.add(row)
    _flush_member(session, actor, facts["id_number"])
    refresh_summary(session, household)
    audit.record(session, actor=actor, action="create", entity="member", entity_id=row.id,
                 new=_member_audit(facts) | {"household_id": household.id})
    return row.id


def update_member(session: Session, *, actor: Actor, member_id: int, changes: dict,
                  today: date | None = None) -> None:
    """Correct or update an active member's facts (any of MEMBER_FIELDS but the head role).

    A changed ID number is checked like a new one. Audits changed values (ID masked).
    Who: registry.edit inside the actor's area.
    """
    member, household = _member(session, actor, member_id)
    if not member.active:
        raise ValidationError(MSG_MEMBER_LEFT.format(day=member.left_on))
    unknown = set(changes) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"unknown member fields: {sorted(unknown)}")
    today = today or today_in_china()
    current = {k: getattr(member, k) for k in MEMBER_FIELDS if k not in ("sex", "birth_date")}
    merged = current | changes
    if "labour_capacity" not in changes:
        # A stored assessment the rules now overrule (the member turned 60) is not an error.
        age = parse_resident_id(merged["id_number"], today=today).age_on(today)
        grade = merged.get("disability_grade")
        if check.no_labour_by_rule(age, merged.get("disability_type") or "", int(grade) if grade else None):
            merged["labour_capacity"] = ""
    facts = _checked_member(merged, today)
    if "in_school" not in changes and "schooling" not in changes:
        facts["in_school"] = member.in_school
    if (facts["relation"] == codes.HEAD) != (member.relation == codes.HEAD):
        raise ValidationError(MSG_HEAD_RELATION)
    old, new = audit.changes({k: getattr(member, k) for k in facts}, facts)
    if not new:
        return
    if "id_number" in new:
        _refuse_duplicate(session, actor, new["id_number"], exclude_member=member.id)
    for key, value in new.items():
        setattr(member, key, value)
    session.add(member)
    _flush_member(session, actor, facts["id_number"])
    refresh_summary(session, household)
    audit.record(session, actor=actor, action="update", entity="member", entity_id=member.id,
                 old=_member_audit(old), new=_member_audit(new))
    from . import monitoring_scan  # here, not at the top: the monitoring services build on this module
    monitoring_scan.on_registry_change(session, actor=actor, household_id=household.id, old=old,
                                       new=new | {"id": member.id}, kind="member", today=today)


def remove_member(session: Session, *, actor: Actor, member_id: int, left_on, reason: str,
                  new_head_id: int | None = None, today: date | None = None) -> None:
    """Move a member out of the household (active False, with the day and reason); the row stays.

    The head can leave only when another active member is named as new head (`new_head_id`);
    a head living alone cannot leave - cancel the household instead.
    Who: registry.edit inside the actor's area.
    """
    member, household = _member(session, actor, member_id)
    if not member.active:
        raise ValidationError(MSG_MEMBER_LEFT.format(day=member.left_on))
    day = check.a_date(left_on, "移出日期", not_after=today or today_in_china())
    why = check.text(reason, "移出原因", required=True, max_length=200)
    if member.relation == codes.HEAD:
        others = session.exec(select(Member).where(Member.household_id == household.id,
                                                   col(Member.active).is_(True), Member.id != member.id)).all()
        if not others:
            raise ValidationError(MSG_HEAD_ALONE)
        successor = next((m for m in others if m.id == new_head_id), None)
        if successor is None:
            raise ValidationError(MSG_HEAD_NEEDS_SUCCESSOR)
        _set_head(session, actor, successor, None, "")  # the leaver's row keeps "head" as history
    member.active, member.left_on, member.left_reason = False, day, why
    session.add(member)
    refresh_summary(session, household)
    audit.record(session, actor=actor, action="update", entity="member", entity_id=member.id,
                 old={"active": True}, new={"active": False, "left_on": day}, note=f"移出：{why}")
    from . import monitoring_scan  # here, not at the top: the monitoring services build on this module
    monitoring_scan.on_registry_change(session, actor=actor, household_id=household.id,
                                       old={"active": True, "id": member.id},
                                       new={"id": member.id, "active": False, "left_reason": why},
                                       kind="member_left", today=today)


def change_head(session: Session, *, actor: Actor, household_id: int, new_head_id: int,
                old_head_relation: str) -> None:
    """Make another active member the head; the old head gets `old_head_relation` (their
    relation to the new head). Other members' relations are left for staff to correct.
    Who: registry.edit inside the actor's area.
    """
    household = lock_household(session, actor, household_id, "registry.edit")
    relation = check.choice(old_head_relation, "原户主与新户主的关系", codes.RELATIONS)
    if relation == codes.HEAD:
        raise ValidationError(MSG_HEAD_RELATION)
    members = session.exec(select(Member).where(Member.household_id == household.id,
                                                col(Member.active).is_(True))).all()
    successor = next((m for m in members if m.id == new_head_id and m.relation != codes.HEAD), None)
    if successor is None:
        raise ValidationError(MSG_NEW_HEAD)
    old_head = next((m for m in members if m.relation == codes.HEAD), None)
    _set_head(session, actor, successor, old_head, relation)
    refresh_summary(session, household)


def _set_head(session: Session, actor: Actor, successor: Member, old_head: Member | None,
              old_head_relation: str) -> None:
    if old_head is not None:
        audit.record(session, actor=actor, action="update", entity="member", entity_id=old_head.id,
                     old={"relation": codes.HEAD}, new={"relation": old_head_relation})
        old_head.relation = old_head_relation
        session.add(old_head)
        session.flush()  # the denormalised head must never name two people
    audit.record(session, actor=actor, action="update", entity="member", entity_id=successor.id,
                 old={"relation": successor.relation}, new={"relation": codes.HEAD}, note="变更户主")
    successor.relation = codes.HEAD
    session.add(successor)


# --- the whole value of a masked field ------------------------------------------------------

REVEAL_FIELDS = {
    ("household", "phone"): ("phone", "联系电话"),
    ("household", "bank_account"): ("bank_account", "银行账号"),
    ("household", "id_number"): ("head_id_number", "户主身份证号"),
    ("member", "id_number"): ("id_number", "身份证号"),
}


def reveal(session: Session, *, actor: Actor, entity: str, record_id: int, field: str) -> str:
    """The whole value of a masked field. Changes: one audit entry "reveal" naming the
    field, never the value. Who: registry.reveal inside the actor's area."""
    if (entity, field) not in REVEAL_FIELDS:
        raise NotFound()
    column, label = REVEAL_FIELDS[(entity, field)]
    row = session.get(Household if entity == "household" else Member, record_id)
    if row is None:
        raise NotFound(MSG_NO_HOUSEHOLD if entity == "household" else MSG_NO_MEMBER)
    area_code = row.area_code if entity == "household" else household_scope(session, row.household_id).area_code
    require(actor, "registry.reveal", Scope(area_code=area_code))
    audit.record(session, actor=actor, action="reveal", entity=entity, entity_id=record_id,
                 new={"field": field}, note=f"查看完整{label}")
    return str(getattr(row, column) or "")
