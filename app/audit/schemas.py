from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AuditOutcome(StrEnum):
    success = "success"
    denied = "denied"
    rejected = "rejected"
    error = "error"


class AuditEventPublic(BaseModel):
    """An audit event. It holds ids and codes only, never personal data."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a7b",
                "actor": "crm-sync",
                "tenant": "care-of",
                "action": "subject.create",
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "record_id": None,
                "rights_request_id": None,
                "request_id": "5f0c6c2e-1f7b-4d8e-9a51-0c7b3b1f9e2d",
                "outcome": "success",
                "status_code": 201,
                "at": "2026-11-25T09:30:00Z",
            }
        },
    )

    id: uuid.UUID
    actor: str = Field(description="The token's `sub`: the calling system or user.")
    tenant: str = Field(validation_alias="tenant_id", description="The controller acted for.")
    action: str = Field(description="What was attempted, e.g. `subject.create`.")
    subject_id: uuid.UUID | None
    record_id: uuid.UUID | None
    rights_request_id: uuid.UUID | None = Field(
        description="The rights request this call served, when the caller named one."
    )
    request_id: str = Field(description="The HTTP request's id (`X-Request-ID`).")
    outcome: AuditOutcome
    status_code: int = Field(description="The HTTP status the call answered.")
    items: int | None = Field(
        default=None, description="How many records a job's action touched (the purge)."
    )
    at: datetime
