"""The erasure endpoints (Art 17): of one subject, of every subject a rights request
covers, and the preview of the purge."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.audit.service import record_event
from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.erasure import request_erasure, service
from app.erasure.schemas import ErasureReport, PurgePreview, RequestErasureReport
from app.requests import service as requests
from app.subjects import service as subjects

router = APIRouter(tags=["erasure"])


@router.post(
    "/subjects/{subject_id}/erasure",
    response_model=ErasureReport,
    summary="Erase a subject (Art 17)",
    operation_id="eraseSubject",
    dependencies=[requires("rights:write")],
    responses=problem_responses(308, 401, 403, 404, 422),
    openapi_extra=audited("subject.erase"),
)
def erase_subject(
    subject_id: uuid.UUID,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    dry_run: Annotated[bool, Query(description="Return the plan and change nothing.")] = False,
    rights_request_id: Annotated[
        uuid.UUID | None, Query(description="The rights request this call serves.")
    ] = None,
) -> dict[str, Any]:
    """Erase everything about the subject that no hold protects, in one transaction.

    Records no hold covers are deleted with their rectification history. Records a hold
    covers are kept, restricted, with the last day they must be kept: a statutory rule
    (Bokföringslagen 7 kap. 2 §: invoices, and orders that are verifications) or a legal
    hold (`until: null` while it has no end). The subject's emails and phones are
    removed, and so are its objections to purposes (with the person's grounds); its
    marketing objection survives (as hashes), it becomes `erased` and
    accepts no more writes (410). Recipients are told (ids only). Kept records are
    deleted by the purge when their last hold ends.

    The report names every record erased and kept, and each hold's kind, id, reference
    and `until`. `?dry_run=true` returns the plan and changes nothing. Erasing an
    erased subject answers its current report.

    Requires scope `rights:write`.
    """
    subject = subjects.get_locked_subject(uow.session, subject_id)  # a merged id: 308
    requests.link_call(uow, subject.id, rights_request_id)
    return service.erase_or_report(
        uow.session,
        subject,
        dry_run=dry_run,
        actor=uow.actor,
        tenant_id=uow.tenant,
        now=clock(),
    )


@router.post(
    "/rights-requests/{request_id}/erasure",
    response_model=RequestErasureReport,
    summary="Erase every subject a rights request covers (Art 17)",
    operation_id="eraseRightsRequestSubjects",
    dependencies=[requires("rights:write")],
    responses=problem_responses(401, 403, 404, 409, 422),
    openapi_extra=audited("rights_request.erase"),
)
def erase_rights_request(
    request_id: uuid.UUID,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    dry_run: Annotated[bool, Query(description="Return the plans and change nothing.")] = False,
) -> RequestErasureReport:
    """Erase every subject the erasure request covers, in one transaction: each subject
    matched by the requester's identifiers, duplicates included (two imports of the same
    person), and for a subject merged since, the subject it was merged into (once).

    Each subject is erased exactly as `POST /v1/subjects/{id}/erasure` erases it: records
    no hold covers are deleted, held records are kept, restricted, with each hold and its
    `until` (e.g. an invoice under Bokföringslagen 7 kap. 2 §); emails and phones go; the
    subject becomes `erased`; recipients are told (ids only). A subject erased before
    answers its current report. If any subject cannot be erased, none is. `subjects`
    holds one report per subject, in id order; an empty list means no data is held.
    `?dry_run=true` returns the plans and changes nothing.

    404 for an unknown (or another tenant's) request. 409 if the request is not of type
    `erasure`, is completed, or awaits verification of the person's identity (nothing is
    done for a person not identified, Art 12(2), 12(6)). Audited as
    `rights_request.erase` for the request, and once more for each subject it erased
    (ids only). Completing the request stays a step of its own.

    Requires scope `rights:write`.
    """
    uow.concerns(rights_request_id=request_id)
    result = request_erasure.erase_request(
        uow.session,
        request_id,
        dry_run=dry_run,
        actor=uow.actor,
        tenant_id=uow.tenant,
        now=clock(),
    )
    for subject_id in result.erased_subject_ids:
        # Each subject's audit trail shows its erasure, and which request it served.
        record_event(
            uow.session,
            actor=uow.actor,
            action="rights_request.erase",
            request_id=uow.request.state.request_id,
            status_code=200,
            subject_id=subject_id,
            rights_request_id=result.request.id,
        )
    return RequestErasureReport.model_validate(
        {"rights_request_id": result.request.id, "dry_run": dry_run, "subjects": result.reports}
    )


@router.get(
    "/purge-preview",
    response_model=PurgePreview,
    summary="What the next purge would delete, and why",
    operation_id="previewPurge",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 422),
)
def purge_preview(
    session: SessionDep,
    clock: ClockDep,
    limit: Annotated[
        int, Query(ge=1, le=500, description="Most ids listed per group and of requests.")
    ] = 50,
) -> PurgePreview:
    """The records of the tenant that the purge would delete now — computed by the same
    decision the purge makes, as of the service clock — grouped by category and reason:
    past the maximum of a `delete_after` rule (Art 5(1)(e), named with its reference),
    or kept records of an erased subject whose holds have ended. Records past a maximum
    that a hold keeps are counted apart (holds always win). `rights_requests` counts the
    completed rights requests past the tenant's `rights_request_retention_months` (from
    the day of completion, in the tenant's time zone), which the purge deletes with what
    belongs to them. Ids only, no personal data.

    Requires scope `rights:read`.
    """
    now = clock()
    return service.preview_report(service.preview(session, now=now), now=now, limit=limit)
