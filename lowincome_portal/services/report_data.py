"""The figures of a monthly report (docs/reporting.md), loaded from the database.

Each loader asks for the least the definitions need: the area's code range and the month's
dates go into the WHERE clause, only the needed columns come back, and the rows are read
through the raw cursor (db/frames.read_frame: plain tuples and one vectorised conversion
instead of a Row per record). The counting itself is domain/reporting.py, on these frames.

Everything is read from dated records, so a past month comes out the same when generated
again: a tag period from its start and end dates, a member from the day they were added to an
already registered household (members entered with the household count from the start) to the
day they left, an application's or warning's step at the month's end from
its event history (the last event on or before that day) and the step's deadline from the
policy parameter in force on the day the step was entered, and a referral's holder, claim and
deadlines at the month's end from its events likewise (a later return does not move them).

Timestamps (created_at) are stored in UTC; the day a record counts for is its day in China
(Asia/Shanghai), so a window's bounds are the UTC instants of China's midnights.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..db.tables import (
    ActionItem,
    AgendaItem,
    Application,
    ApplicationEvent,
    Area,
    Household,
    HouseholdTag,
    Meeting,
    Member,
    Organisation,
    PolicyParameter,
    Referral,
    ReferralEvent,
    RiskWarning,
    RiskWarningEvent,
    Visit,
    WarningRule,
)
from ..db.frames import read_frame
from ..db.timeutil import CHINA
from ..domain import areas as area_rules
from ..domain import intake
from ..domain import monitoring as warning_rules
from ..domain import meetings as meeting_rules
from ..domain import referrals as referral_rules
from ..domain import reporting as rules
from ..domain import working_days
from ..domain.parameters import CATALOGUE
from .resources import area_range

# The clock of each open warning status (services/warning_writer.verify_due, services/warnings).
WARNING_CLOCKS = {warning_rules.PENDING: "warning_verify_days", warning_rules.VERIFYING: "warning_handle_days",
                  warning_rules.HANDLED: "warning_feedback_days"}
# The referral events that change who holds it or its deadlines (services/referrals).
REFERRAL_STEPS = ("dispatch", "claim", "return", "start", "complete")
REFERRAL_CLOCKS = ("referral_claim_days", "referral_delivery_days", "referral_urgent_delivery_days")
# Events that mark a step's lateness without entering a new step.
WARNING_NON_STEPS = ("escalate",)
# The events that end a home investigation (the burden figure).
INVESTIGATION_DONE = ("complete_investigation", "complete_check")

ProgressFn = Callable[[int], None]


@lru_cache(maxsize=65536)
def working_days_between(start: date, end: date) -> int:
    """domain/working_days.working_days_between, remembered: a county's decided applications
    share few (received, decided) pairs, and the township table asks for them again."""
    return working_days.working_days_between(start, end)


@lru_cache(maxsize=65536)
def _add_working_days(start: date, days: int) -> date:
    return working_days.add_working_days(start, days)


# --- reading ------------------------------------------------------------------------------------

def _days(values: pd.Series) -> pd.Series:
    """Dates (SQLite gives ISO text, PostgreSQL date objects) as datetime64, NaT for none."""
    if values.empty:
        return pd.Series(pd.to_datetime(pd.Series([], dtype=object)), index=values.index)
    return pd.to_datetime(values.astype(object).where(values.notna(), None), format="ISO8601", errors="coerce")


def _china_days(values: pd.Series) -> pd.Series:
    """UTC timestamps (naive text on SQLite, aware on PostgreSQL) as their day in China."""
    if values.empty:
        return pd.Series(pd.to_datetime(pd.Series([], dtype=object)), index=values.index)
    stamps = pd.to_datetime(values.astype(object), utc=True, format="ISO8601", errors="coerce")
    return stamps.dt.tz_convert(CHINA).dt.tz_localize(None).dt.normalize()


def _as_dates(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for name in columns:
        frame[name] = _days(frame[name])
    return frame


def china_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins in China: created_at < china_midnight(d + 1) means
    "created on or before d" (China time)."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)


def _in_area(column, area_code: str):
    low, high = area_range(area_code)
    return sa.and_(column >= low, column <= high)


# --- policy clocks ------------------------------------------------------------------------------

class Clocks:
    """Policy day counts in force on a date, read once for the codes wanted (the catalogue's
    default where the county has none, as services/referrals.clock_days does)."""

    def __init__(self, session: Session, codes: Iterable[str]):
        wanted = sorted(set(codes))
        rows = session.exec(select(PolicyParameter.code, PolicyParameter.effective_from, PolicyParameter.value)
                            .where(col(PolicyParameter.code).in_(wanted))
                            .order_by(PolicyParameter.code, PolicyParameter.effective_from)).all() if wanted else []
        self._series: dict[str, list[tuple[date, Decimal]]] = {}
        for code, start, value in rows:
            self._series.setdefault(code, []).append((start, Decimal(value)))

    def days(self, code: str, on: date) -> int:
        value = None
        for start, v in self._series.get(code, ()):
            if start <= on:
                value = v
            else:
                break
        if value is None:
            value = CATALOGUE[code].default
        return int(value)


def _due(pairs: pd.DataFrame, due_of: Callable[[str, str, date], date | None]) -> pd.Series:
    """Each row's due date, computed once per distinct (kind, state, entered_on)."""
    if pairs.empty:
        return pd.Series([], dtype="datetime64[ns]", index=pairs.index)
    keys = list(zip(pairs["kind"], pairs["state"], pairs["entered_on"], strict=True))
    memo: dict[tuple, date | None] = {}
    for key in set(keys):
        kind, state, entered = key
        memo[key] = due_of(kind, state, entered.date() if hasattr(entered, "date") else entered) \
            if pd.notna(entered) else None
    return pd.to_datetime(pd.Series([memo[k] for k in keys], index=pairs.index, dtype=object))


def _intake_due(clocks: Clocks) -> Callable[[str, str, date], date | None]:
    def due(track_code: str, state: str, entered: date) -> date | None:
        step = intake.TRACKS.get(track_code)
        step = step.steps.get(state) if step else None
        if step is None or step.clock is None:
            return None
        days = clocks.days(step.clock, entered)
        if step.days == intake.WORKING:
            return _add_working_days(entered, days)
        return working_days.add_calendar_days(entered, days)
    return due


def _warning_due(clocks: Clocks) -> Callable[[str, str, date], date | None]:
    def due(_kind: str, status: str, entered: date) -> date | None:
        code = WARNING_CLOCKS.get(status)
        return _add_working_days(entered, clocks.days(code, entered)) if code else None
    return due


def _claim_due(clocks: Clocks, day: date) -> date:
    """services/referrals.claim_due: the pool's claim deadline set on `day`."""
    return _add_working_days(day, clocks.days("referral_claim_days", day))


def _delivery_due(clocks: Clocks, day: date, urgency: str, direct: bool) -> date:
    """services/referrals.delivery_due as dispatch, claim and return set it on `day`: from `day`
    itself (a claim, an assigned dispatch) or from the claim deadline set that day (a pooled
    dispatch, a return), on the clock in force on the day the clock starts."""
    start = day if direct else _claim_due(clocks, day)
    code = "referral_urgent_delivery_days" if urgency in referral_rules.URGENT else "referral_delivery_days"
    return _add_working_days(start, clocks.days(code, start))


# --- the frames ---------------------------------------------------------------------------------

@dataclass
class Frames:
    """Everything one area's month needs. Each frame carries `area_code` (the record's village)
    so the county's frames split by township without another query."""

    window: rules.MonthWindow
    tags: pd.DataFrame
    members: pd.DataFrame
    apps: pd.DataFrame
    app_steps: pd.DataFrame
    warnings: pd.DataFrame
    warning_steps: pd.DataFrame
    refs: pd.DataFrame
    meetings: pd.DataFrame
    decisions: pd.DataFrame
    actions: pd.DataFrame
    investigated: pd.DataFrame
    verified: pd.DataFrame
    visits: pd.DataFrame


def _tags(session: Session, area_code: str, w: rules.MonthWindow) -> pd.DataFrame:
    # every period touching the window: held on first - 1, starting or ending in it, held on last
    query = (select(HouseholdTag.household_id, HouseholdTag.tag, HouseholdTag.start_date, HouseholdTag.end_date,
                    Household.area_code)
             .join(Household, Household.id == HouseholdTag.household_id)
             .where(_in_area(Household.area_code, area_code), HouseholdTag.start_date <= w.last,
                    sa.or_(col(HouseholdTag.end_date).is_(None), HouseholdTag.end_date >= w.first)))
    frame = read_frame(session, query, ["household_id", "tag", "start_date", "end_date", "area_code"])
    return _as_dates(frame, ("start_date", "end_date"))


def _members(session: Session, area_code: str, w: rules.MonthWindow) -> pd.DataFrame:
    """The members of households holding a tag in the window, who joined by `last` and had not
    left before `first - 1` (the only days persons are counted on)."""
    holders = (select(HouseholdTag.household_id)
               .where(HouseholdTag.start_date <= w.last,
                      sa.or_(col(HouseholdTag.end_date).is_(None), HouseholdTag.end_date >= w.first)))
    return _member_frame(session, area_code, holders, left_after=w.first - timedelta(days=1), until=w.last)


def _member_frame(session: Session, area_code: str, holders, *, left_after: date, until: date) -> pd.DataFrame:
    """household_id, joined_on, left_on of the members of `holders` who had not left by
    `left_after` and had joined by `until`.

    A member entered with the household (the same China day) belonged to it before the portal
    knew it: joined_on is None, counted on every day. One added later (a birth, a marriage)
    joins on the day the record was made.
    """
    query = (select(Member.household_id, Member.created_at, Household.created_at, Member.left_on)
             .join(Household, Household.id == Member.household_id)
             .where(_in_area(Household.area_code, area_code), col(Member.household_id).in_(holders),
                    sa.or_(col(Member.left_on).is_(None), Member.left_on > left_after)))
    frame = read_frame(session, query, ["household_id", "created_at", "household_created_at", "left_on"])
    added, registered = _china_days(frame.pop("created_at")), _china_days(frame.pop("household_created_at"))
    frame["joined_on"] = added.where(added > registered)
    frame = _as_dates(frame, ("left_on",))
    joined = pd.to_datetime(frame["joined_on"])
    frame = frame[joined.isna() | (joined <= pd.Timestamp(until))]
    return frame[["household_id", "joined_on", "left_on"]]


def _applications(session: Session, area_code: str, w: rules.MonthWindow, clocks: Clocks
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Applications received by `last` and not decided before `first` (received, decided or
    open in the month), and the step each open one was in at `last` with its due date."""
    end = china_midnight(w.last + timedelta(days=1))
    query = (select(Application.id, Application.track, Application.created_at, Application.decided_on,
                    Application.decision, Application.area_code)
             .where(_in_area(Application.area_code, area_code),
                    sa.or_(Application.created_at < end, Application.decided_on <= w.last),
                    sa.or_(col(Application.decided_on).is_(None), Application.decided_on >= w.first)))
    apps = read_frame(session, query, ["id", "track", "created_at", "decided_on", "decision", "area_code"])
    apps["received_on"] = _china_days(apps.pop("created_at"))
    apps = _as_dates(apps, ("decided_on",))
    apps["decision"] = apps["decision"].fillna("").astype(str)
    # the last event on or before `last` of every application still undecided at `last`
    undecided = (select(Application.id)
                 .where(_in_area(Application.area_code, area_code), Application.created_at < end,
                        sa.or_(col(Application.decided_on).is_(None), Application.decided_on > w.last)))
    latest = (select(ApplicationEvent.application_id, sa.func.max(ApplicationEvent.id).label("event_id"))
              .where(col(ApplicationEvent.application_id).in_(undecided), ApplicationEvent.on_day <= w.last)
              .group_by(ApplicationEvent.application_id).subquery())
    steps = read_frame(session, select(ApplicationEvent.application_id, ApplicationEvent.to_state, ApplicationEvent.on_day)
                   .join(latest, latest.c.event_id == ApplicationEvent.id),
                   ["id", "state", "entered_on"])
    steps = _as_dates(steps, ("entered_on",))
    tracks = dict(zip(apps["id"], apps["track"], strict=True))
    steps["kind"] = steps["id"].map(tracks)
    steps["due_on"] = _due(steps, _intake_due(clocks))
    return apps, steps[["id", "state", "entered_on", "due_on"]]


def _warnings(session: Session, area_code: str, w: rules.MonthWindow, clocks: Clocks
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Warnings raised by `last` and not fed back before `first`, and each open one's step at
    `last` (its last event on or before that day, escalations aside) with the step's due date."""
    query = (select(RiskWarning.id, RiskWarning.rule_code, RiskWarning.raised_on, RiskWarning.handled_on,
                    RiskWarning.fed_back_on, RiskWarning.household_id, RiskWarning.area_code)
             .where(_in_area(RiskWarning.area_code, area_code), RiskWarning.raised_on <= w.last,
                    sa.or_(col(RiskWarning.fed_back_on).is_(None), RiskWarning.fed_back_on >= w.first)))
    warnings = read_frame(session, query, ["id", "rule_code", "raised_on", "handled_on", "fed_back_on", "household_id",
                                       "area_code"])
    warnings = _as_dates(warnings, ("raised_on", "handled_on", "fed_back_on"))
    still_open = (select(RiskWarning.id)
                  .where(_in_area(RiskWarning.area_code, area_code), RiskWarning.raised_on <= w.last,
                         sa.or_(col(RiskWarning.fed_back_on).is_(None), RiskWarning.fed_back_on > w.last)))
    latest = (select(RiskWarningEvent.warning_id, sa.func.max(RiskWarningEvent.id).label("event_id"))
              .where(col(RiskWarningEvent.warning_id).in_(still_open), RiskWarningEvent.on_day <= w.last,
                     col(RiskWarningEvent.action).not_in(WARNING_NON_STEPS))
              .group_by(RiskWarningEvent.warning_id).subquery())
    steps = read_frame(session, select(RiskWarningEvent.warning_id, RiskWarningEvent.status, RiskWarningEvent.on_day)
                   .join(latest, latest.c.event_id == RiskWarningEvent.id),
                   ["id", "state", "entered_on"])
    steps = _as_dates(steps, ("entered_on",))
    steps["kind"] = "warning"
    steps["due_on"] = _due(steps, _warning_due(clocks))
    steps = steps.rename(columns={"state": "status"})
    return warnings, steps[["id", "status", "entered_on", "due_on"]]


def _referrals(session: Session, area_code: str, w: rules.MonthWindow, clocks: Clocks) -> pd.DataFrame:
    """Referrals dispatched by `last` and not completed before `first`, each as it stood at
    `last`: its organisation, claim day and due dates rebuilt from its events on or before that
    day (a return, later, clears them on the row), and `claims`, the claim events in the month."""
    end = china_midnight(w.last + timedelta(days=1))
    selected = (_in_area(Referral.area_code, area_code),
                # a record stamped later than its dates (entered afterwards) still counts by its dates
                sa.or_(Referral.created_at < end, Referral.claimed_on <= w.last, Referral.completed_on <= w.last),
                sa.or_(col(Referral.completed_on).is_(None), Referral.completed_on >= w.first))
    query = (select(Referral.id, Referral.kind, Referral.organisation_id, Referral.urgency, Referral.created_at,
                    Referral.claimed_on, Referral.completed_on, Referral.claim_due_on, Referral.delivery_due_on,
                    Referral.amount, Referral.area_code)
             .where(*selected))
    refs = read_frame(session, query, ["id", "kind", "organisation_id", "urgency", "created_at", "claimed_on",
                                   "completed_on", "claim_due_on", "delivery_due_on", "amount", "area_code"])
    refs["dispatched_on"] = _china_days(refs.pop("created_at"))
    refs = _as_dates(refs, ("claimed_on", "completed_on", "claim_due_on", "delivery_due_on"))
    refs["amount"] = pd.to_numeric(refs["amount"].astype(object), errors="coerce").astype("float64")
    refs["organisation_id"] = refs["organisation_id"].astype("Int64")
    events = read_frame(session, select(ReferralEvent.referral_id, ReferralEvent.id, ReferralEvent.action,
                                    ReferralEvent.status, ReferralEvent.organisation_id, ReferralEvent.on_day)
                    .where(col(ReferralEvent.referral_id).in_(select(Referral.id).where(*selected)),
                           ReferralEvent.on_day <= w.last, col(ReferralEvent.action).in_(REFERRAL_STEPS)),
                    ["referral_id", "event_id", "action", "status", "organisation_id", "on_day"])
    refs = _referrals_at_end(refs, _as_dates(events, ("on_day",)), w, clocks)
    return refs[["id", "kind", "organisation_id", "dispatched_on", "claimed_on", "completed_on", "claim_due_on",
                 "delivery_due_on", "amount", "claims", "area_code"]]


def _referrals_at_end(refs: pd.DataFrame, events: pd.DataFrame, w: rules.MonthWindow, clocks: Clocks
                      ) -> pd.DataFrame:
    """The referrals' organisation, claimed_on, claim_due_on and delivery_due_on as they stood at
    `last`, from their events on or before it (services/referrals: a dispatch or a return sets
    the claim deadline of a pooled item, and the delivery deadline from it; a claim sets the
    organisation, the claim day and restarts the delivery clock; a return clears the holder),
    each deadline from the clocks in force on the day it was set, computed once per distinct
    (day, urgency, clock). A referral with no event by then keeps its stored values."""
    refs = refs.copy()
    first, last = pd.Timestamp(w.first), pd.Timestamp(w.last)
    events = events.sort_values(["referral_id", "event_id"], kind="stable")
    ev_claims = events["action"] == "claim"
    claims = events.loc[ev_claims & events["on_day"].between(first, last), "referral_id"].value_counts()
    refs["claims"] = refs["id"].map(claims).fillna(0).astype("int64")
    stored = ~refs["id"].isin(events["referral_id"])
    refs.loc[stored, "claims"] = refs.loc[stored, "claimed_on"].between(first, last).astype("int64")
    if events.empty:
        return refs

    def latest(mask) -> pd.DataFrame:
        return events[mask].drop_duplicates("referral_id", keep="last").set_index("referral_id")

    last_step = latest(events["action"].notna())
    pool_step = latest(events["action"].isin(("dispatch", "return")))
    claim_step = latest(ev_claims)
    clock_step = latest(events["action"].isin(("dispatch", "claim", "return")))
    ids = refs.loc[~stored, "id"]
    at = pd.Index(ids.to_numpy())
    urgency = pd.Series(refs.loc[~stored, "urgency"].fillna("normal").astype(str).to_numpy(), index=at)

    # the holder: the last step's organisation, none after a return (the event names who returned)
    step = last_step.reindex(at)
    holder = pd.to_numeric(step["organisation_id"], errors="coerce").where(step["action"] != "return")
    # claimed by then: a claim after the last time it went to the pool (or was dispatched)
    claim = claim_step.reindex(at)
    pool = pool_step.reindex(at)
    held_claim = claim["event_id"].notna() & (claim["event_id"] > pool["event_id"].fillna(-1))
    claimed_on = claim["on_day"].where(held_claim)
    # the claim deadline: set by a pooled dispatch or a return (an assigned dispatch has none)
    pooled = (pool["action"] == "return") | (pool["status"] == referral_rules.POOLED)
    set_on = pool["on_day"].where(pooled)
    claim_dues = {d: _claim_due(clocks, d.date()) for d in set_on.dropna().unique()}
    claim_due = pd.to_datetime(pd.Series([claim_dues.get(d) for d in set_on], index=at, dtype=object))
    # the delivery deadline: from a claim or an assigned dispatch itself, from the claim deadline
    # of a pooled dispatch or a return
    clock = clock_step.reindex(at)
    direct = (clock["action"] == "claim") | ((clock["action"] == "dispatch")
                                             & (clock["status"] != referral_rules.POOLED))
    keys = list(zip(clock["on_day"], urgency, direct, strict=True))
    memo: dict[tuple, date | None] = {}
    for key in set(keys):
        day, urgent, now = key
        memo[key] = None if pd.isna(day) else _delivery_due(clocks, day.date(), urgent, now)
    delivery_due = pd.to_datetime(pd.Series([memo[k] for k in keys], index=at, dtype=object))

    rows = refs.index[~stored]
    refs["organisation_id"] = refs["organisation_id"].astype("Int64")
    refs.loc[rows, "organisation_id"] = pd.array(holder.to_numpy(), dtype="Int64")
    refs.loc[rows, "claimed_on"] = claimed_on.to_numpy()
    refs.loc[rows, "claim_due_on"] = claim_due.to_numpy()
    refs.loc[rows, "delivery_due_on"] = delivery_due.to_numpy()
    return refs


def _meetings(session: Session, area_code: str, w: rules.MonthWindow
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    held = (select(Meeting.id)
            .where(_in_area(Meeting.area_code, area_code), Meeting.held_on >= w.first, Meeting.held_on <= w.last))
    meetings = read_frame(session, select(Meeting.id, Meeting.held_on, Meeting.area_code)
                      .where(_in_area(Meeting.area_code, area_code), Meeting.held_on >= w.first,
                             Meeting.held_on <= w.last),
                      ["id", "held_on", "area_code"])
    meetings = _as_dates(meetings, ("held_on",))
    decisions = read_frame(session, select(AgendaItem.meeting_id, Meeting.area_code)
                       .join(Meeting, Meeting.id == AgendaItem.meeting_id)
                       .where(col(AgendaItem.meeting_id).in_(held), AgendaItem.decision != "",
                              col(AgendaItem.dropped).is_(False)),
                       ["meeting_id", "area_code"])
    end = china_midnight(w.last + timedelta(days=1))
    # a cancelled action item (the decision changed) never had to be done: it counts nowhere;
    # a superseded one (a later meeting decided again) stops being open on its done_on
    actions = read_frame(session, select(ActionItem.id, ActionItem.created_at, ActionItem.deadline, ActionItem.done_on,
                                     ActionItem.status, ActionItem.area_code)
                     .where(_in_area(ActionItem.area_code, area_code),
                            ActionItem.status != meeting_rules.CANCELLED,
                            sa.or_(ActionItem.created_at < end, ActionItem.done_on <= w.last),
                            sa.or_(col(ActionItem.done_on).is_(None), ActionItem.done_on >= w.first)),
                     ["id", "created_at", "deadline", "done_on", "status", "area_code"])
    actions["created_on"] = _china_days(actions.pop("created_at"))
    actions = _as_dates(actions, ("deadline", "done_on"))
    return meetings, decisions, actions


def _burden(session: Session, area_code: str, w: rules.MonthWindow
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Applications whose home investigation was completed in the month (once each) and the
    households visited in it."""
    done = (select(ApplicationEvent.application_id)
            .where(ApplicationEvent.on_day >= w.first, ApplicationEvent.on_day <= w.last,
                   col(ApplicationEvent.action).in_(INVESTIGATION_DONE),
                   col(ApplicationEvent.from_state).in_(tuple(intake.INVESTIGATION_STATES.values()))))
    investigated = read_frame(session, select(Application.id, Application.household_id, Application.fields_prefilled,
                                          Application.fields_typed, Application.area_code)
                          .where(_in_area(Application.area_code, area_code), col(Application.id).in_(done)),
                          ["application_id", "household_id", "fields_prefilled", "fields_typed", "area_code"])
    visits = read_frame(session, select(Visit.household_id, Household.area_code)
                    .join(Household, Household.id == Visit.household_id)
                    .where(_in_area(Household.area_code, area_code), Visit.visited_on >= w.first,
                           Visit.visited_on <= w.last),
                    ["household_id", "area_code"])
    return investigated, visits


def load_frames(session: Session, *, area_code: str, period: date, progress: ProgressFn | None = None) -> Frames:
    """The frames of `area_code` for the month of `period` (progress: 0-60 percent)."""
    w = rules.month_window(period)
    tell = progress or (lambda _p: None)
    clocks = Clocks(session, [s.clock for t in intake.TRACKS.values() for s in t.steps.values() if s.clock]
                    + list(WARNING_CLOCKS.values()) + list(REFERRAL_CLOCKS))
    tags = _tags(session, area_code, w)
    members = _members(session, area_code, w)
    tell(20)
    apps, app_steps = _applications(session, area_code, w, clocks)
    tell(30)
    warnings, warning_steps = _warnings(session, area_code, w, clocks)
    tell(40)
    refs = _referrals(session, area_code, w, clocks)
    meetings, decisions, actions = _meetings(session, area_code, w)
    investigated, visits = _burden(session, area_code, w)
    first, last = pd.Timestamp(w.first), pd.Timestamp(w.last)
    verified = warnings.loc[warnings["handled_on"].between(first, last), ["household_id", "area_code"]]
    tell(60)
    return Frames(window=w, tags=tags, members=members, apps=apps, app_steps=app_steps, warnings=warnings,
                  warning_steps=warning_steps, refs=refs, meetings=meetings, decisions=decisions, actions=actions,
                  investigated=investigated, verified=verified.reset_index(drop=True), visits=visits)


# --- names --------------------------------------------------------------------------------------

def area_name(session: Session, area_code: str) -> str:
    return session.exec(select(Area.name).where(Area.code == area_code)).first() or area_code


def _rule_names(session: Session) -> dict[str, str]:
    return dict(session.exec(select(WarningRule.code, WarningRule.name)).all())


def _org_names(session: Session) -> dict[int, str]:
    return dict(session.exec(select(Organisation.id, Organisation.name)).all())


def period_text(period: date) -> str:
    return f"{period.year}年{period.month}月"


# --- the figures --------------------------------------------------------------------------------

def figures_of(frames: Frames, *, rule_names: dict, org_names: dict, burden: bool = True) -> dict:
    """The sections of the report from loaded frames (domain/reporting does the counting);
    without `burden` for the township table, which shows none of it."""
    w = frames.window
    figures = {
        "tags": rules.tag_figures(frames.tags[["household_id", "tag", "start_date", "end_date"]],
                                  frames.members, w),
        "applications": rules.application_figures(
            frames.apps[["id", "track", "received_on", "decided_on", "decision"]], frames.app_steps, w,
            working_days_between),
        "warnings": rules.warning_figures(
            frames.warnings[["id", "rule_code", "raised_on", "handled_on", "fed_back_on"]],
            frames.warning_steps[["id", "status", "due_on"]], rule_names, w),
        "referrals": rules.referral_figures(frames.refs.drop(columns=["area_code"]), org_names, w),
        "meetings": rules.meeting_figures(frames.meetings[["id", "held_on"]], frames.decisions[["meeting_id"]],
                                          frames.actions[["id", "created_on", "deadline", "done_on", "status"]], w),
    }
    if burden:
        figures["burden"] = rules.burden_figures(
            frames.investigated[["application_id", "household_id", "fields_prefilled", "fields_typed"]],
            frames.verified[["household_id"]], frames.visits[["household_id"]], w)
    return figures


def month_figures(session: Session, *, area_code: str, period: date, progress: ProgressFn | None = None,
                  frames: Frames | None = None) -> dict:
    """The report's figures for the area (county or township) and the month of `period`."""
    period = period.replace(day=1)
    frames = frames or load_frames(session, area_code=area_code, period=period, progress=progress)
    figures = figures_of(frames, rule_names=_rule_names(session), org_names=_org_names(session))
    if progress:
        progress(75)
    return {"period": period.isoformat(), "period_text": period_text(period), "area_code": area_code,
            "area_name": area_name(session, area_code), **figures}


# --- the township table ----------------------------------------------------------------------

def _by_township(frames: Frames) -> dict[str, Frames]:
    """The county's frames split by township: one grouping per frame (a record of the county's
    own, e.g. its joint meeting, belongs to no township)."""
    names = ("tags", "apps", "warnings", "refs", "meetings", "decisions", "actions", "investigated", "verified",
             "visits")

    def groups(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
        if frame.empty:
            return {}
        codes = frame["area_code"].astype(str)
        return dict(tuple(frame.groupby(codes.str[:9] + "000", sort=False)))

    split = {name: groups(getattr(frames, name)) for name in names}
    out = {}
    for code in set().union(*(g.keys() for g in split.values())):
        parts = {name: split[name].get(code, getattr(frames, name).iloc[0:0]) for name in names}
        ids = parts["tags"]["household_id"]
        out[code] = replace(
            frames, **parts,
            members=frames.members[frames.members["household_id"].isin(ids)],
            app_steps=frames.app_steps[frames.app_steps["id"].isin(parts["apps"]["id"])],
            warning_steps=frames.warning_steps[frames.warning_steps["id"].isin(parts["warnings"]["id"])])
    return out


def _townships(session: Session, county_code: str) -> list[tuple[str, str]]:
    low, high = area_range(county_code)
    return [tuple(r) for r in session.exec(
        select(Area.code, Area.name).where(Area.level == area_rules.TOWNSHIP, Area.code >= low, Area.code <= high)
        .order_by(Area.code)).all()]


def township_rows(session: Session, *, area_code: str, period: date, frames: Frames | None = None) -> list[dict]:
    """Per township of the county: the main figures and the overdue rate at the month's end,
    highest rate first (townships with nothing open last, by code). One load of the county's
    frames, split by township."""
    period = period.replace(day=1)
    frames = frames or load_frames(session, area_code=area_code, period=period)
    rule_names, org_names = _rule_names(session), _org_names(session)
    parts = _by_township(frames)
    empty = replace(frames, **{name: getattr(frames, name).iloc[0:0] for name in (
        "tags", "members", "apps", "app_steps", "warnings", "warning_steps", "refs", "meetings", "decisions",
        "actions", "investigated", "verified", "visits")})
    rows = []
    for code, name in _townships(session, area_code):
        report = figures_of(parts.get(code, empty), rule_names=rule_names, org_names=org_names, burden=False)
        overdue, open_ = rules.overdue_and_open(report)
        rows.append({"area_code": code, "area_name": name, **rules.main_figures(report),
                     "open": open_, "overdue": overdue, "overdue_rate": rules.overdue_rate(overdue, open_)})
    rows.sort(key=lambda r: (r["overdue_rate"] is None, -(r["overdue_rate"] or 0), r["area_code"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


# --- the trend ----------------------------------------------------------------------------------

def _month_starts(period: date, months: int) -> list[date]:
    starts = [period.replace(day=1)]
    while len(starts) < months:
        starts.append(rules.previous_month(starts[-1]))
    return starts[::-1]


def main_by_month(session: Session, *, area_code: str, months: list[date]) -> dict[date, dict]:
    """The main figures (MAIN_FIGURES) of each month in `months` (first days), for the area:
    one grouped read per record type over the whole span, counted per month in pandas."""
    months = sorted({m.replace(day=1) for m in months})
    if not months:
        return {}
    windows = {m: rules.month_window(m) for m in months}
    first, last = windows[months[0]].first, windows[months[-1]].last
    start_utc, end_utc = china_midnight(first), china_midnight(last + timedelta(days=1))
    out: dict[date, dict] = {m: {} for m in months}

    # 合计: households holding any tag on each month's last day, and their active members then
    tags = read_frame(session, select(HouseholdTag.household_id, HouseholdTag.start_date, HouseholdTag.end_date)
                  .join(Household, Household.id == HouseholdTag.household_id)
                  .where(_in_area(Household.area_code, area_code), HouseholdTag.start_date <= last,
                         sa.or_(col(HouseholdTag.end_date).is_(None), HouseholdTag.end_date > first)),
                  ["household_id", "start_date", "end_date"])
    tags = _as_dates(tags, ("start_date", "end_date"))
    holders = (select(HouseholdTag.household_id)
               .where(HouseholdTag.start_date <= last,
                      sa.or_(col(HouseholdTag.end_date).is_(None), HouseholdTag.end_date > first)))
    members = _member_frame(session, area_code, holders, left_after=first, until=last)
    for m in months:
        day = pd.Timestamp(windows[m].last)
        held = tags[(tags["start_date"] <= day) & (tags["end_date"].isna() | (tags["end_date"] > day))]
        households = held["household_id"].unique()
        joined = pd.to_datetime(members["joined_on"])
        active = members[members["household_id"].isin(households) & (joined.isna() | (joined <= day))
                         & (members["left_on"].isna() | (members["left_on"] > day))]
        out[m]["households_end"] = len(households)
        out[m]["persons_end"] = len(active)

    def month_of(days: pd.Series) -> pd.Series:
        return days.dt.to_period("M")

    def count(days: pd.Series, key: str, weights: pd.Series | None = None) -> None:
        days = days.dropna()
        if weights is None:
            totals = month_of(days).value_counts()
        else:
            totals = weights.loc[days.index].groupby(month_of(days)).sum()
        for m in months:
            value = totals.get(pd.Period(m, "M"), 0)
            out[m][key] = round(float(value), 2) if weights is not None else int(value)

    apps = read_frame(session, select(Application.created_at, Application.decided_on)
                  .where(_in_area(Application.area_code, area_code),
                         sa.or_(sa.and_(Application.created_at >= start_utc, Application.created_at < end_utc),
                                sa.and_(Application.decided_on >= first, Application.decided_on <= last))),
                  ["created_at", "decided_on"])
    received = _china_days(apps["created_at"])
    count(received[(received >= pd.Timestamp(first)) & (received <= pd.Timestamp(last))], "applications_received")
    count(_days(apps["decided_on"]), "applications_decided")
    warnings = read_frame(session, select(RiskWarning.raised_on, RiskWarning.handled_on)
                      .where(_in_area(RiskWarning.area_code, area_code),
                             sa.or_(sa.and_(RiskWarning.raised_on >= first, RiskWarning.raised_on <= last),
                                    sa.and_(RiskWarning.handled_on >= first, RiskWarning.handled_on <= last))),
                      ["raised_on", "handled_on"])
    raised, handled = _days(warnings["raised_on"]), _days(warnings["handled_on"])
    count(raised[(raised >= pd.Timestamp(first)) & (raised <= pd.Timestamp(last))], "warnings_raised")
    count(handled[(handled >= pd.Timestamp(first)) & (handled <= pd.Timestamp(last))], "warnings_handled")
    refs = read_frame(session, select(Referral.completed_on, Referral.amount)
                  .where(_in_area(Referral.area_code, area_code), Referral.completed_on >= first,
                         Referral.completed_on <= last),
                  ["completed_on", "amount"])
    completed = _days(refs["completed_on"])
    count(completed, "referrals_completed")
    amounts = pd.to_numeric(refs["amount"].astype(object), errors="coerce").fillna(0.0).astype("float64")
    count(completed, "referral_amount", amounts)
    held = read_frame(session, select(Meeting.held_on)
                  .where(_in_area(Meeting.area_code, area_code), Meeting.held_on >= first, Meeting.held_on <= last),
                  ["held_on"])
    count(_days(held["held_on"]), "meetings_held")
    return out

