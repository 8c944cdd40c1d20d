"""Retention as data: rules that keep records (holds) or delete them after a maximum,
legal holds, the end of a relationship, and the tenant settings the rules read."""

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field, timestamp_field
from app.core.versioning import Versioned


# Rules stored before maximum retention existed were all holds, counted in years.
def _action_field() -> Any:
    return Field(default="keep", max_length=16, sa_column_kwargs={"server_default": "keep"})


def _months_field() -> Any:
    return Field(default=0, sa_column_kwargs={"server_default": "0"})


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
    action: str = _action_field()
    basis: str = Field(max_length=32)
    years: int
    months: int = _months_field()
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
    action: str = _action_field()
    basis: str = Field(max_length=32)
    years: int
    months: int = _months_field()
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()
    updated_by: str = Field(max_length=200)


class RelationshipEnd(TenantScoped, table=True):
    """The day the relationship with a subject ended (e.g. the contact left the customer,
    or the customer's contract ended): the basis `relationship_end` counts from it."""

    __tablename__ = "relationship_end"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "subject_id"),)

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE")
    ended_on: date
    set_at: datetime = timestamp_field()
    set_by: str = Field(max_length=200)


class StoredTenantSettings(Versioned, TenantScoped, table=True):
    """A tenant's settings; a tenant that never set them has the defaults
    (`app.retention.settings`)."""

    __tablename__ = "tenant_settings"
    __table_args__ = (sa.UniqueConstraint("tenant_id"),)

    id: uuid.UUID = id_field()
    time_zone: str = Field(max_length=64)
    financial_year_end: str = Field(max_length=5)
    verification_required: bool
    # Settings stored before this one existed take its default (`app.retention.settings`).
    rights_request_retention_months: int = Field(sa_column_kwargs={"server_default": "36"})
    third_party_review_categories: list[str] = Field(
        default_factory=lambda: ["note", "meeting"],
        sa_type=JSONType,
        sa_column_kwargs={"server_default": '["note", "meeting"]'},
    )
    version: int = Field(default=1)
    updated_at: datetime = timestamp_field()
    updated_by: str = Field(max_length=200)
