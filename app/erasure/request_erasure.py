"""Erasure through a rights request: every subject the request covers, in one transaction.

A requester is matched against every subject with one of their identifiers, duplicates
included (two imports of the same person make two subjects). Erasing only one of them
would leave the person's email and records in clear in the other, while Art 17(1) asks
for the erasure of "personal data concerning him or her" — all of it. So an erasure
request erases each subject it covers (`app.requests.release.covered_subjects`: a merged
subject through the one it was merged into), each exactly as the erasure of one subject
does (`service.erase_or_report`: holds kept with their dates, recipients told).

Nothing is done for a request whose person is not identified (Art 12(2), 12(6)), for a
completed one, or for one of another type: 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.core.errors import Conflict, NotFound, ServiceUnavailable
from app.erasure import service
from app.requests.models import RightsRequest
from app.requests.schemas import RequestStatus, RequestType
from app.requests.service import covered_subjects, get_request
from app.subjects.models import Subject
from app.subjects.schemas import SubjectStatus

# How often the covered subjects are locked again when a merge changed them meanwhile.
LOCK_ATTEMPTS = 5


@dataclass
class RequestErasure:
    request: RightsRequest
    # One report per covered subject, in id order.
    reports: list[dict[str, Any]]
    # The subjects this call erased (not those erased before, nor any in a dry run).
    erased_subject_ids: list[uuid.UUID]


def ensure_erasable(request: RightsRequest) -> None:
    """409 unless the request asks for erasure, is open and its person identified."""
    if request.type != RequestType.erasure:
        raise Conflict(
            f"The rights request is of type `{request.type}`, not `erasure`: only an "
            "erasure request erases the subjects it covers."
        )
    if request.status == RequestStatus.completed:
        raise Conflict("The rights request is completed; nothing more is done for it.")
    if request.status == RequestStatus.awaiting_verification:
        raise Conflict(
            "The rights request awaits verification of the person's identity: nothing is "
            "erased for it before (Art 12(2), 12(6))."
        )


def erase_request(
    session: Session,
    request_id: uuid.UUID,
    *,
    dry_run: bool,
    actor: str,
    tenant_id: str,
    now: datetime,
) -> RequestErasure:
    """Erase (or, in a dry run, plan the erasure of) every subject the request covers,
    in the caller's one transaction: a failure part-way rolls every subject back with
    it. An already erased subject answers its current report; no subject covered: an
    empty list. 404 for an unknown (or another tenant's) request."""
    request = get_request(session, request_id)
    ensure_erasable(request)
    request, subjects = _lock_covered(session, request)
    reports: list[dict[str, Any]] = []
    erased: list[uuid.UUID] = []
    for subject in subjects:
        subject_id, was_erased = subject.id, subject.status == SubjectStatus.erased
        reports.append(
            service.erase_or_report(
                session, subject, dry_run=dry_run, actor=actor, tenant_id=tenant_id, now=now
            )
        )
        if not dry_run and not was_erased:
            erased.append(subject_id)
    return RequestErasure(request=request, reports=reports, erased_subject_ids=erased)


def _lock_covered(session: Session, request: RightsRequest) -> tuple[RightsRequest, list[Subject]]:
    """Lock the covered subjects in id order, then the request, as a merge does (it locks
    subjects in id order, then re-points the requests that matched them): neither can
    wait for what the other holds. A merge that committed before our locks may have
    changed what the request covers; then the locks are given back (the savepoint's
    rollback releases them) and the new set is locked, again in id order."""
    request_id = request.id
    for _attempt in range(LOCK_ATTEMPTS):
        wanted = [subject.id for subject in covered_subjects(session, request)]
        # Rows read without a lock are forgotten: the locking reads below load them as
        # they are now (the ORM refuses to lock a row it holds in an older version).
        _forget(session)
        savepoint = session.begin_nested()
        for subject_id in wanted:
            session.get(Subject, subject_id, with_for_update=True)
        locked = session.get(RightsRequest, request_id, with_for_update=True)
        if locked is None:  # completed and then purged meanwhile
            raise NotFound("No rights request with this id.")
        ensure_erasable(locked)  # completed meanwhile: 409
        covered = covered_subjects(session, locked)
        if [subject.id for subject in covered] == wanted:
            savepoint.commit()
            return locked, covered
        savepoint.rollback()
        _forget(session)
        request = get_request(session, request_id)
    raise ServiceUnavailable("The subjects of the rights request changed while it was erased.")


def _forget(session: Session) -> None:
    """Drop the subjects and rights requests the session holds (read, never changed)."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Subject | RightsRequest):
            session.expunge(obj)
