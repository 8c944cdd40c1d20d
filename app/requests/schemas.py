"""API shapes of rights requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.clock import Rfc3339


class RequestType(StrEnum):
    access = "access"
    portability = "portability"
    rectification = "rectification"
    restriction = "restriction"
    objection = "objection"
    erasure = "erasure"


class RequestStatus(StrEnum):
    open = "open"
    completed = "completed"


class Outcome(StrEnum):
    fulfilled = "fulfilled"
    partially_fulfilled = "partially_fulfilled"
    refused = "refused"


Reason = Annotated[str, Field(min_length=1, max_length=1000)]


class RightsRequestCreate(BaseModel):
    """A request received from a data subject."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "erasure",
                    "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                    "received_at": "2026-01-31T10:00:00Z",
                }
            ]
        },
    )

    type: RequestType
    subject_id: uuid.UUID
    received_at: Rfc3339 = Field(description="When the request reached the controller.")


class RightsRequestExtend(BaseModel):
    """An Art 12(3) extension: 1 or 2 months, at most 2 in total, with the reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"months": 2, "reason": "Many records in several systems to review."}]
        },
    )

    months: Literal[1, 2]
    reason: Reason


class RightsRequestComplete(BaseModel):
    """How the request ended."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "partially_fulfilled", "note": "Invoices kept (BFL 7:2)."}]
        },
    )

    outcome: Outcome
    note: Annotated[str, Field(max_length=2000)] | None = None


class RightsRequestPublic(BaseModel):
    """A rights request and where it stands."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "type": "erasure",
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "status": "open",
                "received_at": "2026-01-31T10:00:00Z",
                "due_at": "2026-02-28T10:00:00Z",
                "extension_months": 0,
                "extension_reason": None,
                "outcome": None,
                "note": None,
                "completed_at": None,
                "overdue": False,
                "legal_reference": "GDPR (EU) 2016/679 art. 12.3",
            }
        },
    )

    id: uuid.UUID
    type: RequestType
    subject_id: uuid.UUID
    status: RequestStatus
    received_at: datetime
    due_at: datetime = Field(description="One calendar month after receipt, plus extensions.")
    extension_months: int
    extension_reason: str | None
    outcome: Outcome | None
    note: str | None
    completed_at: datetime | None
    overdue: bool = Field(description="Open and past `due_at`.")
    legal_reference: str
