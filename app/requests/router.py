"""Endpoints of rights requests (accountability, Art 5(2) and 12(3))."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, page_params
from app.requests import review, service
from app.requests.schemas import (
    RequestStatus,
    RequestType,
    ReviewDecisionCreate,
    ReviewItem,
    ReviewState,
    RightsRequestAskInformation,
    RightsRequestComplete,
    RightsRequestCreate,
    RightsRequestExtend,
    RightsRequestInformationReceived,
    RightsRequestPublic,
    RightsRequestVerify,
)

router = APIRouter(tags=["rights requests"])


@router.post(
    "/rights-requests",
    status_code=201,
    response_model=RightsRequestPublic,
    summary="Open a rights request",
    operation_id="openRightsRequest",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
    openapi_extra=audited("rights_request.open"),
)
def open_rights_request(
    body: RightsRequestCreate, uow: UnitOfWorkDep, clock: ClockDep, response: Response
) -> RightsRequestPublic:
    """Record a request from a data subject and compute its deadline.

    The deadline (GDPR Art 12(3)) is counted as Regulation (EEC, Euratom) No 1182/71
    art. 3 counts periods: the day of receipt, in the tenant's time zone, is not counted;
    the period ends with the day of the same date a month later (the month's last day
    where that date does not exist); a period that would end on a Saturday, Sunday or
    Swedish public holiday (midsommarafton, julafton and nyårsafton included, lag
    (1930:173) 2 §) ends with the next working day. `due_at` is the end of that day
    (23:59:59) with the tenant's offset. In Europe/Stockholm: received 2026-01-30 → due
    2026-03-02T23:59:59+01:00; received 2026-03-03 → due 2026-04-07 (Easter);
    received 2025-12-31T23:30:00Z (1 January in Stockholm) → due 2026-02-02.

    Give a known `subject_id` (it must exist in the tenant), or a `requester` with
    `emails`, `phones` and/or `external_ref` when the person may not be in the register:
    every subject with one of those identifiers is matched (`matched_subject_ids`,
    duplicates included; empty means no data is held — an answer too). `channel` records
    how the request arrived. The requester's identifiers are kept in canonical form until
    the request is completed, then cleared; they never appear in URLs, logs or audit
    events. With the tenant's `verification_required` (default), the request is
    `awaiting_verification` and its deadline is paused from receipt (EDPB Guidelines
    01/2022 § 159); otherwise it is `open` at once.

    Requires scope `rights:write`.
    """
    now = clock()
    request = service.open_request(uow.session, body, now=now)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    response.headers["Location"] = f"/v1/rights-requests/{request.id}"
    return service.to_public(request, now=now)


@router.get(
    "/rights-requests",
    response_model=Page[RightsRequestPublic],
    summary="List rights requests",
    operation_id="listRightsRequests",
    dependencies=[requires("rights:read")],
    responses=problem_responses(400, 401, 403, 422),
)
def list_rights_requests(
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[RequestStatus | None, Query()] = None,
    type: Annotated[RequestType | None, Query()] = None,
    subject_id: Annotated[uuid.UUID | None, Query()] = None,
    overdue: Annotated[
        bool | None, Query(description="`true`: open and past `due_at`; `false`: the others.")
    ] = None,
) -> Page[RightsRequestPublic]:
    """The tenant's rights requests, oldest first, filtered by status, type, subject or
    whether they are overdue.

    Requires scope `rights:read`.
    """
    now = clock()
    requests, next_cursor = service.list_requests(
        session,
        page=page,
        now=now,
        status=status,
        type=type,
        subject_id=subject_id,
        overdue=overdue,
    )
    return Page[RightsRequestPublic](
        items=[service.to_public(r, now=now) for r in requests], next_cursor=next_cursor
    )


@router.get(
    "/rights-requests/{request_id}",
    response_model=RightsRequestPublic,
    summary="Get a rights request",
    operation_id="getRightsRequest",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 404, 422),
)
def get_rights_request(
    request_id: uuid.UUID, session: SessionDep, clock: ClockDep
) -> RightsRequestPublic:
    """One rights request.

    Requires scope `rights:read`.
    """
    return service.to_public(service.get_request(session, request_id), now=clock())


@router.post(
    "/rights-requests/{request_id}/extend",
    response_model=RightsRequestPublic,
    summary="Extend a rights request's deadline",
    operation_id="extendRightsRequest",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.extend"),
)
def extend_rights_request(
    request_id: uuid.UUID, body: RightsRequestExtend, uow: UnitOfWorkDep, clock: ClockDep
) -> RightsRequestPublic:
    """Extend the deadline by 1 or 2 months, with the reason and when the person was
    told (Art 12(3)).

    The person must be told of the extension and its reasons within one month of
    receipt: `informed_at` after the original `due_at` is refused (409), one in the
    future or before receipt is invalid (422). At most two months in total (409). The
    further months run from the end of the first month as it falls before a weekend or
    holiday moves it (Reg 1182/71 art. 3(2)(c)); the new last day is then moved off a
    weekend or holiday (art. 3(4)): received 2026-01-30, extended by two months → due
    2026-04-28T23:59:59+02:00.

    Requires scope `rights:write`.
    """
    now = clock()
    request = service.extend(uow.session, request_id, body, now=now)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    return service.to_public(request, now=now)


@router.post(
    "/rights-requests/{request_id}/complete",
    response_model=RightsRequestPublic,
    summary="Complete a rights request",
    operation_id="completeRightsRequest",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.complete"),
)
def complete_rights_request(
    request_id: uuid.UUID, body: RightsRequestComplete, uow: UnitOfWorkDep, clock: ClockDep
) -> RightsRequestPublic:
    """Close the request with its outcome (`fulfilled`, `partially_fulfilled`, `refused`).

    `refused` and `partially_fulfilled` need `reasons` (422 without): the answer to the
    person states them, the right to complain to the supervisory authority (IMY) and to
    seek a judicial remedy (Art 12(4)), recorded as `complaint_and_remedy_stated`. A
    refusal of a manifestly unfounded or excessive request records `refusal_grounds`
    (Art 12(5); the controller bears the burden of demonstrating it). `note` is internal.
    A completed request cannot be changed (409). A request still awaiting verification
    can only be `refused` (409 otherwise; Art 11(2), 12(2)). Completion clears the
    requester's identifiers: the answer is sent, they are no longer needed. A requester
    no subject matched is answered `fulfilled` with e.g. the note "no data held". An
    access or portability request is completed other than `refused` only once its
    third-party review is done (409 while a record is undecided: the review is fixed at
    completion, and the answer gives what was decided). One whose review withheld or redacted
    anything cannot be `fulfilled` (409): the person did not get everything, and is
    told why — `partially_fulfilled` with `reasons` (Art 12(4), 15(4)).

    Requires scope `rights:write`.
    """
    now = clock()
    request = service.complete(uow.session, request_id, body, now=now)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    return service.to_public(request, now=now)


@router.post(
    "/rights-requests/{request_id}/verify",
    response_model=RightsRequestPublic,
    summary="Record that the person's identity was verified",
    operation_id="verifyRightsRequest",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.verify"),
)
def verify_rights_request(
    request_id: uuid.UUID, body: RightsRequestVerify, uow: UnitOfWorkDep, clock: ClockDep
) -> RightsRequestPublic:
    """Record how and when the person was identified (Art 12(2), 12(6)); the request is
    `open` and its deadline, paused since receipt, moves by the days it awaited
    verification (EDPB Guidelines 01/2022 § 159): received 2026-02-02, verified
    2026-02-05 → due 2026-03-05 instead of 2026-03-02. Use proportionate means (§§ 65-77);
    record the method, not the evidence.

    Only a request `awaiting_verification` (409 otherwise); `verified_at` not before
    receipt nor in the future (422).

    Requires scope `rights:write`.
    """
    now = clock()
    request = service.verify(uow.session, request_id, body, now=now)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    return service.to_public(request, now=now)


@router.post(
    "/rights-requests/{request_id}/request-information",
    response_model=RightsRequestPublic,
    summary="Record information asked of the person",
    operation_id="requestRightsRequestInformation",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.request_information"),
)
def request_information(
    request_id: uuid.UUID, body: RightsRequestAskInformation, uow: UnitOfWorkDep, clock: ClockDep
) -> RightsRequestPublic:
    """Record what was asked of the person and when (`asked`: no personal data beyond
    what is needed); the deadline is paused until the information arrives (EDPB
    Guidelines 01/2022 § 159) and `overdue` is false meanwhile.

    Only an open request that is not already paused (409).

    Requires scope `rights:write`.
    """
    now = clock()
    request = service.ask_information(uow.session, request_id, body, now=now)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    return service.to_public(request, now=now)


@router.post(
    "/rights-requests/{request_id}/information-received",
    response_model=RightsRequestPublic,
    summary="Record that the information asked arrived",
    operation_id="rightsRequestInformationReceived",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.information_received"),
)
def information_received(
    request_id: uuid.UUID,
    body: RightsRequestInformationReceived,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> RightsRequestPublic:
    """The information asked of the person arrived: the deadline runs again and `due_at`
    moves by the calendar days paused (asked on the 3rd, received on the 10th: seven
    days), then off a weekend or Swedish holiday (Reg 1182/71 art. 3(4)).

    Only a request awaiting information (409); `received_at` not before it was asked nor
    in the future (422).

    Requires scope `rights:write`.
    """
    now = clock()
    request = service.information_received(uow.session, request_id, body, now=now)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    return service.to_public(request, now=now)


@router.get(
    "/rights-requests/{request_id}/review",
    response_model=ReviewState,
    summary="The third-party review of a request (Art 15(4))",
    operation_id="getRightsRequestReview",
    dependencies=[requires("rights:read")],
    responses=problem_responses(400, 401, 403, 404, 422),
)
def get_review(
    request_id: uuid.UUID,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> ReviewState:
    """The records of the subjects the request covers that may carry other people's
    data — every `note` and `meeting` record — and any other record decided on, with
    the decision taken (`null`: not yet), in record id order, one page at a time.

    Nothing is released through the request (its access report, export or answer
    letter; 409 `review-pending`) while `pending` is above zero: a staff note may hold
    an opinion about a colleague, a meeting names other participants (Art 15(4); EDPB
    Guidelines 01/2022 §§ 169-173: weigh it record by record, do not refuse everything).

    Requires scope `rights:read`.
    """
    return review.review_state(session, request_id, page=page)


@router.post(
    "/rights-requests/{request_id}/review",
    response_model=ReviewItem,
    summary="Decide what a request releases of one record",
    operation_id="decideRightsRequestReview",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.review"),
)
def decide_review(
    request_id: uuid.UUID,
    body: ReviewDecisionCreate,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> ReviewItem:
    """Record the decision on one record of a subject the request covers: `release` it
    as it is, `redact` the named `fields` of its data (at least one, each a field of the
    record's category: e.g. a meeting's `participants`), or `withhold` it. A new
    decision on the same record replaces the earlier one (each is audited, with the
    actor); a completed request's review is fixed (409). A record of another subject,
    another tenant or unknown is 422.

    Everything released through the request afterwards applies the decisions: the
    access report and export with `rights_request_id` (withheld records left out,
    redacted fields taken out, and `third_party_review` saying so) and the answer
    letter.

    Requires scope `rights:write`.
    """
    item, request = review.decide(uow.session, request_id, body, actor=uow.actor, now=clock())
    uow.concerns(
        subject_id=item.record.subject_id, record_id=item.record.id, rights_request_id=request.id
    )
    return item
