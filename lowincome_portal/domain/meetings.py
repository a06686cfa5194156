"""The joint meeting's rules (困难群众联席会议), as plain Python: what a decision may be, what
it needs, which dates are allowed, and how the agenda and the summary of last month read.

The services (services/meetings.py, services/meeting_agenda.py) load rows and call these;
every Chinese word of the feature's rules is here, so pages, PDF and Excel say the same.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from . import registry_input as check
from .errors import ValidationError

# --- decisions, statuses, kinds -----------------------------------------------------------

DECISIONS = {"approve": "同意", "refuse": "不同意", "refer": "转介", "assign": "交办", "defer": "暂缓"}
# Decisions that ask someone to do something by a deadline: they become action items.
ACTION_DECISIONS = ("refer", "assign", "defer")
# Decisions that make no sense without someone to carry them out.
NEEDS_RESPONSIBLE = ("refer", "assign")
UNDECIDED_LABEL = "未决定"

PLANNED, HELD, APPROVED = "planned", "held", "approved"
STATUS_LABELS = {PLANNED: "计划中", HELD: "已召开", APPROVED: "纪要已审定"}

OPEN, DONE, SUPERSEDED, CANCELLED = "open", "done", "superseded", "cancelled"
# superseded: a later meeting decided the matter again (a deferred item re-discussed, a task
# re-assigned); cancelled: the meeting changed its decision before approving the minutes.
# Rows are never deleted, so a household's history keeps every decision.
ACTION_STATUS_LABELS = {OPEN: "办理中", DONE: "已办结", SUPERSEDED: "已由后续会议重新决定", CANCELLED: "已撤销"}

KIND_LABELS = {
    "summary": "上次会议决定事项落实情况",
    "follow_up": "督办事项",
    "overdue": "超期未办申请",
    "application": "待审核申请",
    "hard_case": "疑难个案",
    "referral": "超期转介事项",
    "warning": "超期监测预警",
    "other": "其他议题",
}

# Applications waiting for a review (乡镇初审, 县级审核确认, 乡镇审核, 县级确定): a meeting studies these.
REVIEW_STATES = ("preliminary_review", "county_review", "township_review", "county_decision")
# The steps the county decides: a county meeting takes up only these.
COUNTY_REVIEW_STATES = ("county_review", "county_decision")

DEFER_TITLE = "暂缓，下月再议"

# --- messages -----------------------------------------------------------------------------

MSG_DUPLICATE = "{area} {month} 的联席会议已创建"
MSG_APPROVED = "会议纪要已审定，不能再修改"
MSG_NOT_HELD = "会议尚未召开，请先登记召开日期再审定纪要"
MSG_UNDECIDED = "第 {number} 项“{title}”尚未形成决定"
MSG_NO_ITEMS = "会议没有议题，不能审定纪要"
MSG_DECISION_UNKNOWN = "决定“{value}”不在可选范围内（{choices}）"
MSG_NEEDS_RESPONSIBLE = "“{decision}”须指定责任单位或责任人"
MSG_NEEDS_DEADLINE = "“{decision}”须填写办理期限"
MSG_DEADLINE_EARLY = "办理期限不能早于会议日期（{day}）"
MSG_UNIT_NOT_MEMBER = "责任单位须为本次会议的成员单位"
MSG_PERSON_NOT_ATTENDEE = "责任人须为本次会议的参会人员"
MSG_PLANNED_OUTSIDE = "会议日期须在 {month} 内"
MSG_HELD_FUTURE = "召开日期不能晚于今天"
MSG_HELD_EARLY = "召开日期不能早于 {day}"
MSG_HELD_AFTER_DEADLINE = "第 {number} 项“{title}”的办理期限 {deadline} 早于召开日期，请先修改该项决定"
MSG_AREA = "联席会议须由乡镇（街道）或县召开，请选择乡镇（街道）或本县"
MSG_UNITS = "所选成员单位不存在或已停用"
MSG_NO_MEETING = "联席会议不存在"
MSG_NO_ITEM = "会议议题不存在"
MSG_NO_ATTENDEE = "参会人员不存在"
MSG_NO_ACTION = "决定事项不存在"
MSG_HOUSEHOLD_OUTSIDE = "所选家庭不在本次会议的辖区内"
MSG_ITEM_DROPPED = "该议题已撤下，请先恢复再记录"
MSG_ITEM_DECIDED = "该议题已形成决定，不能撤下"
MSG_ITEM_ALREADY_DROPPED = "该议题已撤下"
MSG_ITEM_NOT_DROPPED = "该议题未被撤下"
MSG_MOVE_FIRST = "该议题已在最前面"
MSG_MOVE_LAST = "该议题已在最后面"
MSG_MOVE_DIRECTION = "移动方向只能是上移或下移"
MSG_ACTION_DONE = "该议题的决定事项{status}，不能再修改决定"
MSG_ACTION_CLOSED = "该决定事项{status}，不能再次办结"
MSG_HARD_CASE_OPEN = "该户已于 {day} 提交疑难个案，尚待联席会议研究，不能重复提交"
MSG_REFER_KIND = "转介须选择救助类别"
MSG_REFER_UNIT = "涉及家庭的转介须指定责任单位，由该单位承办转介事项"


# --- months -------------------------------------------------------------------------------

def month_start(day: date) -> date:
    """The first day of the month `day` lies in (meetings are stored by it)."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month `day` lies in."""
    return month_start(day) + relativedelta(months=1) - timedelta(days=1)


def next_month(day: date) -> date:
    """The first day of the month after the one `day` lies in."""
    return month_start(day) + relativedelta(months=1)


def previous_month(day: date) -> date:
    return month_start(day) - relativedelta(months=1)


def month_text(day: date) -> str:
    """“2026年11月”."""
    return f"{day.year}年{day.month}月"


def date_text(day: date | None) -> str:
    """“2026年11月5日”, as minutes and messages write a date ("" for none)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def meeting_title(area_name: str, month: date) -> str:
    return f"{area_name} {month_text(month)} 困难群众联席会议"


def is_overdue(status: str, month: date, today: date) -> bool:
    """A meeting (or a township without one) is overdue once its month has ended unheld."""
    return status == PLANNED and today > month_end(month)


# --- meeting input ------------------------------------------------------------------------

@dataclass(frozen=True)
class MeetingInput:
    month: date
    planned_on: date
    place: str
    chair_name: str


def a_month(value) -> date:
    """The first day of a month given as a date (any day of it), “2026-11” or “2026年11月”."""
    if isinstance(value, str):
        raw = value.strip().removesuffix("月")
        for sep in ("-", "/", "年", "."):
            head, found, tail = raw.partition(sep)
            if found and head.isdigit() and tail.isdigit() and len(head) == 4 and 1 <= int(tail) <= 12:
                return date(int(head), int(tail), 1)
    return month_start(check.a_date(value, "会议月份"))


def meeting_input(month, planned_on, place, chair_name) -> MeetingInput:
    """The checked facts of a new meeting: the month's first day, a meeting date inside that
    month (a meeting held later is for the next month), a place and a chair."""
    first = a_month(month)
    day = check.a_date(planned_on, "会议日期")
    if month_start(day) != first:
        raise ValidationError(MSG_PLANNED_OUTSIDE.format(month=month_text(first)))
    return MeetingInput(
        month=first, planned_on=day,
        place=check.text(place, "会议地点", required=True, max_length=100),
        chair_name=check.text(chair_name, "主持人", required=True, max_length=50))


def held_on(value, month: date, today: date) -> date:
    """The day the meeting was held: not in the future, not before its month began (a late
    meeting may fall in the next month; it then counts as held late)."""
    day = check.a_date(value, "召开日期")
    if day > today:
        raise ValidationError(MSG_HELD_FUTURE)
    if day < month_start(month):
        raise ValidationError(MSG_HELD_EARLY.format(day=date_text(month_start(month))))
    return day


def item_text(title, detail) -> tuple[str, str]:
    return (check.text(title, "议题", required=True, max_length=200),
            check.text(detail, "议题说明", max_length=5000))


def hard_case_note(value) -> str:
    return check.text(value, "疑难情况说明", required=True, max_length=500)


def done_note(value) -> str:
    """What was done: an action item is marked done with a word on how."""
    return check.text(value, "办结情况", required=True, max_length=500)


# --- minutes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Minutes:
    discussion: str
    decision: str  # "" while the item is not decided
    responsible_org_id: int | None
    responsible_user_id: int | None
    deadline: date | None

    @property
    def makes_action(self) -> bool:
        return self.decision in ACTION_DECISIONS


def an_id(value) -> int | None:
    """An id from a form (None, "", "0" mean none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError("选择的责任单位或责任人无效") from None
    return number or None


def minutes(*, discussion, decision, responsible_org_id, responsible_user_id, deadline,
            meeting_day: date, month: date, member_unit_ids: set[int], attendee_user_ids: set[int]) -> Minutes:
    """Check one agenda item's minutes against the meeting: a known decision; a responsible
    unit or person and a deadline for 转介/交办; a deadline not before the meeting; a unit that is a
    member unit at this meeting and a person who attends it. 暂缓 without a deadline is due by
    the end of next month (the next meeting takes it up). An empty decision keeps the notes
    of an item not yet decided."""
    text = check.text(discussion, "讨论情况", max_length=5000)
    code = (decision or "").strip()
    code = next((c for c, label in DECISIONS.items() if label == code), code)  # a label from a sheet
    if code and code not in DECISIONS:
        raise ValidationError(MSG_DECISION_UNKNOWN.format(value=code, choices="、".join(DECISIONS.values())))
    org_id, user_id = an_id(responsible_org_id), an_id(responsible_user_id)
    due = check.a_date(deadline, "办理期限", required=False)
    label = DECISIONS.get(code, "")
    if code in NEEDS_RESPONSIBLE and org_id is None and user_id is None:
        raise ValidationError(MSG_NEEDS_RESPONSIBLE.format(decision=label))
    if code in NEEDS_RESPONSIBLE and due is None:
        raise ValidationError(MSG_NEEDS_DEADLINE.format(decision=label))
    if code == "defer" and due is None:
        due = month_end(next_month(month))
    if due is not None and due < meeting_day:
        raise ValidationError(MSG_DEADLINE_EARLY.format(day=date_text(meeting_day)))
    if org_id is not None and org_id not in member_unit_ids:
        raise ValidationError(MSG_UNIT_NOT_MEMBER)
    if user_id is not None and user_id not in attendee_user_ids:
        raise ValidationError(MSG_PERSON_NOT_ATTENDEE)
    return Minutes(text, code, org_id, user_id, due)


def action_title(decision: str, subject: str) -> str:
    """The action item's title: the matter itself; a deferred one says it comes back."""
    subject = subject.removeprefix(DEFER_TITLE + "：")
    title = f"{DEFER_TITLE}：{subject}" if decision == "defer" else subject
    return title[:200]


def undecided(items: list[tuple[str, str]]) -> str | None:
    """The message for the first undecided item of (title, decision) in agenda order, or None."""
    for number, (title, decision) in enumerate(items, start=1):
        if not decision:
            return MSG_UNDECIDED.format(number=number, title=title)
    return None


# --- the agenda's texts ---------------------------------------------------------------------

def overdue_days(deadline: date | None, today: date) -> int:
    """Calendar days past the deadline (0 when not past)."""
    return max((today - deadline).days, 0) if deadline else 0


def follow_up_title(title: str, responsible: str, deadline: date, today: date) -> str:
    """“督办：<title>（<responsible>，期限 2026-11-30，已超期 5 天）”."""
    parts = [p for p in (responsible, f"期限 {deadline.isoformat()}") if p]
    late = overdue_days(deadline, today)
    if late:
        parts.append(f"已超期 {late} 天")
    return f"督办：{title}（{'，'.join(parts)}）"[:200]


def summary_title(done: int, overdue: int, pending: int, previous: date, current: date) -> str:
    """“上月会议决定事项：8 项已办结，2 项超期未办” (naming the month when the last meeting was
    not last month; counting those still within their deadline when there are any)."""
    lead = "上月会议" if previous == previous_month(current) else f"上次会议（{month_text(previous)}）"
    if done + overdue + pending == 0:
        return f"{lead}未形成需办理的决定事项"
    text = f"{lead}决定事项：{done} 项已办结，{overdue} 项超期未办"
    return text + (f"，{pending} 项正在办理" if pending else "")


def action_status_text(status: str, deadline: date, today: date) -> str:
    """“办理中”, “已超期 3 天”, “已办结” ... for lists and the summary's detail."""
    if status == OPEN and overdue_days(deadline, today):
        return f"已超期 {overdue_days(deadline, today)} 天"
    return ACTION_STATUS_LABELS.get(status, status)


# --- a 转介 decision about a household: the referral it dispatched ------------------------------
# The action item of such a decision names its referral in done_note ("转介事项编号 12"); that
# mark is how recording the minutes again finds the referral instead of making a second one.

_REFERRAL_MARK = re.compile(r"转介事项编号 ?(\d+)")


def referral_note(referral_id: int, kind_label: str, unit_name: str) -> str:
    """“已转介：转介事项编号 12（医疗救助，垫江县医疗保障局承办）” (what is known of it)."""
    parts = "，".join(p for p in (kind_label, f"{unit_name}承办" if unit_name else "") if p)
    return (f"已转介：转介事项编号 {referral_id}" + (f"（{parts}）" if parts else ""))[:500]


def referral_kept_note(referral_id: int) -> str:
    """The note when the meeting turns a 转介 into another decision: the referral already went
    out and is left as it is (the referral service has no withdrawal; its holder is told)."""
    return f"会议改变了“转介”决定；已派出的转介事项编号 {referral_id} 不随之撤回，如需撤回请联系承办单位"


def referral_in_note(note: str | None) -> int | None:
    """The referral id an action item's note names, or None."""
    found = _REFERRAL_MARK.search(note or "")
    return int(found.group(1)) if found else None
