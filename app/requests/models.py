"""Rights requests: the accountability record of each request a subject makes."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import JSONType, TenantScoped, UTCDateTime, id_field, timestamp_field
from app.core.versioning import Versioned


class RightsRequest(Versioned, TenantScoped, table=True):
    """A request by a data subject to exercise a right, with its Art 12(3) deadline."""

    __tablename__ = "rights_request"
    __table_args__ = (sa.Index("ix_rights_request_tenant_id_id", "tenant_id", "id"),)

    id: uuid.UUID = id_field()
    type: str = Field(max_length=16)
    # The first matched subject; null for a requester no subject matched.
    subject_id: uuid.UUID | None = Field(default=None, index=True)
    status: str = Field(default="open", max_length=24)
    channel: str = Field(default="api", max_length=16)
    # The requester's canonical identifiers ({"emails", "phones", "external_ref"}): personal
    # data kept only until the answer is sent — cleared when the request is completed.
    requester: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    # Every subject the request covers (ids as strings), duplicates included.
    matched_subject_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    verification_method: str | None = Field(default=None, max_length=32)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The deadline is paused while the controller waits for identification or for
    # information it asked of the person (EDPB Guidelines 01/2022 § 159).
    paused_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pause_reason: str | None = Field(default=None, max_length=16)
    paused_days: int = Field(default=0)
    information_asked: str | None = Field(default=None, max_length=1000)
    received_at: datetime = Field(sa_type=UTCDateTime)
    # The tenant's time zone when the request was received: the day of receipt and the
    # end of the last day are counted in it (Reg 1182/71 art. 3), also if the tenant's
    # setting changes later.
    time_zone: str = Field(max_length=64)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    extension_months: int = Field(default=0)
    extension_reason: str | None = Field(default=None, max_length=1000)
    extension_informed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=32)
    # Art 12(4): why the controller does not act (fully); Art 12(5): on which grounds.
    reasons: str | None = Field(default=None, max_length=4000)
    refusal_grounds: str | None = Field(default=None, max_length=32)
    complaint_and_remedy_stated: bool = Field(default=False)
    note: str | None = Field(default=None, max_length=2000)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = timestamp_field()
    version: int = Field(default=1)


class ReviewDecision(TenantScoped, table=True):
    """What a request releases of one record that may carry other people's data
    (Art 15(4)): `release` it, `redact` the listed data fields, or `withhold` it. One
    decision per record and request; a new decision replaces the previous one until the
    request is completed (the audit log keeps each)."""

    __tablename__ = "rights_request_review"
    __table_args__ = (sa.UniqueConstraint("rights_request_id", "record_id"),)

    id: uuid.UUID = id_field()
    rights_request_id: uuid.UUID = Field(
        foreign_key="rights_request.id", ondelete="CASCADE", index=True
    )
    # No foreign key: a record erased later leaves the decision as it was taken.
    record_id: uuid.UUID
    decision: str = Field(max_length=16)
    fields: list[str] = Field(default_factory=list, sa_type=JSONType)
    decided_by: str = Field(max_length=200)
    decided_at: datetime = Field(sa_type=UTCDateTime)


class RightsRequestLetter(TenantScoped, table=True):
    """A letter to the person about their request, recorded as sent: which letter, in
    which language, how and when (accountability, Art 5(2); Art 12(3)-(4) ask that the
    person is told in time). The letter itself is rendered again from the request and
    the notice; only the fact of sending is kept. Sent again: a row of its own."""

    __tablename__ = "rights_request_letter"

    id: uuid.UUID = id_field()
    rights_request_id: uuid.UUID = Field(
        foreign_key="rights_request.id", ondelete="CASCADE", index=True
    )
    kind: str = Field(max_length=16)
    lang: str = Field(max_length=2)
    channel: str = Field(max_length=16)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    recorded_at: datetime = timestamp_field()
    # Who recorded it (the token's `sub`), as audit events name the actor.
    recorded_by: str = Field(max_length=200)
