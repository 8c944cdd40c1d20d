"""The current time, injectable so that rules can be tested on concrete dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


SESSION_CLOCK_KEY = "clock"


def session_now(session: Any) -> datetime:
    """Now by the clock the session was opened with (the service's clock), else UTC now.

    Rules enforced below the services (e.g. holds at flush) read the same clock as the
    request that writes, so they can be tested on concrete dates.
    """
    clock: Clock = session.info.get(SESSION_CLOCK_KEY, utcnow)
    return clock()


def _rfc3339_only(value: object) -> object:
    # pydantic also reads numbers as Unix timestamps; the API promises RFC 3339 only.
    if isinstance(value, int | float) or (
        isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit()
    ):
        raise ValueError("expected an RFC 3339 date-time with offset")
    return value


def _representable_in_utc(value: datetime) -> datetime:
    # `9999-12-31T23:59:59-14:00` parses, but is in year 10000 in UTC: every later
    # comparison, conversion or database write would fail on it.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time cannot be represented in UTC (out of range)") from None
    return value


Rfc3339 = Annotated[
    AwareDatetime, BeforeValidator(_rfc3339_only), AfterValidator(_representable_in_utc)
]
"""A timezone-aware timestamp written as RFC 3339 text."""
