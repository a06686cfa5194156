"""The monthly report's figures (domain/reporting.py) on small hand-made frames.

Every answer is worked out by hand in the comments, from the definitions of docs/reporting.md.
The month is March 2026: first = 2026-03-01, last = 2026-03-31, the day before = 2026-02-28.
"""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from lowincome_portal.domain import reporting as rep
from lowincome_portal.domain.referrals import ASSISTANCE_KINDS
from lowincome_portal.domain.registry import TAG_LABELS

MARCH = rep.month_window(date(2026, 3, 1))
D = date


def calendar_days(start: date, end: date) -> int:
    """A simple clock for the tests: calendar days from start to end."""
    return (end - start).days


def row_of(rows, key, code):
    return next(r for r in rows if r[key] == code)


# --- the month ------------------------------------------------------------------------------------


def test_month_window_and_neighbours():
    assert MARCH == rep.MonthWindow(D(2026, 3, 1), D(2026, 3, 31))
    assert MARCH.before == D(2026, 2, 28)
    assert rep.month_window(D(2024, 2, 17)) == rep.MonthWindow(D(2024, 2, 1), D(2024, 2, 29))  # leap year
    assert rep.month_window(D(2025, 12, 31)) == rep.MonthWindow(D(2025, 12, 1), D(2025, 12, 31))
    assert rep.previous_month(D(2026, 1, 20)) == D(2025, 12, 1)
    assert rep.previous_month(D(2026, 3, 1)) == D(2026, 2, 1)
    assert rep.same_month_last_year(D(2026, 3, 15)) == D(2025, 3, 1)
    assert rep.same_month_last_year(D(2024, 2, 29)) == D(2023, 2, 1)


# --- tags -----------------------------------------------------------------------------------------

# H1 dibao from 03-01 (the 1st): new, held at end, not in the opening balance.
# H2 dibao 2025-01-01 .. 03-01 (ends on the 1st): in the opening balance, exited, not at end.
# H3 tekun 03-05 .. 03-20: new and exited, in neither balance.
# H4 tekun 2025-06-01 .. 04-01 (ends the day after month end): held at start and at end.
# H5 dibao since 2024 + monitoring from 03-10: dibao start & end; monitoring new & end.
# H6 dibao 2020 .. 03-15 then tekun from 03-15: dibao start & exited, tekun new & end; for 合计
#    one continuous spell (start & end, neither new nor exited).
# H7 other 02-01 .. 02-28: ended on the day before the month - in nothing.
# H8 other from 04-01: in nothing.
TAGS = [
    (1, "dibao", D(2026, 3, 1), None),
    (2, "dibao", D(2025, 1, 1), D(2026, 3, 1)),
    (3, "tekun", D(2026, 3, 5), D(2026, 3, 20)),
    (4, "tekun", D(2025, 6, 1), D(2026, 4, 1)),
    (5, "dibao", D(2024, 1, 1), None),
    (5, "monitoring", D(2026, 3, 10), None),
    (6, "dibao", D(2020, 1, 1), D(2026, 3, 15)),
    (6, "tekun", D(2026, 3, 15), None),
    (7, "other", D(2026, 2, 1), D(2026, 2, 28)),
    (8, "other", D(2026, 4, 1), None),
]
# Active members on 02-28 (before) / 03-31 (last):
# H1 2 / 2; H2 3 / 3; H3 one joined 03-05: 0 / 1;
# H4 one left 03-15 (mid-month) + one staying: 2 / 1;
# H5 one + one joined 03-10 (mid-month): 1 / 2;
# H6 one + one left on 02-28 (not active that day) + one joined 03-31 (active that day): 1 / 2;
# H7, H8 one each; H9 (no tag) two - never counted.
MEMBERS = [
    (1, D(2025, 1, 1), None), (1, D(2025, 1, 1), None),
    (2, D(2024, 1, 1), None), (2, D(2024, 1, 1), None), (2, D(2024, 1, 1), None),
    (3, D(2026, 3, 5), None),
    (4, D(2020, 1, 1), D(2026, 3, 15)), (4, D(2020, 1, 1), None),
    (5, D(2020, 1, 1), None), (5, D(2026, 3, 10), None),
    (6, D(2019, 1, 1), None), (6, D(2019, 1, 1), D(2026, 2, 28)), (6, D(2026, 3, 31), None),
    (7, D(2020, 1, 1), None), (8, D(2020, 1, 1), None),
    (9, D(2020, 1, 1), None), (9, D(2020, 1, 1), None),
]


def tag_frames():
    tags = pd.DataFrame(TAGS, columns=["household_id", "tag", "start_date", "end_date"])
    members = pd.DataFrame(MEMBERS, columns=["household_id", "joined_on", "left_on"])
    return tags, members


EXPECTED_TAGS = {
    # dibao periods H1, H2, H5, H6:
    #   start H2 H5 H6 = 3; new H1 = 1; exited H2 H6 = 2; end H1 H5 = 2   (3 + 1 - 2 = 2)
    #   persons start H2 3 + H5 1 + H6 1 = 5; new H1 2; exited H2 3 + H6 1 = 4; end H1 2 + H5 2 = 4
    "dibao": (3, 1, 2, 2, 5, 2, 4, 4),
    # tekun periods H3, H4, H6:
    #   start H4 = 1; new H3 H6 = 2; exited H3 = 1; end H4 H6 = 2   (1 + 2 - 1 = 2)
    #   persons start H4 2; new H3 1 + H6 2 = 3; exited H3 0 (none active on 02-28); end H4 1 + H6 2 = 3
    "tekun": (1, 2, 1, 2, 2, 3, 0, 3),
    "dibao_edge": (0, 0, 0, 0, 0, 0, 0, 0),
    "rigid_hardship": (0, 0, 0, 0, 0, 0, 0, 0),
    # monitoring H5: new & end, 2 persons on 03-31
    "monitoring": (0, 1, 0, 1, 0, 2, 0, 2),
    # other H7, H8: nothing
    "other": (0, 0, 0, 0, 0, 0, 0, 0),
    # 合计, spells: H1 [03-01, -) new end; H2 [..03-01) start exited; H3 new exited; H4 start end;
    #   H5 start end; H6 (merged) start end; H7, H8 nothing.
    #   start H2 H4 H5 H6 = 4; new H1 H3 = 2; exited H2 H3 = 2; end H1 H4 H5 H6 = 4  (4 + 2 - 2 = 4)
    #   persons start 3 + 2 + 1 + 1 = 7; new 2 + 1 = 3; exited 3 + 0 = 3; end 2 + 1 + 2 + 2 = 7
    "total": (4, 2, 2, 4, 7, 3, 3, 7),
}
FIGURES = ("households_start", "households_new", "households_exited", "households_end",
           "persons_start", "persons_new", "persons_exited", "persons_end")


def check_tags(rows):
    assert [r["tag"] for r in rows] == [*TAG_LABELS, "total"]
    assert [r["label"] for r in rows] == [*TAG_LABELS.values(), "合计"]
    for row in rows:
        assert tuple(row[f] for f in FIGURES) == EXPECTED_TAGS[row["tag"]], row["tag"]
        assert all(type(row[f]) is int for f in FIGURES)


def test_tag_figures_on_date_objects():
    tags, members = tag_frames()
    check_tags(rep.tag_figures(tags, members, MARCH))


def test_tag_figures_on_datetime64_columns():
    tags, members = tag_frames()
    for frame, columns in ((tags, ("start_date", "end_date")), (members, ("joined_on", "left_on"))):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column])
    assert tags["end_date"].dtype.kind == "M"
    check_tags(rep.tag_figures(tags, members, MARCH))


def test_tag_figures_of_nothing_are_zeros():
    rows = rep.tag_figures(None, pd.DataFrame(), MARCH)
    assert len(rows) == len(TAG_LABELS) + 1
    assert all(r[f] == 0 for r in rows for f in FIGURES)


def random_tags(seed: int, households: int = 400):
    """Per household and tag, consecutive non-overlapping periods (one period of a tag at a time),
    some touching, some open; dates around March 2026 so every case happens."""
    rng = np.random.default_rng(seed)
    rows, members = [], []
    origin = D(2025, 10, 1)
    for h in range(households):
        for tag in rng.choice(list(TAG_LABELS), size=rng.integers(0, 4), replace=False):
            day = int(rng.integers(0, 200))
            for _ in range(rng.integers(1, 4)):
                start = origin + timedelta(days=day)
                length = int(rng.integers(0, 60))
                open_ = rng.random() < 0.3
                rows.append((h, tag, start, None if open_ else start + timedelta(days=length)))
                if open_:
                    break
                day += length + int(rng.integers(0, 3))  # 0: the next period starts the day it ended
        for _ in range(rng.integers(0, 4)):
            joined = origin + timedelta(days=int(rng.integers(0, 250)))
            left = joined + timedelta(days=int(rng.integers(0, 200))) if rng.random() < 0.4 else None
            members.append((h, joined, left))
    tags = pd.DataFrame(rows, columns=["household_id", "tag", "start_date", "end_date"])
    member_frame = pd.DataFrame(members, columns=["household_id", "joined_on", "left_on"])
    return tags, member_frame


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_start_plus_new_minus_exited_is_end_on_random_frames(seed):
    tags, members = random_tags(seed)
    for period in (D(2026, 1, 1), D(2026, 3, 1), D(2026, 4, 1)):
        window = rep.month_window(period)
        rows = rep.tag_figures(tags, members, window)
        for row in rows:
            assert row["households_start"] + row["households_new"] - row["households_exited"] \
                == row["households_end"], (seed, period, row)
        # 合计 against a plain count: distinct households holding any tag on the day.
        def holding(day):
            held = set()
            for h, _tag, start, end in tags.itertuples(index=False):
                if start <= day and (end is None or end > day):
                    held.add(h)
            return held

        def persons(households, day):
            return sum(1 for h, joined, left in members.itertuples(index=False)
                       if h in households and joined <= day and (left is None or left > day))

        total = row_of(rows, "tag", "total")
        before, last = holding(window.before), holding(window.last)
        assert total["households_start"] == len(before)
        assert total["households_end"] == len(last)
        assert total["persons_start"] == persons(before, window.before)
        assert total["persons_end"] == persons(last, window.last)


# --- applications ---------------------------------------------------------------------------------

APPS = [
    # id, track, received_on, decided_on, decision
    (1, "assistance", D(2026, 3, 1), None, ""),                       # received; open, step overdue
    (2, "assistance", D(2026, 2, 27), D(2026, 3, 31), "approved"),    # decided on the last day: counts
    (3, "assistance", D(2026, 3, 2), D(2026, 4, 1), "refused"),       # decided on the 1st of next month:
                                                                      # not decided; open at end, due 03-31
    (4, "monitoring", D(2026, 2, 2), D(2026, 3, 10), "refused"),      # decided, refused
    (5, "monitoring", D(2026, 3, 31), None, ""),                      # received on the last day; no clock
    (6, "assistance", D(2026, 1, 5), D(2026, 2, 28), "approved"),     # decided in February: nothing
    (7, "assistance", D(2026, 4, 1), None, ""),                       # received in April: nothing
    (8, "assistance", D(2026, 3, 15), D(2026, 3, 20), "approved"),    # received, decided, approved
]
APP_STEPS = [
    # id, state, entered_on, due_on (the step each open application was in on 03-31)
    (1, "investigation", D(2026, 3, 2), D(2026, 3, 30)),   # due before the last day: overdue
    (3, "township_review", D(2026, 3, 10), D(2026, 3, 31)),  # due on the last day: not overdue
    (5, "lead", D(2026, 3, 31), None),                     # no time limit
    (7, "received", D(2026, 4, 1), D(2026, 3, 1)),         # not received by 03-31: ignored
]


def app_frames():
    return (pd.DataFrame(APPS, columns=["id", "track", "received_on", "decided_on", "decision"]),
            pd.DataFrame(APP_STEPS, columns=["id", "state", "entered_on", "due_on"]))


def test_application_figures():
    apps, steps = app_frames()
    got = rep.application_figures(apps, steps, MARCH, calendar_days)
    # received 1, 3, 5, 8 = 4; decided 2, 4, 8 = 3 (approved 2, 8; refused 4);
    # open at 03-31: 1, 3, 5 = 3; overdue: 1 (due 03-30 < 03-31).
    # days (calendar clock): #2 02-27 -> 03-31 = 1 + 31 = 32; #4 02-02 -> 03-10 = 26 + 10 = 36;
    # #8 03-15 -> 03-20 = 5; median of 5, 32, 36 (odd count) = 32.
    assert {k: v for k, v in got.items() if k != "by_track"} == {
        "received": 4, "decided": 3, "approved": 2, "refused": 1, "open": 3, "overdue": 1,
        "median_working_days": 32.0}
    # assistance: received 1, 3, 8 = 3; decided 2, 8 (approved both); open 1, 3; overdue 1;
    #   median of 32 and 5 (even count) = 18.5.
    # monitoring: received 5; decided 4 (refused); open 5; overdue 0; median 36.
    assert got["by_track"] == [
        {"track": "assistance", "label": "救助申请", "received": 3, "decided": 2, "approved": 2, "refused": 0,
         "open": 2, "overdue": 1, "median_working_days": 18.5},
        {"track": "monitoring", "label": "防返贫监测", "received": 1, "decided": 1, "approved": 0, "refused": 1,
         "open": 1, "overdue": 0, "median_working_days": 36.0},
    ]


def test_a_withdrawn_or_unaccepted_case_is_not_open_at_month_end():
    # Both received in March and never decided; at 03-31 one stands withdrawn, one not accepted:
    # finished without a decision, so neither is open nor overdue. The third, still in
    # investigation past its due date, is both.
    apps = pd.DataFrame([(1, "assistance", date(2026, 3, 2), None, ""),
                         (2, "assistance", date(2026, 3, 3), None, ""),
                         (3, "assistance", date(2026, 3, 4), None, "")],
                        columns=["id", "track", "received_on", "decided_on", "decision"])
    steps = pd.DataFrame([(1, "withdrawn", date(2026, 3, 9), None),
                          (2, "not_accepted", date(2026, 3, 5), None),
                          (3, "investigation", date(2026, 3, 5), date(2026, 3, 26))],
                         columns=["id", "state", "entered_on", "due_on"])
    got = rep.application_figures(apps, steps, MARCH, calendar_days)
    assert (got["received"], got["open"], got["overdue"]) == (3, 1, 1)


def test_application_figures_on_datetime64_and_china_dates():
    apps, steps = app_frames()
    # 2026-02-28 17:00 UTC is 2026-03-01 01:00 in China: received in March, as #1 was.
    apps["received_on"] = pd.to_datetime(apps["received_on"]).dt.tz_localize("UTC")
    apps.loc[0, "received_on"] = pd.Timestamp("2026-02-28T17:00Z")
    apps["decided_on"] = pd.to_datetime(apps["decided_on"])
    steps["due_on"] = pd.to_datetime(steps["due_on"])
    got = rep.application_figures(apps, steps, MARCH, calendar_days)
    assert (got["received"], got["decided"], got["open"], got["overdue"], got["median_working_days"]) == \
        (4, 3, 3, 1, 32.0)


def test_figures_do_not_depend_on_the_frames_index():
    # The service passes filtered and concatenated frames: an index with gaps and repeats.
    apps, steps = app_frames()
    apps.index = [5, 5, 9, 2, 2, 7, 0, 1]
    steps.index = [3, 3, 3, 3]
    got = rep.application_figures(apps, steps, MARCH, calendar_days)
    assert (got["received"], got["decided"], got["open"], got["overdue"], got["median_working_days"]) == \
        (4, 3, 3, 1, 32.0)
    tags, members = tag_frames()
    tags.index = [1] * len(tags)
    members.index = [0] * len(members)
    check_tags(rep.tag_figures(tags, members, MARCH))


def test_application_median_is_none_without_decisions_and_uses_prc_working_days_by_default():
    apps = pd.DataFrame([(1, "assistance", D(2026, 3, 2), None, "")],
                        columns=["id", "track", "received_on", "decided_on", "decision"])
    got = rep.application_figures(apps, None, MARCH, calendar_days)
    assert got["median_working_days"] is None
    assert got["by_track"][0]["median_working_days"] is None
    assert got["open"] == 1 and got["overdue"] == 0  # no step row: no due date, not overdue
    # Monday 2026-03-02 -> Friday 03-06: 4 working days after receipt (no holiday in that week).
    apps.loc[0, "decided_on"] = D(2026, 3, 6)
    apps.loc[0, "decision"] = "approved"
    assert rep.application_figures(apps, None, MARCH)["median_working_days"] == 4.0


# --- warnings -------------------------------------------------------------------------------------

RULE_NAMES = {"income_drop": "收入骤降", "medical_high": "大额医疗支出", "housing_unsafe": "住房安全"}
WARNINGS = [
    # id, rule_code, raised_on, handled_on, fed_back_on
    (1, "income_drop", D(2026, 3, 1), None, None),                          # raised; open, overdue
    (2, "income_drop", D(2026, 2, 20), D(2026, 3, 5), D(2026, 3, 31)),      # handled, fed back (last day)
    (3, "medical_high", D(2026, 2, 25), D(2026, 2, 28), D(2026, 4, 1)),     # open at end (fed back later)
    (4, "medical_high", D(2026, 3, 31), None, None),                         # raised on the last day; open
    (5, "unknown_rule", D(2026, 3, 15), D(2026, 3, 16), D(2026, 3, 20)),    # raised, handled, fed back
    (6, "income_drop", D(2026, 4, 1), None, None),                           # April: nothing
]
WARNING_STEPS = [
    (1, "pending", D(2026, 3, 10)),    # due 03-10 < 03-31: overdue
    (3, "handled", D(2026, 3, 31)),    # due on the last day: not overdue
    (4, "pending", D(2026, 4, 7)),
    (6, "pending", D(2026, 3, 1)),     # not raised by then: ignored
]


def test_warning_figures():
    warnings = pd.DataFrame(WARNINGS, columns=["id", "rule_code", "raised_on", "handled_on", "fed_back_on"])
    steps = pd.DataFrame(WARNING_STEPS, columns=["id", "status", "due_on"])
    got = rep.warning_figures(warnings, steps, RULE_NAMES, MARCH)
    # raised 1, 4, 5 = 3; handled 2, 5 = 2; fed back 2, 5 = 2; open 1, 3, 4 = 3; overdue 1.
    assert {k: v for k, v in got.items() if k != "by_rule"} == {
        "raised": 3, "handled": 2, "fed_back": 2, "open": 3, "overdue": 1}
    assert got["by_rule"] == [
        # income_drop: raised 1; handled 2; fed back 2; open 1; overdue 1
        {"rule": "income_drop", "label": "收入骤降", "raised": 1, "handled": 1, "fed_back": 1, "open": 1,
         "overdue": 1},
        # medical_high: raised 4; open 3, 4; nothing overdue
        {"rule": "medical_high", "label": "大额医疗支出", "raised": 1, "handled": 0, "fed_back": 0, "open": 2,
         "overdue": 0},
        {"rule": "housing_unsafe", "label": "住房安全", "raised": 0, "handled": 0, "fed_back": 0, "open": 0,
         "overdue": 0},
        # a rule missing from rule_names comes after, labelled with its code
        {"rule": "unknown_rule", "label": "unknown_rule", "raised": 1, "handled": 1, "fed_back": 1, "open": 0,
         "overdue": 0},
    ]


# --- referrals ------------------------------------------------------------------------------------

ORG_NAMES = {10: "县医保局", 20: "垫江县慈善会", 30: "县教委", 40: "县住建委"}
REFS = [
    # id, kind, organisation_id, dispatched_on, claimed_on, completed_on, claim_due_on, delivery_due_on, amount
    (1, "medical", 10, D(2026, 3, 2), None, D(2026, 3, 20), None, D(2026, 3, 25), Decimal("1200.50")),
    # pooled, unclaimed at end and past claim_due_on (delivery due only in April): overdue
    (2, "charity_aid", None, D(2026, 3, 3), None, None, D(2026, 3, 10), D(2026, 4, 10), None),
    # claimed in March but past delivery_due_on 03-30: overdue
    (3, "charity_aid", 20, D(2026, 2, 20), D(2026, 3, 1), None, D(2026, 2, 27), D(2026, 3, 30), None),
    # completed after the last day: open at end; due on the last day: not overdue; amount not March's
    (4, "medical", 10, D(2026, 2, 10), None, D(2026, 4, 2), None, D(2026, 3, 31), Decimal("500")),
    # completed on the last day with no amount: completed, adds nothing
    (5, "education", 30, D(2026, 1, 10), None, D(2026, 3, 31), None, D(2026, 3, 31), None),
    # completed in April, delivery due 03-15: open and overdue at end
    (6, "education", 30, D(2026, 2, 1), None, D(2026, 4, 5), None, D(2026, 3, 15), Decimal("300")),
    # dispatched in April: nothing, whatever its dates say
    (7, "temporary", 20, D(2026, 4, 1), None, None, None, D(2026, 3, 1), None),
    # pooled, claimed only on 04-02: unclaimed at end, past claim_due_on 03-12: overdue
    (8, "temporary", 20, D(2026, 3, 5), D(2026, 4, 2), None, D(2026, 3, 12), D(2026, 4, 20), None),
    (9, "housing", 10, D(2026, 3, 10), None, D(2026, 3, 28), None, D(2026, 4, 10), 2000.0),
]
REF_COLUMNS = ["id", "kind", "organisation_id", "dispatched_on", "claimed_on", "completed_on", "claim_due_on",
               "delivery_due_on", "amount"]


def test_referral_figures():
    refs = pd.DataFrame(REFS, columns=REF_COLUMNS)
    got = rep.referral_figures(refs, ORG_NAMES, MARCH)
    # dispatched 1, 2, 8, 9 = 4; claimed 3 = 1; completed 1, 5, 9 = 3; amount 1200.50 + 2000 = 3200.5;
    # open at 03-31: 2, 3, 4, 6, 8 = 5; overdue 2, 3, 6, 8 = 4.
    assert {k: got[k] for k in ("dispatched", "claimed", "completed", "open", "overdue", "amount")} == {
        "dispatched": 4, "claimed": 1, "completed": 3, "open": 5, "overdue": 4, "amount": 3200.5}
    assert [r["kind"] for r in got["by_kind"]] == list(ASSISTANCE_KINDS)
    zero = {"dispatched": 0, "claimed": 0, "completed": 0, "open": 0, "overdue": 0, "amount": 0.0}
    expected_kinds = {
        "medical": {**zero, "dispatched": 1, "completed": 1, "open": 1, "amount": 1200.5},     # 1, 4
        "charity_aid": {**zero, "dispatched": 1, "claimed": 1, "open": 2, "overdue": 2},        # 2, 3
        "education": {**zero, "completed": 1, "open": 1, "overdue": 1},                         # 5, 6
        "temporary": {**zero, "dispatched": 1, "open": 1, "overdue": 1},                        # 7, 8
        "housing": {**zero, "dispatched": 1, "completed": 1, "amount": 2000.0},                 # 9
    }
    for row in got["by_kind"]:
        assert {k: v for k, v in row.items() if k not in ("kind", "label")} == \
            expected_kinds.get(row["kind"], zero), row["kind"]
        assert row["label"] == ASSISTANCE_KINDS[row["kind"]]
    # partners with any figure, in org_names order (40 has nothing: left out), unclaimed last:
    # 10: 1, 4, 9 -> dispatched 1, 9; completed 1, 9; open 4; amount 3200.5
    # 20: 3, 7, 8 -> dispatched 8; claimed 3; open 3, 8; overdue 3, 8
    # 30: 5, 6 -> completed 5; open 6; overdue 6
    # none: 2 -> dispatched, open, overdue
    assert got["by_partner"] == [
        {"organisation_id": 10, "label": "县医保局", **zero, "dispatched": 2, "completed": 2, "open": 1,
         "amount": 3200.5},
        {"organisation_id": 20, "label": "垫江县慈善会", **zero, "dispatched": 1, "claimed": 1, "open": 2,
         "overdue": 2},
        {"organisation_id": 30, "label": "县教委", **zero, "completed": 1, "open": 1, "overdue": 1},
        {"organisation_id": None, "label": "待认领", **zero, "dispatched": 1, "open": 1, "overdue": 1},
    ]
    assert type(got["by_partner"][0]["organisation_id"]) is int


def test_referral_claims_count_the_claim_events_of_the_month():
    refs = pd.DataFrame(REFS, columns=REF_COLUMNS)
    # 3 was claimed on 03-01 then (say) returned and claimed again; 2 was claimed and returned
    # in March, so it stands unclaimed at the end (claimed_on empty) yet was claimed in March
    refs["claims"] = [0, 1, 2, 0, 0, 0, 0, 0, 0]
    got = rep.referral_figures(refs, ORG_NAMES, MARCH)
    assert got["claimed"] == 3
    assert row_of(got["by_kind"], "kind", "charity_aid")["claimed"] == 3
    assert row_of(got["by_partner"], "organisation_id", 20)["claimed"] == 2
    assert row_of(got["by_partner"], "organisation_id", None)["claimed"] == 1
    assert got["overdue"] == 4  # the figures at the end are those of the frame's dates


def test_referral_figures_of_nothing():
    got = rep.referral_figures(pd.DataFrame(columns=REF_COLUMNS), ORG_NAMES, MARCH)
    assert (got["dispatched"], got["completed"], got["open"], got["overdue"], got["amount"]) == (0, 0, 0, 0, 0.0)
    assert got["by_partner"] == []
    assert len(got["by_kind"]) == len(ASSISTANCE_KINDS)


# --- meetings -------------------------------------------------------------------------------------


def test_meeting_figures():
    meetings = pd.DataFrame([(1, D(2026, 3, 1)), (2, D(2026, 3, 31)), (3, D(2026, 2, 28)), (4, None),
                             (5, D(2026, 4, 1))], columns=["id", "held_on"])
    decisions = pd.DataFrame({"meeting_id": [1, 1, 2, 3, 4]})
    actions = pd.DataFrame([
        (1, D(2026, 3, 1), D(2026, 3, 15), D(2026, 3, 10)),   # done in March
        (2, D(2026, 2, 10), D(2026, 3, 20), None),            # open, deadline 03-20 < 03-31: overdue
        (3, D(2026, 3, 5), D(2026, 3, 31), None),             # open, deadline on the last day: not overdue
        (4, D(2026, 2, 1), D(2026, 2, 15), D(2026, 4, 1)),    # done after the month: open and overdue at end
        (5, D(2026, 4, 1), D(2026, 3, 1), None),              # created in April: not open at end
        (6, D(2026, 1, 1), D(2026, 2, 1), D(2026, 2, 28)),    # done in February: nothing
    ], columns=["id", "created_on", "deadline", "done_on"])
    # held: meetings 1 (the 1st) and 2 (the last day) = 2; decisions of meetings 1 and 2: 2 + 1 = 3;
    # actions done 1 = 1; open 2, 3, 4 = 3; overdue 2, 4 = 2.
    assert rep.meeting_figures(meetings, decisions, actions, MARCH) == {
        "held": 2, "decisions": 3, "actions_done": 1, "actions_open": 3, "actions_overdue": 2}
    # without a status column every item with a done_on counts as done (as above)
    with_status = actions.assign(status=["done", "open", "open", "done", "open", "done"])
    assert rep.meeting_figures(meetings, decisions, with_status, MARCH) == {
        "held": 2, "decisions": 3, "actions_done": 1, "actions_open": 3, "actions_overdue": 2}
    assert rep.meeting_figures(None, None, None, MARCH) == {
        "held": 0, "decisions": 0, "actions_done": 0, "actions_open": 0, "actions_overdue": 0}


def test_cancelled_and_superseded_action_items():
    actions = pd.DataFrame([
        # done in March: the only one done
        (1, D(2026, 3, 1), D(2026, 3, 15), D(2026, 3, 10), "done"),
        # cancelled (the decision changed; no done_on): neither open nor overdue, ever
        (2, D(2026, 2, 10), D(2026, 3, 1), None, "cancelled"),
        # superseded on 03-12 by a later meeting: not done, and no longer open at the end
        (3, D(2026, 2, 1), D(2026, 3, 5), D(2026, 3, 12), "superseded"),
        # superseded only in April: open and overdue (deadline 03-20) at the end, not done
        (4, D(2026, 2, 1), D(2026, 3, 20), D(2026, 4, 3), "superseded"),
        # open, deadline after the month: open, not overdue
        (5, D(2026, 3, 2), D(2026, 4, 30), None, "open"),
    ], columns=["id", "created_on", "deadline", "done_on", "status"])
    # done 1 = 1; open 4, 5 = 2; overdue 4 = 1.
    assert rep.meeting_figures(None, None, actions, MARCH) == {
        "held": 0, "decisions": 0, "actions_done": 1, "actions_open": 2, "actions_overdue": 1}
    # February: 3 and 4 open (created by 02-28, not superseded by then), 2 cancelled: nothing
    february = rep.month_window(D(2026, 2, 1))
    assert rep.meeting_figures(None, None, actions, february) == {
        "held": 0, "decisions": 0, "actions_done": 0, "actions_open": 2, "actions_overdue": 0}


# --- burden ---------------------------------------------------------------------------------------


def test_burden_figures():
    investigated = pd.DataFrame([(1, 101, 8, 2), (2, 102, 6, 4), (3, 103, 5, None)],
                                columns=["application_id", "household_id", "fields_prefilled", "fields_typed"])
    verified = pd.DataFrame({"household_id": [101]})
    visits = pd.DataFrame({"household_id": [101, 102, 102, 104]})
    # prefilled 8 + 6 + 5 = 19; typed 2 + 4 + 0 = 6; share 19 / 25 = 0.76.
    # tasks per household: 101 one investigation + one verification = 2, 1 visit -> 1 avoided;
    # 102 one task, 2 visits -> 0; 103 one task, no visit -> 1 (tasks minus visits, where positive);
    # 104 a visit and no task -> 0. Avoided 1 + 1 = 2.
    assert rep.burden_figures(investigated, verified, visits, MARCH) == {
        "investigated": 3, "fields_prefilled": 19, "fields_typed": 6, "prefilled_share": 0.76,
        "verified": 1, "tasks": 4, "visits": 4, "visits_avoided": 2}


def test_burden_figures_of_nothing():
    assert rep.burden_figures(None, pd.DataFrame(), None, MARCH) == {
        "investigated": 0, "fields_prefilled": 0, "fields_typed": 0, "prefilled_share": None,
        "verified": 0, "tasks": 0, "visits": 0, "visits_avoided": 0}


# --- main figures, change, overdue rate ---------------------------------------------------------


def test_main_figures_of_a_month():
    tags, members = tag_frames()
    apps, app_steps = app_frames()
    report = {
        "tags": rep.tag_figures(tags, members, MARCH),
        "applications": rep.application_figures(apps, app_steps, MARCH, calendar_days),
        "warnings": rep.warning_figures(
            pd.DataFrame(WARNINGS, columns=["id", "rule_code", "raised_on", "handled_on", "fed_back_on"]),
            pd.DataFrame(WARNING_STEPS, columns=["id", "status", "due_on"]), RULE_NAMES, MARCH),
        "referrals": rep.referral_figures(pd.DataFrame(REFS, columns=REF_COLUMNS), ORG_NAMES, MARCH),
        "meetings": {"held": 2, "decisions": 3, "actions_done": 1, "actions_open": 3, "actions_overdue": 2},
    }
    figures = rep.main_figures(report)
    assert list(figures) == list(rep.MAIN_FIGURES)
    # from the tests above: 合计 4 households / 7 persons at end; 4 received, 3 decided; 3 raised,
    # 2 handled; 3 completed for 3200.5; 2 meetings.
    assert figures == {"households_end": 4, "persons_end": 7, "applications_received": 4,
                       "applications_decided": 3, "warnings_raised": 3, "warnings_handled": 2,
                       "referrals_completed": 3, "referral_amount": 3200.5, "meetings_held": 2}
    # overdue at end: applications 1 + warnings 1 + referrals 4 + actions 2 = 8;
    # open: 3 + 3 + 5 + 3 = 14; rate 8 / 14 = 0.5714
    assert rep.overdue_and_open(report) == (8, 14)
    assert rep.overdue_rate(*rep.overdue_and_open(report)) == 0.5714


def test_main_figure_labels():
    assert rep.MAIN_FIGURES["households_end"] == "在册困难家庭（户）"
    assert rep.MAIN_FIGURES["persons_end"] == "在册困难人口（人）"
    assert rep.MAIN_FIGURES["referral_amount"] == "帮扶金额（元）"


def test_changes_month_over_month_and_year_over_year():
    current = {"households_end": 110, "persons_end": 250, "applications_received": 12,
               "applications_decided": 0, "warnings_raised": 5, "warnings_handled": 3,
               "referrals_completed": 4, "referral_amount": 3000.0, "meetings_held": 1}
    previous = {"households_end": 100, "persons_end": 250, "applications_received": 0,
                "applications_decided": 4, "warnings_raised": 4, "warnings_handled": 9,
                "referrals_completed": 4, "referral_amount": 2000.0, "meetings_held": 0}
    last_year = {"households_end": 88, "persons_end": 0}
    rows = rep.changes(current, previous, last_year)
    assert [r["key"] for r in rows] == list(rep.MAIN_FIGURES)
    assert [r["label"] for r in rows] == list(rep.MAIN_FIGURES.values())
    mom = {r["key"]: r["mom_pct"] for r in rows}
    assert mom == {
        "households_end": 10.0,           # (110 - 100) / 100
        "persons_end": 0.0,               # unchanged
        "applications_received": None,    # previous 0
        "applications_decided": -100.0,   # (0 - 4) / 4
        "warnings_raised": 25.0,          # (5 - 4) / 4
        "warnings_handled": -66.7,        # (3 - 9) / 9 = -66.67
        "referrals_completed": 0.0,
        "referral_amount": 50.0,          # (3000 - 2000) / 2000
        "meetings_held": None,            # previous 0
    }
    households = row_of(rows, "key", "households_end")
    # (110 - 88) / 88 = 25.0
    assert households == {"key": "households_end", "label": "在册困难家庭（户）", "value": 110, "previous": 100,
                          "mom_pct": 10.0, "last_year": 88, "yoy_pct": 25.0}
    assert row_of(rows, "key", "persons_end")["yoy_pct"] is None          # last year 0
    received = row_of(rows, "key", "applications_received")
    assert received["last_year"] is None and received["yoy_pct"] is None  # missing last year


def test_changes_without_earlier_months():
    rows = rep.changes({"households_end": 5}, None, None)
    assert all(r["previous"] is None and r["mom_pct"] is None and r["yoy_pct"] is None for r in rows)
    assert row_of(rows, "key", "households_end")["value"] == 5


def test_overdue_rate():
    assert rep.overdue_rate(0, 0) is None
    assert rep.overdue_rate(3, 0) is None
    assert rep.overdue_rate(0, 5) == 0.0
    assert rep.overdue_rate(1, 4) == 0.25
    assert rep.overdue_rate(1, 3) == 0.3333
