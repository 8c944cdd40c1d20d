"""A rights request's own retention (Art 5(1)(e)).

Completion clears the requester's identifiers; the request itself is the controller's
accountability record (Art 5(2), 12, 24) and is kept for the tenant's
`rights_request_retention_months` after its completion — counted as the other retention
periods are (`app.retention.rules`): the day of completion in the tenant's time zone,
plus that many calendar months, is the last day; the purge deletes it from the next day
on. Completed 2026-03-31 (Stockholm), 36 months: kept through 2029-03-31, deleted from
2029-04-01. Open requests, and those awaiting verification, are never deleted.

Everything that belongs to a request goes with it, through `delete_requests` only: a
table whose rows belong to a request is one line in `BELONGS_TO_REQUEST`. Rows that only
name a request keep its id, which is not the requester's data: audit events (append-only),
and the rectification history and restrictions, which belong to the record and the
subject (Art 16, 18) and outlive the request that caused them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from app.requests.models import ReviewDecision, RightsRequest, RightsRequestLetter
from app.requests.schemas import RequestStatus
from app.retention.rules import add_months
from app.retention.settings import TenantSettings, settings_of_tenant

# Tables whose rows belong to a rights request (a `rights_request_id` column) and are
# deleted with it, before it. One line per table.
BELONGS_TO_REQUEST: tuple[Any, ...] = (ReviewDecision, RightsRequestLetter)

# Tables that name a request but outlive it (see the module docstring).
KEEP_THE_REQUEST_ID = frozenset({"audit_event", "record_history", "restriction"})


def last_day(settings: TenantSettings, completed_at: datetime) -> date:
    """The last day a request completed at `completed_at` is kept."""
    return add_months(settings.local_date(completed_at), settings.rights_request_retention_months)


def kept_from(settings: TenantSettings, now: datetime) -> datetime:
    """The earliest completion still kept at `now`: a request completed before it is past
    its retention. The first day whose `last_day` is today or later, from its start in
    the tenant's time zone (`add_months` never decreases, so earlier days are past)."""
    today = settings.today(now)
    day = add_months(today, -settings.rights_request_retention_months)
    while add_months(day, settings.rights_request_retention_months) < today:
        day += timedelta(days=1)  # a day number the earlier month lacks: at most 3 steps
    return datetime.combine(day, time.min, tzinfo=settings.zone).astimezone(UTC)


def tenants_with_completed(session: Session, tenants: Collection[str] | None) -> list[str]:
    """The tenants (of `tenants`, default every one) with a completed request."""
    statement = select(RightsRequest.tenant_id).where(
        col(RightsRequest.status) == RequestStatus.completed.value
    )
    if tenants is not None:
        statement = statement.where(col(RightsRequest.tenant_id).in_(tenants))
    return sorted(set(session.exec(statement.distinct()).all()))


def past_retention(
    session: Session, *, now: datetime, tenants: Collection[str] | None = None
) -> dict[str, list[uuid.UUID]]:
    """The completed requests past their retention at `now`, by tenant, in id order. In
    a tenant session, that tenant's only."""
    due: dict[str, list[uuid.UUID]] = {}
    for tenant_id in tenants_with_completed(session, tenants):
        ids = due_in_tenant(session, tenant_id, now=now)
        if ids:
            due[tenant_id] = ids
    return due


def due_in_tenant(
    session: Session, tenant_id: str, *, now: datetime, lock: bool = False
) -> list[uuid.UUID]:
    """The tenant's completed requests past their retention at `now`, in id order;
    `lock`: claimed `FOR UPDATE SKIP LOCKED` (concurrent purges never take the same)."""
    cutoff = kept_from(settings_of_tenant(session, tenant_id), now)
    statement = (
        sa.select(col(RightsRequest.id))
        .where(
            col(RightsRequest.tenant_id) == tenant_id,
            col(RightsRequest.status) == RequestStatus.completed.value,
            col(RightsRequest.completed_at) < cutoff,
        )
        .order_by(col(RightsRequest.id))
    )
    if lock:
        statement = statement.with_for_update(skip_locked=True)
    return list(session.execute(statement).scalars().all())


def delete_requests(session: Session, ids: list[uuid.UUID]) -> int:
    """Delete the rights requests `ids` and everything that belongs to them (the caller
    commits). Returns how many requests were deleted."""
    if not ids:
        return 0
    for model in BELONGS_TO_REQUEST:
        session.execute(
            delete(model).where(col(model.rights_request_id).in_(ids)),
            execution_options={"synchronize_session": False},
        )
    result: Any = session.execute(
        delete(RightsRequest).where(col(RightsRequest.id).in_(ids)),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)
