"""Rights requests: opening, extending and completing them, and their deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from app.core.clock import utcnow
from app.core.deps import UnitOfWork
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.pagination import PageParams, paginate
from app.requests import deadlines
from app.requests.deadlines import ART_12_3
from app.requests.models import RightsRequest
from app.requests.schemas import (
    NEEDS_REASONS,
    Outcome,
    RefusalGrounds,
    RequestStatus,
    RequestType,
    RightsRequestComplete,
    RightsRequestCreate,
    RightsRequestExtend,
    RightsRequestPublic,
)
from app.retention.settings import tenant_settings
from app.subjects import service as subjects


def open_request(session: Session, body: RightsRequestCreate, *, now: datetime) -> RightsRequest:
    subjects.get_subject(session, body.subject_id)
    if body.received_at > now:
        raise UnprocessableContent(
            "`received_at` is in the future.",
            errors=[{"loc": ["body", "received_at"], "msg": "must not be in the future"}],
        )
    time_zone = tenant_settings(session).time_zone
    request = RightsRequest(
        type=body.type.value,
        subject_id=body.subject_id,
        received_at=body.received_at,
        time_zone=time_zone,
        due_at=_due_at(body.received_at, time_zone=time_zone, loc="received_at"),
    )
    session.add(request)
    session.flush()
    return request


def _due_at(
    received_at: datetime, *, time_zone: str, extension_months: int = 0, loc: str
) -> datetime:
    """The deadline, or 422 where it falls beyond the calendar (received in year 9999)."""
    try:
        due = deadlines.due_at(
            received_at, tz=ZoneInfo(time_zone), extension_months=extension_months
        )
        due.astimezone(UTC)  # it is stored in UTC
    except (ValueError, OverflowError):
        raise UnprocessableContent(
            "No deadline can be computed for this date: it falls beyond the calendar.",
            errors=[{"loc": ["body", loc], "msg": "the deadline is out of range"}],
        ) from None
    return due


def original_due_at(request: RightsRequest) -> datetime:
    """The end of the first month (Art 12(3)): extensions must be told to the person by then."""
    return deadlines.due_at(request.received_at, tz=ZoneInfo(request.time_zone))


def get_request(session: Session, request_id: uuid.UUID, *, lock: bool = False) -> RightsRequest:
    request = session.get(RightsRequest, request_id, with_for_update=lock or None)
    if request is None:
        raise NotFound("No rights request with this id.")
    return request


def extend(
    session: Session, request_id: uuid.UUID, body: RightsRequestExtend, *, now: datetime
) -> RightsRequest:
    """Extend by 1 or 2 months (2 at most in total), with the reasons and when the person
    was told: Art 12(3) third sentence — within one month of receipt, so no later than
    the original deadline. A timely extension may be recorded after that deadline."""
    request = get_request(session, request_id, lock=True)
    if request.status != RequestStatus.open:
        raise Conflict("A completed request cannot be extended.")
    if request.extension_months + body.months > ART_12_3.max_extension_months:
        raise Conflict(
            f"At most {ART_12_3.max_extension_months} months of extension in total "
            f"({ART_12_3.reference}); {request.extension_months} already used."
        )
    if body.informed_at > now:
        raise UnprocessableContent(
            "`informed_at` is in the future.",
            errors=[{"loc": ["body", "informed_at"], "msg": "must not be in the future"}],
        )
    if body.informed_at < request.received_at:
        raise UnprocessableContent(
            "`informed_at` is before the request was received.",
            errors=[{"loc": ["body", "informed_at"], "msg": "must not be before received_at"}],
        )
    if deadlines.has_passed(original_due_at(request), body.informed_at):
        raise Conflict(
            "The person was told after the original deadline: an extension must be told "
            "within one month of receipt (Art 12(3)), and the original deadline stands."
        )
    request.extension_months += body.months
    request.extension_reason = body.reason
    request.extension_informed_at = body.informed_at
    request.due_at = _due_at(
        request.received_at,
        time_zone=request.time_zone,
        extension_months=request.extension_months,
        loc="months",
    )
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
    request.reasons = body.reasons
    request.refusal_grounds = body.refusal_grounds.value if body.refusal_grounds else None
    # Art 12(4): the answer that does not act (fully) states the reasons, the right to
    # lodge a complaint with IMY and to seek a judicial remedy.
    request.complaint_and_remedy_stated = body.outcome in NEEDS_REASONS
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
    # Overdue: open, and the last second of `due_at` has passed (`deadlines.has_passed`).
    cutoff = now - deadlines.DUE_AT_RESOLUTION
    if overdue is True:
        statement = statement.where(
            RightsRequest.status == RequestStatus.open.value, col(RightsRequest.due_at) <= cutoff
        )
    elif overdue is False:
        statement = statement.where(
            or_(
                col(RightsRequest.status) != RequestStatus.open.value,
                col(RightsRequest.due_at) > cutoff,
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
        time_zone=request.time_zone,
        # The deadline is a day in the tenant's calendar: shown with the tenant's offset.
        due_at=request.due_at.astimezone(ZoneInfo(request.time_zone)),
        extension_months=request.extension_months,
        extension_reason=request.extension_reason,
        extension_informed_at=request.extension_informed_at,
        outcome=Outcome(request.outcome) if request.outcome else None,
        reasons=request.reasons,
        refusal_grounds=RefusalGrounds(request.refusal_grounds)
        if request.refusal_grounds
        else None,
        complaint_and_remedy_stated=request.complaint_and_remedy_stated,
        note=request.note,
        completed_at=request.completed_at,
        overdue=request.status == RequestStatus.open and deadlines.has_passed(request.due_at, now),
        legal_reference=ART_12_3.reference,
    )


def link_call(uow: UnitOfWork, subject_id: uuid.UUID, rights_request_id: uuid.UUID | None) -> None:
    """Name the subject of a right's call and the rights request it serves (validated),
    for the call's audit event."""
    uow.concerns(subject_id=subject_id)
    linked = linked_request(uow.session, rights_request_id, subject_id=subject_id)
    if linked is not None:
        uow.concerns(rights_request_id=linked.id)
