"""Warnings raised by registry changes: a member died, became disabled or lost a job, a
household's housing turned unsafe or its income fell.

The registry's own commands call `on_registry_change` after the change, in the same
transaction (services/households.update_member and remove_member,
services/household_records.record_economic_status). domain/monitoring.registry_facts says
which indicators the change means - "became" transitions only, so saving the same state again
raises nothing - then the rules fed by those indicators from the registry are evaluated on a
one-household frame, exactly as a department file's rows are, and the warnings are written
with source "registry" (one per household, rule and month, like any other).

Not hooked: registering a household or adding a member (create_household, add_member). A
person who enters the registry already disabled or unemployed has not *become* so; the facts
are known at registration and the assistance decision deals with them. Hooking them would
also turn every registry import into a flood of warnings.

A warning is a consequence of the registry change, never a reason to refuse it: the
evaluation runs in a savepoint, and if it fails the change still goes through (the failure is
logged). The actor's registry.edit, checked by the calling command, is the permission.
"""

import logging
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlmodel import Session

from ..db.tables import Household, Member
from ..db.timeutil import CHINA
from ..domain import monitoring as rules
from ..domain.permissions import Actor
from . import monitoring_rules, warning_writer

log = logging.getLogger(__name__)

KINDS = ("member", "member_left", "economic_status")
# economic-status keys that make up per-capita income (domain/monitoring.per_capita_income)
_INCOME_KEYS = ("wage_income", "business_income", "property_income", "transfer_income", "employment_costs")


def _with_income(values: dict | None) -> dict | None:
    """An economic-status dict with per_capita_income computed from its incomes and member_count."""
    if values is None or "per_capita_income" in values:
        return values
    if not any(k in values for k in _INCOME_KEYS):
        return values
    # A record whose incomes are all blank (saved as 0) was entered for something else (housing,
    # water): it says nothing about income, and must not read as a 100 % drop.
    if not any(float(values.get(k) or 0) for k in _INCOME_KEYS):
        return values
    members = int(values.get("member_count") or 0)
    if members <= 0:
        return values
    return {**values, "per_capita_income": rules.per_capita_income(values, members)}


def registry_frame_row(session: Session, household: Household, kind: str, old: dict | None,
                       new: dict, facts: dict) -> pd.DataFrame:
    """The one-row frame evaluate() takes: the member concerned (for member changes, as they were
    before the change - a working member who became disabled may now count as unable to work)."""
    row = {"household_id": household.id, "member_id": None, "member_name": "", "birth_date": pd.NaT,
           "labour_capacity": "", "tags": household.current_tags or ""}
    if kind in ("member", "member_left"):
        member_id = new.get("id") or (old or {}).get("id")
        member = session.get(Member, member_id) if member_id else None
        if member is not None:
            before = old or {}
            row.update(member_id=member.id, member_name=before.get("name", member.name),
                       birth_date=pd.Timestamp(before.get("birth_date", member.birth_date)),
                       labour_capacity=before.get("labour_capacity", member.labour_capacity) or "")
    frame = pd.DataFrame([row])
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    for indicator, value in facts.items():
        kind_of = rules.INDICATORS.get(indicator)
        if kind_of is not None and kind_of.kind == "flag":
            frame[indicator] = np.array([bool(value)])
        else:
            frame[indicator] = np.array([float(value)])
    return frame


def on_registry_change(session: Session, *, actor: Actor, household_id: int, old: dict | None, new: dict,
                       kind: str, today: date | None = None) -> int:
    """Raise the warnings a registry change means; returns how many were raised.

    kind "member": `old`/`new` are the member's changed fields before/after (db column names)
    with "id" (the member's id) in `new`; "member_left": `new` = {"id", "active": False,
    "left_reason"}; "economic_status": the previous and the new economic-status record as dicts
    (db column names) with "member_count" (or "per_capita_income" directly); `old` None when
    the household had none. Never raises for ordinary input: a failure is logged and the
    registry change goes on without the warning.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown registry change kind {kind}")
    today = today or datetime.now(CHINA).date()
    if kind == "economic_status":
        old, new = _with_income(old), _with_income(new)
    facts = rules.registry_facts(old, new)
    if not facts:
        return 0
    # The caller's own pending changes are flushed here, outside the guard: an error in them
    # is the registry command's to report, not a "warning not raised".
    session.flush()
    try:
        with session.begin_nested():
            return _raise(session, actor, household_id, kind, old, new, facts, today)
    except Exception:  # noqa: BLE001 - a warning must never stop the registry change itself
        log.exception("registry change of household %s: warnings not raised", household_id)
        return 0


def _raise(session: Session, actor: Actor, household_id: int, kind: str, old: dict | None, new: dict,
           facts: dict, today: date) -> int:
    household = session.get(Household, household_id)
    if household is None:
        return 0
    period = today.replace(day=1)
    # thresholds as in force on the month's first day, as for a department file of that month
    active = monitoring_rules.active_rules(session, period, source_code=rules.REGISTRY_SOURCE,
                                           indicators=set(facts))
    if not active:
        return 0
    frame = registry_frame_row(session, household, kind, old, new, facts)
    raised = 0
    for rule in active:
        hits = rules.evaluate(rule, frame, period)
        if hits.empty:
            continue
        hits = hits.assign(area_code=household.area_code)
        raised += warning_writer.write(session, hits=hits, rule=rule, period=period, source=rules.REGISTRY_SOURCE,
                                       batch_id=None, actor=actor, today=today)
    return raised


# --- economic status: the record before and after ------------------------------------------------

_ECONOMIC_KEYS = _INCOME_KEYS + ("housing_safety", "drinking_water_safe", "medical_insurance_ok")


def economic_state(record, member_count: int) -> dict:
    """An EconomicStatus row as on_registry_change reads it; per-capita income over the
    household's current member count (for the previous record too, so a member leaving does
    not show as an income change)."""
    values = {k: getattr(record, k) for k in _ECONOMIC_KEYS}
    return values | {"member_count": member_count}


def on_economic_status(session: Session, *, actor: Actor, household: Household, record,
                       today: date | None = None) -> int:
    """After a new economic-status record (already flushed): compare it with the household's
    latest earlier record and raise what the change means (nothing for a first record).
    Returns the number raised."""
    from sqlmodel import col, select

    from ..db.tables import EconomicStatus

    previous = session.exec(
        select(EconomicStatus).where(EconomicStatus.household_id == household.id, EconomicStatus.id != record.id,
                                     EconomicStatus.recorded_on <= record.recorded_on)
        .order_by(col(EconomicStatus.recorded_on).desc(), col(EconomicStatus.id).desc()).limit(1)).first()
    if previous is None:
        # The household's first record describes how it was found, not a change (as a new
        # member is not a "became" event).
        return 0
    members = household.member_count or 1
    return on_registry_change(session, actor=actor, household_id=household.id,
                              old=economic_state(previous, members),
                              new=economic_state(record, members), kind="economic_status", today=today)
