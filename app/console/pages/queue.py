"""The queue: open rights requests by due date, what is overdue or due soon first."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from app.console.deps import ConsoleUser, ReadSessionDep, requires
from app.console.render import render
from app.console.routing import page_router
from app.requests import queue as request_queue
from app.requests.schemas import Channel, RequestStatus, RequestType

router = page_router()


@router.get("")
def queue_page(
    request: Request,
    user: Annotated[ConsoleUser, Depends(requires("rights:read"))],
    session: ReadSessionDep,
    type: Annotated[RequestType | None, Query()] = None,
    status: Annotated[RequestStatus | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=request_queue.MAX_PAGE)] = 1,
) -> Response:
    """The queue (filters are enumerated values only: no personal data in the URL)."""
    now = request.app.state.clock()
    result = request_queue.queue(
        session, now=now, type=type, status=status, channel=channel, page=page
    )
    filters = {
        key: value.value
        for key, value in (("type", type), ("status", status), ("channel", channel))
        if value is not None
    }
    return render(
        request,
        user,
        "console/queue/index.html",
        {
            "queue": result,
            "filters": filters,
            "types": [t.value for t in RequestType],
            "statuses": [s.value for s in RequestStatus if s != RequestStatus.completed],
            "channels": [c.value for c in Channel],
            "due_soon_days": request_queue.DUE_SOON_WORKING_DAYS,
            "can_open": user.has("rights:write"),
        },
    )
