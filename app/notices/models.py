"""Published versions of a tenant's privacy notice: append-only.

What a person was told, and when, is evidence of transparency (Art 5(1)(a), 5(2)): a
new publication adds a version and never changes or removes an earlier one. The
current notice is the highest version. `format` 1 marks a notice migrated from before
the structured model (free texts that do not satisfy Art 13/14); it stays in the
history but is not served as the current notice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Field

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field

FORMAT_LEGACY = 1
FORMAT_STRUCTURED = 2


class PrivacyNoticeVersion(TenantScoped, table=True):
    """One published version of the tenant's notice (sv and en, one document)."""

    __tablename__ = "privacy_notice_version"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "version"),)

    id: uuid.UUID = id_field()
    version: int
    format: int = Field(default=FORMAT_STRUCTURED)
    document: dict[str, Any] = Field(sa_type=JSONType)
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    published_by: str = Field(max_length=200)


class NoticeVersionImmutable(RuntimeError):
    """A published notice version was about to be changed or deleted (a programming error)."""


@event.listens_for(PrivacyNoticeVersion, "before_update")
@event.listens_for(PrivacyNoticeVersion, "before_delete")
def _append_only(_mapper: Any, _connection: Any, _target: Any) -> None:
    raise NoticeVersionImmutable("published notice versions are never changed or removed")
