"""Rights requests: intake for anyone, identity verification and the paused deadline.

`subject_id` becomes nullable (a requester no subject matched); new columns `channel`,
`requester` (the requester's canonical identifiers, cleared on completion),
`matched_subject_ids`, `verification_method`, `verified_at`, `paused_since`,
`pause_reason`, `paused_days` and `information_asked`; `status` is wider for
`awaiting_verification`. Stored requests matched their own subject and stay as they are
(`open` or `completed`). Downgrading drops the requests no subject matched.

Revision ID: d1a7c3e5f820
Revises: c4e8a1f3d902
Create Date: 2026-11-25 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "d1a7c3e5f820"
down_revision: str | None = "c4e8a1f3d902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

requests = sa.table(
    "rights_request",
    sa.column("id", sa.Uuid()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("matched_subject_ids", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("rights_request") as batch:
        batch.alter_column("subject_id", existing_type=sa.Uuid(), nullable=True)
        batch.alter_column(
            "status",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
            type_=sqlmodel.sql.sqltypes.AutoString(length=24),
            existing_nullable=False,
        )
        batch.add_column(
            sa.Column(
                "channel",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default="api",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("requester", JSON, nullable=True))
        batch.add_column(
            sa.Column("matched_subject_ids", JSON, server_default="[]", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "verification_method", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
        batch.add_column(
            sa.Column("verified_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("paused_since", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("pause_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch.add_column(sa.Column("paused_days", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column(
                "information_asked", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
            )
        )
    connection = op.get_bind()
    for row in connection.execute(sa.select(requests.c.id, requests.c.subject_id)).all():
        connection.execute(
            requests.update()
            .where(requests.c.id == row.id)
            .values(matched_subject_ids=[str(row.subject_id)])
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM rights_request WHERE subject_id IS NULL"))
    # The former statuses knew no verification: such requests count as open.
    op.execute(
        sa.text("UPDATE rights_request SET status = 'open' WHERE status = 'awaiting_verification'")
    )
    with op.batch_alter_table("rights_request") as batch:
        batch.drop_column("information_asked")
        batch.drop_column("paused_days")
        batch.drop_column("pause_reason")
        batch.drop_column("paused_since")
        batch.drop_column("verified_at")
        batch.drop_column("verification_method")
        batch.drop_column("matched_subject_ids")
        batch.drop_column("requester")
        batch.drop_column("channel")
        batch.alter_column(
            "status",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=24),
            type_=sqlmodel.sql.sqltypes.AutoString(length=16),
            existing_nullable=False,
        )
        batch.alter_column("subject_id", existing_type=sa.Uuid(), nullable=False)
