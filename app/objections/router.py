"""Endpoints of the general objection (Art 21(1))."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.objections import service
from app.objections.schemas import (
    ObjectionCreate,
    ObjectionDecision,
    ObjectionList,
    ObjectionPublic,
)
from app.subjects import service as subjects

router = APIRouter(tags=["rights"])


@router.post(
    "/subjects/{subject_id}/objections",
    status_code=201,
    response_model=ObjectionPublic,
    summary="Object to processing for a purpose (Art 21(1))",
    operation_id="objectToPurpose",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 410, 413, 415, 422),
    openapi_extra=audited("subject.object"),
)
def object_to_purpose(
    subject_id: uuid.UUID,
    body: ObjectionCreate,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
) -> ObjectionPublic:
    """Record the person's objection, on grounds relating to their particular situation,
    to processing for one purpose of the tenant's published privacy notice.

    Only purposes whose legal basis is `legitimate_interests` or `public_task` can be
    objected to (Art 21(1)); others, and codes the notice does not have, answer 422.
    Direct marketing has its own, absolute objection
    (`POST /v1/subjects/{id}/marketing-objection`). While the objection is `pending`
    the subject's data is restricted for that purpose (Art 18(1)(d)): the subject shows
    it in `restricted_purposes`. A second objection to the same purpose while one is
    pending or upheld answers 409. The `grounds` are stored as the person's words and
    shown in their access report, nowhere else.

    Requires scope `rights:write`.
    """
    subject = subjects.get_writable_subject(uow.session, subject_id)
    uow.concerns(subject_id=subject.id)
    objection = service.object_to_purpose(uow.session, subject, body, actor=uow.actor, now=clock())
    response.headers["Location"] = f"/v1/objections/{objection.id}"
    return service.public(objection)


@router.get(
    "/subjects/{subject_id}/objections",
    response_model=ObjectionList,
    summary="A subject's objections (Art 21(1))",
    operation_id="listObjections",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 404, 422),
)
def list_objections(subject_id: uuid.UUID, session: SessionDep) -> ObjectionList:
    """Every objection of the subject, oldest first, with its status and decision.

    Requires scope `rights:read`.
    """
    subject = subjects.get_subject(session, subject_id)
    return ObjectionList(
        items=[service.public(o) for o in service.list_for_subject(session, subject.id)]
    )


@router.get(
    "/objections/{objection_id}",
    response_model=ObjectionPublic,
    summary="An objection (Art 21(1))",
    operation_id="getObjection",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 404, 422),
)
def get_objection(objection_id: uuid.UUID, session: SessionDep) -> ObjectionPublic:
    """One objection with its status and decision.

    Requires scope `rights:read`.
    """
    return service.public(service.get_objection(session, objection_id))


@router.post(
    "/objections/{objection_id}/decide",
    response_model=ObjectionPublic,
    summary="Decide an objection: upheld or rejected (Art 21(1))",
    operation_id="decideObjection",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("objection.decide"),
)
def decide_objection(
    objection_id: uuid.UUID, body: ObjectionDecision, uow: UnitOfWorkDep, clock: ClockDep
) -> ObjectionPublic:
    """Decide a pending objection.

    `upheld`: the data is no longer processed for the purpose, and records of
    categories that served only that purpose are erased (listed in `erased`) — unless
    a hold keeps them (a statutory retention rule or a legal hold). `rejected`: needs
    `reasons`, the compelling legitimate grounds that override the person's interests,
    rights and freedoms, or the legal claims the processing serves (422 without). Both
    are audited, sent to recipients as `subject.objection_decided` (ids, purpose code
    and outcome only) and shown in the access report. Deciding twice answers 409.

    Requires scope `rights:write`.
    """
    objection, erased = service.decide(
        uow.session, objection_id, body, actor=uow.actor, now=clock(), tenant_id=uow.tenant
    )
    uow.concerns(subject_id=objection.subject_id)
    return service.public(objection, erased)
