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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from app.core.db import current_tenant
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.rights.schemas import (
    CheckKind,
    MarketingCheckRequest,
    RefusalReason,
)
from app.subjects.identifiers import normalise_email, normalise_phone
from app.subjects.models import Subject, SubjectIdentifier
from app.subjects.schemas import SubjectStatus
from app.subjects.suppression import (
    MarketingSuppression,
    digester,
    spread_objection,
    subjects_with_suppressed,
)


def object_to_marketing(session: Session, subject: Subject, *, secret: str, now: datetime) -> int:
    """Record the objection; returns how many identifiers became suppressed by it.

    The subject's emails and phones are suppressed, and so are those of every subject
    that shares one of them (the same person): see `spread_objection`. A new objection
    is sent to recipients as `subject.marketing_objection` (ids only), so that
    downstream marketing tools stop too (Art 21(3)); a repeated one is not.
    """
    new = not subject.marketing_objection
    if new:
        subject.marketing_objection = True
        subject.updated_at = now
    count = spread_objection(session, subject, secret=secret)
    if new:
        notify(
            session,
            event_type=EventType.subject_marketing_objection,
            tenant_id=current_tenant(session),
            now=now,
            subject_id=subject.id,
        )
    session.flush()
    return count


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


@dataclass(frozen=True)
class _Item:
    kind: CheckKind
    raw: str
    key: str | None  # the canonical identifier, or the id's text; None when invalid
    error: str | None


_ERRORS = {
    CheckKind.email: "not a valid email address",
    CheckKind.phone: "not a valid phone number",
    CheckKind.subject_id: "not a valid subject id",
}


def check(
    session: Session, body: MarketingCheckRequest, *, secret: str, tenant_id: str
) -> list[Verdict]:
    """A verdict per item, in the order emails, phones, subject_ids."""
    dialect = session.get_bind().dialect.name
    items = _parse(body)
    digest = digester(secret, tenant_id)
    digests: dict[tuple[CheckKind, str], str] = {
        (item.kind, item.key): digest(item.kind.value, item.key)
        for item in items
        if item.key is not None and item.kind is not CheckKind.subject_id
    }
    suppressed, blocked = _identifier_lookup(session, digests, dialect)
    ids = {uuid.UUID(item.key) for item in items if item.kind is CheckKind.subject_id and item.key}
    by_id = _subject_reasons(session, ids, digest, dialect)
    # Plain dicts (the `MarketingVerdict` shape): 10,000 models would cost more than the
    # lookups themselves.
    results: list[Verdict] = []
    for item in items:
        reason: RefusalReason | None = None
        if item.key is None:
            pass
        elif item.kind is CheckKind.subject_id:
            reason = by_id.get(uuid.UUID(item.key), RefusalReason.unknown_subject)
        elif digests[(item.kind, item.key)] in suppressed:
            reason = RefusalReason.objection
        else:
            reason = blocked.get((item.kind.value, item.key))
        results.append(
            {
                "kind": item.kind.value,
                "value": item.raw,
                "allowed": item.error is None and reason is None,
                "reason": reason.value if reason is not None else None,
                "error": item.error,
            }
        )
    return results


def _parse(body: MarketingCheckRequest) -> list[_Item]:
    """Every item with its canonical form, the same function storage uses."""
    items: list[_Item] = []
    for kind, values, canonical in (
        (CheckKind.email, body.emails, normalise_email),
        (CheckKind.phone, body.phones, normalise_phone),
        (CheckKind.subject_id, body.subject_ids, _subject_id),
    ):
        for raw in values:
            try:
                items.append(_Item(kind, raw, canonical(raw), None))
            except ValueError:
                items.append(_Item(kind, raw, None, _ERRORS[kind]))
    return items


def _subject_id(raw: str) -> str:
    return str(uuid.UUID(raw.strip()))


def _suppressed(session: Session, digests: set[str], dialect: str) -> set[str]:
    if not digests:
        return set()
    column = col(MarketingSuppression.digest)
    return set(
        session.exec(
            select(MarketingSuppression.digest).where(in_values(column, list(digests), dialect))
        ).all()
    )


_SUPPRESSED = "suppressed"


def _build_lookup(dialect: str) -> Any:
    """Blocked identifiers of live subjects and suppressed digests, in one statement.

    Emails and phones are looked up together, one index probe per (kind, value) asked
    for, and the suppression digests in the same round trip (`UNION ALL`). Built once
    per dialect; the tenant filter is added by the session like for any other query.
    """
    kind, value = col(SubjectIdentifier.kind), col(SubjectIdentifier.value)
    blocked = col(Subject.restricted) | col(Subject.marketing_objection)
    if dialect == "postgresql":
        text_array = postgresql.ARRAY(sa.Text())
        # unnest(kinds, values): the pairs asked for, each looked up on its own
        # (LATERAL) through the index on (tenant_id, kind, value) and the subject's key.
        # A plain join lets the planner hash-join both whole tables for a large batch,
        # several times slower than 10,000 index probes.
        wanted = (
            sa.func.unnest(
                sa.bindparam("kinds", type_=text_array), sa.bindparam("values", type_=text_array)
            )
            .table_valued("kind", "value")
            .render_derived(name="wanted")
        )
        found = (
            sa.select(kind, value, col(Subject.marketing_objection))
            .join(Subject, col(Subject.id) == col(SubjectIdentifier.subject_id))
            .where(kind == wanted.c.kind, value == wanted.c.value, blocked)
            .offset(0)  # keeps the planner from flattening the LATERAL into a join
            .lateral("found")
        )
        identifiers = sa.select(
            found.c.kind, found.c.value, found.c.marketing_objection
        ).select_from(wanted.join(found, sa.true()))
        # The digests likewise, probe by probe: whatever plan PostgreSQL keeps for the
        # prepared statement (a generic plan knows no array's length), it stays an
        # index probe per value, never a scan of every suppression.
        digests = (
            sa.func.unnest(sa.bindparam("digests", type_=text_array))
            .table_valued("digest")
            .render_derived(name="digests")
        )
        hit = (
            sa.select(col(MarketingSuppression.digest))
            .where(col(MarketingSuppression.digest) == digests.c.digest)
            .offset(0)
            .lateral("hit")
        )
        suppressed = sa.select(sa.literal(_SUPPRESSED), hit.c.digest, sa.true()).select_from(
            digests.join(hit, sa.true())
        )
    else:

        def listed(name: str) -> Any:
            return (
                sa.select(sa.column("value"))
                .select_from(sa.func.json_each(sa.bindparam(name, type_=sa.Text())))
                .scalar_subquery()
            )

        identifiers = (
            sa.select(kind, value, col(Subject.marketing_objection))
            .join(Subject, col(Subject.id) == col(SubjectIdentifier.subject_id))
            .where(kind.in_([CheckKind.email.value, CheckKind.phone.value]))
            .where(value.in_(listed("values")))
            .where(blocked)
        )
        suppressed = sa.select(
            sa.literal(_SUPPRESSED), col(MarketingSuppression.digest), sa.true()
        ).where(col(MarketingSuppression.digest).in_(listed("digests")))
    return sa.union_all(identifiers, suppressed)


_lookups: dict[str, Any] = {}


def _identifier_lookup(
    session: Session, digests: dict[tuple[CheckKind, str], str], dialect: str
) -> tuple[set[str], dict[tuple[str, str], RefusalReason]]:
    """(suppressed digests, identifiers of live subjects that may not be used: objecting
    or restricted), in one round trip."""
    if not digests:
        return set(), {}
    statement = _lookups.get(dialect)
    if statement is None:
        statement = _lookups.setdefault(dialect, _build_lookup(dialect))
    wanted = {(kind.value, key) for kind, key in digests}
    pairs = sorted(wanted)
    if dialect == "postgresql":
        parameters: dict[str, Any] = {
            "kinds": [kind for kind, _ in pairs],
            "values": [key for _, key in pairs],
            "digests": sorted(set(digests.values())),
        }
    else:
        parameters = {
            "values": json.dumps(sorted({key for _, key in pairs})),
            "digests": json.dumps(sorted(set(digests.values()))),
        }
    suppressed: set[str] = set()
    blocked: dict[tuple[str, str], RefusalReason] = {}
    for kind, value, objected in session.execute(statement, parameters):
        if kind == _SUPPRESSED:
            suppressed.add(value)
        elif (kind, value) not in wanted:
            continue  # the same text asked for as the other kind
        elif objected:
            blocked[(kind, value)] = RefusalReason.objection
        else:
            blocked.setdefault((kind, value), RefusalReason.restricted)
    return suppressed, blocked


def _subject_reasons(
    session: Session,
    ids: set[uuid.UUID],
    digest: Callable[[str, str], str],
    dialect: str,
) -> dict[uuid.UUID, RefusalReason | None]:
    """Known subjects with their refusal (None: allowed); unknown ids are absent.

    A subject objects by its own objection or by any suppressed email or phone (a
    re-import of an objecting person, or a duplicate sharing an identifier).
    """
    if not ids:
        return {}
    # A merged duplicate's id answers for the subject it was merged into.
    merged_into = dict(
        session.execute(
            select(Subject.id, Subject.merged_into)
            .where(in_values(col(Subject.id), list(ids), dialect))
            .where(col(Subject.merged_into).is_not(None))
        ).all()
    )
    own = (ids - set(merged_into)) | set(merged_into.values())
    found = _own_reasons(session, own, digest, dialect)
    for merged_id, target in merged_into.items():
        if target in found:
            found[merged_id] = found[target]
    return found


def _own_reasons(
    session: Session,
    ids: set[uuid.UUID],
    digest: Callable[[str, str], str],
    dialect: str,
) -> dict[uuid.UUID, RefusalReason | None]:
    found: dict[uuid.UUID, RefusalReason | None] = {}
    for sid, status, restricted, objected in session.execute(
        select(Subject.id, Subject.status, Subject.restricted, Subject.marketing_objection).where(
            in_values(col(Subject.id), list(ids), dialect)
        )
    ).all():
        if objected:
            found[sid] = RefusalReason.objection
        elif status == SubjectStatus.erased:
            found[sid] = RefusalReason.erased
        elif restricted:
            found[sid] = RefusalReason.restricted
        else:
            found[sid] = None
    undecided = [sid for sid, reason in found.items() if reason is not RefusalReason.objection]
    if undecided:
        identifiers = session.execute(
            select(
                SubjectIdentifier.subject_id, SubjectIdentifier.kind, SubjectIdentifier.value
            ).where(in_values(col(SubjectIdentifier.subject_id), undecided, dialect))
        ).all()
        for sid in subjects_with_suppressed(
            ((sid, kind, value) for sid, kind, value in identifiers),
            digest=digest,
            suppressed=lambda digests: _suppressed(session, digests, dialect),
        ):
            found[sid] = RefusalReason.objection
    return found
