"""Tables of the system of record: subjects, their identifiers and their records.

(No `from __future__ import annotations` here: SQLModel resolves relationships from
real annotations.)
"""

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field, timestamp_field
from app.core.versioning import Versioned


class Subject(Versioned, TenantScoped, table=True):
    """A data subject: a customer's contact person."""

    __tablename__ = "subject"
    __table_args__ = (
        # The subjects still to be informed (Art 13/14), oldest first, per tenant.
        sa.Index("ix_subject_tenant_id_notice_given_at_id", "tenant_id", "notice_given_at", "id"),
        # The few subjects a marketing check must refuse by their own flags: the check
        # probes this small index for each identifier found, not the whole key.
        sa.Index(
            "ix_subject_id_restricted_or_objecting",
            "id",
            postgresql_where=sa.text("restricted OR marketing_objection"),
            sqlite_where=sa.text("restricted OR marketing_objection"),
        ),
    )

    id: uuid.UUID = id_field()
    status: str = Field(default="active", max_length=16)
    restricted: bool = Field(default=False)
    marketing_objection: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the Art 13/14 notice was first given; the history is `app.collection`'s
    # `notice_given` table.
    notice_given_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when this subject was a duplicate joined into another (`app.subjects.merge`);
    # its status is then `merged` and its id redirects there.
    merged_into: uuid.UUID | None = Field(default=None)

    identifiers: list["SubjectIdentifier"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "SubjectIdentifier.id",
        }
    )
    external_refs: list["ExternalRef"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "selectin",
            "cascade": "all, delete-orphan",
            "order_by": "ExternalRef.id",
        }
    )


class SubjectIdentifier(TenantScoped, table=True):
    """A normalised email (lower-cased) or phone (E.164) of a subject."""

    __tablename__ = "subject_identifier"
    __table_args__ = (
        # Also serves lookups by subject (its leading column).
        sa.UniqueConstraint("subject_id", "kind", "value"),
        # Lookups by identifier; with the subject in the index they read no table rows.
        sa.Index(
            "ix_subject_identifier_tenant_id_kind_value_subject_id",
            "tenant_id",
            "kind",
            "value",
            "subject_id",
        ),
    )

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    value: str = Field(max_length=320)
    created_at: datetime = timestamp_field()


class ExternalRef(TenantScoped, table=True):
    """The subject's id in another system (e.g. the CRM); unique per tenant and system."""

    __tablename__ = "external_ref"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "system", "ref"),)

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE", index=True)
    system: str = Field(max_length=64)
    ref: str = Field(max_length=128)
    created_at: datetime = timestamp_field()


class Record(Versioned, TenantScoped, table=True):
    """One piece of personal data about a subject, of one category."""

    __tablename__ = "record"
    __table_args__ = (
        # Pages of a subject's records, whole or by category, are range scans on these.
        sa.Index("ix_record_subject_id_id", "subject_id", "id"),
        sa.Index("ix_record_subject_id_category_id", "subject_id", "category", "id"),
    )

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE")
    category: str = Field(max_length=32)
    data: dict[str, Any] = Field(sa_type=JSONType)
    source: str = Field(max_length=100)
    origin: str = Field(max_length=16)
    restricted: bool = Field(default=False)
    # Set when the subject was erased and this record was kept under a hold: the last
    # day it must be kept (null while an open-ended legal hold covers it).
    kept_until: date | None = Field(default=None)
    version: int = Field(default=1)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
