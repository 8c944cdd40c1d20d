"""The record categories of the privacy policy and the validated `data` of each.

| category         | examples (policy)                           | legal basis        |
|------------------|---------------------------------------------|--------------------|
| `contact`        | name, title, phone, address, email          | contract 6(1)(b)   |
| `organisation`   | department, manager                         | contract           |
| `note`           | free text about the role and relationship   | legit. int. 6(1)(f)|
| `meeting`        | meeting bookings                            | contract           |
| `sales_document` | quote, order, invoice                       | contract; 6(1)(c)  |
| `network`        | IP addresses                                | legit. int. (sec.) |
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StrictBool,
    WithJsonSchema,
    model_validator,
)
from pydantic_extra_types.currency_code import ISO4217

from app.core.clock import Rfc3339
from app.core.schema_rules import at_least_one_of
from app.subjects.identifiers import normalise_email, normalise_phone


class Category(StrEnum):
    contact = "contact"
    organisation = "organisation"
    note = "note"
    meeting = "meeting"
    sales_document = "sales_document"
    network = "network"


class Origin(StrEnum):
    provided = "provided"
    observed = "observed"
    derived = "derived"


Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(normalise_email),
]
Phone = Annotated[
    str,
    Field(max_length=40, description="Any common notation; stored in E.164 (`+46701234567`)."),
    AfterValidator(normalise_phone),
]
# Data strings are stripped of surrounding whitespace before their length is checked, so
# a whitespace-only one is empty: the document says "at least one non-space character".
NOT_BLANK = r"\S"
ShortText = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
# An amount as a decimal string: up to 15 integer digits and 4 decimals, optional sign.
Amount = Annotated[str, Field(pattern=r"^-?\d{1,15}(\.\d{1,4})?$", examples=["12500.00"])]

MAX_FINANCIAL_YEAR_DAYS = 18 * 31  # a financial year is at most 18 months (BFL 3 kap. 3 §)
# Retention periods are added to document dates: a date in year 9999 would overflow
# them (a 500 on every access report and erasure of the subject).
DocumentDate = Annotated[dt.date, Field(le=dt.date(2999, 12, 31))]


class CategoryData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactData(CategoryData):
    """Contact details of the person."""

    name: ShortText
    title: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK)] | None = None


class OrganisationData(CategoryData):
    """The person's place in the customer's organisation."""

    model_config = ConfigDict(json_schema_extra=at_least_one_of("department", "manager"))

    department: ShortText | None = None
    manager: ShortText | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> OrganisationData:
        if self.department is None and self.manager is None:
            raise ValueError("give at least one of `department` and `manager`")
        return self


class NoteData(CategoryData):
    """Free text about the role and the relationship."""

    text: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NOT_BLANK)]


class MeetingData(CategoryData):
    """A meeting booking."""

    start: Rfc3339
    end: Rfc3339
    subject: Annotated[str, Field(max_length=500)] | None = None
    participants: Annotated[list[ShortText], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _ordered(self) -> MeetingData:
        if self.end < self.start:
            raise ValueError("`end` is before `start`")
        return self


class SalesDocumentKind(StrEnum):
    quote = "quote"
    order = "order"
    invoice = "invoice"


class SalesDocumentData(CategoryData):
    """A quote, order or invoice."""

    kind: SalesDocumentKind
    number: Annotated[str, Field(min_length=1, max_length=64, pattern=NOT_BLANK)]
    date: DocumentDate
    financial_year_end: DocumentDate | None = Field(
        default=None,
        description="Last day of the financial year the document belongs to; when absent, "
        "the financial year is the calendar year of `date`.",
    )
    amount: Amount
    currency: ISO4217
    is_verification: StrictBool | None = Field(
        default=None,
        description="For orders: whether the order serves as an accounting verification "
        "(räkenskapsinformation). Invoices always do; quotes never do.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SalesDocumentData:
        if self.financial_year_end is not None:
            span = (self.financial_year_end - self.date).days
            if span < 0 or span > MAX_FINANCIAL_YEAR_DAYS:
                raise ValueError("`financial_year_end` must end the financial year of `date`")
        if self.is_verification and self.kind is SalesDocumentKind.quote:
            raise ValueError("a quote is not a verification")
        Decimal(self.amount)  # the pattern guarantees this parses
        return self


class NetworkData(CategoryData):
    """An IP address seen in web or API logs."""

    ip: Annotated[
        IPvAnyAddress,
        WithJsonSchema(
            {"anyOf": [{"type": "string", "format": "ipv4"}, {"type": "string", "format": "ipv6"}]}
        ),
    ]
    first_seen: Rfc3339
    last_seen: Rfc3339
    context: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> NetworkData:
        if self.last_seen < self.first_seen:
            raise ValueError("`last_seen` is before `first_seen`")
        return self


DATA_MODELS: dict[Category, type[CategoryData]] = {
    Category.contact: ContactData,
    Category.organisation: OrganisationData,
    Category.note: NoteData,
    Category.meeting: MeetingData,
    Category.sales_document: SalesDocumentData,
    Category.network: NetworkData,
}


def validate_data(category: Category, data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise `data` for `category`; raises pydantic's ValidationError."""
    model = DATA_MODELS[category].model_validate(data)
    return dump_data(model)


def dump_data(model: CategoryData) -> dict[str, Any]:
    """The stored form: JSON types, absent optional fields left out."""
    return model.model_dump(mode="json", exclude_none=True)
