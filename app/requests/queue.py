"""The desk's queue of rights requests: what is still to be answered, by due date, and
what needs attention first.

A request is *overdue* when it is open, its deadline runs (not paused) and the period
of Art 12(3) has ended (`deadlines.has_passed`). It is *due soon* when its period ends
within `DUE_SOON_WORKING_DAYS` working days of the tenant's today, counted in the
tenant's calendar of working days (Reg 1182/71 art. 3(4): the days a period may end
on). A request whose deadline is paused (awaiting verification or information asked of
the person, EDPB Guidelines 01/2022 § 159) is neither: its `due_at` moves when it runs
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.requests import deadlines
from app.requests.models import RightsRequest
from app.requests.schemas import Channel, RequestStatus, RequestType
from app.retention.settings import tenant_settings

DUE_SOON_WORKING_DAYS = 5
PAGE_SIZE = 25
MAX_PAGE = 10_000


class Urgency(StrEnum):
    overdue = "overdue"
    due_soon = "due_soon"
    paused = "paused"
    on_time = "on_time"


@dataclass(frozen=True)
class QueueItem:
    request: RightsRequest
    urgency: Urgency
    working_days_left: int


@dataclass(frozen=True)
class QueueCounts:
    open: int
    awaiting_verification: int
    overdue: int
    due_soon: int
    paused: int


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    counts: QueueCounts
    page: int
    has_next: bool
    total: int


def _running() -> sa.ColumnElement[bool]:
    return sa.and_(
        col(RightsRequest.status) == RequestStatus.open.value,
        col(RightsRequest.paused_since).is_(None),
    )


def urgency(request: RightsRequest, now: datetime, *, due_soon_before: datetime) -> Urgency:
    if request.status == RequestStatus.awaiting_verification or request.paused_since is not None:
        return Urgency.paused
    if deadlines.has_passed(request.due_at, now):
        return Urgency.overdue
    if request.due_at <= due_soon_before:
        return Urgency.due_soon
    return Urgency.on_time


def due_soon_limit(session: Session, now: datetime) -> datetime:
    """The end of the last day that counts as due soon (the tenant's calendar)."""
    settings = tenant_settings(session)
    zone = settings.zone
    last = deadlines.add_working_days(settings.today(now), DUE_SOON_WORKING_DAYS)
    return deadlines.end_of_day(last, tz=zone)


def queue(
    session: Session,
    *,
    now: datetime,
    type: RequestType | None = None,
    status: RequestStatus | None = None,
    channel: Channel | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> QueuePage:
    """The requests not yet completed, earliest due first (then oldest), filtered, one
    page at a time; with the counts of the whole queue."""
    zone = tenant_settings(session).zone
    soon = due_soon_limit(session, now)
    passed = now - deadlines.DUE_AT_RESOLUTION  # `has_passed`: now >= due_at + 1 s
    not_completed = col(RightsRequest.status) != RequestStatus.completed.value

    def count(*conditions: sa.ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(RightsRequest).where(*conditions)
        return int(session.exec(statement).one())

    counts = QueueCounts(
        open=count(not_completed),
        awaiting_verification=count(
            col(RightsRequest.status) == RequestStatus.awaiting_verification.value
        ),
        overdue=count(_running(), col(RightsRequest.due_at) <= passed),
        due_soon=count(
            _running(), col(RightsRequest.due_at) > passed, col(RightsRequest.due_at) <= soon
        ),
        paused=count(
            not_completed,
            sa.or_(
                col(RightsRequest.status) == RequestStatus.awaiting_verification.value,
                col(RightsRequest.paused_since).is_not(None),
            ),
        ),
    )
    conditions = [not_completed]
    if type is not None:
        conditions.append(col(RightsRequest.type) == type.value)
    if status is not None:
        conditions.append(col(RightsRequest.status) == status.value)
    if channel is not None:
        conditions.append(col(RightsRequest.channel) == channel.value)
    page = max(1, min(page, MAX_PAGE))
    total = count(*conditions)
    statement = (
        select(RightsRequest)
        .where(*conditions)
        .order_by(col(RightsRequest.due_at), col(RightsRequest.id))
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    )
    rows = list(session.exec(statement).all())
    items = [
        QueueItem(
            request=row,
            urgency=urgency(row, now, due_soon_before=soon),
            working_days_left=deadlines.working_days_until(row.due_at, now, tz=zone),
        )
        for row in rows[:page_size]
    ]
    return QueuePage(
        items=items, counts=counts, page=page, has_next=len(rows) > page_size, total=total
    )
