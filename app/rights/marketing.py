"""Objection to direct marketing (Art 21(2)-(3)) and the marketing check.

The objection is absolute and immediate: from that moment every check for the subject,
and for any of its emails or phones, answers no — also after the subject is erased and
the same email or phone comes back as a new subject. It is kept as keyed hashes
(see `app.subjects.suppression`). A restricted subject may not be used either.

The check is the hot path: up to 10,000 items, answered with one query per kind of
lookup, never one per item.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from app.rights.schemas import (
    CheckKind,
    MarketingCheckRequest,
    RefusalReason,
)
from app.subjects.identifiers import normalise_email, normalise_phone_for_lookup
from app.subjects.models import Subject, SubjectIdentifier
from app.subjects.schemas import SubjectStatus
from app.subjects.service import EMAIL, PHONE
from app.subjects.suppression import MarketingSuppression, digester, suppress


def object_to_marketing(
    session: Session, subject: Subject, *, secret: str, tenant_id: str, now: datetime
) -> int:
    """Record the objection; returns how many identifiers of the subject are suppressed."""
    identifiers = [(i.kind, i.value) for i in subject.identifiers if i.kind in (EMAIL, PHONE)]
    suppress(session, secret=secret, tenant_id=tenant_id, identifiers=identifiers)
    if not subject.marketing_objection:
        subject.marketing_objection = True
        subject.version += 1
        subject.updated_at = now
    session.flush()
    return len(identifiers)


SMALL_LIST = 32


def in_values(column: Any, values: Sequence[Any], dialect: str) -> Any:
    """`column IN (values)` as one bound parameter, whatever the number of values
    (a plain IN list for a few values, where it plans and runs a little faster)."""
    if len(values) <= SMALL_LIST:
        return column.in_(list(values))
    if dialect == "postgresql":
        element = (
            postgresql.UUID(as_uuid=True)
            if values and isinstance(values[0], uuid.UUID)
            else sa.Text()
        )
        return column == sa.func.any(
            sa.bindparam("values", list(values), type_=postgresql.ARRAY(element), unique=True)
        )
    if values and isinstance(values[0], uuid.UUID):
        values = [v.hex for v in values]
    subquery: sa.Select[Any] = sa.select(sa.column("value")).select_from(
        sa.func.json_each(sa.bindparam("values", json.dumps(list(values)), unique=True))
    )
    return column.in_(subquery.scalar_subquery())


class Verdict(TypedDict):
    """One item's answer; the `MarketingVerdict` schema of the API."""

    kind: str
    value: str
    allowed: bool
    reason: str | None
    error: str | None


def check(
    session: Session, body: MarketingCheckRequest, *, secret: str, tenant_id: str
) -> list[Verdict]:
    """A verdict per item, in the order emails, phones, subject_ids."""
    dialect = session.get_bind().dialect.name
    items: list[tuple[CheckKind, str, str | None, str | None]] = []  # kind, raw, key, error
    for raw in body.emails:
        items.append(
            _normalised(CheckKind.email, raw, normalise_email, "not a valid email address")
        )
    for raw in body.phones:
        items.append(
            _normalised(
                CheckKind.phone, raw, normalise_phone_for_lookup, "not a valid phone number"
            )
        )
    subject_keys: dict[str, uuid.UUID] = {}
    for raw in body.subject_ids:
        try:
            subject_keys[raw] = uuid.UUID(raw.strip())
            items.append((CheckKind.subject_id, raw, raw, None))
        except ValueError:
            items.append((CheckKind.subject_id, raw, None, "not a valid subject id"))

    digest = digester(secret, tenant_id)
    kind_names = {kind: kind.value for kind in CheckKind}
    digests = {
        (kind, key): digest(kind_names[kind], key)
        for kind, _raw, key, _err in items
        if key is not None and kind is not CheckKind.subject_id
    }
    suppressed: set[str] = set()
    if digests:
        suppressed = set(
            session.exec(
                select(MarketingSuppression.digest).where(
                    in_values(
                        col(MarketingSuppression.digest), list(set(digests.values())), dialect
                    )
                )
            ).all()
        )
    # Identifiers of live subjects that may not be used (restricted), by (kind, value).
    blocked: dict[tuple[str, str], RefusalReason] = {}
    for kind in (CheckKind.email, CheckKind.phone):
        values = list({key for (k, key) in digests if k is kind})
        if not values:
            continue
        rows = session.execute(
            sa.select(col(SubjectIdentifier.value), col(Subject.marketing_objection))
            .join(Subject, col(Subject.id) == col(SubjectIdentifier.subject_id))
            .where(col(SubjectIdentifier.kind) == kind.value)
            .where(in_values(col(SubjectIdentifier.value), values, dialect))
            .where(col(Subject.restricted) | col(Subject.marketing_objection))
        ).all()
        for value, objected in rows:
            if objected:
                blocked[(kind.value, value)] = RefusalReason.objection
            else:
                blocked.setdefault((kind.value, value), RefusalReason.restricted)
    subjects: dict[uuid.UUID, tuple[str, bool, bool]] = {}
    if subject_keys:
        ids = list(set(subject_keys.values()))
        for sid, status, restricted, objected in session.execute(
            select(
                Subject.id, Subject.status, Subject.restricted, Subject.marketing_objection
            ).where(in_values(col(Subject.id), ids, dialect))
        ).all():
            subjects[sid] = (status, restricted, objected)

    # Plain dicts (the `MarketingVerdict` shape): 10,000 models would cost more than the
    # lookups themselves.
    results: list[Verdict] = []
    for kind, raw, key, error in items:
        reason: RefusalReason | None = None
        if error is not None:
            results.append(
                {"kind": kind.value, "value": raw, "allowed": False, "reason": None, "error": error}
            )
            continue
        assert key is not None
        if kind is CheckKind.subject_id:
            found = subjects.get(subject_keys[raw])
            if found is None:
                reason = RefusalReason.unknown_subject
            else:
                status, restricted, objected = found
                if objected:
                    reason = RefusalReason.objection
                elif status == SubjectStatus.erased:
                    reason = RefusalReason.erased
                elif restricted:
                    reason = RefusalReason.restricted
        elif digests[(kind, key)] in suppressed:
            reason = RefusalReason.objection
        else:
            reason = blocked.get((kind.value, key))
        results.append(
            {
                "kind": kind.value,
                "value": raw,
                "allowed": reason is None,
                "reason": reason.value if reason is not None else None,
                "error": None,
            }
        )
    return results


def _normalised(
    kind: CheckKind, raw: str, normalise: Any, message: str
) -> tuple[CheckKind, str, str | None, str | None]:
    try:
        return kind, raw, normalise(raw), None
    except ValueError:
        return kind, raw, None, message
