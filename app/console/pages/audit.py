"""The audit log in the console: the tenant's events, newest first, with filters.

It reads through `app.audit.service.list_events`, as `GET /v1/audit-events` does, and
needs the same scope (`audit:read`). The filters are GET query parameters (so a filtered
view can be bookmarked) and hold no personal data: an action code, an actor (`sub`),
ids and days.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from app.audit import service as audit_service
from app.audit.schemas import AuditOutcome
from app.console.deps import ConsoleUser, ReadSessionDep, requires
from app.console.i18n import translator
from app.console.notice_form import FieldErrors, field_id
from app.console.render import render
from app.console.routing import page_router
from app.core.errors import AppError
from app.core.pagination import DEFAULT_LIMIT, PageParams, decode_cursor
from app.retention import settings as tenant_settings

router = page_router()

AuditReader = Annotated[ConsoleUser, Depends(requires("audit:read"))]
ReadSession = ReadSessionDep

FILTERS = (
    "action",
    "actor",
    "outcome",
    "from",
    "to",
    "subject_id",
    "rights_request_id",
    "request_id",
)


def _uuid(value: str, name: str, errors: FieldErrors, message: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        errors.add(name, message)
        return None


def _day(value: str, name: str, errors: FieldErrors, message: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(name, message)
        return None


@router.get("/audit")
def audit_page(
    request: Request,
    user: AuditReader,
    session: ReadSession,
    action: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    outcome: Annotated[str, Query(max_length=16)] = "",
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
    subject_id: Annotated[str, Query(max_length=36)] = "",
    rights_request_id: Annotated[str, Query(max_length=36)] = "",
    request_id: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The events matching every filter given, newest first, a page at a time. The days
    `from` and `to` (both included) are days in the tenant's time zone."""
    t = translator(user.lang)
    filters = {
        "action": action.strip(),
        "actor": actor.strip(),
        "outcome": outcome,
        "from": from_,
        "to": to,
        "subject_id": subject_id.strip(),
        "rights_request_id": rights_request_id.strip(),
        "request_id": request_id.strip(),
    }
    errors = FieldErrors()
    bad_id, bad_day = t("audit.error.id"), t("audit.error.day")
    subject = _uuid(filters["subject_id"], "subject_id", errors, bad_id)
    rights_request = _uuid(filters["rights_request_id"], "rights_request_id", errors, bad_id)
    first = _day(from_, "from", errors, bad_day)
    last = _day(to, "to", errors, bad_day)
    if first and last and last < first:
        errors.add("to", t("audit.error.range"))
    chosen_outcome = None
    if outcome:
        try:
            chosen_outcome = AuditOutcome(outcome)
        except ValueError:
            errors.add("outcome", t("settings.form.error.choice"))
    after = None
    if cursor:
        try:
            after = decode_cursor(cursor)
        except AppError:
            errors.add("", t("audit.error.cursor"))
    events: list[Any] = []
    next_cursor = None
    if not errors:
        settings = tenant_settings.tenant_settings(session)
        since = _start_of(first, settings.zone) if first else None
        until = _start_of(last + timedelta(days=1), settings.zone) if last else None
        rows, next_cursor = audit_service.list_events(
            session,
            page=PageParams(limit=DEFAULT_LIMIT, after=after),
            action=filters["action"] or None,
            subject_id=subject,
            rights_request_id=rights_request,
            actor=filters["actor"] or None,
            outcome=chosen_outcome,
            since=since,
            until=until,
            request_id=filters["request_id"] or None,
            newest_first=True,
        )
        events = list(rows)
    query = {k: v for k, v in filters.items() if v}
    return _page(
        request,
        user,
        "console/audit/index.html",
        {
            "events": events,
            "filters": filters,
            "errors": errors,
            "outcomes": [o.value for o in AuditOutcome],
            "next_url": "/console/audit?" + urlencode({**query, "cursor": next_cursor})
            if next_cursor
            else None,
            "first_url": "/console/audit?" + urlencode(query) if cursor else None,
        },
        status_code=400 if errors else 200,
    )


def _start_of(day: date, zone: Any) -> datetime:
    """The first instant of `day` in the tenant's time zone."""
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _page(
    request: Request,
    user: ConsoleUser,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """`render`, with what the settings' form macros use (`field_id`)."""
    values = {"field_id": field_id, **(context or {})}
    return render(request, user, template, values, status_code=status_code)
