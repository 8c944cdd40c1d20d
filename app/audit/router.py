"""Reading the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditEventPublic, AuditOutcome
from app.core.clock import Rfc3339
from app.core.deps import SessionDep, requires
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, page_params

router = APIRouter(tags=["audit"])


@router.get(
    "/audit-events",
    response_model=Page[AuditEventPublic],
    summary="List audit events",
    operation_id="listAuditEvents",
    dependencies=[requires("audit:read")],
    responses=problem_responses(400, 401, 403, 422),
)
def list_audit_events(
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=64, description="e.g. `subject.create`")] = None,
    subject_id: Annotated[uuid.UUID | None, Query()] = None,
    rights_request_id: Annotated[uuid.UUID | None, Query()] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    outcome: Annotated[AuditOutcome | None, Query()] = None,
    since: Annotated[Rfc3339 | None, Query(description="Events at or after (RFC 3339).")] = None,
    until: Annotated[Rfc3339 | None, Query(description="Events before (RFC 3339).")] = None,
) -> Page[AuditEventPublic]:
    """The tenant's audit events, oldest first.

    Every state-changing call by an authenticated caller leaves one event, whether it
    succeeded (`success`) or was refused (`denied` for 403, `rejected` for other 4xx,
    `error` for 5xx). Events hold ids and codes only, never personal data. Calls
    without a valid token have no tenant to file them under; they are counted in the
    `privacy_auth_failures_total` metric instead.

    Requires scope `audit:read`.
    """
    events, next_cursor = service.list_events(
        session,
        page=page,
        action=action,
        subject_id=subject_id,
        rights_request_id=rights_request_id,
        actor=actor,
        outcome=outcome,
        since=since,
        until=until,
    )
    return Page[AuditEventPublic](
        items=[AuditEventPublic.model_validate(e) for e in events], next_cursor=next_cursor
    )
