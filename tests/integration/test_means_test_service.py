"""The means test on a registry household: area permission, the latest economic status on the
day, and the policy numbers in force on the day."""

from datetime import date
from decimal import Decimal as D

import pytest
from sqlmodel import Session, func, select

from lowincome_portal.db.tables import AuditEntry, EconomicStatus, Household, Member, PolicyParameter
from lowincome_portal.db.uow import unit_of_work
from lowincome_portal.demo.policy_series import seed_policy_series
from lowincome_portal.domain.errors import NotFound, PermissionDenied, ValidationError
from lowincome_portal.services.means_test import assess_household, facts_for_household, policy_on

FENGHUANG = "500231100200"  # 凤凰村, 新民镇


@pytest.fixture
def household_id(engine):
    """An elderly widow living alone, income 420 a month, recorded on 2025-08-01; and an
    older record (2024) that the assessment must not use."""
    with unit_of_work(engine) as s:
        household = Household(area_code=FENGHUANG, address="凤凰村 3 组", head_name="王秀英",
                              head_id_number="11010519491231002X", member_count=2)
        s.add(household)
        s.flush()
        s.add(Member(household_id=household.id, id_number="11010519491231002X", name="王秀英", sex="female",
                     birth_date=date(1949, 12, 31), relation="head", labour_capacity="none"))
        # A member who has left the household does not count.
        s.add(Member(household_id=household.id, id_number="110105198005010013", name="李建国", sex="male",
                     birth_date=date(1980, 5, 1), relation="child", active=False, left_on=date(2023, 1, 1)))
        s.add(EconomicStatus(household_id=household.id, recorded_on=date(2024, 3, 1), wage_income=D("30000")))
        s.add(EconomicStatus(household_id=household.id, recorded_on=date(2025, 8, 1), transfer_income=D("5040"),
                             medical_expense=D("1200"), deposits=D("3000"), source="visit"))
        s.flush()
        return household.id


def assess(engine, actor, household_id, as_of):
    with Session(engine) as s:
        return assess_household(s, actor, household_id, as_of)


def test_township_staff_assess_a_household_in_their_area(engine, actor_of, household_id):
    result = assess(engine, actor_of("xinmin"), household_id, date(2025, 9, 1))
    assert result["member_count"] == 1
    assert result["per_capita_monthly_income"] == "420.00"
    assert result["rigid_ratio"] == "0.2381"
    assert result["qualifies"] == ["tekun", "dibao", "monitoring"]
    assert result["recommended"] == "tekun" and result["recommended_label"] == "特困"
    assert result["qualifies_labels"] == ["特困", "低保", "防返贫监测对象"]
    assert result["reasons"][0] == "依据 2025-08-01 的家庭经济状况记录（入户调查）"
    assert "家庭月人均收入 420.00 元，低于低保标准 630.00 元/人·月，且财产状况符合规定，符合低保条件" in result["reasons"]
    assert result["as_of"] == "2025-09-01"
    assert result["policy"]["dibao_standard_monthly"] == "630.00"
    assert {"code": "edge_multiplier", "label": "低保边缘收入倍数（低保标准的倍数）", "unit": "倍",
            "value": "1.5"} in result["policy_rows"]
    # The village worker of 凤凰村 may too.
    assert assess(engine, actor_of("fenghuang"), household_id, date(2025, 9, 1))["recommended"] == "tekun"


def test_other_township_and_partners_are_refused(engine, actor_of, household_id):
    for username in ("shaping", "cishan", "admin"):
        with pytest.raises(PermissionDenied):
            assess(engine, actor_of(username), household_id, date(2025, 9, 1))


def test_missing_household(engine, actor_of):
    with pytest.raises(NotFound):
        assess(engine, actor_of("xinmin"), 999_999, date(2025, 9, 1))


def test_reads_only(engine, actor_of, household_id):
    with Session(engine) as s:
        before = s.exec(select(func.count()).select_from(AuditEntry)).one()
    assess(engine, actor_of("minzheng"), household_id, date(2025, 9, 1))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEntry)).one() == before


def test_a_later_policy_change_does_not_change_an_earlier_assessment(engine, actor_of, household_id):
    actor = actor_of("xinmin")
    before = assess(engine, actor, household_id, date(2025, 9, 1))
    with unit_of_work(engine) as s:
        s.add(PolicyParameter(code="dibao_standard_monthly", value=D("400"), effective_from=date(2026, 1, 1)))
    assert assess(engine, actor, household_id, date(2025, 9, 1)) == before
    after = assess(engine, actor, household_id, date(2026, 2, 1))
    assert after["policy"]["dibao_standard_monthly"] == "400.00"
    assert after["recommended"] == "dibao_edge"


def test_status_is_the_latest_on_or_before_the_day(engine, actor_of, household_id):
    # On 2025-05-01 only the 2024 record (30000 wages) exists.
    with Session(engine) as s:
        facts = facts_for_household(s, household_id, date(2025, 5, 1))
    assert facts.income_12m.wage == D("30000.00")
    assert facts.notes == ("依据 2024-03-01 的家庭经济状况记录（手工录入）",)


def test_no_status_counts_zero_and_says_so(engine, actor_of, household_id):
    with unit_of_work(engine) as s:
        s.add(PolicyParameter(code="dibao_standard_monthly", value=D("500"), effective_from=date(2020, 1, 1)))
        for code, value in (("edge_multiplier", "1.5"), ("rigid_share", "0.7"), ("deposit_limit_per_capita", "9000"),
                            ("vehicle_limit", "0"), ("extra_house_limit", "0"), ("business_limit", "0"),
                            ("income_reference_annual", "20000"), ("monitoring_line_annual", "7000")):
            s.add(PolicyParameter(code=code, value=D(value), effective_from=date(2020, 1, 1)))
    result = assess(engine, actor_of("xinmin"), household_id, date(2020, 1, 15))
    assert result["per_capita_monthly_income"] == "0.00"
    assert result["rigid_ratio"] is None
    assert "尚无经济状况记录" in result["reasons"][0]


def test_no_policy_in_force_is_a_clear_error(engine, actor_of, household_id):
    with pytest.raises(ValidationError, match="2020-01-15 时尚无生效的政策参数：农村低保标准"):
        assess(engine, actor_of("xinmin"), household_id, date(2020, 1, 15))


def test_demo_series_is_idempotent_audited_and_dated(engine):
    # seed_demo (the db fixture) has loaded the series already: running it again adds nothing
    with unit_of_work(engine) as s:
        assert seed_policy_series(s) == 0
    with Session(engine) as s:
        added = s.exec(select(func.count()).select_from(PolicyParameter).where(
            PolicyParameter.note.startswith("演示数据"))).one()
    with Session(engine) as s:
        audited = s.exec(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "policy_parameter", AuditEntry.username == "system",
            AuditEntry.note.startswith("演示数据"))).one()
        assert audited == added > 0
        assert policy_on(s, date(2024, 9, 1)).dibao_standard_monthly == D("600")
        assert policy_on(s, date(2024, 6, 30)).dibao_standard_monthly == D("575")
        assert policy_on(s, date(2025, 9, 1)).dibao_standard_monthly == D("630")
        assert policy_on(s, date(2024, 9, 1)).income_reference_annual == D("20820")
        assert policy_on(s, date(2025, 1, 1)).monitoring_line_annual == D("7300")
