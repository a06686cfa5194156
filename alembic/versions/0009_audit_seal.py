"""audit entry seal: an HMAC of each entry under the deployment's secret key

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch copy: on SQLite a batch rebuild would drop the
    # triggers that keep the trail append-only. Earlier entries keep "" (unsealed).
    op.add_column('audit_entry', sa.Column('seal', sa.String(length=64), server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('audit_entry', 'seal')
