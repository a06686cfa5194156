"""One application, one process: the two intake tracks as transition tables.

A track is data: its states (with the clock each step runs on) and its transitions (from
state, action, to state, roles allowed, guards that must hold, whether a comment is
required, and the effect the service applies). Adding a step or changing who may take it
edits these tables, not if-statements. Pure Python: the service (services/intake.py)
gathers the facts, asks `check_transition`, and applies the move in one transaction.

Tracks (DOMAIN.md):
- assistance (低保/特困/边缘/刚性, one application covers every category):
  待受理 -> 信息比对 -> 入户调查 -> 乡镇初审 -> 公示 -> 县级审核确认 -> 结果告知 -> 救助帮扶 / 不予认定
- monitoring (防返贫): 线索 -> 入户核实 -> 民主评议及公示 -> 乡镇审核 -> 县级确定 -> 纳入监测 / 不予纳入
Every open step can return for correction where the law allows, be withdrawn, or end in refusal.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from .errors import ValidationError
from .roles import COUNTY_AGRI, COUNTY_CIVIL, ROLE_LABELS, TOWNSHIP_STAFF, VILLAGE_STAFF

ASSISTANCE = "assistance"
MONITORING = "monitoring"
TRACK_LABELS = {ASSISTANCE: "救助申请", MONITORING: "防返贫监测"}

CHANNEL_LABELS = {"online": "网上申请", "station": "窗口代办", "import": "外部导入", "lead": "监测线索"}

# Clock kinds: deadlines counted in working days (PRC calendar) or in calendar days (notice periods).
WORKING = "working"
CALENDAR = "calendar"


@dataclass(frozen=True)
class Step:
    """A state of a track: its Chinese name, the parameter giving its time limit, the kind
    of days, and whether the case is finished there."""

    code: str
    label: str
    clock: str | None = None  # policy parameter code; None: no time limit (final states)
    days: str = WORKING
    final: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """What the guards look at, gathered by the service from the database."""

    today: date
    consent: bool = False
    household_id: int | None = None
    accepted_on: date | None = None
    visit_since_accepted: bool = False
    economic_status_since_accepted: bool = False
    notice_posted_on: date | None = None
    notice_ends_on: date | None = None
    open_objections: int = 0
    decision: str = ""  # approved | refused | ""
    qualifies: tuple[str, ...] = ()  # tags the means test finds on the investigated facts
    monitoring_type: str = ""


Guard = Callable[[CaseFacts], str | None]


def _consent(f: CaseFacts) -> str | None:
    return None if f.consent else "申请人尚未授权核查家庭经济状况，不能受理"


def _household(f: CaseFacts) -> str | None:
    return None if f.household_id else "申请尚未关联家庭档案"


def _visit(f: CaseFacts) -> str | None:
    return None if f.visit_since_accepted else "尚未记录受理（或退回）后的入户调查（走访），请先完成入户调查表"


def _economic_status(f: CaseFacts) -> str | None:
    return (None if f.economic_status_since_accepted
            else "尚未录入受理（或退回）后核实的家庭经济状况，请先完成入户调查表")


def _notice_posted(f: CaseFacts) -> str | None:
    return None if f.notice_posted_on else "尚未登记公示张贴日期"


def _notice_over(f: CaseFacts) -> str | None:
    if f.notice_ends_on is None:
        return "尚未登记公示张贴日期"
    if f.today <= f.notice_ends_on:
        return f"公示期至 {f.notice_ends_on.isoformat()} 结束，公示期满后方可继续"
    return None


def _objections(f: CaseFacts) -> str | None:
    if f.open_objections:
        return f"还有 {f.open_objections} 条异议未处理完毕，请先处理"
    return None


def _qualifies(f: CaseFacts) -> str | None:
    if any(t != "monitoring" for t in f.qualifies):
        return None
    return "按入户核实的家庭经济状况测算，该户不符合任何救助类别，请选择“不予认定”并写明理由"


def _approved(f: CaseFacts) -> str | None:
    return None if f.decision == "approved" else "审核结论不是“认定”"


def _refused(f: CaseFacts) -> str | None:
    return None if f.decision == "refused" else "审核结论不是“不予认定”"


def _monitoring_type(f: CaseFacts) -> str | None:
    return None if f.monitoring_type else "请选择监测对象类型"


GUARDS: dict[str, Guard] = {
    "consent": _consent,
    "household": _household,
    "visit": _visit,
    "economic_status": _economic_status,
    "notice_posted": _notice_posted,
    "notice_over": _notice_over,
    "objections_resolved": _objections,
    "qualifies": _qualifies,
    "approved": _approved,
    "refused": _refused,
    "monitoring_type": _monitoring_type,
}


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    label: str
    roles: tuple[str, ...]
    guards: tuple[str, ...] = ()
    comment_required: bool = False
    # what the service does besides moving the state (services/intake_effects.py)
    effect: str = ""
    # a button that undoes work (退回/撤回/不予...) is drawn in a warning colour
    negative: bool = False


@dataclass(frozen=True)
class Track:
    code: str
    start: str
    steps: dict[str, Step]
    transitions: tuple[Transition, ...] = field(default=())

    def step(self, state: str) -> Step:
        return self.steps[state]


TOWNSHIP = (TOWNSHIP_STAFF, COUNTY_CIVIL)
CIVIL_COUNTY = (COUNTY_CIVIL,)

_ASSISTANCE_STEPS = (
    Step("submitted", "待受理", "deadline_accept_days"),
    Step("data_check", "信息比对", "deadline_data_check_days"),
    Step("investigation", "入户调查", "deadline_investigation_days"),
    Step("preliminary_review", "乡镇初审", "deadline_preliminary_review_days"),
    Step("notice", "公示", "deadline_notice_stage_days"),
    Step("county_review", "县级审核确认", "deadline_county_review_days"),
    Step("result_notice", "结果告知", "deadline_result_notice_days"),
    Step("assisting", "救助帮扶", final=True),
    Step("refused", "不予认定", final=True),
    Step("not_accepted", "不予受理", final=True),
    Step("withdrawn", "已撤回", final=True),
)

_OPEN_ASSISTANCE = ("submitted", "data_check", "investigation", "preliminary_review", "notice", "county_review")

ASSISTANCE_TRACK = Track(
    code=ASSISTANCE,
    start="submitted",
    steps={s.code: s for s in _ASSISTANCE_STEPS},
    transitions=(
        Transition("submitted", "accept", "data_check", "受理", TOWNSHIP, ("consent",), effect="accept"),
        Transition("submitted", "not_accept", "not_accepted", "不予受理", TOWNSHIP,
                   comment_required=True, negative=True),
        Transition("data_check", "complete_check", "investigation", "完成信息比对", TOWNSHIP, ("household",)),
        Transition("investigation", "complete_investigation", "preliminary_review", "提交初审",
                   TOWNSHIP + (VILLAGE_STAFF,), ("household", "visit", "economic_status")),
        Transition("preliminary_review", "approve_preliminary", "notice", "初审通过，进入公示", TOWNSHIP,
                   ("visit", "economic_status")),
        Transition("preliminary_review", "return", "investigation", "退回补充调查", TOWNSHIP,
                   comment_required=True, negative=True, effect="reopen"),
        Transition("notice", "end_notice", "county_review", "公示期满，报县级审核", TOWNSHIP,
                   ("notice_posted", "notice_over", "objections_resolved")),
        Transition("notice", "return", "investigation", "因异议退回重新调查", TOWNSHIP,
                   comment_required=True, negative=True, effect="reopen"),
        Transition("county_review", "confirm", "result_notice", "审核确认（认定）", CIVIL_COUNTY,
                   ("notice_over", "objections_resolved", "qualifies"), effect="confirm"),
        Transition("county_review", "refuse", "result_notice", "不予认定", CIVIL_COUNTY,
                   ("objections_resolved",), comment_required=True, effect="refuse", negative=True),
        Transition("county_review", "return", "investigation", "退回乡镇重新调查", CIVIL_COUNTY,
                   comment_required=True, negative=True, effect="reopen"),
        Transition("result_notice", "notify_approval", "assisting", "已告知结果，转入救助帮扶", TOWNSHIP,
                   ("approved",)),
        Transition("result_notice", "notify_refusal", "refused", "已送达不予认定通知书", TOWNSHIP,
                   ("refused",)),
        *(Transition(state, "withdraw", "withdrawn", "申请人撤回", TOWNSHIP, comment_required=True,
                     negative=True) for state in _OPEN_ASSISTANCE),
    ),
)

_MONITORING_STEPS = (
    Step("lead", "线索", "deadline_lead_days"),
    Step("household_check", "入户核实", "deadline_household_check_days"),
    Step("appraisal", "民主评议及公示", "deadline_appraisal_stage_days"),
    Step("township_review", "乡镇审核", "deadline_township_review_days"),
    Step("county_decision", "县级确定", "deadline_county_decision_days"),
    Step("included", "纳入监测", final=True),
    Step("not_included", "不予纳入", final=True),
    Step("withdrawn", "已撤回", final=True),
)

_OPEN_MONITORING = ("lead", "household_check", "appraisal", "township_review", "county_decision")
MONITORING_FIELD = (VILLAGE_STAFF, TOWNSHIP_STAFF, COUNTY_AGRI)
AGRI_TOWNSHIP = (TOWNSHIP_STAFF, COUNTY_AGRI)

MONITORING_TRACK = Track(
    code=MONITORING,
    start="lead",
    steps={s.code: s for s in _MONITORING_STEPS},
    transitions=(
        Transition("lead", "start_check", "household_check", "开始入户核实", MONITORING_FIELD, ("consent",),
                   effect="accept"),
        Transition("lead", "not_include", "not_included", "线索不属实", MONITORING_FIELD,
                   comment_required=True, negative=True),
        Transition("household_check", "complete_check", "appraisal", "核实完毕，提交民主评议",
                   MONITORING_FIELD, ("household", "visit", "economic_status")),
        Transition("appraisal", "end_appraisal", "township_review", "评议公示期满，报乡镇审核", MONITORING_FIELD,
                   ("notice_posted", "notice_over", "objections_resolved")),
        Transition("appraisal", "return", "household_check", "因异议退回重新核实", MONITORING_FIELD,
                   comment_required=True, negative=True, effect="reopen"),
        Transition("township_review", "approve", "county_decision", "乡镇审核通过，报县级确定", AGRI_TOWNSHIP,
                   ("objections_resolved",)),
        Transition("township_review", "return", "household_check", "退回重新核实", AGRI_TOWNSHIP,
                   comment_required=True, negative=True, effect="reopen"),
        Transition("county_decision", "include", "included", "确定纳入监测", (COUNTY_AGRI,),
                   ("objections_resolved", "monitoring_type"), effect="include"),
        Transition("county_decision", "exclude", "not_included", "不予纳入", (COUNTY_AGRI,),
                   comment_required=True, effect="exclude", negative=True),
        Transition("county_decision", "return", "household_check", "退回重新核实", (COUNTY_AGRI,),
                   comment_required=True, negative=True, effect="reopen"),
        *(Transition(state, "withdraw", "withdrawn", "撤回（农户申请或线索撤销）", AGRI_TOWNSHIP,
                     comment_required=True, negative=True) for state in _OPEN_MONITORING),
    ),
)

TRACKS = {ASSISTANCE: ASSISTANCE_TRACK, MONITORING: MONITORING_TRACK}

# States whose notice (公示 / 民主评议公示) objections and posting belong to.
NOTICE_STATES = {ASSISTANCE: "notice", MONITORING: "appraisal"}
# The notice period's length in calendar days, per track (policy parameters).
NOTICE_PERIOD = {ASSISTANCE: "notice_days", MONITORING: "monitoring_notice_days"}
# The state in which the investigation form (pre-filled) is filled in.
INVESTIGATION_STATES = {ASSISTANCE: "investigation", MONITORING: "household_check"}

MSG_NOT_FROM_STATE = "当前环节为“{state}”，不能执行“{action}”"
MSG_WRONG_ROLE = "“{action}”须由{roles}办理"
MSG_COMMENT = "“{action}”须填写意见或理由"
MSG_UNKNOWN_ACTION = "未知的办理操作"


def track(code: str) -> Track:
    try:
        return TRACKS[code]
    except KeyError:
        raise ValidationError("未知的业务类型") from None


def state_label(track_code: str, state: str) -> str:
    t = TRACKS.get(track_code)
    step = t.steps.get(state) if t else None
    return step.label if step else state


def transitions_from(track_code: str, state: str) -> list[Transition]:
    return [t for t in track(track_code).transitions if t.source == state]


def find_transition(track_code: str, state: str, action: str) -> Transition:
    """The transition `action` from `state`; ValidationError naming the state if none."""
    for t in transitions_from(track_code, state):
        if t.action == action:
            return t
    labels = {t.action: t.label for t in track(track_code).transitions}
    if action not in labels:
        raise ValidationError(MSG_UNKNOWN_ACTION)
    raise ValidationError(MSG_NOT_FROM_STATE.format(state=state_label(track_code, state), action=labels[action]))


def blockers(transition: Transition, facts: CaseFacts) -> list[str]:
    """The messages of every guard that does not hold, each once (empty: the move may happen).

    Two guards can give the same reason: with no notice posted, notice_posted and
    notice_over both say so, and the user should read it once."""
    return list(dict.fromkeys(msg for name in transition.guards if (msg := GUARDS[name](facts))))


def check_transition(track_code: str, state: str, action: str, roles: frozenset[str], facts: CaseFacts,
                     comment: str = "") -> Transition:
    """The transition to apply, or a ValidationError giving every reason it cannot happen now. Area scope is the service's job."""
    transition = find_transition(track_code, state, action)
    if not roles.intersection(transition.roles):
        raise ValidationError(MSG_WRONG_ROLE.format(
            action=transition.label, roles="或".join(ROLE_LABELS[r] for r in transition.roles)))
    if transition.comment_required and not comment.strip():
        raise ValidationError(MSG_COMMENT.format(action=transition.label))
    problems = blockers(transition, facts)
    if problems:
        raise ValidationError("；".join(problems))
    return transition


def available(track_code: str, state: str, roles: frozenset[str]) -> list[Transition]:
    """The moves a user with `roles` could take from `state` (guards are checked on click)."""
    return [t for t in transitions_from(track_code, state) if roles.intersection(t.roles)]


def is_open(track_code: str, state: str) -> bool:
    return not track(track_code).step(state).final


def roles_acting_on(track_code: str, state: str) -> set[str]:
    """Roles who have something to do in `state` (whose work list shows the case)."""
    return {r for t in transitions_from(track_code, state) if t.action != "withdraw" for r in t.roles}
