"""Holds cannot be bypassed: enforced at flush, for every write path.

Before any flush, every record about to be changed or deleted through the ORM is
checked against the holds that cover it *as stored* (GDPR Art 17(3)(b) and (e);
Bokföringslagen 7 kap. 2 §):

- a record under a **legal hold** cannot change its content nor be deleted;
- a record a `keep` **retention rule** holds cannot be deleted, nor have a field changed
  that the rule reads (`fields_read`: for sales documents `kind`, `date`,
  `financial_year_end`, `is_verification`; for network records `last_seen`), since that
  would end or shorten the hold by rewriting it. The other bases read no record field
  that a write can change (`created_at`; the relationship's end is guarded where it is
  recorded, `app.retention.relationships`).

The check runs inside the writer's transaction after the subject's row lock was taken
(every record write locks its subject first, and placing a hold locks it too), so a
hold placed concurrently is either seen here or placed after this write commits. Bulk
SQL deletes (erasure, purge) compute their holds under the same lock themselves.
Refusals raise `RecordHeld` (409), which lists the holds.

One move is allowed: a merge of duplicates (`app.subjects.merge`) re-parents a held
record to the subject it merges into while moving the record's holds along in the same
transaction (legal holds follow to the target; statutory holds read the record's own
data, which does not change). It registers each record and its new subject with
`allow_merge_move` first; a change of anything else, or to another subject, is still
refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, col, select

from app.core.clock import session_now
from app.core.errors import Conflict
from app.retention.holds import LEGAL, Hold, subject_retention
from app.retention.rules import RuleLike, fields_read
from app.retention.service import active_rules
from app.subjects.models import Record, Subject

MERGE_MOVES_KEY = "retention.merge_moves"

# Columns that are a record's content; `restricted`, `kept_until` and the timestamps
# are bookkeeping that erasure and restriction must still be able to set.
CONTENT_COLUMNS = ("data", "category", "source", "origin", "subject_id")


class RecordHeld(Conflict):
    """A write to a record that a hold protects."""

    slug = "record-held"
    title = "Record held"

    def __init__(self, detail: str, holds: Iterable[Hold]):
        super().__init__(detail)
        self.extensions = {
            "holds": [
                {
                    "kind": h.kind,
                    "id": h.id,
                    "reference": h.reference,
                    "until": h.until.isoformat() if h.until else None,
                }
                for h in holds
            ]
        }


def _changed_content(session: Session, record: Record) -> dict[str, Any] | None:
    """The record's stored content if a content column changed, else None."""
    state = inspect(record)
    if state.transient or state.pending:
        return None
    old: dict[str, Any] = {}
    unknown = False
    for column in CONTENT_COLUMNS:
        history = state.attrs[column].history
        if not history.has_changes():
            old[column] = getattr(record, column)
        elif history.deleted:
            old[column] = history.deleted[0]
        else:
            unknown = True  # set without having been loaded: read what is stored
    if len(old) == len(CONTENT_COLUMNS) and all(
        not state.attrs[c].history.has_changes() for c in CONTENT_COLUMNS
    ):
        return None
    if unknown:
        row = session.execute(
            select(*(getattr(Record, c) for c in CONTENT_COLUMNS)).where(
                col(Record.id) == record.id
            )
        ).one()
        old = dict(zip(CONTENT_COLUMNS, row, strict=True))
    return old


def allow_merge_move(session: Session, record_ids: Iterable[Any], *, into: Any) -> None:
    """Let this transaction move these records to subject `into`, and nothing else.

    Only for the merge of duplicates, which moves the records' legal holds to `into` in
    the same transaction (see the module's docstring).
    """
    moves: dict[Any, Any] = session.info.setdefault(MERGE_MOVES_KEY, {})
    moves.update(dict.fromkeys(record_ids, into))


@event.listens_for(Session, "after_transaction_end")
def _forget_merge_moves(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(MERGE_MOVES_KEY, None)


def _is_merge_move(session: Session, record: Record, old: dict[str, Any]) -> bool:
    into = session.info.get(MERGE_MOVES_KEY, {}).get(record.id)
    return (
        into is not None
        and record.subject_id == into
        and old["subject_id"] != into
        and all(old[c] == getattr(record, c) for c in CONTENT_COLUMNS if c != "subject_id")
    )


def _changed_rule_fields(old_data: dict[str, Any], new_data: dict[str, Any]) -> set[str]:
    return {k for k in set(old_data) | set(new_data) if old_data.get(k) != new_data.get(k)}


def _holds(session: Session, record: Record, stored: dict[str, Any]) -> list[Hold]:
    subject = session.get(Subject, stored["subject_id"])
    retention = subject_retention(
        session,
        stored["subject_id"],
        erased_at=subject.erased_at if subject is not None else None,
        now=session_now(session),
    )
    return retention.holds(record.id, stored["category"], stored["data"], record.created_at)


@event.listens_for(Session, "before_flush")
def _guard_held_records(session: Session, _context: Any, _instances: Any) -> None:
    changed = [
        (obj, old)
        for obj in session.dirty
        if isinstance(obj, Record) and (old := _changed_content(session, obj)) is not None
    ]
    deleted = [obj for obj in session.deleted if isinstance(obj, Record)]
    if not changed and not deleted:
        return
    with session.no_autoflush:
        rules = active_rules(session)
        for record in deleted:
            stored = {c: getattr(record, c) for c in CONTENT_COLUMNS}
            holds = _holds(session, record, stored)
            if holds:
                raise RecordHeld("The record is held and cannot be deleted.", holds)
        for record, old in changed:
            if _is_merge_move(session, record, old):
                continue
            holds = _holds(session, record, old)
            legal = [h for h in holds if h.kind == LEGAL]
            if legal:
                raise RecordHeld("The record is under a legal hold and cannot be changed.", legal)
            if not holds:
                continue
            if any(old[c] != getattr(record, c) for c in CONTENT_COLUMNS if c != "data"):
                raise RecordHeld("The record is held and cannot be moved or recategorised.", holds)
            touched = _changed_rule_fields(old["data"] or {}, record.data or {})
            read = set().union(*(fields_read(r) for r in rules if _rule_holds(r, holds)))
            if touched & read:
                raise RecordHeld(
                    "The record is held by a retention rule that reads the changed fields "
                    f"({', '.join(sorted(touched & read))}); they cannot change while it holds.",
                    [h for h in holds if h.kind != LEGAL],
                )


def _rule_holds(rule: RuleLike, holds: list[Hold]) -> bool:
    return any(h.id == rule.code for h in holds if h.kind != LEGAL)
