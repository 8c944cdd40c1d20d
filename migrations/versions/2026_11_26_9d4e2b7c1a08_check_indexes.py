"""Indexes for the marketing check and the import: identifiers covering their subject,
a partial index of the flagged subjects, and no duplicate index on subject_id.

The lookup of identifiers reads the subject id from the index (no table row per
identifier), and the subject probe that follows reads a partial index of the subjects
that are restricted or object, a small fraction of all. `ix_subject_identifier_subject_id`
duplicated the leading column of the unique (subject_id, kind, value) constraint: one
index fewer to write on every imported identifier.

Revision ID: 9d4e2b7c1a08
Revises: c0a1e5d2b7f3
Create Date: 2026-11-26 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4e2b7c1a08"
down_revision: str | None = "c0a1e5d2b7f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGGED = sa.text("restricted OR marketing_objection")


def upgrade() -> None:
    op.create_index(
        "ix_subject_identifier_tenant_id_kind_value_subject_id",
        "subject_identifier",
        ["tenant_id", "kind", "value", "subject_id"],
    )
    op.drop_index("ix_subject_identifier_tenant_id_kind_value", table_name="subject_identifier")
    op.drop_index("ix_subject_identifier_subject_id", table_name="subject_identifier")
    op.create_index(
        "ix_subject_id_restricted_or_objecting",
        "subject",
        ["id"],
        postgresql_where=FLAGGED,
        sqlite_where=FLAGGED,
    )


def downgrade() -> None:
    op.drop_index("ix_subject_id_restricted_or_objecting", table_name="subject")
    op.create_index("ix_subject_identifier_subject_id", "subject_identifier", ["subject_id"])
    op.create_index(
        "ix_subject_identifier_tenant_id_kind_value",
        "subject_identifier",
        ["tenant_id", "kind", "value"],
    )
    op.drop_index(
        "ix_subject_identifier_tenant_id_kind_value_subject_id", table_name="subject_identifier"
    )
