"""The deadline to answer a rights request, counted as the law counts it.

GDPR Art 12(3): information on action taken shall be provided "without undue delay and
in any event within one month of receipt of the request. That period may be extended
by two further months where necessary [...]. The controller shall inform the data
subject of any such extension within one month of receipt of the request, together
with the reasons for the delay."

How a period of months is counted is Regulation (EEC, Euratom) No 1182/71 (EDPB
Guidelines 01/2022 on the right of access, section 5.3, refer to it):

- Art 3(1) second subparagraph: the day during which the event (the receipt) occurs is
  not counted; the period starts at the beginning of the next day. The day of receipt is
  the day in the controller's (the tenant's) time zone: a request received at
  2025-12-31T23:30:00Z reached a controller in Stockholm on 1 January.
- Art 3(2)(c): a period in months ends with the expiry of the last hour of the day in
  the last month with the same date as the day from which it runs — or of that month's
  last day where that date does not exist (received 2026-01-30: 28 February).
- Art 3(4): a period that would end on a Saturday, Sunday or public holiday ends with
  the expiry of the last hour of the following working day (received 2026-01-30: 28
  February 2026 is a Saturday, so the period ends on Monday 2 March).
- Art 3(5) (at least two working days in a period of two days or more) never bites on a
  period of a month.

Public holidays (Art 2(1): those of the Member State where the act is to be done) are
Sweden's, from the maintained `holidays` calendar: the allmänna helgdagar of lag
(1989:253), and midsommarafton, julafton and nyårsafton, which lag (1930:173) om
beräkning av lagstadgad tid 2 § treats like them (a time limit ending on one of those
days runs to the next weekday). The calendar is a parameter, so a tenant in another
Member State can be given its own.

The extension: the two further months run from the end of the first month as Art 3(2)(c)
places it — before Art 3(4) moves it past a weekend or holiday. Art 3(4) moves only the
last day of a period, and an extended period has one last day, that of the extension;
carrying the first month's shift into the extension would compound it. This is the
earliest of the readings in use (three months from receipt gives the same date except
where a short month clamps the first end: received 2026-01-31, first end 28 February,
extended by two months: 28 April, not 30 April), so a desk that meets it meets them all.

`due_at` is the end of the last day, 23:59:59 in the tenant's time zone; the period
itself ends one second later, at midnight (`period_end`).
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The `holidays` package's categories (`holidays.constants`), spelled out so that the
# package (several MB of calendars) is loaded only when a deadline is first computed.
PUBLIC = "public"
DE_FACTO = "de_facto"

# `due_at` is shown to the second; the period ends when that second has passed.
DUE_AT_RESOLUTION = timedelta(seconds=1)
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class DeadlineRule:
    reference: str
    months: int
    max_extension_months: int
    extension_steps: tuple[int, ...]


ART_12_3 = DeadlineRule(
    reference="GDPR (EU) 2016/679 art. 12.3; Regulation (EEC, Euratom) No 1182/71 art. 3",
    months=1,
    max_extension_months=2,
    extension_steps=(1, 2),
)


@functools.cache
def _holidays(country: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year, categories=categories))


@dataclass(frozen=True)
class WorkingDays:
    """The days on which a period may end (Reg 1182/71 Art 3(4)): not a Saturday, a
    Sunday or one of the country's public holidays."""

    country: str
    categories: tuple[str, ...]
    reference: str

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5:  # Saturday, Sunday
            return False
        return day not in _holidays(self.country, self.categories, day.year)

    def on_or_after(self, day: date) -> date:
        """`day` if it is a working day, else the next working day (Art 3(4))."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


SWEDEN = WorkingDays(
    country="SE",
    # PUBLIC: the allmänna helgdagar of lag (1989:253). DE_FACTO: midsommarafton, julafton
    # and nyårsafton, which the `holidays` package keeps apart from them — lag (1930:173)
    # 2 § counts them as holidays for time limits, so they count here too. Bank and
    # optional days (e.g. allhelgonaafton, påskafton — a Saturday anyway) do not.
    categories=(PUBLIC, DE_FACTO),
    reference="Reg 1182/71 art. 3.4; lag (1989:253) om allmänna helgdagar; "
    "lag (1930:173) om beräkning av lagstadgad tid 2 §",
)


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, clamped to the last day of the target month."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def months_after(day: date, months: int) -> date:
    """The day with the same date `months` later, or that month's last day (Art 3(2)(c))."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def receipt_day(received_at: datetime, *, tz: ZoneInfo) -> date:
    """The day the request reached the controller, in the controller's time zone."""
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    return received_at.astimezone(tz).date()


def last_day(
    received_at: datetime,
    *,
    tz: ZoneInfo,
    extension_months: int = 0,
    paused_days: int = 0,
    working_days: WorkingDays = SWEDEN,
    rule: DeadlineRule = ART_12_3,
) -> date:
    """The last day of the period to answer (the tenant's calendar).

    The first month ends on the same date a month after the day of receipt (Art 3(1),
    3(2)(c)); an extension runs from that end (Art 12(3)); days the deadline was paused
    move the end by as many calendar days; then Art 3(4) moves it off a weekend or holiday.
    """
    first_end = months_after(receipt_day(received_at, tz=tz), rule.months)
    end = months_after(first_end, extension_months) if extension_months else first_end
    end += timedelta(days=paused_days)
    return working_days.on_or_after(end)


def end_of_day(day: date, *, tz: ZoneInfo) -> datetime:
    """23:59:59 of `day` in `tz`, with its offset. Where a fall-back repeats that hour
    (a zone that changes clocks at midnight), the later instant: the day's real end."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).replace(fold=1)


def due_at(
    received_at: datetime,
    *,
    tz: ZoneInfo,
    extension_months: int = 0,
    paused_days: int = 0,
    working_days: WorkingDays = SWEDEN,
    rule: DeadlineRule = ART_12_3,
) -> datetime:
    """When the answer is due: the end of the period's last day in the tenant's time zone.

    Received 2026-01-30 (Europe/Stockholm) → 2026-03-02T23:59:59+01:00; received
    2026-03-03 → 2026-04-07 (Good Friday to Easter Monday are holidays).
    """
    day = last_day(
        received_at,
        tz=tz,
        extension_months=extension_months,
        paused_days=paused_days,
        working_days=working_days,
        rule=rule,
    )
    return end_of_day(day, tz=tz)


def period_end(due: datetime) -> datetime:
    """The instant the period ends: when `due_at`'s last second has passed (midnight)."""
    return due + DUE_AT_RESOLUTION


def has_passed(due: datetime, now: datetime) -> bool:
    """Whether the period that is due at `due` has ended at `now`."""
    return now >= period_end(due)


def add_working_days(day: date, count: int, *, working_days: WorkingDays = SWEDEN) -> date:
    """The `count`-th working day after `day` (`day` itself not counted)."""
    while count > 0:
        day += timedelta(days=1)
        if working_days.is_working_day(day):
            count -= 1
    return day


def working_days_until(
    due: datetime, now: datetime, *, tz: ZoneInfo, working_days: WorkingDays = SWEDEN
) -> int:
    """Working days from today (not counted) to the due day (counted), in `tz`: 0 when it
    is due today or has passed."""
    today = now.astimezone(tz).date()
    last = due.astimezone(tz).date()
    days = 0
    while today < last and days < 366:
        today += timedelta(days=1)
        if working_days.is_working_day(today):
            days += 1
    return days
