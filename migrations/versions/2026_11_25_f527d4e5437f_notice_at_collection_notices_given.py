"""The notice at collection (Art 13/14): `subject.notice_given_at` and its history.

`notice_given` keeps every notice given to a subject (channel, moment, version, who
recorded it); `subject.notice_given_at` is the first, and an index serves the list of
subjects still to be informed. Existing subjects start with no notice recorded: the
service has no proof that they were informed, so they are listed as due.

Revision ID: f527d4e5437f
Revises: 7a1c3e9d2b10
Create Date: 2026-11-25 19:05:38.962462
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = 'f527d4e5437f'
down_revision: str | None = '7a1c3e9d2b10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notice_given',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('given_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_notice_given_subject_id_subject'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_given')),
    sa.UniqueConstraint('subject_id', 'notice_version', 'channel', 'given_at', name=op.f('uq_notice_given_subject_id_notice_version_channel_given_at'))
    )
    with op.batch_alter_table('notice_given', schema=None) as batch_op:
        batch_op.create_index('ix_notice_given_subject_id_id', ['subject_id', 'id'], unique=False)

    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_given_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_subject_tenant_id_notice_given_at_id', ['tenant_id', 'notice_given_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_index('ix_subject_tenant_id_notice_given_at_id')
        batch_op.drop_column('notice_given_at')

    with op.batch_alter_table('notice_given', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_given_subject_id_id')

    op.drop_table('notice_given')
