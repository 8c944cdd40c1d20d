"""API shapes of recipients and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# The syntax `app.notifications.urls` accepts in production, as a pattern for the
# document: https, a host name (ASCII; the last label not a number) or an IP literal, an
# optional port from 1 to 65535, then any printable path, query and fragment.
_HOST = (
    r"(([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"|\[[0-9A-Fa-f:.]+\]|[0-9]{1,3}(\.[0-9]{1,3}){3})"
)
_PORT = (
    r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]"
    r"|6553[0-5]))?"
)
WEBHOOK_URL_PATTERN = rf"^https://{_HOST}{_PORT}([/?#][!-~]*)?$"


class EventType(StrEnum):
    """What recipients can be told of (Art 19: rectification, erasure, restriction; a new
    subject, to be given the notice at collection, Art 13/14; a marketing objection,
    Art 21(3), so that marketing tools stop)."""

    record_rectified = "record.rectified"
    subject_restricted = "subject.restricted"
    subject_restriction_lifted = "subject.restriction_lifted"
    subject_erased = "subject.erased"
    subject_created = "subject.created"
    subject_marketing_objection = "subject.marketing_objection"
    subject_objection_decided = "subject.objection_decided"
    # Records deleted past a maximum retention (Art 5(1)(e)) by the purge.
    record_expired = "record.expired"
    # Duplicates joined into one subject (ids only): their ids now redirect to it.
    subject_merged = "subject.merged"


# What a recipient registered without `event_types` is sent: the Art 19 notifications.
# The other events (e.g. `subject.created` for a mailer) are subscribed to by name.
DEFAULT_EVENT_TYPES = [
    EventType.record_rectified,
    EventType.subject_restricted,
    EventType.subject_restriction_lifted,
    EventType.subject_erased,
    # A decided objection (Art 21(1)): recipients must stop processing for the purpose,
    # and erase what an upheld objection erased (Art 19).
    EventType.subject_objection_decided,
    # Records deleted past their maximum retention: recipients erase them too (Art 19).
    EventType.record_expired,
]


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class RecipientCreate(BaseModel):
    """A webhook to notify. The secret signs every delivery (HMAC-SHA256)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "crm",
                    "url": "https://crm.example.se/hooks/privacy",
                    "event_types": ["record.rectified", "subject.erased"],
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=100)]
    url: Annotated[
        str,
        Field(
            min_length=8,
            max_length=2000,
            description="An absolute https URL: a host name or IP address, an optional "
            "port (1-65535), no credentials; the host must resolve to public addresses.",
            # What the syntax check reads; where the host resolves is checked on the server.
            json_schema_extra={"format": "uri", "pattern": WEBHOOK_URL_PATTERN},
        ),
    ]
    event_types: Annotated[list[EventType], Field(min_length=1)] = Field(
        default=DEFAULT_EVENT_TYPES,
        description="The events to send. Without it: the Art 19 events (`record.rectified`, "
        "`subject.restricted`, `subject.restriction_lifted`, `subject.erased`); others, such "
        "as `subject.created` and `subject.marketing_objection`, are subscribed to by name.",
    )
    secret: Annotated[str, Field(min_length=32, max_length=200)] | None = Field(
        default=None, description="Omit to have one generated (returned once, on create)."
    )


class RecipientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    event_types: list[EventType]
    active: bool
    created_at: datetime


class RecipientCreated(RecipientPublic):
    secret: str = Field(description="The signing secret. Shown only in this answer.")


class DeliveryAttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    """One event for one recipient, and how sending it went."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a90",
                "recipient_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a91",
                "event_type": "record.rectified",
                "payload": {
                    "event_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a90",
                    "type": "record.rectified",
                    "tenant": "care-of",
                    "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                    "record_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71",
                    "fields": ["title"],
                    "occurred_at": "2026-11-25T09:30:00Z",
                },
                "status": "delivered",
                "attempts": 1,
                "next_attempt_at": "2026-11-25T09:30:00Z",
                "last_status_code": 204,
                "last_error": None,
                "created_at": "2026-11-25T09:30:00Z",
                "delivered_at": "2026-11-25T09:30:01Z",
                "attempt_log": [],
            }
        },
    )

    id: uuid.UUID
    recipient_id: uuid.UUID
    event_type: str
    payload: dict[str, object] = Field(description="Ids, the event type and field names only.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None = Field(
        description="Why the last try failed: `http_status` (not 2xx), `timeout`, "
        "`connection_error`, `dns_error` (the host did not resolve), `url_refused` (the URL "
        "or an address it resolved to is not allowed) or `recipient_inactive`."
    )
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[DeliveryAttemptPublic] = []
