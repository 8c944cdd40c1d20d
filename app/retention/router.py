"""Endpoints of retention: the rules in force, legal holds, the end of a relationship,
and the tenant settings the rules read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.etag import IfMatch, etag_for
from app.core.pagination import Page, PageParams, page_params
from app.retention import legal_holds, relationships, service
from app.retention import settings as tenant_settings
from app.retention.legal_holds import LegalHoldCreate, LegalHoldPublic
from app.retention.relationships import RelationshipEndIn, RelationshipEndPublic
from app.retention.schemas import RetentionRuleList, RetentionRulePublic
from app.retention.service import RULE_CODE_PATTERN, RetentionRuleIn, all_rules
from app.retention.settings import TenantSettingsIn, TenantSettingsPublic

router = APIRouter(tags=["retention"])


@router.get(
    "/retention-rules",
    response_model=RetentionRuleList,
    summary="Retention rules: holds and maximum retention",
    operation_id="listRetentionRules",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 422),
)
def list_retention_rules(session: SessionDep) -> RetentionRuleList:
    """The retention rules — data with their legal reference, not code: the built-in
    ones and the tenant's own. A rule covers a `category` (and, for sales documents,
    `kinds`) and either **keeps** records (`action: keep`, a hold: erasure and the purge
    leave them until the period's last day) or **deletes them after a maximum**
    (`action: delete_after`, Art 5(1)(e): the purge deletes them from the day after the
    period's last day, for every subject, unless a hold covers them — holds always win).

    The period (`years` and/or `months`) counts from the `basis`: `financial_year_end`
    (31 December of the calendar year in which the document's financial year ended; the
    document's `financial_year_end`, else the tenant's setting), `document_date`,
    `created_at`, `last_seen` (network records) or `relationship_end`
    (`PUT /v1/subjects/{id}/relationship-end`, else the day of erasure). Months are
    added calendar-wise (2024-01-31 + 1 month = 2024-02-29), and a period ends at the
    end of its last day in the tenant's time zone: an IP address last seen 2025-01-15
    under a 12-month maximum is kept through 2026-01-15 and deleted from 2026-01-16.

    Built in: Bokföringslagen (1999:1078) 7 kap. 2 § (`se-bfl-7-2`, active): invoices,
    and orders that serve as verifications, are kept until 31 December of the seventh
    year after the year in which their financial year ended. Preskriptionslagen
    (1981:130) 2 § (`se-preskription-2`, `active: false`): a template — claims become
    time-barred ten years after they arose, which justifies keeping the documents that
    evidence them; a tenant enables it by copying it under a code of its own
    (`PUT /v1/retention-rules/{code}` with the same fields and `active: true`).

    Requires scope `rights:read`.
    """
    return RetentionRuleList(items=[service.rule_public(rule) for rule in all_rules(session)])


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
    code: Annotated[str, Path(pattern=RULE_CODE_PATTERN)],
    body: RetentionRuleIn,
    uow: UnitOfWorkDep,
) -> RetentionRulePublic:
    """Add or replace one of the tenant's own rules, validated: a hold (`keep`, e.g. a
    contractual retention of orders) or a maximum (`delete_after`, e.g. IP addresses
    twelve months after `last_seen`). The basis must fit the category (`last_seen`:
    network; `document_date`, `financial_year_end`: sales documents; `created_at`,
    `relationship_end`: any), `kinds` are for sales documents only, and the period is
    longer than zero. It applies to the tenant's next erasures and purges (see
    `GET /v1/purge-preview` before enabling a maximum). Built-in rules cannot be changed
    or removed (409); copy a template under a code of your own to enable it.

    Requires scope `admin`.
    """
    return service.rule_public(service.put_rule(uow.session, code, body, actor=uow.actor))


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
    code: Annotated[str, Path(pattern=RULE_CODE_PATTERN)], uow: UnitOfWorkDep
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


@router.get(
    "/tenant-settings",
    response_model=TenantSettingsPublic,
    summary="The tenant's settings",
    operation_id="getTenantSettings",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 422),
)
def get_tenant_settings(session: SessionDep, response: Response) -> TenantSettingsPublic:
    """The tenant's `time_zone` (retention periods end at the end of a day there),
    `financial_year_end` (`MM-DD`, for sales documents without their own; Bokföringslagen
    7 kap. 2 §), `verification_required` (rights requests await identity
    verification) and `rights_request_retention_months` (how long a completed rights
    request is kept, as the controller's accountability record, Art 5(2); then the purge
    deletes it, Art 5(1)(e)) and `third_party_review_categories` (the record categories
    reviewed for other people's data before a rights request releases anything, Art
    15(4)). Until set, the defaults apply (`is_default: true`, version 0):
    `Europe/Stockholm`, `12-31`, `true`, `36`, `["note", "meeting"]`. The `ETag` header
    carries the version.

    Requires scope `admin`.
    """
    current = tenant_settings.tenant_settings(session)
    response.headers["ETag"] = etag_for(current.version)
    return tenant_settings.to_public(current)


@router.put(
    "/tenant-settings",
    response_model=TenantSettingsPublic,
    summary="Replace the tenant's settings",
    operation_id="replaceTenantSettings",
    dependencies=[requires("admin")],
    responses=problem_responses(400, 401, 403, 409, 412, 413, 415, 422),
    openapi_extra=audited("tenant_settings.replace"),
)
def replace_tenant_settings(
    body: TenantSettingsIn,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> TenantSettingsPublic:
    """Replace the settings (an omitted field takes its default), validated: an IANA
    time zone (422 otherwise), a `financial_year_end` that is a day of its month (`02-30`
    answers 422; `02-29` means the last day of February), a
    `rights_request_retention_months` from 1 to 120 (422 otherwise), record categories in
    `third_party_review_categories` (422 for an unknown one; a repeat counts once; a
    change applies to the reviews of open requests at once). With `If-Match`, a stale
    version answers 412. The financial year applies to sales documents without their
    own `financial_year_end`, also to those already stored; a change that would shorten
    the retention of a record held today (e.g. from `04-30` back to `12-31`) answers 409 —
    Bokföringslagen 7 kap. 2 § obligations cannot end early by a change of setting.

    Requires scope `admin`.
    """
    updated = tenant_settings.replace_settings(
        uow.session, body, actor=uow.actor, if_match=if_match, now=clock()
    )
    response.headers["ETag"] = etag_for(updated.version)
    return tenant_settings.to_public(updated)


@router.put(
    "/subjects/{subject_id}/relationship-end",
    response_model=RelationshipEndPublic,
    summary="Record the end of the relationship with a subject",
    operation_id="setRelationshipEnd",
    dependencies=[requires("subjects:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 410, 413, 415, 422),
    openapi_extra=audited("subject.relationship_end.set"),
)
def set_relationship_end(
    subject_id: uuid.UUID, body: RelationshipEndIn, uow: UnitOfWorkDep, clock: ClockDep
) -> RelationshipEndPublic:
    """Record the day the relationship with the subject ended (the contact left the
    customer, the contract ended). Retention rules with the basis `relationship_end`
    count from it: a maximum starts to run, a hold gets its end. Moving a recorded day
    earlier while a `keep` rule holds one of the subject's records by it answers 409.
    An erased subject answers 410 (its relationship ended with the erasure).

    Requires scope `subjects:write`.
    """
    stored = relationships.record_end(
        uow.session, subject_id, body.ended_on, actor=uow.actor, now=clock()
    )
    uow.concerns(subject_id=subject_id)
    assert stored is not None
    return RelationshipEndPublic(
        subject_id=subject_id, ended_on=stored.ended_on, set_at=stored.set_at
    )


@router.delete(
    "/subjects/{subject_id}/relationship-end",
    status_code=204,
    summary="Withdraw the recorded end of the relationship",
    operation_id="deleteRelationshipEnd",
    dependencies=[requires("subjects:write")],
    responses=problem_responses(401, 403, 404, 410, 422),
    openapi_extra=audited("subject.relationship_end.delete"),
)
def delete_relationship_end(subject_id: uuid.UUID, uow: UnitOfWorkDep, clock: ClockDep) -> Response:
    """The relationship resumed: rules on `relationship_end` wait again (a hold has no
    end, a maximum does not run). 404 when no end is recorded.

    Requires scope `subjects:write`.
    """
    relationships.record_end(uow.session, subject_id, None, actor=uow.actor, now=clock())
    uow.concerns(subject_id=subject_id)
    return Response(status_code=204)
