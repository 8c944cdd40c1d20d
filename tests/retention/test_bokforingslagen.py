"""Bokföringslagen 7 kap. 2 § on concrete dates: golden cases, leap years, broken years."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from app.retention.holds import holds_on, kept_until
from app.retention.rules import RecordFacts, covers
from app.retention.rules import kept_until as rule_until
from app.retention.settings import DEFAULTS


@dataclass
class Rule:
    code: str = "se-bfl-7-2"
    reference: str = "Bokföringslagen (1999:1078) 7 kap. 2 §"
    category: str = "sales_document"
    kinds: list[str] = field(default_factory=lambda: ["invoice", "order"])
    verification_kinds: list[str] = field(default_factory=lambda: ["order"])
    action: str = "keep"
    basis: str = "financial_year_end"
    years: int = 7
    months: int = 0
    active: bool = True


BFL = Rule()


def doc(kind: str, day: str, fy_end: str | None = None, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {"kind": kind, "date": day, **extra}
    if fy_end:
        data["financial_year_end"] = fy_end
    return data


@pytest.mark.parametrize(
    ("data", "until"),
    [
        (doc("invoice", "2024-03-15"), "2031-12-31"),  # FY = calendar year
        (doc("invoice", "2024-06-15", "2025-04-30"), "2032-12-31"),  # FY 2024-05-01 to 2025-04-30
        (doc("invoice", "2018-06-01"), "2025-12-31"),
        (doc("invoice", "2024-02-29"), "2031-12-31"),  # leap day
        (doc("invoice", "2023-12-31"), "2030-12-31"),  # last day of the year
        (doc("invoice", "2024-01-01", "2024-08-31"), "2031-12-31"),  # FY ends mid-year
        (doc("invoice", "2024-09-15", "2025-08-31"), "2032-12-31"),
        (doc("order", "2024-03-15", is_verification=True), "2031-12-31"),
    ],
)
def test_kept_until(data: dict[str, object], until: str) -> None:
    assert covers(BFL, "sales_document", data)
    assert rule_until(BFL, data, DEFAULTS) == date.fromisoformat(until)


@pytest.mark.parametrize(
    ("category", "data"),
    [
        ("sales_document", doc("quote", "2024-03-15")),
        ("sales_document", doc("order", "2024-03-15")),  # not a verification
        ("sales_document", doc("order", "2024-03-15", is_verification=False)),
        ("note", {"text": "invoice"}),
    ],
)
def test_not_covered(category: str, data: dict[str, object]) -> None:
    assert not covers(BFL, category, data)


def test_hold_ends_after_its_last_day() -> None:
    """The 2018 invoice is kept through 2025-12-31 and erasable on 2026-11-25."""
    data = doc("invoice", "2018-06-01")

    def held(today: str) -> bool:
        return bool(
            holds_on(
                record_id=None,
                facts=RecordFacts(category="sales_document", data=data),
                rules=[BFL],
                legal_holds=[],
                settings=DEFAULTS,
                today=date.fromisoformat(today),
            )
        )

    assert held("2025-12-31")
    assert not held("2026-01-01")
    assert not held("2026-11-25")


def test_kept_until_of_several_holds() -> None:
    holds = holds_on(
        record_id=None,
        facts=RecordFacts(category="sales_document", data=doc("invoice", "2024-03-15")),
        rules=[BFL],
        legal_holds=[],
        settings=DEFAULTS,
        today=date(2026, 11, 25),
    )
    assert kept_until(holds) == date(2031, 12, 31)
    assert holds[0].kind == "statutory" and holds[0].reference.startswith("Bokföringslagen")
