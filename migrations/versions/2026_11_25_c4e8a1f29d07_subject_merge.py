"""Duplicates joined into one subject: `subject.merged_into`.

A merged subject keeps its row (status `merged`, no identifiers, no records) so that its
id still answers, redirecting to the subject it was merged into.

Revision ID: c4e8a1f29d07
Revises: b7d2e91c4f63
Create Date: 2026-11-25 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a1f29d07"
down_revision: str | None = "b7d2e91c4f63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subject") as batch:
        batch.add_column(sa.Column("merged_into", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subject") as batch:
        batch.drop_column("merged_into")
