"""Cursor pagination: `?limit=` (1-500, default 50) and an opaque `?cursor=`.

Ids are UUIDv7, so ordering by id is ordering by creation; the cursor is the last id
of the previous page, base64url-encoded so that callers treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import BadRequest

T = TypeVar("T")
M = TypeVar("M")

DEFAULT_LIMIT = 50
# A cursor is the last id of the page, 16 bytes in unpadded base64url.
CURSOR_PATTERN = "^[A-Za-z0-9_-]{22}$"
_CURSOR = re.compile(CURSOR_PATTERN)
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `?cursor=` to get the next page; `null` on the last page.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )


class PageParams(BaseModel):
    limit: int
    after: uuid.UUID | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    if not _CURSOR.fullmatch(cursor):
        raise BadRequest("The cursor is not valid; use a `next_cursor` from a previous page.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(
            "The cursor is not valid; use a `next_cursor` from a previous page."
        ) from exc


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-500).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            description="`next_cursor` of the previous page.",
            # Documented for clients; a malformed one is a 400 (`decode_cursor`).
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> PageParams:
    # An empty `?cursor=` is a malformed cursor, not an absent one (400).
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor is not None else None)


def paginate(
    session: Session,
    statement: SelectOfScalar[M],
    id_column: Any,
    params: PageParams,
    *,
    descending: bool = False,
) -> tuple[Sequence[M], str | None]:
    """Run `statement` ordered by id (oldest first, or newest first with `descending`),
    one page at a time; the cursor continues in the same direction."""
    column = col(id_column)
    if params.after is not None:
        statement = statement.where(column < params.after if descending else column > params.after)
    order = column.desc() if descending else column
    rows = session.exec(statement.order_by(order).limit(params.limit + 1)).all()
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(getattr(rows[-1], "id"))  # noqa: B009
    return rows, None


__all__ = ["Page", "PageParams", "page_params", "paginate", "select"]
