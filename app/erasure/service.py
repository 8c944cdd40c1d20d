"""Erasure (Art 17): erase everything no hold protects, keep what the law or a legal
hold requires, and say exactly what was erased and what was kept, why and until when.

`plan` answers the question for every record (with `app.retention.holds`); `erase`
carries the plan out in the caller's one transaction; `purge_once` later deletes
kept records whose holds have all ended, safely from several replicas at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, or_, select

from app.audit.service import record_event
from app.core.db import system_session
from app.erasure.models import Erasure
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.objections.models import Objection
from app.retention.holds import Hold, active_legal_holds, holds_on, kept_until
from app.retention.models import LegalHold
from app.retention.service import active_rules, rules_of_tenant
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier
from app.subjects.schemas import SubjectStatus


@dataclass
class Plan:
    erase: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    keep: list[tuple[uuid.UUID, str, list[Hold]]] = field(default_factory=list)


def plan(session: Session, subject: Subject, *, now: datetime) -> Plan:
    """For each record of the subject: erase it, or keep it and name the holds."""
    rules = active_rules(session)
    ruled = {rule.category for rule in rules}
    legal = active_legal_holds(session, subject.id, now)
    rows = session.execute(
        sa.select(
            col(Record.id),
            col(Record.category),
            # Only records a rule could cover need their data read.
            sa.case((col(Record.category).in_(ruled or {""}), col(Record.data)), else_=None),
        )
        .where(col(Record.subject_id) == subject.id)
        .order_by(col(Record.id))
    ).all()
    result = Plan()
    today = now.date()
    for record_id, category, data in rows:
        holds = holds_on(
            record_id=record_id,
            category=category,
            data=data or {},
            rules=rules,
            legal_holds=legal,
            today=today,
        )
        if holds:
            result.keep.append((record_id, category, holds))
        else:
            result.erase.append((record_id, category))
    return result


def report(
    subject: Subject, the_plan: Plan, *, dry_run: bool, erased_at: datetime | None
) -> dict[str, Any]:
    return {
        "subject_id": str(subject.id),
        "status": SubjectStatus.erased.value if not dry_run else subject.status,
        "dry_run": dry_run,
        "erased_at": erased_at.isoformat().replace("+00:00", "Z") if erased_at else None,
        "erased": [{"id": str(rid), "category": cat} for rid, cat in the_plan.erase],
        "kept": [
            {
                "id": str(rid),
                "category": cat,
                "until": _iso(kept_until(holds)),
                "holds": [
                    {"kind": h.kind, "id": h.id, "reference": h.reference, "until": _iso(h.until)}
                    for h in holds
                ],
            }
            for rid, cat, holds in the_plan.keep
        ],
        "counts": {"erased": len(the_plan.erase), "kept": len(the_plan.keep)},
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def erase(
    session: Session, subject: Subject, *, actor: str, tenant_id: str, now: datetime
) -> dict[str, Any]:
    """Carry the plan out. The caller holds the subject's row lock and commits."""
    the_plan = plan(session, subject, now=now)
    kept_ids = [rid for rid, _cat, _holds in the_plan.keep]
    # Really delete the rows; their rectification history and restrictions go with them
    # (ON DELETE CASCADE).
    statement = delete(Record).where(col(Record.subject_id) == subject.id)
    if kept_ids:
        statement = statement.where(col(Record.id).not_in(kept_ids))
    session.execute(statement, execution_options={"synchronize_session": False})
    for rid, _cat, holds in the_plan.keep:
        session.execute(
            sa.update(Record)
            .where(col(Record.id) == rid)
            .values(
                restricted=True,
                kept_until=kept_until(holds),
                version=Record.version + 1,
                updated_at=now,
            ),
            execution_options={"synchronize_session": False},
        )
    # Clear-text identifiers go; external references stay only while kept records need
    # them to be found by the systems they came from. Suppression hashes stay.
    session.execute(
        delete(SubjectIdentifier).where(col(SubjectIdentifier.subject_id) == subject.id),
        execution_options={"synchronize_session": False},
    )
    # The objections hold the person's own words (their grounds): erased with the rest.
    session.execute(
        delete(Objection).where(col(Objection.subject_id) == subject.id),
        execution_options={"synchronize_session": False},
    )
    if not kept_ids:
        session.execute(
            delete(ExternalRef).where(col(ExternalRef.subject_id) == subject.id),
            execution_options={"synchronize_session": False},
        )
    subject.status = SubjectStatus.erased.value
    subject.restricted = True
    subject.erased_at = now
    subject.updated_at = now
    result = report(subject, the_plan, dry_run=False, erased_at=now)
    session.add(Erasure(subject_id=subject.id, report=result, actor=actor, erased_at=now))
    notify(
        session,
        event_type=EventType.subject_erased,
        tenant_id=tenant_id,
        now=now,
        subject_id=subject.id,
        erased_record_ids=[rid for rid, _ in the_plan.erase],
        kept_record_ids=kept_ids,
    )
    session.flush()
    session.expire_all()
    return result


def current_report(session: Session, subject: Subject, *, now: datetime) -> dict[str, Any]:
    """The stored report brought up to date: records the purge deleted since count as
    erased, and kept records show the holds that cover them now (none: awaiting the
    next purge)."""
    stored = session.exec(select(Erasure).where(Erasure.subject_id == subject.id)).one()
    result = dict(stored.report)
    now_plan = plan(session, subject, now=now)
    present = {str(rid) for rid, _cat, _holds in now_plan.keep} | {
        str(rid) for rid, _cat in now_plan.erase
    }
    current = report(subject, now_plan, dry_run=False, erased_at=None)
    awaiting = [{**e, "until": None, "holds": []} for e in current["erased"]]
    result["erased"] = result["erased"] + [
        {"id": k["id"], "category": k["category"]} for k in result["kept"] if k["id"] not in present
    ]
    result["kept"] = sorted(current["kept"] + awaiting, key=lambda k: k["id"])
    result["counts"] = {"erased": len(result["erased"]), "kept": len(result["kept"])}
    result["dry_run"] = False
    return result


# The purge -----------------------------------------------------------------------------

PURGE_ACTOR = "system:purge"


@dataclass
class PurgeReport:
    examined: int = 0
    purged: int = 0
    still_held: int = 0
    subjects: set[tuple[str, uuid.UUID]] = field(default_factory=set)


def purge_once(
    engine: Engine,
    *,
    now: datetime,
    batch: int = 5000,
    run_id: str,
    tenants: Collection[str] | None = None,
) -> PurgeReport:
    """Delete kept records of erased subjects whose holds have all ended, batch by batch.

    Candidates are records with `kept_until` past (open-ended legal holds have none,
    so they are found again once released: see `release_hold`). Each batch claims its
    rows with `FOR UPDATE SKIP LOCKED` (PostgreSQL), so concurrent purges never take
    the same row, then re-checks every hold under the lock: a hold extended or placed
    since the erasure keeps its record. Placing a hold locks the subject row, which the
    purge reads `FOR SHARE`, so the two cannot interleave. `tenants` limits the purge to
    those tenants' records (default: every tenant's).
    """
    result = PurgeReport()
    today = now.date()
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        with system_session(engine) as session:
            # Ordered by subject, so a batch touches few subjects (one lock, one hold
            # lookup and one DELETE each).
            statement = (
                sa.select(
                    col(Record.id),
                    col(Record.tenant_id),
                    col(Record.subject_id),
                    col(Record.category),
                    col(Record.data),
                )
                .join(Subject, col(Subject.id) == col(Record.subject_id))
                .where(col(Subject.status) == SubjectStatus.erased.value)
                # A date passed, or an open-ended legal hold that may have been released.
                .where(or_(col(Record.kept_until).is_(None), col(Record.kept_until) < today))
                .order_by(col(Record.subject_id), col(Record.id))
                .limit(batch)
                .with_for_update(skip_locked=True, of=Record)
            )
            if tenants is not None:
                statement = statement.where(col(Record.tenant_id).in_(tenants))
            if after is not None:
                statement = statement.where(
                    sa.tuple_(col(Record.subject_id), col(Record.id)) > sa.tuple_(*after)
                )
            candidates = session.execute(statement).all()
            if not candidates:
                return result
            after = (candidates[-1][2], candidates[-1][0])
            by_subject: dict[tuple[str, uuid.UUID], list[Any]] = {}
            for row in candidates:
                by_subject.setdefault((row[1], row[2]), []).append(row)
            for (tenant_id, subject_id), records in by_subject.items():
                # Shared with other purges; exclusive against placing a legal hold.
                session.exec(
                    select(Subject.id).where(Subject.id == subject_id).with_for_update(read=True)
                ).all()
                legal = _legal_holds_of(session, tenant_id, subject_id, now)
                rules = rules_of_tenant(session, tenant_id)
                doomed: list[uuid.UUID] = []
                for record_id, _tenant, _subject, category, data in records:
                    holds = holds_on(
                        record_id=record_id,
                        category=category,
                        data=data,
                        rules=rules,
                        legal_holds=legal,
                        today=today,
                    )
                    if holds:
                        session.execute(
                            sa.update(Record)
                            .where(col(Record.id) == record_id)
                            .values(kept_until=kept_until(holds)),
                            execution_options={"synchronize_session": False},
                        )
                        result.still_held += 1
                    else:
                        doomed.append(record_id)
                result.examined += len(records)
                if doomed:
                    session.execute(
                        delete(Record).where(col(Record.id).in_(doomed)),
                        execution_options={"synchronize_session": False},
                    )
                    result.purged += len(doomed)
                    result.subjects.add((tenant_id, subject_id))
                    record_event(
                        session,
                        actor=PURGE_ACTOR,
                        action="record.purge",
                        request_id=run_id,
                        status_code=200,
                        subject_id=subject_id,
                        tenant_id=tenant_id,
                        items=len(doomed),
                    )
                    _tombstone_if_empty(session, subject_id)
            session.commit()


def _legal_holds_of(
    session: Session, tenant_id: str, subject_id: uuid.UUID, now: datetime
) -> Sequence[LegalHold]:
    holds = active_legal_holds(session, subject_id, now)
    return [h for h in holds if h.tenant_id == tenant_id]


def _tombstone_if_empty(session: Session, subject_id: uuid.UUID) -> None:
    """Once nothing is kept, only a tombstone without personal data remains."""
    left = session.exec(select(Record.id).where(Record.subject_id == subject_id).limit(1)).first()
    if left is None:
        session.execute(
            delete(ExternalRef).where(col(ExternalRef.subject_id) == subject_id),
            execution_options={"synchronize_session": False},
        )
