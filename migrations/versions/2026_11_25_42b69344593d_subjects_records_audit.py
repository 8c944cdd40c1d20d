"""Subjects, identifiers, external references, records and audit events.

Revision ID: 42b69344593d
Revises:
Create Date: 2026-11-25 04:03:00.170358
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql
import app.core.db

revision: str = '42b69344593d'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_audit_event_tenant_id_subject_id', ['tenant_id', 'subject_id'], unique=False)

    op.create_table('subject',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('marketing_objection', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('erased_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject'))
    )
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('external_ref',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('system', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_external_ref_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_ref')),
    sa.UniqueConstraint('tenant_id', 'system', 'ref', name=op.f('uq_external_ref_tenant_id_system_ref'))
    )
    with op.batch_alter_table('external_ref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_ref_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_ref_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('record',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_record_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record'))
    )
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index('ix_record_subject_id_category_id', ['subject_id', 'category', 'id'], unique=False)
        batch_op.create_index('ix_record_subject_id_id', ['subject_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('subject_identifier',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('created_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_subject_identifier_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_identifier')),
    sa.UniqueConstraint('subject_id', 'kind', 'value', name=op.f('uq_subject_identifier_subject_id_kind_value'))
    )
    with op.batch_alter_table('subject_identifier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_identifier_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_identifier_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_subject_identifier_tenant_id_kind_value', ['tenant_id', 'kind', 'value'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subject_identifier', schema=None) as batch_op:
        batch_op.drop_index('ix_subject_identifier_tenant_id_kind_value')
        batch_op.drop_index(batch_op.f('ix_subject_identifier_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_subject_identifier_subject_id'))

    op.drop_table('subject_identifier')
    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_tenant_id'))
        batch_op.drop_index('ix_record_subject_id_id')
        batch_op.drop_index('ix_record_subject_id_category_id')

    op.drop_table('record')
    with op.batch_alter_table('external_ref', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_ref_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_external_ref_subject_id'))

    op.drop_table('external_ref')
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_tenant_id'))

    op.drop_table('subject')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_tenant_id_subject_id')
        batch_op.drop_index(batch_op.f('ix_audit_event_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
