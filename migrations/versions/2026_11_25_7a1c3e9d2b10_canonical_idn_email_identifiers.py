"""Email identifiers stored with a punycode domain take their canonical (Unicode) form.

Before this revision an address like `kund@xn--exmple-cua.se` was stored as written,
beside `kund@exämple.se` for the same mailbox. Such rows are rewritten with the one
canonical function the service uses; a row that then duplicates another identifier of
the same subject is removed. Downgrading keeps the canonical values (the spelling they
were written in is not kept).

Revision ID: 7a1c3e9d2b10
Revises: e4bc182228e6
Create Date: 2026-11-25 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.subjects.identifiers import normalise_email

revision: str = "7a1c3e9d2b10"
down_revision: str | None = "e4bc182228e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

identifier = sa.table(
    "subject_identifier",
    sa.column("id", sa.Uuid()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("value", sa.String()),
)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(identifier.c.id, identifier.c.subject_id, identifier.c.value).where(
            identifier.c.kind == "email", identifier.c.value.like("%xn--%")
        )
    ).all()
    for row_id, subject_id, value in rows:
        try:
            canonical = normalise_email(value)
        except ValueError:
            continue  # not an address by today's rules; left for a person to look at
        if canonical == value:
            continue
        duplicate = conn.execute(
            sa.select(identifier.c.id).where(
                identifier.c.subject_id == subject_id,
                identifier.c.kind == "email",
                identifier.c.value == canonical,
            )
        ).first()
        if duplicate is not None:
            conn.execute(sa.delete(identifier).where(identifier.c.id == row_id))
        else:
            conn.execute(
                sa.update(identifier).where(identifier.c.id == row_id).values(value=canonical)
            )


def downgrade() -> None:
    pass
