"""The Helsinki profile GDPR API onto the rights: query = access, delete = erasure.

A profile is the subject whose external reference is `{"system": "helsinki-profile",
"id": <profile id>}`: the rights request names the person by it (`requester`), and the
request's own matching finds the subject (an external reference is unique per tenant
and system, so one subject at most).

Each call is a request of the person, received through the platform (channel `api`)
and identified by the platform's token: the person is signed in to their profile
(verification `signed_in_account`, EDPB Guidelines 01/2022 §§ 65-77). The request is
opened, verified and completed in the call's one transaction:

- query: an `access` request, answered with the access report as a tree and completed
  `fulfilled`. Records that may carry other people's data and are not reviewed yet
  (Art 15(4), `app.requests.review`) are not released in the call: the tree says how
  many wait, and the request stays open for the desk to review and answer the rest
  before its deadline. Nothing held: completed as "no data held", 204.
- delete: an `erasure` request. The platform deletes a profile only when every service
  can delete all of it (it asks each with a dry run first, and a `403` from one stops
  the deletion everywhere), so a hold that keeps any record refuses the whole request:
  nothing is erased, the request is completed `refused` with the holds as its reasons
  (Art 12(4), 17(3)(b) and (e)), and the person is told why in fi/sv/en (403).
  Otherwise the subject is erased exactly as `POST /v1/rights-requests/{id}/erasure`
  erases it (`app.erasure.request_erasure`) and the request is completed `fulfilled`.
- a dry run (`?dry_run=true`) opens no request: the platform sends one before every
  deletion, and it is the same check without the act, not a request of the person.
  It is audited like every call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.erasure import request_erasure
from app.erasure import service as erasure
from app.interop.messages import holds_keeping, refusal_errors, refusal_reasons
from app.interop.schemas import GdprError, Node
from app.interop.tree import profile_tree
from app.requests import review
from app.requests import service as requests
from app.requests.models import RightsRequest
from app.requests.schemas import (
    Channel,
    Outcome,
    Requester,
    RequestStatus,
    RequestType,
    RightsRequestComplete,
    RightsRequestCreate,
    RightsRequestVerify,
    VerificationMethod,
)
from app.rights.access import access_report
from app.subjects import service as subjects
from app.subjects.schemas import ExternalRefIn

PROFILE_SYSTEM = "helsinki-profile"
ANSWERED = "Answered through the Helsinki profile GDPR API."
NO_DATA_HELD = "No data held for the profile; answered through the Helsinki profile GDPR API."


def profile_ref(profile_id: uuid.UUID) -> Requester:
    """The person as the platform names them: the profile's external reference."""
    return Requester(external_ref=ExternalRefIn(system=PROFILE_SYSTEM, id=str(profile_id)))


@dataclass
class QueryAnswer:
    rights_request_id: uuid.UUID
    subject_id: uuid.UUID | None
    tree: Node | None  # None: nothing held (204)


@dataclass
class DeleteAnswer:
    rights_request_id: uuid.UUID | None  # None: a dry run
    subject_ids: list[uuid.UUID] = field(default_factory=list)
    errors: list[GdprError] = field(default_factory=list)  # some: refused (403)


def query(
    session: Session, *, profile_id: uuid.UUID, now: datetime, hash_secret: str
) -> QueryAnswer:
    """Open, verify and answer an access request for the profile (see the module)."""
    request = _open(session, RequestType.access, profile_id, now=now)
    covered = requests.covered_subjects(session, request)
    if not covered:
        _complete(session, request.id, Outcome.fulfilled, note=NO_DATA_HELD, now=now)
        return QueryAnswer(rights_request_id=request.id, subject_id=None, tree=None)
    (subject,) = covered  # the external reference is unique per tenant and system
    release, awaiting = review.release_now(session, request, [subject.id])
    report = access_report(
        session, subject, lang="en", now=now, hash_secret=hash_secret, release=release
    )
    if awaiting:
        # Left open: the desk reviews the records held back and answers the rest.
        tree = profile_tree(
            report,
            awaiting_review=awaiting,
            rights_request_id=request.id,
            due_at=requests.to_public(request, now=now).due_at,
        )
    else:
        tree = profile_tree(report)
        _complete(session, request.id, Outcome.fulfilled, note=ANSWERED, now=now)
    return QueryAnswer(rights_request_id=request.id, subject_id=subject.id, tree=tree)


def delete(
    session: Session,
    *,
    profile_id: uuid.UUID,
    dry_run: bool,
    actor: str,
    tenant_id: str,
    now: datetime,
) -> DeleteAnswer:
    """Erase the profile's subject, all of it or nothing (see the module); a dry run
    answers the same without a request and without erasing."""
    if dry_run:
        return _check(session, profile_id, actor=actor, tenant_id=tenant_id, now=now)
    request_id = _open(session, RequestType.erasure, profile_id, now=now).id
    plan = request_erasure.erase_request(
        session, request_id, dry_run=True, actor=actor, tenant_id=tenant_id, now=now
    )
    subject_ids = [uuid.UUID(report["subject_id"]) for report in plan.reports]
    held = holds_keeping(plan.reports)
    if held:
        _complete(session, request_id, Outcome.refused, reasons=refusal_reasons(held), now=now)
        return DeleteAnswer(request_id, subject_ids, refusal_errors(held))
    if subject_ids:
        # The same transaction still holds the locks the plan took: nothing changed since.
        request_erasure.erase_request(
            session, request_id, dry_run=False, actor=actor, tenant_id=tenant_id, now=now
        )
    note = ANSWERED if subject_ids else NO_DATA_HELD
    _complete(session, request_id, Outcome.fulfilled, note=note, now=now)
    return DeleteAnswer(request_id, subject_ids)


def _check(
    session: Session, profile_id: uuid.UUID, *, actor: str, tenant_id: str, now: datetime
) -> DeleteAnswer:
    """The dry run: each matching subject's erasure plan, and the holds that would keep
    anything."""
    subject_ids = requests.matching_subjects(session, profile_ref(profile_id))
    plans = [
        erasure.erase_or_report(
            session,
            subjects.get_subject(session, subject_id),
            dry_run=True,
            actor=actor,
            tenant_id=tenant_id,
            now=now,
        )
        for subject_id in subject_ids
    ]
    return DeleteAnswer(None, subject_ids, refusal_errors(holds_keeping(plans)))


def _open(
    session: Session, type: RequestType, profile_id: uuid.UUID, *, now: datetime
) -> RightsRequest:
    """The person's request, received now through the platform and identified by its
    token: verified at once where the tenant requires verification."""
    request = requests.open_request(
        session,
        RightsRequestCreate(
            type=type, requester=profile_ref(profile_id), channel=Channel.api, received_at=now
        ),
        now=now,
    )
    if request.status == RequestStatus.awaiting_verification:
        request = requests.verify(
            session,
            request.id,
            RightsRequestVerify(method=VerificationMethod.signed_in_account, verified_at=now),
            now=now,
        )
    return request


def _complete(
    session: Session,
    request_id: uuid.UUID,
    outcome: Outcome,
    *,
    now: datetime,
    note: str | None = None,
    reasons: str | None = None,
) -> None:
    requests.complete(
        session,
        request_id,
        RightsRequestComplete(outcome=outcome, note=note, reasons=reasons),
        now=now,
    )
