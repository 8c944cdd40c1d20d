from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetentionRulePublic(BaseModel):
    """A retention rule, with its legal reference: `keep` (a hold) or `delete_after` (a
    maximum), counted from `basis` over `years` and `months` (see the listing's text)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "code": "se-bfl-7-2",
                "reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
                "title_sv": "Räkenskapsinformation ska bevaras till och med det sjunde året "
                "efter utgången av det kalenderår då räkenskapsåret avslutades.",
                "title_en": "Accounting records are kept until and including the seventh "
                "year after the end of the calendar year in which the financial year ended.",
                "category": "sales_document",
                "kinds": ["invoice", "order"],
                "verification_kinds": ["order"],
                "action": "keep",
                "basis": "financial_year_end",
                "years": 7,
                "months": 0,
                "active": True,
                "built_in": True,
            }
        },
    )

    code: str
    reference: str = Field(description="The law and section.")
    title_sv: str
    title_en: str
    category: str = Field(description="The record category the rule covers.")
    kinds: list[str] = Field(
        description="Sales documents: the kinds it covers (empty: every record of the category)."
    )
    verification_kinds: list[str] = Field(
        description="Kinds covered only when `is_verification` is true (orders)."
    )
    action: str = Field(
        description="`keep`: held until and including the period's last day; "
        "`delete_after`: may be kept until and including it, deleted by the purge from the "
        "next day unless a hold covers the record."
    )
    basis: str = Field(
        description="What the period counts from: `financial_year_end` (31 December of the "
        "calendar year in which the document's financial year ended), `document_date`, "
        "`created_at`, `last_seen` (network records) or `relationship_end`."
    )
    years: int
    months: int
    active: bool = Field(description="`false`: a template, applied only once a tenant copies it.")
    built_in: bool = Field(
        description="A statutory rule of the service (read-only), or the tenant's own."
    )


class RetentionRuleList(BaseModel):
    items: list[RetentionRulePublic]
