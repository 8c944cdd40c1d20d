"""How retention periods are counted, on golden dates for every basis (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest

from app.retention.holds import holds_on, kept_until
from app.retention.rules import (
    RecordFacts,
    add_months,
    fields_read,
    last_day,
    maximum,
    statutory_holds,
)
from app.retention.settings import DEFAULTS, TenantSettings


@dataclass
class Rule:
    code: str = "rule"
    reference: str = "test"
    category: str = "network"
    kinds: list[str] = field(default_factory=list)
    verification_kinds: list[str] = field(default_factory=list)
    action: str = "delete_after"
    basis: str = "last_seen"
    years: int = 0
    months: int = 12
    active: bool = True


BFL = Rule(
    code="se-bfl-7-2",
    category="sales_document",
    kinds=["invoice", "order"],
    verification_kinds=["order"],
    action="keep",
    basis="financial_year_end",
    years=7,
    months=0,
)
PRESKRIPTION = Rule(
    code="se-preskription-2",
    category="sales_document",
    kinds=["invoice", "order"],
    action="keep",
    basis="document_date",
    years=10,
    months=0,
)
MAY_TO_APRIL = TenantSettings(financial_year_end="04-30")


def network(last_seen: str) -> RecordFacts:
    return RecordFacts(
        category="network",
        data={"ip": "192.0.2.1", "first_seen": last_seen, "last_seen": last_seen},
    )


def invoice(day: str, fy_end: str | None = None) -> RecordFacts:
    data = {"kind": "invoice", "date": day}
    if fy_end:
        data["financial_year_end"] = fy_end
    return RecordFacts(category="sales_document", data=data)


def due(rule: Rule, facts: RecordFacts, today: str, settings: TenantSettings = DEFAULTS) -> bool:
    """Whether the purge deletes the record on `today` under the maximum `rule`."""
    limit = maximum([rule], facts, settings)
    return limit is not None and limit.last_day < date.fromisoformat(today)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        ("2024-01-31", 1, "2024-02-29"),  # the month's last day where the number is missing
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-03-31", 1, "2024-04-30"),
        ("2025-01-15", 12, "2026-01-15"),
        ("2024-12-31", 84, "2031-12-31"),
        ("2024-11-30", 3, "2025-02-28"),
    ],
)
def test_months_are_calendar_months(start: str, months: int, end: str) -> None:
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(end)


def test_last_seen_golden_date() -> None:
    """Last seen 2025-01-15, a 12-month maximum: kept through 2026-01-15, deleted on
    2026-01-16 — not on 2026-01-15."""
    facts = network("2025-01-15T10:00:00Z")
    assert last_day(Rule(), facts, DEFAULTS) == date(2026, 1, 15)
    assert not due(Rule(), facts, "2026-01-15")
    assert due(Rule(), facts, "2026-01-16")


def test_last_seen_is_the_day_in_the_tenants_time_zone() -> None:
    late = network("2025-01-15T23:30:00Z")  # 00:30 on 16 January in Stockholm
    assert last_day(Rule(), late, DEFAULTS) == date(2026, 1, 16)
    assert last_day(Rule(), late, TenantSettings(time_zone="UTC")) == date(2026, 1, 15)
    assert last_day(Rule(), late, TenantSettings(time_zone="America/New_York")) == date(2026, 1, 15)


def test_months_only_and_years_and_months() -> None:
    facts = network("2024-08-31T12:00:00Z")
    assert last_day(Rule(months=6), facts, DEFAULTS) == date(2025, 2, 28)
    assert last_day(Rule(years=1, months=6), facts, DEFAULTS) == date(2026, 2, 28)
    assert last_day(Rule(years=2, months=0), facts, DEFAULTS) == date(2026, 8, 31)


def test_financial_year_of_the_tenant() -> None:
    """BFL 7 kap. 2 §: an invoice of 2024-06-10 of a May-April year (ending 2025-04-30) is
    kept until 2032-12-31; with a calendar year, until 2031-12-31."""
    assert statutory_holds([BFL], invoice("2024-06-10"), MAY_TO_APRIL)[0].until == date(
        2032, 12, 31
    )
    assert statutory_holds([BFL], invoice("2024-06-10"), DEFAULTS)[0].until == date(2031, 12, 31)
    # The year's last day itself, and the day after it.
    assert statutory_holds([BFL], invoice("2025-04-30"), MAY_TO_APRIL)[0].until == date(
        2032, 12, 31
    )
    assert statutory_holds([BFL], invoice("2025-05-01"), MAY_TO_APRIL)[0].until == date(
        2033, 12, 31
    )


def test_a_documents_own_financial_year_wins_over_the_tenants() -> None:
    own = invoice("2024-06-10", fy_end="2024-08-31")
    assert statutory_holds([BFL], own, MAY_TO_APRIL)[0].until == date(2031, 12, 31)
    assert statutory_holds([BFL], own, DEFAULTS)[0].until == date(2031, 12, 31)


@pytest.mark.parametrize(
    ("setting", "day", "year_end"),
    [
        ("12-31", "2024-03-15", "2024-12-31"),
        ("04-30", "2024-06-10", "2025-04-30"),
        ("04-30", "2024-04-30", "2024-04-30"),
        ("02-29", "2025-01-10", "2025-02-28"),  # the last day of February
        ("02-29", "2024-01-10", "2024-02-29"),
        ("08-31", "2024-09-01", "2025-08-31"),
    ],
)
def test_financial_year_end_on_or_after(setting: str, day: str, year_end: str) -> None:
    settings = TenantSettings(financial_year_end=setting)
    assert settings.financial_year_end_on_or_after(date.fromisoformat(day)) == (
        date.fromisoformat(year_end)
    )


def test_document_date_preskriptionslagen() -> None:
    """Preskriptionslag (1981:130) 2 §: ten years from the document date."""
    assert statutory_holds([PRESKRIPTION], invoice("2016-03-15"), DEFAULTS)[0].until == date(
        2026, 3, 15
    )
    held = holds_on(
        record_id=None,
        facts=invoice("2016-03-15"),
        rules=[PRESKRIPTION],
        legal_holds=[],
        settings=DEFAULTS,
        today=date(2026, 3, 15),
    )
    assert kept_until(held) == date(2026, 3, 15)
    assert not holds_on(
        record_id=None,
        facts=invoice("2016-03-15"),
        rules=[PRESKRIPTION],
        legal_holds=[],
        settings=DEFAULTS,
        today=date(2026, 3, 16),
    )


def test_an_inactive_template_holds_nothing() -> None:
    template = Rule(**{**PRESKRIPTION.__dict__, "active": False})
    assert statutory_holds([template], invoice("2024-01-01"), DEFAULTS) == []


def test_created_at() -> None:
    rule = Rule(category="note", basis="created_at", months=6)
    # 22:30 UTC on 31 August is 00:30 on 1 September in Stockholm (summer time).
    stored = RecordFacts(
        category="note", data={"text": "x"}, created_at=datetime(2025, 8, 31, 22, 30, tzinfo=UTC)
    )
    assert last_day(rule, stored, DEFAULTS) == date(2026, 3, 1)
    assert last_day(rule, stored, TenantSettings(time_zone="UTC")) == date(2026, 2, 28)


def test_relationship_end() -> None:
    rule = Rule(category="contact", basis="relationship_end", months=24)
    ended = RecordFacts(category="contact", data={"name": "x"}, relationship_end=date(2026, 3, 31))
    assert last_day(rule, ended, DEFAULTS) == date(2028, 3, 31)
    assert not due(rule, ended, "2028-03-31")
    assert due(rule, ended, "2028-04-01")
    lasting = RecordFacts(category="contact", data={"name": "x"})
    assert maximum([rule], lasting, DEFAULTS) is None  # no maximum runs yet
    keep = Rule(category="contact", basis="relationship_end", action="keep", months=24)
    assert statutory_holds([keep], lasting, DEFAULTS)[0].until is None  # held, no end yet


def test_the_strictest_maximum_applies() -> None:
    facts = network("2025-01-15T10:00:00Z")
    rules = [Rule(code="long", months=24), Rule(code="short", months=3)]
    limit = maximum(rules, facts, DEFAULTS)
    assert limit is not None and (limit.rule_code, limit.last_day) == ("short", date(2025, 4, 15))


def test_keep_and_maximum_are_apart() -> None:
    facts = invoice("2024-06-10")
    delete_after = Rule(code="docs-1y", category="sales_document", basis="document_date")
    assert statutory_holds([delete_after], facts, DEFAULTS) == []
    assert maximum([BFL], facts, DEFAULTS) is None


def test_fields_read_cover_each_basis() -> None:
    assert fields_read(BFL) == {"kind", "date", "financial_year_end", "is_verification"}
    assert fields_read(PRESKRIPTION) == {"kind", "date"}
    assert fields_read(Rule(action="keep")) == {"last_seen"}
    assert fields_read(Rule(category="note", basis="created_at")) == frozenset()
