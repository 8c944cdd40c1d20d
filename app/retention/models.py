"""Retention rules as data: which records a law requires to be kept, and until when."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field, timestamp_field


class RetentionRule(SQLModel, table=True):
    """A statutory retention rule. Built-in rules are seeded by a migration."""

    __tablename__ = "retention_rule"

    code: str = Field(primary_key=True, max_length=64)
    reference: str = Field(max_length=300)
    title_sv: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    category: str = Field(max_length=32)
    kinds: list[str] = Field(sa_type=JSONType)
    verification_kinds: list[str] = Field(sa_type=JSONType)
    basis: str = Field(max_length=32)
    years: int
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()


class LegalHold(TenantScoped, table=True):
    """A hold placed by an authorised caller on a subject (all its records, also later
    ones) or on one record: while active, nothing may erase what it covers."""

    __tablename__ = "legal_hold"
    __table_args__ = (sa.Index("ix_legal_hold_tenant_id_id", "tenant_id", "id"),)

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(index=True)
    record_id: uuid.UUID | None = Field(default=None, index=True)
    reason: str = Field(max_length=1000)
    placed_at: datetime = timestamp_field()
    placed_by: str = Field(max_length=200)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    released_by: str | None = Field(default=None, max_length=200)


class TenantRetentionRule(TenantScoped, table=True):
    """A retention rule a tenant adds for itself (e.g. a contractual one), beside the
    built-in statutory rules, which no tenant can change."""

    __tablename__ = "tenant_retention_rule"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "code"),)

    id: uuid.UUID = id_field()
    code: str = Field(max_length=64)
    reference: str = Field(max_length=300)
    title_sv: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    category: str = Field(max_length=32)
    kinds: list[str] = Field(sa_type=JSONType)
    verification_kinds: list[str] = Field(sa_type=JSONType)
    basis: str = Field(max_length=32)
    years: int
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()
    updated_by: str = Field(max_length=200)
