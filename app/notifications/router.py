"""Endpoints to manage recipients (webhooks) and inspect deliveries (Art 19)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.core.deps import SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, page_params
from app.notifications import service
from app.notifications.schemas import (
    DeliveryAttemptPublic,
    DeliveryPublic,
    DeliveryStatus,
    RecipientCreate,
    RecipientCreated,
    RecipientPublic,
)

router = APIRouter(tags=["recipients"])


@router.post(
    "/recipients",
    status_code=201,
    response_model=RecipientCreated,
    summary="Register a recipient (webhook)",
    operation_id="createRecipient",
    dependencies=[requires("admin")],
    responses=problem_responses(400, 401, 403, 413, 415, 422),
    openapi_extra=audited("recipient.create"),
)
def create_recipient(
    body: RecipientCreate, uow: UnitOfWorkDep, request: Request, response: Response
) -> RecipientCreated:
    """Register a system to be told of rectifications, restrictions and erasures (Art 19).

    Each event is POSTed as JSON holding ids, the event type and changed field names,
    never personal values; the recipient fetches what it needs with its own token.
    Requests are signed: `X-Privacy-Timestamp: <unix seconds>` and
    `X-Privacy-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + raw body>`, keyed
    with the recipient's secret, which is shown only in this answer. Failed deliveries
    are retried with exponential backoff.

    The URL must be an absolute https URL with a valid host name or IP address, an
    optional port from 1 to 65535 and no credentials (`422` otherwise, checked before
    any DNS lookup), and its host must resolve to public addresses only: loopback,
    private and reserved addresses are refused, and so are IPv6 addresses that embed an
    IPv4 address (IPv4-mapped and -compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`,
    Teredo `2001::/32`). Before each delivery the host is resolved once more, checked
    again, and the request goes to that checked address (with the host name in `Host`
    and in TLS), never to a second DNS answer.

    Requires scope `admin`.
    """
    settings = request.app.state.settings
    recipient = service.create_recipient(
        uow.session, body, allow_private=settings.webhook_allow_private
    )
    response.headers["Location"] = f"/v1/recipients/{recipient.id}"
    return RecipientCreated.model_validate(recipient, from_attributes=True)


@router.get(
    "/recipients",
    response_model=Page[RecipientPublic],
    summary="List recipients",
    operation_id="listRecipients",
    dependencies=[requires("admin")],
    responses=problem_responses(400, 401, 403, 422),
)
def list_recipients(
    session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[RecipientPublic]:
    """The tenant's recipients (secrets are never shown again).

    Requires scope `admin`.
    """
    recipients, next_cursor = service.list_recipients(session, page=page)
    return Page[RecipientPublic](
        items=[RecipientPublic.model_validate(r) for r in recipients], next_cursor=next_cursor
    )


@router.delete(
    "/recipients/{recipient_id}",
    response_model=RecipientPublic,
    summary="Deactivate a recipient",
    operation_id="deactivateRecipient",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=audited("recipient.deactivate"),
)
def deactivate_recipient(recipient_id: uuid.UUID, uow: UnitOfWorkDep) -> RecipientPublic:
    """Stop notifying a recipient. Its delivery history is kept; pending deliveries fail.

    Requires scope `admin`.
    """
    recipient = service.deactivate_recipient(uow.session, recipient_id)
    return RecipientPublic.model_validate(recipient)


@router.get(
    "/deliveries",
    response_model=Page[DeliveryPublic],
    summary="List webhook deliveries",
    operation_id="listDeliveries",
    dependencies=[requires("admin")],
    responses=problem_responses(400, 401, 403, 422),
)
def list_deliveries(
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[DeliveryStatus | None, Query()] = None,
    recipient_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[DeliveryPublic]:
    """Notifications sent or to be sent, oldest first, with their state.

    Requires scope `admin`.
    """
    deliveries, next_cursor = service.list_deliveries(
        session, page=page, status=status, recipient_id=recipient_id
    )
    return Page[DeliveryPublic](
        items=[DeliveryPublic.model_validate(d) for d in deliveries], next_cursor=next_cursor
    )


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryPublic,
    summary="Get a webhook delivery with its attempts",
    operation_id="getDelivery",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 404, 422),
)
def get_delivery(delivery_id: uuid.UUID, session: SessionDep) -> DeliveryPublic:
    """One delivery and every attempt to send it (time, HTTP status or error, duration).

    Requires scope `admin`.
    """
    delivery, attempts = service.get_delivery(session, delivery_id)
    public = DeliveryPublic.model_validate(delivery)
    public.attempt_log = [DeliveryAttemptPublic.model_validate(a) for a in attempts]
    return public
