"""Legal holds, stored erasure reports, the kept-until date of held records, and
an item count on audit events (for the purge).

Revision ID: 5decf4185cf1
Revises: 23374b2f496e
Create Date: 2026-11-25 05:42:49.612309
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql
import app.core.db

revision: str = '5decf4185cf1'
down_revision: str | None = '23374b2f496e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('erasure',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('erased_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure')),
    sa.UniqueConstraint('tenant_id', 'subject_id', name=op.f('uq_erasure_tenant_id_subject_id'))
    )
    op.create_table('legal_hold',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('placed_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('placed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('ends_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_at', app.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_hold'))
    )
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hold_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_hold_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index('ix_legal_hold_tenant_id_id', ['tenant_id', 'id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('items', sa.Integer(), nullable=True))

    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_until', sa.Date(), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('record', schema=None) as batch_op:
        batch_op.drop_column('kept_until')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('items')

    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_hold_tenant_id_id')
        batch_op.drop_index(batch_op.f('ix_legal_hold_subject_id'))
        batch_op.drop_index(batch_op.f('ix_legal_hold_record_id'))

    op.drop_table('legal_hold')
    op.drop_table('erasure')

