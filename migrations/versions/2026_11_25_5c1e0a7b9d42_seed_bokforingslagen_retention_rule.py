"""Seed the built-in statutory retention rule: Bokföringslagen (1999:1078) 7 kap. 2 §.

Räkenskapsinformation (accounting records: invoices, and orders that serve as
verifications) is kept until and including the seventh year after the end of the
calendar year in which the financial year ended.

Revision ID: 5c1e0a7b9d42
Revises: e23f5b031f88
Create Date: 2026-11-25 04:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7b9d42"
down_revision: str | None = "e23f5b031f88"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = "se-bfl-7-2"


def upgrade() -> None:
    rules = sa.table(
        "retention_rule",
        sa.column("code", sa.String),
        sa.column("reference", sa.String),
        sa.column("title_sv", sa.String),
        sa.column("title_en", sa.String),
        sa.column("category", sa.String),
        sa.column("kinds", sa.JSON),
        sa.column("verification_kinds", sa.JSON),
        sa.column("basis", sa.String),
        sa.column("years", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        rules,
        [
            {
                "code": CODE,
                "reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
                "title_sv": "Räkenskapsinformation ska bevaras till och med det sjunde året "
                "efter utgången av det kalenderår då räkenskapsåret avslutades.",
                "title_en": "Accounting records are kept until and including the seventh year "
                "after the end of the calendar year in which the financial year ended.",
                "category": "sales_document",
                "kinds": ["invoice", "order"],
                "verification_kinds": ["order"],
                "basis": "financial_year_end",
                "years": 7,
                "active": True,
                "created_at": datetime(2026, 11, 25, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM retention_rule WHERE code = :code").bindparams(code=CODE))
