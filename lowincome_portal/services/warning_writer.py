"""Writing the warnings a rule raised: one per household, rule and month, never twice.

`write` is shared by the department import (thousands of hits per rule) and the registry
hooks (one household). In order:
1. the anti-join: the households that already hold a warning of the rule for the month are
   read in one indexed query and left out;
2. the rest go in with one bulk insert - INSERT ... SELECT FROM unnest(arrays) on PostgreSQL,
   a Core executemany on SQLite - with ON CONFLICT DO NOTHING on the unique key (household,
   rule, period), so two imports of the same month racing on PostgreSQL do not fail: the
   second skips what the first wrote;
3. one "raise" event for each new warning, as one INSERT ... SELECT;
4. one audit entry.

Core inserts skip the tables' Python-side defaults for sa_column fields (the timestamps),
so every NOT NULL column is set here explicitly.
"""

import math
from datetime import date

import pandas as pd
from sqlalchemy import Date, DateTime, Integer, insert, literal, or_, select
from sqlalchemy import text as sa_text
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from ..db.tables import Household, RiskWarning, RiskWarningEvent
from ..db.timeutil import utcnow
from ..domain import monitoring as rules
from ..domain import working_days
from ..domain.parameters import CATALOGUE
from ..domain.permissions import Actor
from . import audit
from .parameters import MissingParameter, value_on

_CHUNK = 5000  # rows per executemany and per IN (...) list


def verify_due(session: Session, raised_on: date) -> date:
    """The deadline of a new warning's first step: warning_verify_days working days (the
    catalogue default if the county has not set it; as services/referrals.clock_days, not
    imported from there because the registry hooks import this module)."""
    try:
        days = int(value_on(session, "warning_verify_days", raised_on))
    except MissingParameter:
        days = int(CATALOGUE["warning_verify_days"].default)
    return working_days.add_working_days(raised_on, days)


def _number(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else round(number, 2)


def _member_id(value) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return int(value)


_SMALL = 1000  # up to this many hits, the anti-join asks for those households only


def _existing(session: Session, rule_code: str, period: date, wanted: list[int]) -> set[int]:
    """The households among `wanted` that already hold a warning of the rule for the month, or
    one of any month still open: a condition that lasts (a year-to-date cost, an unsafe house)
    is verified once, not re-raised every month while staff are still on it."""
    table = RiskWarning.__table__
    query = select(table.c.household_id).where(
        table.c.rule_code == rule_code,
        or_(table.c.period == period, table.c.status.in_(rules.OPEN_STATUSES)))
    if len(wanted) <= _SMALL:
        return set(session.execute(query.where(table.c.household_id.in_(wanted))).scalars())
    # A big batch: the month's warnings of one rule (at most one per household) in one indexed read.
    return set(session.execute(query).scalars()) & set(wanted)


_PG_INSERT = sa_text("""
INSERT INTO risk_warning (household_id, area_code, member_id, value, threshold, evidence,
    rule_code, period, severity, department, source, batch_id, status, raised_on, due_on,
    verify_result, verify_note, disposition, disposition_note, feedback, version, created_at, updated_at)
SELECT h, a, m, v, t, e,
    :rule_code, :period, :severity, :department, :source, :batch_id, 'pending', :raised_on, :due_on,
    '', '', '', '', '', 1, :now, :now
FROM unnest(CAST(:households AS integer[]), CAST(:areas AS varchar[]), CAST(:members AS integer[]),
            CAST(:values AS numeric[]), CAST(:thresholds AS numeric[]), CAST(:evidence AS text[]))
     AS hit(h, a, m, v, t, e)
ON CONFLICT (household_id, rule_code, period) DO NOTHING
""")


def _insert_warnings(session: Session, rows: list[dict], fixed: dict) -> None:
    """The new warnings, skipping any (household, rule, month) that exists by now.

    PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) - psycopg would otherwise parse an
    executemany's statement with tens of thousands of placeholders again for every batch.
    SQLite: Core executemany, every NOT NULL column set (Core skips the timestamp fields'
    Python-side defaults)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_INSERT, {
            "households": [r["household_id"] for r in rows], "areas": [r["area_code"] for r in rows],
            "members": [r["member_id"] for r in rows], "values": [r["value"] for r in rows],
            "thresholds": [r["threshold"] for r in rows], "evidence": [r["evidence"] for r in rows],
            "rule_code": fixed["rule_code"], "period": fixed["period"], "severity": fixed["severity"],
            "department": fixed["department"], "source": fixed["source"], "batch_id": fixed["batch_id"],
            "raised_on": fixed["raised_on"], "due_on": fixed["due_on"], "now": fixed["created_at"]})
        return
    table = RiskWarning.__table__
    statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["household_id", "rule_code", "period"])
    for start in range(0, len(rows), _CHUNK):
        connection.execute(statement, [{**fixed, **r} for r in rows[start:start + _CHUNK]])


def _insert_raise_events(session: Session, rule_code: str, period: date, actor: Actor | None, today: date,
                         now, comment: str) -> int:
    """One "raise" event for each warning of the rule and month that has none yet - exactly the
    ones just written: every warning gets its event in the transaction that creates it, and
    other transactions' new warnings are not visible here. Returns how many."""
    warning, event = RiskWarning.__table__, RiskWarningEvent.__table__
    has_event = select(event.c.id).where(event.c.warning_id == warning.c.id).exists()
    source = select(warning.c.id, literal("raise"), literal("pending"),
                    literal(actor.user_id if actor else None, Integer),
                    literal(actor.display_name[:100] if actor else "系统"), literal(comment),
                    literal(today, Date), literal(now, DateTime(timezone=True))) \
        .where(warning.c.rule_code == rule_code, warning.c.period == period, ~has_event)
    result = session.connection().execute(insert(event).from_select(
        ["warning_id", "action", "status", "user_id", "actor_name", "comment", "on_day", "at"], source)
        .returning(event.c.id))  # counted from RETURNING: psycopg reports no rowcount here
    return len(result.all())


def write(session: Session, *, hits: pd.DataFrame, rule, period: date, source: str,
          batch_id: int | None, actor: Actor | None, today: date) -> int:
    """Insert the warnings of `hits` (columns household_id, member_id, value, threshold,
    evidence; optional area_code) for `rule` (a domain.monitoring.RuleSpec) and the month
    `period`, skipping households that already have one for that rule and month. Each new
    warning is pending, due warning_verify_days working days after `today`, with one "raise"
    event. One audit entry when anything was written. Returns how many were written.

    The caller has checked the permission (the import's monitoring.import, or the registry
    change's registry.edit): a warning is a consequence of that command, not a command itself.
    """
    if hits is None or hits.empty:
        return 0
    rule_code = rule.code
    hits = hits.drop_duplicates("household_id")
    household_ids = hits["household_id"].astype("int64")
    existing = _existing(session, rule_code, period, household_ids.tolist())
    if existing:
        hits = hits[~household_ids.isin(existing).to_numpy()]
    if hits.empty:
        return 0
    ids = [int(h) for h in hits["household_id"].tolist()]
    if "area_code" in hits.columns:
        area_of = dict(zip(ids, hits["area_code"].tolist(), strict=True))
    else:
        area_of = {}
        for start in range(0, len(ids), _CHUNK):
            area_of.update(session.execute(select(Household.id, Household.area_code)
                                           .where(Household.id.in_(ids[start:start + _CHUNK]))).all())

    now = utcnow()
    fixed = {
        "rule_code": rule_code, "period": period, "severity": rule.severity, "department": rule.department,
        "source": source[:32], "batch_id": batch_id, "status": "pending", "raised_on": today,
        "due_on": verify_due(session, today), "escalated_on": None, "assigned_to": None, "assigned_on": None,
        "verify_result": "", "verify_note": "", "disposition": "", "disposition_note": "", "need_id": None,
        "referral_id": None, "application_id": None, "handled_on": None, "handled_by": None, "feedback": "",
        "fed_back_on": None, "fed_back_by": None, "version": 1, "created_at": now, "updated_at": now,
    }
    columns = [hits[c].tolist() if c in hits.columns else [None] * len(hits)
               for c in ("member_id", "value", "threshold", "evidence")]
    rows = [{"household_id": household_id, "area_code": area_of[household_id], "member_id": _member_id(member_id),
             "value": _number(value), "threshold": _number(threshold), "evidence": str(evidence or "")}
            for household_id, member_id, value, threshold, evidence in zip(ids, *columns, strict=True)]
    _insert_warnings(session, rows, fixed)
    comment = "数据比对发现" if source != "registry" else "登记信息变更发现"
    written = _insert_raise_events(session, rule_code, period, actor, today, now, comment)
    if not written:
        return 0
    audit.record(session, actor=actor, action="create", entity="risk_warning",
                 new={"rule": rule_code, "period": period, "source": source, "batch_id": batch_id,
                      "count": written},
                 note=f"预警规则“{getattr(rule, 'name', rule_code)}”（{period:%Y年%m月}）新增 {written} 条预警")
    return written
