"""The privacy notice: the Art 13-15 texts of a tenant, per language.

Each tenant (controller) may replace it under the `admin` scope; until it does, the
notice of Care of's privacy policy (seed/dataskyddspolicy-care-of.txt) applies, in
Swedish and English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.core.clock import utcnow
from app.core.etag import check_if_match
from app.rights.models import PrivacyNotice
from app.subjects.categories import Category

Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Controller(_Strict):
    name: Text
    address: Text
    contact: Text
    organisation_number: Text | None = None


class Purpose(_Strict):
    purpose: Text
    legal_basis: Text


class CategoryText(_Strict):
    description: Text
    legal_basis: Text
    retention: Text


class RecipientText(_Strict):
    recipient: Text
    description: Text


class Transfers(_Strict):
    outside_eea: StrictBool
    description: Text
    safeguards: Text


class RightText(_Strict):
    right: Text
    article: Text
    description: Text


class Complaint(_Strict):
    authority: Text
    url: Text
    address: Text
    description: Text


class AutomatedDecisions(_Strict):
    used: StrictBool
    description: Text


class NoticeText(_Strict):
    """The notice in one language."""

    controller: Controller
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=50)]
    categories: dict[Category, CategoryText]
    recipients: Annotated[list[RecipientText], Field(max_length=50)]
    sources: Text
    transfers: Transfers
    rights: Annotated[list[RightText], Field(min_length=1, max_length=20)]
    complaint: Complaint
    automated_decision_making: AutomatedDecisions

    @model_validator(mode="after")
    def _every_category(self) -> NoticeText:
        missing = [c.value for c in Category if c not in self.categories]
        if missing:
            raise ValueError(f"describe every category; missing: {', '.join(missing)}")
        return self


class NoticeDocument(_Strict):
    """The privacy notice in Swedish and English."""

    sv: NoticeText
    en: NoticeText


class NoticePublic(NoticeDocument):
    version: int = Field(description="0 for the built-in default; the ETag.")
    updated_at: datetime | None
    is_default: bool


_RETENTION_SV = (
    "Så länge det behövs för att fullgöra avtalet med kunden; därefter raderas uppgifterna."
)
_RETENTION_EN = "As long as needed to perform the contract with the customer; then erased."

CARE_OF_NOTICE: dict[str, Any] = {
    "sv": {
        "controller": {
            "name": "Care of",
            "address": "Västra Kvarngatan 64, 611 32 Nyköping",
            "contact": "Kontakta vår support eller ring vår växel.",
        },
        "purposes": [
            {
                "purpose": "Leverera och administrera våra tjänster",
                "legal_basis": "Avtal, art. 6.1 b",
            },
            {"purpose": "Identifiera dig som kund", "legal_basis": "Avtal, art. 6.1 b"},
            {
                "purpose": "Fakturering",
                "legal_basis": "Avtal, art. 6.1 b; rättslig förpliktelse, art. 6.1 c",
            },
            {"purpose": "Kundtjänst och annan administration", "legal_basis": "Avtal, art. 6.1 b"},
            {
                "purpose": "Kommunikation om nyheter och viktiga händelser",
                "legal_basis": "Berättigat intresse, art. 6.1 f",
            },
            {
                "purpose": "Marknadsföring (du kan när som helst invända)",
                "legal_basis": "Berättigat intresse, art. 6.1 f",
            },
            {
                "purpose": "Uppföljning samt kund- och marknadsanalyser",
                "legal_basis": "Berättigat intresse, art. 6.1 f",
            },
            {"purpose": "Uppfylla lagar", "legal_basis": "Rättslig förpliktelse, art. 6.1 c"},
        ],
        "categories": {
            "contact": {
                "description": "Namn, titel, telefon, adress och e-post",
                "legal_basis": "Avtal, art. 6.1 b",
                "retention": _RETENTION_SV,
            },
            "organisation": {
                "description": "Avdelning och chef",
                "legal_basis": "Avtal, art. 6.1 b",
                "retention": _RETENTION_SV,
            },
            "note": {
                "description": "Eventuell fritext om din roll och vår relation",
                "legal_basis": "Berättigat intresse, art. 6.1 f",
                "retention": _RETENTION_SV,
            },
            "meeting": {
                "description": "Mötesbokningar",
                "legal_basis": "Avtal, art. 6.1 b",
                "retention": _RETENTION_SV,
            },
            "sales_document": {
                "description": "Försäljningsrelaterade objekt såsom offert, order och faktura",
                "legal_basis": "Avtal, art. 6.1 b; fakturor och order som utgör verifikationer även rättslig förpliktelse, art. 6.1 c",
                "retention": "Räkenskapsinformation (fakturor, order som utgör verifikationer) bevaras till och med det sjunde året efter utgången av det kalenderår då räkenskapsåret avslutades (bokföringslagen 7 kap. 2 §); övrigt så länge avtalet kräver.",
            },
            "network": {
                "description": "IP-nummer",
                "legal_basis": "Berättigat intresse (säkerhet), art. 6.1 f",
                "retention": _RETENTION_SV,
            },
        },
        "recipients": [
            {
                "recipient": "Leverantörer och underleverantörer (personuppgiftsbiträden)",
                "description": "Behandlar uppgifter för vår räkning under biträdesavtal.",
            },
            {
                "recipient": "Myndigheter",
                "description": "När en myndighet begär det med lagligt stöd, t.ex. skattemyndigheter eller polismyndigheter.",
            },
        ],
        "sources": "Uppgifterna lämnas av dig eller av kunden du företräder; IP-nummer samlas in från webb- och API-loggar; anteckningar skrivs av vår personal.",
        "transfers": {
            "outside_eea": True,
            "description": "Vårt mål är att alltid behandla och lagra uppgifterna inom EU/ESS. I vissa situationer kan uppgifter överföras till och behandlas i ett land utanför EU/ESS av en leverantör eller underleverantör.",
            "safeguards": "Biträdesavtal med alla leverantörer; vi ser till att uppgifterna hanteras på samma sätt utanför EU/ESS som inom samarbetet.",
        },
        "rights": [
            {
                "right": "Tillgång",
                "article": "art. 15",
                "description": "Du har rätt att få veta vilka uppgifter vi behandlar om dig och få en kopia.",
            },
            {
                "right": "Rättelse",
                "article": "art. 16",
                "description": "Du har rätt att få felaktiga uppgifter rättade och ofullständiga kompletterade.",
            },
            {
                "right": "Radering",
                "article": "art. 17",
                "description": "Du kan under vissa omständigheter begära radering, utom där lag kräver att vi sparar uppgifterna.",
            },
            {
                "right": "Begränsning",
                "article": "art. 18",
                "description": "Du kan begära att behandlingen begränsas; uppgifterna lagras då men används inte.",
            },
            {
                "right": "Dataportabilitet",
                "article": "art. 20",
                "description": "Du har rätt att få ut uppgifter du lämnat i ett maskinläsbart format.",
            },
            {
                "right": "Invändning",
                "article": "art. 21",
                "description": "Du har rätt att när som helst invända mot direktmarknadsföring.",
            },
        ],
        "complaint": {
            "authority": "Integritetsskyddsmyndigheten (IMY)",
            "url": "https://www.imy.se",
            "address": "Box 8114, 104 20 Stockholm",
            "description": "Du har rätt att lämna klagomål till tillsynsmyndigheten.",
        },
        "automated_decision_making": {
            "used": False,
            "description": "Vi fattar inga beslut som enbart grundas på automatiserad behandling, inklusive profilering.",
        },
    },
    "en": {
        "controller": {
            "name": "Care of",
            "address": "Västra Kvarngatan 64, 611 32 Nyköping, Sweden",
            "contact": "Contact our support or call our switchboard.",
        },
        "purposes": [
            {
                "purpose": "Deliver and administer our services",
                "legal_basis": "Contract, Art 6(1)(b)",
            },
            {"purpose": "Identify you as a customer", "legal_basis": "Contract, Art 6(1)(b)"},
            {
                "purpose": "Invoicing",
                "legal_basis": "Contract, Art 6(1)(b); legal obligation, Art 6(1)(c)",
            },
            {
                "purpose": "Customer service and other administration",
                "legal_basis": "Contract, Art 6(1)(b)",
            },
            {
                "purpose": "Communication about news and important events",
                "legal_basis": "Legitimate interest, Art 6(1)(f)",
            },
            {
                "purpose": "Marketing (you may object at any time)",
                "legal_basis": "Legitimate interest, Art 6(1)(f)",
            },
            {
                "purpose": "Follow-up, customer and market analysis",
                "legal_basis": "Legitimate interest, Art 6(1)(f)",
            },
            {"purpose": "Compliance with law", "legal_basis": "Legal obligation, Art 6(1)(c)"},
        ],
        "categories": {
            "contact": {
                "description": "Name, title, phone, address and email",
                "legal_basis": "Contract, Art 6(1)(b)",
                "retention": _RETENTION_EN,
            },
            "organisation": {
                "description": "Department and manager",
                "legal_basis": "Contract, Art 6(1)(b)",
                "retention": _RETENTION_EN,
            },
            "note": {
                "description": "Free text about your role and our relationship",
                "legal_basis": "Legitimate interest, Art 6(1)(f)",
                "retention": _RETENTION_EN,
            },
            "meeting": {
                "description": "Meeting bookings",
                "legal_basis": "Contract, Art 6(1)(b)",
                "retention": _RETENTION_EN,
            },
            "sales_document": {
                "description": "Sales documents such as quotes, orders and invoices",
                "legal_basis": "Contract, Art 6(1)(b); invoices and orders that are verifications also legal obligation, Art 6(1)(c)",
                "retention": "Accounting records (invoices, orders that serve as verifications) are kept until and including the seventh year after the end of the calendar year in which the financial year ended (Swedish Bookkeeping Act, ch. 7 s. 2); others as long as the contract requires.",
            },
            "network": {
                "description": "IP addresses",
                "legal_basis": "Legitimate interest (security), Art 6(1)(f)",
                "retention": _RETENTION_EN,
            },
        },
        "recipients": [
            {
                "recipient": "Suppliers and sub-suppliers (processors)",
                "description": "Process data on our behalf under data processing agreements.",
            },
            {
                "recipient": "Authorities",
                "description": "When an authority requests it with legal grounds, e.g. tax or police authorities.",
            },
        ],
        "sources": "The data is provided by you or by the customer you represent; IP addresses are collected from web and API logs; notes are written by our staff.",
        "transfers": {
            "outside_eea": True,
            "description": "We aim to always process and store data within the EU/EEA. In some situations data may be transferred to and processed in a country outside the EU/EEA by a supplier or sub-supplier.",
            "safeguards": "Data processing agreements with all suppliers; we ensure data is handled outside the EU/EEA as it is within.",
        },
        "rights": [
            {
                "right": "Access",
                "article": "Art 15",
                "description": "You may learn what data we process about you and get a copy.",
            },
            {
                "right": "Rectification",
                "article": "Art 16",
                "description": "You may have inaccurate data corrected and incomplete data completed.",
            },
            {
                "right": "Erasure",
                "article": "Art 17",
                "description": "You may in certain circumstances have your data erased, except where law requires us to keep it.",
            },
            {
                "right": "Restriction",
                "article": "Art 18",
                "description": "You may ask us to restrict processing; the data is then stored but not used.",
            },
            {
                "right": "Data portability",
                "article": "Art 20",
                "description": "You may receive the data you provided in a machine-readable format.",
            },
            {
                "right": "Objection",
                "article": "Art 21",
                "description": "You may object to direct marketing at any time.",
            },
        ],
        "complaint": {
            "authority": "Integritetsskyddsmyndigheten (IMY), the Swedish Authority for Privacy Protection",
            "url": "https://www.imy.se",
            "address": "Box 8114, SE-104 20 Stockholm, Sweden",
            "description": "You have the right to lodge a complaint with the supervisory authority.",
        },
        "automated_decision_making": {
            "used": False,
            "description": "We make no decisions based solely on automated processing, including profiling.",
        },
    },
}

DEFAULT_NOTICE = NoticeDocument.model_validate(CARE_OF_NOTICE)


def current_notice(session: Session) -> NoticePublic:
    """The tenant's notice, or the built-in default."""
    stored = session.exec(select(PrivacyNotice)).first()
    if stored is None:
        return NoticePublic(
            **DEFAULT_NOTICE.model_dump(), version=0, updated_at=None, is_default=True
        )
    return NoticePublic(
        **NoticeDocument.model_validate(stored.document).model_dump(),
        version=stored.version,
        updated_at=stored.updated_at,
        is_default=False,
    )


def replace_notice(
    session: Session, document: NoticeDocument, *, actor: str, if_match: str | None
) -> NoticePublic:
    """Replace the tenant's notice; `If-Match` (checked under the row lock) guards lost
    updates. The built-in default has version 0."""
    stored = session.exec(select(PrivacyNotice).with_for_update()).first()
    check_if_match(if_match, stored.version if stored is not None else 0)
    data = document.model_dump(mode="json")
    if stored is None:
        # Two first publications at the same moment: the loser's insert fails on the
        # tenant's unique key inside its savepoint; it then goes through `If-Match`
        # against the winner's notice, like any later publication.
        try:
            with session.begin_nested():
                session.add(PrivacyNotice(document=data, updated_by=actor))
            return current_notice(session)
        except IntegrityError:
            stored = session.exec(select(PrivacyNotice).with_for_update()).one()
            check_if_match(if_match, stored.version)
    stored.document = data
    stored.updated_at = utcnow()
    stored.updated_by = actor
    session.flush()
    return current_notice(session)
