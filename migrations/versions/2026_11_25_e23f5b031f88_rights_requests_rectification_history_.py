"""Rights requests, rectification history, restrictions, marketing suppression, privacy
notice, recipients and deliveries, retention rules; audit events link rights requests.

Revision ID: e23f5b031f88
Revises: 42b69344593d
Create Date: 2026-11-25 04:16:04.719885
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql
import app.core.db

revision: str = 'e23f5b031f88'
down_revision: str | None = '42b69344593d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('marketing_suppression',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_suppression')),
    sa.UniqueConstraint('tenant_id', 'digest', name=op.f('uq_marketing_suppression_tenant_id_digest'))
    )
    with op.batch_alter_table('marketing_suppression', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_suppression_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('privacy_notice',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_privacy_notice_tenant_id'))
    )
    with op.batch_alter_table('privacy_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_notice_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('recipient',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('event_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipient'))
    )
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recipient_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('retention_rule',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('title_sv', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('title_en', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('verification_kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_retention_rule'))
    )
    op.create_table('rights_request',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('received_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('extension_months', sa.Integer(), nullable=False),
    sa.Column('extension_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('completed_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rights_request'))
    )
    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_request_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_request_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_request_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('delivery',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipient.id'], name=op.f('fk_delivery_recipient_id_recipient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_delivery_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('delivery_attempt',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_delivery_attempt_delivery_id_delivery'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempt'))
    )
    with op.batch_alter_table('delivery_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempt_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_attempt_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('record_history',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('rights_request_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_record_history_record_id_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_history'))
    )
    with op.batch_alter_table('record_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_history_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_history_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_history_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('restriction',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('rights_request_id', sa.Uuid(), nullable=True),
    sa.Column('placed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_restriction_record_id_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_restriction_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_restriction'))
    )
    with op.batch_alter_table('restriction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_restriction_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_restriction_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rights_request_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_event_rights_request_id'), ['rights_request_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_rights_request_id'))
        batch_op.drop_column('rights_request_id')

    with op.batch_alter_table('restriction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_restriction_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_restriction_subject_id'))

    op.drop_table('restriction')
    with op.batch_alter_table('record_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_history_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_record_history_subject_id'))
        batch_op.drop_index(batch_op.f('ix_record_history_record_id'))

    op.drop_table('record_history')
    with op.batch_alter_table('delivery_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempt_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_attempt_delivery_id'))

    op.drop_table('delivery_attempt')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_tenant_id'))
        batch_op.drop_index('ix_delivery_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_delivery_recipient_id'))

    op.drop_table('delivery')
    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_request_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_rights_request_subject_id'))
        batch_op.drop_index(batch_op.f('ix_rights_request_due_at'))

    op.drop_table('rights_request')
    op.drop_table('retention_rule')
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recipient_tenant_id'))

    op.drop_table('recipient')
    with op.batch_alter_table('privacy_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_notice_tenant_id'))

    op.drop_table('privacy_notice')
    with op.batch_alter_table('marketing_suppression', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_suppression_tenant_id'))

    op.drop_table('marketing_suppression')

