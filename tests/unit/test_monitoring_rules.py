"""统一监测预警 rules (domain/monitoring.py and its defaults): every default rule fires at its
threshold and not just below, per-tag thresholds, tag and member filters, household sums,
evidence, the vectorised ID check, months, registry changes and the warning loop."""

import random
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from lowincome_portal.domain import monitoring as m
from lowincome_portal.domain.errors import ValidationError
from lowincome_portal.domain.idcard import is_valid_resident_id
from lowincome_portal.domain.monitoring_defaults import (DEFAULT_RULES, DEFAULT_SOURCES, DEFAULT_THRESHOLDS,
                                                         default_specs)
from lowincome_portal.domain.roles import (ADMIN, COUNTY_AGRI, COUNTY_CIVIL, LEADER, PARTNER, TOWNSHIP_STAFF,
                                           VILLAGE_STAFF)
from tests.idnumbers import make_id, with_bad_checksum

PERIOD = date(2026, 11, 1)
SPECS = default_specs()


def born(age: int, on: date = PERIOD) -> date:
    """A birthday making someone exactly `age` on `on` (their birthday is that very day)."""
    return on.replace(year=on.year - age)


def frame(*rows: dict) -> pd.DataFrame:
    """One row per person; defaults: household 1, a 40-year-old able to work, no tags."""
    base = {"household_id": 1, "member_name": "张三", "birth_date": born(40), "labour_capacity": "full",
            "tags": ""}
    df = pd.DataFrame([{**base, "member_id": i + 1, **r} for i, r in enumerate(rows)])
    df["birth_date"] = pd.to_datetime(df["birth_date"])
    for code, indicator in m.INDICATORS.items():
        if code in df.columns:
            df[code] = df[code].astype(float) if indicator.kind == "number" else df[code].astype(object)
    return df


def fires(code: str, *rows: dict) -> pd.DataFrame:
    return m.evaluate(SPECS[code], frame(*rows), PERIOD)


def tags_text(tag: str) -> str:
    return f" {tag} " if tag else ""


# --- the defaults -------------------------------------------------------------------------

def test_defaults_are_the_documented_table():
    assert [r["code"] for r in DEFAULT_RULES] == [
        "medical_annual", "inpatient_stay", "outpatient_month", "education_annual", "out_of_school", "uninsured",
        "housing_unsafe", "water_unsafe", "working_member_died", "working_member_disabled", "lost_job",
        "income_drop", "business_found", "vehicle_found", "real_estate_found"]
    assert SPECS["medical_annual"].thresholds == {"tekun": 1000, "dibao": 5000, "dibao_edge": 10000, "": 15000}
    assert SPECS["inpatient_stay"].thresholds == {"monitoring": 5000, "": 20000}
    assert {r["code"]: (r["severity"], r["department"]) for r in DEFAULT_RULES} == {
        "medical_annual": ("high", "both"), "inpatient_stay": ("medium", "both"),
        "outpatient_month": ("low", "both"), "education_annual": ("medium", "both"),
        "out_of_school": ("high", "both"), "uninsured": ("medium", "both"), "housing_unsafe": ("high", "both"),
        "water_unsafe": ("medium", "agri"), "working_member_died": ("high", "both"),
        "working_member_disabled": ("high", "both"), "lost_job": ("medium", "agri"),
        "income_drop": ("high", "both"), "business_found": ("medium", "civil"),
        "vehicle_found": ("medium", "civil"), "real_estate_found": ("medium", "civil")}
    assert all(t["effective_from"] == date(2025, 1, 1) for t in DEFAULT_THRESHOLDS)
    # every indicator a rule watches is a known one, fed by a file column or the registry
    fed = {c["indicator"] for s in DEFAULT_SOURCES for c in s["columns"] if c["indicator"]}
    assert fed | {"water_unsafe", "income_drop_pct"} == {r["indicator"] for r in DEFAULT_RULES}
    assert len(DEFAULT_SOURCES) == 9 and all(s["id_header"] == "身份证号" for s in DEFAULT_SOURCES)
    medical = next(s for s in DEFAULT_SOURCES if s["code"] == "medical_insurance")
    assert [c["header"] for c in medical["columns"]] == ["姓名", "年度累计自付", "单次住院最高自付", "当月门诊自付", "参保状态"]


NUMBER_CASES = [(code, tag, value) for code, spec in SPECS.items() if spec.comparison != "flag"
                for tag, value in spec.thresholds.items()]


@pytest.mark.parametrize("code, tag, threshold", NUMBER_CASES)
def test_number_rule_fires_at_its_threshold_and_not_just_below(code, tag, threshold):
    spec = SPECS[code]
    row = {"tags": tags_text(tag)}
    at = fires(code, {**row, spec.indicator: threshold})
    below = fires(code, {**row, spec.indicator: threshold - 0.01})
    above = fires(code, {**row, spec.indicator: threshold + 0.01})
    assert below.empty
    assert len(above) == 1 and above["threshold"].iloc[0] == threshold
    if spec.comparison == "ge":
        assert len(at) == 1 and at["value"].iloc[0] == threshold
    else:  # gt: reaching the threshold is not exceeding it
        assert spec.comparison == "gt" and at.empty


FLAG_CASES = {
    "out_of_school": {"birth_date": born(10)},
    "uninsured": {},
    "housing_unsafe": {},
    "water_unsafe": {},
    "working_member_died": {},
    "working_member_disabled": {},
    "lost_job": {},
    "business_found": {"tags": " dibao "},
    "vehicle_found": {"tags": " tekun "},
    "real_estate_found": {"tags": " dibao monitoring "},
}


@pytest.mark.parametrize("code", [c for c, s in SPECS.items() if s.comparison == "flag"])
def test_flag_rule_fires_on_true_only(code):
    assert code in FLAG_CASES
    spec, row = SPECS[code], FLAG_CASES[code]
    hit = fires(code, {**row, spec.indicator: True})
    assert len(hit) == 1 and hit["member_id"].iloc[0] == 1
    assert np.isnan(hit["value"].iloc[0]) and np.isnan(hit["threshold"].iloc[0])
    assert m.INDICATORS[spec.indicator].label in hit["evidence"].iloc[0]
    assert fires(code, {**row, spec.indicator: False}).empty
    assert fires(code, {**row, spec.indicator: None}).empty


# --- thresholds by tag --------------------------------------------------------------------

def test_threshold_for_takes_the_lowest_of_the_households_tags_else_the_other_row():
    spec = SPECS["medical_annual"]
    assert m.threshold_for(spec, {"tekun"}) == 1000
    assert m.threshold_for(spec, {"dibao", "dibao_edge"}) == 5000
    assert m.threshold_for(spec, {"monitoring"}) == 15000
    assert m.threshold_for(spec, set()) == 15000
    no_other = m.RuleSpec(**{**spec.__dict__, "thresholds": {"dibao": 5000.0}})
    assert m.threshold_for(no_other, {"monitoring"}) is None
    assert fires("medical_annual", {"medical_self_pay_year": 99999}).empty is False
    assert m.evaluate(no_other, frame({"medical_self_pay_year": 99999}), PERIOD).empty


def test_tekun_household_warned_at_1000_where_others_wait_for_15000():
    rows = [{"household_id": 1, "tags": " tekun ", "medical_self_pay_year": 1000},
            {"household_id": 2, "tags": "", "medical_self_pay_year": 1000},
            {"household_id": 3, "tags": " dibao dibao_edge ", "medical_self_pay_year": 5000},
            {"household_id": 4, "tags": " dibao_edge ", "medical_self_pay_year": 5000}]
    hits = fires("medical_annual", *rows)
    assert hits["household_id"].tolist() == [1, 3]
    assert hits["threshold"].tolist() == [1000, 5000]
    assert "特困家庭阈值 1,000.00 元" in hits["evidence"].iloc[0]
    assert "低保家庭阈值 5,000.00 元" in hits["evidence"].iloc[1]


def test_monitoring_household_inpatient_threshold_is_5000():
    hits = fires("inpatient_stay", {"tags": " monitoring ", "inpatient_self_pay": 6000},
                 {"household_id": 2, "inpatient_self_pay": 6000})
    assert hits["household_id"].tolist() == [1]
    assert "防返贫监测对象家庭阈值 5,000.00 元" in hits["evidence"].iloc[0]


# --- who the rule applies to --------------------------------------------------------------

def test_tag_restricted_rules_skip_other_households():
    assert fires("business_found", {"tags": " monitoring dibao_edge ", "business": True}).empty
    assert fires("business_found", {"tags": "", "business": True}).empty
    hit = fires("business_found", {"tags": " tekun ", "business": True, "member_name": "王五"})
    assert hit["evidence"].iloc[0] == "特困家庭成员王五（40 岁）：名下登记经营主体"


def test_working_age_filter():
    assert fires("working_member_died", {"birth_date": born(70), "died": True}).empty
    assert fires("working_member_died", {"birth_date": born(15), "died": True}).empty
    assert fires("working_member_died", {"labour_capacity": "none", "died": True}).empty
    assert len(fires("working_member_died", {"birth_date": born(16), "died": True})) == 1
    assert len(fires("working_member_died", {"birth_date": born(59), "died": True})) == 1
    # 60 on the first day of the month: no longer of working age
    assert fires("working_member_died", {"birth_date": born(60), "died": True}).empty
    assert len(fires("working_member_died", {"birth_date": born(60) + timedelta(days=1), "died": True})) == 1
    assert len(fires("lost_job", {"labour_capacity": "partial", "lost_job": True})) == 1


def test_school_age_filter():
    hit = fires("out_of_school", {"birth_date": born(10), "member_name": "李小", "out_of_school": True})
    assert hit["evidence"].iloc[0] == "成员李小（10 岁）：适龄儿童失学辍学"
    assert fires("out_of_school", {"birth_date": born(17), "out_of_school": True}).empty
    assert fires("out_of_school", {"birth_date": born(5), "out_of_school": True}).empty
    assert len(fires("out_of_school", {"birth_date": born(6), "out_of_school": True})) == 1
    assert len(fires("out_of_school", {"birth_date": born(15), "out_of_school": True})) == 1


def test_the_member_concerned_is_the_one_who_qualifies():
    hits = fires("working_member_died",
                 {"member_name": "老人", "birth_date": born(80), "died": True},
                 {"member_name": "儿子", "birth_date": born(45), "died": True})
    assert hits["member_id"].tolist() == [2]
    assert hits["evidence"].iloc[0] == "成员儿子（45 岁）：死亡"


# --- household sums and member rules ------------------------------------------------------

def test_household_sum_adds_members():
    rows = [{"member_name": "甲", "medical_self_pay_year": 9000},
            {"member_name": "乙", "medical_self_pay_year": 6000},
            {"member_name": "丙", "medical_self_pay_year": None},
            {"household_id": 2, "medical_self_pay_year": 14999.99}]
    hits = fires("medical_annual", *rows)
    assert hits["household_id"].tolist() == [1]
    assert hits["value"].iloc[0] == 15000 and hits["member_id"].iloc[0] == 1  # the larger share
    assert hits["evidence"].iloc[0] == ("年度累计医疗自付费用 15,000.00 元（全户 2 人合计），"
                                        "达到其他家庭阈值 15,000.00 元")
    one = fires("medical_annual", {"tags": " dibao ", "medical_self_pay_year": 12345})
    assert one["evidence"].iloc[0] == "年度累计医疗自付费用 12,345.00 元，达到低保家庭阈值 5,000.00 元"


def test_member_rule_does_not_add_members_and_names_the_highest():
    below = fires("inpatient_stay", {"inpatient_self_pay": 15000}, {"inpatient_self_pay": 15000})
    assert below.empty
    hits = fires("inpatient_stay", {"member_name": "甲", "inpatient_self_pay": 21000},
                 {"member_name": "乙", "inpatient_self_pay": 25000})
    assert len(hits) == 1 and hits["member_id"].iloc[0] == 2 and hits["value"].iloc[0] == 25000
    assert hits["evidence"].iloc[0] == ("成员乙（40 岁）等 2 人：单次住院自付费用 25,000.00 元，"
                                        "达到其他家庭阈值 20,000.00 元")


def test_household_level_facts_and_percentages():
    df = frame({"member_name": None, "member_id": None, "birth_date": None, "income_drop_pct": 35.5})
    hits = m.evaluate(SPECS["income_drop"], df, PERIOD)
    assert hits["member_id"].tolist() == [None]
    assert hits["evidence"].iloc[0] == "家庭人均收入下降幅度 35.50%，达到其他家庭阈值 30.00%"
    water = m.evaluate(SPECS["water_unsafe"], frame({"member_name": "", "water_unsafe": True}), PERIOD)
    assert water["evidence"].iloc[0] == "饮水不安全"


def test_education_exceeding_is_strict():
    assert fires("education_annual", {"education_self_pay_year": 10000}).empty
    hit = fires("education_annual", {"education_self_pay_year": 10000.5})
    assert "超过其他家庭阈值 10,000.00 元" in hit["evidence"].iloc[0]


def test_missing_indicator_column_or_empty_frame():
    assert fires("medical_annual", {"uninsured": True}).empty
    empty = m.evaluate(SPECS["medical_annual"], frame({"uninsured": True}).iloc[0:0], PERIOD)
    assert list(empty.columns) == list(m.RESULT_COLUMNS)


def test_a_million_rows_evaluate_fast():
    n = 1_000_000
    rng = np.random.default_rng(7)
    households = np.arange(n) // 3
    tag_choices = np.array(["", " dibao ", " tekun ", " dibao_edge ", " monitoring "])
    df = pd.DataFrame({
        "household_id": households, "member_id": np.arange(n), "member_name": "张三",
        "birth_date": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 25000, n), unit="D"),
        "labour_capacity": "full", "tags": tag_choices[households % 5],
        "medical_self_pay_year": np.where(rng.random(n) < 0.6, rng.random(n) * 6000, np.nan),
        "died": np.where(rng.random(n) < 0.001, True, None)})
    for code in ("medical_annual", "working_member_died", "inpatient_stay"):
        spec = SPECS[code]
        start = time.perf_counter()
        m.evaluate(spec, df, PERIOD)
        assert time.perf_counter() - start < 1.0, code


# --- ID numbers ---------------------------------------------------------------------------

def test_valid_id_mask_agrees_with_the_per_row_check():
    rnd = random.Random(11)
    today = date(2026, 11, 20)
    numbers = []
    for _ in range(1500):
        birth = date(1930, 1, 1) + timedelta(days=rnd.randrange(0, 35000))
        good = make_id(area=rnd.choice(["500231", "110105", "440305"]), birth=birth, seq=rnd.randrange(0, 1000))
        numbers.append(good)
        pos = rnd.randrange(18)
        digit = str((int(good[pos]) + rnd.randrange(1, 10)) % 10) if good[pos] != "X" else "1"
        numbers.append(good[:pos] + digit + good[pos + 1:])  # one digit wrong
        numbers.append(with_bad_checksum(good))
        numbers.append(good[:17])  # too short
    numbers += ["", None, "50023119800101011x", " 500231 198001010113 ", "５００２３１１９８００１０１０１１３",
                "500231198002300011", "500231202612010012", "50023119800101011A", "ABCDEFGHIJKLMNOPQR",
                "500231198001010113000", 500231198001010113, float("nan"), "５００２３１１９８００１０１０１１",
                "500231 9800101011"]
    numbers += [make_id(birth=date(2026, 11, 20)), make_id(birth=date(2026, 11, 21)),
                make_id(birth=date(2000, 2, 29)), make_id(birth=date(1900, 2, 28))]
    series = pd.Series(numbers, dtype=object)
    mask = m.valid_id_mask(series, today=today)
    expected = [is_valid_resident_id(None if x is None or x != x else str(x), today=today) for x in numbers]
    disagree = [(x, got, want) for x, got, want in zip(numbers, mask.tolist(), expected) if got != want]
    assert not disagree, disagree[:5]
    assert sum(expected) > 1500  # the sample holds plenty of both
    assert mask.index.equals(series.index)


def test_valid_id_mask_on_a_string_column():
    ids = pd.Series([make_id(), "123"], index=[5, 9])
    assert m.valid_id_mask(ids).tolist() == [True, False]


# --- months -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026-11", date(2026, 11, 1)), ("2026/11", date(2026, 11, 1)), ("202611", date(2026, 11, 1)),
    ("2026年11月", date(2026, 11, 1)), ("2026年1月", date(2026, 1, 1)), ("2026-1", date(2026, 1, 1)),
    ("2026.11", date(2026, 11, 1)), (" 2026-11-05 ", date(2026, 11, 1)), ("2026/11/5", date(2026, 11, 1)),
    ("20261130", date(2026, 11, 1)), ("2026年11月30日", date(2026, 11, 1)),
    ("2026-11-05 00:00:00", date(2026, 11, 1)), (date(2026, 11, 17), date(2026, 11, 1)),
    (pd.Timestamp("2026-11-17 08:00"), date(2026, 11, 1)), (202611, date(2026, 11, 1)),
    (202611.0, date(2026, 11, 1)),
    ("2026-13", None), ("2026-11-31", None), ("11/2026", None), ("", None), (None, None),
    ("十一月", None), ("2026", None), (float("nan"), None), (pd.NaT, None),
])
def test_parse_month(text, expected):
    assert m.parse_month(text) == expected


# --- registry changes ---------------------------------------------------------------------

@pytest.mark.parametrize("old, new, expected", [
    ({"active": True}, {"active": False, "left_reason": "因病去世"}, {"died": True}),
    ({"active": True}, {"active": False, "left_reason": "死亡"}, {"died": True}),
    ({"active": True}, {"active": False, "left_reason": "病故"}, {"died": True}),
    ({"active": True}, {"active": False, "left_reason": "外嫁迁出"}, {}),
    ({"active": False}, {"active": False, "left_reason": "死亡"}, {}),
    ({"disability_type": ""}, {"disability_type": "physical"}, {"new_disability": True}),
    ({"disability_type": "visual"}, {"disability_type": "multiple"}, {}),
    ({"employment": "migrant"}, {"employment": "unemployed"}, {"lost_job": True}),
    ({"employment": "unemployed"}, {"employment": "unemployed"}, {}),
    ({"medical_insurance": True}, {"medical_insurance": False}, {"uninsured": True}),
    ({"medical_insurance": False}, {"medical_insurance": False}, {}),
    ({"in_school": True}, {"in_school": False}, {"out_of_school": True}),
    ({"in_school": False}, {"in_school": False}, {}),
    ({"schooling": "junior"}, {"schooling": "dropped_out", "in_school": False}, {"out_of_school": True}),
    ({"housing_safety": "B"}, {"housing_safety": "D"}, {"housing_unsafe": True}),
    ({"housing_safety": "C"}, {"housing_safety": "D"}, {}),
    (None, {"housing_safety": "C"}, {"housing_unsafe": True}),
    (None, {"housing_safety": "A", "drinking_water_safe": True}, {}),
    ({"drinking_water_safe": True}, {"drinking_water_safe": False}, {"water_unsafe": True}),
    ({"medical_insurance_ok": True}, {"medical_insurance_ok": False}, {"uninsured": True}),
    ({"per_capita_income": 10000}, {"per_capita_income": 6500}, {"income_drop_pct": 35.0}),
    ({"per_capita_income": 10000}, {"per_capita_income": 12000}, {}),
    ({"per_capita_income": 0}, {"per_capita_income": 0}, {}),
    (None, {"per_capita_income": 100}, {}),
    ({"name": "张三"}, {"name": "张三丰"}, {}),
])
def test_registry_facts(old, new, expected):
    assert m.registry_facts(old, new) == expected


def test_per_capita_income_counts_like_the_means_test():
    values = {"wage_income": "20000", "employment_costs": "25000", "business_income": "3000",
              "property_income": "0", "transfer_income": "3000"}
    assert m.per_capita_income(values, 3) == 2000.0  # wages net of costs never go below zero
    assert m.per_capita_income({}, 0) == 0.0


# --- the warning loop ---------------------------------------------------------------------

def test_the_loop_moves_forward_only_with_the_right_roles():
    assert m.check_step("pending", "assign", {VILLAGE_STAFF}) == "verifying"
    assert m.check_step("verifying", "handle", {TOWNSHIP_STAFF}) == "handled"
    assert m.check_step("handled", "feed_back", {COUNTY_CIVIL}) == "fed_back"
    assert m.check_step("handled", "feed_back", {COUNTY_AGRI}) == "fed_back"
    with pytest.raises(ValidationError, match="“反馈”须由乡镇工作人员或县级民政或县级农业农村办理"):
        m.check_step("handled", "feed_back", {VILLAGE_STAFF})
    for roles in ({ADMIN}, {LEADER}, {PARTNER}):
        with pytest.raises(ValidationError, match="须由"):
            m.check_step("pending", "assign", roles)
    with pytest.raises(ValidationError, match="该预警当前为“已处置”，不能指派核查"):
        m.check_step("handled", "assign", {COUNTY_CIVIL})
    with pytest.raises(ValidationError, match="当前为“待核查”，不能处置"):
        m.check_step("pending", "handle", {COUNTY_CIVIL})
    with pytest.raises(ValidationError, match="当前为“已反馈”"):
        m.check_step("fed_back", "feed_back", {COUNTY_CIVIL})
    with pytest.raises(ValidationError, match="未知"):
        m.check_step("pending", "fly", {COUNTY_CIVIL})
    assert m.check_step("pending", "assign", {VILLAGE_STAFF}) == "verifying"
    with pytest.raises(ValidationError, match="须由"):
        m.check_step("handled", "feed_back", {VILLAGE_STAFF})
    assert set(m.OPEN_STATUSES) == {"pending", "verifying", "handled"}
    assert m.DEPARTMENT_OF_ROLE == {COUNTY_CIVIL: "civil", COUNTY_AGRI: "agri"}


def test_handle_input_accepts_codes_and_labels():
    got = m.handle_input("情况属实", "  入户核实，住院花费属实 ", "referral", "")
    assert got == m.HandleInput("confirmed", "入户核实，住院花费属实", "referral", "")
    got = m.handle_input("not_confirmed", "已出院，医保报销后自付不多", "无需处置", "医保报销后自付 800 元")
    assert got.disposition == "no_action" and got.disposition_note == "医保报销后自付 800 元"


@pytest.mark.parametrize("args, message", [
    (("", "x", "referral", ""), "请选择核查结果"),
    (("maybe", "x", "referral", ""), "请选择核查结果"),
    (("confirmed", "  ", "referral", ""), "请填写核查情况"),
    (("confirmed", "x", "", ""), "请选择处置方式"),
    (("confirmed", "x", "party", ""), "请选择处置方式"),
    (("not_confirmed", "x", "referral", ""), "核查情况不属实的，处置方式应为“无需处置”"),
    (("not_confirmed", "x", "application", "y"), "应为“无需处置”"),
    (("confirmed", "x", "no_action", " "), "选择“无需处置”须说明理由"),
    (("confirmed", "x" * 2001, "referral", ""), "核查情况不能超过 2000 个字"),
    (("confirmed", "x", "no_action", "y" * 1001), "处置说明不能超过 1000 个字"),
])
def test_handle_input_refusals(args, message):
    with pytest.raises(ValidationError) as err:
        m.handle_input(*args)
    assert message in err.value.message


def test_feedback_input():
    assert m.feedback_input(" 已转介医疗救助，救助金已发放 ") == "已转介医疗救助，救助金已发放"
    with pytest.raises(ValidationError, match="请填写反馈内容"):
        m.feedback_input("   ")
    with pytest.raises(ValidationError, match="不能超过 2000 个字"):
        m.feedback_input("x" * 2001)
