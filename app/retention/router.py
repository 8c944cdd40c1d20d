"""Endpoints of retention: the statutory rules in force."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, page_params
from app.retention import legal_holds, service
from app.retention.legal_holds import LegalHoldCreate, LegalHoldPublic
from app.retention.models import RetentionRule
from app.retention.schemas import RetentionRuleList, RetentionRulePublic
from app.retention.service import RetentionRuleIn, all_rules

router = APIRouter(tags=["retention"])


@router.get(
    "/retention-rules",
    response_model=RetentionRuleList,
    summary="Statutory retention rules",
    operation_id="listRetentionRules",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 422),
)
def list_retention_rules(session: SessionDep) -> RetentionRuleList:
    """The statutory retention rules in force — data with their legal reference, not
    code: which records each covers and until when they must be kept. The built-in rule
    is Bokföringslagen (1999:1078) 7 kap. 2 §: invoices, and orders that serve as
    verifications, are kept until 31 December of the seventh year after the year in
    which their financial year ended.

    Requires scope `rights:read`.
    """
    return RetentionRuleList(items=[_public(rule) for rule in all_rules(session)])


def _public(rule: Any) -> RetentionRulePublic:
    return RetentionRulePublic.model_validate(
        {
            **{f: getattr(rule, f) for f in RetentionRuleIn.model_fields},
            "code": rule.code,
            "built_in": isinstance(rule, RetentionRule),
        }
    )


@router.put(
    "/retention-rules/{code}",
    response_model=RetentionRulePublic,
    summary="Add or replace a tenant's own retention rule",
    operation_id="putRetentionRule",
    dependencies=[requires("admin")],
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422),
    openapi_extra=audited("retention_rule.put"),
)
def put_retention_rule(
    code: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")],
    body: RetentionRuleIn,
    uow: UnitOfWorkDep,
) -> RetentionRulePublic:
    """Add or replace one of the tenant's own rules (e.g. a contractual retention of
    orders), validated. It applies to the tenant's next erasures and purges. Built-in
    statutory rules cannot be changed or removed (409).

    Requires scope `admin`.
    """
    return _public(service.put_rule(uow.session, code, body, actor=uow.actor))


@router.delete(
    "/retention-rules/{code}",
    status_code=204,
    summary="Remove a tenant's own retention rule",
    operation_id="deleteRetentionRule",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=audited("retention_rule.delete"),
)
def delete_retention_rule(
    code: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")], uow: UnitOfWorkDep
) -> Response:
    """Remove one of the tenant's own rules. It no longer keeps records of later
    erasures; records an erasure already kept under it are re-checked by the purge when
    their recorded date passes. Built-in rules answer 409.

    Requires scope `admin`.
    """
    service.delete_rule(uow.session, code)
    return Response(status_code=204)


@router.post(
    "/legal-holds",
    status_code=201,
    response_model=LegalHoldPublic,
    summary="Place a legal hold",
    operation_id="placeLegalHold",
    dependencies=[requires("holds:write")],
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
    openapi_extra=audited("legal_hold.place"),
)
def place_legal_hold(
    body: LegalHoldCreate, uow: UnitOfWorkDep, clock: ClockDep, response: Response
) -> LegalHoldPublic:
    """Place a hold on a subject (covering all its records, also ones added later) or on
    one record, with a reason and an optional end. While it is active, nothing erases
    what it covers: not the erasure, not the purge, not a record delete. A hold may be
    placed on an erased subject's kept records too.

    Requires scope `holds:write`.
    """
    now = clock()
    hold = legal_holds.place(uow.session, body, actor=uow.actor, now=now)
    uow.concerns(subject_id=hold.subject_id, record_id=hold.record_id)
    response.headers["Location"] = f"/v1/legal-holds/{hold.id}"
    return legal_holds.to_public(hold, now)


@router.get(
    "/legal-holds",
    response_model=Page[LegalHoldPublic],
    summary="List legal holds",
    operation_id="listLegalHolds",
    dependencies=[requires("holds:write")],
    responses=problem_responses(400, 401, 403, 422),
)
def list_legal_holds(
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[PageParams, Depends(page_params)],
    subject_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[LegalHoldPublic]:
    """The tenant's legal holds, oldest first, optionally of one subject.

    Requires scope `holds:write`.
    """
    now = clock()
    holds, next_cursor = legal_holds.list_holds(session, page=page, subject_id=subject_id)
    return Page[LegalHoldPublic](
        items=[legal_holds.to_public(h, now) for h in holds], next_cursor=next_cursor
    )


@router.post(
    "/legal-holds/{hold_id}/release",
    response_model=LegalHoldPublic,
    summary="Release a legal hold",
    operation_id="releaseLegalHold",
    dependencies=[requires("holds:write")],
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=audited("legal_hold.release"),
)
def release_legal_hold(hold_id: uuid.UUID, uow: UnitOfWorkDep, clock: ClockDep) -> LegalHoldPublic:
    """Release the hold. Kept records of an erased subject that nothing holds any more
    are deleted by the next purge. Releasing twice answers 409.

    Requires scope `holds:write`.
    """
    now = clock()
    hold = legal_holds.release(uow.session, hold_id, actor=uow.actor, now=now)
    uow.concerns(subject_id=hold.subject_id, record_id=hold.record_id)
    return legal_holds.to_public(hold, now)
