"""Which holds cover a record, and until when — the one question erasure asks.

A record may not be erased while any hold covers it (GDPR Art 17(3)(b) legal
obligation, 17(3)(e) legal claims):

- a **statutory** hold: a `keep` retention rule (data, e.g. Bokföringslagen 7 kap. 2 §)
  that covers the record and whose last day has not passed — kept *until and including*
  that day in the tenant's time zone (`app.retention.rules`), or without an end while
  its basis date is not known yet;
- a **legal** hold: placed on the record or on its subject, not released, and not past
  its `ends_at` — kept until `ends_at`, or with no end (`until: null`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from app.retention.models import LegalHold, RelationshipEnd
from app.retention.rules import Action, Basis, RecordFacts, RuleLike, statutory_holds
from app.retention.service import active_rules, rules_of_tenant
from app.retention.settings import TenantSettings, settings_of_tenant, tenant_settings
from app.subjects.models import Record

STATUTORY = "statutory"
LEGAL = "legal"


@dataclass(frozen=True)
class Hold:
    kind: str  # statutory | legal
    id: str  # the rule code or the legal hold id
    reference: str  # the law, or the hold's reason
    until: date | None  # last day kept; None: no end


def active_legal_holds(session: Session, subject_id: uuid.UUID, now: datetime) -> list[LegalHold]:
    """The subject's legal holds in force now (on the subject or on its records)."""
    return list(
        session.exec(
            select(LegalHold)
            .where(LegalHold.subject_id == subject_id, col(LegalHold.released_at).is_(None))
            .where(or_(col(LegalHold.ends_at).is_(None), col(LegalHold.ends_at) > now))
            .order_by(col(LegalHold.id))
        ).all()
    )


def holds_on(
    *,
    record_id: uuid.UUID | None,
    facts: RecordFacts,
    rules: Iterable[RuleLike],
    legal_holds: Sequence[LegalHold],
    settings: TenantSettings,
    today: date,
) -> list[Hold]:
    """Every hold that covers the record `today` (the tenant's local date: see
    `TenantSettings.today`); empty means it may be erased."""
    holds = [
        Hold(kind=STATUTORY, id=h.rule_code, reference=h.reference, until=h.until)
        for h in statutory_holds(rules, facts, settings)
        if h.until is None or h.until >= today
    ]
    for legal in legal_holds:
        if legal.record_id is None or legal.record_id == record_id:
            holds.append(
                Hold(
                    kind=LEGAL,
                    id=str(legal.id),
                    reference=legal.reason,
                    until=legal.ends_at.date() if legal.ends_at else None,
                )
            )
    return holds


def kept_until(holds: Sequence[Hold]) -> date | None:
    """The last day any of the holds keeps the record; None while one has no end."""
    if any(h.until is None for h in holds):
        return None
    return max(h.until for h in holds if h.until is not None)


@dataclass(frozen=True)
class SubjectRetention:
    """Everything the retention of one subject's records depends on, read once: the
    rules in force for its tenant, the tenant's settings, the subject's legal holds in
    force, the end of the relationship with it, and the tenant's today."""

    rules: Sequence[RuleLike]
    settings: TenantSettings
    legal_holds: Sequence[LegalHold]
    relationship_end: date | None
    today: date

    def facts(
        self, category: str, data: Mapping[str, Any] | None, created_at: datetime | None
    ) -> RecordFacts:
        return RecordFacts(
            category=category,
            data=data or {},
            created_at=created_at,
            relationship_end=self.relationship_end,
        )

    def holds(
        self,
        record_id: uuid.UUID | None,
        category: str,
        data: Mapping[str, Any] | None,
        created_at: datetime | None,
    ) -> list[Hold]:
        """Every hold on the record today (`holds_on`)."""
        return holds_on(
            record_id=record_id,
            facts=self.facts(category, data, created_at),
            rules=self.rules,
            legal_holds=self.legal_holds,
            settings=self.settings,
            today=self.today,
        )


def relationship_end(
    session: Session,
    subject_id: uuid.UUID,
    *,
    erased_at: datetime | None,
    settings: TenantSettings,
) -> date | None:
    """The day the relationship with the subject ended, or None while it lasts."""
    stored = session.exec(
        select(col(RelationshipEnd.ended_on)).where(col(RelationshipEnd.subject_id) == subject_id)
    ).first()
    if stored is not None:
        return stored
    return settings.local_date(erased_at) if erased_at is not None else None


def subject_retention(
    session: Session, subject_id: uuid.UUID, *, erased_at: datetime | None, now: datetime
) -> SubjectRetention:
    """Read what the subject's retention depends on, in a tenant session (a system job
    reads many subjects at once with `retention_of_subjects`)."""
    rules = active_rules(session)
    settings = tenant_settings(session)
    ends = (
        relationship_end(session, subject_id, erased_at=erased_at, settings=settings)
        if any(rule.basis == Basis.relationship_end for rule in rules)
        else None
    )
    return SubjectRetention(
        rules=rules,
        settings=settings,
        legal_holds=active_legal_holds(session, subject_id, now),
        relationship_end=ends,
        today=settings.today(now),
    )


def shortened_by_settings(
    session: Session, old: TenantSettings, new: TenantSettings, *, now: datetime
) -> int:
    """How many of the tenant's records a `keep` rule holds today that the new settings
    would hold for a shorter time (a new financial-year end: Bokföringslagen 7 kap. 2 §
    obligations cannot end early by a change of setting). Only sales documents without a
    `financial_year_end` of their own read the setting."""
    if old.financial_year_end == new.financial_year_end:
        return 0
    rules = [
        rule
        for rule in active_rules(session)
        if rule.action == Action.keep and rule.basis == Basis.financial_year_end
    ]
    if not rules:
        return 0
    categories = {rule.category for rule in rules}
    today = old.today(now)
    shortened = 0
    for data in session.exec(
        select(col(Record.data)).where(col(Record.category).in_(categories))
    ).all():
        if not data or data.get("financial_year_end"):
            continue
        for rule in rules:
            facts = RecordFacts(category=rule.category, data=data)
            before = statutory_holds([rule], facts, old)
            if not before or before[0].until is None or before[0].until < today:
                continue
            after = statutory_holds([rule], facts, new)[0].until
            if after is not None and after < before[0].until:
                shortened += 1
                break
    return shortened


def retention_of_subjects(
    session: Session,
    tenant_id: str,
    erased_at: Mapping[uuid.UUID, datetime | None],
    *,
    now: datetime,
) -> dict[uuid.UUID, SubjectRetention]:
    """`subject_retention` for many subjects of one tenant at once (the purge's batches):
    the rules and settings read once, legal holds and relationship ends in one query."""
    rules = rules_of_tenant(session, tenant_id)
    settings = settings_of_tenant(session, tenant_id)
    ids = list(erased_at)
    legal: dict[uuid.UUID, list[LegalHold]] = {}
    for hold in session.exec(
        select(LegalHold)
        .where(col(LegalHold.tenant_id) == tenant_id, col(LegalHold.subject_id).in_(ids))
        .where(col(LegalHold.released_at).is_(None))
        .where(or_(col(LegalHold.ends_at).is_(None), col(LegalHold.ends_at) > now))
        .order_by(col(LegalHold.id))
    ).all():
        legal.setdefault(hold.subject_id, []).append(hold)
    recorded: dict[uuid.UUID, date] = {}
    if any(rule.basis == Basis.relationship_end for rule in rules):
        recorded = dict(
            session.exec(
                select(col(RelationshipEnd.subject_id), col(RelationshipEnd.ended_on)).where(
                    col(RelationshipEnd.tenant_id) == tenant_id,
                    col(RelationshipEnd.subject_id).in_(ids),
                )
            ).all()
        )
    reads_ends = any(rule.basis == Basis.relationship_end for rule in rules)
    today = settings.today(now)
    result = {}
    for subject_id, erased in erased_at.items():
        # As `relationship_end`: the recorded day, else the day of erasure.
        end = recorded.get(subject_id)
        if end is None and erased is not None:
            end = settings.local_date(erased)
        result[subject_id] = SubjectRetention(
            rules=rules,
            settings=settings,
            legal_holds=legal.get(subject_id, []),
            relationship_end=end if reads_ends else None,
            today=today,
        )
    return result
