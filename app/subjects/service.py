"""The system of record: creating and finding subjects, adding and reading records.

Functions take the request's session (already scoped to the caller's tenant), never
commit, and raise domain errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from app.core.clock import session_now
from app.core.db import current_tenant, is_unique_violation
from app.core.errors import Conflict, Gone, Locked, NotFound, PermanentRedirect
from app.core.pagination import PageParams, paginate
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.objections.models import Objection
from app.subjects.categories import Category, dump_data
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier
from app.subjects.schemas import (
    ExternalRefIn,
    ExternalRefPublic,
    RecordCreate,
    RecordPublic,
    SubjectCreate,
    SubjectPublic,
    SubjectSearch,
    SubjectStatus,
)
from app.subjects.suppression import objecting_subject_ids, spread_objection

EMAIL = "email"
PHONE = "phone"
MAX_SEARCH_RESULTS = 100


class SubjectMerged(PermanentRedirect):
    """The subject was a duplicate merged into another: every call naming it in the path
    is redirected (308) to the same path under the subject it was merged into."""

    slug = "subject-merged"
    title = "Subject merged"

    def __init__(self, subject_id: uuid.UUID, merged_into: uuid.UUID | None):
        assert merged_into is not None
        super().__init__(
            f"The subject was merged into subject {merged_into}.",
            old_id=str(subject_id),
            new_id=str(merged_into),
        )


_WITH_IDENTIFIERS = (joinedload(Subject.identifiers), joinedload(Subject.external_refs))  # type: ignore[arg-type]


def get_subject(session: Session, subject_id: uuid.UUID) -> Subject:
    """The subject, or 404 (also for another tenant's id); a merged one redirects (308).

    Read with its identifiers and external references in one query (the relationships'
    own `selectin` loading would take two more)."""
    subject = session.get(Subject, subject_id, options=_WITH_IDENTIFIERS)
    if subject is None:
        raise NotFound("No subject with this id.")
    if subject.status == SubjectStatus.merged:
        raise SubjectMerged(subject.id, subject.merged_into)
    return subject


def get_locked_subject(session: Session, subject_id: uuid.UUID) -> Subject:
    """The subject locked for this transaction: 404 if unknown, 308 if merged.

    The row lock (PostgreSQL; SQLite writers are serialised anyway) orders this write
    against any other write to the same subject, such as an erasure or a merge.
    """
    subject = session.get(Subject, subject_id, with_for_update=True, populate_existing=True)
    if subject is None:
        raise NotFound("No subject with this id.")
    if subject.status == SubjectStatus.merged:
        raise SubjectMerged(subject.id, subject.merged_into)
    return subject


def get_writable_subject(session: Session, subject_id: uuid.UUID) -> Subject:
    """The subject for a write, locked (see `get_locked_subject`): 404 if unknown, 308 if
    merged, 410 if erased."""
    subject = get_locked_subject(session, subject_id)
    if subject.status == SubjectStatus.erased:
        raise Gone("The subject has been erased and accepts no more writes.")
    return subject


def get_writable_record(session: Session, record_id: uuid.UUID) -> tuple[Subject, Record]:
    """The record for a write, and its subject locked (see `get_writable_subject`).

    The record is read again after the lock: a write that waited for another one to the
    same subject sees what that one committed (its new version, or that it deleted the
    record: 404), so an `If-Match` check is never made against a stale version.
    """
    record = get_record(session, record_id)
    try:
        subject = get_writable_subject(session, record.subject_id)
    except SubjectMerged as moved:
        # The record moved with a merge while we waited for its subject's lock.
        subject = get_writable_subject(session, uuid.UUID(moved.new_id))
    fresh = session.get(Record, record_id, populate_existing=True)
    if fresh is None or fresh.subject_id != subject.id:
        raise NotFound("No record with this id.")
    return subject, fresh


def delete_record(session: Session, record: Record) -> None:
    """Delete a record (its history goes with it); a held record answers 409 with its holds.

    The holds are checked when the deletion is flushed (`app.retention.guard`), under
    the subject's row lock the caller took with `get_writable_record`.
    """
    session.delete(record)
    session.flush()


def get_record(session: Session, record_id: uuid.UUID) -> Record:
    """The record, or 404 (also for another tenant's id)."""
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound("No record with this id.")
    return record


def create_subject(session: Session, body: SubjectCreate, *, hash_secret: str) -> Subject:
    """A new subject with its identifiers and initial records.

    Recipients subscribed to `subject.created` are told (ids only), so that a mailer can
    give the person the notice at collection (Art 13/14, see `app.collection`).
    """
    now = session_now(session)
    subject = Subject(created_at=now, updated_at=now)
    session.add(subject)
    add_identifiers(session, subject, EMAIL, body.emails, hash_secret=hash_secret)
    add_identifiers(session, subject, PHONE, body.phones, hash_secret=hash_secret)
    _add_external_refs(session, subject, body.external_refs)
    _flush(session)  # the subject row exists before rows that refer to it
    for record_in in body.records:
        _new_record(session, subject, record_in, hash_secret=hash_secret)
    notify(
        session,
        event_type=EventType.subject_created,
        tenant_id=current_tenant(session),
        now=now,
        subject_id=subject.id,
    )
    _flush(session)
    return subject


def add_record(
    session: Session, subject: Subject, record_in: RecordCreate, *, hash_secret: str
) -> Record:
    """Store a record for the subject; a contact's email and phone become identifiers."""
    record = _new_record(session, subject, record_in, hash_secret=hash_secret)
    _flush(session)
    return record


def _new_record(
    session: Session, subject: Subject, record_in: RecordCreate, *, hash_secret: str
) -> Record:
    # The service's clock: when the data was collected starts the Art 14(3)(a) month.
    now = session_now(session)
    record = Record(
        subject_id=subject.id,
        category=record_in.category.value,
        data=dump_data(record_in.data),
        source=record_in.source,
        origin=record_in.origin.value,
        # Storage is allowed while a subject is restricted; use is not (Art 18).
        restricted=subject.restricted,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    register_contact_identifiers(session, subject, record, hash_secret=hash_secret)
    return record


def register_contact_identifiers(
    session: Session, subject: Subject, record: Record, *, hash_secret: str
) -> None:
    """A contact record's email and phone are identifiers of its subject too."""
    if record.category != Category.contact:
        return
    if email := record.data.get("email"):
        add_identifiers(session, subject, EMAIL, [email], hash_secret=hash_secret)
    if phone := record.data.get("phone"):
        add_identifiers(session, subject, PHONE, [phone], hash_secret=hash_secret)


def add_identifiers(
    session: Session, subject: Subject, kind: str, values: Iterable[str], *, hash_secret: str
) -> None:
    """Add canonical identifiers, keeping the objection invariant (see `suppression`).

    An identifier that is suppressed (someone objected with it, perhaps under an erased
    subject) makes the subject objecting; a subject that objects has its new
    identifiers suppressed at once.
    """
    known = {(i.kind, i.value) for i in subject.identifiers}
    added = False
    for value in values:
        if (kind, value) in known:
            continue
        known.add((kind, value))
        added = True
        subject.identifiers.append(SubjectIdentifier(subject_id=subject.id, kind=kind, value=value))
    if added:
        spread_objection(session, subject, secret=hash_secret)


def _add_external_refs(session: Session, subject: Subject, refs: Iterable[ExternalRefIn]) -> None:
    wanted = {(ref.system, ref.id) for ref in refs}
    for system, ref in sorted(wanted):
        existing = session.exec(
            select(ExternalRef).where(ExternalRef.system == system, ExternalRef.ref == ref)
        ).first()
        if existing is not None:
            raise Conflict(
                f"The external reference of system `{system}` already belongs to subject "
                f"{existing.subject_id}."
            )
        subject.external_refs.append(ExternalRef(subject_id=subject.id, system=system, ref=ref))


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        # A concurrent write took the same external reference.
        raise Conflict("The request conflicts with data written at the same time.") from exc


def search_subjects(session: Session, query: SubjectSearch) -> Sequence[Subject]:
    """Subjects having the email, phone or external reference (at most 100)."""
    if query.external_ref is not None:
        statement = (
            select(Subject)
            .join(ExternalRef, col(ExternalRef.subject_id) == col(Subject.id))
            .where(
                ExternalRef.system == query.external_ref.system,
                ExternalRef.ref == query.external_ref.id,
            )
        )
    else:
        kind, value = (EMAIL, query.email) if query.email is not None else (PHONE, query.phone)
        statement = select(Subject).where(
            col(Subject.id).in_(
                select(SubjectIdentifier.subject_id).where(
                    SubjectIdentifier.kind == kind, SubjectIdentifier.value == value
                )
            )
        )
    # A merged subject holds no identifiers; never list it, whatever the query.
    statement = statement.where(col(Subject.status) != SubjectStatus.merged.value)
    return session.exec(statement.order_by(col(Subject.id)).limit(MAX_SEARCH_RESULTS)).all()


def record_for_processing(record: Record) -> RecordPublic:
    """The record as processing reads see it: restricted data is not served (Art 18)."""
    public = RecordPublic.model_validate(record)
    if record.restricted:
        public.data = None
    return public


def get_record_for_processing(session: Session, record_id: uuid.UUID) -> Record:
    """The record for a processing read: 423 while it is restricted."""
    record = get_record(session, record_id)
    if record.restricted:
        raise record_restricted()
    return record


def record_restricted() -> Locked:
    """The refusal of a processing read of a restricted record (Art 18)."""
    return Locked(
        "The record is restricted (Art 18): it is stored but may not be used. "
        "The subject's access report and export still include it."
    )


def list_records(
    session: Session, subject: Subject, *, page: PageParams, category: Category | None = None
) -> tuple[Sequence[Record], str | None]:
    statement = select(Record).where(Record.subject_id == subject.id)
    if category is not None:
        statement = statement.where(Record.category == category.value)
    return paginate(session, statement, Record.id, page)


def subject_views(
    session: Session, subjects: Sequence[Subject], *, hash_secret: str
) -> list[SubjectPublic]:
    """The API view of subjects; `marketing_objection` also counts suppressed identifiers."""
    objecting = objecting_subject_ids(session, subjects, secret=hash_secret)
    purposes = _restricted_purposes(session, [s.id for s in subjects])
    return [
        subject_public(s, objecting=s.id in objecting, restricted_purposes=purposes.get(s.id, []))
        for s in subjects
    ]


def _restricted_purposes(
    session: Session, subject_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Purposes with a pending or upheld objection (Art 18(1)(d), 21(1)), per subject.

    Read from the objection table directly (its rules live in `app.objections`): the
    subject's view must show them wherever it is served.
    """
    if not subject_ids:
        return {}
    found: dict[uuid.UUID, set[str]] = {}
    for sid, purpose in session.exec(
        select(Objection.subject_id, Objection.purpose).where(
            col(Objection.subject_id).in_(list(subject_ids)),
            col(Objection.outcome).is_distinct_from("rejected"),
        )
    ).all():
        found.setdefault(sid, set()).add(purpose)
    return {sid: sorted(codes) for sid, codes in found.items()}


def subject_view(session: Session, subject: Subject, *, hash_secret: str) -> SubjectPublic:
    """The API view of one subject (see `subject_views`)."""
    return subject_views(session, [subject], hash_secret=hash_secret)[0]


def subject_public(
    subject: Subject, *, objecting: bool, restricted_purposes: Sequence[str] = ()
) -> SubjectPublic:
    """The API view of a subject whose objection was already worked out."""
    return public_view(
        subject,
        subject_id=subject.id,
        identifiers=[(i.kind, i.value) for i in subject.identifiers],
        external_refs=[(r.system, r.ref) for r in subject.external_refs],
        objecting=objecting or subject.marketing_objection,
        restricted_purposes=restricted_purposes,
    )


def public_view(
    fields: Any,
    *,
    subject_id: uuid.UUID,
    identifiers: Iterable[tuple[str, str]],
    external_refs: Iterable[tuple[str, str]],
    objecting: bool,
    restricted_purposes: Sequence[str],
) -> SubjectPublic:
    """The API view of a subject from its own columns (`fields`: a `Subject` or a row
    with the same names), its (kind, value) identifiers and (system, id) references."""
    identifiers = list(identifiers)
    return SubjectPublic(
        id=subject_id,
        status=SubjectStatus(fields.status),
        emails=[value for kind, value in identifiers if kind == EMAIL],
        phones=[value for kind, value in identifiers if kind == PHONE],
        external_refs=[ExternalRefPublic(system=system, id=ref) for system, ref in external_refs],
        restricted=fields.restricted,
        marketing_objection=objecting,
        restricted_purposes=list(restricted_purposes),
        notice_given_at=fields.notice_given_at,
        merged_into=fields.merged_into,
        version=fields.version,
        created_at=fields.created_at,
        updated_at=fields.updated_at,
    )
