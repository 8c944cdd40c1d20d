"""API shapes of the notice at collection (Art 13/14)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.clock import Rfc3339
from app.core.schema_rules import JsonInt

# The largest `notice_version` a database integer column holds on both backends.
MAX_NOTICE_VERSION = 2_147_483_647


class NoticeChannel(StrEnum):
    """How the notice reached the person."""

    email = "email"
    letter = "letter"
    in_person = "in_person"
    web = "web"
    phone = "phone"
    other = "other"


class NoticeGivenCreate(BaseModel):
    """The privacy notice was given to the person: how, when and which version."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"channel": "email", "given_at": "2026-11-25T09:30:00Z", "notice_version": 1}
            ]
        },
    )

    channel: NoticeChannel
    given_at: Rfc3339 = Field(description="When it was given; not in the future.")
    notice_version: Annotated[JsonInt, Field(ge=1, le=MAX_NOTICE_VERSION)] = Field(
        description="The `version` of the tenant's published privacy notice that was given."
    )


class NoticeGivenPublic(BaseModel):
    """One notice given to a subject, as recorded."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "channel": "email",
                "given_at": "2026-11-25T09:30:00Z",
                "notice_version": 1,
                "recorded_by": "mailer",
                "recorded_at": "2026-11-25T09:31:00Z",
            }
        },
    )

    id: uuid.UUID
    subject_id: uuid.UUID
    channel: NoticeChannel
    given_at: datetime
    notice_version: int
    recorded_by: str = Field(description="The calling system or user that recorded it.")
    recorded_at: datetime


class NoticeDue(BaseModel):
    """A subject not yet given the notice at collection, and when it is due."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "collected_at": "2026-01-31T10:00:00Z",
                "due_at": "2026-02-28T10:00:00Z",
                "overdue": False,
            }
        }
    )

    subject_id: uuid.UUID
    collected_at: datetime = Field(
        description="When personal data about the person was first obtained: the subject's "
        "creation (its identifiers are personal data), or an earlier record of it."
    )
    due_at: datetime = Field(
        description="The latest time to give the notice: one calendar month after "
        "`collected_at` (Art 14(3)(a)); the month's last day where the day does not exist."
    )
    overdue: bool = Field(description="`due_at` has passed.")
