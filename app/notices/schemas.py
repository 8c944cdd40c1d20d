"""The shape of a tenant's privacy notice (Art 12-14, and what Art 15 answers from it).

A notice is published in Swedish and English (`sv`, `en`), each complete. The structure
makes the gaps that a data protection review finds impossible to publish:

| field                          | source                                             |
|--------------------------------|----------------------------------------------------|
| `controller`                   | Art 13(1)(a), 14(1)(a)                              |
| `dpo`                          | Art 13(1)(b), 14(1)(b); Art 37-39 (or a contact point)|
| `purposes[].legal_basis`       | Art 13(1)(c), 14(1)(c); Art 6(1)(a)-(f)              |
| `purposes[].legitimate_interest`| Art 13(1)(d), 14(2)(b) — required for 6(1)(f)      |
| `categories`                   | Art 14(1)(d), 15(1)(b): every category held        |
| `categories.*.retention`       | Art 13(2)(a), 14(2)(a), 15(1)(d); WP260 rev.01 §48 |
| `recipients`                   | Art 13(1)(e), 14(1)(e), 15(1)(c); CJEU C-154/21    |
| `transfers`                    | Art 13(1)(f), 14(1)(f), 15(2); Art 45, 46, 47, 49  |
| `rights`                       | Art 13(2)(b), 14(2)(c), 15(1)(e)                    |
| `objection_right`              | Art 21(4): stated clearly and separately            |
| `consent_withdrawal`           | Art 13(2)(c), 14(2)(d) — required when consent is a basis |
| `complaint`                    | Art 13(2)(d), 14(2)(e), 15(1)(f); Art 77            |
| `provision_requirement`        | Art 13(2)(e)                                        |
| `sources`                      | Art 14(2)(f), 15(1)(g)                              |
| `automated_decision_making`    | Art 13(2)(f), 14(2)(g), 15(1)(h); Art 22            |

The checks that need more than one field (every category described, purpose codes
that exist, the same structure in both languages, retention rules in force) are in
`app.notices.validation`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from app.subjects.categories import Category

Lang = Literal["sv", "en"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Code = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"),
    Field(description="A stable slug (`direct-marketing`), the same in `sv` and `en`."),
]


class LegalBasis(StrEnum):
    """The six legal bases of Art 6(1)."""

    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"


# The point of Art 6(1) and its name in each language (IMY's Swedish terms).
LEGAL_BASIS_TEXT: dict[LegalBasis, dict[Lang, tuple[str, str]]] = {
    LegalBasis.consent: {
        "sv": ("Samtycke", "artikel 6.1 a"),
        "en": ("Consent", "Art 6(1)(a)"),
    },
    LegalBasis.contract: {
        "sv": ("Avtal", "artikel 6.1 b"),
        "en": ("Contract", "Art 6(1)(b)"),
    },
    LegalBasis.legal_obligation: {
        "sv": ("Rättslig förpliktelse", "artikel 6.1 c"),
        "en": ("Legal obligation", "Art 6(1)(c)"),
    },
    LegalBasis.vital_interests: {
        "sv": ("Grundläggande intresse", "artikel 6.1 d"),
        "en": ("Vital interests", "Art 6(1)(d)"),
    },
    LegalBasis.public_task: {
        "sv": ("Uppgift av allmänt intresse eller myndighetsutövning", "artikel 6.1 e"),
        "en": ("Public task", "Art 6(1)(e)"),
    },
    LegalBasis.legitimate_interests: {
        "sv": ("Berättigat intresse", "artikel 6.1 f"),
        "en": ("Legitimate interests", "Art 6(1)(f)"),
    },
}


class TransferMechanism(StrEnum):
    """The grounds for a transfer to a third country (Chapter V)."""

    adequacy = "adequacy"  # Art 45: a Commission adequacy decision
    scc = "scc"  # Art 46(2)(c): standard contractual clauses
    bcr = "bcr"  # Art 46(2)(b), 47: binding corporate rules
    derogation = "derogation"  # Art 49(1): a derogation for a specific situation


MECHANISM_ARTICLE: dict[TransferMechanism, dict[Lang, str]] = {
    TransferMechanism.adequacy: {"sv": "artikel 45", "en": "Art 45"},
    TransferMechanism.scc: {"sv": "artikel 46.2 c", "en": "Art 46(2)(c)"},
    TransferMechanism.bcr: {"sv": "artikel 47", "en": "Art 47"},
    TransferMechanism.derogation: {"sv": "artikel 49.1", "en": "Art 49(1)"},
}


class Right(StrEnum):
    """The rights a notice must name (Art 13(2)(b), 14(2)(c), 15(1)(e))."""

    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    portability = "portability"
    objection = "objection"


RIGHT_ARTICLE: dict[Right, dict[Lang, str]] = {
    Right.access: {"sv": "artikel 15", "en": "Art 15"},
    Right.rectification: {"sv": "artikel 16", "en": "Art 16"},
    Right.erasure: {"sv": "artikel 17", "en": "Art 17"},
    Right.restriction: {"sv": "artikel 18", "en": "Art 18"},
    Right.portability: {"sv": "artikel 20", "en": "Art 20"},
    Right.objection: {"sv": "artikel 21", "en": "Art 21"},
}

# The EU member states and the three other EEA states (Iceland, Liechtenstein, Norway):
# a transfer to one of these is not a transfer to a third country (Chapter V).
EEA = frozenset(
    {
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),
    }
)


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    if code in EEA:
        raise ValueError("an EU/EEA country: a transfer there is not a third-country transfer")
    return code


Country = Annotated[
    str,
    Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, outside the EU/EEA."),
    AfterValidator(_country),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Controller(_Strict):
    """Art 13(1)(a): the identity and contact details of the controller."""

    name: Name
    organisation_number: Name
    address: Text
    contact: Text = Field(description="How to reach the controller (email, phone, web).")


class Dpo(_Strict):
    """Art 13(1)(b): the data protection officer (Art 37) or, where none is appointed, the
    contact point for data protection questions."""

    kind: Literal["dpo", "contact_point"] = Field(
        description="`dpo`: an appointed data protection officer; `contact_point`: none is "
        "required (Art 37(1)) and this is who answers data protection questions."
    )
    name: Name = Field(description="A name or a role (`Dataskyddsombud`).")
    contact: Text


class Purpose(_Strict):
    """Art 13(1)(c)-(d): a purpose, its legal basis and, for Art 6(1)(f), the interest."""

    code: Code
    title: Text
    description: Text | None = None
    legal_basis: LegalBasis
    legitimate_interest: Text | None = Field(
        default=None,
        description="The legitimate interest pursued: required when `legal_basis` is "
        "`legitimate_interests` (Art 13(1)(d)), refused otherwise.",
    )

    @model_validator(mode="after")
    def _interest(self) -> Purpose:
        if self.legal_basis == LegalBasis.legitimate_interests:
            if self.legitimate_interest is None:
                raise ValueError(
                    "`legitimate_interest` is required for the legal basis "
                    "`legitimate_interests` (Art 13(1)(d))"
                )
        elif self.legitimate_interest is not None:
            raise ValueError("`legitimate_interest` belongs only to `legitimate_interests`")
        return self


# Boilerplate WP260 rev.01 §48 rejects: "not sufficient ... to generically state that
# personal data will be kept as long as necessary".
VAGUE_RETENTION = (
    "as long as necessary",
    "as long as needed",
    "as long as required",
    "so long as necessary",
    "så länge det är nödvändigt",
    "så länge som det är nödvändigt",
    "så länge det behövs",
    "så länge som det behövs",
    "så länge det krävs",
    "så länge som det krävs",
)


class Retention(_Strict):
    """Art 13(2)(a): the period, or the criteria that determine it. `rules` names the
    retention rules of the service that apply (`GET /v1/retention-rules`); `criteria`
    states the rest in words. At least one of them."""

    rules: list[Code] = Field(default=[], max_length=10)
    criteria: Text | None = None

    @model_validator(mode="after")
    def _specific(self) -> Retention:
        if not self.rules and self.criteria is None:
            raise ValueError("give the retention `rules` that apply, or the `criteria`")
        if self.criteria is not None:
            lowered = self.criteria.lower()
            if any(p in lowered for p in VAGUE_RETENTION) and not any(
                ch.isdigit() for ch in lowered
            ):
                raise ValueError(
                    "state a period or concrete criteria; 'as long as necessary' is not "
                    "enough (WP260 rev.01, para. 48)"
                )
        if len(set(self.rules)) != len(self.rules):
            raise ValueError("a retention rule is named twice")
        return self


class CategoryNotice(_Strict):
    """One category of personal data (Art 14(1)(d)): why (purposes, and so their legal
    bases) and how long."""

    description: Text
    purposes: list[Code] = Field(min_length=1, max_length=30)
    retention: Retention


class RecipientCategory(_Strict):
    """Art 13(1)(e): a category of recipients; `names` the recipients themselves where
    the controller names them (CJEU C-154/21)."""

    category: Name
    description: Text
    names: list[Name] = Field(default=[], max_length=100)


class Transfer(_Strict):
    """Art 13(1)(f): one third-country destination, the ground of the transfer and how
    to obtain a copy of the safeguard or where it is made available."""

    country: Country
    recipient: Text = Field(description="Who receives the data there (a category or name).")
    mechanism: TransferMechanism
    safeguard: Text = Field(
        description="The decision, clauses or derogation relied on, e.g. `Commission "
        "Implementing Decision (EU) 2021/914`."
    )
    safeguard_copy: Text = Field(
        description="How to obtain a copy of the safeguard, or where it is available."
    )


class RightText(_Strict):
    right: Right
    description: Text


class ObjectionRight(_Strict):
    """Art 21(4): the right to object, presented clearly and separately."""

    general: Text = Field(
        description="Art 21(1): objection, on grounds relating to the person's situation, "
        "to processing based on Art 6(1)(e) or (f)."
    )
    direct_marketing: Text = Field(
        description="Art 21(2)-(3): the absolute right to object to direct marketing."
    )


class Complaint(_Strict):
    """Art 13(2)(d), 77: the right to lodge a complaint with a supervisory authority."""

    authority: Name
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=300)]
    address: Text | None = None
    description: Text


class AutomatedDecisionMaking(_Strict):
    """Art 13(2)(f), 22: whether automated decisions (profiling included) are made and,
    if so, the logic involved and the significance and envisaged consequences."""

    used: StrictBool
    description: Text
    logic: Text | None = None
    significance: Text | None = None

    @model_validator(mode="after")
    def _explained(self) -> AutomatedDecisionMaking:
        if self.used and (self.logic is None or self.significance is None):
            raise ValueError(
                "when automated decision-making is used, `logic` and `significance` are "
                "required (Art 13(2)(f))"
            )
        return self


class NoticeText(_Strict):
    """The notice in one language."""

    controller: Controller
    dpo: Dpo
    purposes: list[Purpose] = Field(min_length=1, max_length=50)
    categories: dict[Category, CategoryNotice] = Field(
        description="Every category of personal data (`contact`, `organisation`, `note`, "
        "`meeting`, `sales_document`, `network`).",
        json_schema_extra={"required": [c.value for c in Category]},
    )
    recipients: list[RecipientCategory] = Field(max_length=50)
    transfers_outside_eea: StrictBool = Field(
        description="`false` with an empty `transfers`: no data leaves the EU/EEA."
    )
    transfers: list[Transfer] = Field(max_length=50)
    sources: Text
    provision_requirement: Text = Field(
        description="Art 13(2)(e): whether providing the data is required, and what "
        "happens if it is not provided."
    )
    rights: list[RightText] = Field(min_length=1, max_length=20)
    objection_right: ObjectionRight
    consent_withdrawal: Text | None = Field(
        default=None,
        description="Art 13(2)(c): the right to withdraw consent at any time; required "
        "when a purpose rests on consent.",
    )
    complaint: Complaint
    automated_decision_making: AutomatedDecisionMaking

    @model_validator(mode="after")
    def _transfers_explicit(self) -> NoticeText:
        if self.transfers_outside_eea and not self.transfers:
            raise ValueError(
                "`transfers_outside_eea` is true: list each destination in `transfers` "
                "(Art 13(1)(f))"
            )
        if not self.transfers_outside_eea and self.transfers:
            raise ValueError("`transfers` is not empty: set `transfers_outside_eea` to true")
        return self


class NoticeDocument(_Strict):
    """The privacy notice in Swedish and English, both complete."""

    sv: NoticeText
    en: NoticeText

    def text(self, lang: Lang) -> NoticeText:
        return self.sv if lang == "sv" else self.en


class PublishedNotice(NoticeDocument):
    """A published version of the tenant's notice."""

    version: int = Field(description="1, 2, ...; the ETag; what `notice_version` refers to.")
    published_at: datetime
    published_by: str = Field(description="The caller (token `sub`) that published it.")


class NoticeTemplate(BaseModel):
    """Care of's own notice, offered as a starting point."""

    about: str = Field(description="Whose notice this is, and what must be adapted.")
    adapt: list[str] = Field(description="The fields that must be checked or replaced.")
    lang: Lang
    notice: NoticeDocument = Field(description="In the shape `PUT /v1/privacy-notice` takes.")
