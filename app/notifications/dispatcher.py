"""Sending queued deliveries: signed, retried with exponential backoff, safe across replicas.

A pass claims due deliveries in a short transaction (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so replicas never claim the same row) by pushing their
`next_attempt_at` a lease ahead; it then sends them without holding locks, and records
each attempt. A process that dies mid-way leaves its claimed rows to be retried when
the lease runs out.

Every request carries `X-Privacy-Timestamp` and `X-Privacy-Signature: v1=<hex>`, the
HMAC-SHA256 with the recipient's secret of `"<timestamp>." + raw body`. Redirects are
not followed (a redirect could point anywhere). Before every try the URL is checked
again and its host resolved once; the request goes to the address that was checked
(see `app.notifications.urls`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.clock import Clock, utcnow
from app.core.config import Settings
from app.core.db import system_session
from app.notifications.models import Delivery, DeliveryAttempt, Recipient
from app.notifications.schemas import DeliveryStatus

if TYPE_CHECKING:
    import httpx

from app.notifications.urls import (
    CheckedUrl,
    HostDoesNotResolve,
    WebhookUrlRefused,
    resolve_webhook_url,
)

logger = logging.getLogger("app.notifications")

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=6)
SIGNATURE_HEADER = "X-Privacy-Signature"
TIMESTAMP_HEADER = "X-Privacy-Timestamp"


@dataclass
class DispatchReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    ids: list[uuid.UUID] = field(default_factory=list)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base * 2^(n-1), capped."""
    seconds = settings.webhook_backoff_seconds * (2 ** max(attempts - 1, 0))
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _claim(
    engine: Engine, now: datetime, batch: int, tenants: Collection[str] | None
) -> list[uuid.UUID]:
    with system_session(engine) as session:
        statement = (
            select(Delivery)
            .where(
                Delivery.status == DeliveryStatus.pending.value,
                col(Delivery.next_attempt_at) <= now,
            )
            .order_by(col(Delivery.next_attempt_at))
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        if tenants is not None:
            statement = statement.where(col(Delivery.tenant_id).in_(tenants))
        deliveries = session.exec(statement).all()
        for delivery in deliveries:
            delivery.next_attempt_at = now + LEASE
        session.commit()
        return [d.id for d in deliveries]


def dispatch_once(
    engine: Engine,
    settings: Settings,
    *,
    clock: Clock = utcnow,
    client: httpx.Client | None = None,
    batch: int = 100,
    tenants: Collection[str] | None = None,
) -> DispatchReport:
    """Send every delivery that is due now; returns what happened.

    `tenants` limits the pass to those tenants' deliveries (default: every tenant's).
    """
    report = DispatchReport()
    claimed = _claim(engine, clock(), batch, tenants)
    if not claimed:
        return report
    own_client = client is None
    import httpx  # only with deliveries due: the serving process need not load it

    http = client or httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
    try:
        for delivery_id in claimed:
            _send_one(engine, settings, http, delivery_id, clock, report)
    finally:
        if own_client:
            http.close()
    return report


def _send_one(
    engine: Engine,
    settings: Settings,
    http: httpx.Client,
    delivery_id: uuid.UUID,
    clock: Clock,
    report: DispatchReport,
) -> None:
    with system_session(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.pending.value:
            return
        recipient = session.get(Recipient, delivery.recipient_id)
        # End the read before sending: a receiver that is slow to answer (up to the
        # webhook timeout) then holds no transaction and no database connection.
        session.commit()
        now = clock()
        started = time.perf_counter()
        attempt = _attempt(settings, http, delivery, recipient, now)
        duration_ms = int((time.perf_counter() - started) * 1000)
        _record(session, settings, delivery, attempt, now, duration_ms, report)
        session.commit()
        logger.info(
            "webhook attempt",
            extra={
                "delivery_id": str(delivery.id),
                "tenant": delivery.tenant_id,
                "status_code": attempt.status_code,
                "error": attempt.error,
                "attempt": delivery.attempts,
            },
        )


@dataclass(frozen=True)
class Attempt:
    """How one try went: the HTTP status (if an answer came) and an error code (if failed)."""

    status_code: int | None = None
    error: str | None = None


def _attempt(
    settings: Settings,
    http: httpx.Client,
    delivery: Delivery,
    recipient: Recipient | None,
    now: datetime,
) -> Attempt:
    if recipient is None or not recipient.active:
        return Attempt(error="recipient_inactive")
    try:
        target = resolve_webhook_url(recipient.url, allow_private=settings.webhook_allow_private)
    except HostDoesNotResolve:
        return Attempt(error="dns_error")
    except WebhookUrlRefused:
        return Attempt(error="url_refused")
    import httpx

    try:
        response = _post(http, target, delivery, recipient.secret, int(now.timestamp()))
    except httpx.TimeoutException:
        return Attempt(error="timeout")
    except httpx.HTTPError:
        return Attempt(error="connection_error")
    ok = 200 <= response.status_code < 300
    return Attempt(status_code=response.status_code, error=None if ok else "http_status")


def _post(
    http: httpx.Client, target: CheckedUrl, delivery: Delivery, secret: str, timestamp: int
) -> httpx.Response:
    """POST the signed delivery to the checked address, never resolving the host again.

    The URL names the address; the `Host` header and TLS (SNI and the certificate's
    name) keep the host name. `Connection: close`, because a pooled connection to the
    same address may have been opened, and its certificate checked, for another name.
    """
    import httpx

    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    url = target.url
    named_tls = url.scheme == "https" and url.literal is None
    extensions = {"sni_hostname": url.host} if named_tls else {}
    return http.post(
        httpx.URL(url.url).copy_with(host=str(target.address)),
        content=body,
        headers={
            "Host": url.host_header,
            "Connection": "close",
            "Content-Type": "application/json",
            "User-Agent": "privacy-api-webhooks/1",
            "X-Privacy-Event": delivery.event_type,
            "X-Privacy-Delivery": str(delivery.id),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
        extensions=extensions,
    )


def _record(
    session: Session,
    settings: Settings,
    delivery: Delivery,
    attempt: Attempt,
    now: datetime,
    duration_ms: int,
    report: DispatchReport,
) -> None:
    """Log the try and decide: delivered, failed for good, or another try after a backoff."""
    delivery.attempts += 1
    delivery.last_status_code = attempt.status_code
    delivery.last_error = attempt.error
    session.add(
        DeliveryAttempt(
            tenant_id=delivery.tenant_id,
            delivery_id=delivery.id,
            at=now,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=duration_ms,
        )
    )
    if attempt.error is None:
        delivery.status = DeliveryStatus.delivered.value
        delivery.delivered_at = now
        report.delivered += 1
    elif (
        delivery.attempts >= settings.webhook_max_attempts or attempt.error == "recipient_inactive"
    ):
        delivery.status = DeliveryStatus.failed.value
        report.failed += 1
    else:
        delivery.next_attempt_at = now + backoff(settings, delivery.attempts)
        report.retrying += 1
    report.ids.append(delivery.id)
