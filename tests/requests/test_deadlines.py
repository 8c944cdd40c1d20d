"""Art 12(3) deadlines counted per Regulation 1182/71, on concrete golden dates.

Every date here was worked out by hand from the calendar, not from the code: the day of
receipt (tenant's zone) is not counted, the period ends on the same date a month later
(or the month's last day), and a Saturday, Sunday or Swedish holiday — midsommarafton,
julafton and nyårsafton included — moves the end to the next working day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.requests.deadlines import (
    ART_12_3,
    SWEDEN,
    add_months,
    due_at,
    end_of_day,
    has_passed,
    last_day,
    months_after,
    receipt_day,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def received(day: str, clock: str = "10:00:00Z") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}")


def due(day: str, tz: ZoneInfo = STOCKHOLM, **kw: int) -> str:
    return due_at(received(day), tz=tz, **kw).isoformat()


# The four examples of the contract (API.md, "The rights-request workflow").
def test_the_contract_examples() -> None:
    # 30 February does not exist: 28 February 2026, a Saturday → Monday 2 March.
    assert due("2026-01-30") == "2026-03-02T23:59:59+01:00"
    # 25 December (juldagen), 26th (annandag jul, a Saturday), 27th Sunday → 28th.
    assert due("2026-11-25") == "2026-12-28T23:59:59+01:00"
    # 3 April is Good Friday, 4-5 Easter weekend, 6 Easter Monday → Tuesday 7 April (CEST).
    assert due("2026-03-03") == "2026-04-07T23:59:59+02:00"
    # 23:30 UTC on New Year's Eve is 00:30 on 1 January in Stockholm: received on
    # 1 January; 1 February is a Sunday → Monday 2 February.
    late = datetime.fromisoformat("2025-12-31T23:30:00Z")
    assert receipt_day(late, tz=STOCKHOLM) == date(2026, 1, 1)
    assert due_at(late, tz=STOCKHOLM).isoformat() == "2026-02-02T23:59:59+01:00"


@pytest.mark.parametrize(
    ("received_on", "due_on", "why"),
    [
        ("2026-01-15", "2026-02-16", "15 February 2026 is a Sunday"),
        ("2026-01-14", "2026-02-16", "14 February 2026 is a Saturday"),
        ("2026-01-13", "2026-02-13", "a Friday: no shift"),
        ("2026-02-28", "2026-03-30", "28 March Saturday, 29 Sunday (and DST begins)"),
        ("2026-12-15", "2027-01-15", "over the year end, a Friday"),
        ("2026-03-31", "2026-04-30", "31 April does not exist; 30 April is a Thursday"),
        ("2026-08-31", "2026-09-30", "31 September does not exist"),
        ("2026-02-27", "2026-03-27", "not 'end of month to end of month'"),
    ],
)
def test_one_month_then_the_next_working_day(received_on: str, due_on: str, why: str) -> None:
    assert due(received_on) == due_on + (
        "T23:59:59+02:00" if "2026-03-30" <= due_on <= "2026-10-25" else "T23:59:59+01:00"
    ), why


@pytest.mark.parametrize(
    ("received_on", "due_on"),
    [
        ("2028-01-31", "2028-02-29"),  # 2028 is a leap year; 29 February is a Tuesday
        ("2028-01-29", "2028-02-29"),
        ("2028-02-29", "2028-03-29"),  # a Wednesday
        ("2027-01-31", "2027-03-01"),  # 28 February 2027 is a Sunday
        ("2027-01-29", "2027-03-01"),  # 2027 has no 29 February: the 28th, Sunday
        ("2100-01-29", "2100-03-01"),  # 2100 is no leap year; 28 February is a Sunday
    ],
)
def test_leap_years(received_on: str, due_on: str) -> None:
    assert last_day(received(received_on), tz=STOCKHOLM) == date.fromisoformat(due_on)


# Each Swedish holiday whose date moves, 2026-2028, as the last day of a period.
# Easter: 5 April 2026, 28 March 2027, 16 April 2028.
@pytest.mark.parametrize(
    ("received_on", "due_on", "holiday"),
    [
        ("2026-03-03", "2026-04-07", "långfredagen 3 April 2026 (to annandag påsk)"),
        ("2027-02-26", "2027-03-30", "långfredagen 26 March 2027 (to annandag påsk 29th)"),
        ("2028-03-14", "2028-04-18", "långfredagen 14 April 2028 (to annandag påsk 17th)"),
        ("2026-03-06", "2026-04-07", "annandag påsk 6 April 2026"),
        ("2027-02-28", "2027-03-30", "påskdagen 28 March 2027, annandag påsk 29th"),
        ("2028-03-17", "2028-04-18", "annandag påsk 17 April 2028"),
        ("2026-04-14", "2026-05-15", "Kristi himmelsfärdsdag 14 May 2026"),
        ("2027-04-06", "2027-05-07", "Kristi himmelsfärdsdag 6 May 2027"),
        ("2028-04-25", "2028-05-26", "Kristi himmelsfärdsdag 25 May 2028"),
        # Pingstdagen is a Sunday; annandag pingst is a working day since 2005.
        ("2026-04-24", "2026-05-25", "pingstdagen 24 May 2026"),
        ("2027-04-16", "2027-05-17", "pingstdagen 16 May 2027"),
        ("2028-05-04", "2028-06-05", "pingstdagen 4 June 2028"),
        # Midsommarafton (lag 1930:173 2 §), midsommardagen a Saturday, then Sunday.
        ("2026-05-19", "2026-06-22", "midsommarafton 19 June 2026"),
        ("2027-05-25", "2027-06-28", "midsommarafton 25 June 2027"),
        ("2028-05-23", "2028-06-26", "midsommarafton 23 June 2028"),
        # Alla helgons dag is a Saturday; allhelgonaafton (a half day) is a working day.
        ("2026-09-30", "2026-10-30", "allhelgonaafton 30 October 2026 counts as working"),
        ("2027-10-06", "2027-11-08", "alla helgons dag 6 November 2027"),
        ("2028-10-04", "2028-11-06", "alla helgons dag 4 November 2028"),
    ],
)
def test_swedish_moving_holidays(received_on: str, due_on: str, holiday: str) -> None:
    assert last_day(received(received_on), tz=STOCKHOLM) == date.fromisoformat(due_on), holiday


@pytest.mark.parametrize(
    ("received_on", "due_on", "why"),
    [
        ("2026-11-24", "2026-12-28", "julafton Thursday 24th, juldagen, annandag jul, Sunday"),
        ("2027-11-24", "2027-12-27", "julafton Friday 24th: not a working day"),
        ("2026-11-30", "2026-12-30", "30 December 2026 is a Wednesday"),
        # 30 December 2029 is a Sunday; Monday 31st is nyårsafton, then nyårsdagen.
        ("2029-11-30", "2030-01-02", "nyårsafton Monday 31 December 2029"),
        ("2029-11-22", "2029-12-27", "22-23 weekend, julafton Monday, 25-26 holidays"),
        ("2026-12-06", "2027-01-07", "trettondedag jul Wednesday 6 January 2027"),
        ("2026-05-06", "2026-06-08", "nationaldagen Saturday 6 June 2026, then Sunday"),
        ("2027-04-01", "2027-05-03", "första maj Saturday 2027, then Sunday"),
    ],
)
def test_fixed_holidays_and_the_eves(received_on: str, due_on: str, why: str) -> None:
    assert last_day(received(received_on), tz=STOCKHOLM) == date.fromisoformat(due_on), why


def test_the_eves_count_as_holidays_and_other_eves_do_not() -> None:
    # lag (1930:173) 2 §: midsommarafton, julafton, nyårsafton; not påskafton etc.
    for day in (date(2026, 6, 19), date(2027, 12, 24), date(2029, 12, 31)):
        assert not SWEDEN.is_working_day(day), day
    for day in (date(2026, 10, 30), date(2026, 4, 2), date(2026, 4, 30), date(2026, 5, 25)):
        assert SWEDEN.is_working_day(day), day  # allhelgonaafton, skärtorsdag, valborg, pingst


def test_daylight_saving_time_shows_in_the_offset() -> None:
    # Received in winter time (+01:00), due after the change to summer time (+02:00).
    assert due("2026-02-28") == "2026-03-30T23:59:59+02:00"
    # 25 October 2026, the change back, is a Sunday → Monday 26th in winter time.
    assert due("2026-09-25") == "2026-10-26T23:59:59+01:00"
    # Received on the night of the change: 01:30 local (+01:00) is the 29th of March.
    assert due_at(received("2026-03-29", "00:30:00Z"), tz=STOCKHOLM).isoformat() == (
        "2026-04-29T23:59:59+02:00"
    )


def test_other_time_zones_count_their_own_day() -> None:
    utc, new_york = ZoneInfo("UTC"), ZoneInfo("America/New_York")
    # In UTC the request came on New Year's Eve: 31 January 2026 is a Saturday.
    late = datetime.fromisoformat("2025-12-31T23:30:00Z")
    assert due_at(late, tz=utc).isoformat() == "2026-02-02T23:59:59+00:00"
    # 02:00 UTC on 4 March is 21:00 on 3 March in New York; 3 April is Good Friday in the
    # Swedish calendar the service counts with, so 7 April, in daylight time (-04:00).
    evening = received("2026-03-04", "02:00:00Z")
    assert receipt_day(evening, tz=new_york) == date(2026, 3, 3)
    assert due_at(evening, tz=new_york).isoformat() == "2026-04-07T23:59:59-04:00"
    # In Stockholm it was already 4 March: Saturday 4 April, Easter → Tuesday 7 April.
    assert due_at(evening, tz=STOCKHOLM).isoformat() == "2026-04-07T23:59:59+02:00"


@pytest.mark.parametrize(
    ("received_on", "months", "due_on"),
    [
        ("2026-03-03", 2, "2026-06-03"),  # from 3 April, before Easter moved it
        ("2026-01-15", 2, "2026-04-15"),  # first end 15 February (Sunday) is not carried
        ("2026-01-31", 2, "2026-04-28"),  # first end 28 February: two months from there
        ("2026-01-31", 1, "2026-03-30"),  # 28 March is a Saturday
        ("2026-04-19", 2, "2026-07-20"),  # 19 July 2026 is a Sunday
        ("2026-10-24", 2, "2027-01-25"),  # over the year end; 24 January is a Sunday
        ("2027-11-29", 2, "2028-02-29"),  # leap year: first end 29 December
        ("2026-03-24", 2, "2026-06-24"),  # 24 June 2026 is a Wednesday
    ],
)
def test_extensions_run_from_the_end_of_the_first_month(
    received_on: str, months: int, due_on: str
) -> None:
    assert last_day(received(received_on), tz=STOCKHOLM, extension_months=months) == (
        date.fromisoformat(due_on)
    )


def test_paused_days_move_the_end_before_the_weekend_rule() -> None:
    # Received 2026-01-13: first end Friday 13 February; paused 2 days → Sunday 15th → 16th.
    assert last_day(received("2026-01-13"), tz=STOCKHOLM, paused_days=2) == date(2026, 2, 16)


def test_due_at_is_the_last_second_of_the_day() -> None:
    deadline = due_at(received("2026-01-30"), tz=STOCKHOLM)
    assert deadline.astimezone(UTC) == datetime(2026, 3, 2, 22, 59, 59, tzinfo=UTC)
    assert not has_passed(deadline, datetime(2026, 3, 2, 22, 59, 59, 999999, tzinfo=UTC))
    assert has_passed(deadline, datetime(2026, 3, 2, 23, 0, 0, tzinfo=UTC))
    # Chile falls back at midnight (4 to 5 April 2026): 23:00-24:00 on the 4th happens
    # twice, and the day ends after the second time (-04:00), not the first (-03:00).
    chile = end_of_day(date(2026, 4, 4), tz=ZoneInfo("America/Santiago"))
    assert chile.astimezone(UTC) == datetime(2026, 4, 5, 3, 59, 59, tzinfo=UTC)


def test_rule_is_data_with_its_reference() -> None:
    assert ART_12_3.months == 1
    assert ART_12_3.max_extension_months == 2
    assert "12.3" in ART_12_3.reference and "1182/71" in ART_12_3.reference
    assert "1930:173" in SWEDEN.reference
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(received("2026-01-31"), 12) == received("2027-01-31")


def test_every_day_2026_to_2029_ends_on_the_first_working_day_on_or_after_a_month() -> None:
    day = date(2026, 1, 1)
    while day <= date(2029, 12, 31):
        end = months_after(day, 1)
        last = last_day(received(day.isoformat(), "12:00:00+01:00"), tz=STOCKHOLM)
        assert SWEDEN.is_working_day(last), day
        # At most five days: Saturday 22 December 2029 (julafton a Monday) to the 27th.
        assert end <= last <= end + timedelta(days=5), day
        skipped = [end + timedelta(days=n) for n in range((last - end).days)]
        assert not any(SWEDEN.is_working_day(d) for d in skipped), day
        day += timedelta(days=1)
