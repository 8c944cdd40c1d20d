from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetentionRulePublic(BaseModel):
    """A statutory retention rule, with its legal reference."""

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
                "basis": "financial_year_end",
                "years": 7,
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
    kinds: list[str] = Field(description="The document kinds it covers.")
    verification_kinds: list[str] = Field(
        description="Kinds covered only when `is_verification` is true (orders)."
    )
    basis: str = Field(
        description="`financial_year_end`: kept until 31 December of the year of the "
        "financial year's end plus `years`."
    )
    years: int
    active: bool
    built_in: bool = Field(
        description="A statutory rule of the service (read-only), or the tenant's own."
    )


class RetentionRuleList(BaseModel):
    items: list[RetentionRulePublic]
