"""Writing the warnings a rule raised: one per household, rule and month, never twice.

`write` is shared by the department import (a few thousand hits per rule) and the registry
hooks (one household): the households that already hold a warning of the rule for the
month are read in one query and left out (the anti-join), the rest go in with one Core
executemany (RETURNING their ids), then one "raise" event each, then one audit entry.
ON CONFLICT DO NOTHING on the unique key (household, rule, period) covers two imports of
the same month racing on PostgreSQL: the loser skips the warnings the winner wrote
instead of failing its whole batch.

Core inserts skip the tables' Python-side defaults for sa_column fields (the timestamps),
so every NOT NULL column is set here explicitly.
"""

import math
from datetime import date

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from ..db.tables import Household, RiskWarning, RiskWarningEvent
from ..db.timeutil import utcnow
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


def _insert_ignoring_duplicates(session: Session, table):
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["household_id", "rule_code", "period"])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=["household_id", "rule_code", "period"])


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
    wanted = [int(h) for h in hits["household_id"].tolist()]
    table = RiskWarning.__table__
    existing: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        existing.update(session.execute(
            select(table.c.household_id).where(table.c.rule_code == rule_code, table.c.period == period,
                                               table.c.household_id.in_(chunk))).scalars())
    if existing:
        hits = hits[~hits["household_id"].astype("int64").isin(existing)]
    if hits.empty:
        return 0
    if "area_code" in hits.columns:
        area_of = dict(zip(hits["household_id"].astype("int64").tolist(), hits["area_code"].tolist(), strict=True))
    else:
        area_of = {}
        ids = [int(h) for h in hits["household_id"].tolist()]
        for start in range(0, len(ids), _CHUNK):
            area_of.update(session.execute(select(Household.id, Household.area_code)
                                           .where(Household.id.in_(ids[start:start + _CHUNK]))).all())

    now = utcnow()
    due = verify_due(session, today)
    fixed = {
        "rule_code": rule_code, "period": period, "severity": rule.severity, "department": rule.department,
        "source": source[:32], "batch_id": batch_id, "status": "pending", "raised_on": today, "due_on": due,
        "escalated_on": None, "assigned_to": None, "assigned_on": None, "verify_result": "", "verify_note": "",
        "disposition": "", "disposition_note": "", "need_id": None, "referral_id": None, "application_id": None,
        "handled_on": None, "handled_by": None, "feedback": "", "fed_back_on": None, "fed_back_by": None,
        "version": 1, "created_at": now, "updated_at": now,
    }
    rows = []
    columns = [hits[c].tolist() if c in hits.columns else [None] * len(hits)
               for c in ("household_id", "member_id", "value", "threshold", "evidence")]
    for household_id, member_id, value, threshold, evidence in zip(*columns, strict=True):
        household_id = int(household_id)
        rows.append({**fixed, "household_id": household_id, "area_code": area_of[household_id],
                     "member_id": _member_id(member_id), "value": _number(value),
                     "threshold": _number(threshold), "evidence": str(evidence or "")})

    statement = _insert_ignoring_duplicates(session, table).returning(table.c.id)
    connection = session.connection()
    new_ids: list[int] = []
    for start in range(0, len(rows), _CHUNK):
        new_ids.extend(connection.execute(statement, rows[start:start + _CHUNK]).scalars())
    if not new_ids:
        return 0
    user_id = actor.user_id if actor else None
    actor_name = actor.display_name[:100] if actor else "系统"
    comment = "数据比对发现" if source != "registry" else "登记信息变更发现"
    events = [{"warning_id": warning_id, "action": "raise", "status": "pending", "user_id": user_id,
               "actor_name": actor_name, "comment": comment, "on_day": today, "at": now}
              for warning_id in new_ids]
    for start in range(0, len(events), _CHUNK):
        connection.execute(insert(RiskWarningEvent.__table__), events[start:start + _CHUNK])
    audit.record(session, actor=actor, action="create", entity="risk_warning",
                 new={"rule": rule_code, "period": period, "source": source, "batch_id": batch_id,
                      "count": len(new_ids)},
                 note=f"预警规则“{getattr(rule, 'name', rule_code)}”（{period:%Y年%m月}）新增 {len(new_ids)} 条预警")
    return len(new_ids)
