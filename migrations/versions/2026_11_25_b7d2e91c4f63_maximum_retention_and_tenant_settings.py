"""Maximum retention (Art 5(1)(e)), the end of a relationship, and tenant settings.

Retention rules gain `action` (`keep`: a hold, as every rule so far; `delete_after`: a
maximum) and `months` (periods in years and/or months). Existing rules — the built-in
Bokföringslagen rule `se-bfl-7-2` and tenants' own — become `keep` with 0 months: the
same behaviour. The built-in, inactive template for Preskriptionslag (1981:130) 2 § is
seeded. New tables: `relationship_end` (the day the relationship with a subject ended)
and `tenant_settings` (time zone, financial-year end, verification of requests).

Revision ID: b7d2e91c4f63
Revises: b3d8f1a2c4e5
Create Date: 2026-11-25 19:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "b7d2e91c4f63"
down_revision: str | None = "b3d8f1a2c4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRESKRIPTION = "se-preskription-2"


def upgrade() -> None:
    for table in ("retention_rule", "tenant_retention_rule"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "action",
                    sqlmodel.sql.sqltypes.AutoString(length=16),
                    server_default="keep",
                    nullable=False,
                )
            )
            batch.add_column(
                sa.Column("months", sa.Integer(), server_default="0", nullable=False)
            )

    rules = sa.table(
        "retention_rule",
        sa.column("code", sa.String),
        sa.column("reference", sa.String),
        sa.column("title_sv", sa.String),
        sa.column("title_en", sa.String),
        sa.column("category", sa.String),
        sa.column("kinds", sa.JSON),
        sa.column("verification_kinds", sa.JSON),
        sa.column("action", sa.String),
        sa.column("basis", sa.String),
        sa.column("years", sa.Integer),
        sa.column("months", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        rules,
        [
            {
                "code": PRESKRIPTION,
                "reference": "Preskriptionslag (1981:130) 2 §",
                "title_sv": "En fordran preskriberas tio år efter tillkomsten; handlingar som "
                "styrker fordringar bevaras så länge de kan göras gällande.",
                "title_en": "A claim becomes time-barred ten years after it arose; documents "
                "that evidence claims are kept as long as the claims can be enforced.",
                "category": "sales_document",
                "kinds": ["invoice", "order"],
                "verification_kinds": [],
                "action": "keep",
                "basis": "document_date",
                "years": 10,
                "months": 0,
                "active": False,
                "created_at": datetime(2026, 11, 25, tzinfo=UTC),
            }
        ],
    )

    op.create_table(
        "relationship_end",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("set_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_relationship_end_subject_id_subject"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relationship_end")),
        sa.UniqueConstraint(
            "tenant_id", "subject_id", name=op.f("uq_relationship_end_tenant_id_subject_id")
        ),
    )
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "financial_year_end", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False
        ),
        sa.Column("verification_required", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_tenant_settings_tenant_id")),
    )


def downgrade() -> None:
    op.drop_table("tenant_settings")
    op.drop_table("relationship_end")
    op.execute(
        sa.text("DELETE FROM retention_rule WHERE code = :code").bindparams(code=PRESKRIPTION)
    )
    # Rules the earlier schema cannot express (maxima, months, other bases) go.
    op.execute(
        sa.text(
            "DELETE FROM tenant_retention_rule WHERE action <> 'keep' OR months <> 0"
            " OR basis <> 'financial_year_end'"
        )
    )
    for table in ("retention_rule", "tenant_retention_rule"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("months")
            batch.drop_column("action")
