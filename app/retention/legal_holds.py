"""Placing and releasing legal holds (Art 17(3)(e): establishment, exercise or defence
of legal claims; an authority's request)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from app.core.clock import Rfc3339
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.pagination import PageParams, paginate
from app.core.schema_rules import exactly_one_of
from app.retention.holds import kept_until, subject_retention
from app.retention.models import LegalHold
from app.subjects import service as subjects
from app.subjects.models import Record, Subject
from app.subjects.schemas import SubjectStatus


class LegalHoldCreate(BaseModel):
    """A hold on a whole subject (`subject_id`) or on one record (`record_id`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                    "reason": "Dispute over invoice F-2024-0042 (case T 1234-26)",
                    "ends_at": None,
                }
            ],
            **exactly_one_of("subject_id", "record_id"),
        },
    )

    subject_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None
    reason: str = Field(min_length=1, max_length=1000)
    ends_at: Rfc3339 | None = Field(default=None, description="Optional end; none: until released.")

    @model_validator(mode="after")
    def _one_target(self) -> LegalHoldCreate:
        if (self.subject_id is None) == (self.record_id is None):
            raise ValueError("give exactly one of `subject_id` and `record_id`")
        return self


class LegalHoldPublic(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a95",
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "record_id": None,
                "reason": "Dispute over invoice F-2024-0042 (case T 1234-26)",
                "placed_at": "2026-11-25T09:30:00Z",
                "ends_at": None,
                "released_at": None,
                "active": True,
            }
        },
    )

    id: uuid.UUID
    subject_id: uuid.UUID
    record_id: uuid.UUID | None
    reason: str
    placed_at: datetime
    ends_at: datetime | None
    released_at: datetime | None
    active: bool = Field(description="Not released and not past `ends_at`.")


def to_public(hold: LegalHold, now: datetime) -> LegalHoldPublic:
    active = hold.released_at is None and (hold.ends_at is None or hold.ends_at > now)
    return LegalHoldPublic(
        id=hold.id,
        subject_id=hold.subject_id,
        record_id=hold.record_id,
        reason=hold.reason,
        placed_at=hold.placed_at,
        ends_at=hold.ends_at,
        released_at=hold.released_at,
        active=active,
    )


def place(session: Session, body: LegalHoldCreate, *, actor: str, now: datetime) -> LegalHold:
    """Place a hold. The subject's row is locked, so a running purge cannot interleave."""
    if body.record_id is not None:
        record = subjects.get_record(session, body.record_id)
        subject_id = record.subject_id
    else:
        assert body.subject_id is not None
        subject_id = body.subject_id
    # A merged duplicate (or a record that moved with it while we waited) answers 409
    # naming the subject to hold instead: a hold on the empty duplicate would hold nothing.
    subject = subjects.get_locked_subject(session, subject_id)
    if body.ends_at is not None and body.ends_at <= now:
        raise UnprocessableContent(
            "`ends_at` is in the past.",
            errors=[{"loc": ["body", "ends_at"], "msg": "must be in the future"}],
        )
    hold = LegalHold(
        subject_id=subject_id,
        record_id=body.record_id,
        reason=body.reason,
        placed_by=actor,
        placed_at=now,
        ends_at=body.ends_at,
    )
    session.add(hold)
    session.flush()
    if subject.status == SubjectStatus.erased:
        _recompute_kept(session, subject, now)
    return hold


def release(session: Session, hold_id: uuid.UUID, *, actor: str, now: datetime) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound("No legal hold with this id.")
    subject = session.get(Subject, hold.subject_id, with_for_update=True, populate_existing=True)
    # Read again under the subject's lock: of two concurrent releases the second sees
    # the first one's and answers 409 instead of releasing twice.
    session.refresh(hold)
    if hold.released_at is not None:
        raise Conflict("The legal hold is already released.")
    hold.released_at = now
    hold.released_by = actor
    session.flush()
    if subject is not None and subject.status == SubjectStatus.erased:
        _recompute_kept(session, subject, now)
    return hold


def _recompute_kept(session: Session, subject: Subject, now: datetime) -> None:
    """Kept records of an erased subject carry the date their holds end."""
    retention = subject_retention(session, subject.id, erased_at=subject.erased_at, now=now)
    for record in session.exec(select(Record).where(Record.subject_id == subject.id)).all():
        holds = retention.holds(record.id, record.category, record.data, record.created_at)
        # No hold left: kept until yesterday, so that the next purge takes it.
        record.kept_until = kept_until(holds) if holds else retention.today - timedelta(days=1)


def list_holds(
    session: Session, *, page: PageParams, subject_id: uuid.UUID | None
) -> tuple[Sequence[LegalHold], str | None]:
    statement = select(LegalHold)
    if subject_id is not None:
        statement = statement.where(col(LegalHold.subject_id) == subject_id)
    return paginate(session, statement, LegalHold.id, page)
