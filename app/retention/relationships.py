"""When the relationship with a subject ended — the basis `relationship_end`.

A contact person's data is typically needed while the customer relationship lasts
(Art 5(1)(e): "no longer than is necessary"). The day it ended comes from:

1. the day a calling system recorded (`PUT /v1/subjects/{id}/relationship-end`, scope
   `subjects:write`, audited): the contact left the customer, or the customer's contract
   ended; `DELETE` withdraws it (the relationship resumed);
2. otherwise, for an erased subject, the day it was erased (in the tenant's time zone):
   the person asked for their data to go, which ends the relationship with them;
3. otherwise none: the relationship lasts, a `keep` rule on this basis holds without an
   end and a `delete_after` rule does not apply yet.

Recording the end the first time is the fact the rules wait for: it gives `keep` holds
on this basis their end and starts maxima (audited, like every write). Once recorded,
moving it earlier is refused (409) while a `keep` rule holds one of the subject's
records by it, since that would shorten the hold by rewriting its basis; moving it
later or withdrawing it only lengthens holds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound
from app.retention.holds import SubjectRetention, subject_retention
from app.retention.models import RelationshipEnd
from app.retention.rules import Action, Basis, RecordFacts, RuleLike, statutory_holds
from app.subjects import service as subjects
from app.subjects.models import Record, Subject


def _a_day_as_text(value: Any) -> Any:
    """A day is `YYYY-MM-DD`, as the document says; a number (seconds since 1970) is not."""
    if isinstance(value, int | float):
        raise ValueError("a day as `YYYY-MM-DD`")
    return value


class RelationshipEndIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ended_on": "2026-03-31"}]}
    )

    ended_on: Annotated[date, BeforeValidator(_a_day_as_text)] = Field(
        le=date(2999, 12, 31), description="The day the relationship with the subject ended."
    )


class RelationshipEndPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "ended_on": "2026-03-31",
                "set_at": "2026-04-02T08:00:00Z",
            }
        }
    )

    subject_id: uuid.UUID
    ended_on: date
    set_at: datetime


def stored_end(session: Session, subject_id: uuid.UUID) -> RelationshipEnd | None:
    return session.exec(
        select(RelationshipEnd).where(col(RelationshipEnd.subject_id) == subject_id)
    ).first()


def record_end(
    session: Session, subject_id: uuid.UUID, ended_on: date | None, *, actor: str, now: datetime
) -> RelationshipEnd | None:
    """Record (or with None withdraw) the day the relationship ended; the subject is
    locked (404 unknown, 410 erased), and moving the day earlier while a `keep` rule
    holds one of its records by it is refused (409)."""
    subject = subjects.get_writable_subject(session, subject_id)
    stored = stored_end(session, subject_id)
    if ended_on is None:
        if stored is None:
            raise NotFound("No relationship end is recorded for this subject.")
        # Withdrawn: holds on this basis get no end again, maxima stop running.
        session.delete(stored)
        session.flush()
        return None
    if (
        stored is not None
        and ended_on < stored.ended_on
        and _holds_from(session, subject, stored.ended_on, now)
    ):
        raise Conflict(
            "A retention rule holds the subject's records from the recorded relationship "
            "end; it cannot move earlier while it holds them."
        )
    if stored is None:
        stored = RelationshipEnd(subject_id=subject_id, ended_on=ended_on, set_by=actor)
        session.add(stored)
    else:
        stored.ended_on = ended_on
        stored.set_by = actor
    stored.set_at = now
    session.flush()
    return stored


def _holds_from(session: Session, subject: Subject, ended_on: date, now: datetime) -> bool:
    """Whether a `keep` rule on `relationship_end` holds one of the subject's records
    today, counted from `ended_on`."""
    retention = subject_retention(session, subject.id, erased_at=subject.erased_at, now=now)
    rules = [
        rule
        for rule in retention.rules
        if rule.action == Action.keep and rule.basis == Basis.relationship_end
    ]
    return bool(rules) and _holds_any(session, subject, rules, retention, ended_on)


def _holds_any(
    session: Session,
    subject: Subject,
    rules: list[RuleLike],
    retention: SubjectRetention,
    ended_on: date,
) -> bool:
    records = session.exec(
        select(Record.category, Record.data).where(Record.subject_id == subject.id)
    ).all()
    for category, data in records:
        facts = RecordFacts(category=category, data=data or {}, relationship_end=ended_on)
        for hold in statutory_holds(rules, facts, retention.settings):
            if hold.until is not None and hold.until >= retention.today:
                return True
    return False
