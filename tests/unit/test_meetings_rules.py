"""The joint meeting's rules (domain/meetings.py): months, meeting dates, the checks on an
item's minutes, and the texts the agenda writes."""

from datetime import date

import pytest

from lowincome_portal.domain import meetings as rules
from lowincome_portal.domain.errors import ValidationError

NOV = date(2026, 11, 1)
MEETING_DAY = date(2026, 11, 20)


@pytest.mark.parametrize(("day", "start", "end", "following"), [
    (date(2026, 11, 17), date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1)),
    (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 1)),
    (date(2028, 2, 3), date(2028, 2, 1), date(2028, 2, 29), date(2028, 3, 1)),  # a leap year
])
def test_month_helpers(day, start, end, following):
    assert rules.month_start(day) == start
    assert rules.month_end(day) == end
    assert rules.next_month(day) == following
    assert rules.month_text(day) == f"{start.year}年{start.month}月"


@pytest.mark.parametrize("value", [date(2026, 11, 17), "2026-11", "2026-11-30", "2026年11月", "2026/11"])
def test_a_month_accepts_a_day_or_a_month_text(value):
    assert rules.a_month(value) == NOV


def test_a_month_refuses_nonsense():
    with pytest.raises(ValidationError, match="会议月份"):
        rules.a_month("十一月")


def test_meeting_input_keeps_the_meeting_inside_its_month():
    facts = rules.meeting_input("2026-11-17", MEETING_DAY, " 镇政府三楼会议室 ", "王芳")
    assert facts == rules.MeetingInput(NOV, MEETING_DAY, "镇政府三楼会议室", "王芳")
    with pytest.raises(ValidationError, match="会议日期须在 2026年11月 内"):
        rules.meeting_input(NOV, date(2026, 12, 1), "会议室", "王芳")
    with pytest.raises(ValidationError, match="会议地点不能为空"):
        rules.meeting_input(NOV, MEETING_DAY, " ", "王芳")
    with pytest.raises(ValidationError, match="主持人不能为空"):
        rules.meeting_input(NOV, MEETING_DAY, "会议室", "")


def test_held_on_is_neither_in_the_future_nor_before_the_month():
    today = date(2026, 12, 3)
    assert rules.held_on("2026-12-02", NOV, today) == date(2026, 12, 2)  # held late, still held
    with pytest.raises(ValidationError, match="不能晚于今天"):
        rules.held_on(date(2026, 12, 4), NOV, today)
    with pytest.raises(ValidationError, match="不能早于 2026年11月1日"):
        rules.held_on(date(2026, 10, 31), NOV, today)


def test_a_meeting_is_overdue_once_its_month_ended_unheld():
    assert not rules.is_overdue(rules.PLANNED, NOV, date(2026, 11, 30))
    assert rules.is_overdue(rules.PLANNED, NOV, date(2026, 12, 1))
    assert not rules.is_overdue(rules.HELD, NOV, date(2027, 1, 1))


def minutes(**changes) -> rules.Minutes:
    values = {"discussion": "讨论", "decision": "assign", "responsible_org_id": 3, "responsible_user_id": None,
              "deadline": date(2026, 11, 30), "meeting_day": MEETING_DAY, "month": NOV,
              "member_unit_ids": {3, 4}, "attendee_user_ids": {7}}
    values.update(changes)
    return rules.minutes(**values)


def test_minutes_for_every_decision():
    for code in rules.DECISIONS:
        m = minutes(decision=code)
        assert m.decision == code and m.makes_action == (code in ("refer", "assign", "defer"))
    assert minutes(decision="同意").decision == "approve"   # a label, as a sheet holds it
    assert minutes(decision="", responsible_org_id="", deadline="").decision == ""


def test_defer_without_a_deadline_is_due_at_the_end_of_next_month():
    assert minutes(decision="defer", responsible_org_id=None, deadline=None).deadline == date(2026, 12, 31)


def test_refer_and_assign_need_someone_and_a_deadline():
    with pytest.raises(ValidationError, match="“转介”须指定责任单位或责任人"):
        minutes(decision="refer", responsible_org_id=None)
    with pytest.raises(ValidationError, match="“交办”须填写办理期限"):
        minutes(decision="assign", deadline="")
    assert minutes(decision="refer", responsible_org_id=None, responsible_user_id="7").responsible_user_id == 7


def test_minutes_refuse_what_the_meeting_cannot_decide():
    with pytest.raises(ValidationError, match="办理期限不能早于会议日期（2026年11月20日）"):
        minutes(deadline=date(2026, 11, 19))
    with pytest.raises(ValidationError, match="责任单位须为本次会议的成员单位"):
        minutes(responsible_org_id=9)
    with pytest.raises(ValidationError, match="责任人须为本次会议的参会人员"):
        minutes(responsible_org_id=None, responsible_user_id=8)
    with pytest.raises(ValidationError, match="不在可选范围内"):
        minutes(decision="maybe")
    with pytest.raises(ValidationError, match="讨论情况不能超过 5000 个字"):
        minutes(discussion="字" * 5001)


def test_free_text_is_kept_as_typed():
    assert minutes(discussion="<b>重点</b> & 跟进").discussion == "<b>重点</b> & 跟进"


def test_undecided_names_the_first_item_by_its_number():
    assert rules.undecided([("上月会议决定事项", "approve"), ("王五户", "refer")]) is None
    assert rules.undecided([("上月会议决定事项", "approve"), ("王五户", ""), ("李四户", "")]) == \
        "第 2 项“王五户”尚未形成决定"


def test_summary_title_counts_last_months_decisions():
    assert rules.summary_title(8, 2, 0, date(2026, 10, 1), NOV) == "上月会议决定事项：8 项已办结，2 项超期未办"
    assert rules.summary_title(1, 0, 3, date(2026, 10, 1), NOV) == \
        "上月会议决定事项：1 项已办结，0 项超期未办，3 项正在办理"
    assert rules.summary_title(1, 1, 0, date(2026, 8, 1), NOV).startswith("上次会议（2026年8月）决定事项")
    assert rules.summary_title(0, 0, 0, date(2026, 10, 1), NOV) == "上月会议未形成需办理的决定事项"


def test_follow_up_title_says_who_when_and_how_late():
    title = rules.follow_up_title("为王五户申请医疗救助", "垫江县医疗保障局", date(2026, 11, 30), date(2026, 12, 5))
    assert title == "督办：为王五户申请医疗救助（垫江县医疗保障局，期限 2026-11-30，已超期 5 天）"
    assert rules.follow_up_title("走访", "", date(2026, 12, 30), date(2026, 12, 5)) == "督办：走访（期限 2026-12-30）"


def test_action_title_and_status_text():
    assert rules.action_title("defer", "王五户") == "暂缓，下月再议：王五户"
    assert rules.action_title("defer", "暂缓，下月再议：王五户") == "暂缓，下月再议：王五户"
    assert rules.action_title("assign", "王五户") == "王五户"
    assert rules.action_status_text(rules.OPEN, date(2026, 11, 30), date(2026, 12, 2)) == "已超期 2 天"
    assert rules.action_status_text(rules.OPEN, date(2026, 11, 30), date(2026, 11, 30)) == "办理中"
    assert rules.action_status_text(rules.DONE, date(2026, 11, 30), date(2026, 12, 2)) == "已办结"
