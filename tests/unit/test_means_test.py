"""The means test's rules, each at its threshold: just below, equal, just above."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
from stdnum.cn import ric

from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.domain.means_test import (
    PRIORITY,
    Assets,
    HouseholdFacts,
    Income,
    MemberFacts,
    Policy,
    RigidExpenditure,
    assess,
    summary,
)
from lowincome_portal.domain.registry import DIBAO, DIBAO_EDGE, MONITORING, RIGID_HARDSHIP, TEKUN

AS_OF = date(2025, 9, 1)
# Round numbers so the thresholds are easy to read: 低保 600/month, 边缘 900, reference 20000/year,
# monitoring line 7000/year, deposits 10000 per person, no vehicle / extra house / business.
POLICY = Policy(dibao_standard_monthly=D("600"), edge_multiplier=D("1.5"), rigid_share=D("0.7"),
                income_reference_annual=D("20000"), monitoring_line_annual=D("7000"),
                deposit_limit_per_capita=D("10000"))


def resident_id(birth: date, seq: int = 1) -> str:
    body = f"110105{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "?")  # the function ignores the last character


def worker(seq=1, **kw):
    return MemberFacts(resident_id(date(1980, 5, 1), seq), f"劳力{seq}", "full", **kw)


def elder(seq=1, **kw):
    kw.setdefault("labour_capacity", "none")
    return MemberFacts(resident_id(date(1950, 5, 1), seq), f"老人{seq}", **kw)


def household(*members, monthly=None, transfer="0", rigid="0", **kw):
    """A household whose income is all transfer income; `monthly` is per-capita per month."""
    members = members or (worker(),)
    if monthly is not None:
        transfer = D(monthly) * 12 * len(members)
    return HouseholdFacts(as_of=AS_OF, members=tuple(members), income_12m=Income(transfer=D(transfer)),
                          rigid_expenditure_12m=RigidExpenditure(medical=D(rigid)), **kw)


def run(facts, policy=POLICY):
    return assess(facts, policy)


# --- 低保 ------------------------------------------------------------------------------

@pytest.mark.parametrize("monthly, met", [("599.99", True), ("600.00", False), ("600.01", False)])
def test_dibao_at_the_standard(monthly, met):
    result = run(household(monthly=monthly))
    assert (DIBAO in result.qualifies) is met
    assert result.per_capita_monthly_income == D(monthly)


def test_dibao_reason_names_rule_and_numbers():
    result = run(household(monthly="420"), replace(POLICY, dibao_standard_monthly=D("630")))
    assert "家庭月人均收入 420.00 元，低于低保标准 630.00 元/人·月，且财产状况符合规定，符合低保条件" in result.reasons
    assert result.recommended == DIBAO
    result = run(household(monthly="700"), replace(POLICY, dibao_standard_monthly=D("630")))
    assert "家庭月人均收入 700.00 元，不低于低保标准 630.00 元/人·月，不符合低保条件" in result.reasons


# --- 特困 ------------------------------------------------------------------------------

@pytest.mark.parametrize("monthly, met", [("599.99", True), ("600.00", False), ("600.01", False)])
def test_tekun_income_is_below_the_dibao_standard(monthly, met):
    result = run(household(elder(), monthly=monthly))
    assert (TEKUN in result.qualifies) is met


def test_tekun_and_dibao_exclude_each_other_and_tekun_is_recommended():
    result = run(household(elder(), elder(2), monthly="300"))
    assert result.qualifies[:2] == (TEKUN, DIBAO)
    assert result.recommended == TEKUN
    assert any("特困与低保不同时认定" in r for r in result.reasons)
    # Neither 边缘 nor 刚性 is offered to a household that meets 低保/特困.
    assert DIBAO_EDGE not in result.qualifies and RIGID_HARDSHIP not in result.qualifies


def test_a_supporter_or_a_worker_keeps_the_household_out_of_tekun():
    result = run(household(elder(has_supporter=True), monthly="300"))
    assert result.recommended == DIBAO and TEKUN not in result.qualifies
    assert any("老人1（75 周岁）有具备赡养、抚养或扶养能力的法定义务人，不符合特困人员条件" in r for r in result.reasons)
    result = run(household(elder(), worker(2), monthly="300"))
    assert result.recommended == DIBAO
    assert any("劳力2（45 周岁）不属于老年人、残疾人或未成年人，有劳动能力（全部劳动能力）" in r for r in result.reasons)


def test_tekun_people_aged_disabled_or_minor():
    disabled = MemberFacts(resident_id(date(1985, 1, 1)), "残疾人", "none", disability_grade=4)
    child = MemberFacts(resident_id(date(2015, 1, 1), 2), "儿童", "none")
    pupil = MemberFacts(resident_id(date(2008, 6, 1), 3), "高中生", "none", in_school=True)
    for member in (disabled, child, pupil):
        assert run(household(member, monthly="300")).recommended == TEKUN, member.name
    # 17 and not at school: no longer a minor for 特困 here.
    school_leaver = replace(pupil, in_school=False)
    assert run(household(school_leaver, monthly="300")).recommended == DIBAO
    # A 40-year-old with no disability is not in any 特困 group even if recorded without labour.
    assert run(household(MemberFacts(resident_id(date(1985, 1, 1)), "甲", "none"), monthly="300")).recommended == DIBAO


def test_age_rule_beats_an_old_labour_record():
    # Recorded "partial" before turning 60: the rule says no labour capacity now.
    assert run(household(elder(labour_capacity="partial"), monthly="300")).recommended == TEKUN


def test_age_is_counted_on_the_assessment_day():
    turning_60 = MemberFacts(resident_id(date(1965, 9, 2)), "乙", "none")
    assert run(household(turning_60, monthly="300")).recommended == DIBAO  # 59 on 2025-09-01
    later = replace(household(turning_60, monthly="300"), as_of=date(2025, 9, 2))
    assert run(later).recommended == TEKUN


# --- 低保边缘 ----------------------------------------------------------------------------

@pytest.mark.parametrize("monthly, met", [("899.99", True), ("900.00", False), ("900.01", False)])
def test_edge_below_multiplier_times_standard(monthly, met):
    result = run(household(monthly=monthly))
    assert (DIBAO_EDGE in result.qualifies) is met
    assert (result.recommended == DIBAO_EDGE) is met


def test_edge_reason_and_configurable_multiplier():
    result = run(household(monthly="1000"), replace(POLICY, edge_multiplier=D("2")))
    assert result.recommended == DIBAO_EDGE
    assert any("低于低保边缘标准 1200.00 元/人·月（低保标准的 2 倍）" in r for r in result.reasons)


# --- 刚性支出困难 -------------------------------------------------------------------------

@pytest.mark.parametrize("rigid, met", [("8399.99", False), ("8400.00", False), ("8400.01", True)])
def test_rigid_spending_above_share_of_income(rigid, met):
    # income 12000: above the 边缘 line, below the 20000 reference; 70% of it is 8400.
    result = run(household(transfer="12000", rigid=rigid))
    assert (RIGID_HARDSHIP in result.qualifies) is met
    assert (MONITORING in result.qualifies) is met


@pytest.mark.parametrize("annual, met", [("19999.99", True), ("20000.00", False), ("20000.01", False)])
def test_rigid_income_below_reference(annual, met):
    result = run(household(transfer=annual, rigid="19000"))
    assert (RIGID_HARDSHIP in result.qualifies) is met
    assert result.per_capita_annual_income == D(annual)


def test_rigid_reason_names_the_numbers():
    result = run(household(transfer="12000", rigid="9000"))
    assert result.rigid_ratio == D("0.7500")
    assert any("年人均收入 12000.00 元，低于上年度当地居民人均可支配收入 20000.00 元；近 12 个月刚性支出 9000.00 元，"
               "占家庭收入 12000.00 元的 75.00%，超过 70%，符合刚性支出困难条件" in r for r in result.reasons)


def test_rigid_hardship_ranks_above_edge():
    assert PRIORITY == (TEKUN, DIBAO, RIGID_HARDSHIP, DIBAO_EDGE)
    result = run(household(monthly="850", rigid="10000"))
    assert result.qualifies == (RIGID_HARDSHIP, DIBAO_EDGE, MONITORING)
    assert result.recommended == RIGID_HARDSHIP
    assert any("按就高不就低原则，建议认定为刚性支出困难" in r for r in result.reasons)


# --- 防返贫监测 ---------------------------------------------------------------------------

@pytest.mark.parametrize("annual, met", [("11999.99", True), ("12000.00", False), ("12000.01", False)])
def test_monitoring_below_the_line_alone_is_recommended(annual, met):
    policy = replace(POLICY, monitoring_line_annual=D("12000"))
    result = run(household(transfer=annual), policy)
    assert result.qualifies == ((MONITORING,) if met else ())
    assert result.recommended == (MONITORING if met else None)


def test_monitoring_is_additive_and_not_recommended_beside_another_tag():
    result = run(household(monthly="500"))  # 6000/year, below the 7000 line
    assert result.qualifies == (DIBAO, MONITORING)
    assert result.recommended == DIBAO


def test_nothing_qualifies():
    result = run(household(monthly="2000"))
    assert result.qualifies == () and result.recommended is None
    assert result.reasons[-1] == "未符合任何救助帮扶认定条件"


# --- assets ------------------------------------------------------------------------------

@pytest.mark.parametrize("deposits, ok", [("19999.98", True), ("20000.00", True), ("20000.02", False)])
def test_deposit_limit_per_capita(deposits, ok):
    facts = household(worker(), worker(2), monthly="300", assets=Assets(deposits=D(deposits)))
    result = run(facts)
    assert result.assets_within_limits is ok
    assert (result.recommended == DIBAO) is ok


def test_assets_over_limit_block_dibao_edge_and_rigid_and_say_why():
    result = run(household(monthly="300", assets=Assets(deposits=D("12000.50"), vehicles=1)))
    assert result.qualifies == (MONITORING,)
    assert any("但财产状况不符合规定（人均存款 12000.50 元，超过限额 10000.00 元/人；机动车辆 1 辆，超过限额 0 辆）"
               "，不符合低保条件" in r for r in result.reasons)
    result = run(household(transfer="12000", rigid="10000", assets=Assets(extra_houses=1)))
    assert RIGID_HARDSHIP not in result.qualifies
    assert any("但财产状况不符合规定，不符合刚性支出困难条件" in r for r in result.reasons)


def test_count_limits_are_policy():
    facts = household(monthly="300", assets=Assets(vehicles=1, businesses=1))
    assert run(facts).recommended != DIBAO
    assert run(facts, replace(POLICY, vehicle_limit=1, business_limit=1)).recommended == DIBAO


# --- income arithmetic, zero income --------------------------------------------------------

def test_income_total_and_rounding():
    facts = HouseholdFacts(as_of=AS_OF, members=(worker(), worker(2), worker(3)),
                           income_12m=Income(wage=D("900"), business=D("50"), property=D("30"), transfer=D("20")),
                           employment_costs_12m=D("100"))
    result = run(facts)
    assert result.household_income_12m == D("900")
    assert result.per_capita_monthly_income == D("25.00")
    facts = replace(facts, employment_costs_12m=D("0"))
    assert run(facts).per_capita_monthly_income == D("27.78")  # 1000 / 12 / 3 = 27.777...


def test_employment_costs_do_not_make_income_negative():
    facts = HouseholdFacts(as_of=AS_OF, members=(worker(),), income_12m=Income(wage=D("500"), transfer=D("1200")),
                           employment_costs_12m=D("800"))
    assert run(facts).household_income_12m == D("1200")


def test_zero_income_without_rigid_spending():
    result = run(household())
    assert result.rigid_ratio is None
    assert result.qualifies == (DIBAO, MONITORING)
    assert any("近 12 个月无刚性支出，家庭收入为零" in r for r in result.reasons)


def test_zero_income_with_rigid_spending_counts_as_large():
    result = run(household(rigid="100", assets=Assets(vehicles=1)))
    assert result.rigid_ratio is None
    assert result.qualifies == (MONITORING,)
    assert any("近 12 个月刚性支出 100.00 元，家庭收入为零，视为超过家庭收入的 70%" in r for r in result.reasons)


def test_empty_household_is_refused():
    with pytest.raises(ValidationError):
        run(HouseholdFacts(as_of=AS_OF, members=()))


def test_notes_come_first_and_summary_is_plain_text():
    result = run(replace(household(monthly="420"), notes=("尚无经济状况记录",)))
    assert result.reasons[0] == "尚无经济状况记录"
    out = summary(result, POLICY)
    assert out["per_capita_monthly_income"] == "420.00"
    assert out["rigid_ratio"] == "0.0000"
    assert out["recommended_label"] == "低保"
    assert out["qualifies_labels"] == ["低保", "防返贫监测对象"]
    assert out["policy"]["edge_multiplier"] == "1.5" and out["policy"]["vehicle_limit"] == "0"


def test_tekun_is_discussed_only_when_someone_is_aged_disabled_or_a_minor():
    assert not any("特困" in r for r in run(household(monthly="300")).reasons)
    result = run(household(elder(), monthly="700"))
    assert "家庭成员均符合特困人员的身份条件，但收入或财产状况不符合低保条件，不符合特困人员条件" in result.reasons


def test_income_sentence_lists_only_the_classes_present():
    facts = HouseholdFacts(as_of=AS_OF, members=(worker(), worker(2)),
                           income_12m=Income(wage=D("9000"), transfer=D("1200")), employment_costs_12m=D("600"))
    assert run(facts).reasons[0] == ("近 12 个月家庭收入 9600.00 元（工资性收入 9000.00 元扣除就业成本 600.00 元，"
                                     "转移净收入 1200.00 元），共同生活成员 2 人，月人均收入 400.00 元，年人均收入 4800.00 元")
