"""Statutory retention, computed from a rule (data) and a record's own dates.

Bokföringslagen (1999:1078) 7 kap. 2 §: räkenskapsinformation is kept "till och med
det sjunde året efter utgången av det kalenderår då räkenskapsåret avslutades" —
until and including the seventh year after the end of the calendar year in which the
financial year ended. So `until = 31 December of (year of the financial year's end + 7)`.
A record carries `financial_year_end`; where it is absent, the financial year is the
calendar year of the document's `date`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

BASIS_FINANCIAL_YEAR_END = "financial_year_end"
# The record fields each basis reads to compute `until`.
BASIS_FIELDS = {BASIS_FINANCIAL_YEAR_END: ("financial_year_end", "date")}


class RuleLike(Protocol):
    code: str
    reference: str
    category: str
    kinds: list[str]
    verification_kinds: list[str]
    basis: str
    years: int
    active: bool


@dataclass(frozen=True)
class StatutoryHold:
    """A rule that requires a record to be kept, and the last day it must be kept."""

    rule_code: str
    reference: str
    until: date


def covers(rule: RuleLike, category: str, data: Mapping[str, Any]) -> bool:
    """Whether `rule` applies to a record of `category` with `data`."""
    if not rule.active or category != rule.category:
        return False
    kind = data.get("kind")
    if kind not in rule.kinds:
        return False
    if kind in rule.verification_kinds:
        return bool(data.get("is_verification"))
    return True


def fields_read(rule: RuleLike) -> frozenset[str]:
    """The record fields whose values decide whether and how long `rule` holds a record.

    While the rule holds a record these fields cannot change: rewriting an invoice's
    `kind` or `date` would otherwise end a statutory hold by rectification.
    """
    fields = {"kind", *BASIS_FIELDS.get(rule.basis, ())}
    if rule.verification_kinds:
        fields.add("is_verification")
    return frozenset(fields)


def financial_year_end(data: Mapping[str, Any]) -> date:
    """The record's financial year end, or the end of its document date's calendar year."""
    explicit = data.get("financial_year_end")
    if explicit:
        return date.fromisoformat(str(explicit))
    return date(date.fromisoformat(str(data["date"])).year, 12, 31)


def kept_until(rule: RuleLike, data: Mapping[str, Any]) -> date:
    """The last day the rule requires the record to be kept."""
    if rule.basis != BASIS_FINANCIAL_YEAR_END:
        raise ValueError(f"unknown retention basis {rule.basis!r}")
    return date(financial_year_end(data).year + rule.years, 12, 31)


def statutory_holds(
    rules: Iterable[RuleLike], category: str, data: Mapping[str, Any]
) -> list[StatutoryHold]:
    """Every statutory hold on a record (ended ones included; compare `until` to today)."""
    return [
        StatutoryHold(rule_code=rule.code, reference=rule.reference, until=kept_until(rule, data))
        for rule in rules
        if covers(rule, category, data)
    ]
