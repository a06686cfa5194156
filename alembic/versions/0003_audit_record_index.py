"""audit trail: composite index on (entity, entity_id) for a record's history

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_entry_entity_entity_id", "audit_entry", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_entity_entity_id", table_name="audit_entry")
