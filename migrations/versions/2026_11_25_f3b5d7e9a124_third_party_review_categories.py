"""The tenant setting `third_party_review_categories`: the record categories reviewed for
other people's data before a rights request releases anything (Art 15(4)).

Settings stored before take the default, `note` and `meeting` — the categories the
review covered until now. Downgrading drops the column; the review then covers those
two again.

Revision ID: f3b5d7e9a124
Revises: a3f6c2d8e417
Create Date: 2026-11-25 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f3b5d7e9a124"
down_revision: str | None = "a3f6c2d8e417"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("tenant_settings") as batch:
        batch.add_column(
            sa.Column(
                "third_party_review_categories",
                JSON,
                server_default='["note", "meeting"]',
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tenant_settings") as batch:
        batch.drop_column("third_party_review_categories")
