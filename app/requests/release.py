"""What a rights request releases to the person: the access report of every subject the
request covers (duplicates included, Art 15(1)).

Everything handed out through a request goes through here, so that the request's
rules apply once: nothing is released for a person not yet identified (Art 12(2),
12(6)).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from app.core.errors import Conflict
from app.notices.schemas import Lang
from app.requests.models import RightsRequest
from app.requests.schemas import RequestStatus
from app.rights.access import access_report
from app.rights.schemas import AccessReport
from app.subjects.models import Subject
from app.subjects.schemas import SubjectStatus


def covered_subjects(session: Session, request: RightsRequest) -> list[Subject]:
    """The subjects the request covers, in id order; a subject merged since the request
    was opened is represented by the one it was merged into (once)."""
    out: dict[uuid.UUID, Subject] = {}
    for subject_id in sorted(uuid.UUID(s) for s in request.matched_subject_ids):
        subject = session.get(Subject, subject_id)
        while subject is not None and subject.status == SubjectStatus.merged:
            subject = session.get(Subject, subject.merged_into)
        if subject is not None:
            out.setdefault(subject.id, subject)
    return sorted(out.values(), key=lambda s: s.id)


def ensure_releasable(request: RightsRequest) -> None:
    """Nothing is released for a request whose person is not identified (409)."""
    if request.status == RequestStatus.awaiting_verification:
        raise Conflict(
            "The rights request awaits verification of the person's identity: nothing is "
            "released for it before (Art 12(2), 12(6))."
        )


def released_reports(
    session: Session,
    request: RightsRequest,
    *,
    lang: Lang,
    now: datetime,
    hash_secret: str,
) -> list[AccessReport]:
    """The access report of every subject the request covers, as released to the person
    (empty: no data is held about the person)."""
    ensure_releasable(request)
    return [
        access_report(session, subject, lang=lang, now=now, hash_secret=hash_secret)
        for subject in covered_subjects(session, request)
    ]
