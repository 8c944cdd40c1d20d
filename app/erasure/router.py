"""The erasure endpoint (Art 17)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.erasure import service
from app.erasure.schemas import ErasureReport, PurgePreview
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
        int, Query(ge=1, le=500, description="Most record ids listed per group.")
    ] = 50,
) -> PurgePreview:
    """The records of the tenant that the purge would delete now — computed by the same
    decision the purge makes, as of the service clock — grouped by category and reason:
    past the maximum of a `delete_after` rule (Art 5(1)(e), named with its reference),
    or kept records of an erased subject whose holds have ended. Records past a maximum
    that a hold keeps are counted apart (holds always win). Ids only, no personal data.

    Requires scope `rights:read`.
    """
    now = clock()
    return service.preview_report(service.preview(session, now=now), now=now, limit=limit)
