"""The deadline to answer a rights request, as data with its legal reference.

GDPR Art 12(3): information on action taken shall be provided "without undue delay and
in any event within one month of receipt of the request. That period may be extended
by two further months where necessary, taking into account the complexity and number
of the requests." A month is a calendar month: the same day number in the next month,
or that month's last day where the day does not exist (received 2026-01-31, due
2026-02-28).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeadlineRule:
    reference: str
    months: int
    max_extension_months: int
    extension_steps: tuple[int, ...]


ART_12_3 = DeadlineRule(
    reference="GDPR (EU) 2016/679 art. 12.3",
    months=1,
    max_extension_months=2,
    extension_steps=(1, 2),
)


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, clamped to the last day of the target month."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due_at(
    received_at: datetime, extension_months: int = 0, rule: DeadlineRule = ART_12_3
) -> datetime:
    """When the answer is due: one month after receipt, plus any extension.

    The extension runs from receipt too (received 2026-01-31, extended by two months:
    due 2026-04-30), so that clamping at a short month is never compounded.
    """
    return add_months(received_at, rule.months + extension_months)
