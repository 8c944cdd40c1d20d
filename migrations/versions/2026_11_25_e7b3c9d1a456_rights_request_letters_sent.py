"""Letters to the person about a rights request, recorded as sent (kind, language,
channel, when, by whom). The letters themselves are rendered, not stored.

Revision ID: e7b3c9d1a456
Revises: f3b5d7e9a124
Create Date: 2026-11-25 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "e7b3c9d1a456"
down_revision: str | None = "f3b5d7e9a124"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rights_request_letter",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rights_request_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("sent_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["rights_request_id"],
            ["rights_request.id"],
            name=op.f("fk_rights_request_letter_rights_request_id_rights_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request_letter")),
    )
    with op.batch_alter_table("rights_request_letter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rights_request_letter_rights_request_id"),
            ["rights_request_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("rights_request_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_request_letter_rights_request_id"))
    op.drop_table("rights_request_letter")
