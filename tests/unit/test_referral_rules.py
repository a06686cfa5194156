"""The referral rules without a database: kinds and 就高不就低, the status table, what a need and
a completion must hold, and which organisation a referral reaches."""

from datetime import date
from decimal import Decimal

import pytest

from lowincome_portal.domain import referrals as rules
from lowincome_portal.domain.errors import ValidationError

TODAY = date(2026, 11, 20)
FENGHUANG, XINMIN, SHAPING, COUNTY = "500231100200", "500231100000", "500231101000", "500231000000"


# --- 就高不就低 -----------------------------------------------------------------------------------

def test_the_higher_of_overlapping_kinds_comes_first():
    assert rules.higher_first(["dibao_allowance", "medical", "tekun_support"]) == [
        "tekun_support", "dibao_allowance", "medical"]
    assert rules.higher_first(["charity_aid", "temporary", "charity_aid"]) == ["temporary", "charity_aid"]
    # kinds outside any group keep the order of ASSISTANCE_KINDS
    assert rules.higher_first(["social_service", "education", "housing"]) == ["education", "housing", "social_service"]


def test_overlapping_finds_only_the_same_group():
    assert rules.overlapping("dibao_allowance", ["tekun_support", "medical", "dibao_allowance"]) == ["tekun_support"]
    assert rules.overlapping("medical", ["tekun_support", "charity_aid"]) == []
    assert rules.higher_of("dibao_allowance", ["tekun_support"]) == "tekun_support"


def test_overlap_note_records_the_choice():
    assert rules.overlap_note("tekun_support", ["dibao_allowance"]) == "与低保金重叠，按就高不就低选择特困供养"
    assert rules.overlap_note("dibao_allowance", ["tekun_support"]) == \
        "与特困供养重叠，按就高不就低应选特困供养，本次选择低保金"
    assert rules.overlap_note("medical", ["dibao_allowance", "education"]) == ""


# --- the status table --------------------------------------------------------------------------------

@pytest.mark.parametrize("status, action, after", [
    ("pooled", "claim", "claimed"), ("claimed", "start", "in_service"), ("assigned", "start", "in_service"),
    ("in_service", "complete", "completed"), ("claimed", "complete", "completed"),
    ("claimed", "return", "pooled"), ("assigned", "return", "pooled"), ("in_service", "return", "pooled"),
])
def test_allowed_steps(status, action, after):
    assert rules.next_status(status, action) == after


@pytest.mark.parametrize("status, action, message", [
    ("completed", "complete", "该事项当前为“已办结”，不能办结"),
    ("completed", "return", "该事项当前为“已办结”，不能退回"),
    ("pooled", "complete", "该事项当前为“待认领”，不能办结"),
    ("claimed", "claim", "该事项当前为“已认领”，不能认领"),
    ("in_service", "start", "该事项当前为“服务中”，不能开始服务"),
])
def test_refused_steps_name_the_status(status, action, message):
    with pytest.raises(ValidationError) as err:
        rules.next_status(status, action)
    assert err.value.message == message


def test_every_status_and_transition_has_a_label():
    for (status, action), after in rules.TRANSITIONS.items():
        assert {status, after} <= set(rules.STATUS) and action in rules.ACTIONS


# --- clocks and periods --------------------------------------------------------------------------------

def test_period_is_the_month_of_dispatch():
    assert rules.period_of(date(2026, 11, 30)) == date(2026, 11, 1)
    assert rules.period_text(date(2026, 11, 1)) == "2026年11月"


def test_overdue_flags():
    assert rules.claim_overdue("pooled", date(2026, 11, 19), TODAY)
    assert not rules.claim_overdue("pooled", TODAY, TODAY)  # due today is not late yet
    assert not rules.claim_overdue("claimed", date(2026, 11, 1), TODAY)
    assert rules.delivery_overdue("in_service", date(2026, 11, 10), TODAY)
    assert not rules.delivery_overdue("completed", date(2026, 11, 10), TODAY)
    assert rules.overdue_days(date(2026, 11, 17), TODAY) == 3 and rules.overdue_days(None, TODAY) == 0


# --- input ------------------------------------------------------------------------------------------

def test_a_need_accepts_codes_or_labels():
    need = rules.need_input(kind="医疗救助", description=" 住院自付费用高 ", amount="3,000.5",
                            urgency="urgent", source="走访")
    assert (need.kind, need.description, need.amount, need.urgency, need.source) == (
        "medical", "住院自付费用高", Decimal("3000.50"), "urgent", "visit")
    assert rules.need_input(kind="education", description="学费", amount="", urgency="",
                            source="").amount is None


@pytest.mark.parametrize("change, message", [
    ({"kind": "lottery"}, "救助类别“lottery”不在可选范围内"),
    ({"description": "  "}, "需求说明不能为空"),
    ({"amount": "-5"}, "需求金额不能为负数"),
    ({"amount": "abc"}, "不是有效金额"),
    ({"urgency": "whenever"}, "紧急程度"),
])
def test_bad_need_input_is_refused(change, message):
    values = {"kind": "medical", "description": "住院", "amount": "100", "urgency": "normal", "source": "visit"}
    with pytest.raises(ValidationError) as err:
        rules.need_input(**{**values, **change})
    assert message in err.value.message


def completion(**change):
    values = {"outcome": "发放慈善救助金", "amount": "2000", "delivered_on": "2026-11-18",
              "attachments": ["签收单.jpg", "照片.jpg"], "today": TODAY, "earliest": date(2026, 11, 10)}
    return rules.completion_input(**{**values, **change})


def test_a_good_completion():
    done = completion()
    assert (done.outcome, done.amount, done.delivered_on, done.attachments) == (
        "发放慈善救助金", Decimal("2000.00"), date(2026, 11, 18), "签收单.jpg、照片.jpg")
    assert completion(amount="").amount is None  # a service may have no amount


@pytest.mark.parametrize("change, message", [
    ({"outcome": ""}, rules.MSG_OUTCOME),
    ({"amount": "-1"}, "救助金额不能为负数"),
    ({"delivered_on": "2026-11-21"}, "交付日期 2026-11-21 不能晚于今天"),
    ({"delivered_on": ""}, "交付日期不能为空"),
    ({"delivered_on": "2026-11-09"}, "交付日期 2026-11-09 不能早于认领日期（2026-11-10）"),
])
def test_bad_completion_is_refused_with_a_clear_message(change, message):
    with pytest.raises(ValidationError) as err:
        completion(**change)
    assert err.value.message == message


def test_return_needs_a_reason_and_mode_is_known():
    assert rules.return_reason(" 超出服务能力 ") == "超出服务能力"
    with pytest.raises(ValidationError, match="退回须说明原因"):
        rules.return_reason("")
    with pytest.raises(ValidationError, match="派单方式"):
        rules.dispatch_mode("broadcast")
    with pytest.raises(ValidationError, match="不能超过 500"):
        rules.justification("x" * 501)


# --- who a referral reaches -------------------------------------------------------------------------

def test_codes_lists():
    assert rules.split_codes(" medical  education、medical,housing ") == ["medical", "education", "housing"]
    assert rules.codes_text(["medical", "education"]) == " medical education "
    assert rules.codes_text([]) == ""


def test_matching_by_kind_and_area():
    assert rules.matches(" medical ", "", "medical", FENGHUANG)  # no areas: the whole county
    assert rules.matches("medical", f" {XINMIN} ", "medical", FENGHUANG)  # a township covers its villages
    assert not rules.matches("medical", SHAPING, "medical", FENGHUANG)
    assert not rules.matches("education", "", "medical", FENGHUANG)
    assert not rules.matches("", "", "medical", FENGHUANG)  # offers nothing: sees nothing
    assert rules.covers(COUNTY, FENGHUANG) and rules.covers(FENGHUANG, FENGHUANG)
