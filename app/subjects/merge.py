"""Joining duplicates: one person, one subject.

A second import can create a second subject for the same person; an erasure or an
access report that acts on one row then misses the other (Art 15(1), 17(1)). A merge
moves everything of the duplicates into one target subject, in one transaction, under
the row locks of all of them (taken in id order, so two merges of overlapping sets
wait for each other instead of deadlocking):

- **identifiers**: emails and phones (deduplicated) and external references. The
  objection invariant (`app.subjects.suppression`) is applied to the target: a
  duplicate that objected to direct marketing (Art 21(3)) makes the person objecting.
- **records**, with their rectification history (Art 16), and the link of rights
  requests, notices given (Art 13/14) and general objections (Art 21(1)).
- **restrictions** (Art 18): restricted records stay restricted. A duplicate restricted
  as a whole restricts the records it brings: its restriction becomes one entry per
  moved record on the target (same reason, actor, request and time), and lifting the
  target's restrictions lifts them. The target's other records are not restricted by
  it; a restricted target stores what it receives restricted, as it does new records.
- **legal holds** (Art 17(3)(e)) move to the target with their ids: a hold on a record
  stays on that record; a hold placed on a duplicate subject becomes a hold on the
  target subject — it was placed on the person, and covers the person's later records
  too. Holds win: the merge never ends or narrows one (`app.retention.guard` lets a
  held record move only with its holds).
- **the relationship's end** (basis `relationship_end`): ongoing if it is ongoing for
  any of them (none recorded), otherwise the latest day recorded — so no `keep` hold on
  that basis ends earlier than before the merge.
- **the notice given at collection**: the earliest `notice_given_at` wins; the history
  moves (an entry identical to one already there is the same event, kept once).

The duplicates stay as rows with status `merged`, `merged_into` the target, and no
identifiers or records: their ids keep answering with a 308 redirect to the target.
An erased subject can neither be merged nor merged into (409): its data is gone and
what was kept under a hold must stay as erasure left it. Audit events and the
`subject.merged` notification carry ids only.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.collection.models import NoticeGiven
from app.core.db import current_tenant
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.etag import check_if_match
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.objections.models import Objection
from app.requests.models import RightsRequest
from app.retention.guard import allow_merge_move
from app.retention.models import LegalHold, RelationshipEnd
from app.rights.models import RecordHistory, Restriction
from app.subjects.models import ExternalRef, Record, Subject
from app.subjects.schemas import MergeCounts, SubjectStatus
from app.subjects.service import SubjectMerged, add_identifiers
from app.subjects.suppression import spread_objection


@dataclass
class MergeResult:
    target: Subject
    merged_ids: list[uuid.UUID]
    moved: MergeCounts


def merge_subjects(
    session: Session,
    target_id: uuid.UUID,
    subject_ids: Sequence[uuid.UUID],
    *,
    if_match: str | None,
    hash_secret: str,
    now: datetime,
) -> MergeResult:
    """Merge the duplicates `subject_ids` into `target_id` (see the module docstring).

    404 if any subject is unknown (or another tenant's); 308 if the target was itself
    merged; 409 if one is erased or was merged into another subject; 412 on a stale
    `If-Match` of the target; 422 if the target is among the duplicates. A duplicate
    already merged into this target is left as it is (a retried merge succeeds).
    """
    if target_id in subject_ids:
        raise UnprocessableContent(
            "A subject cannot be merged into itself.",
            errors=[
                {"loc": ["body", "subject_ids", i], "msg": "is the subject merged into"}
                for i, sid in enumerate(subject_ids)
                if sid == target_id
            ],
        )
    locked = _lock_all(session, [target_id, *subject_ids])
    target = locked.get(target_id)
    if target is None:
        raise NotFound("No subject with this id.")
    if target.status == SubjectStatus.merged:
        raise SubjectMerged(target.id, target.merged_into)
    if target.status == SubjectStatus.erased:
        raise Conflict("The subject has been erased; nothing can be merged into it.")
    check_if_match(if_match, target.version)
    duplicates: list[Subject] = []
    missing = [i for i, sid in enumerate(subject_ids) if sid not in locked]
    if missing:
        raise NotFound(
            "No subject with this id: " + ", ".join(str(subject_ids[i]) for i in missing) + "."
        )
    for sid in sorted(subject_ids):
        duplicate = locked[sid]
        if duplicate.status == SubjectStatus.erased:
            raise Conflict(f"Subject {sid} has been erased; it cannot be merged.")
        if duplicate.status == SubjectStatus.merged:
            if duplicate.merged_into == target.id:
                continue
            raise Conflict(
                f"Subject {sid} was already merged into subject {duplicate.merged_into}."
            )
        duplicates.append(duplicate)
    moved = _move(session, target, duplicates, hash_secret=hash_secret, now=now)
    merged_ids = [d.id for d in duplicates]
    if merged_ids:
        notify(
            session,
            event_type=EventType.subject_merged,
            tenant_id=current_tenant(session),
            now=now,
            subject_id=target.id,
            merged_subject_ids=merged_ids,
        )
    session.flush()
    return MergeResult(target=target, merged_ids=merged_ids, moved=moved)


def _lock_all(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Subject]:
    """Lock every subject that exists (in the tenant), in id order: two merges of
    overlapping sets wait for each other instead of each holding what the other needs."""
    locked: dict[uuid.UUID, Subject] = {}
    for sid in sorted(ids):
        subject = session.get(Subject, sid, with_for_update=True, populate_existing=True)
        if subject is not None:
            locked[sid] = subject
    return locked


def _move(
    session: Session, target: Subject, duplicates: list[Subject], *, hash_secret: str, now: datetime
) -> MergeCounts:
    if not duplicates:
        return MergeCounts(
            identifiers=0,
            external_refs=0,
            records=0,
            restrictions=0,
            legal_holds=0,
            objections=0,
            notices_given=0,
            rights_requests=0,
        )
    dup_ids = [d.id for d in duplicates]
    moved_records = _move_records(session, target, dup_ids, now=now)
    restrictions = _move_restrictions(session, target, dup_ids, moved_records, now=now)
    # The rest refers to the subject only: moved by statement, in the tenant's scope.
    holds = _reparent(session, LegalHold, dup_ids, target.id)
    objections = _reparent(session, Objection, dup_ids, target.id, versioned=True)
    rights_requests = _reparent(session, RightsRequest, dup_ids, target.id, versioned=True)
    _rematch_requests(session, dup_ids, target.id)
    _reparent(session, RecordHistory, dup_ids, target.id)
    external_refs = _reparent(session, ExternalRef, dup_ids, target.id)
    # Earlier merges into a duplicate now redirect straight to the target (one hop).
    _reparent_merged(session, dup_ids, target.id)
    notices = _move_notices(session, target, duplicates)
    _merge_relationship_end(session, target, dup_ids)

    emails_phones = [(i.kind, i.value) for d in duplicates for i in d.identifiers]
    objecting = any(d.marketing_objection for d in duplicates)
    for duplicate in duplicates:
        # What the statements above moved is no longer the duplicate's.
        for ref in duplicate.external_refs:
            session.expire(ref)
        session.expire(duplicate, ["external_refs"])
        duplicate.identifiers.clear()
        duplicate.status = SubjectStatus.merged.value
        duplicate.merged_into = target.id
        duplicate.updated_at = now
    session.flush()  # the duplicates' identifiers are gone before the target's are added
    session.expire(target, ["external_refs"])
    before = len(target.identifiers)
    if objecting:
        target.marketing_objection = True
    for kind in sorted({k for k, _ in emails_phones}):
        add_identifiers(
            session,
            target,
            kind,
            [v for k, v in emails_phones if k == kind],
            hash_secret=hash_secret,
        )
    # The invariant also when no identifier was new (an objecting duplicate whose
    # identifiers the target already had).
    spread_objection(session, target, secret=hash_secret)
    target.updated_at = now
    return MergeCounts(
        identifiers=len(target.identifiers) - before,
        external_refs=external_refs,
        records=sum(len(ids) for ids in moved_records.values()),
        restrictions=restrictions,
        legal_holds=holds,
        objections=objections,
        notices_given=notices,
        rights_requests=rights_requests,
    )


def _move_records(
    session: Session, target: Subject, dup_ids: list[uuid.UUID], *, now: datetime
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Re-parent the records through the ORM, so the hold guard sees every move; returns
    the ids of the records moved, per duplicate."""
    records = session.exec(
        select(Record).where(col(Record.subject_id).in_(dup_ids)).order_by(col(Record.id))
    ).all()
    by_duplicate: dict[uuid.UUID, list[uuid.UUID]] = {sid: [] for sid in dup_ids}
    allow_merge_move(session, [r.id for r in records], into=target.id)
    for record in records:
        by_duplicate[record.subject_id].append(record.id)
        record.subject_id = target.id
        if target.restricted:
            # A restricted target stores what it receives restricted (Art 18).
            record.restricted = True
        record.updated_at = now
    session.flush()
    return by_duplicate


def _move_restrictions(
    session: Session,
    target: Subject,
    dup_ids: list[uuid.UUID],
    moved_records: dict[uuid.UUID, list[uuid.UUID]],
    *,
    now: datetime,
) -> int:
    """Record-level and past restrictions move; an active restriction of a whole
    duplicate becomes one entry per record it brought (see the module docstring)."""
    whole = session.exec(
        select(Restriction)
        .where(col(Restriction.subject_id).in_(dup_ids))
        .where(col(Restriction.record_id).is_(None), col(Restriction.lifted_at).is_(None))
        .order_by(col(Restriction.id))
    ).all()
    created = 0
    for restriction in whole:
        for record_id in moved_records.get(restriction.subject_id, []):
            session.add(
                Restriction(
                    subject_id=target.id,
                    record_id=record_id,
                    reason=restriction.reason,
                    actor=restriction.actor,
                    rights_request_id=restriction.rights_request_id,
                    placed_at=restriction.placed_at,
                )
            )
            created += 1
        # The duplicate's own entry ends with the merge: the entries above replace it.
        restriction.lifted_at = now
    moved = _reparent(
        session,
        Restriction,
        dup_ids,
        target.id,
        where=[col(Restriction.record_id).is_not(None)],
    )
    return created + moved


def _reparent(
    session: Session,
    model: Any,
    dup_ids: list[uuid.UUID],
    target_id: uuid.UUID,
    *,
    versioned: bool = False,
    where: Sequence[Any] = (),
) -> int:
    values: dict[str, Any] = {"subject_id": target_id}
    if versioned:
        values["version"] = model.version + 1
    result: Any = session.execute(
        update(model)
        .where(col(model.subject_id).in_(dup_ids), *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _rematch_requests(session: Session, dup_ids: list[uuid.UUID], target_id: uuid.UUID) -> None:
    """Requests that matched a duplicate now match the merged subject (once), so a
    request covers the same person after the merge as before it."""
    dups = {str(d) for d in dup_ids}
    matched_text = sa.cast(col(RightsRequest.matched_subject_ids), sa.Text)
    for request in session.exec(
        select(RightsRequest)
        .where(sa.or_(*(matched_text.like(f"%{d}%") for d in sorted(dups))))
        .execution_options(populate_existing=True)
    ).all():
        rematched: list[str] = []
        for sid in request.matched_subject_ids:
            new = str(target_id) if sid in dups else sid
            if new not in rematched:
                rematched.append(new)
        if rematched != request.matched_subject_ids:
            request.matched_subject_ids = rematched


def _reparent_merged(session: Session, dup_ids: list[uuid.UUID], target_id: uuid.UUID) -> None:
    session.execute(
        update(Subject)
        .where(col(Subject.merged_into).in_(dup_ids))
        .values(merged_into=target_id, version=Subject.version + 1)
        .execution_options(synchronize_session=False)
    )


def _move_notices(session: Session, target: Subject, duplicates: list[Subject]) -> int:
    dup_ids = [d.id for d in duplicates]
    rows = session.exec(
        select(NoticeGiven)
        .where(col(NoticeGiven.subject_id).in_([target.id, *dup_ids]))
        .order_by(col(NoticeGiven.id))
    ).all()
    seen = {(n.notice_version, n.channel, n.given_at) for n in rows if n.subject_id == target.id}
    moved = 0
    for notice in rows:
        if notice.subject_id == target.id:
            continue
        key = (notice.notice_version, notice.channel, notice.given_at)
        if key in seen:
            session.delete(notice)  # the same event, recorded on both
        else:
            seen.add(key)
            notice.subject_id = target.id
            moved += 1
    given = [s.notice_given_at for s in (target, *duplicates) if s.notice_given_at is not None]
    if given:
        target.notice_given_at = min(given)
    return moved


def _merge_relationship_end(session: Session, target: Subject, dup_ids: list[uuid.UUID]) -> None:
    ends = {
        end.subject_id: end
        for end in session.exec(
            select(RelationshipEnd).where(
                col(RelationshipEnd.subject_id).in_([target.id, *dup_ids])
            )
        ).all()
    }
    own = ends.get(target.id)
    ongoing = any(sid not in ends for sid in [target.id, *dup_ids])
    if own is not None:
        if ongoing:
            session.delete(own)
        else:
            latest = max(end.ended_on for end in ends.values())
            if latest != own.ended_on:
                own.ended_on = latest
    session.execute(
        delete(RelationshipEnd)
        .where(col(RelationshipEnd.subject_id).in_(dup_ids))
        .execution_options(synchronize_session=False)
    )
