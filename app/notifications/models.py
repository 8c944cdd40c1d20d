"""Recipients (webhooks) and the outbox of deliveries to them (Art 19)."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field, timestamp_field


class Recipient(TenantScoped, table=True):
    """A system to tell about rectifications, restrictions and erasures."""

    __tablename__ = "recipient"
    __table_args__ = (sa.Index("ix_recipient_tenant_id_id", "tenant_id", "id"),)

    id: uuid.UUID = id_field()
    name: str = Field(max_length=100)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    event_types: list[str] = Field(sa_type=JSONType)
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()


class Delivery(TenantScoped, table=True):
    """One event for one recipient: written with the change, sent by the dispatcher."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.Index("ix_delivery_tenant_id_id", "tenant_id", "id"),
        sa.Index("ix_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: uuid.UUID = id_field()
    recipient_id: uuid.UUID = Field(foreign_key="recipient.id", ondelete="CASCADE", index=True)
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_type=JSONType)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp_field()
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(TenantScoped, table=True):
    """One try to deliver: when, the answer's status (or the error kind), how long."""

    __tablename__ = "delivery_attempt"

    id: uuid.UUID = id_field()
    delivery_id: uuid.UUID = Field(foreign_key="delivery.id", ondelete="CASCADE", index=True)
    at: datetime = timestamp_field()
    status_code: int | None = Field(default=None)
    error: str | None = Field(default=None, max_length=200)
    duration_ms: int = Field(default=0)
