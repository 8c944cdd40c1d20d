"""A rights request's own retention: the tenant setting `rights_request_retention_months`.

New column on `tenant_settings`: how many months a completed rights request is kept
after its completion (1 to 120). Settings stored before take the default, 36 months; a
tenant that never stored settings has the defaults anyway. Downgrading drops the
column: completed requests are then kept without end again, as before.

Revision ID: a3f6c2d8e417
Revises: e2f4a6c8b013
Create Date: 2026-11-25 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3f6c2d8e417"
down_revision: str | None = "e2f4a6c8b013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenant_settings") as batch:
        batch.add_column(
            sa.Column(
                "rights_request_retention_months",
                sa.Integer(),
                server_default="36",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("tenant_settings") as batch:
        batch.drop_column("rights_request_retention_months")
