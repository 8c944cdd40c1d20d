"""Replace the lone tenant_id indexes with ones that serve the queries.

A lone tenant_id index tempted SQLite's planner to scan a whole tenant instead of
using a primary or foreign key; tables listed per tenant get (tenant_id, id).

Revision ID: 23374b2f496e
Revises: 5c1e0a7b9d42
Create Date: 2026-11-25 04:33:23.801708
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = '23374b2f496e'
down_revision: str | None = '5c1e0a7b9d42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_tenant_id'))
        batch_op.create_index('ix_audit_event_tenant_id_id', ['tenant_id', 'id'], unique=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_tenant_id'))
        batch_op.create_index('ix_delivery_tenant_id_id', ['tenant_id', 'id'], unique=False)

    with op.batch_alter_table('delivery_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempt_tenant_id'))

    with op.batch_alter_table('external_ref', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_ref_tenant_id'))

    with op.batch_alter_table('marketing_suppression', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_suppression_tenant_id'))

    with op.batch_alter_table('privacy_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_notice_tenant_id'))

    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recipient_tenant_id'))
        batch_op.create_index('ix_recipient_tenant_id_id', ['tenant_id', 'id'], unique=False)

    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_tenant_id'))

    with op.batch_alter_table('record_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_history_tenant_id'))

    with op.batch_alter_table('restriction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_restriction_tenant_id'))

    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_request_tenant_id'))
        batch_op.create_index('ix_rights_request_tenant_id_id', ['tenant_id', 'id'], unique=False)

    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_tenant_id'))

    with op.batch_alter_table('subject_identifier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_identifier_tenant_id'))




def downgrade() -> None:

    with op.batch_alter_table('subject_identifier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_identifier_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('rights_request', schema=None) as batch_op:
        batch_op.drop_index('ix_rights_request_tenant_id_id')
        batch_op.create_index(batch_op.f('ix_rights_request_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('restriction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_restriction_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('record_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_history_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_recipient_tenant_id_id')
        batch_op.create_index(batch_op.f('ix_recipient_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('privacy_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_notice_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('marketing_suppression', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_suppression_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('external_ref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_ref_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('delivery_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempt_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_tenant_id_id')
        batch_op.create_index(batch_op.f('ix_delivery_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_tenant_id_id')
        batch_op.create_index(batch_op.f('ix_audit_event_tenant_id'), ['tenant_id'], unique=False)


