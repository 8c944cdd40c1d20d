"""API shapes of rights requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.clock import Rfc3339
from app.core.pagination import CURSOR_PATTERN
from app.core.schema_rules import (
    equals,
    exactly_one_of,
    given,
    rules,
    when,
)
from app.notices.schemas import Lang
from app.subjects.categories import Email, Phone
from app.subjects.schemas import ExternalRefIn, RecordPublic

MAX_REQUESTER_IDENTIFIERS = 5


class RequestType(StrEnum):
    access = "access"
    portability = "portability"
    rectification = "rectification"
    restriction = "restriction"
    objection = "objection"
    erasure = "erasure"


class RequestStatus(StrEnum):
    """`awaiting_verification` → `open` → `completed`. While a request awaits
    verification (or, open, awaits information asked of the person) its deadline is
    paused (EDPB Guidelines 01/2022 on the right of access, §§ 73-77 and 159)."""

    awaiting_verification = "awaiting_verification"
    open = "open"
    completed = "completed"


class Channel(StrEnum):
    """How the request reached the controller (any channel is valid, EDPB 01/2022 § 52)."""

    email = "email"
    letter = "letter"
    phone = "phone"
    web = "web"
    in_person = "in_person"
    api = "api"


class VerificationMethod(StrEnum):
    """How the person was identified. Proportionate means (EDPB 01/2022 §§ 65-77): a
    reply from the address already known, a signed-in account, e-legitimation; a copy of
    an identity document only where nothing less will do, and it is not kept (§ 77)."""

    email_confirmation = "email_confirmation"
    signed_in_account = "signed_in_account"
    e_identification = "e_identification"
    phone_callback = "phone_callback"
    identity_document_seen = "identity_document_seen"
    in_person = "in_person"
    known_context = "known_context"


class PauseReason(StrEnum):
    verification = "verification"
    information = "information"


class Outcome(StrEnum):
    fulfilled = "fulfilled"
    partially_fulfilled = "partially_fulfilled"
    refused = "refused"


class RefusalGrounds(StrEnum):
    """Art 12(5): the controller may refuse to act on a manifestly unfounded or excessive
    request, and bears the burden of demonstrating it."""

    manifestly_unfounded = "manifestly_unfounded"
    excessive = "excessive"


# Art 12(4): not acting (fully) on a request must be explained to the person.
NEEDS_REASONS = frozenset({Outcome.refused, Outcome.partially_fulfilled})

Reason = Annotated[str, Field(min_length=1, max_length=1000)]
Reasons = Annotated[str, Field(min_length=1, max_length=4000)]


class Requester(BaseModel):
    """Who asks, as the request names them: the identifiers the register is searched
    with. Emails and phones are kept in canonical form, and only until the answer is
    sent (cleared when the request is completed)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=when(
            {
                "allOf": [
                    {"not": given("emails", {"type": "array", "minItems": 1})},
                    {"not": given("phones", {"type": "array", "minItems": 1})},
                ]
            },
            given("external_ref"),
        ),
    )

    emails: Annotated[list[Email], Field(max_length=MAX_REQUESTER_IDENTIFIERS)] = []
    phones: Annotated[list[Phone], Field(max_length=MAX_REQUESTER_IDENTIFIERS)] = []
    external_ref: ExternalRefIn | None = None

    @model_validator(mode="after")
    def _something_to_match(self) -> Requester:
        if not (self.emails or self.phones or self.external_ref):
            raise ValueError("give at least one of `emails`, `phones` or `external_ref`")
        # Canonical and without repeats.
        self.emails = list(dict.fromkeys(self.emails))
        self.phones = list(dict.fromkeys(self.phones))
        return self


class RightsRequestCreate(BaseModel):
    """A request received from a data subject: for a known `subject_id`, or for a
    `requester` who may not be in the register."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "erasure",
                    "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                    "received_at": "2026-01-31T10:00:00Z",
                },
                {
                    "type": "access",
                    "requester": {"emails": ["person@example.com"]},
                    "channel": "email",
                    "received_at": "2026-01-31T10:00:00Z",
                },
            ],
            **exactly_one_of("subject_id", "requester"),
        },
    )

    type: RequestType
    subject_id: uuid.UUID | None = None
    requester: Requester | None = None
    channel: Channel = Channel.api
    received_at: Rfc3339 = Field(description="When the request reached the controller.")

    @model_validator(mode="after")
    def _one_person(self) -> RightsRequestCreate:
        if (self.subject_id is None) == (self.requester is None):
            raise ValueError("give exactly one of `subject_id` or `requester`")
        return self


class RightsRequestVerify(BaseModel):
    """The person's identity was verified: the deadline runs again."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"method": "email_confirmation", "verified_at": "2026-02-03T09:00:00Z"}]
        },
    )

    method: VerificationMethod
    verified_at: Rfc3339 = Field(description="Not before receipt, not in the future.")


class RightsRequestAskInformation(BaseModel):
    """Information asked of the person (Art 12(6); EDPB 01/2022 § 159): the deadline is
    paused until it arrives."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "asked": "Which of our services the request concerns.",
                    "asked_at": "2026-02-03T09:00:00Z",
                }
            ]
        },
    )

    asked: Annotated[str, Field(min_length=1, max_length=1000)] = Field(
        description="What was asked, in words that need no personal data."
    )
    asked_at: Rfc3339 = Field(description="Not before receipt, not in the future.")


class RightsRequestInformationReceived(BaseModel):
    """The information asked of the person arrived: the deadline runs again."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"received_at": "2026-02-10T09:00:00Z"}]},
    )

    received_at: Rfc3339 = Field(description="Not before it was asked, not in the future.")


class RightsRequestExtend(BaseModel):
    """An Art 12(3) extension: 1 or 2 months, at most 2 in total, with the reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "months": 2,
                    "reason": "Many records in several systems to review.",
                    "informed_at": "2026-02-20T09:30:00+01:00",
                }
            ]
        },
    )

    months: Literal[1, 2]
    reason: Reason
    informed_at: Rfc3339 = Field(
        description="When the person was told of the extension and its reasons: no later "
        "than the original `due_at` (Art 12(3) third sentence), not in the future."
    )


class RightsRequestComplete(BaseModel):
    """How the request ended."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "fulfilled"},
                {
                    "outcome": "partially_fulfilled",
                    "reasons": "Invoices are kept for seven years (Bokföringslagen 7 kap. 2 §).",
                    "note": "Export sent by secure mail.",
                },
                {
                    "outcome": "refused",
                    "reasons": "The same access request was answered in full last week.",
                    "refusal_grounds": "excessive",
                },
            ],
            **rules(
                # Art 12(4): not acting (fully) is explained.
                when(equals("outcome", ["refused", "partially_fulfilled"]), given("reasons")),
                # Art 12(5): the grounds of a refusal.
                when(given("refusal_grounds"), equals("outcome", ["refused"])),
            ),
        },
    )

    outcome: Outcome
    reasons: Reasons | None = Field(
        default=None,
        description="Required when `refused` or `partially_fulfilled` (Art 12(4)): why the "
        "controller does not act (fully), as the answer to the person states it.",
    )
    refusal_grounds: RefusalGrounds | None = Field(
        default=None,
        description="Only with `refused`: the request is refused as manifestly unfounded or "
        "excessive (Art 12(5)); `reasons` then carry the controller's demonstration.",
    )
    note: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="An internal note for the desk; not sent to the person."
    )

    @model_validator(mode="after")
    def _reasons_where_the_law_asks(self) -> RightsRequestComplete:
        if self.outcome in NEEDS_REASONS and self.reasons is None:
            raise ValueError(
                f"`{self.outcome.value}` needs `reasons`: the person is told why (Art 12(4))"
            )
        if self.refusal_grounds is not None and self.outcome is not Outcome.refused:
            raise ValueError("`refusal_grounds` go with the outcome `refused` only (Art 12(5))")
        return self


class RequesterPublic(BaseModel):
    emails: list[str]
    phones: list[str]
    external_ref: ExternalRefIn | None


class RightsRequestPublic(BaseModel):
    """A rights request and where it stands."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "type": "erasure",
                "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                "status": "open",
                "channel": "email",
                "requester": None,
                "matched_subject_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70"],
                "verification_method": "email_confirmation",
                "verified_at": "2026-01-30T10:00:00Z",
                "paused_since": None,
                "pause_reason": None,
                "paused_days": 0,
                "information_asked": None,
                "received_at": "2026-01-30T10:00:00Z",
                "time_zone": "Europe/Stockholm",
                "due_at": "2026-03-02T23:59:59+01:00",
                "extension_months": 0,
                "extension_reason": None,
                "extension_informed_at": None,
                "outcome": None,
                "reasons": None,
                "refusal_grounds": None,
                "complaint_and_remedy_stated": False,
                "note": None,
                "completed_at": None,
                "overdue": False,
                "legal_reference": "GDPR (EU) 2016/679 art. 12.3; "
                "Regulation (EEC, Euratom) No 1182/71 art. 3",
            }
        },
    )

    id: uuid.UUID
    type: RequestType
    subject_id: uuid.UUID | None = Field(
        description="The subject the request is about; with a `requester`, the first "
        "matched subject, or null where none matched."
    )
    status: RequestStatus
    channel: Channel
    requester: RequesterPublic | None = Field(
        description="The requester's identifiers (canonical), kept until the request is "
        "completed, then cleared."
    )
    matched_subject_ids: list[uuid.UUID] = Field(
        description="Every subject the request covers (duplicates included); empty: no "
        "data held about the person."
    )
    verification_method: VerificationMethod | None
    verified_at: datetime | None
    paused_since: datetime | None = Field(
        description="Set while the deadline is paused (awaiting verification or "
        "information asked of the person)."
    )
    pause_reason: PauseReason | None
    paused_days: int = Field(description="Days the deadline was paused; `due_at` includes them.")
    information_asked: str | None
    received_at: datetime
    time_zone: str = Field(
        description="The tenant's time zone when the request was received: the day of "
        "receipt and the deadline are counted in it."
    )
    due_at: datetime = Field(
        description="The end (23:59:59) of the period's last day, in `time_zone` with its "
        "offset: one month after the day of receipt (not counted), plus extensions, moved "
        "past a Saturday, Sunday or Swedish public holiday (Reg 1182/71 art. 3)."
    )
    extension_months: int
    extension_reason: str | None
    extension_informed_at: datetime | None = Field(
        description="When the person was told of the extension (Art 12(3))."
    )
    outcome: Outcome | None
    reasons: str | None = Field(
        description="Why the controller did not act (fully) on the request (Art 12(4))."
    )
    refusal_grounds: RefusalGrounds | None = Field(
        description="A refusal as manifestly unfounded or excessive (Art 12(5))."
    )
    complaint_and_remedy_stated: bool = Field(
        description="The answer tells the person of the right to complain to the "
        "supervisory authority (IMY) and to a judicial remedy (Art 12(4)): set for "
        "`refused` and `partially_fulfilled`."
    )
    note: str | None
    completed_at: datetime | None
    overdue: bool = Field(description="Open, not paused, and `due_at` has passed.")
    legal_reference: str


class ReviewDecisionKind(StrEnum):
    """What a request releases of a record that may carry other people's data (Art
    15(4); EDPB Guidelines 01/2022 §§ 169-173)."""

    release = "release"
    redact = "redact"
    withhold = "withhold"


class ReviewDecisionCreate(BaseModel):
    """The decision on one record: `redact` names the data fields taken out; `release`
    and `withhold` take no fields."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "record_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a72",
                    "decision": "redact",
                    "fields": ["participants"],
                },
                {"record_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a73", "decision": "withhold"},
            ],
            **rules(
                when(
                    equals("decision", ["redact"]),
                    {"required": ["fields"], "properties": {"fields": {"minItems": 1}}},
                ),
                when(
                    {"not": equals("decision", ["redact"])},
                    {"properties": {"fields": {"maxItems": 0}}},
                ),
            ),
        },
    )

    record_id: uuid.UUID
    decision: ReviewDecisionKind
    fields: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=32)
    ] = Field(
        default=[],
        description="With `redact`: the record's data fields to take out (at least one, "
        "each a field of the record's category); empty otherwise.",
    )

    @model_validator(mode="after")
    def _fields_with_redact_only(self) -> ReviewDecisionCreate:
        if self.decision is ReviewDecisionKind.redact and not self.fields:
            raise ValueError("`redact` needs the `fields` to take out")
        if self.decision is not ReviewDecisionKind.redact and self.fields:
            raise ValueError(f"`{self.decision.value}` takes no `fields`")
        self.fields = list(dict.fromkeys(self.fields))
        return self


class ReviewItem(BaseModel):
    """A record the request's answer may release, and the decision on it."""

    record: RecordPublic
    review_required: bool = Field(
        description="The record's category may carry other people's data: it is released "
        "through this request only once decided."
    )
    decision: ReviewDecisionKind | None = Field(description="`null`: not decided yet.")
    fields: list[str] = Field(description="The data fields taken out (`redact`).")
    decided_at: datetime | None
    decided_by: str | None = Field(description="Who decided (the token's subject).")


class ReviewState(BaseModel):
    """The third-party review of a request (Art 15(4)): the records of the subjects it
    covers that need a decision, or have one, before anything is released."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "rights_request_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "categories": ["note", "meeting"],
                "pending": 1,
                "complete": False,
                "items": [
                    {
                        "record": {
                            "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a72",
                            "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                            "category": "meeting",
                            "origin": "provided",
                            "source": "calendar",
                            "data": {
                                "start": "2026-11-20T09:00:00Z",
                                "end": "2026-11-20T10:00:00Z",
                                "participants": ["Åsa Öberg", "Per Lind"],
                            },
                            "restricted": False,
                            "version": 1,
                            "created_at": "2026-11-20T08:00:00Z",
                            "updated_at": "2026-11-20T08:00:00Z",
                        },
                        "review_required": True,
                        "decision": None,
                        "fields": [],
                        "decided_at": None,
                        "decided_by": None,
                    }
                ],
                "next_cursor": None,
            }
        }
    )

    rights_request_id: uuid.UUID
    categories: list[str] = Field(
        description="The categories that may carry other people's data, reviewed before release."
    )
    pending: int = Field(description="Records still to decide (in all pages).")
    complete: bool = Field(description="Nothing is pending: the answer can be released.")
    items: list[ReviewItem]
    next_cursor: str | None = Field(
        description="Pass as `?cursor=` to get the next page; `null` on the last page.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )


class LetterKind(StrEnum):
    """The letters to the person about a request (Art 12), each when it applies:
    `acknowledgement` always; `identification` while the request awaits verification or
    information asked of the person; `extension` once extended (Art 12(3)); `answer` once
    completed `fulfilled` or `partially_fulfilled`; `refusal` once completed `refused`
    (Art 12(4)-(5))."""

    acknowledgement = "acknowledgement"
    identification = "identification"
    extension = "extension"
    answer = "answer"
    refusal = "refusal"


class LetterFormat(StrEnum):
    html = "html"
    text = "text"


class LetterSent(BaseModel):
    """A letter was sent to the person: how, when and in which language."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"channel": "email", "sent_at": "2026-03-04T09:15:00Z", "lang": "sv"}]
        },
    )

    channel: Channel
    sent_at: Rfc3339 = Field(description="Not before the request was received, not in the future.")
    lang: Lang = Field(default="sv", description="The language the letter was sent in.")


class LetterSentPublic(BaseModel):
    """A letter recorded as sent."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a90",
                "rights_request_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "kind": "acknowledgement",
                "lang": "sv",
                "channel": "email",
                "sent_at": "2026-03-04T09:15:00Z",
                "recorded_at": "2026-03-04T09:16:02Z",
                "recorded_by": "desk-console",
            }
        },
    )

    id: uuid.UUID
    rights_request_id: uuid.UUID
    kind: LetterKind
    lang: Lang
    channel: Channel
    sent_at: datetime
    recorded_at: datetime
    recorded_by: str = Field(description="The caller (token `sub`) that recorded it.")


class LetterAttachment(BaseModel):
    """A file the answer lists as attached: the export of one covered subject, fetched by
    the desk with `href` (linked to the request, so it applies what the request releases)."""

    subject_id: uuid.UUID
    filename: str = Field(description="`subject-{subject_id}.json`, as the letter names it.")
    href: str = Field(description="Where the desk downloads it (scope `rights:read`).")


class LetterOverview(BaseModel):
    """What a desk needs to write to the person: the letters that exist now, the files the
    answer lists, and the letters already sent, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "rights_request_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "notice_published": True,
                "available": ["acknowledgement", "answer"],
                "attachments": [
                    {
                        "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                        "filename": "subject-019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70.json",
                        "href": "/v1/subjects/019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70/export"
                        "?rights_request_id=019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                    }
                ],
                "sent": [
                    {
                        "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a90",
                        "rights_request_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                        "kind": "acknowledgement",
                        "lang": "sv",
                        "channel": "email",
                        "sent_at": "2026-03-04T09:15:00Z",
                        "recorded_at": "2026-03-04T09:16:02Z",
                        "recorded_by": "desk-console",
                    }
                ],
            }
        }
    )

    rights_request_id: uuid.UUID
    notice_published: bool = Field(
        description="Letters speak as the controller: without a published privacy notice "
        "none exists (`available` is empty)."
    )
    available: list[LetterKind] = Field(
        description="The letters that can be rendered (and recorded as sent) now."
    )
    attachments: list[LetterAttachment] = Field(
        description="With an `answer` that releases data (access, portability): the export "
        "of every covered subject; otherwise empty."
    )
    sent: list[LetterSentPublic] = Field(description="Letters recorded as sent, oldest first.")
