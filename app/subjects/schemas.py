"""API shapes for subjects and records (separate from the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.schema_rules import at_least_one_of, exactly_one_of
from app.subjects.categories import (
    Category,
    ContactData,
    Email,
    MeetingData,
    NetworkData,
    NoteData,
    OrganisationData,
    Origin,
    Phone,
    SalesDocumentData,
)

MAX_IDENTIFIERS = 20
MAX_INITIAL_RECORDS = 100

SYSTEM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class SubjectStatus(StrEnum):
    """`merged`: the subject was a duplicate joined into another (`merged_into`); its id
    answers with a permanent redirect (308) to that subject."""

    active = "active"
    restricted = "restricted"
    erased = "erased"
    merged = "merged"


class ExternalRefIn(BaseModel):
    """The subject's id in another system."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    system: Annotated[str, Field(pattern=SYSTEM_PATTERN, examples=["crm"])]
    id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"\S", examples=["C-1001"])]


class _RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    origin: Origin = Field(
        description="`provided` by the subject, `observed` (e.g. IP logs) or `derived`."
    )
    source: Annotated[str, Field(min_length=1, max_length=100, examples=["crm"])] = Field(
        description="Which system or who supplied the data."
    )


class ContactRecordIn(_RecordIn):
    category: Literal[Category.contact]
    data: ContactData


class OrganisationRecordIn(_RecordIn):
    category: Literal[Category.organisation]
    data: OrganisationData


class NoteRecordIn(_RecordIn):
    category: Literal[Category.note]
    data: NoteData


class MeetingRecordIn(_RecordIn):
    category: Literal[Category.meeting]
    data: MeetingData


class SalesDocumentRecordIn(_RecordIn):
    category: Literal[Category.sales_document]
    data: SalesDocumentData


class NetworkRecordIn(_RecordIn):
    category: Literal[Category.network]
    data: NetworkData


RecordCreate = Annotated[
    ContactRecordIn
    | OrganisationRecordIn
    | NoteRecordIn
    | MeetingRecordIn
    | SalesDocumentRecordIn
    | NetworkRecordIn,
    Field(discriminator="category"),
]

CONTACT_EXAMPLE: dict[str, Any] = {
    "category": "contact",
    "origin": "provided",
    "source": "crm",
    "data": {
        "name": "Åsa Öberg",
        "title": "CFO",
        "email": "asa.oberg@example.se",
        "phone": "+46701234567",
        "address": "Storgatan 1, 611 32 Nyköping",
    },
}
INVOICE_EXAMPLE: dict[str, Any] = {
    "category": "sales_document",
    "origin": "provided",
    "source": "billing",
    "data": {
        "kind": "invoice",
        "number": "F-2024-0042",
        "date": "2024-03-15",
        "amount": "12500.00",
        "currency": "SEK",
    },
}


class SubjectCreate(BaseModel):
    """A new subject: its identifiers and, optionally, its first records."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "emails": ["asa.oberg@example.se"],
                    "phones": ["070-123 45 67"],
                    "external_refs": [{"system": "crm", "id": "C-1001"}],
                    "records": [CONTACT_EXAMPLE],
                }
            ],
            **at_least_one_of("emails", "phones", "external_refs", non_empty=True),
        },
    )

    emails: Annotated[list[Email], Field(max_length=MAX_IDENTIFIERS)] = []
    phones: Annotated[list[Phone], Field(max_length=MAX_IDENTIFIERS)] = []
    external_refs: Annotated[list[ExternalRefIn], Field(max_length=MAX_IDENTIFIERS)] = []
    records: Annotated[list[RecordCreate], Field(max_length=MAX_INITIAL_RECORDS)] = []

    @model_validator(mode="after")
    def _identified(self) -> SubjectCreate:
        if not (self.emails or self.phones or self.external_refs):
            raise ValueError("give at least one of `emails`, `phones` or `external_refs`")
        return self


class SubjectSearch(BaseModel):
    """Exactly one of `email`, `phone` or `external_ref`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "asa.oberg@example.se"},
                {"phone": "070-123 45 67"},
                {"external_ref": {"system": "crm", "id": "C-1001"}},
            ],
            **exactly_one_of("email", "phone", "external_ref"),
        },
    )

    email: Email | None = None
    phone: Phone | None = None
    external_ref: ExternalRefIn | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SubjectSearch:
        given = [v for v in (self.email, self.phone, self.external_ref) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `email`, `phone` or `external_ref`")
        return self


class ExternalRefPublic(BaseModel):
    system: str
    id: str


class SubjectPublic(BaseModel):
    """A subject as the API shows it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "status": "active",
                "emails": ["asa.oberg@example.se"],
                "phones": ["+46701234567"],
                "external_refs": [{"system": "crm", "id": "C-1001"}],
                "restricted": False,
                "marketing_objection": False,
                "notice_given_at": None,
                "version": 1,
                "created_at": "2026-11-25T09:30:00Z",
                "updated_at": "2026-11-25T09:30:00Z",
            }
        }
    )

    id: uuid.UUID
    status: SubjectStatus = Field(
        description="`active`, `restricted` (Art 18), `erased`, or `merged` (a duplicate "
        "joined into `merged_into`; its id redirects there with 308)."
    )
    emails: list[str] = Field(description="Lower-cased.")
    phones: list[str] = Field(description="E.164.")
    external_refs: list[ExternalRefPublic]
    restricted: bool = Field(description="Processing of the whole subject is restricted.")
    marketing_objection: bool = Field(description="The subject objected to direct marketing.")
    restricted_purposes: list[str] = Field(
        default_factory=list,
        description="Purpose codes the subject's data may not be used for: an objection is "
        "pending (restricted meanwhile, Art 18(1)(d)) or was upheld (Art 21(1)).",
    )
    notice_given_at: datetime | None = Field(
        default=None,
        description="When the person was first given the privacy notice at collection "
        "(Art 13/14); `null` until recorded (`POST /v1/subjects/{id}/notice-given`).",
    )
    merged_into: uuid.UUID | None = Field(
        default=None, description="For a `merged` subject: the subject it was merged into."
    )
    version: int = Field(description="Increases with every change; the ETag.")
    created_at: datetime
    updated_at: datetime


class SubjectList(BaseModel):
    items: list[SubjectPublic]


class RecordPublic(BaseModel):
    """A record as the API shows it."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71",
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                **CONTACT_EXAMPLE,
                "restricted": False,
                "version": 1,
                "created_at": "2026-11-25T09:30:00Z",
                "updated_at": "2026-11-25T09:30:00Z",
            }
        },
    )

    id: uuid.UUID
    subject_id: uuid.UUID
    category: Category
    data: dict[str, Any] | None = Field(
        description="The category's fields (see the `*Data` schemas)."
    )
    source: str
    origin: Origin
    restricted: bool
    version: int = Field(description="Increases with every change; the ETag.")
    created_at: datetime
    updated_at: datetime


MAX_MERGE_SUBJECTS = 50


class SubjectMerge(BaseModel):
    """The duplicates to join into the subject of the path."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"subject_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a72"]}]},
    )

    subject_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=MAX_MERGE_SUBJECTS,
        description="1 to 50 distinct ids of subjects of the same person, not the target's own.",
    )

    @field_validator("subject_ids")
    @classmethod
    def _distinct(cls, ids: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(ids)) != len(ids):
            raise ValueError("the ids must be distinct")
        return ids


class MergeCounts(BaseModel):
    """How much moved into the target (rows, not their content)."""

    identifiers: int = Field(description="Emails and phones the target gained (deduplicated).")
    external_refs: int
    records: int
    restrictions: int = Field(description="Restriction entries now on the target.")
    legal_holds: int
    objections: int = Field(description="General objections (Art 21(1)).")
    notices_given: int
    rights_requests: int


class MergeReport(BaseModel):
    """The subject after the merge, and what was joined into it."""

    subject: SubjectPublic
    merged_subject_ids: list[uuid.UUID] = Field(
        description="The duplicates, now `merged` into `subject`; their ids redirect (308)."
    )
    moved: MergeCounts


MAX_LISTED_IMPORT_FAILURES = 1000


class ImportFailure(BaseModel):
    """A line that was not imported, and why (never its content)."""

    line: int = Field(description="The line's number in the body, from 1 (blank lines count).")
    errors: list[dict[str, Any]] = Field(
        description="As a 422's `errors`: `loc` within the line's object and `msg`."
    )


class ImportReport(BaseModel):
    """What an import did, line by line in counts."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "created": 998,
                "unchanged": 1,
                "failed": [
                    {
                        "line": 7,
                        "errors": [
                            {"loc": ["emails", 0], "msg": "value is not a valid email address"}
                        ],
                    }
                ],
                "failed_count": 1,
            }
        }
    )

    created: int = Field(description="Lines stored as new subjects.")
    unchanged: int = Field(
        description="Lines whose external references belong to a subject that already holds "
        "everything the line says: nothing was written."
    )
    failed: list[ImportFailure] = Field(
        description=f"The lines not imported, in order (the first {MAX_LISTED_IMPORT_FAILURES})."
    )
    failed_count: int = Field(description="How many lines were not imported, listed or not.")
