"""Writing and reading audit events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.audit.schemas import AuditOutcome
from app.core.pagination import PageParams, paginate


def outcome_for(status_code: int) -> AuditOutcome:
    if status_code < 400:
        return AuditOutcome.success
    if status_code in (401, 403):
        return AuditOutcome.denied
    if status_code < 500:
        return AuditOutcome.rejected
    return AuditOutcome.error


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    request_id: str,
    status_code: int,
    subject_id: uuid.UUID | None = None,
    record_id: uuid.UUID | None = None,
    rights_request_id: uuid.UUID | None = None,
    items: int | None = None,
    tenant_id: str | None = None,
) -> AuditEvent:
    """Add an event to the session's transaction (the caller commits).

    `tenant_id` is for system jobs only; in a tenant session the tenant is stamped.
    """
    event = AuditEvent(
        tenant_id=tenant_id or "",
        items=items,
        actor=actor,
        action=action,
        subject_id=subject_id,
        record_id=record_id,
        rights_request_id=rights_request_id,
        request_id=request_id,
        outcome=outcome_for(status_code).value,
        status_code=status_code,
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    page: PageParams,
    action: str | None = None,
    subject_id: uuid.UUID | None = None,
    rights_request_id: uuid.UUID | None = None,
    actor: str | None = None,
    outcome: AuditOutcome | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    request_id: str | None = None,
    newest_first: bool = False,
) -> tuple[Sequence[AuditEvent], str | None]:
    """The session's tenant's events matching every filter given, by id (oldest first,
    or newest first); `until` is exclusive, `request_id` is the HTTP request's id."""
    statement = select(AuditEvent)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if subject_id is not None:
        statement = statement.where(AuditEvent.subject_id == subject_id)
    if rights_request_id is not None:
        statement = statement.where(AuditEvent.rights_request_id == rights_request_id)
    if actor is not None:
        statement = statement.where(AuditEvent.actor == actor)
    if request_id is not None:
        statement = statement.where(AuditEvent.request_id == request_id)
    if outcome is not None:
        statement = statement.where(AuditEvent.outcome == outcome.value)
    if since is not None:
        statement = statement.where(col(AuditEvent.at) >= since)
    if until is not None:
        statement = statement.where(col(AuditEvent.at) < until)
    return paginate(session, statement, AuditEvent.id, page, descending=newest_first)
