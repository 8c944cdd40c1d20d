"""Privacy notices become published versions, kept append-only.

`privacy_notice` (one row per tenant, replaced in place) becomes
`privacy_notice_version` (one row per published version, never changed). Each stored
notice becomes version 1 of its tenant with `format` 1: its free texts predate the
complete model (Art 13/14), so it stays in the history but is not served as the current
notice until the tenant publishes a complete one (version 2).

Downgrading restores each tenant's latest `format` 1 notice; notices published in the
complete model have no place in the old table and are dropped.

Revision ID: b7d4e2a91c35
Revises: f527d4e5437f
Create Date: 2026-11-25 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "b7d4e2a91c35"
down_revision: str | None = "f527d4e5437f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

old = sa.table(
    "privacy_notice",
    sa.column("tenant_id", sa.String()),
    sa.column("id", sa.Uuid()),
    sa.column("document", JSON),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", app.core.db.UTCDateTime(timezone=True)),
    sa.column("updated_by", sa.String()),
)
new = sa.table(
    "privacy_notice_version",
    sa.column("tenant_id", sa.String()),
    sa.column("id", sa.Uuid()),
    sa.column("version", sa.Integer()),
    sa.column("format", sa.Integer()),
    sa.column("document", JSON),
    sa.column("published_at", app.core.db.UTCDateTime(timezone=True)),
    sa.column("published_by", sa.String()),
)


def upgrade() -> None:
    op.create_table(
        "privacy_notice_version",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("published_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_notice_version")),
        sa.UniqueConstraint(
            "tenant_id", "version", name=op.f("uq_privacy_notice_version_tenant_id_version")
        ),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(old.c.tenant_id, old.c.id, old.c.document, old.c.updated_at, old.c.updated_by)
    ).all()
    for tenant_id, row_id, document, updated_at, updated_by in rows:
        conn.execute(
            new.insert().values(
                tenant_id=tenant_id,
                id=row_id,
                version=1,
                format=1,
                document=document,
                published_at=updated_at,
                published_by=updated_by,
            )
        )
    op.drop_table("privacy_notice")


def downgrade() -> None:
    op.create_table(
        "privacy_notice",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_notice")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_privacy_notice_tenant_id")),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            new.c.tenant_id, new.c.id, new.c.document, new.c.published_at, new.c.published_by
        ).where(new.c.format == 1)
    ).all()
    for tenant_id, row_id, document, published_at, published_by in rows:
        conn.execute(
            old.insert().values(
                tenant_id=tenant_id,
                id=row_id,
                document=document,
                version=1,
                updated_at=published_at,
                updated_by=published_by,
            )
        )
    op.drop_table("privacy_notice_version")
