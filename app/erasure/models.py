"""The stored erasure report of a subject."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import JSONType, TenantScoped, id_field, timestamp_field


class Erasure(TenantScoped, table=True):
    """What the erasure of a subject erased and kept (ids, categories, holds)."""

    __tablename__ = "erasure"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "subject_id"),)

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID
    report: dict[str, Any] = Field(sa_type=JSONType)
    actor: str = Field(max_length=200)
    erased_at: datetime = timestamp_field()
