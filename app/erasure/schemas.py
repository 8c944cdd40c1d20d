from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.subjects.categories import Category


class HoldOut(BaseModel):
    kind: Literal["statutory", "legal"]
    id: str = Field(description="The retention rule's code or the legal hold's id.")
    reference: str = Field(description="The law, or the legal hold's reason.")
    until: date | None = Field(description="Last day kept; `null`: an open-ended legal hold.")


class ErasedRecord(BaseModel):
    id: uuid.UUID
    category: Category


class KeptRecord(BaseModel):
    id: uuid.UUID
    category: Category
    until: date | None = Field(description="Last day any hold keeps it; `null`: no end yet.")
    holds: list[HoldOut]


class ErasureCounts(BaseModel):
    erased: int
    kept: int


_ERASURE_REPORT_EXAMPLE: dict[str, Any] = {
    "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
    "status": "erased",
    "dry_run": False,
    "erased_at": "2026-11-25T09:30:00Z",
    "erased": [{"id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71", "category": "contact"}],
    "kept": [
        {
            "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a72",
            "category": "sales_document",
            "until": "2031-12-31",
            "holds": [
                {
                    "kind": "statutory",
                    "id": "se-bfl-7-2",
                    "reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
                    "until": "2031-12-31",
                }
            ],
        }
    ],
    "counts": {"erased": 1, "kept": 1},
}


class ErasureReport(BaseModel):
    """What was (or, in a dry run, would be) erased and kept, why and until when."""

    model_config = ConfigDict(json_schema_extra={"example": _ERASURE_REPORT_EXAMPLE})

    subject_id: uuid.UUID
    status: Literal["active", "erased"] = Field(
        description="`erased` once erased; `active` in a dry run (nothing changed yet)."
    )
    dry_run: bool
    erased_at: datetime | None
    erased: list[ErasedRecord]
    kept: list[KeptRecord]
    counts: ErasureCounts


class PurgePreviewGroup(BaseModel):
    category: str
    reason: Literal["maximum_retention", "erased"] = Field(
        description="`maximum_retention`: past the maximum of a `delete_after` rule; "
        "`erased`: a kept record of an erased subject whose holds have ended."
    )
    rule: str | None = Field(description="The `delete_after` rule's code (`null`: erased).")
    reference: str | None = Field(description="The rule's legal reference.")
    records: int
    record_ids: list[uuid.UUID] = Field(description="The first ids, by subject and record.")


class PurgePreview(BaseModel):
    """What the next purge would delete, and why — the same decision the purge makes."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "as_of": "2026-01-16T08:00:00Z",
                "records": 1,
                "held_past_maximum": 0,
                "groups": [
                    {
                        "category": "network",
                        "reason": "maximum_retention",
                        "rule": "ip-12-months",
                        "reference": "GDPR Art 5(1)(e); IT security log policy 2.3",
                        "records": 1,
                        "record_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a73"],
                    }
                ],
                "rights_requests": 1,
                "rights_request_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a90"],
            }
        }
    )

    as_of: datetime = Field(description="The service clock's time the preview was made for.")
    records: int = Field(description="Records the purge would delete.")
    held_past_maximum: int = Field(
        description="Records past a maximum that a hold keeps (holds always win)."
    )
    groups: list[PurgePreviewGroup]
    rights_requests: int = Field(
        description="Completed rights requests past the tenant's "
        "`rights_request_retention_months` (Art 5(1)(e)), deleted with what belongs to them."
    )
    rights_request_ids: list[uuid.UUID] = Field(description="The first of their ids, in order.")


class RequestErasureReport(BaseModel):
    """The erasure of every subject a rights request covers (duplicates included)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "rights_request_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a80",
                "dry_run": False,
                "subjects": [_ERASURE_REPORT_EXAMPLE],
            }
        }
    )

    rights_request_id: uuid.UUID
    dry_run: bool
    subjects: list[ErasureReport] = Field(
        description="One report per subject the request covers, in id order (a subject "
        "merged into another is covered by that one, once); empty: no data is held."
    )
