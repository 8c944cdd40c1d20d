"""Third-party review of a rights request (Art 15(4)): one decision per record and
request — release, redact named fields, or withhold — applied to all the request
releases.

Revision ID: e2f4a6c8b013
Revises: d1a7c3e5f820
Create Date: 2026-11-25 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "e2f4a6c8b013"
down_revision: str | None = "d1a7c3e5f820"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rights_request_review",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rights_request_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decided_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rights_request_id"],
            ["rights_request.id"],
            name=op.f("fk_rights_request_review_rights_request_id_rights_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request_review")),
        sa.UniqueConstraint(
            "rights_request_id",
            "record_id",
            name=op.f("uq_rights_request_review_rights_request_id_record_id"),
        ),
    )
    with op.batch_alter_table("rights_request_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rights_request_review_rights_request_id"),
            ["rights_request_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("rights_request_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_request_review_rights_request_id"))
    op.drop_table("rights_request_review")
