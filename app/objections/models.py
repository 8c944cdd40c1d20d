"""The general objection (Art 21(1)) as a tracked record with its assessment."""

import uuid
from datetime import datetime

from sqlmodel import Field

from app.core.db import TenantScoped, UTCDateTime, id_field, timestamp_field
from app.core.versioning import Versioned


class Objection(Versioned, TenantScoped, table=True):
    """A subject's objection to processing for one purpose of the tenant's notice.

    `grounds` is the person's own text (personal data: stored, never logged or sent);
    `reasons` is the controller's assessment — for a rejection, the compelling
    legitimate grounds that override the person's interests (Art 21(1)).
    """

    __tablename__ = "objection"

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE", index=True)
    purpose: str = Field(max_length=64)
    grounds: str = Field(max_length=4000)
    status: str = Field(default="pending", max_length=16)
    outcome: str | None = Field(default=None, max_length=16)
    reasons: str | None = Field(default=None, max_length=4000)
    created_by: str = Field(max_length=200)
    decided_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp_field()
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)
