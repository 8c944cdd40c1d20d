"""The notice at collection (GDPR Art 13/14): recording that it was given, and who is due.

- Art 13(1)-(2): where the data is obtained from the person, the notice is given at
  the time it is obtained.
- Art 14(3)(a): where it is obtained from others, "within a reasonable period after
  obtaining the personal data, but at the latest within one month". That latest date
  is `due_at`; the month is counted as for rights requests (`add_months`: the same day
  number in the next month, or its last day: collected 2026-01-31 → due 2026-02-28).

When the data was obtained: the subject's creation, since its identifiers (emails,
phones, external references) are themselves personal data (Art 4(1)) obtained then —
so a subject created without records is due from its creation too. A record can be
older than its subject only when it was moved in from another subject; then its date
counts.

`notice_given_at` on the subject is the first notice given; every notice given is kept
in `notice_given` (e.g. a later version of the notice sent after it changed), so the
history proves what the person was told and when (Art 5(2)).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.collection.models import NoticeGiven
from app.collection.schemas import NoticeDue, NoticeGivenCreate
from app.core.errors import UnprocessableContent
from app.core.pagination import PageParams, paginate
from app.notices.service import published_version_exists
from app.requests.deadlines import add_months
from app.subjects import service as subjects
from app.subjects.models import Record, Subject
from app.subjects.schemas import SubjectStatus


@dataclass(frozen=True)
class NoticeDeadline:
    """When the notice at collection is due, as data with its legal reference."""

    reference: str
    months: int


ART_14_3_A = NoticeDeadline(reference="GDPR (EU) 2016/679 art. 14.3 a", months=1)


def notice_due_at(collected_at: datetime, rule: NoticeDeadline = ART_14_3_A) -> datetime:
    """The latest moment to give the notice for data obtained at `collected_at`."""
    return add_months(collected_at, rule.months)


def record_notice_given(
    session: Session,
    subject_id: uuid.UUID,
    body: NoticeGivenCreate,
    *,
    actor: str,
    now: datetime,
) -> NoticeGiven:
    """Record that the notice was given; returns its entry in the history.

    404 for an unknown (or another tenant's) subject, 410 for an erased one, 422 for a
    `given_at` in the future. The same notice, channel and moment recorded again is the
    same event: the entry already recorded is returned.
    """
    if body.given_at > now:
        raise UnprocessableContent(
            "`given_at` is in the future.",
            errors=[{"loc": ["body", "given_at"], "msg": "must not be in the future"}],
        )
    subject = subjects.get_writable_subject(session, subject_id)
    if not published_version_exists(session, body.notice_version):
        # Art 13/14: what the person was given must be a notice the tenant published.
        raise UnprocessableContent(
            "No published version of the tenant's privacy notice has this number.",
            errors=[{"loc": ["body", "notice_version"], "msg": "not a published notice version"}],
        )
    existing = session.exec(
        select(NoticeGiven).where(
            NoticeGiven.subject_id == subject.id,
            NoticeGiven.notice_version == body.notice_version,
            NoticeGiven.channel == body.channel.value,
            NoticeGiven.given_at == body.given_at,
        )
    ).first()
    if existing is not None:
        return existing
    entry = NoticeGiven(
        subject_id=subject.id,
        channel=body.channel.value,
        given_at=body.given_at,
        notice_version=body.notice_version,
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(entry)
    if subject.notice_given_at is None or body.given_at < subject.notice_given_at:
        subject.notice_given_at = body.given_at
        subject.updated_at = now
    session.flush()
    return entry


def notices_given(
    session: Session, subject_id: uuid.UUID, *, page: PageParams
) -> tuple[Sequence[NoticeGiven], str | None]:
    """The notices given to the subject, in the order they were recorded (404 if unknown)."""
    subject = subjects.get_subject(session, subject_id)
    statement = select(NoticeGiven).where(NoticeGiven.subject_id == subject.id)
    return paginate(session, statement, NoticeGiven.id, page)


def notices_due(
    session: Session, *, page: PageParams, now: datetime
) -> tuple[list[NoticeDue], str | None]:
    """Subjects not yet given the notice, oldest first (by creation), with their due date.

    Erased subjects are left out: there is no one left to inform (their identifiers are
    gone) and nothing is processed about them any more.
    """
    statement = select(Subject).where(
        col(Subject.notice_given_at).is_(None),
        # A merged duplicate is informed through the subject it was merged into.
        col(Subject.status).not_in([SubjectStatus.erased.value, SubjectStatus.merged.value]),
    )
    rows, next_cursor = paginate(session, statement, Subject.id, page)
    earliest = _earliest_records(session, [s.id for s in rows])
    return [_due(subject, earliest.get(subject.id), now) for subject in rows], next_cursor


def notice_due(session: Session, subject: Subject, *, now: datetime) -> NoticeDue | None:
    """When the notice is due for this one subject; None once it was given, and for an
    erased or merged subject (as `notices_due` leaves them out)."""
    if subject.notice_given_at is not None or subject.status in (
        SubjectStatus.erased.value,
        SubjectStatus.merged.value,
    ):
        return None
    return _due(subject, _earliest_records(session, [subject.id]).get(subject.id), now)


def _due(subject: Subject, first_record: datetime | None, now: datetime) -> NoticeDue:
    collected_at = subject.created_at
    if first_record is not None and first_record < collected_at:
        collected_at = first_record
    due_at = notice_due_at(collected_at)
    return NoticeDue(
        subject_id=subject.id, collected_at=collected_at, due_at=due_at, overdue=due_at < now
    )


def _earliest_records(session: Session, subject_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    if not subject_ids:
        return {}
    rows = session.exec(
        select(Record.subject_id, sa.func.min(col(Record.created_at)))
        .where(col(Record.subject_id).in_(subject_ids))
        .group_by(col(Record.subject_id))
    ).all()
    return {subject_id: first for subject_id, first in rows if first is not None}
