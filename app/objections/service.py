"""The general objection (Art 21(1)): pending → decided (upheld or rejected).

Art 21(1): the person may object, on grounds relating to their particular situation,
to processing based on Art 6(1)(e) (public task) or (f) (legitimate interests). The
controller then no longer processes the data for that purpose unless it demonstrates
compelling legitimate grounds that override the person's interests, rights and
freedoms, or the processing is for legal claims.
- While the objection is pending, the data is restricted for that purpose
  (Art 18(1)(d)); the subject's API view lists such purposes in `restricted_purposes`.
- Upheld: processing for the purpose stops for good, and records that served only that
  purpose are erased (Art 17(1)(c)) — unless a hold keeps them (Art 17(3)(b), (e)).
- Rejected: the compelling grounds are recorded in `reasons` (Art 21(1), Art 12(4)).
Both outcomes are audited, sent to recipients (Art 19) and shown in the access report.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.core.clock import session_now
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.notices.service import category_purposes, purpose_legal_basis
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.objections.models import Objection
from app.objections.schemas import (
    ErasedRecord,
    ObjectionCreate,
    ObjectionDecision,
    ObjectionOutcome,
    ObjectionPublic,
    ObjectionStatus,
)
from app.retention.holds import subject_retention
from app.subjects.models import Record, Subject

# Art 21(1) covers processing based on Art 6(1)(e) and (f) only.
OBJECTABLE_BASES = frozenset({"legitimate_interests", "public_task"})


def object_to_purpose(
    session: Session, subject: Subject, body: ObjectionCreate, *, actor: str, now: datetime
) -> Objection:
    """Record a pending objection; the caller holds the subject's row lock."""
    basis = purpose_legal_basis(session, body.purpose)
    if basis is None:
        raise UnprocessableContent(
            "No such purpose in the tenant's published privacy notice.",
            errors=[{"loc": ["body", "purpose"], "msg": "not a purpose of the published notice"}],
        )
    if basis not in OBJECTABLE_BASES:
        raise UnprocessableContent(
            "Art 21(1) applies to processing based on legitimate interests or a public task; "
            f"this purpose rests on `{basis}`.",
            errors=[
                {
                    "loc": ["body", "purpose"],
                    "msg": "legal basis is neither legitimate_interests nor public_task",
                }
            ],
        )
    standing = session.exec(
        select(Objection).where(
            Objection.subject_id == subject.id,
            Objection.purpose == body.purpose,
            col(Objection.outcome).is_distinct_from(ObjectionOutcome.rejected.value),
        )
    ).first()
    if standing is not None:
        raise Conflict(
            f"The subject already has a {standing.status} objection to this purpose "
            f"({standing.id})."
        )
    objection = Objection(
        subject_id=subject.id,
        purpose=body.purpose,
        grounds=body.grounds,
        created_by=actor,
        created_at=now,
    )
    session.add(objection)
    session.flush()
    return objection


def get_objection(session: Session, objection_id: uuid.UUID) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("No objection with this id.")
    return objection


def decide(
    session: Session,
    objection_id: uuid.UUID,
    body: ObjectionDecision,
    *,
    actor: str,
    now: datetime,
    tenant_id: str,
) -> tuple[Objection, list[ErasedRecord]]:
    """Decide a pending objection under its subject's row lock; 409 if already decided."""
    objection = get_objection(session, objection_id)
    subject = session.get(
        Subject, objection.subject_id, with_for_update=True, populate_existing=True
    )
    session.refresh(objection)  # of two concurrent decisions the second sees the first
    if objection.status != ObjectionStatus.pending or subject is None:
        raise Conflict("The objection is already decided.")
    objection.status = ObjectionStatus.decided.value
    objection.outcome = body.outcome.value
    objection.reasons = body.reasons
    objection.decided_at = now
    objection.decided_by = actor
    erased: list[ErasedRecord] = []
    if body.outcome is ObjectionOutcome.upheld:
        erased = _erase_what_only_served(session, subject, objection.purpose)
    notify(
        session,
        event_type=EventType.subject_objection_decided,
        tenant_id=tenant_id,
        now=now,
        subject_id=subject.id,
        objection_id=objection.id,
        purpose=objection.purpose,
        outcome=objection.outcome,
        erased_record_ids=[e.id for e in erased],
    )
    session.flush()
    return objection, erased


def _erase_what_only_served(session: Session, subject: Subject, purpose: str) -> list[ErasedRecord]:
    """Delete the subject's records of categories whose only purpose is `purpose`
    (Art 17(1)(c)), except those a hold keeps (Art 17(3)(b), (e))."""
    only = [c for c, purposes in category_purposes(session).items() if set(purposes) == {purpose}]
    if not only:
        return []
    policy = subject_retention(
        session, subject.id, erased_at=subject.erased_at, now=session_now(session)
    )
    erased = []
    for record in session.exec(
        select(Record)
        .where(Record.subject_id == subject.id, col(Record.category).in_(only))
        .order_by(col(Record.id))
    ).all():
        holds = policy.holds(record.id, record.category, record.data, record.created_at)
        if not holds:
            erased.append(ErasedRecord(id=record.id, category=record.category))
            session.delete(record)
    return erased


def list_for_subject(session: Session, subject_id: uuid.UUID) -> Sequence[Objection]:
    return session.exec(
        select(Objection).where(Objection.subject_id == subject_id).order_by(col(Objection.id))
    ).all()


def public(objection: Objection, erased: list[ErasedRecord] | None = None) -> ObjectionPublic:
    view = ObjectionPublic.model_validate(objection)
    view.erased = erased or []
    return view
