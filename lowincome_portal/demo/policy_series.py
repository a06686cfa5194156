"""Dated demo values of the means-test numbers, so the demo shows that standards change over
time and that an assessment uses the numbers in force on its day.

The figures are rural Chongqing-like, for demonstration only, not official standards.
The latest value of each changing series equals the catalogue default and carries the same
date, and the steady numbers repeat the default from an earlier date, so seeding the
defaults and the series in either order gives one consistent history. Idempotent: a
(code, effective date) that already has a row is left alone.

Call `seed_policy_series(session)` after `seed_demo(session)` (same unit of work is fine).
"""

from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from ..db.tables import PolicyParameter
from ..domain.parameters import CATALOGUE
from ..services import audit

NOTE = "演示数据（参照重庆农村标准，非正式文件）"

# The numbers that did not change in the demo years: in force from 2024 (at the catalogue
# default) so that a demo household can be assessed for any day since then.
STEADY = ("edge_multiplier", "rigid_share", "deposit_limit_per_capita", "vehicle_limit",
          "extra_house_limit", "business_limit")

SERIES: dict[str, tuple[tuple[date, Decimal], ...]] = {
    "dibao_standard_monthly": (
        (date(2023, 7, 1), Decimal("575")),
        (date(2024, 7, 1), Decimal("600")),
        (date(2025, 7, 1), Decimal("630")),
    ),
    # Last year's rural per-capita disposable income, in force from January of the next year.
    "income_reference_annual": (
        (date(2024, 1, 1), Decimal("20820")),
        (date(2025, 1, 1), Decimal("22131")),
    ),
    "monitoring_line_annual": (
        (date(2024, 1, 1), Decimal("7000")),
        (date(2025, 1, 1), Decimal("7300")),
    ),
    **{code: ((date(2024, 1, 1), CATALOGUE[code].default),) for code in STEADY},
}


def seed_policy_series(session: Session) -> int:
    """Add the demo series where missing; returns how many values were added."""
    existing = set(session.exec(select(PolicyParameter.code, PolicyParameter.effective_from)).all())
    added = 0
    for code, values in SERIES.items():
        for effective_from, value in values:
            if (code, effective_from) in existing:
                continue
            session.add(PolicyParameter(code=code, value=value, effective_from=effective_from, note=NOTE))
            audit.record(session, actor=None, action="create", entity="policy_parameter", entity_id=code,
                         username="system", new={"value": value, "effective_from": effective_from},
                         note=NOTE)
            added += 1
    return added
