"""The means test on a household of the registry, with the policy numbers in force on the day.

Reads only: an assessment is advice for the caseworker, not a decision, so it writes no
audit entry; the decision that sets a tag is audited where it is made.
"""

import os
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from ..db.engine import DEFAULT_SQLITE, engine_for
from ..db.tables import EconomicStatus, Household, Member
from ..domain import means_test
from ..domain.errors import NotFound, ValidationError
from ..domain.parameters import CATALOGUE
from ..domain.permissions import Actor, Scope, require
from ..domain.registry import ECONOMIC_SOURCES, label
from . import parameters


def policy_on(session: Session, on: date) -> means_test.Policy:
    """The means-test numbers in force on `on`; raises MissingParameter when one has none."""
    return means_test.policy_from_values(
        {code: parameters.value_on(session, code, on) for code in means_test.POLICY_CODES})


def stored_policy_values(session: Session, on: date) -> dict[str, Decimal]:
    """The means-test numbers that have a value in force on `on` (codes without one are left out)."""
    values = {}
    for code in means_test.POLICY_CODES:
        try:
            values[code] = parameters.value_on(session, code, on)
        except parameters.MissingParameter:
            continue
    return values


def database_policy_values(on: date) -> tuple[dict[str, Decimal], str | None]:
    """For the command line: the numbers in force on `on` in the portal's database (DATABASE_URL,
    else the default SQLite file), or ({}, why not) when it does not exist, cannot be reached
    or is not migrated. Never creates a database (SQLite would happily make an empty file)."""
    url = os.environ.get("DATABASE_URL") or os.environ.get("REFLEX_DB_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and not (parsed.database and os.path.isfile(parsed.database)):
            return {}, f"数据库文件 {parsed.database} 不存在"
        with Session(engine_for(url)) as session:
            if not sa.inspect(session.connection()).has_table("policy_parameter"):
                return {}, "数据库尚未迁移，请先运行 lowincome-portal migrate"
            return stored_policy_values(session, on), None
    except (SQLAlchemyError, ValueError) as exc:
        return {}, f"无法读取数据库（{exc.__class__.__name__}）"


def facts_for_household(session: Session, household_id: int, as_of: date) -> means_test.HouseholdFacts:
    """The household's facts on `as_of`: its active members and the latest economic status
    recorded on or before that day (none: all amounts zero, and the facts say so)."""
    notes = []
    members = []
    rows = session.exec(select(Member).where(Member.household_id == household_id, col(Member.active).is_(True))
                        .order_by(col(Member.id))).all()
    for m in rows:
        if m.birth_date > as_of:
            notes.append(f"成员{m.name}出生于 {m.birth_date.isoformat()}，晚于核算日期，未计入")
            continue
        members.append(means_test.MemberFacts(
            id_number=m.id_number, name=m.name, labour_capacity=m.labour_capacity,
            disability_grade=m.disability_grade, in_school=m.in_school, has_supporter=m.has_supporter,
            disability_type=m.disability_type))
    status = session.exec(select(EconomicStatus)
                          .where(EconomicStatus.household_id == household_id, EconomicStatus.recorded_on <= as_of)
                          .order_by(col(EconomicStatus.recorded_on).desc(), col(EconomicStatus.id).desc())
                          .limit(1)).first()
    if status is None:
        notes.append(f"截至 {as_of.isoformat()} 该家庭尚无经济状况记录，收入、财产和刚性支出均按 0 计算，"
                     "结果仅供参考，请先入户调查并录入经济状况")
        return means_test.HouseholdFacts(as_of=as_of, members=tuple(members), notes=tuple(notes))
    notes.append(f"依据 {status.recorded_on.isoformat()} 的家庭经济状况记录（{label(ECONOMIC_SOURCES, status.source)}）")
    return means_test.HouseholdFacts(
        as_of=as_of,
        members=tuple(members),
        income_12m=means_test.Income(wage=status.wage_income, business=status.business_income,
                                     property=status.property_income, transfer=status.transfer_income),
        employment_costs_12m=status.employment_costs,
        rigid_expenditure_12m=means_test.RigidExpenditure(
            medical=status.medical_expense, education=status.education_expense,
            disability_care=status.disability_care_expense),
        assets=means_test.Assets(deposits=status.deposits, vehicles=status.vehicles,
                                 extra_houses=status.extra_houses, businesses=status.businesses),
        notes=tuple(notes),
    )


def assess_facts(session: Session, household_id: int, as_of: date) -> means_test.Assessment:
    """The means test of a household's recorded facts on `as_of`, for decisions (no permission
    check: the caller has checked the decision's own). ValidationError when nobody lives there."""
    facts = facts_for_household(session, household_id, as_of)
    if not facts.members:
        raise ValidationError(f"该家庭在 {as_of.isoformat()} 没有在册的共同生活成员，无法核算")
    return means_test.assess(facts, policy_on(session, as_of))


def assess_household(session: Session, actor: Actor | None, household_id: int, as_of: date | None = None) -> dict:
    """Assess a household as of `as_of` (default today) with the numbers in force that day.

    Changes nothing. Callers: staff granted "means_test.run" whose area contains the household.
    Returns plain values for a page: amounts as text, tag codes and their Chinese labels, the
    reasons, and the policy numbers used. Raises NotFound, PermissionDenied, or
    ValidationError when a number has no value in force on that day or nobody lives there.
    """
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound("家庭不存在或已被删除")
    require(actor, "means_test.run", Scope(area_code=household.area_code))
    as_of = as_of or date.today()
    values = stored_policy_values(session, as_of)
    missing = [CATALOGUE[code].label for code in means_test.POLICY_CODES if code not in values]
    if missing:
        # An early date picked by the user, or a county that has not set its numbers up yet.
        raise ValidationError(f"{as_of.isoformat()} 时尚无生效的政策参数：{'、'.join(missing)}，"
                              "请选择较晚的核算日期，或请系统管理员先设置")
    policy = means_test.policy_from_values(values)
    facts = facts_for_household(session, household_id, as_of)
    if not facts.members:
        raise ValidationError(f"该家庭在 {as_of.isoformat()} 没有在册的共同生活成员，无法核算")
    result = means_test.summary(means_test.assess(facts, policy), policy)
    result["household_id"] = household.id
    result["head_name"] = household.head_name
    result["policy_rows"] = [
        {"code": code, "label": CATALOGUE[code].label, "unit": CATALOGUE[code].unit, "value": value}
        for code, value in result["policy"].items()
    ]
    return result
