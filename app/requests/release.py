"""What a rights request releases to the person: the access report of every subject the
request covers (duplicates included, Art 15(1)).

Everything handed out through a request goes through here, so that the request's
rules apply once: nothing is released for a person not yet identified (Art 12(2),
12(6)), and the third-party review's decisions apply (Art 15(4), `app.requests.review`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.core.errors import Conflict
from app.notices.schemas import Lang
from app.requests.models import RightsRequest
from app.requests.review import decisions, release_for
from app.requests.schemas import RequestStatus
from app.requests.service import covered_subjects
from app.rights.access import access_report
from app.rights.schemas import AccessReport

__all__ = ["covered_subjects", "ensure_releasable", "released_reports"]


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
    — the review's decisions applied (Art 15(4); 409 while one is pending) — in subject id
    order (empty: no data is held about the person)."""
    ensure_releasable(request)
    subjects = covered_subjects(session, request)
    release_for(session, request, [s.id for s in subjects])  # 409 while any is pending
    # Nothing is pending for any of them: each report takes its own subject's decisions.
    return [
        access_report(
            session,
            subject,
            lang=lang,
            now=now,
            hash_secret=hash_secret,
            release=decisions(session, request, [subject.id]),
        )
        for subject in subjects
    ]
