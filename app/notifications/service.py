"""Recipients, and the outbox: a change writes its notifications in its own transaction."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.core.errors import NotFound
from app.core.ids import uuid7
from app.core.pagination import PageParams, paginate
from app.notifications.models import Delivery, DeliveryAttempt, Recipient
from app.notifications.schemas import DeliveryStatus, EventType, RecipientCreate
from app.notifications.urls import check_webhook_url


def create_recipient(session: Session, body: RecipientCreate, *, allow_private: bool) -> Recipient:
    """Register a recipient whose URL passed the webhook URL rule (`422` otherwise)."""
    check_webhook_url(body.url, allow_private=allow_private)
    recipient = Recipient(
        name=body.name,
        url=body.url,
        secret=body.secret or secrets.token_urlsafe(32),
        event_types=[e.value for e in dict.fromkeys(body.event_types)],
    )
    session.add(recipient)
    session.flush()
    return recipient


def get_recipient(session: Session, recipient_id: uuid.UUID) -> Recipient:
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound("No recipient with this id.")
    return recipient


def deactivate_recipient(session: Session, recipient_id: uuid.UUID) -> Recipient:
    """Stop notifying a recipient; its delivery history is kept (Art 19 accountability)
    and its pending deliveries fail when the dispatcher reaches them. Deactivating an
    inactive recipient changes nothing."""
    recipient = get_recipient(session, recipient_id)
    recipient.active = False
    session.flush()
    return recipient


def list_recipients(
    session: Session, *, page: PageParams
) -> tuple[Sequence[Recipient], str | None]:
    return paginate(session, select(Recipient), Recipient.id, page)


def notify(
    session: Session,
    *,
    event_type: EventType,
    tenant_id: str,
    now: datetime,
    subject_id: uuid.UUID,
    **ids_and_fields: Any,
) -> int:
    """Queue the event for every active recipient subscribed to it; returns how many.

    The payload holds ids, the event type and field names only: recipients fetch what
    they need with their own token.
    """
    # Filtered by tenant here too, so that a system job (the purge) notifies the right one.
    recipients = session.exec(
        select(Recipient).where(col(Recipient.active), col(Recipient.tenant_id) == tenant_id)
    ).all()
    queued = 0
    for recipient in recipients:
        if event_type.value not in recipient.event_types:
            continue
        event_id = uuid7()
        payload = {
            "event_id": str(event_id),
            "type": event_type.value,
            "tenant": tenant_id,
            "subject_id": str(subject_id),
            "occurred_at": now.isoformat().replace("+00:00", "Z"),
            **{k: _jsonable(v) for k, v in ids_and_fields.items()},
        }
        session.add(
            Delivery(
                tenant_id=tenant_id,
                id=event_id,
                recipient_id=recipient.id,
                event_type=event_type.value,
                payload=payload,
                next_attempt_at=now,
            )
        )
        queued += 1
    return queued


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def list_deliveries(
    session: Session,
    *,
    page: PageParams,
    status: DeliveryStatus | None = None,
    recipient_id: uuid.UUID | None = None,
) -> tuple[Sequence[Delivery], str | None]:
    statement = select(Delivery)
    if status is not None:
        statement = statement.where(Delivery.status == status.value)
    if recipient_id is not None:
        statement = statement.where(Delivery.recipient_id == recipient_id)
    return paginate(session, statement, Delivery.id, page)


def deliveries_about(
    session: Session, subject_id: uuid.UUID, *, limit: int = 100
) -> list[tuple[Delivery, str]]:
    """The latest events sent (or to be sent) to recipients about the subject, newest
    first, each with its recipient's name: the payload names the subject (ids only)."""
    rows = session.exec(
        select(Delivery, Recipient.name)
        .join(Recipient, col(Recipient.id) == col(Delivery.recipient_id))
        .where(col(Delivery.payload)["subject_id"].as_string() == str(subject_id))
        .order_by(col(Delivery.id).desc())
        .limit(limit)
    ).all()
    return [(delivery, name) for delivery, name in rows]


def get_delivery(
    session: Session, delivery_id: uuid.UUID
) -> tuple[Delivery, list[DeliveryAttempt]]:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("No delivery with this id.")
    attempts = session.exec(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery.id)
        .order_by(col(DeliveryAttempt.id))
    ).all()
    return delivery, list(attempts)
