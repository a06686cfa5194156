"""Read the policy numbers in force on a date, and seed the catalogue's defaults."""

from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from ..db.tables import PolicyParameter
from ..domain.parameters import CATALOGUE
from . import audit


class MissingParameter(LookupError):
    """A parameter has no value in force: the county has not set it up (a setup bug)."""


def value_on(session: Session, code: str, on: date | None = None) -> Decimal:
    """The value of `code` in force on `on` (default today)."""
    on = on or date.today()
    return decimal_of(code, on, session.exec(select(in_force(code, on))).first())


def in_force(code: str, on: date):
    """The value of `code` in force on `on` as a scalar subquery, for a caller that reads it in
    the same statement as other things (the session check on every click)."""
    return (select(PolicyParameter.value)
            .where(PolicyParameter.code == code, PolicyParameter.effective_from <= on)
            .order_by(col(PolicyParameter.effective_from).desc())
            .limit(1)
            .scalar_subquery())


def decimal_of(code: str, on: date, value: str | None) -> Decimal:
    """A value read through `in_force` as a number; none in force is a setup bug."""
    if value is None:
        raise MissingParameter(f"policy parameter {code!r} has no value in force on {on}")
    return Decimal(value)


def seed_defaults(session: Session) -> int:
    """Give every catalogued parameter its default, where the county has none yet."""
    existing = set(session.exec(select(PolicyParameter.code).distinct()).all())
    added = 0
    for spec in CATALOGUE.values():
        if spec.code not in existing:
            session.add(PolicyParameter(code=spec.code, value=spec.default,
                                        effective_from=spec.default_from, note="系统默认值"))
            audit.record(session, actor=None, action="create", entity="policy_parameter",
                         entity_id=spec.code, username="system",
                         new={"value": spec.default, "effective_from": spec.default_from},
                         note="系统初始化默认值")
            added += 1
    return added
