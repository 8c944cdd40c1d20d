"""API shapes of the general objection (Art 21(1))."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.schema_rules import equals, given, when
from app.erasure.schemas import ErasedRecord

PurposeCode = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="A purpose `code` of the tenant's privacy notice.",
        examples=["customer-analysis"],
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]


class ObjectionStatus(StrEnum):
    pending = "pending"
    decided = "decided"


class ObjectionOutcome(StrEnum):
    upheld = "upheld"
    rejected = "rejected"


class ObjectionCreate(BaseModel):
    """The person objects, on grounds relating to their particular situation."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "purpose": "customer-analysis",
                    "grounds": "I left the customer company and do not want to be analysed.",
                }
            ]
        },
    )

    purpose: PurposeCode
    grounds: Text = Field(
        description="The person's grounds relating to their particular situation (Art 21(1))."
    )


class ObjectionDecision(BaseModel):
    """The controller's decision. A rejection must state the compelling legitimate
    grounds that override the person's interests, rights and freedoms, or that the
    processing is needed for legal claims (Art 21(1))."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "upheld", "reasons": "No overriding grounds; analysis stopped."},
                {
                    "outcome": "rejected",
                    "reasons": "The data is needed to establish a claim against the customer.",
                },
            ],
            # Art 21(1): a rejection states the compelling legitimate grounds.
            **when(equals("outcome", ["rejected"]), given("reasons")),
        },
    )

    outcome: ObjectionOutcome
    reasons: Text | None = Field(
        default=None, description="Required when `rejected`: the compelling legitimate grounds."
    )

    @model_validator(mode="after")
    def _rejection_has_grounds(self) -> ObjectionDecision:
        if self.outcome is ObjectionOutcome.rejected and self.reasons is None:
            raise ValueError("a rejection needs `reasons`: the compelling legitimate grounds")
        return self


class ObjectionPublic(BaseModel):
    """An objection and its assessment. The person's `grounds` are not repeated here:
    they are personal data, shown in the subject's access report."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_id: uuid.UUID
    purpose: str
    status: ObjectionStatus
    created_at: datetime
    decided_at: datetime | None
    outcome: ObjectionOutcome | None
    reasons: str | None
    erased: list[ErasedRecord] = Field(
        default_factory=list,
        description="On the decision that upholds it: records that only served the purpose "
        "and were erased (records a hold keeps are not).",
    )


class ObjectionList(BaseModel):
    items: list[ObjectionPublic]


class ReportObjection(BaseModel):
    """An objection as the person sees it in their access report (Art 15, Art 21(1))."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    purpose: str
    grounds: str = Field(description="The person's grounds, as recorded.")
    status: ObjectionStatus
    created_at: datetime
    decided_at: datetime | None
    outcome: ObjectionOutcome | None
    reasons: str | None = Field(description="The controller's reasons for the decision.")
