"""Rights requests: opening, extending and completing them, and their deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select, union

from app.core.clock import utcnow
from app.core.deps import UnitOfWork
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.pagination import PageParams, paginate
from app.requests import deadlines
from app.requests.deadlines import ART_12_3
from app.requests.models import ReviewDecision, RightsRequest
from app.requests.schemas import (
    NEEDS_REASONS,
    Channel,
    Outcome,
    PauseReason,
    RefusalGrounds,
    Requester,
    RequesterPublic,
    RequestStatus,
    RequestType,
    ReviewDecisionKind,
    RightsRequestAskInformation,
    RightsRequestComplete,
    RightsRequestCreate,
    RightsRequestExtend,
    RightsRequestInformationReceived,
    RightsRequestPublic,
    RightsRequestVerify,
    VerificationMethod,
)
from app.retention.settings import tenant_settings
from app.subjects import service as subjects
from app.subjects.models import ExternalRef, Subject, SubjectIdentifier
from app.subjects.schemas import SubjectStatus
from app.subjects.service import EMAIL, PHONE


def matching_subjects(session: Session, requester: Requester) -> list[uuid.UUID]:
    """Every subject of the tenant with one of the requester's identifiers, duplicates
    included (canonical forms: the schema normalises them as the register does); a
    merged subject is represented by the one it was joined into."""
    sources = []
    for kind, values in ((EMAIL, requester.emails), (PHONE, requester.phones)):
        if values:
            sources.append(
                select(SubjectIdentifier.subject_id).where(
                    SubjectIdentifier.kind == kind, col(SubjectIdentifier.value).in_(values)
                )
            )
    if requester.external_ref is not None:
        sources.append(
            select(ExternalRef.subject_id).where(
                ExternalRef.system == requester.external_ref.system,
                ExternalRef.ref == requester.external_ref.id,
            )
        )
    statement = (
        select(Subject.id)
        .where(
            col(Subject.id).in_(union(*sources) if len(sources) > 1 else sources[0]),
            col(Subject.status) != SubjectStatus.merged.value,
        )
        .order_by(col(Subject.id))
    )
    return list(session.exec(statement).all())


def open_request(session: Session, body: RightsRequestCreate, *, now: datetime) -> RightsRequest:
    """Open the request. With a `requester`, every matching subject is covered and none
    is an answer too ("no data held"). With the tenant's `verification_required`, the
    request awaits verification and its deadline is paused from receipt."""
    if body.subject_id is not None:
        subjects.get_subject(session, body.subject_id)
        matched = [body.subject_id]
    else:
        assert body.requester is not None  # the schema asks for one of the two
        matched = matching_subjects(session, body.requester)
    _not_in_future(body.received_at, now, "received_at")
    settings = tenant_settings(session)
    time_zone = settings.time_zone
    request = RightsRequest(
        type=body.type.value,
        subject_id=matched[0] if matched else None,
        channel=body.channel.value,
        requester=body.requester.model_dump(mode="json") if body.requester else None,
        matched_subject_ids=[str(subject_id) for subject_id in matched],
        received_at=body.received_at,
        time_zone=time_zone,
        due_at=_due_at(body.received_at, time_zone=time_zone, loc="received_at"),
    )
    if settings.verification_required:
        # EDPB 01/2022 § 159: the period runs once the controller can identify the person.
        request.status = RequestStatus.awaiting_verification.value
        request.paused_since = body.received_at
        request.pause_reason = PauseReason.verification.value
    session.add(request)
    session.flush()
    return request


def _not_in_future(moment: datetime, now: datetime, loc: str) -> None:
    if moment > now:
        raise UnprocessableContent(
            f"`{loc}` is in the future.",
            errors=[{"loc": ["body", loc], "msg": "must not be in the future"}],
        )


def _not_before(moment: datetime, earliest: datetime, loc: str, what: str) -> None:
    if moment < earliest:
        raise UnprocessableContent(
            f"`{loc}` is before {what}.",
            errors=[{"loc": ["body", loc], "msg": f"must not be before {what}"}],
        )


def _resume(request: RightsRequest, resumed_at: datetime, loc: str) -> None:
    """End the pause: the deadline moves by the paused days, counted as calendar days
    in the request's time zone (the day paused not counted, the day resumed counted);
    then the weekend and holiday rule applies to the new last day (Reg 1182/71 art. 3(4))."""
    assert request.paused_since is not None
    zone = ZoneInfo(request.time_zone)
    days = (resumed_at.astimezone(zone).date() - request.paused_since.astimezone(zone).date()).days
    request.paused_days += days
    request.paused_since = None
    request.pause_reason = None
    request.due_at = _due_at(
        request.received_at,
        time_zone=request.time_zone,
        extension_months=request.extension_months,
        paused_days=request.paused_days,
        loc=loc,
    )


def verify(
    session: Session, request_id: uuid.UUID, body: RightsRequestVerify, *, now: datetime
) -> RightsRequest:
    """The person is identified (Art 12(2), 12(6)): the request is open and its deadline
    runs again, moved by the days it awaited verification."""
    request = get_request(session, request_id, lock=True)
    if not can_verify(request):
        raise Conflict("The request does not await verification.")
    _not_in_future(body.verified_at, now, "verified_at")
    _not_before(body.verified_at, request.received_at, "verified_at", "the request was received")
    request.verification_method = body.method.value
    request.verified_at = body.verified_at
    request.status = RequestStatus.open.value
    _resume(request, body.verified_at, "verified_at")
    session.flush()
    return request


def ask_information(
    session: Session, request_id: uuid.UUID, body: RightsRequestAskInformation, *, now: datetime
) -> RightsRequest:
    """Information was asked of the person: the deadline is paused until it arrives."""
    request = get_request(session, request_id, lock=True)
    if request.status != RequestStatus.open:
        raise Conflict("Information can be asked on an open request only.")
    if not can_ask_information(request):
        raise Conflict("The request already awaits information from the person.")
    _not_in_future(body.asked_at, now, "asked_at")
    _not_before(
        body.asked_at,
        request.verified_at or request.received_at,
        "asked_at",
        "the request was received or verified",
    )
    request.paused_since = body.asked_at
    request.pause_reason = PauseReason.information.value
    request.information_asked = body.asked
    session.flush()
    return request


def information_received(
    session: Session,
    request_id: uuid.UUID,
    body: RightsRequestInformationReceived,
    *,
    now: datetime,
) -> RightsRequest:
    """The information asked arrived: the deadline runs again, moved by the days paused."""
    request = get_request(session, request_id, lock=True)
    if not can_receive_information(request):
        raise Conflict("The request does not await information from the person.")
    assert request.paused_since is not None  # can_receive_information checked it
    _not_in_future(body.received_at, now, "received_at")
    _not_before(body.received_at, request.paused_since, "received_at", "it was asked")
    _resume(request, body.received_at, "received_at")
    session.flush()
    return request


def _due_at(
    received_at: datetime,
    *,
    time_zone: str,
    extension_months: int = 0,
    paused_days: int = 0,
    loc: str,
) -> datetime:
    """The deadline, or 422 where it falls beyond the calendar (received in year 9999)."""
    try:
        due = deadlines.due_at(
            received_at,
            tz=ZoneInfo(time_zone),
            extension_months=extension_months,
            paused_days=paused_days,
        )
        due.astimezone(UTC)  # it is stored in UTC
    except (ValueError, OverflowError):
        raise UnprocessableContent(
            "No deadline can be computed for this date: it falls beyond the calendar.",
            errors=[{"loc": ["body", loc], "msg": "the deadline is out of range"}],
        ) from None
    return due


def original_due_at(request: RightsRequest) -> datetime:
    """The end of the first month (Art 12(3)), moved by the days the deadline was
    paused: extensions must be told to the person by then."""
    return deadlines.due_at(
        request.received_at, tz=ZoneInfo(request.time_zone), paused_days=request.paused_days
    )


class WorkflowAction(StrEnum):
    """What the desk can do with a request as it stands (the checks the actions make)."""

    verify = "verify"
    ask_information = "ask_information"
    information_received = "information_received"
    extend = "extend"
    review = "review"
    complete = "complete"


def can_verify(request: RightsRequest) -> bool:
    """Only a request awaiting verification is verified (Art 12(2), 12(6))."""
    return request.status == RequestStatus.awaiting_verification


def can_ask_information(request: RightsRequest) -> bool:
    """An open request whose deadline runs (EDPB Guidelines 01/2022 § 159)."""
    return request.status == RequestStatus.open and request.paused_since is None


def can_receive_information(request: RightsRequest) -> bool:
    """A request that awaits information asked of the person."""
    return request.pause_reason == PauseReason.information and request.paused_since is not None


def extension_months_left(request: RightsRequest) -> int:
    """How many months an open request may still be extended by (Art 12(3): two at most)."""
    if request.status != RequestStatus.open:
        return 0
    return max(0, ART_12_3.max_extension_months - request.extension_months)


def completion_outcomes(request: RightsRequest) -> list[Outcome]:
    """The outcomes the request can be completed with now: none once completed; only a
    refusal while the person is not identified (Art 11(2), 12(2))."""
    if request.status == RequestStatus.completed:
        return []
    if request.status == RequestStatus.awaiting_verification:
        return [Outcome.refused]
    return list(Outcome)


def can_review(request: RightsRequest) -> bool:
    """The third-party review (Art 15(4)) of a request that releases data, until it is
    completed (then the review is fixed)."""
    return request.type in RELEASING and request.status != RequestStatus.completed


def allowed_actions(request: RightsRequest) -> list[WorkflowAction]:
    """The actions the workflow allows on the request now, in the order a desk takes them."""
    checks = [
        (WorkflowAction.verify, can_verify(request)),
        (WorkflowAction.ask_information, can_ask_information(request)),
        (WorkflowAction.information_received, can_receive_information(request)),
        (WorkflowAction.extend, extension_months_left(request) > 0),
        (WorkflowAction.review, can_review(request)),
        (WorkflowAction.complete, bool(completion_outcomes(request))),
    ]
    return [action for action, allowed in checks if allowed]


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
        raise Conflict("Only an open request can be extended.")
    if body.months > extension_months_left(request):
        raise Conflict(
            f"At most {ART_12_3.max_extension_months} months of extension in total "
            f"({ART_12_3.reference}); {request.extension_months} already used."
        )
    _not_in_future(body.informed_at, now, "informed_at")
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
        paused_days=request.paused_days,
        loc="months",
    )
    session.flush()
    return request


def complete(
    session: Session, request_id: uuid.UUID, body: RightsRequestComplete, *, now: datetime
) -> RightsRequest:
    request = get_request(session, request_id, lock=True)
    if request.status == RequestStatus.completed:
        raise Conflict("The request is already completed.")
    if body.outcome not in completion_outcomes(request):
        # Art 11(2), 12(2): a person the controller cannot identify is refused, with reasons.
        raise Conflict("An unverified request can only be refused; verify it first.")
    if body.outcome != Outcome.refused and request.type in RELEASING:
        # An answer that gives data is given as reviewed (Art 15(4)): once completed, the
        # review is fixed, so it must be done first. (Imported here: the review reads
        # the requests this module keeps.)
        from app.requests.review import pending_for

        pending = pending_for(session, request)
        if pending:
            raise Conflict(
                f"{pending} record(s) that may carry other people's data are not reviewed "
                "yet (Art 15(4)): decide on each in the request's review, then complete."
            )
    if body.outcome == Outcome.fulfilled and _review_left_out_anything(session, request):
        # Art 12(4), 15(4): what the review withheld or took out is not given, and the
        # person is told so, with the reasons — the answer is a partial one.
        raise Conflict(
            "The third-party review withheld or redacted records (Art 15(4)): complete as "
            "`partially_fulfilled` with the reasons the person is told."
        )
    request.status = RequestStatus.completed.value
    # The answer is sent: the requester's contact details are no longer needed
    # (Art 5(1)(c), (e)); the matched subject ids stay as the accountability record.
    request.requester = None
    request.paused_since = None
    request.pause_reason = None
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


# The requests whose answer gives the person their data (Art 15(3), 20).
RELEASING = frozenset({RequestType.access.value, RequestType.portability.value})


def _review_left_out_anything(session: Session, request: RightsRequest) -> bool:
    if request.type not in RELEASING:
        return False
    left_out = select(ReviewDecision.id).where(
        ReviewDecision.rights_request_id == request.id,
        col(ReviewDecision.decision).in_(
            [ReviewDecisionKind.withhold.value, ReviewDecisionKind.redact.value]
        ),
    )
    return session.exec(left_out.limit(1)).first() is not None


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
            RightsRequest.status == RequestStatus.open.value,
            col(RightsRequest.paused_since).is_(None),
            col(RightsRequest.due_at) <= cutoff,
        )
    elif overdue is False:
        statement = statement.where(
            or_(
                col(RightsRequest.status) != RequestStatus.open.value,
                col(RightsRequest.paused_since).is_not(None),
                col(RightsRequest.due_at) > cutoff,
            )
        )
    return paginate(session, statement, RightsRequest.id, page)


def linked_request(
    session: Session, request_id: uuid.UUID | None, *, subject_id: uuid.UUID
) -> RightsRequest | None:
    """The rights request a right's call serves: it must exist, cover this subject and
    be verified — nothing is released or done for a person not identified (409)."""
    if request_id is None:
        return None
    request = get_request(session, request_id)
    if str(subject_id) not in request.matched_subject_ids and request.subject_id != subject_id:
        raise UnprocessableContent(
            "The rights request is about another subject.",
            errors=[{"loc": ["query", "rights_request_id"], "msg": "about another subject"}],
        )
    if request.status == RequestStatus.awaiting_verification:
        raise Conflict(
            "The rights request awaits verification of the person's identity: nothing is "
            "released for it before (Art 12(2), 12(6))."
        )
    return request


def to_public(request: RightsRequest, *, now: datetime | None = None) -> RightsRequestPublic:
    now = now or utcnow()
    return RightsRequestPublic(
        id=request.id,
        type=RequestType(request.type),
        subject_id=request.subject_id,
        status=RequestStatus(request.status),
        channel=Channel(request.channel),
        requester=RequesterPublic.model_validate(request.requester) if request.requester else None,
        matched_subject_ids=[uuid.UUID(s) for s in request.matched_subject_ids],
        verification_method=VerificationMethod(request.verification_method)
        if request.verification_method
        else None,
        verified_at=request.verified_at,
        paused_since=request.paused_since,
        pause_reason=PauseReason(request.pause_reason) if request.pause_reason else None,
        paused_days=request.paused_days,
        information_asked=request.information_asked,
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
        overdue=request.status == RequestStatus.open
        and request.paused_since is None
        and deadlines.has_passed(request.due_at, now),
        legal_reference=ART_12_3.reference,
    )


def covered_subjects(session: Session, request: RightsRequest) -> list[Subject]:
    """The subjects the request covers, in id order; a subject merged since the request
    was opened is represented by the one it was merged into (once)."""
    out: dict[uuid.UUID, Subject] = {}
    for subject_id in sorted(uuid.UUID(s) for s in request.matched_subject_ids):
        subject = session.get(Subject, subject_id)
        while subject is not None and subject.status == SubjectStatus.merged:
            subject = session.get(Subject, subject.merged_into)
        if subject is not None:
            out.setdefault(subject.id, subject)
    return sorted(out.values(), key=lambda s: s.id)


def link_call(
    uow: UnitOfWork, subject_id: uuid.UUID, rights_request_id: uuid.UUID | None
) -> RightsRequest | None:
    """Name the subject of a right's call and the rights request it serves (validated),
    for the call's audit event; the request, if any."""
    uow.concerns(subject_id=subject_id)
    linked = linked_request(uow.session, rights_request_id, subject_id=subject_id)
    if linked is not None:
        uow.concerns(rights_request_id=linked.id)
    return linked
