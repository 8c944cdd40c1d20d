"""Art 12(3) deadlines on concrete dates: month ends, leap years, extensions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.requests.deadlines import ART_12_3, add_months, due_at


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T10:00:00+00:00").astimezone(UTC)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-01-15", "2026-02-15"),
        ("2026-01-31", "2026-02-28"),  # February 2026 has 28 days
        ("2028-01-31", "2028-02-29"),  # 2028 is a leap year
        ("2100-01-31", "2100-02-28"),  # 2100 is not (divisible by 100, not by 400)
        ("2000-01-31", "2000-02-29"),  # 2000 is (divisible by 400)
        ("2026-03-31", "2026-04-30"),
        ("2026-05-31", "2026-06-30"),
        ("2026-08-31", "2026-09-30"),
        ("2026-12-31", "2027-01-31"),  # over the year end
        ("2026-12-15", "2027-01-15"),
        ("2026-02-28", "2026-03-28"),  # not "end of month to end of month"
        ("2028-02-29", "2028-03-29"),
    ],
)
def test_one_month_after_receipt(received: str, due: str) -> None:
    assert due_at(at(received)) == at(due)


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        ("2026-01-31", 1, "2026-03-31"),
        ("2026-01-31", 2, "2026-04-30"),
        ("2026-11-30", 2, "2027-02-28"),
        ("2027-11-30", 2, "2028-02-29"),
        ("2026-10-31", 1, "2026-12-31"),
    ],
)
def test_extensions_count_from_receipt(received: str, months: int, due: str) -> None:
    assert due_at(at(received), months) == at(due)


def test_time_of_day_is_kept() -> None:
    received = datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)
    assert due_at(received) == datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)


def test_rule_is_data_with_its_reference() -> None:
    assert ART_12_3.months == 1
    assert ART_12_3.max_extension_months == 2
    assert "12.3" in ART_12_3.reference
    assert add_months(at("2026-01-31"), 12) == at("2027-01-31")
