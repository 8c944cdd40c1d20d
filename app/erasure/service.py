"""Erasure (Art 17): erase everything no hold protects, keep what the law or a legal
hold requires, and say exactly what was erased and what was kept, why and until when.

`plan` answers the question for every record (with `app.retention.holds`); `erase`
carries the plan out in the caller's one transaction; `purge_once` later deletes
kept records whose holds have all ended, and — for every subject, erased or not —
records past the maximum of a `delete_after` rule (Art 5(1)(e)) that no hold covers,
safely from several replicas at once; and completed rights requests past the tenant's
retention of them (`app.requests.retention`). `preview` says what it would delete.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, or_, select

from app.audit.service import record_event
from app.core.db import UTCDateTime, system_session
from app.erasure.models import Erasure
from app.erasure.schemas import PurgePreview, PurgePreviewGroup
from app.notifications.models import Recipient
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.objections.models import Objection
from app.requests import retention as request_retention
from app.retention.holds import (
    Hold,
    SubjectRetention,
    kept_until,
    retention_of_subjects,
    subject_retention,
)
from app.retention.models import RetentionRule, TenantRetentionRule
from app.retention.rules import Action, RuleLike, maximum
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier
from app.subjects.schemas import SubjectStatus


@dataclass(slots=True)
class _PlainRule:
    """A retention rule's values (`RuleLike`), read once from its row."""

    code: str
    reference: str
    category: str
    kinds: list[str]
    verification_kinds: list[str]
    action: str
    basis: str
    years: int
    months: int
    active: bool

    @classmethod
    def of(cls, rule: RuleLike) -> _PlainRule:
        return cls(
            code=rule.code,
            reference=rule.reference,
            category=rule.category,
            kinds=list(rule.kinds),
            verification_kinds=list(rule.verification_kinds),
            action=rule.action,
            basis=rule.basis,
            years=rule.years,
            months=rule.months,
            active=rule.active,
        )


def _id_in(session: Session, column: Any, ids: Sequence[uuid.UUID]) -> Any:
    """`column IN (ids)` as one bound parameter however many ids: PostgreSQL
    `= ANY(array)`, SQLite `IN (SELECT value FROM json_each(?))` (ids stored as hex).
    Thousands of separate parameters cost more to compile than the statement to run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(sa.Uuid())))
    values = sa.func.json_each(json.dumps([i.hex for i in ids])).table_valued("value")
    return column.in_(sa.select(values.c.value))


@dataclass
class Plan:
    erase: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    keep: list[tuple[uuid.UUID, str, list[Hold]]] = field(default_factory=list)


def plan(session: Session, subject: Subject, *, now: datetime) -> Plan:
    """For each record of the subject: erase it, or keep it and name the holds."""
    # The plan answers "if erased now": an erasure ends the relationship with the subject
    # (the basis `relationship_end` where no other end was recorded).
    retention = subject_retention(session, subject.id, erased_at=subject.erased_at or now, now=now)
    # Only a `keep` rule or a legal hold keeps a record: a record of a category no
    # active `keep` rule covers, of a subject without legal holds, is erased without
    # reading its data or asking each rule (most of a large subject's records). The
    # rules are read once into plain values (not asked through the ORM per record).
    keep_rules = [_PlainRule.of(r) for r in retention.rules if r.active and r.action == Action.keep]
    retention = dataclasses.replace(retention, rules=keep_rules)
    ruled = {rule.category for rule in keep_rules}
    anything_holds = bool(retention.legal_holds)
    is_ruled = col(Record.category).in_(ruled or {""})
    rows = session.execute(
        sa.select(
            col(Record.id),
            col(Record.category),
            # Only records a rule could cover need their data and age read.
            sa.case((is_ruled, col(Record.data)), else_=None),
            sa.type_coerce(sa.case((is_ruled, col(Record.created_at)), else_=None), UTCDateTime),
        )
        .where(col(Record.subject_id) == subject.id)
        .order_by(col(Record.id))
    ).all()
    result = Plan()
    for record_id, category, data, created_at in rows:
        if category not in ruled and not anything_holds:
            result.erase.append((record_id, category))
            continue
        holds = retention.holds(record_id, category, data, created_at)
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
        statement = statement.where(sa.not_(_id_in(session, col(Record.id), kept_ids)))
    session.execute(statement, execution_options={"synchronize_session": False})
    # The kept records become restricted with the day they must be kept until: one
    # UPDATE per distinct day (a few), not one per record. Only bookkeeping columns
    # change, never content, so the holds guarded at flush (`app.retention.guard`)
    # are not touched; the subject's row lock orders this against every other write.
    by_day: dict[date | None, list[uuid.UUID]] = {}
    for rid, _cat, holds in the_plan.keep:
        by_day.setdefault(kept_until(holds), []).append(rid)
    for day, ids in by_day.items():
        session.execute(
            sa.update(Record)
            .where(col(Record.subject_id) == subject.id, _id_in(session, col(Record.id), ids))
            .values(
                restricted=True,
                kept_until=day,
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


def erase_or_report(
    session: Session,
    subject: Subject,
    *,
    dry_run: bool,
    actor: str,
    tenant_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The erasure of a subject whose row lock the caller holds: an erased subject
    answers its current report (erasing twice is not an error); a dry run answers the
    plan and changes nothing; otherwise `erase`."""
    if subject.status == SubjectStatus.erased:
        return current_report(session, subject, now=now)
    if dry_run:
        return report(subject, plan(session, subject, now=now), dry_run=True, erased_at=None)
    return erase(session, subject, actor=actor, tenant_id=tenant_id, now=now)


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
#
# One decision (`decide`), two callers: `preview` reports what the next purge deletes,
# `purge_once` deletes it. A record is deleted when
# - its subject is erased and no hold covers it any more (Art 17: kept only while held), or
# - a `delete_after` rule's maximum has passed (Art 5(1)(e)) and no hold covers it.

PURGE_ACTOR = "system:purge"
ERASED = "erased"  # reason: an erased subject's kept record whose holds have ended
MAXIMUM = "maximum_retention"  # reason: past the maximum of a `delete_after` rule


@dataclass(frozen=True)
class Candidate:
    record_id: uuid.UUID
    tenant_id: str
    subject_id: uuid.UUID
    category: str
    data: dict[str, Any] | None
    created_at: datetime | None
    kept_until: date | None
    erased_at: datetime | None  # set: the subject is erased


# The record columns a candidate is read from, in `_candidate`'s order.
_CANDIDATE_COLUMNS = (
    col(Record.id),
    col(Record.tenant_id),
    col(Record.subject_id),
    col(Record.category),
    col(Record.data),
    col(Record.created_at),
    col(Record.kept_until),
)


def _candidate(row: Any, erased_at: datetime | None) -> Candidate:
    return Candidate(
        record_id=row[0],
        tenant_id=row[1],
        subject_id=row[2],
        category=row[3],
        data=row[4],
        created_at=row[5],
        kept_until=row[6],
        erased_at=erased_at,
    )


@dataclass(frozen=True)
class Verdict:
    delete: bool
    reason: str | None = None  # ERASED | MAXIMUM
    rule: str | None = None  # the `delete_after` rule's code
    reference: str | None = None
    holds: tuple[Hold, ...] = ()
    past_maximum: bool = False


NOTHING = Verdict(delete=False)


def decide(retention: SubjectRetention, candidate: Candidate) -> Verdict:
    """Whether the purge deletes the record now, and why; holds always win."""
    holds = tuple(
        retention.holds(
            candidate.record_id, candidate.category, candidate.data, candidate.created_at
        )
    )
    if candidate.erased_at is not None:
        if holds:
            return Verdict(delete=False, holds=holds)
        return Verdict(delete=True, reason=ERASED)
    limit = maximum(
        retention.rules,
        retention.facts(candidate.category, candidate.data, candidate.created_at),
        retention.settings,
    )
    if limit is None or limit.last_day >= retention.today:
        return NOTHING
    if holds:
        return Verdict(delete=False, holds=holds, past_maximum=True, rule=limit.rule_code)
    return Verdict(delete=True, reason=MAXIMUM, rule=limit.rule_code, reference=limit.reference)


def _maximum_scope(session: Session, tenants: Collection[str] | None) -> Any:
    """The records a `delete_after` rule may apply to: (tenant, category) pairs."""
    clauses: list[Any] = []
    built_in = session.exec(
        select(RetentionRule.category).where(
            col(RetentionRule.active), col(RetentionRule.action) == Action.delete_after
        )
    ).all()
    if built_in:
        clauses.append(col(Record.category).in_(set(built_in)))
    own = select(TenantRetentionRule.tenant_id, TenantRetentionRule.category).where(
        col(TenantRetentionRule.active), col(TenantRetentionRule.action) == Action.delete_after
    )
    if tenants is not None:
        own = own.where(col(TenantRetentionRule.tenant_id).in_(tenants))
    by_tenant: dict[str, set[str]] = {}
    for tenant_id, category in session.exec(own).all():
        by_tenant.setdefault(tenant_id, set()).add(category)
    clauses += [
        sa.and_(col(Record.tenant_id) == tenant_id, col(Record.category).in_(categories))
        for tenant_id, categories in sorted(by_tenant.items())
    ]
    return or_(*clauses) if clauses else None


def _scan(
    session: Session,
    *,
    now: datetime,
    tenants: Collection[str] | None,
    scope: Any,
    after: tuple[uuid.UUID, uuid.UUID] | None,
    batch: int,
) -> list[Candidate]:
    """The next batch of candidates, by (subject, record): kept records of erased
    subjects whose recorded date passed (or has no end: a legal hold may have been
    released), and records a `delete_after` rule may apply to. Read without locks."""
    # A tenant's today is at most one day after the UTC date, so this finds every kept
    # record whose last day passed in any time zone; `decide` then checks exactly.
    erased_due = sa.and_(
        col(Subject.status) == SubjectStatus.erased.value,
        or_(col(Record.kept_until).is_(None), col(Record.kept_until) <= now.date()),
    )
    statement = (
        sa.select(*_CANDIDATE_COLUMNS, col(Subject.erased_at), col(Subject.status))
        .join(Subject, col(Subject.id) == col(Record.subject_id))
        .where(erased_due if scope is None else or_(erased_due, scope))
        .order_by(col(Record.subject_id), col(Record.id))
        .limit(batch)
    )
    if tenants is not None:
        statement = statement.where(col(Record.tenant_id).in_(tenants))
    if after is not None:
        statement = statement.where(
            sa.tuple_(col(Record.subject_id), col(Record.id)) > sa.tuple_(*after)
        )
    return [
        _candidate(row, row[7] if row[8] == SubjectStatus.erased.value else None)
        for row in session.execute(statement).all()
    ]


def _verdicts(
    session: Session, candidates: list[Candidate], *, now: datetime
) -> list[tuple[Candidate, Verdict]]:
    """`decide` for each candidate; what it depends on is read once per batch."""
    by_tenant: dict[str, dict[uuid.UUID, datetime | None]] = {}
    for candidate in candidates:
        by_tenant.setdefault(candidate.tenant_id, {})[candidate.subject_id] = candidate.erased_at
    retention = {
        (tenant_id, subject_id): policy
        for tenant_id, subjects in by_tenant.items()
        for subject_id, policy in retention_of_subjects(
            session, tenant_id, subjects, now=now
        ).items()
    }
    return [
        (candidate, decide(retention[(candidate.tenant_id, candidate.subject_id)], candidate))
        for candidate in candidates
    ]


@dataclass
class PurgeGroup:
    tenant_id: str
    category: str
    reason: str
    rule: str | None
    reference: str | None
    record_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass
class PurgeReport:
    examined: int = 0
    purged: int = 0
    still_held: int = 0
    # Records past a maximum that a hold keeps (holds win).
    held_past_maximum: int = 0
    subjects: set[tuple[str, uuid.UUID]] = field(default_factory=set)
    groups: dict[tuple[str, str, str, str | None], PurgeGroup] = field(default_factory=dict)
    # Completed rights requests past the tenant's retention of them, by tenant.
    rights_requests: dict[str, list[uuid.UUID]] = field(default_factory=dict)

    def count(self, candidate: Candidate, verdict: Verdict) -> None:
        assert verdict.reason is not None
        key = (candidate.tenant_id, candidate.category, verdict.reason, verdict.rule)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = PurgeGroup(
                tenant_id=candidate.tenant_id,
                category=candidate.category,
                reason=verdict.reason,
                rule=verdict.rule,
                reference=verdict.reference,
            )
        group.record_ids.append(candidate.record_id)


def preview(
    session: Session,
    *,
    now: datetime,
    tenants: Collection[str] | None = None,
    batch: int = 5000,
) -> PurgeReport:
    """What `purge_once` would delete at `now`, and why — the same scan and `decide`,
    and the same rights requests, without locks or changes. In a tenant session it sees
    that tenant only."""
    result = PurgeReport()
    _preview_records(session, now=now, tenants=tenants, batch=batch, result=result)
    result.rights_requests = request_retention.past_retention(session, now=now, tenants=tenants)
    return result


def _preview_records(
    session: Session,
    *,
    now: datetime,
    tenants: Collection[str] | None,
    batch: int,
    result: PurgeReport,
) -> None:
    scope = _maximum_scope(session, tenants)
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        candidates = _scan(session, now=now, tenants=tenants, scope=scope, after=after, batch=batch)
        if not candidates:
            return
        after = (candidates[-1].subject_id, candidates[-1].record_id)
        for candidate, verdict in _verdicts(session, candidates, now=now):
            result.examined += 1
            if verdict.delete:
                result.purged += 1
                result.subjects.add((candidate.tenant_id, candidate.subject_id))
                result.count(candidate, verdict)
            elif candidate.erased_at is not None:
                result.still_held += 1
            elif verdict.past_maximum:
                result.held_past_maximum += 1


def preview_report(
    report: PurgeReport, *, now: datetime, limit: int, tenant_id: str | None = None
) -> PurgePreview:
    """The preview as the API answers it (of one tenant, or of every tenant in the
    report): counts per category and reason/rule, and the first `limit` ids of each;
    the rights requests past retention, and the first `limit` of their ids."""
    requests = [
        request_id
        for tenant, ids in sorted(report.rights_requests.items())
        if tenant_id is None or tenant == tenant_id
        for request_id in ids
    ]
    groups = [
        PurgePreviewGroup(
            category=group.category,
            reason=group.reason,
            rule=group.rule,
            reference=group.reference,
            records=len(group.record_ids),
            record_ids=group.record_ids[:limit],
        )
        for key, group in sorted(report.groups.items(), key=lambda kv: _sort_key(kv[0]))
        if tenant_id is None or group.tenant_id == tenant_id
    ]
    return PurgePreview(
        as_of=now,
        records=sum(g.records for g in groups),
        held_past_maximum=report.held_past_maximum,
        groups=groups,
        rights_requests=len(requests),
        rights_request_ids=requests[:limit],
    )


def _sort_key(key: tuple[str, str, str, str | None]) -> tuple[str, str, str, str]:
    tenant_id, category, reason, rule = key
    return (tenant_id, category, reason, rule or "")


def purge_once(
    engine: Engine,
    *,
    now: datetime,
    batch: int = 5000,
    run_id: str,
    tenants: Collection[str] | None = None,
) -> PurgeReport:
    """Delete what `decide` says is due, batch by batch, safely beside other replicas.

    Each batch is scanned without locks and decided. The subjects with something to do
    are then read `FOR SHARE` (placing a legal hold or erasing locks a subject
    exclusively, so neither can interleave), their candidate records are claimed
    `FOR UPDATE SKIP LOCKED` (PostgreSQL: concurrent purges never take the same row),
    and the decision is made again under those locks on what is stored now. Kept records
    of erased subjects that are still held get their new `kept_until`. Then completed
    rights requests past the tenant's retention of them are deleted. `tenants` limits
    the purge to those tenants' data (default: every tenant's).
    """
    result = PurgeReport()
    _purge_records(engine, now=now, batch=batch, run_id=run_id, tenants=tenants, result=result)
    _purge_requests(engine, now=now, run_id=run_id, tenants=tenants, result=result)
    return result


def _purge_records(
    engine: Engine,
    *,
    now: datetime,
    batch: int,
    run_id: str,
    tenants: Collection[str] | None,
    result: PurgeReport,
) -> None:
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        with system_session(engine) as session:
            scope = _maximum_scope(session, tenants)
            candidates = _scan(
                session, now=now, tenants=tenants, scope=scope, after=after, batch=batch
            )
            if not candidates:
                return
            after = (candidates[-1].subject_id, candidates[-1].record_id)
            result.examined += len(candidates)
            verdicts = _verdicts(session, candidates, now=now)
            # Only subjects with something to change are locked and decided again.
            work = {
                c.subject_id
                for c, v in verdicts
                if v.delete or (c.erased_at is not None and _kept_until_of(v) != c.kept_until)
            }
            for candidate, verdict in verdicts:
                if candidate.subject_id not in work:
                    result.still_held += candidate.erased_at is not None and bool(verdict.holds)
                    result.held_past_maximum += verdict.past_maximum
            if work:
                claimed = _lock_and_claim(session, [c for c in candidates if c.subject_id in work])
                _apply(session, _verdicts(session, claimed, now=now), now, run_id, result)
            session.commit()


def _purge_requests(
    engine: Engine,
    *,
    now: datetime,
    run_id: str,
    tenants: Collection[str] | None,
    result: PurgeReport,
) -> None:
    """Delete the completed rights requests past their tenant's retention (Art 5(1)(e)),
    one transaction per tenant, claimed so that concurrent purges never take the same.
    Each deletion is audited; audit events are append-only and keep the request's id."""
    with system_session(engine) as session:
        tenant_ids = request_retention.tenants_with_completed(session, tenants)
    for tenant_id in tenant_ids:
        with system_session(engine) as session:
            ids = request_retention.due_in_tenant(session, tenant_id, now=now, lock=True)
            for chunk in _chunks(ids):
                request_retention.delete_requests(session, chunk)
            for request_id in ids:
                record_event(
                    session,
                    actor=PURGE_ACTOR,
                    action="rights_request.purge",
                    request_id=run_id,
                    status_code=200,
                    rights_request_id=request_id,
                    tenant_id=tenant_id,
                )
            session.commit()
        if ids:
            result.rights_requests[tenant_id] = ids


def _chunks(ids: list[uuid.UUID], size: int = 1000) -> list[list[uuid.UUID]]:
    """Id lists of at most `size`, within every database's limit of bound parameters."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _kept_until_of(verdict: Verdict) -> date | None:
    return kept_until(list(verdict.holds)) if verdict.holds else None


def _lock_and_claim(session: Session, candidates: list[Candidate]) -> list[Candidate]:
    """Lock the candidates' subjects `FOR SHARE` (in id order) and claim the records
    no other purge holds; read both again as stored now."""
    subjects: dict[uuid.UUID, datetime | None] = {}
    for chunk in _chunks(sorted({c.subject_id for c in candidates})):
        for subject_id, erased_at, status in session.execute(
            sa.select(col(Subject.id), col(Subject.erased_at), col(Subject.status))
            .where(col(Subject.id).in_(chunk))
            .order_by(col(Subject.id))
            .with_for_update(read=True)
        ).all():
            subjects[subject_id] = erased_at if status == SubjectStatus.erased.value else None
    rows = [
        row
        for chunk in _chunks([c.record_id for c in candidates])
        for row in session.execute(
            sa.select(*_CANDIDATE_COLUMNS)
            .where(col(Record.id).in_(chunk))
            .order_by(col(Record.subject_id), col(Record.id))
            .with_for_update(skip_locked=True, of=Record)
        ).all()
    ]
    return [_candidate(row, subjects[row[2]]) for row in rows if row[2] in subjects]


def _apply(
    session: Session,
    verdicts: list[tuple[Candidate, Verdict]],
    now: datetime,
    run_id: str,
    result: PurgeReport,
) -> None:
    """Carry the decisions out: delete, audit per subject and rule, tell recipients."""
    doomed: dict[tuple[str, uuid.UUID], dict[str | None, list[uuid.UUID]]] = {}
    erased: dict[uuid.UUID, bool] = {}
    for candidate, verdict in verdicts:
        erased[candidate.subject_id] = candidate.erased_at is not None
        if verdict.delete:
            key = (candidate.tenant_id, candidate.subject_id)
            doomed.setdefault(key, {}).setdefault(verdict.rule, []).append(candidate.record_id)
            result.count(candidate, verdict)
        elif candidate.erased_at is not None:
            until = _kept_until_of(verdict)
            if until != candidate.kept_until:
                session.execute(
                    sa.update(Record)
                    .where(col(Record.id) == candidate.record_id)
                    .values(kept_until=until),
                    execution_options={"synchronize_session": False},
                )
            result.still_held += 1
        elif verdict.past_maximum:
            result.held_past_maximum += 1
    if not doomed:
        return
    # Rectification history and restrictions of the records go with them (ON DELETE
    # CASCADE).
    session.execute(
        delete(Record).where(
            col(Record.id).in_(
                [rid for by_rule in doomed.values() for ids in by_rule.values() for rid in ids]
            )
        ),
        execution_options={"synchronize_session": False},
    )
    listening = _tenants_told_of_expiry(session, {tenant_id for tenant_id, _ in doomed})
    for (tenant_id, subject_id), by_rule in doomed.items():
        for rule, ids in by_rule.items():
            result.purged += len(ids)
            record_event(
                session,
                # The actor names the rule applied: counts per tenant and rule, ids only.
                actor=PURGE_ACTOR if rule is None else f"{PURGE_ACTOR}:{rule}",
                action="record.purge" if rule is None else "record.expire",
                request_id=run_id,
                status_code=200,
                subject_id=subject_id,
                tenant_id=tenant_id,
                items=len(ids),
            )
        result.subjects.add((tenant_id, subject_id))
        if erased[subject_id]:
            _tombstone_if_empty(session, subject_id)
        elif tenant_id in listening:
            # Art 19, as for an erasure: recipients learn which records went (ids only).
            # (An erased subject's recipients were told at its erasure what it kept.)
            notify(
                session,
                event_type=EventType.record_expired,
                tenant_id=tenant_id,
                now=now,
                subject_id=subject_id,
                record_ids=[rid for ids in by_rule.values() for rid in ids],
                rules=sorted(rule for rule in by_rule if rule is not None),
            )


def _tenants_told_of_expiry(session: Session, tenant_ids: set[str]) -> set[str]:
    """The tenants with an active recipient of `record.expired` (others need no notify)."""
    rows = session.exec(
        select(Recipient.tenant_id, Recipient.event_types).where(
            col(Recipient.active), col(Recipient.tenant_id).in_(tenant_ids)
        )
    ).all()
    return {tenant_id for tenant_id, types in rows if EventType.record_expired.value in types}


def _tombstone_if_empty(session: Session, subject_id: uuid.UUID) -> None:
    """Once nothing is kept, only a tombstone without personal data remains."""
    left = session.exec(select(Record.id).where(Record.subject_id == subject_id).limit(1)).first()
    if left is None:
        session.execute(
            delete(ExternalRef).where(col(ExternalRef.subject_id) == subject_id),
            execution_options={"synchronize_session": False},
        )
