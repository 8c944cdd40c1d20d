"""Restriction of processing (Art 18): the data is stored, but not used.

A whole subject, or single records, can be restricted with a reason; lifting is
explicit and lifts everything. While restricted, processing reads do not serve the
data, marketing checks say no, and records added later are stored restricted. The
subject may still see (access report) and take (export) its own data. Recipients are told
of a restriction and of its lifting (Art 19), in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core.errors import UnprocessableContent
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.rights.models import Restriction
from app.rights.schemas import RestrictionCreate, RestrictionEntry, RestrictionState
from app.subjects.models import Record, Subject
from app.subjects.schemas import SubjectStatus


def restrict(
    session: Session,
    subject: Subject,
    body: RestrictionCreate,
    *,
    actor: str,
    tenant_id: str,
    now: datetime,
    rights_request_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    """Restrict the subject or the listed records and tell the recipients (Art 19);
    returns the ids of records restricted."""
    if body.record_ids is None:
        subject.restricted = True
        subject.status = SubjectStatus.restricted.value
        record_ids = list(
            session.exec(select(Record.id).where(Record.subject_id == subject.id)).all()
        )
        session.add(
            Restriction(
                subject_id=subject.id,
                reason=body.reason,
                actor=actor,
                rights_request_id=rights_request_id,
                placed_at=now,
            )
        )
    else:
        wanted = list(dict.fromkeys(body.record_ids))
        found = set(
            session.exec(
                select(Record.id).where(Record.subject_id == subject.id, col(Record.id).in_(wanted))
            ).all()
        )
        missing = [i for i, rid in enumerate(body.record_ids) if rid not in found]
        if missing:
            raise UnprocessableContent(
                "Some records are not this subject's.",
                errors=[
                    {"loc": ["body", "record_ids", i], "msg": "no such record of this subject"}
                    for i in missing
                ],
            )
        record_ids = wanted
        for record_id in wanted:
            session.add(
                Restriction(
                    subject_id=subject.id,
                    record_id=record_id,
                    reason=body.reason,
                    actor=actor,
                    rights_request_id=rights_request_id,
                    placed_at=now,
                )
            )
    _set_records_restricted(session, subject.id, record_ids, restricted=True, now=now)
    subject.updated_at = now
    session.flush()
    notify(
        session,
        event_type=EventType.subject_restricted,
        tenant_id=tenant_id,
        now=now,
        subject_id=subject.id,
        whole_subject=body.record_ids is None,
        record_ids=record_ids,
    )
    return record_ids


def lift(session: Session, subject: Subject, *, tenant_id: str, now: datetime) -> list[uuid.UUID]:
    """Lift every restriction of the subject and tell the recipients (Art 19); returns
    the ids of records released."""
    active = session.exec(
        select(Restriction).where(
            Restriction.subject_id == subject.id, col(Restriction.lifted_at).is_(None)
        )
    ).all()
    for restriction in active:
        restriction.lifted_at = now
    record_ids = list(
        session.exec(
            select(Record.id).where(Record.subject_id == subject.id, col(Record.restricted))
        ).all()
    )
    _set_records_restricted(session, subject.id, record_ids, restricted=False, now=now)
    subject.restricted = False
    subject.status = SubjectStatus.active.value
    subject.updated_at = now
    session.flush()
    notify(
        session,
        event_type=EventType.subject_restriction_lifted,
        tenant_id=tenant_id,
        now=now,
        subject_id=subject.id,
        record_ids=record_ids,
    )
    return record_ids


def _set_records_restricted(
    session: Session,
    subject_id: uuid.UUID,
    record_ids: Sequence[uuid.UUID],
    *,
    restricted: bool,
    now: datetime,
) -> None:
    if not record_ids:
        return
    session.execute(
        update(Record)
        .where(col(Record.subject_id) == subject_id, col(Record.id).in_(list(record_ids)))
        .where(col(Record.restricted).is_not(restricted))
        .values(restricted=restricted, version=Record.version + 1, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()


def state(session: Session, subject: Subject) -> RestrictionState:
    """What is restricted for the subject now."""
    active = session.exec(
        select(Restriction)
        .where(Restriction.subject_id == subject.id, col(Restriction.lifted_at).is_(None))
        .order_by(col(Restriction.id))
    ).all()
    record_ids = session.exec(
        select(Record.id)
        .where(Record.subject_id == subject.id, col(Record.restricted))
        .order_by(col(Record.id))
    ).all()
    return RestrictionState(
        subject_id=subject.id,
        subject_restricted=subject.restricted,
        restricted_record_ids=list(record_ids),
        restrictions=[RestrictionEntry.model_validate(r) for r in active],
    )
