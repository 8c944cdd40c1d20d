"""Which holds cover a record, and until when — the one question erasure asks.

A record may not be erased while any hold covers it (GDPR Art 17(3)(b) legal
obligation, 17(3)(e) legal claims):

- a **statutory** hold: a retention rule (data, e.g. Bokföringslagen 7 kap. 2 §) that
  covers the record and whose date has not passed — kept *until and including* that day;
- a **legal** hold: placed on the record or on its subject, not released, and not past
  its `ends_at` — kept until `ends_at`, or with no end (`until: null`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from app.retention.models import LegalHold
from app.retention.rules import RuleLike, statutory_holds

STATUTORY = "statutory"
LEGAL = "legal"


@dataclass(frozen=True)
class Hold:
    kind: str  # statutory | legal
    id: str  # the rule code or the legal hold id
    reference: str  # the law, or the hold's reason
    until: date | None  # last day kept; None: no end


def active_legal_holds(session: Session, subject_id: uuid.UUID, now: datetime) -> list[LegalHold]:
    """The subject's legal holds in force now (on the subject or on its records)."""
    return list(
        session.exec(
            select(LegalHold)
            .where(LegalHold.subject_id == subject_id, col(LegalHold.released_at).is_(None))
            .where(or_(col(LegalHold.ends_at).is_(None), col(LegalHold.ends_at) > now))
            .order_by(col(LegalHold.id))
        ).all()
    )


def holds_on(
    *,
    record_id: uuid.UUID,
    category: str,
    data: Mapping[str, Any],
    rules: Iterable[RuleLike],
    legal_holds: Sequence[LegalHold],
    today: date,
) -> list[Hold]:
    """Every hold that covers the record today; empty means it may be erased."""
    holds = [
        Hold(kind=STATUTORY, id=h.rule_code, reference=h.reference, until=h.until)
        for h in statutory_holds(rules, category, data)
        if h.until >= today
    ]
    for legal in legal_holds:
        if legal.record_id is None or legal.record_id == record_id:
            holds.append(
                Hold(
                    kind=LEGAL,
                    id=str(legal.id),
                    reference=legal.reason,
                    until=legal.ends_at.date() if legal.ends_at else None,
                )
            )
    return holds


def kept_until(holds: Sequence[Hold]) -> date | None:
    """The last day any of the holds keeps the record; None while one has no end."""
    if any(h.until is None for h in holds):
        return None
    return max(h.until for h in holds if h.until is not None)
