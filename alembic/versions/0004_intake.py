"""intake: applications, steps, public notices, objections; tag review dates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:23:14.093809
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('public_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('track', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['created_by'], ['portal_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('public_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_notice_area_code'), ['area_code'], unique=False)

    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_no', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('track', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('state_entered_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_estimated', sa.Boolean(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('applicant_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('applicant_id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('applicant_phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('difficulty', sa.Text(), server_default='', nullable=False),
    sa.Column('members_json', sa.Text(), server_default='', nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submission_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('staff_relative', sa.Boolean(), nullable=False),
    sa.Column('staff_relative_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('green_channel', sa.Boolean(), nullable=False),
    sa.Column('monitoring_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_tags', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('decision_reasons', sa.Text(), server_default='', nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('disclosure_id', sa.Integer(), nullable=True),
    sa.Column('fields_prefilled', sa.Integer(), nullable=False),
    sa.Column('fields_typed', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['created_by'], ['portal_user.id'], ),
    sa.ForeignKeyConstraint(['disclosure_id'], ['public_notice.id'], ),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['public_notice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('submission_key'),
    sa.UniqueConstraint('tracking_no')
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_applicant_id_number'), ['applicant_id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_area_code'), ['area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_client_key'), ['client_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_track'), ['track'], unique=False)

    op.create_table('application_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('comment', sa.Text(), server_default='', nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('application_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_event_application_id'), ['application_id'], unique=False)

    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('raised_by', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('content', sa.Text(), server_default='', nullable=False),
    sa.Column('resolution', sa.Text(), server_default='', nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['portal_user.id'], ),
    sa.ForeignKeyConstraint(['resolved_by'], ['portal_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('household_tag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('review_due_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_household_tag_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_tag_review_due_on'), ['review_due_on'], unique=False)
        batch_op.create_foreign_key('fk_household_tag_application_id', 'application', ['application_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('household_tag', schema=None) as batch_op:
        batch_op.drop_constraint('fk_household_tag_application_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_household_tag_review_due_on'))
        batch_op.drop_index(batch_op.f('ix_household_tag_application_id'))
        batch_op.drop_column('review_due_on')
        batch_op.drop_column('application_id')

    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_application_id'))

    op.drop_table('objection')
    with op.batch_alter_table('application_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_event_application_id'))

    op.drop_table('application_event')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_track'))
        batch_op.drop_index(batch_op.f('ix_application_state'))
        batch_op.drop_index(batch_op.f('ix_application_household_id'))
        batch_op.drop_index(batch_op.f('ix_application_due_on'))
        batch_op.drop_index(batch_op.f('ix_application_client_key'))
        batch_op.drop_index(batch_op.f('ix_application_area_code'))
        batch_op.drop_index(batch_op.f('ix_application_applicant_id_number'))

    op.drop_table('application')
    with op.batch_alter_table('public_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_notice_area_code'))

    op.drop_table('public_notice')
