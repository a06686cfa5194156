"""referrals: needs, referrals, steps, notifications; what partners offer (existing partners get empty lists)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:32:15.521576
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('urgency', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('source_ref', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('closed_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['portal_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_area_code'), ['area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_status'), ['status'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('claim_due_on', sa.Date(), nullable=True),
    sa.Column('delivery_due_on', sa.Date(), nullable=True),
    sa.Column('claimed_on', sa.Date(), nullable=True),
    sa.Column('claimed_by', sa.Integer(), nullable=True),
    sa.Column('duplicate_justification', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('higher_benefit_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('outcome', sa.Text(), server_default='', nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('attachments', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('return_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['claimed_by'], ['portal_user.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['portal_user.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_area_code'), ['area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_status'), ['status'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('href', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('referral_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_event_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assistance_kinds', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('areas_served', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('capacity')
        batch_op.drop_column('areas_served')
        batch_op.drop_column('assistance_kinds')

    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_event_referral_id'))

    op.drop_table('referral_event')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_organisation_id'))

    op.drop_table('notification')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_status'))
        batch_op.drop_index(batch_op.f('ix_referral_period'))
        batch_op.drop_index(batch_op.f('ix_referral_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_referral_need_id'))
        batch_op.drop_index(batch_op.f('ix_referral_kind'))
        batch_op.drop_index(batch_op.f('ix_referral_household_id'))
        batch_op.drop_index(batch_op.f('ix_referral_area_code'))

    op.drop_table('referral')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_status'))
        batch_op.drop_index(batch_op.f('ix_need_kind'))
        batch_op.drop_index(batch_op.f('ix_need_household_id'))
        batch_op.drop_index(batch_op.f('ix_need_area_code'))

    op.drop_table('need')
