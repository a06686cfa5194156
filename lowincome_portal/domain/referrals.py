"""分类救助帮扶: the rules of needs and referrals, as plain Python (no database, no Reflex).

- 缺啥补啥: a need names one assistance kind; a referral carries it to whoever offers that kind.
- 就高不就低: where kinds overlap (OVERLAPS), the higher one is shown first and the choice is
  recorded on the referral (`overlap_note`).
- 不重不漏: one referral of a kind per household and month (`period_of`) unless a coordinator
  records why; needs with no response and pool items nobody claimed are listed (services).

A referral's life is a small transition table (TRANSITIONS), as domain/intake.py does for
applications: the services ask `next_status` and refuse what the table does not allow.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import areas
from . import registry as registry_codes
from . import registry_input as check
from .errors import ValidationError

# Ordered from the highest benefit down, as the dispatch screen lists them.
ASSISTANCE_KINDS: dict[str, str] = {
    "dibao_allowance": "低保金",
    "tekun_support": "特困供养",
    "temporary": "临时救助",
    "medical": "医疗救助",
    "education": "教育救助",
    "housing": "住房救助（危房改造）",
    "employment": "就业帮扶/公益性岗位",
    "disability_subsidy": "残疾人两项补贴",
    "industry": "产业帮扶",
    "charity_aid": "慈善救助",
    "social_service": "社会组织服务（照料、心理疏导）",
}

# Kinds that cover the same want: a household gets one of each group, the higher (listed first).
# 特困供养 replaces 低保金 for a person who qualifies for both; charity comes after 临时救助.
# The county adds a group here when policy says two benefits do not add up.
OVERLAPS: tuple[tuple[str, ...], ...] = (
    ("tekun_support", "dibao_allowance"),
    ("temporary", "charity_aid"),
)

# Benefits a household already receives, read from its tags (domain/registry.py).
TAG_KINDS = {registry_codes.TEKUN: "tekun_support", registry_codes.DIBAO: "dibao_allowance"}

URGENCY = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
URGENT = ("urgent", "critical")  # delivered on the shorter clock (referral_urgent_delivery_days)

SOURCES = {"investigation": "入户调查", "warning": "预警", "visit": "走访", "meeting": "联席会议",
           "other": "其他"}

NEED_STATUS = {"open": "待响应", "referred": "已转介", "met": "已解决", "closed": "已关闭"}

MODES = {"assigned": "指定部门", "pool": "发布认领"}

ASSIGNED, POOLED, CLAIMED, IN_SERVICE, COMPLETED = "assigned", "pooled", "claimed", "in_service", "completed"
STATUS = {ASSIGNED: "已派单", POOLED: "待认领", CLAIMED: "已认领", IN_SERVICE: "服务中", COMPLETED: "已办结"}
OPEN_STATUSES = (ASSIGNED, POOLED, CLAIMED, IN_SERVICE)
HELD_STATUSES = (ASSIGNED, CLAIMED, IN_SERVICE)  # an organisation holds the referral

ACTIONS = {"dispatch": "派单", "claim": "认领", "start": "开始服务", "complete": "办结", "return": "退回"}

# (status, action) -> next status. Dispatch creates the row (assigned or pooled) and is not here.
# A holder may deliver at once (claimed/assigned -> completed) or say it has started first.
TRANSITIONS: dict[tuple[str, str], str] = {
    (POOLED, "claim"): CLAIMED,
    (ASSIGNED, "start"): IN_SERVICE,
    (CLAIMED, "start"): IN_SERVICE,
    (ASSIGNED, "complete"): COMPLETED,
    (CLAIMED, "complete"): COMPLETED,
    (IN_SERVICE, "complete"): COMPLETED,
    (ASSIGNED, "return"): POOLED,
    (CLAIMED, "return"): POOLED,
    (IN_SERVICE, "return"): POOLED,
}

MSG_KIND = "救助类别“{value}”不在可选范围内"
MSG_STEP = "该事项当前为“{status}”，不能{action}"
MSG_CLAIMED = "该事项已被其他机构认领"
MSG_OWN_CLAIM = "本机构已认领该事项"
MSG_NOT_POOLED = "该事项不在待认领事项中"
MSG_OUTSIDE_OFFER = "该事项不在本机构提供的救助类别或服务区域内"
MSG_NOT_HOLDER = "该事项不由本机构承办"
MSG_NO_ORGANISATION = "您的账号未关联合作机构，请联系管理员"
MSG_ORG_INACTIVE = "本机构已停用，不能再认领新的转介事项"
MSG_OUTCOME = "请填写服务结果（提供了哪些帮助）"
MSG_DELIVERED_FUTURE = "交付日期 {day} 不能晚于今天"
MSG_DELIVERED_EARLY = "交付日期 {day} 不能早于{what}（{earliest}）"
MSG_RETURN_REASON = "退回须说明原因"
MSG_DUPLICATE = ("不重复转介：该户{period}已有“{kind}”转介事项（编号 {id}，{status}）；"
                 "确需再次转介的，须由县级协调人员填写理由")
MSG_JUSTIFY_ROLE = "只有县级民政、农业农村部门的协调人员可以填写重复转介理由"
MSG_NEED_NOT_OPEN = "该需求当前为“{status}”，不能再派单"
MSG_MODE = "派单方式须为“指定部门”或“发布认领”"
MSG_NO_ASSIGNEE = "指定派单须选择承办单位"
MSG_ASSIGNEE_UNFIT = "所选单位已停用、不提供“{kind}”或不服务该户所在区域"
MSG_NO_PARTNERS = ("目前没有提供“{kind}”并服务该户所在区域的在用合作机构，发布后无人能认领；"
                   "请改为指定部门派单，或先在“合作机构”中登记")
MSG_NO_NEED = "帮扶需求不存在"
MSG_NO_REFERRAL = "转介事项不存在"


# --- codes lists (space-delimited, as Organisation.assistance_kinds and areas_served hold them) -----

def split_codes(text: str | None) -> list[str]:
    """“ medical education ” -> ["medical", "education"]; commas and 、 also separate."""
    raw = (text or "").replace("、", " ").replace(",", " ").replace("，", " ")
    return list(dict.fromkeys(raw.split()))


def codes_text(codes) -> str:
    """The stored form: “ a b ” with a space at each end (so `LIKE '% a %'` finds a code, as
    Household.current_tags does), or "" for none."""
    codes = [c for c in codes if c]
    return f" {' '.join(codes)} " if codes else ""


def offers(kinds_text: str, kind: str) -> bool:
    return kind in split_codes(kinds_text)


def covers(areas_text: str, area_code: str) -> bool:
    """Whether an organisation serving `areas_text` (no areas: the whole county) covers a place."""
    served = split_codes(areas_text)
    return not served or any(areas.is_valid_code(a) and areas.contains(a, area_code) for a in served)


def matches(kinds_text: str, areas_text: str, kind: str, area_code: str) -> bool:
    """Whether an organisation offering `kinds_text` in `areas_text` may take a referral."""
    return offers(kinds_text, kind) and covers(areas_text, area_code)


# --- labels and clocks ----------------------------------------------------------------------------

def kind_label(kind: str) -> str:
    return ASSISTANCE_KINDS.get(kind, kind)


def period_of(day: date) -> date:
    """The period a referral is for (不重): the first day of the month it was dispatched."""
    return day.replace(day=1)


def period_text(period: date) -> str:
    return f"{period.year}年{period.month}月"


def overdue_days(due: date | None, today: date) -> int:
    return max(0, (today - due).days) if due else 0


def claim_overdue(status: str, claim_due_on: date | None, today: date) -> bool:
    """A pool item nobody claimed by its deadline."""
    return status == POOLED and claim_due_on is not None and today > claim_due_on


def delivery_overdue(status: str, delivery_due_on: date | None, today: date) -> bool:
    """A referral not completed by its delivery deadline (pooled ones count too: the household waits)."""
    return status in OPEN_STATUSES and delivery_due_on is not None and today > delivery_due_on


def next_status(status: str, action: str) -> str:
    """The status after `action`, or ValidationError naming the current status."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise ValidationError(MSG_STEP.format(status=STATUS.get(status, status),
                                              action=ACTIONS.get(action, action))) from None


# --- 就高不就低 -----------------------------------------------------------------------------------

def _rank(kind: str) -> tuple[int, int]:
    """Sort key: a group's members sit together, at the place of its first member in the
    list, higher first; other kinds keep their place in ASSISTANCE_KINDS."""
    order = list(ASSISTANCE_KINDS)
    place = order.index(kind) if kind in order else len(order)
    for group in OVERLAPS:
        if kind in group:
            return min(order.index(k) for k in group if k in order), group.index(kind)
    return place, 0


def higher_first(kinds) -> list[str]:
    """The kinds (without repeats) in the order the dispatch screen shows them: higher first."""
    return sorted(dict.fromkeys(kinds), key=_rank)


def overlapping(kind: str, kinds) -> list[str]:
    """Those of `kinds` that overlap with `kind` (same OVERLAPS group, not `kind` itself)."""
    groups = [g for g in OVERLAPS if kind in g]
    return [k for k in dict.fromkeys(kinds) if k != kind and any(k in g for g in groups)]


def higher_of(kind: str, kinds) -> str:
    """The kind 就高不就低 picks among `kind` and the kinds overlapping it."""
    return higher_first([kind, *overlapping(kind, kinds)])[0]


def overlap_note(chosen: str, offered) -> str:
    """The sentence recorded on the referral when `chosen` overlaps other kinds the household
    has or asks for (`offered`): “与低保金重叠，按就高不就低选择特困供养”. A lower choice is
    recorded as such, so the meeting can see why. No overlap: ""."""
    others = overlapping(chosen, offered)
    if not others:
        return ""
    names = "、".join(kind_label(k) for k in higher_first(others))
    best = higher_of(chosen, others)
    if best == chosen:
        return f"与{names}重叠，按就高不就低选择{kind_label(chosen)}"
    return f"与{names}重叠，按就高不就低应选{kind_label(best)}，本次选择{kind_label(chosen)}"


# --- input ----------------------------------------------------------------------------------------

def _optional_money(value, label: str) -> Decimal | None:
    raw = "" if value is None else str(value).strip()
    return None if raw == "" else check.money(raw, label)


@dataclass(frozen=True)
class NeedInput:
    kind: str
    description: str
    amount: Decimal | None
    urgency: str
    source: str
    source_ref: str


def need_input(*, kind, description, amount, urgency, source, source_ref="") -> NeedInput:
    """A need as typed: a known kind, what is lacking, an amount if any (not negative),
    an urgency and where it was found. Codes or Chinese labels are accepted."""
    return NeedInput(
        kind=check.choice(kind, "救助类别", ASSISTANCE_KINDS),
        description=check.text(description, "需求说明", required=True, max_length=2000),
        amount=_optional_money(amount, "需求金额"),
        urgency=check.choice(urgency or "normal", "紧急程度", URGENCY),
        source=check.choice(source or "visit", "需求来源", SOURCES),
        source_ref=check.text(source_ref, "来源编号", max_length=60),
    )


@dataclass(frozen=True)
class Completion:
    outcome: str
    amount: Decimal | None
    delivered_on: date
    attachments: str


def completion_input(*, outcome, amount, delivered_on, attachments, today: date, earliest: date | None,
                     earliest_what: str = "认领日期") -> Completion:
    """What a partner reports back: what was delivered (required), the amount if any (not
    negative), the day it was delivered (not in the future, not before `earliest`: the claim
    or dispatch day) and the names of the documents kept."""
    text = check.text(outcome, "服务结果", max_length=5000)
    if not text:
        raise ValidationError(MSG_OUTCOME)
    money = _optional_money(amount, "救助金额")
    day = check.a_date(delivered_on, "交付日期")
    if day > today:
        raise ValidationError(MSG_DELIVERED_FUTURE.format(day=day.isoformat()))
    if earliest is not None and day < earliest:
        raise ValidationError(MSG_DELIVERED_EARLY.format(day=day.isoformat(), what=earliest_what,
                                                         earliest=earliest.isoformat()))
    if isinstance(attachments, (list, tuple)):
        attachments = "、".join(str(a).strip() for a in attachments if str(a).strip())
    return Completion(text, money, day, check.text(attachments, "附件", max_length=500))


def return_reason(value) -> str:
    text = check.text(value, "退回原因", max_length=500)
    if not text:
        raise ValidationError(MSG_RETURN_REASON)
    return text


def justification(value) -> str:
    """The coordinator's reason for a second referral of a kind in one period (may be "")."""
    return check.text(value, "重复转介理由", max_length=500)


def dispatch_mode(value) -> str:
    mode = (value or "").strip()
    if mode not in MODES:
        raise ValidationError(MSG_MODE)
    return mode
