"""月度报告: the figures of one month for one area, as plain pandas (no database, no Reflex).

docs/reporting.md ("Definitions") says what each figure counts; the functions here follow it to
the letter, so a past month comes out the same whenever it is generated again. The services
(services/report_data.py) load the dated rows of the area and call these.

A county has up to 500,000 households (about 600,000 tag periods and 1.5 million members), so
every figure is a vectorised comparison of whole date columns with the month's window; nothing
loops over rows in Python except the (few) applications decided in the month, whose working days
come from the PRC calendar.

Dates in the frames may be `date` objects (object columns, None for missing) or datetime64
columns (NaT); `_dates` brings both to one form. A missing date never satisfies a comparison:
"end_date is null" is tested explicitly where the definition says so.

Every count returned is a Python int and every amount a float, so the figures go into the
archive's JSON as they are.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import intake, referrals, registry
from . import working_days as calendar_days

TOTAL = "total"
TOTAL_LABEL = "合计"
UNCLAIMED_LABEL = "待认领"  # pooled referrals nobody has claimed have no organisation yet

# The figures leaders follow month to month (cards, trend lines, the township table), in the
# order they are shown.
MAIN_FIGURES: dict[str, str] = {
    "households_end": "在册困难家庭（户）",
    "persons_end": "在册困难人口（人）",
    "applications_received": "受理申请",
    "applications_decided": "审批办结",
    "warnings_raised": "新增预警",
    "warnings_handled": "预警处置",
    "referrals_completed": "转介办结",
    "referral_amount": "帮扶金额（元）",
    "meetings_held": "召开联席会议",
}


# --- the month ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthWindow:
    first: date
    last: date

    @property
    def before(self) -> date:
        """The day before the month: the opening balance is what was held then."""
        return self.first - timedelta(days=1)


def month_window(period: date) -> MonthWindow:
    """The month containing `period` (any day of it)."""
    first = period.replace(day=1)
    following = date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
    return MonthWindow(first, following - timedelta(days=1))


def previous_month(period: date) -> date:
    """The first day of the month before the month of `period`."""
    first = period.replace(day=1)
    return date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)


def same_month_last_year(period: date) -> date:
    """The first day of the same month a year earlier."""
    return date(period.year - 1, period.month, 1)


# --- helpers --------------------------------------------------------------------------------------


def _frame(frame: pd.DataFrame | None, columns: Iterable[str]) -> pd.DataFrame:
    """The frame, or an empty one with the expected columns when the caller had no rows (None or
    a bare `pd.DataFrame()`), so an area without meetings reports zeros instead of failing."""
    columns = list(columns)
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame) == 0:
        frame = frame.copy()
        for c in missing:
            frame[c] = pd.Series(dtype=object)
    # Callers pass filtered or concatenated frames: a fresh index keeps the row masks aligned.
    return frame.reset_index(drop=True)


def _dates(series: pd.Series) -> pd.Series:
    """Any column of dates (date objects / None, datetimes, datetime64 / NaT) as datetime64 at
    midnight. Timezone-aware timestamps are read as China dates."""
    values = series
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return values.dt.normalize()


def _day(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def _in(values: pd.Series, window: MonthWindow) -> pd.Series:
    return (values >= _day(window.first)) & (values <= _day(window.last))


def _by(values: pd.Series, day: date) -> pd.Series:
    """Happened on or before `day` (a missing date: not happened)."""
    return values <= _day(day)


def _held(start: pd.Series, end: pd.Series, day: date) -> pd.Series:
    """Held on `day`: start <= day and (end is null or end > day); end is the first day no longer held."""
    return (start <= _day(day)) & (end.isna() | (end > _day(day)))


def _count(mask: pd.Series) -> int:
    return int(mask.sum())


def _money(values: pd.Series) -> float:
    return round(float(values.sum()), 2)


def _amounts(series: pd.Series) -> pd.Series:
    """Amounts (Decimal, float, None) as floats, missing ones as 0: None amounts add nothing."""
    return pd.to_numeric(series, errors="coerce").fillna(0.0).astype(float)


def _due_at_end(ids: pd.Series, steps: pd.DataFrame) -> pd.Series:
    """The due date of each id's step at month end, aligned with `ids` (NaT: no step row or no
    time limit; the last row wins should an id come twice)."""
    steps = steps.drop_duplicates("id", keep="last")
    due = pd.Series(_dates(steps["due_on"]).to_numpy(), index=steps["id"].to_numpy())
    return pd.Series(due.reindex(ids.to_numpy()).to_numpy(), index=ids.index)


# The states where a case is finished without a decision date (withdrawn, not accepted, ...):
# a case standing in one of them at month end is not open, whatever its decided_on says.
FINAL_STATES = frozenset(code for t in intake.TRACKS.values() for code, step in t.steps.items() if step.final)


def _final_at_end(ids: pd.Series, steps: pd.DataFrame) -> pd.Series:
    """Whether each id's step at month end is a finished state (False: no step row)."""
    steps = steps.drop_duplicates("id", keep="last")
    final = pd.Series(steps["state"].isin(FINAL_STATES).to_numpy(), index=steps["id"].to_numpy())
    return pd.Series(final.reindex(ids.to_numpy()).fillna(False).astype(bool).to_numpy(), index=ids.index)


def _codes(labels: Mapping, present: pd.Series) -> list:
    """The known codes in their catalogue order, then any other code found in the data."""
    known = list(labels)
    seen = set(known)
    extra = sorted({c for c in present.dropna().unique() if c not in seen}, key=str)
    return known + extra


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return None if values.empty else float(np.median(values.to_numpy(dtype=float)))


# --- tags (在册) -----------------------------------------------------------------------------------

TAG_COLUMNS = ("household_id", "tag", "start_date", "end_date")
MEMBER_COLUMNS = ("household_id", "joined_on", "left_on")
_FIGURES = ("households_start", "households_new", "households_exited", "households_end",
            "persons_start", "persons_new", "persons_exited", "persons_end")
_NO_END = np.iinfo(np.int64).max  # an open period, as a day number
_EPOCH = date(1970, 1, 1)  # day numbers count from here, as numpy's datetime64[D] does


def _members_on(members: pd.DataFrame, day: date) -> pd.Series:
    """Active members per household on `day`: joined by then and not left by then (a member
    without a joining date counts as always there)."""
    joined, left = members["_joined"], members["_left"]
    active = (joined.isna() | (joined <= _day(day))) & (left.isna() | (left > _day(day)))
    return members.loc[active, "household_id"].value_counts()


def _day_numbers(values: pd.Series, missing: int) -> np.ndarray:
    days = values.to_numpy().astype("datetime64[D]")
    numbers = days.astype(np.int64)
    numbers[np.isnat(days)] = missing
    return numbers


def _spells(households: pd.Series, start: pd.Series, end: pd.Series) -> pd.DataFrame:
    """Each household's time holding any tag: its tag periods merged where they overlap or touch
    (a 低保 period ending on the day a 特困 period starts is one continuous spell), as day numbers."""
    frame = pd.DataFrame({
        "h": households.to_numpy(),
        "s": _day_numbers(start, 0),
        "e": _day_numbers(end, _NO_END),
    })
    frame["e"] = np.maximum(frame["e"], frame["s"])
    frame = frame.sort_values(["h", "s"], kind="stable").reset_index(drop=True)
    reach = frame.groupby("h", sort=False)["e"].cummax()
    same = frame["h"].eq(frame["h"].shift())
    earlier = reach.shift().where(same)
    begins = earlier.isna() | (frame["s"] > earlier)
    frame["spell"] = begins.cumsum()
    return frame.groupby("spell", sort=False).agg(h=("h", "first"), s=("s", "min"), e=("e", "max"))


def tag_figures(tags: pd.DataFrame, members: pd.DataFrame, window: MonthWindow) -> list[dict]:
    """One row per tag of domain/registry.TAG_LABELS, then 合计 (tag "total").

    Per tag the counts are of tag periods (a household has one period of a tag at a time), so
    households_start + households_new - households_exited = households_end. 合计 counts distinct
    households holding any tag: a household moving from one tag straight to another stays on the
    register (no exit, no entry). Persons are the active members of the households counted:
    on the day before the month for start and exited, on the last day for new and end.
    """
    tags = _frame(tags, TAG_COLUMNS)
    members = _frame(members, MEMBER_COLUMNS)
    start = _dates(tags["start_date"])
    valid = start.notna()  # a period without a start date cannot be placed in time
    tags, start = tags[valid], start[valid]
    end = _dates(tags["end_date"])
    households = tags["household_id"]

    members = pd.DataFrame({
        "household_id": members["household_id"].to_numpy(),
        "_joined": _dates(members["joined_on"]).to_numpy(),
        "_left": _dates(members["left_on"]).to_numpy(),
    })
    persons_before = _members_on(members, window.before)
    persons_last = _members_on(members, window.last)

    held_before = _held(start, end, window.before)
    held_last = _held(start, end, window.last)
    new = _in(start, window)
    exited = _in(end, window)
    before_count = households.map(persons_before).fillna(0).astype(np.int64)
    last_count = households.map(persons_last).fillna(0).astype(np.int64)

    per_period = pd.DataFrame({
        "tag": tags["tag"].to_numpy(),
        "households_start": held_before.to_numpy(np.int64),
        "households_new": new.to_numpy(np.int64),
        "households_exited": exited.to_numpy(np.int64),
        "households_end": held_last.to_numpy(np.int64),
        "persons_start": (before_count * held_before).to_numpy(np.int64),
        "persons_new": (last_count * new).to_numpy(np.int64),
        "persons_exited": (before_count * exited).to_numpy(np.int64),
        "persons_end": (last_count * held_last).to_numpy(np.int64),
    })
    sums = per_period.groupby("tag")[list(_FIGURES)].sum()

    rows = []
    for code, label in registry.TAG_LABELS.items():
        values = sums.loc[code] if code in sums.index else None
        rows.append({"tag": code, "label": label,
                     **{f: int(values[f]) if values is not None else 0 for f in _FIGURES}})

    spells = _spells(households, start, end)
    first = (window.first - _EPOCH).days
    last = (window.last - _EPOCH).days
    before = first - 1
    s, e = spells["s"], spells["e"]
    spell_before = (s <= before) & (e > before)
    spell_last = (s <= last) & (e > last)
    spell_new = (s >= first) & (s <= last)
    spell_exited = (e >= first) & (e <= last)
    before_count = spells["h"].map(persons_before).fillna(0).astype(np.int64)
    last_count = spells["h"].map(persons_last).fillna(0).astype(np.int64)
    rows.append({
        "tag": TOTAL, "label": TOTAL_LABEL,
        "households_start": _count(spell_before),
        "households_new": _count(spell_new),
        "households_exited": _count(spell_exited),
        "households_end": _count(spell_last),
        "persons_start": int((before_count * spell_before).sum()),
        "persons_new": int((last_count * spell_new).sum()),
        "persons_exited": int((before_count * spell_exited).sum()),
        "persons_end": int((last_count * spell_last).sum()),
    })
    return rows


# --- applications (申请审批) -------------------------------------------------------------------------

APPLICATION_COLUMNS = ("id", "track", "received_on", "decided_on", "decision")
APPLICATION_STEP_COLUMNS = ("id", "state", "entered_on", "due_on")


def application_figures(apps: pd.DataFrame, steps_at_end: pd.DataFrame, window: MonthWindow,
                        working_days_between: Callable[[date, date], int] = calendar_days.working_days_between,
                        ) -> dict:
    """received / decided (approved, refused) in the month; open and overdue at its last day;
    the median PRC working days from receipt to decision over those decided in the month;
    the same by track.

    `steps_at_end`: for applications open at month end, the step they were in on the last day
    and its due date (the service works the due date out from the policy parameters in force);
    an application is overdue when that due date is before the last day.
    """
    apps = _frame(apps, APPLICATION_COLUMNS)
    steps_at_end = _frame(steps_at_end, APPLICATION_STEP_COLUMNS)
    received = _dates(apps["received_on"])
    decided = _dates(apps["decided_on"])
    decision = apps["decision"].fillna("").astype(str)

    is_received = _in(received, window)
    is_decided = _in(decided, window)
    is_open = (_by(received, window.last) & ~_by(decided, window.last)
               & ~_final_at_end(apps["id"], steps_at_end))
    due = _due_at_end(apps["id"], steps_at_end)
    is_overdue = is_open & (due < _day(window.last))

    # Working days only for the decided-in-month applications, once per distinct pair of dates.
    days = pd.Series(np.nan, index=apps.index)
    pairs = pd.DataFrame({"r": received, "d": decided})[is_decided & received.notna()]
    if not pairs.empty:
        distinct = pairs.drop_duplicates()
        counted = {(r, d): working_days_between(r.date(), d.date())
                   for r, d in distinct.itertuples(index=False)}
        days.loc[pairs.index] = [counted[(r, d)] for r, d in pairs.itertuples(index=False)]

    flags = pd.DataFrame({
        "track": apps["track"].to_numpy(),
        "received": is_received.to_numpy(),
        "decided": is_decided.to_numpy(),
        "approved": (is_decided & (decision == "approved")).to_numpy(),
        "refused": (is_decided & (decision == "refused")).to_numpy(),
        "open": is_open.to_numpy(),
        "overdue": is_overdue.to_numpy(),
        "days": days.to_numpy(),
    })

    def figures(part: pd.DataFrame) -> dict:
        counts = {k: _count(part[k]) for k in ("received", "decided", "approved", "refused", "open", "overdue")}
        return {**counts, "median_working_days": _median(part.loc[part["decided"], "days"])}

    by_track = []
    for code in _codes(intake.TRACK_LABELS, flags["track"]):
        by_track.append({"track": code, "label": intake.TRACK_LABELS.get(code, str(code)),
                         **figures(flags[flags["track"] == code])})
    return {**figures(flags), "by_track": by_track}


# --- warnings (监测预警) ------------------------------------------------------------------------------

WARNING_COLUMNS = ("id", "rule_code", "raised_on", "handled_on", "fed_back_on")
WARNING_STEP_COLUMNS = ("id", "status", "due_on")


def warning_figures(warnings: pd.DataFrame, steps_at_end: pd.DataFrame, rule_names: Mapping[str, str],
                    window: MonthWindow) -> dict:
    """raised / handled / fed back in the month; open (raised, not fed back) and overdue (its step
    at month end due before the last day) at the last day; the same by rule, every rule of
    `rule_names` in its order, then any other rule found."""
    warnings = _frame(warnings, WARNING_COLUMNS)
    steps_at_end = _frame(steps_at_end, WARNING_STEP_COLUMNS)
    raised = _dates(warnings["raised_on"])
    fed_back = _dates(warnings["fed_back_on"])
    is_open = _by(raised, window.last) & ~_by(fed_back, window.last)
    due = _due_at_end(warnings["id"], steps_at_end)

    flags = pd.DataFrame({
        "rule": warnings["rule_code"].to_numpy(),
        "raised": _in(raised, window).to_numpy(),
        "handled": _in(_dates(warnings["handled_on"]), window).to_numpy(),
        "fed_back": _in(fed_back, window).to_numpy(),
        "open": is_open.to_numpy(),
        "overdue": (is_open & (due < _day(window.last))).to_numpy(),
    })
    keys = ("raised", "handled", "fed_back", "open", "overdue")
    sums = flags.groupby("rule")[list(keys)].sum()
    by_rule = []
    for code in _codes(rule_names, flags["rule"]):
        values = sums.loc[code] if code in sums.index else None
        by_rule.append({"rule": code, "label": rule_names.get(code, str(code)),
                        **{k: int(values[k]) if values is not None else 0 for k in keys}})
    return {**{k: _count(flags[k]) for k in keys}, "by_rule": by_rule}


# --- referrals (转介帮扶) -----------------------------------------------------------------------------

REFERRAL_COLUMNS = ("id", "kind", "organisation_id", "dispatched_on", "claimed_on", "completed_on",
                    "claim_due_on", "delivery_due_on", "amount")
# Optional: the number of claims made in the month (claim events). Without it, a referral counts
# as claimed in the month when its claimed_on is in it.
REFERRAL_CLAIMS = "claims"
_REFERRAL_KEYS = ("dispatched", "claimed", "completed", "open", "overdue")


def referral_figures(refs: pd.DataFrame, org_names: Mapping[int, str], window: MonthWindow) -> dict:
    """dispatched / claimed / completed in the month and the amount of those completed (None
    amounts add nothing); open at the last day (dispatched, not completed by then) and overdue:
    past delivery_due_on, or pooled (it has a claim_due_on), unclaimed by then and past
    claim_due_on. By assistance kind (every kind of domain/referrals, in order) and by partner
    organisation (those with any figure, in `org_names` order; unclaimed pool items as 待认领).

    organisation_id, claimed_on and the due dates are the referral's as they stood at month end
    (a referral returned later went back to the pool: the service rebuilds them from its events);
    the optional column `claims` counts the claims made in the month (a referral claimed,
    returned and claimed again counts twice), all put to the month-end organisation."""
    refs = _frame(refs, REFERRAL_COLUMNS)
    last = _day(window.last)
    dispatched = _dates(refs["dispatched_on"])
    claimed = _dates(refs["claimed_on"])
    completed = _dates(refs["completed_on"])
    claim_due = _dates(refs["claim_due_on"])
    delivery_due = _dates(refs["delivery_due_on"])

    is_completed = _in(completed, window)
    is_open = _by(dispatched, window.last) & ~_by(completed, window.last)
    unclaimed_late = claim_due.notna() & ~_by(claimed, window.last) & (claim_due < last)
    is_overdue = is_open & ((delivery_due < last) | unclaimed_late)

    flags = pd.DataFrame({
        "kind": refs["kind"].to_numpy(),
        # -1: no organisation yet (a pooled item nobody has claimed)
        "organisation_id": pd.to_numeric(refs["organisation_id"], errors="coerce").fillna(-1)
                             .astype(np.int64).to_numpy(),
        "dispatched": _in(dispatched, window).to_numpy(),
        "claimed": (pd.to_numeric(refs[REFERRAL_CLAIMS], errors="coerce").fillna(0).astype(np.int64)
                    if REFERRAL_CLAIMS in refs.columns else _in(claimed, window).astype(np.int64)).to_numpy(),
        "completed": is_completed.to_numpy(),
        "open": is_open.to_numpy(),
        "overdue": is_overdue.to_numpy(),
        "amount": (_amounts(refs["amount"]) * is_completed).to_numpy(),
    })

    def figures(values) -> dict:
        if values is None:
            return {**{k: 0 for k in _REFERRAL_KEYS}, "amount": 0.0}
        return {**{k: int(values[k]) for k in _REFERRAL_KEYS}, "amount": round(float(values["amount"]), 2)}

    columns = [*_REFERRAL_KEYS, "amount"]
    by_kind_sums = flags.groupby("kind")[columns].sum()
    by_kind = [{"kind": code, "label": referrals.ASSISTANCE_KINDS.get(code, str(code)),
                **figures(by_kind_sums.loc[code] if code in by_kind_sums.index else None)}
               for code in _codes(referrals.ASSISTANCE_KINDS, flags["kind"])]

    by_partner_sums = flags.groupby("organisation_id")[columns].sum()
    active = by_partner_sums[(by_partner_sums[list(_REFERRAL_KEYS)].sum(axis=1) > 0)
                             | (by_partner_sums["amount"] != 0)]
    order = [o for o in org_names if o in active.index]
    order += sorted((o for o in active.index if o not in org_names and o != -1), key=str)
    if -1 in active.index:
        order.append(-1)
    by_partner = [{"organisation_id": None if o == -1 else _plain(o),
                   "label": UNCLAIMED_LABEL if o == -1 else org_names.get(o, str(o)),
                   **figures(active.loc[o])} for o in order]

    return {**{k: _count(flags[k]) for k in _REFERRAL_KEYS}, "amount": _money(flags["amount"]),
            "by_kind": by_kind, "by_partner": by_partner}


def _plain(value):
    """numpy scalars as Python values (the figures go into JSON)."""
    return value.item() if isinstance(value, np.generic) else value


# --- meetings (联席会议) ------------------------------------------------------------------------------

MEETING_COLUMNS = ("id", "held_on")
DECISION_COLUMNS = ("meeting_id",)
ACTION_COLUMNS = ("id", "created_on", "deadline", "done_on", "status")
# domain/meetings action statuses: done (marked done), superseded (a later meeting decided
# again; done_on is that day), cancelled (the decision changed before approval; no done_on).
ACTION_DONE, ACTION_CANCELLED = "done", "cancelled"


def meeting_figures(meetings: pd.DataFrame, decisions: pd.DataFrame, actions: pd.DataFrame,
                    window: MonthWindow) -> dict:
    """held (held_on in the month), decisions (agenda items with a decision, one row each, in the
    meetings held in the month), actions_done (status done, done_on in the month), actions_open
    (created by the last day, not done - or superseded - by then) and actions_overdue (open,
    deadline before the last day). Cancelled action items count nowhere; a frame without
    `status` is read as every item done on its done_on."""
    meetings = _frame(meetings, MEETING_COLUMNS)
    decisions = _frame(decisions, DECISION_COLUMNS)
    actions = _frame(actions, ACTION_COLUMNS[:-1])
    status = (actions["status"].fillna("").astype(str) if "status" in actions.columns
              else pd.Series(ACTION_DONE, index=actions.index))
    actions, status = actions[status != ACTION_CANCELLED], status[status != ACTION_CANCELLED]
    held = _in(_dates(meetings["held_on"]), window)
    held_ids = set(meetings.loc[held, "id"])
    done = _dates(actions["done_on"])
    is_open = _by(_dates(actions["created_on"]), window.last) & ~_by(done, window.last)
    late = _dates(actions["deadline"]) < _day(window.last)
    return {
        "held": _count(held),
        "decisions": _count(decisions["meeting_id"].isin(held_ids)),
        "actions_done": _count(_in(done, window) & (status == ACTION_DONE)),
        "actions_open": _count(is_open),
        "actions_overdue": _count(is_open & late),
    }


# --- burden (减轻基层负担) ----------------------------------------------------------------------------

INVESTIGATED_COLUMNS = ("application_id", "household_id", "fields_prefilled", "fields_typed")


def burden_figures(investigated: pd.DataFrame, verified: pd.DataFrame, visits: pd.DataFrame,
                   window: MonthWindow) -> dict:
    """The frames are already the month's (the service selects them by date): applications whose
    home investigation was completed in the month, warnings verified (handled) in the month and
    visits in the month, one row each.

    visits_avoided: per household, the door-step tasks (investigations + verifications) minus its
    visits, where positive, summed - one visit serving several departments' tasks."""
    investigated = _frame(investigated, INVESTIGATED_COLUMNS)
    verified = _frame(verified, ("household_id",))
    visits = _frame(visits, ("household_id",))
    prefilled = int(pd.to_numeric(investigated["fields_prefilled"], errors="coerce").fillna(0).sum())
    typed = int(pd.to_numeric(investigated["fields_typed"], errors="coerce").fillna(0).sum())
    tasks = pd.concat([investigated["household_id"], verified["household_id"]], ignore_index=True).dropna()
    per_household = tasks.value_counts().sub(visits["household_id"].dropna().value_counts(), fill_value=0)
    return {
        "investigated": len(investigated),
        "fields_prefilled": prefilled,
        "fields_typed": typed,
        "prefilled_share": round(prefilled / (prefilled + typed), 3) if prefilled + typed else None,
        "verified": len(verified),
        "tasks": len(tasks),
        "visits": len(visits),
        "visits_avoided": int(per_household.clip(lower=0).sum()),
    }


# --- main figures, change, overdue rate ---------------------------------------------------------


def main_figures(report: Mapping) -> dict[str, float]:
    """The MAIN_FIGURES of a month's figures (the dict of services/report_data.month_figures)."""
    total = next((row for row in report.get("tags") or [] if row.get("tag") == TOTAL), {})
    apps = report.get("applications") or {}
    warnings = report.get("warnings") or {}
    refs = report.get("referrals") or {}
    meetings = report.get("meetings") or {}
    return {
        "households_end": total.get("households_end", 0),
        "persons_end": total.get("persons_end", 0),
        "applications_received": apps.get("received", 0),
        "applications_decided": apps.get("decided", 0),
        "warnings_raised": warnings.get("raised", 0),
        "warnings_handled": warnings.get("handled", 0),
        "referrals_completed": refs.get("completed", 0),
        "referral_amount": refs.get("amount", 0.0),
        "meetings_held": meetings.get("held", 0),
    }


def _change_pct(value, earlier) -> float | None:
    if value is None or earlier is None or earlier == 0:
        return None
    return round((value - earlier) / earlier * 100, 1)


def changes(current: Mapping[str, float], previous: Mapping[str, float] | None,
            last_year: Mapping[str, float] | None) -> list[dict]:
    """Each main figure with month-over-month (M−1) and year-over-year (M−12) change in percent,
    rounded to 1 decimal; None where the earlier value is 0 or missing."""
    previous = previous or {}
    last_year = last_year or {}
    rows = []
    for key, label in MAIN_FIGURES.items():
        value = current.get(key)
        before, year_before = previous.get(key), last_year.get(key)
        rows.append({"key": key, "label": label, "value": value,
                     "previous": before, "mom_pct": _change_pct(value, before),
                     "last_year": year_before, "yoy_pct": _change_pct(value, year_before)})
    return rows


def overdue_rate(overdue: int, open_: int) -> float | None:
    """Overdue items as a share (0..1, 4 decimals) of the open ones; None when nothing is open."""
    if not open_:
        return None
    return round(overdue / open_, 4)


def overdue_and_open(report: Mapping) -> tuple[int, int]:
    """(overdue, open) at month end over applications, warnings, referrals and action items of a
    month's figures: the two terms of the township table's overdue rate."""
    sections = (report.get("applications") or {}, report.get("warnings") or {}, report.get("referrals") or {})
    meetings = report.get("meetings") or {}
    overdue = sum(s.get("overdue", 0) for s in sections) + meetings.get("actions_overdue", 0)
    open_ = sum(s.get("open", 0) for s in sections) + meetings.get("actions_open", 0)
    return overdue, open_
