"""Tables of the rights: rectification history, restrictions."""

import uuid
from datetime import datetime

from sqlmodel import Field

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field, timestamp_field


class RecordHistory(TenantScoped, table=True):
    """One rectification of a record: which fields changed, by whom, when. No values."""

    __tablename__ = "record_history"

    id: uuid.UUID = id_field()
    record_id: uuid.UUID = Field(foreign_key="record.id", ondelete="CASCADE", index=True)
    subject_id: uuid.UUID = Field(index=True)
    fields: list[str] = Field(sa_type=JSONType)
    actor: str = Field(max_length=200)
    rights_request_id: uuid.UUID | None = Field(default=None)
    version: int
    at: datetime = timestamp_field()


class Restriction(TenantScoped, table=True):
    """An Art 18 restriction of a whole subject (`record_id` empty) or of one record."""

    __tablename__ = "restriction"

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE", index=True)
    record_id: uuid.UUID | None = Field(default=None, foreign_key="record.id", ondelete="CASCADE")
    reason: str = Field(max_length=1000)
    actor: str = Field(max_length=200)
    rights_request_id: uuid.UUID | None = Field(default=None)
    placed_at: datetime = timestamp_field()
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
