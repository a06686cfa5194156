"""Thirteen months of casework on the synthetic households, from a fixed seed: applications
with every step as an event, warnings with theirs, needs and referrals with theirs, joint
meetings with decided agenda items and action items, and home visits. Written with bulk Core
inserts in one transaction, after demo/synthetic.py generate_county built the registry.

Volumes (when not given) scale with the households, per 10,000 households and month
(RATES_PER_10K_MONTH), over WINDOW_MONTHS months - assumptions from a rural Chongqing county
of 50,000 registered households, where about 6% hold 低保:
- applications 77 (about 385 a month for 50,000 households, a fifth of them 防返贫监测 leads):
  new 低保/特困/边缘 requests, reviews and monitoring leads together;
- warnings 46: hits of the department files (医保, 学籍, 住房 ...) against the registry;
- referrals 31: needs carried to a department or a partner's pool;
- visits 62: home visits staff record besides the investigations.
Meetings do not scale with households: one joint meeting per county and township per month
(the unique key allows one), four decided agenda items each, two of them action items.

What is consistent with the services' view, so the pages, the work lists and the monthly
report read it as if the staff had done the work:
- each application's state, state_entered_on, decision and accepted_on follow its events
  along the track tables of domain/intake.py (the current state is the last event's
  to_state); open steps carry the deadline services/intake.start_clock would give them;
- warnings use the rules in the database (monitoring_rules.seed_defaults), with each rule's
  severity, department and source; a rule for 低保/特困 households only goes to such a
  household; one warning per household, rule and month; status, dates and due date follow
  the events (raise -> assign -> handle -> feed_back);
- referrals go to an active organisation that offers the kind (pool claims, assigned
  dispatches), with the deadlines services/referrals would set, and events dispatch ->
  claim/start -> complete; a second referral of a kind in a month carries the coordinator's
  reason (不重);
- every record's area is its household's; every date lies in the window and before today.

`scope="synthetic"` (the default) works on the synthetic households only (note 合成数据), so
generate_county(replace=True) removes this history with them - except meetings, which name
no household: they stay and are not doubled (one per area and month). `scope="all"` takes
every household, as the benchmarks' throwaway databases do. The random draws that shape the
history (who, when, how far each case got) are those the benchmarks always made, so their
figures stay comparable; the wording comes from a second generator.
"""

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..db.tables import Application, ApplicationEvent, Household, Member, RiskWarning, RiskWarningEvent
from ..domain import intake, reporting, working_days
from ..domain import registry as codes
from ..services.report_data import REFERRAL_CLOCKS, WARNING_CLOCKS, Clocks
from .synthetic import SYNTHETIC_NOTE
from .synthetic_households import _Names

WINDOW_MONTHS = 13
RATES_PER_10K_MONTH = {"applications": 77, "warnings": 46, "referrals": 31, "visits": 62}

ASSISTANCE_PATH = [("submit", "submitted"), ("accept", "data_check"), ("complete_check", "investigation"),
                   ("complete_investigation", "preliminary_review"), ("approve_preliminary", "notice"),
                   ("end_notice", "county_review"), ("confirm", "result_notice"), ("notify_approval", "assisting")]
MONITORING_PATH = [("submit", "lead"), ("start_check", "household_check"), ("complete_check", "appraisal"),
                   ("end_appraisal", "township_review"), ("approve", "county_decision"), ("include", "included")]
WARNING_STEPS = [("assign", "verifying", (1, 5)), ("handle", "handled", (2, 13)), ("feed_back", "fed_back", (1, 7))]
ASSISTANCE_TAGS = (codes.TEKUN, codes.DIBAO, codes.RIGID_HARDSHIP, codes.DIBAO_EDGE)

# Who takes each step (the actor_name of the events; user_id stays empty: no login did it).
STEP_ACTORS = {"submit": "窗口经办人", "accept": "乡镇经办人", "complete_check": "乡镇经办人",
               "complete_investigation": "村级协理员", "approve_preliminary": "乡镇经办人", "end_notice": "乡镇经办人",
               "confirm": "县民政局审核人", "refuse": "县民政局审核人", "notify_approval": "乡镇经办人",
               "start_check": "村级信息员", "end_appraisal": "村级信息员", "approve": "乡镇经办人",
               "include": "县农业农村委审核人"}
DIFFICULTIES = {
    intake.ASSISTANCE: ("家庭主要劳动力患病，无法外出务工，收入锐减", "老人独居，无固定收入来源，生活困难",
                        "子女就学支出较大，家庭入不敷出", "因病住院自付费用高，家庭生活困难",
                        "重度残疾人家庭，缺乏劳动能力", "低保到期复核，申请继续享受"),
    intake.MONITORING: ("突发意外事故，家庭收入大幅下降", "务工收入不稳定，存在返贫风险",
                        "自然灾害造成农作物严重减产", "大病医疗支出较大，存在致贫风险", "家庭成员新增残疾，劳动力减少"),
}
REFUSALS = ("经入户调查和信息核对，家庭人均收入高于当地农村低保标准", "家庭名下有机动车辆，财产状况不符合规定",
            "有法定赡养义务人且具备赡养能力", "家庭成员有稳定务工收入，不符合认定条件")
VERIFY_NOTES = {"confirmed": ("经入户核实，情况属实", "走访邻居和村干部，情况属实"),
                "not_confirmed": ("经入户核实，数据有误，实际情况不符", "费用已由商业保险报销，情况不属实")}
NO_ACTION_NOTES = ("已纳入日常走访重点关注", "家庭已有稳定收入，暂无需帮扶", "已由村级落实临时帮扶措施")
FEEDBACKS = ("已将核查处置情况反馈县级部门", "核查结果已录入系统并反馈数据来源部门")


def stamp(day: date) -> datetime:
    """10 a.m. China time of `day` as the UTC instant (how created_at is stored)."""
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def window_start(today: date) -> date:
    """The first day of the history: the month before last a year ago (13 full months before this one)."""
    return reporting.same_month_last_year(reporting.previous_month(today))


def registered_before(today: date) -> datetime:
    """When the history's households' members joined the register: well before its window."""
    return stamp(window_start(today) - timedelta(days=400))


def default_volumes(households: int) -> dict[str, int]:
    """Applications, warnings, referrals and visits for that many households (module docstring)."""
    return {k: round(rate * households / 10_000 * WINDOW_MONTHS) for k, rate in RATES_PER_10K_MONTH.items()}


@dataclass(frozen=True)
class Home:
    id: int
    area: str
    head_name: str
    head_id: str
    phone: str
    address: str
    tags: frozenset


class Deadlines:
    """The step deadlines the services set, from the policy parameters in force on the day
    (the catalogue default where the county has none), read once as the monthly report reads
    them (report_data.Clocks), each deadline computed once per (clock, day)."""

    def __init__(self, session: Session):
        steps = [s.clock for t in intake.TRACKS.values() for s in t.steps.values() if s.clock]
        self.days = Clocks(session, [*steps, *WARNING_CLOCKS.values(), *REFERRAL_CLOCKS]).days
        self.working = cache(self._working)  # this run's memory, dropped with it

    def _working(self, code: str, on: date) -> date:
        return working_days.add_working_days(on, self.days(code, on))

    def application(self, track: str, state: str, entered: date) -> tuple[date | None, bool]:
        """services/intake.start_clock: the step's deadline and whether it is estimated."""
        step = intake.track(track).step(state)
        if step.clock is None:
            return None, False
        if step.days == intake.WORKING:
            due = self.working(step.clock, entered)
            return due, working_days.is_estimated(entered, due)
        return working_days.add_calendar_days(entered, self.days(step.clock, entered)), False

    def warning(self, status: str, entered: date) -> date | None:
        code = WARNING_CLOCKS.get(status)
        return self.working(code, entered) if code else None


class Run:
    """What every part of one history run shares: the draws, the households, the window."""

    def __init__(self, conn, *, today: date, seed: int, homes: list[Home]):
        self.conn, self.today, self.homes = conn, today, homes
        self.rng = np.random.default_rng(seed)   # the shape: who, when, how far
        self.texts = random.Random(f"history-{seed}")  # the wording: names, notes, channels
        self.names = _Names(self.texts)
        self.start = window_start(today)
        self.span = (today - self.start).days
        self.deadlines = Deadlines(Session(bind=conn))

    def day(self, offset) -> date:
        return self.start + timedelta(days=int(offset))

    def home(self) -> Home:
        return self.homes[int(self.rng.integers(len(self.homes)))]

    def person(self) -> str:
        return self.names.surname() + self.names.given(self.texts.random() < 0.5)

    def next_id(self, table) -> int:
        return (self.conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1


# ---- applications ------------------------------------------------------------------------------

def _tracking_numbers(run: Run):
    """SQ20251014-999999 ... as services/intake_submit numbers them (the day plus six digits),
    counting down from 999999 on each day and skipping numbers already taken."""
    from ..services.intake_submit import PREFIX

    taken = set(run.conn.execute(sa.select(Application.tracking_no)).scalars())
    counters: dict[str, int] = {}

    def number(track: str, day: date) -> str:
        stem = f"{PREFIX[track]}{day:%Y%m%d}-"
        while True:
            n = counters.get(stem, 999_999)
            counters[stem] = n - 1
            if stem + f"{n:06d}" not in taken:
                return stem + f"{n:06d}"
    return number


def _decision_tag(home: Home) -> str:
    """The category an approved assistance application opened: the household's own, else 低保."""
    return next((t for t in ASSISTANCE_TAGS if t in home.tags), codes.DIBAO)


def add_applications(run: Run, count: int) -> tuple[list[dict], list[dict]]:
    rng, texts, today = run.rng, run.texts, run.today
    first = run.next_id(Application.__table__)
    tracking = _tracking_numbers(run)
    apps, events_out = [], []
    for i in range(count):
        h = run.home()
        monitoring = rng.random() < 0.2
        track = intake.MONITORING if monitoring else intake.ASSISTANCE
        path = MONITORING_PATH if monitoring else ASSISTANCE_PATH
        received = run.day(rng.integers(0, run.span))
        stop = int(rng.integers(1, len(path) + 1)) if rng.random() < 0.35 else len(path)
        on, state, decided_on, decision = received, path[0][1], None, ""
        events = []
        for k, (action, target) in enumerate(path[:stop]):
            if k:
                on = on + timedelta(days=int(rng.integers(0, 9)))
            if on >= today:
                break
            if target in ("result_notice", "included"):
                decided_on, decision = on, "approved"
                if not monitoring and rng.random() < 0.25:
                    action, target, decision = "refuse", "result_notice", "refused"
            events.append((action, state if k else "", target, on))
            state = target
            if decision == "refused":
                break
        prefilled, typed = int(rng.integers(10, 40)), int(rng.integers(0, 12))
        app_id = first + i
        channel = ("lead" if texts.random() < 0.6 else "station") if monitoring else \
            ("online" if texts.random() < 0.3 else "station")
        reason = texts.choice(REFUSALS) if decision == "refused" else ""
        tags = (codes.MONITORING if monitoring else _decision_tag(h)) if decision == "approved" else ""
        due, estimated = run.deadlines.application(track, state, events[-1][3])
        apps.append({
            "id": app_id, "tracking_no": tracking(track, received), "track": track, "channel": channel,
            "state": state, "state_entered_on": events[-1][3], "due_on": due, "due_estimated": estimated,
            "area_code": h.area, "household_id": h.id, "applicant_name": h.head_name,
            "applicant_id_number": h.head_id, "applicant_phone": h.phone, "address": h.address,
            "difficulty": texts.choice(DIFFICULTIES[track]), "members_json": "", "consent": True,
            "consent_at": stamp(received), "submission_key": None, "client_key": "",
            "accepted_on": next((d for a, _, _, d in events if a in ("accept", "start_check")), None),
            "staff_relative": False, "staff_relative_note": "", "green_channel": False,
            "monitoring_type": texts.choice(tuple(codes.MONITORING_TYPES)) if monitoring else "",
            "decision": decision, "decided_on": decided_on, "decision_tags": tags,
            "decision_reasons": reason or (f"经入户调查、民主评议和公示，符合{codes.TAG_LABELS[tags]}条件"
                                           if tags else ""),
            "fields_prefilled": prefilled, "fields_typed": typed, "created_by": None,
            "created_at": stamp(received), "updated_at": stamp(events[-1][3]), "version": len(events)})
        online = channel == "online"
        events_out += [{"application_id": app_id, "from_state": f, "action": a, "to_state": t, "user_id": None,
                        "actor_name": "申请人（网上）" if online and a == "submit" else STEP_ACTORS[a],
                        "comment": reason if a == "refuse" else "", "on_day": d, "at": stamp(d)}
                       for a, f, t, d in events]
    return apps, events_out


# ---- warnings ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Rule:
    code: str
    name: str
    spec: object  # domain.monitoring.RuleSpec
    source: str


def _rules(conn) -> list[_Rule]:
    """The rules in the database by code, each with the source its facts come from."""
    from ..db.tables import SourceColumn, WarningRule, WarningThreshold
    from ..domain import monitoring as warning_rules

    thresholds: dict[str, dict[str, float]] = {}
    for code, tag, value in conn.execute(sa.select(WarningThreshold.rule_code, WarningThreshold.tag,
                                                   WarningThreshold.value)
                                         .order_by(WarningThreshold.effective_from)).all():
        thresholds.setdefault(code, {})[tag] = value
    sources: dict[str, str] = {}
    for indicator, source in conn.execute(sa.select(SourceColumn.indicator, SourceColumn.source_code)
                                          .order_by(SourceColumn.id.desc())).all():
        sources[indicator] = source
    rules = []
    for row in conn.execute(sa.select(WarningRule).order_by(WarningRule.code)).mappings().all():
        spec = warning_rules.spec_from(row, thresholds.get(row["code"], {}))
        source = row["source_code"] or sources.get(row["indicator"], warning_rules.REGISTRY_SOURCE)
        rules.append(_Rule(row["code"], row["name"], spec, source))
    return rules


def _evidence(run: Run, rule: _Rule, home: Home) -> tuple[float | None, float | None, str]:
    """The value, threshold and evidence sentence of a warning (as the rules word it)."""
    from ..domain import monitoring as warning_rules

    spec = rule.spec
    indicator = warning_rules.INDICATORS.get(spec.indicator)
    label, unit = (indicator.label, indicator.unit) if indicator else (rule.name, "")
    threshold = warning_rules.threshold_for(spec, set(home.tags)) if spec.comparison != "flag" else None
    if threshold is None:
        return None, None, label
    value = round(threshold * run.texts.uniform(1.05, 2.5), 2)
    word = warning_rules.COMPARISON_WORDS.get(spec.comparison, "")
    return value, threshold, (f"{label} {warning_rules.amount_text(value, unit)}，{word}阈值 "
                              f"{warning_rules.amount_text(threshold, unit)}")


def add_warnings(run: Run, count: int) -> tuple[list[dict], list[dict]]:
    rng, texts, today = run.rng, run.texts, run.today
    rules = _rules(run.conn)
    if not rules or not run.homes:
        return [], []
    general = [r for r in rules if not r.spec.applies_to_tags]
    # `drawn` keeps the benchmarks' one-draw-per-warning sequence (a repeat of household, drawn
    # rule and month is skipped, as always); `taken` is the unique key as written, after a rule
    # for 低保/特困 households only was swapped, for another household, for an everyday rule.
    drawn: set = set()
    taken = set(run.conn.execute(sa.select(RiskWarning.household_id, RiskWarning.rule_code,
                                           RiskWarning.period)).all())
    first = run.next_id(RiskWarning.__table__)
    rows, events = [], []
    while len(rows) < count:
        h = run.home()
        raised = run.day(rng.integers(0, run.span))
        index = int(rng.integers(len(rules)))
        period = reporting.previous_month(raised)
        if (h.id, rules[index].code, period) in drawn:
            continue
        drawn.add((h.id, rules[index].code, period))
        fits = not rules[index].spec.applies_to_tags or rules[index].spec.applies_to_tags & h.tags
        offset = index if fits else texts.randrange(len(general))  # a swapped rule: any everyday one
        choices = [rules[index], *(general[(offset + k) % len(general)] for k in range(len(general)))]
        rule = next((r for r in choices if (not r.spec.applies_to_tags or r.spec.applies_to_tags & h.tags)
                     and (h.id, r.code, period) not in taken), None)
        status, on = "pending", raised
        steps = [("raise", "pending", raised)]
        for action, target, (low, high) in WARNING_STEPS:
            on = on + timedelta(days=int(rng.integers(low, high)))
            if on >= today or rng.random() < 0.08:
                break
            status = target
            steps.append((action, target, on))
        if rule is None:  # every rule already warned this household this month: nothing new to raise
            continue
        taken.add((h.id, rule.code, period))
        wid = first + len(rows)
        when = {s: d for _, s, d in steps}
        confirmed = texts.random() < 0.75
        value, threshold, evidence = _evidence(run, rule, h)
        handled = "handled" in when
        rows.append({
            "id": wid, "household_id": h.id, "area_code": h.area, "rule_code": rule.code, "period": period,
            "severity": rule.spec.severity, "department": rule.spec.department, "source": rule.source,
            "batch_id": None, "member_id": None, "value": value, "threshold": threshold, "evidence": evidence,
            "status": status, "raised_on": raised, "due_on": run.deadlines.warning(status, steps[-1][2]),
            "escalated_on": None, "assigned_to": None, "assigned_on": when.get("verifying"),
            "verify_result": ("confirmed" if confirmed else "not_confirmed") if handled else "",
            "verify_note": texts.choice(VERIFY_NOTES["confirmed" if confirmed else "not_confirmed"])
            if handled else "",
            "disposition": "no_action" if handled else "",
            "disposition_note": texts.choice(NO_ACTION_NOTES) if handled else "",
            "need_id": None, "referral_id": None, "application_id": None,
            "handled_on": when.get("handled"), "handled_by": None,
            "feedback": texts.choice(FEEDBACKS) if "fed_back" in when else "",
            "fed_back_on": when.get("fed_back"), "fed_back_by": None, "version": len(steps),
            "created_at": stamp(raised), "updated_at": stamp(steps[-1][2])})
        events += [{"warning_id": wid, "action": a, "status": s, "user_id": None,
                    "actor_name": "系统" if a == "raise" else "乡镇经办人",
                    "comment": "数据比对发现" if a == "raise" else "", "on_day": d, "at": stamp(d)}
                   for a, s, d in steps]
    return rows, events


# ---- the run -----------------------------------------------------------------------------------

def _homes(conn, scope: str) -> list[Home]:
    query = sa.select(Household.id, Household.area_code, Household.head_name, Household.head_id_number,
                      Household.phone, Household.address, Household.current_tags
                      ).order_by(Household.area_code, Household.id)  # village by village
    if scope == "synthetic":
        query = query.where(Household.note == SYNTHETIC_NOTE)
    elif scope != "all":
        raise ValueError("scope must be 'synthetic' or 'all'")
    return [Home(i, a, n or "", d or "", p or "", ad or "", frozenset((t or "").split()))
            for i, a, n, d, p, ad, t in conn.execute(query).all()]


def add_history(engine: Engine, *, today: date | None = None, seed: int = 20251128,
                applications: int | None = None, warnings: int | None = None, referrals: int | None = None,
                visits: int | None = None, meetings: bool = True, scope: str = "synthetic") -> dict:
    """Thirteen months of history before `today` (default: today in China) for the households
    of `scope`; volumes not given follow default_volumes. One transaction; same seed, same
    today and same registry give the same rows. Returns what was written and the seconds."""
    from ..services.households import today_in_china
    from .synthetic_casework import add_meetings, add_referrals, add_visits

    started = time.perf_counter()
    today = today or today_in_china()
    with engine.begin() as conn:
        homes = _homes(conn, scope)
        volumes = default_volumes(len(homes))
        wanted = {"applications": applications, "warnings": warnings, "referrals": referrals, "visits": visits}
        volumes.update({k: v for k, v in wanted.items() if v is not None})
        if not homes:
            volumes = dict.fromkeys(volumes, 0)
        run = Run(conn, today=today, seed=seed, homes=homes)
        # members the generator registered "now": on the register before the window (the
        # report counts people registered by the month's end); none when generate_county was
        # given registered_at=registered_before(today)
        members, registered = Member.__table__, registered_before(today)
        backdate = members.update().where(members.c.created_at > registered)
        if scope == "synthetic":
            backdate = backdate.where(members.c.household_id.in_(
                sa.select(Household.id).where(Household.note == SYNTHETIC_NOTE)))
        conn.execute(backdate.values(created_at=registered))
        apps, app_events = add_applications(run, volumes["applications"])
        _insert(conn, Application, apps)
        _insert(conn, ApplicationEvent, app_events)
        warning_rows, warning_events = add_warnings(run, volumes["warnings"])
        _insert(conn, RiskWarning, warning_rows)
        _insert(conn, RiskWarningEvent, warning_events)
        written = add_referrals(run, volumes["referrals"])
        written.update(add_meetings(run) if meetings and homes else {"meetings": 0, "agenda_items": 0,
                                                                     "action_items": 0})
        written["visits"] = add_visits(run, volumes["visits"])
        if conn.dialect.name == "postgresql":
            for table in ("application", "application_event", "risk_warning", "risk_warning_event", "need",
                          "referral", "referral_event", "meeting", "agenda_item", "action_item", "visit"):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return {"applications": len(apps), "application_events": len(app_events), "warnings": len(warning_rows),
            "warning_events": len(warning_events), **written, "from": run.start.isoformat(),
            "today": today.isoformat(), "seed": seed, "seconds": round(time.perf_counter() - started, 2)}


def _insert(conn, table, rows: list[dict]) -> None:
    if rows:
        conn.execute(sa.insert(table.__table__), rows)
