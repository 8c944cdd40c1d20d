"""The access report (Art 15): every record held about the subject, and the why of it.

Art 15(1): (a) purposes, (b) categories, (c) recipients, (d) retention — the concrete
date where a retention rule computes one, else the criteria — (e) the rights to
rectification, erasure, restriction and objection, (f) the right to complain to IMY,
(g) the source of data not collected from the subject, (h) automated decision-making;
Art 15(2): transfers outside the EU/EEA and their safeguards.

The texts come from the tenant's own published notice only, and are narrowed to the
subject's actual data: the purposes and legal bases of the categories it holds, the
recipients its data was actually sent to (CJEU C-154/21), the retention rule and date of
each held record. Without a published notice every record is still listed (Art 15(3)),
the parts only a notice can say are `null` and `notice_missing` is `true`; another
controller's notice never stands in. Restricted records are included: the subject may
always see its own data.
"""

from __future__ import annotations

import gettext
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

import pycountry
import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy import func
from sqlmodel import Session, col

from app.erasure.schemas import ErasureReport
from app.erasure.service import current_report
from app.notices.schemas import (
    LEGAL_BASIS_TEXT,
    MECHANISM_ARTICLE,
    RIGHT_ARTICLE,
    Lang,
    NoticeText,
)
from app.notices.service import current_notice
from app.notifications.models import Delivery, Recipient
from app.objections import service as objections
from app.objections.schemas import ReportObjection
from app.retention.holds import SubjectRetention, subject_retention
from app.retention.rules import RuleLike, statutory_holds
from app.rights.schemas import (
    AccessReport,
    ReportAutomatedDecisionMaking,
    ReportCategory,
    ReportComplaint,
    ReportController,
    ReportDpo,
    ReportNamedRecipient,
    ReportObjectionRight,
    ReportPurpose,
    ReportRecipientCategory,
    ReportRecipients,
    ReportRecordRetention,
    ReportRetention,
    ReportRetentionRule,
    ReportRight,
    ReportSource,
    ReportSources,
    ReportTransfer,
    ReportTransfers,
)
from app.subjects.categories import Category
from app.subjects.models import Record, Subject
from app.subjects.schemas import RecordPublic, SubjectStatus
from app.subjects.service import subject_view

if TYPE_CHECKING:
    from app.requests.review import Release


def access_report(
    session: Session,
    subject: Subject,
    *,
    lang: Lang,
    now: datetime,
    hash_secret: str,
    release: Release | None = None,
) -> AccessReport:
    """The report; with `release` (a rights request's third-party review, Art 15(4)),
    withheld records are left out everywhere and redacted fields taken out."""
    notice = current_notice(session)
    text = notice.text(lang) if notice is not None else None
    records = _records(session, subject.id)
    # The copy (Art 15(3)) leaves out what the review withheld; what Art 15(1) says about
    # the processing (categories, purposes, retention, sources) still counts every record.
    copied = [r for r in records if release is None or release.keeps(r.id)]
    policy = subject_retention(session, subject.id, erased_at=subject.erased_at, now=now)

    counts = Counter(r.category.value for r in records)
    held = [category for category in Category if counts[category.value]]
    return AccessReport(
        subject=subject_view(session, subject, hash_secret=hash_secret),
        records=[_released(r, release) for r in copied],
        notice_missing=notice is None,
        notice_version=notice.version if notice is not None else None,
        controller=ReportController(**text.controller.model_dump()) if text else None,
        dpo=ReportDpo(**text.dpo.model_dump()) if text else None,
        purposes=_purposes(text, held, lang) if text else None,
        categories=[_category(text, c, counts[c.value], lang) for c in held],
        recipients=ReportRecipients(
            categories=[ReportRecipientCategory(**r.model_dump()) for r in text.recipients]
            if text
            else None,
            named=named_recipients(session, subject.id),
        ),
        retention=_retention(text, held, copied, policy, lang),
        sources=_sources(text, records),
        transfers=_transfers(text, lang) if text else None,
        rights=[
            ReportRight(
                right=r.right, article=RIGHT_ARTICLE[r.right][lang], description=r.description
            )
            for r in text.rights
        ]
        if text
        else None,
        objection_right=ReportObjectionRight(
            article="artikel 21" if lang == "sv" else "Art 21",
            general=text.objection_right.general,
            direct_marketing=text.objection_right.direct_marketing,
        )
        if text
        else None,
        consent_withdrawal=text.consent_withdrawal if text else None,
        complaint=ReportComplaint(**text.complaint.model_dump()) if text else None,
        automated_decision_making=ReportAutomatedDecisionMaking(
            **text.automated_decision_making.model_dump()
        )
        if text
        else None,
        generated_at=now,
        lang=lang,
        objections=[
            ReportObjection.model_validate(o)
            for o in objections.list_for_subject(session, subject.id)
        ],
        erasure=ErasureReport.model_validate(current_report(session, subject, now=now))
        if subject.status == SubjectStatus.erased
        else None,
        third_party_review=release.report(lang) if release is not None else None,
    )


# The columns of `RecordPublic` but `subject_id`, in the order `_records` reads them.
_RECORD_FIELDS = (
    "id",
    "category",
    "data",
    "source",
    "origin",
    "restricted",
    "version",
    "created_at",
    "updated_at",
)
_RECORDS = TypeAdapter(list[RecordPublic])


def _records(session: Session, subject_id: uuid.UUID) -> list[RecordPublic]:
    """The subject's records, in id order. Read as rows and validated in one call: ORM
    objects (identity map, instrumented attributes, per-row events) cost twice as much
    for a subject with thousands of records, and the report changes none of them.
    The statement names the mapped columns, so the session's tenant scope applies."""
    rows = session.execute(
        sa.select(*(getattr(Record, name) for name in _RECORD_FIELDS))
        .where(col(Record.subject_id) == subject_id)
        .order_by(col(Record.id))
    ).all()
    return _RECORDS.validate_python(
        [dict(zip(_RECORD_FIELDS, row, strict=True), subject_id=subject_id) for row in rows]
    )


def _released(record: RecordPublic, release: Release | None) -> RecordPublic:
    if release is None:
        return record
    return record.model_copy(update={"data": release.data(record.id, record.data)})


def _basis_words(text: NoticeText, codes: Sequence[str], lang: Lang) -> tuple[list, str]:
    bases = list(dict.fromkeys(p.legal_basis for p in text.purposes if p.code in codes))
    words = "; ".join(
        f"{LEGAL_BASIS_TEXT[b][lang][0]} ({LEGAL_BASIS_TEXT[b][lang][1]})" for b in bases
    )
    return bases, words


def _category(
    text: NoticeText | None, category: Category, count: int, lang: Lang
) -> ReportCategory:
    if text is None or category not in text.categories:
        return ReportCategory(
            category=category.value,
            records=count,
            description=None,
            purposes=None,
            legal_bases=None,
            legal_basis=None,
        )
    described = text.categories[category]
    bases, words = _basis_words(text, described.purposes, lang)
    return ReportCategory(
        category=category.value,
        records=count,
        description=described.description,
        purposes=list(described.purposes),
        legal_bases=bases,
        legal_basis=words,
    )


def _purposes(text: NoticeText, held: Sequence[Category], lang: Lang) -> list[ReportPurpose]:
    """The purposes that the subject's categories serve, in the notice's order."""
    served: dict[str, list[str]] = defaultdict(list)
    for category in held:
        described = text.categories.get(category)
        for code in described.purposes if described else []:
            served[code].append(category.value)
    return [
        ReportPurpose(
            code=p.code,
            title=p.title,
            description=p.description,
            legal_basis=p.legal_basis,
            legal_basis_text=LEGAL_BASIS_TEXT[p.legal_basis][lang][0],
            article=LEGAL_BASIS_TEXT[p.legal_basis][lang][1],
            legitimate_interest=p.legitimate_interest,
            categories=served[p.code],
        )
        for p in text.purposes
        if p.code in served
    ]


def _retention(
    text: NoticeText | None,
    held: Sequence[Category],
    records: Sequence[RecordPublic],
    policy: SubjectRetention,
    lang: Lang,
) -> list[ReportRetention]:
    # A rule only ever covers records of its own category: most records (network logs,
    # notes) have none, and need no facts and no date.
    rules_of: dict[str, list[RuleLike]] = defaultdict(list)
    for rule in policy.rules:
        rules_of[rule.category].append(rule)
    dated: dict[str, list[ReportRecordRetention]] = defaultdict(list)
    for record in records:
        category = record.category.value
        if category not in rules_of:
            continue
        facts = policy.facts(category, record.data, record.created_at)
        for hold in statutory_holds(rules_of[category], facts, policy.settings):
            if hold.until is not None and hold.until >= policy.today:
                dated[category].append(
                    ReportRecordRetention(
                        record_id=record.id,
                        until=hold.until,
                        rule=hold.rule_code,
                        reference=hold.reference,
                    )
                )
    by_code = {rule.code: rule for rule in policy.rules}
    out = []
    for category in held:
        described = text.categories.get(category) if text else None
        if described is None:
            out.append(
                ReportRetention(
                    category=category.value,
                    period=None,
                    rules=None,
                    criteria=None,
                    records=dated[category.value],
                )
            )
            continue
        named = [
            ReportRetentionRule(
                code=code,
                reference=by_code[code].reference,
                title=_rule_title(by_code[code], lang),
            )
            for code in described.retention.rules
            if code in by_code
        ]
        period = " ".join(
            [*(f"{r.title} ({r.reference})" for r in named), described.retention.criteria or ""]
        ).strip()
        out.append(
            ReportRetention(
                category=category.value,
                period=period,
                rules=named,
                criteria=described.retention.criteria,
                records=dated[category.value],
            )
        )
    return out


def _rule_title(rule: RuleLike, lang: Lang) -> str:
    title = getattr(rule, "title_sv" if lang == "sv" else "title_en", None)
    return str(title) if title else rule.reference


def _sources(text: NoticeText | None, records: Sequence[RecordPublic]) -> ReportSources:
    by_source: dict[str, set[str]] = defaultdict(set)
    origins: dict[str, set[str]] = defaultdict(set)
    for source, category, origin in {(r.source, r.category, r.origin) for r in records}:
        by_source[source].add(category.value)
        origins[source].add(origin.value)
    return ReportSources(
        description=text.sources if text else None,
        systems=[
            ReportSource(
                source=source,
                categories=sorted(by_source[source]),
                origin=sorted(origins[source]),
            )
            for source in sorted(by_source)
        ],
    )


def _transfers(text: NoticeText, lang: Lang) -> ReportTransfers:
    return ReportTransfers(
        outside_eea=text.transfers_outside_eea,
        transfers=[
            ReportTransfer(
                country=t.country,
                country_name=country_name(t.country, lang),
                recipient=t.recipient,
                mechanism=t.mechanism,
                article=MECHANISM_ARTICLE[t.mechanism][lang],
                safeguard=t.safeguard,
                safeguard_copy=t.safeguard_copy,
            )
            for t in text.transfers
        ],
    )


@cache
def _country_names(lang: Lang) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def country_name(code: str, lang: Lang) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    return _country_names(lang).gettext(name)


def named_recipients(session: Session, subject_id: uuid.UUID) -> list[ReportNamedRecipient]:
    """The tenant's recipients that were sent (or are to be sent) events about the
    subject: deliveries whose payload names it. Payloads carry ids only; the recipient
    is a system that holds the subject's data, which is why it is told (Art 19)."""
    about_subject = col(Delivery.payload)["subject_id"].as_string() == str(subject_id)
    rows = session.execute(
        sa.select(
            col(Recipient.id),
            col(Recipient.name),
            col(Delivery.event_type),
            func.min(Delivery.created_at),
            func.max(Delivery.created_at),
        )
        .join(Delivery, col(Delivery.recipient_id) == col(Recipient.id))
        .where(about_subject)
        .group_by(col(Recipient.id), col(Recipient.name), col(Delivery.event_type))
    ).all()
    grouped: dict[uuid.UUID, ReportNamedRecipient] = {}
    for recipient_id, name, event_type, first, last in rows:
        entry = grouped.get(recipient_id)
        if entry is None:
            grouped[recipient_id] = ReportNamedRecipient(
                id=recipient_id,
                name=name,
                events=[event_type],
                first_sent_at=first,
                last_sent_at=last,
            )
            continue
        entry.events = sorted({*entry.events, event_type})
        entry.first_sent_at = min(entry.first_sent_at, first)
        entry.last_sent_at = max(entry.last_sent_at, last)
    return sorted(grouped.values(), key=lambda r: (r.name, str(r.id)))
