"""The access report (Art 15): every record held about the subject, and the why of it.

Art 15(1): (a) purposes, (b) categories, (c) recipients, (d) retention — the concrete
date where a retention rule computes one, else the criteria — (e) the rights to
rectification, erasure, restriction and objection, (f) the right to complain to IMY,
(g) the source of data not collected from the subject, (h) automated decision-making;
Art 15(2): transfers outside the EU/EEA and their safeguards. The texts come from the
tenant's privacy notice; the records, their sources and dates from the store.
Restricted records are included: the subject may always see its own data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from app.erasure.service import current_report
from app.retention.holds import subject_retention
from app.retention.rules import statutory_holds
from app.rights.notice import current_notice
from app.rights.schemas import (
    AccessReport,
    ReportCategory,
    ReportRecordRetention,
    ReportRetention,
)
from app.subjects.categories import Category
from app.subjects.models import Record, Subject
from app.subjects.schemas import RecordPublic, SubjectStatus
from app.subjects.service import subject_view


def access_report(
    session: Session,
    subject: Subject,
    *,
    lang: Literal["sv", "en"],
    now: datetime,
    hash_secret: str,
) -> AccessReport:
    notice = current_notice(session)
    text = notice.sv if lang == "sv" else notice.en
    records = session.exec(
        select(Record).where(Record.subject_id == subject.id).order_by(col(Record.id))
    ).all()
    policy = subject_retention(session, subject.id, erased_at=subject.erased_at, now=now)

    counts = Counter(r.category for r in records)
    by_source: dict[str, set[str]] = defaultdict(set)
    origins: dict[str, set[str]] = defaultdict(set)
    dated: dict[str, list[ReportRecordRetention]] = defaultdict(list)
    for record in records:
        by_source[record.source].add(record.category)
        origins[record.source].add(record.origin)
        facts = policy.facts(record.category, record.data, record.created_at)
        for hold in statutory_holds(policy.rules, facts, policy.settings):
            if hold.until is not None and hold.until >= policy.today:
                dated[record.category].append(
                    ReportRecordRetention(
                        record_id=record.id,
                        until=hold.until,
                        rule=hold.rule_code,
                        reference=hold.reference,
                    )
                )

    categories = [
        ReportCategory(
            category=category.value,
            description=text.categories[category].description,
            legal_basis=text.categories[category].legal_basis,
            records=counts[category.value],
        )
        for category in Category
        if counts[category.value]
    ]
    retention = [
        ReportRetention(
            category=category.value,
            period=text.categories[category].retention,
            records=dated.get(category.value, []),
        )
        for category in Category
        if counts[category.value]
    ]
    return AccessReport(
        subject=subject_view(session, subject, hash_secret=hash_secret),
        records=[RecordPublic.model_validate(r) for r in records],
        controller=text.controller.model_dump(exclude_none=True),
        purposes=[p.model_dump() for p in text.purposes],
        categories=categories,
        recipients=[r.model_dump() for r in text.recipients],
        retention=retention,
        sources={
            "description": text.sources,
            "systems": [
                {
                    "source": source,
                    "categories": sorted(by_source[source]),
                    "origin": sorted(origins[source]),
                }
                for source in sorted(by_source)
            ],
        },
        transfers=text.transfers.model_dump(),
        rights=[r.model_dump() for r in text.rights],
        complaint=text.complaint.model_dump(),
        automated_decision_making=text.automated_decision_making.model_dump(),
        generated_at=now,
        lang=lang,
        erasure=current_report(session, subject, now=now)
        if subject.status == SubjectStatus.erased
        else None,
    )
