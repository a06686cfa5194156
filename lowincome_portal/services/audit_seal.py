"""Seals on audit entries: an HMAC of each entry's content under the deployment's secret key.

The database already refuses UPDATE and DELETE on the trail (migration triggers); the seal
catches what a person with direct database access could still do - switch the triggers off
and edit an entry, or insert one by hand - because they cannot compute a seal without the key,
which lives only in the environment. `lowincome-portal verify-audit` checks every entry.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from ..db.tables import AuditEntry
from ..deployment import secret_key

SEALED_FIELDS = ("at", "user_id", "username", "user_area_code", "action", "entity", "entity_id",
                 "old_values", "new_values", "note")


def _instant(at: datetime) -> str:
    # SQLite returns the stored UTC time without its zone, PostgreSQL in the session's zone:
    # both mean the same instant, written the same way here.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def seal_of(values: dict[str, Any], key: bytes | None = None) -> str:
    content = {name: values.get(name) for name in SEALED_FIELDS}
    content["at"] = _instant(content["at"])
    content = {k: ("" if v is None and k != "user_id" else v) for k, v in content.items()}
    message = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return hmac.new(key or secret_key(), message, hashlib.sha256).hexdigest()


@dataclass
class SealReport:
    checked: int = 0
    unsealed: int = 0  # written before seals existed (migration 0009)
    broken: list[int] = field(default_factory=list)  # ids whose content no longer matches its seal

    @property
    def intact(self) -> bool:
        return not self.broken


def verify(session: Session, batch: int = 5000) -> SealReport:
    """Check every entry's seal, streaming the trail in id order."""
    report = SealReport()
    key = secret_key()
    table = AuditEntry.__table__
    columns = [table.c.id, table.c.seal, *(table.c[name] for name in SEALED_FIELDS)]
    last_id = 0
    while True:
        rows = session.connection().execute(
            sa.select(*columns).where(table.c.id > last_id).order_by(table.c.id).limit(batch)).mappings().all()
        if not rows:
            return report
        for row in rows:
            report.checked += 1
            if not row["seal"]:
                report.unsealed += 1
            elif not hmac.compare_digest(row["seal"], seal_of(row, key)):
                report.broken.append(row["id"])
        last_id = rows[-1]["id"]
