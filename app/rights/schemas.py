"""API shapes of the rights: restriction, objection, marketing check, rectification, reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.erasure.schemas import ErasureReport
from app.notices.schemas import LegalBasis, Right, TransferMechanism
from app.objections.schemas import ReportObjection
from app.subjects.categories import Category
from app.subjects.schemas import ExternalRefPublic, RecordPublic, SubjectPublic

MAX_CHECK_ITEMS = 10_000


class RestrictionCreate(BaseModel):
    """Restrict the whole subject (no `record_ids`) or only the listed records (Art 18)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "The subject contests the accuracy of the data (Art 18(1)(a))."},
                {
                    "reason": "Objection pending verification (Art 18(1)(d)).",
                    "record_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71"],
                },
            ]
        },
    )

    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    record_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)] | None = None


class RestrictionEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_id: uuid.UUID | None = Field(description="`null`: the whole subject.")
    reason: str
    placed_at: datetime
    rights_request_id: uuid.UUID | None


class RestrictionState(BaseModel):
    """What is restricted for a subject now."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "subject_restricted": True,
                "restricted_record_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71"],
                "restrictions": [
                    {
                        "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a99",
                        "record_id": None,
                        "reason": "Accuracy contested (Art 18(1)(a)).",
                        "placed_at": "2026-11-25T09:30:00Z",
                        "rights_request_id": None,
                    }
                ],
            }
        }
    )

    subject_id: uuid.UUID
    subject_restricted: bool
    restricted_record_ids: list[uuid.UUID]
    restrictions: list[RestrictionEntry] = Field(description="The restrictions in force.")


class MarketingCheckRequest(BaseModel):
    """Up to 10,000 emails, phones and subject ids in all."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "emails": ["asa.oberg@example.se"],
                    "phones": ["070-123 45 67"],
                    "subject_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70"],
                }
            ]
        },
    )

    emails: Annotated[
        list[Annotated[str, Field(max_length=320)]], Field(max_length=MAX_CHECK_ITEMS)
    ] = []
    phones: Annotated[
        list[Annotated[str, Field(max_length=64)]], Field(max_length=MAX_CHECK_ITEMS)
    ] = []
    subject_ids: Annotated[
        list[Annotated[str, Field(max_length=64)]], Field(max_length=MAX_CHECK_ITEMS)
    ] = []

    @model_validator(mode="after")
    def _bounded(self) -> MarketingCheckRequest:
        total = len(self.emails) + len(self.phones) + len(self.subject_ids)
        if total > MAX_CHECK_ITEMS:
            raise ValueError(f"at most {MAX_CHECK_ITEMS} items in all")
        return self


class CheckKind(StrEnum):
    email = "email"
    phone = "phone"
    subject_id = "subject_id"


class RefusalReason(StrEnum):
    objection = "objection"
    restricted = "restricted"
    erased = "erased"
    unknown_subject = "unknown_subject"


class MarketingVerdict(BaseModel):
    kind: CheckKind
    value: str = Field(description="The item as sent.")
    allowed: bool
    reason: RefusalReason | None = Field(description="Why not; `null` when allowed.")
    error: str | None = Field(description="Set when the item is not a valid email/phone/id.")


class MarketingCheckResult(BaseModel):
    """One verdict per item, in the order emails, phones, subject_ids."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "results": [
                    {
                        "kind": "email",
                        "value": "asa.oberg@example.se",
                        "allowed": False,
                        "reason": "objection",
                        "error": None,
                    },
                    {
                        "kind": "phone",
                        "value": "070-123",
                        "allowed": False,
                        "reason": None,
                        "error": "not a valid phone number",
                    },
                ]
            }
        }
    )

    results: list[MarketingVerdict]


class RecordPatch(BaseModel):
    """A JSON Merge Patch (RFC 7396) of a record; only `data` may change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"data": {"title": "CEO", "address": None}}]},
    )

    data: dict[str, Any] = Field(
        description="Fields to set; `null` removes an optional field. Lists are replaced."
    )


class HistoryEntry(BaseModel):
    """One rectification: which fields changed, who, when. Never the values."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a98",
                "record_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71",
                "fields": ["title"],
                "actor": "crm",
                "rights_request_id": None,
                "version": 2,
                "at": "2026-11-25T09:30:00Z",
            }
        },
    )

    id: uuid.UUID
    record_id: uuid.UUID
    fields: list[str]
    actor: str
    rights_request_id: uuid.UUID | None
    version: int = Field(description="The record's version after this change.")
    at: datetime


class ObjectionResult(BaseModel):
    """The subject after its objection, and how many identifiers are now suppressed."""

    subject: SubjectPublic
    suppressed_identifiers: int = Field(
        description="Emails and phones of the subject now suppressed."
    )


# Access report ------------------------------------------------------------------------
# Art 15(1)(a)-(h) and 15(2), answered from the tenant's published notice and the store.
# Without a published notice the parts only a notice can say are `null`
# (`notice_missing: true`); what the store itself knows is always given (Art 15(3)).


class ReportController(BaseModel):
    """Art 15(1), 13(1)(a): who the controller is."""

    name: str
    organisation_number: str
    address: str
    contact: str


class ReportDpo(BaseModel):
    """Art 13(1)(b): the data protection officer, or the contact point."""

    kind: Literal["dpo", "contact_point"]
    name: str
    contact: str


class ReportPurpose(BaseModel):
    """Art 15(1)(a): a purpose for which the subject's data is processed, and its basis."""

    code: str
    title: str
    description: str | None
    legal_basis: LegalBasis
    legal_basis_text: str = Field(description="The basis in words (`Berättigat intresse`).")
    article: str = Field(description="The point of Art 6(1).")
    legitimate_interest: str | None = Field(
        description="For `legitimate_interests`: the interest pursued (Art 13(1)(d))."
    )
    categories: list[str] = Field(description="The subject's categories processed for it.")


class ReportCategory(BaseModel):
    """Art 15(1)(b): a category of personal data held about the subject."""

    category: str
    records: int = Field(description="How many records of this category are held.")
    description: str | None
    purposes: list[str] | None = Field(description="Purpose codes (see `purposes`).")
    legal_bases: list[LegalBasis] | None
    legal_basis: str | None = Field(description="The legal bases in words, with articles.")


class ReportRecipientCategory(BaseModel):
    category: str
    description: str
    names: list[str]


class ReportNamedRecipient(BaseModel):
    """A registered recipient (webhook) that was sent, or is to be sent, events about
    this subject (Art 15(1)(c): "have been or will be disclosed"; CJEU C-154/21)."""

    id: uuid.UUID
    name: str
    events: list[str] = Field(description="The event types sent about the subject.")
    first_sent_at: datetime
    last_sent_at: datetime


class ReportRecipients(BaseModel):
    """Art 15(1)(c): the categories of recipients from the notice, and the recipients
    this subject's data actually went to."""

    categories: list[ReportRecipientCategory] | None
    named: list[ReportNamedRecipient]


class ReportRetentionRule(BaseModel):
    code: str
    reference: str
    title: str


class ReportRecordRetention(BaseModel):
    record_id: uuid.UUID
    until: date = Field(description="The last day a statutory rule requires the record kept.")
    rule: str
    reference: str


class ReportRetention(BaseModel):
    """Art 15(1)(d): how long a category is kept, and the concrete date per held record."""

    category: str
    period: str | None = Field(description="The period, or the criteria used to determine it.")
    rules: list[ReportRetentionRule] | None
    criteria: str | None
    records: list[ReportRecordRetention] = []


class ReportSource(BaseModel):
    source: str
    categories: list[str]
    origin: list[str]


class ReportSources(BaseModel):
    """Art 15(1)(g): where the data came from."""

    description: str | None
    systems: list[ReportSource]


class ReportTransfer(BaseModel):
    country: str = Field(description="ISO 3166-1 alpha-2.")
    country_name: str
    recipient: str
    mechanism: TransferMechanism
    article: str
    safeguard: str
    safeguard_copy: str


class ReportTransfers(BaseModel):
    """Art 15(2): transfers to third countries and their safeguards."""

    outside_eea: bool
    transfers: list[ReportTransfer]


class ReportRight(BaseModel):
    """Art 15(1)(e): a right of the subject."""

    right: Right
    article: str
    description: str


class ReportObjectionRight(BaseModel):
    """Art 21(4): the right to object, stated separately."""

    article: str
    general: str = Field(description="Art 21(1).")
    direct_marketing: str = Field(description="Art 21(2)-(3).")


class ReportComplaint(BaseModel):
    """Art 15(1)(f): the right to lodge a complaint with a supervisory authority."""

    authority: str
    url: str
    address: str | None
    description: str


class ReportAutomatedDecisionMaking(BaseModel):
    """Art 15(1)(h)."""

    used: bool
    description: str
    logic: str | None
    significance: str | None


class ReportRedaction(BaseModel):
    """A record released with data fields taken out."""

    record_id: uuid.UUID
    fields: list[str] = Field(description="The data fields taken out.")


class ReportReview(BaseModel):
    """Art 15(4): what this answer leaves out because it would adversely affect other
    people's rights (their names, opinions about them), decided record by record."""

    rights_request_id: uuid.UUID
    article: str
    withheld_records: int = Field(description="Records withheld as a whole.")
    redacted: list[ReportRedaction] = Field(
        description="Records released with fields taken out (not in `records`' data)."
    )


class AccessReport(BaseModel):
    """Everything Art 15 gives the subject a right to know, with every record held."""

    subject: SubjectPublic
    records: list[RecordPublic] = Field(description="Every record, restricted ones included.")
    notice_missing: bool = Field(
        description="`true`: the tenant has published no privacy notice; the parts only a "
        "notice can give are `null`."
    )
    notice_version: int | None = Field(description="The notice version the texts come from.")
    controller: ReportController | None
    dpo: ReportDpo | None
    purposes: list[ReportPurpose] | None = Field(
        description="The purposes of the categories held about the subject."
    )
    categories: list[ReportCategory]
    recipients: ReportRecipients
    retention: list[ReportRetention]
    sources: ReportSources
    transfers: ReportTransfers | None
    rights: list[ReportRight] | None
    objection_right: ReportObjectionRight | None
    consent_withdrawal: str | None
    complaint: ReportComplaint | None
    automated_decision_making: ReportAutomatedDecisionMaking | None
    generated_at: datetime
    lang: Literal["sv", "en"]
    erasure: ErasureReport | None = Field(
        default=None,
        description="For an erased subject: what was erased and what is kept, why and "
        "until when (the current erasure report).",
    )
    objections: list[ReportObjection] = Field(
        default_factory=list,
        description="The subject's objections to processing for a purpose (Art 21(1)), "
        "pending or decided, with the controller's reasons.",
    )
    third_party_review: ReportReview | None = Field(
        default=None,
        description="Released through a rights request: what its review of other people's "
        "data (Art 15(4)) withheld or took out; `null` otherwise.",
    )


class ExportIdentifiers(BaseModel):
    emails: list[str]
    phones: list[str] = Field(description="E.164.")
    external_refs: list[ExternalRefPublic]


class ExportRecord(BaseModel):
    """A record as exported: provided or observed data only (Art 20(1))."""

    id: uuid.UUID
    category: Category
    origin: Literal["provided", "observed"]
    source: str
    created_at: datetime
    updated_at: datetime
    data: dict[str, Any] = Field(description="The category's fields (see the `*Data` schemas).")


class ExportReview(BaseModel):
    """What the request's third-party review left out (Art 15(4))."""

    rights_request_id: uuid.UUID
    withheld_records: int
    redacted: list[ReportRedaction]


class SubjectExport(BaseModel):
    """The JSON export (Art 20): one document, streamed."""

    subject_id: uuid.UUID
    generated_at: datetime
    identifiers: ExportIdentifiers
    third_party_review: ExportReview | None = Field(
        default=None, description="Only when released through a rights request."
    )
    records: list[ExportRecord]
