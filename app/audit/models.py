"""Audit events: append-only, one per state-changing call, with no personal data."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import TenantScoped, id_field, timestamp_field


class AuditEvent(TenantScoped, table=True):
    """Who did what to which subject, when, and how it ended. Ids and codes only."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_tenant_id_id", "tenant_id", "id"),
        sa.Index("ix_audit_event_tenant_id_subject_id", "tenant_id", "subject_id"),
    )

    id: uuid.UUID = id_field()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64, index=True)
    subject_id: uuid.UUID | None = Field(default=None)
    record_id: uuid.UUID | None = Field(default=None)
    rights_request_id: uuid.UUID | None = Field(default=None, index=True)
    request_id: str = Field(max_length=64)
    outcome: str = Field(max_length=16)
    status_code: int
    items: int | None = Field(default=None)
    at: datetime = timestamp_field()
