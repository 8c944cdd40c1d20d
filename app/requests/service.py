"""Rights requests: opening, extending and completing them, and their deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, or_, select

from app.core.clock import utcnow
from app.core.deps import UnitOfWork
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.pagination import PageParams, paginate
from app.requests.deadlines import ART_12_3, due_at
from app.requests.models import RightsRequest
from app.requests.schemas import (
    Outcome,
    RequestStatus,
    RequestType,
    RightsRequestComplete,
    RightsRequestCreate,
    RightsRequestExtend,
    RightsRequestPublic,
)
from app.subjects import service as subjects


def open_request(session: Session, body: RightsRequestCreate, *, now: datetime) -> RightsRequest:
    subjects.get_subject(session, body.subject_id)
    if body.received_at > now:
        raise UnprocessableContent(
            "`received_at` is in the future.",
            errors=[{"loc": ["body", "received_at"], "msg": "must not be in the future"}],
        )
    request = RightsRequest(
        type=body.type.value,
        subject_id=body.subject_id,
        received_at=body.received_at,
        due_at=due_at(body.received_at),
    )
    session.add(request)
    session.flush()
    return request


def get_request(session: Session, request_id: uuid.UUID, *, lock: bool = False) -> RightsRequest:
    request = session.get(RightsRequest, request_id, with_for_update=lock or None)
    if request is None:
        raise NotFound("No rights request with this id.")
    return request


def extend(
    session: Session, request_id: uuid.UUID, body: RightsRequestExtend, *, now: datetime
) -> RightsRequest:
    """Extend by 1 or 2 months (2 at most in total), before the original deadline."""
    request = get_request(session, request_id, lock=True)
    if request.status != RequestStatus.open:
        raise Conflict("A completed request cannot be extended.")
    if request.extension_months + body.months > ART_12_3.max_extension_months:
        raise Conflict(
            f"At most {ART_12_3.max_extension_months} months of extension in total "
            f"({ART_12_3.reference}); {request.extension_months} already used."
        )
    if now > due_at(request.received_at):
        raise Conflict("The original deadline has passed; an extension had to be made before it.")
    request.extension_months += body.months
    request.extension_reason = body.reason
    request.due_at = due_at(request.received_at, request.extension_months)
    session.flush()
    return request


def complete(
    session: Session, request_id: uuid.UUID, body: RightsRequestComplete, *, now: datetime
) -> RightsRequest:
    request = get_request(session, request_id, lock=True)
    if request.status != RequestStatus.open:
        raise Conflict("The request is already completed.")
    request.status = RequestStatus.completed.value
    request.outcome = body.outcome.value
    request.note = body.note
    request.completed_at = now
    session.flush()
    return request


def list_requests(
    session: Session,
    *,
    page: PageParams,
    now: datetime,
    status: RequestStatus | None = None,
    type: RequestType | None = None,
    subject_id: uuid.UUID | None = None,
    overdue: bool | None = None,
) -> tuple[Sequence[RightsRequest], str | None]:
    statement = select(RightsRequest)
    if status is not None:
        statement = statement.where(RightsRequest.status == status.value)
    if type is not None:
        statement = statement.where(RightsRequest.type == type.value)
    if subject_id is not None:
        statement = statement.where(RightsRequest.subject_id == subject_id)
    if overdue is True:
        statement = statement.where(
            RightsRequest.status == RequestStatus.open.value, col(RightsRequest.due_at) < now
        )
    elif overdue is False:
        statement = statement.where(
            or_(
                col(RightsRequest.status) != RequestStatus.open.value,
                col(RightsRequest.due_at) >= now,
            )
        )
    return paginate(session, statement, RightsRequest.id, page)


def linked_request(
    session: Session, request_id: uuid.UUID | None, *, subject_id: uuid.UUID
) -> RightsRequest | None:
    """The rights request a right's call serves: it must exist and be about this subject."""
    if request_id is None:
        return None
    request = get_request(session, request_id)
    if request.subject_id != subject_id:
        raise UnprocessableContent(
            "The rights request is about another subject.",
            errors=[{"loc": ["query", "rights_request_id"], "msg": "about another subject"}],
        )
    return request


def to_public(request: RightsRequest, *, now: datetime | None = None) -> RightsRequestPublic:
    now = now or utcnow()
    return RightsRequestPublic(
        id=request.id,
        type=RequestType(request.type),
        subject_id=request.subject_id,
        status=RequestStatus(request.status),
        received_at=request.received_at,
        due_at=request.due_at,
        extension_months=request.extension_months,
        extension_reason=request.extension_reason,
        outcome=Outcome(request.outcome) if request.outcome else None,
        note=request.note,
        completed_at=request.completed_at,
        overdue=request.status == RequestStatus.open and request.due_at < now,
        legal_reference=ART_12_3.reference,
    )


def link_call(uow: UnitOfWork, subject_id: uuid.UUID, rights_request_id: uuid.UUID | None) -> None:
    """Name the subject of a right's call and the rights request it serves (validated),
    for the call's audit event."""
    uow.concerns(subject_id=subject_id)
    linked = linked_request(uow.session, rights_request_id, subject_id=subject_id)
    if linked is not None:
        uow.concerns(rights_request_id=linked.id)
