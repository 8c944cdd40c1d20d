"""Optimistic concurrency in the ORM: no write path can lose an update.

A table with a `version` column that mixes in `Versioned` is updated with
`UPDATE ... SET version = <new> WHERE id = ? AND version = <the version read>`
(SQLAlchemy's `version_id_col`): a write based on a stale read changes no row and
raises `StaleDataError`, which the error handlers answer with 412 (the caller sent
`If-Match`) or 409.

The version (the ETag) goes up by exactly one per transaction that changes the row,
however many flushes that transaction makes: the first flush that updates the row
bumps it (unless the code set it itself), later flushes keep it. Services therefore
never bump versions by hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import SessionTransaction, declared_attr
from sqlmodel import Session

_BUMPED_KEY = "versioned_bumped"


class Versioned:
    """Mixin for table models with an integer `version` column (their ETag)."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {
            "version_id_col": cls.__table__.c.version,  # type: ignore[attr-defined]
            # The value comes from `_bump_versions` below, once per transaction.
            "version_id_generator": False,
        }


@event.listens_for(Session, "before_flush")
def _bump_versions(session: Session, _context: Any, _instances: Any) -> None:
    bumped: set[tuple[type, Any]] = session.info.setdefault(_BUMPED_KEY, set())
    for obj in session.dirty:
        if not isinstance(obj, Versioned):
            continue
        state = inspect(obj)
        key = (type(obj), state.identity)
        if key in bumped or not session.is_modified(obj, include_collections=False):
            continue
        bumped.add(key)
        if not state.attrs.version.history.has_changes():
            obj.version += 1  # type: ignore[attr-defined]


@event.listens_for(Session, "after_transaction_end")
def _forget_bumps(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_BUMPED_KEY, None)
