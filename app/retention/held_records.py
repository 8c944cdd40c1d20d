"""Reading held records for the purpose they are held for (GDPR Art 18(2)).

A record kept after its subject's erasure, or under a legal hold, is restricted: a
processing read (`subjects:read`) answers 423. It is kept for a purpose, though, and
must be usable for it: for the establishment, exercise or defence of legal claims
(Art 17(3)(e), 18(2)), and, for räkenskapsinformation, by the auditors and the tax
agency it is kept for (Bokföringslagen (1999:1078) 7 kap. 2 §: kept "i sådant skick
att den lätt kan tas fram"). The scope `holds:read` reads them here, with the holds
that keep them; every such read is audited.

A record is served here when a hold keeps it:
- its subject is erased and a hold (statutory or legal) still covers it — the records
  the erasure kept; or
- a legal hold in force covers it (on the record or on its whole subject).
Any other record answers 404 here: it is read (or refused) by the ordinary reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, or_, select

from app.core.errors import NotFound
from app.core.pagination import PageParams, paginate
from app.erasure.schemas import HoldOut
from app.retention.holds import LEGAL, STATUTORY, Hold, active_legal_holds, subject_retention
from app.subjects import service as subjects
from app.subjects.models import Record, Subject
from app.subjects.schemas import RecordPublic, SubjectStatus

# What each kind of hold keeps a record for, and the provision that allows the use.
PURPOSES: dict[str, tuple[str, str]] = {
    STATUTORY: ("legal_obligation", "GDPR art. 17.3 b; Bokföringslagen (1999:1078) 7 kap. 2 §"),
    LEGAL: ("legal_claims", "GDPR art. 17.3 e, art. 18.2"),
}


class HeldBy(HoldOut):
    """A hold that keeps the record, and the purpose it keeps it for."""

    purpose: Literal["legal_obligation", "legal_claims"] = Field(
        description="`legal_obligation` (a statutory rule, e.g. bookkeeping) or "
        "`legal_claims` (a legal hold)."
    )
    purpose_reference: str = Field(description="The provision that allows the use.")


class HeldRecord(BaseModel):
    """A held record with its data, and every hold that keeps it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "record": {
                    "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a72",
                    "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                    "category": "sales_document",
                    "data": {
                        "kind": "invoice",
                        "number": "F-2024-0042",
                        "date": "2024-03-15",
                        "amount": "12500.00",
                        "currency": "SEK",
                    },
                    "source": "billing",
                    "origin": "provided",
                    "restricted": True,
                    "version": 2,
                    "created_at": "2024-03-15T09:30:00Z",
                    "updated_at": "2026-11-25T09:30:00Z",
                },
                "subject_erased": True,
                "holds": [
                    {
                        "kind": "statutory",
                        "id": "se-bfl-7-2",
                        "reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
                        "until": "2031-12-31",
                        "purpose": "legal_obligation",
                        "purpose_reference": PURPOSES[STATUTORY][1],
                    }
                ],
            }
        }
    )

    record: RecordPublic
    subject_erased: bool = Field(description="The record was kept when its subject was erased.")
    holds: list[HeldBy]


def _held_by(hold: Hold) -> HeldBy:
    purpose, reference = PURPOSES[hold.kind]
    return HeldBy.model_validate(
        {
            "kind": hold.kind,
            "id": hold.id,
            "reference": hold.reference,
            "until": hold.until,
            "purpose": purpose,
            "purpose_reference": reference,
        }
    )


def _keeping_holds(
    session: Session, subject: Subject, records: Sequence[Record], now: datetime
) -> dict[uuid.UUID, list[Hold]]:
    """Per record, the holds that make it a held record (none: not served here)."""
    policy = subject_retention(session, subject.id, erased_at=subject.erased_at, now=now)
    erased = subject.status == SubjectStatus.erased
    keeping: dict[uuid.UUID, list[Hold]] = {}
    for record in records:
        holds = policy.holds(record.id, record.category, record.data, record.created_at)
        if erased or any(h.kind == LEGAL for h in holds):
            keeping[record.id] = holds
    return {rid: holds for rid, holds in keeping.items() if holds}


def _held(record: Record, subject: Subject, holds: list[Hold]) -> HeldRecord:
    return HeldRecord(
        record=RecordPublic.model_validate(record),
        subject_erased=subject.status == SubjectStatus.erased,
        holds=[_held_by(h) for h in holds],
    )


def get_held_record(session: Session, record_id: uuid.UUID, *, now: datetime) -> HeldRecord:
    """The held record with its holds; 404 when unknown, another tenant's, or not held."""
    record = subjects.get_record(session, record_id)
    subject = subjects.get_subject(session, record.subject_id)
    holds = _keeping_holds(session, subject, [record], now).get(record.id)
    if not holds:
        raise NotFound(
            "No held record with this id: no hold keeps it. "
            "Records that are not held are read with `GET /v1/records/{id}`."
        )
    return _held(record, subject, holds)


def list_held_records(
    session: Session, subject_id: uuid.UUID, *, page: PageParams, now: datetime
) -> tuple[list[HeldRecord], str | None]:
    """The subject's held records, oldest first (404 for an unknown subject).

    The page is chosen among the records a hold may keep (all of an erased subject's
    records not yet due for the purge; otherwise those under a legal hold) and each is
    checked against its holds, so a page can hold fewer than `limit` items.
    """
    subject = subjects.get_subject(session, subject_id)
    statement = select(Record).where(Record.subject_id == subject.id)
    if subject.status == SubjectStatus.erased:
        statement = statement.where(
            or_(col(Record.kept_until).is_(None), col(Record.kept_until) >= now.date())
        )
    else:
        legal = active_legal_holds(session, subject.id, now)
        if not any(h.record_id is None for h in legal):
            statement = statement.where(
                col(Record.id).in_([h.record_id for h in legal if h.record_id is not None])
            )
    records, next_cursor = paginate(session, statement, Record.id, page)
    keeping = _keeping_holds(session, subject, records, now)
    items = [_held(r, subject, keeping[r.id]) for r in records if r.id in keeping]
    return items, next_cursor
