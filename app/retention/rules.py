"""Retention computed from a rule (data), a record's own dates and the tenant's settings.

A rule has an **action**:

- `keep` — a hold (GDPR Art 17(3)(b) legal obligation, 17(3)(e) legal claims): the
  record must be kept until and including the period's last day;
- `delete_after` — a maximum (Art 5(1)(e) storage limitation): the record may be kept
  until and including the period's last day and is deleted by the purge from the next
  day on, unless a hold covers it (holds always win).

**How dates are counted** (one way for every basis and action):

1. The *basis date* D of the record:
   - `financial_year_end`: 31 December of the calendar year in which the record's
     financial year ended — Bokföringslagen (1999:1078) 7 kap. 2 § counts "efter
     utgången av det kalenderår då räkenskapsåret avslutades". The financial year ends
     on the document's `financial_year_end`, else on the first day on or after its
     `date` that is the tenant's financial-year end (`MM-DD`, default `12-31`).
   - `document_date`: the sales document's `date`.
   - `created_at`: the day the record was stored.
   - `last_seen`: the day of the network record's `last_seen`.
   - `relationship_end`: the day the relationship with the subject ended
     (`app.retention.relationships`); unknown while it lasts.
   Instants (`created_at`, `last_seen`) are read as dates in the tenant's time zone.
2. The period (12 `years` + `months`) is added in calendar months: the day with the
   same number that many months later, or that month's last day where it does not
   exist — as Regulation 1182/71 Art 3(2)(c) counts the Art 12(3) deadlines
   (2024-01-31 + 1 month = 2024-02-29; 2024-02-29 + 12 months = 2025-02-28).
3. The result is the period's *last day*; the period ends at the end of that day in
   the tenant's time zone. A record last seen 2025-01-15 under a 12-month maximum may
   be kept through 2026-01-15 and is deleted from 2026-01-16. "Today" is the service
   clock's date in the tenant's time zone.

Where a basis date is unknown (a relationship that has not ended), a `keep` rule holds
the record without an end and a `delete_after` rule does not apply yet.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from app.retention.settings import TenantSettings
from app.subjects.categories import Category


class Action(StrEnum):
    keep = "keep"
    delete_after = "delete_after"


class Basis(StrEnum):
    financial_year_end = "financial_year_end"
    document_date = "document_date"
    created_at = "created_at"
    last_seen = "last_seen"
    relationship_end = "relationship_end"


SALES_DOCUMENT = "sales_document"
NETWORK = "network"
EVERY_CATEGORY = frozenset(c.value for c in Category)

# Which categories a basis can be computed for.
BASIS_CATEGORIES: dict[str, frozenset[str]] = {
    Basis.financial_year_end: frozenset({SALES_DOCUMENT}),
    Basis.document_date: frozenset({SALES_DOCUMENT}),
    Basis.last_seen: frozenset({NETWORK}),
    Basis.created_at: EVERY_CATEGORY,
    Basis.relationship_end: EVERY_CATEGORY,
}
# The fields of a record's `data` each basis reads. `created_at` is a column no write
# changes; the relationship's end is the subject's, guarded where it is set.
BASIS_FIELDS: dict[str, tuple[str, ...]] = {
    Basis.financial_year_end: ("financial_year_end", "date"),
    Basis.document_date: ("date",),
    Basis.last_seen: ("last_seen",),
    Basis.created_at: (),
    Basis.relationship_end: (),
}

# Kept for callers that name the basis of Bokföringslagen.
BASIS_FINANCIAL_YEAR_END = Basis.financial_year_end.value


class RuleLike(Protocol):
    code: str
    reference: str
    category: str
    kinds: list[str]
    verification_kinds: list[str]
    action: str
    basis: str
    years: int
    months: int
    active: bool


@dataclass(frozen=True)
class RecordFacts:
    """What a rule may read of a record: its category and data, when it was stored, and
    when the relationship with its subject ended (None: it has not, or not asked)."""

    category: str
    data: Mapping[str, Any]
    created_at: datetime | None = None
    relationship_end: date | None = None


@dataclass(frozen=True)
class StatutoryHold:
    """A `keep` rule that requires a record to be kept, and the last day (None: no end
    yet, e.g. while the relationship lasts)."""

    rule_code: str
    reference: str
    until: date | None


@dataclass(frozen=True)
class Maximum:
    """A `delete_after` rule and the last day it lets the record be kept."""

    rule_code: str
    reference: str
    last_day: date


def covers(rule: RuleLike, category: str, data: Mapping[str, Any]) -> bool:
    """Whether `rule` applies to a record of `category` with `data`."""
    if not rule.active or category != rule.category:
        return False
    if not rule.kinds:  # no kinds: every record of the category
        return True
    kind = data.get("kind")
    if kind not in rule.kinds:
        return False
    if kind in rule.verification_kinds:
        return bool(data.get("is_verification"))
    return True


def fields_read(rule: RuleLike) -> frozenset[str]:
    """The record fields whose values decide whether and how long `rule` applies.

    While a `keep` rule holds a record these fields cannot change: rewriting an
    invoice's `kind` or `date`, or a network record's `last_seen`, would otherwise end a
    hold by rectification (`app.retention.guard`).
    """
    fields = set(BASIS_FIELDS.get(rule.basis, ()))
    if rule.kinds:
        fields.add("kind")
    if rule.verification_kinds:
        fields.add("is_verification")
    return frozenset(fields)


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; the month's last day where the number is
    missing (Reg 1182/71 Art 3(2)(c))."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _as_date(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def financial_year_end(data: Mapping[str, Any], settings: TenantSettings) -> date:
    """The document's financial-year end: its own `financial_year_end`, else the first
    day on or after its `date` that ends the tenant's financial year."""
    explicit = data.get("financial_year_end")
    if explicit:
        return _as_date(explicit)
    return settings.financial_year_end_on_or_after(_as_date(data["date"]))


def basis_date(rule: RuleLike, facts: RecordFacts, settings: TenantSettings) -> date | None:
    """The day the rule's period is counted from; None while it is not known."""
    data = facts.data
    try:
        if rule.basis == Basis.financial_year_end:
            return date(financial_year_end(data, settings).year, 12, 31)
        if rule.basis == Basis.document_date:
            return _as_date(data["date"])
        if rule.basis == Basis.last_seen:
            return settings.local_date(datetime.fromisoformat(str(data["last_seen"])))
        if rule.basis == Basis.created_at:
            return settings.local_date(facts.created_at) if facts.created_at else None
        if rule.basis == Basis.relationship_end:
            return facts.relationship_end
    except (KeyError, ValueError):
        return None  # data without the field the basis reads (stored before validation)
    raise ValueError(f"unknown retention basis {rule.basis!r}")


def last_day(rule: RuleLike, facts: RecordFacts, settings: TenantSettings) -> date | None:
    """The last day of the rule's period for the record; None while its basis is unknown."""
    start = basis_date(rule, facts, settings)
    if start is None:
        return None
    return add_months(start, rule.years * 12 + rule.months)


def statutory_holds(
    rules: Iterable[RuleLike], facts: RecordFacts, settings: TenantSettings
) -> list[StatutoryHold]:
    """Every `keep` rule's hold on a record (ended ones included; compare `until`)."""
    return [
        StatutoryHold(
            rule_code=rule.code,
            reference=rule.reference,
            until=last_day(rule, facts, settings),
        )
        for rule in rules
        if rule.action == Action.keep and covers(rule, facts.category, facts.data)
    ]


def maximum(
    rules: Iterable[RuleLike], facts: RecordFacts, settings: TenantSettings
) -> Maximum | None:
    """The strictest `delete_after` rule that applies to the record (earliest last day,
    then code), or None: no maximum applies (yet)."""
    found = [
        Maximum(rule_code=rule.code, reference=rule.reference, last_day=day)
        for rule in rules
        if rule.action == Action.delete_after
        and covers(rule, facts.category, facts.data)
        and (day := last_day(rule, facts, settings)) is not None
    ]
    return min(found, key=lambda m: (m.last_day, m.rule_code), default=None)


def kept_until(rule: RuleLike, data: Mapping[str, Any], settings: TenantSettings) -> date | None:
    """The last day a rule's period lasts for a sales document (tests and reports)."""
    return last_day(rule, RecordFacts(category=rule.category, data=data), settings)
