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
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, TypedDict

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON
from sqlmodel import Session, col, select

from app.core.db import Reader, ScopedReader, current_tenant, json_list, run_blocking
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.rights.schemas import CheckKind, MarketingCheckRequest, RefusalReason
from app.subjects.identifiers import normalise_email, normalise_phone
from app.subjects.models import Subject, SubjectIdentifier
from app.subjects.schemas import SubjectStatus
from app.subjects.suppression import (
    MarketingSuppression,
    digester,
    spread_objection,
    subjects_by_digest,
    suppressed_among,
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
"""A check of up to this many items is a small one (the CRM screen): see the router."""

_EMAIL, _PHONE, _SUBJECT_ID = (kind.value for kind in CheckKind)
_OBJECTION, _RESTRICTED, _ERASED, _UNKNOWN_SUBJECT = (
    RefusalReason.objection.value,
    RefusalReason.restricted.value,
    RefusalReason.erased.value,
    RefusalReason.unknown_subject.value,
)
_ERRORS = {
    _EMAIL: "not a valid email address",
    _PHONE: "not a valid phone number",
    _SUBJECT_ID: "not a valid subject id",
}


class Verdict(TypedDict):
    """One item's answer; the `MarketingVerdict` schema of the API."""

    kind: str
    value: str
    allowed: bool
    reason: str | None
    error: str | None


async def check(reader: Reader, body: MarketingCheckRequest, *, secret: str) -> list[Verdict]:
    """A verdict per item, in the order emails, phones, subject_ids.

    Emails and phones are answered by one statement (`_identifier_refusals`), subject ids
    by a few more; each takes its values as one JSON list parameter, so a check of one
    item and one of 10,000 run the same prepared statements, built once per dialect.
    """
    statements = _statements(reader.dialect.name)
    digest = digester(secret, reader.tenant_id)
    identifiers = [(_EMAIL, raw) for raw in body.emails] + [(_PHONE, raw) for raw in body.phones]
    keys, refused = await _identifier_refusals(reader, statements, digest, identifiers)
    subject_ids = _canonical([(_SUBJECT_ID, raw) for raw in body.subject_ids])
    by_id = await _subject_reasons(
        reader, statements, digest, {uuid.UUID(key) for key in subject_ids if key is not None}
    )
    # Plain dicts (the `MarketingVerdict` shape): 10,000 models would cost more than the
    # lookups themselves.
    results: list[Verdict] = []
    for (kind, raw), key in zip(identifiers, keys, strict=True):
        reason = None if key is None else refused.get((kind, key))
        results.append(_verdict(kind, raw, key, reason))
    for raw, key in zip(body.subject_ids, subject_ids, strict=True):
        reason = None if key is None else by_id.get(uuid.UUID(key), _UNKNOWN_SUBJECT)
        results.append(_verdict(_SUBJECT_ID, raw, key, reason))
    return results


def _verdict(kind: str, raw: str, key: str | None, reason: str | None) -> Verdict:
    if key is None:
        return {"kind": kind, "value": raw, "allowed": False, "reason": None,
                "error": _ERRORS[kind]}  # fmt: skip
    return {"kind": kind, "value": raw, "allowed": reason is None, "reason": reason,
            "error": None}  # fmt: skip


def _canonical(items: list[tuple[str, str]]) -> list[str | None]:
    """Each (kind, raw) item's canonical form (the function storage uses), None where
    invalid."""
    keys: list[str | None] = []
    for kind, raw in items:
        try:
            keys.append(_CANONICAL[kind](raw))
        except ValueError:
            keys.append(None)
    return keys


def _subject_id(raw: str) -> str:
    return str(uuid.UUID(raw.strip()))


_CANONICAL: dict[str, Callable[[str], str]] = {
    _EMAIL: normalise_email,
    _PHONE: normalise_phone,
    _SUBJECT_ID: _subject_id,
}


class _Statements(NamedTuple):
    """The check's statements for one dialect. Each takes its values as a JSON list in
    one bound parameter; each runs through a `Reader`, with the tenant filter of every
    other query."""

    dialect: str
    identifiers: Any  # (kind | "suppressed", value | digest, objected) of emails, phones
    merged_into: Any  # (id, merged_into) of the merged duplicates among `ids`
    subjects: Any  # (id, status, restricted, marketing_objection) of `ids`
    identifiers_of: Any  # (subject_id, kind, value) of the subjects `ids`
    suppressed: Any  # the suppressed ones of `digests`


_SUPPRESSED = "suppressed"


@cache
def _statements(dialect: str) -> _Statements:
    kind, value = col(SubjectIdentifier.kind), col(SubjectIdentifier.value)
    objected = col(Subject.marketing_objection)
    digest = col(MarketingSuppression.digest)

    if dialect == "postgresql":
        # The (kind, value) pairs asked for, each probed through the index on
        # (tenant_id, kind, value) and then the subject's key. A set-returning function
        # of a parameter is planned at a fixed 100 rows whatever the list's length, so
        # a batch of 10,000 never turns into a hash join of both whole tables (several
        # times slower than 10,000 probes), however the prepared statement is planned.
        pairs = (
            sa.func.json_array_elements(sa.cast(sa.bindparam("pairs", type_=sa.Text()), JSON))
            .table_valued(sa.column("pair", JSON))
            .render_derived(name="wanted")
        )
        asked = (
            sa.select(kind, value, objected)
            .select_from(pairs)
            .join(
                SubjectIdentifier,
                (kind == _element(pairs.c.pair, 0)) & (value == _element(pairs.c.pair, 1)),
            )
        )
    else:
        # Each value under either kind; pairs not asked for are dropped by the caller.
        either = [sa.literal_column(f"'{k}'", sa.String) for k in (_EMAIL, _PHONE)]
        asked = (
            sa.select(kind, value, objected)
            .where(kind.in_(either))
            .where(value.in_(json_list("values", dialect)))
        )
    # Emails, phones and the suppression digests in one round trip.
    identifiers = sa.union_all(
        asked.join(Subject, col(Subject.id) == col(SubjectIdentifier.subject_id)).where(
            col(Subject.restricted) | objected
        ),
        sa.select(sa.literal_column(f"'{_SUPPRESSED}'", sa.String), digest, sa.true()).where(
            digest.in_(json_list("digests", dialect))
        ),
    )
    ids = json_list("ids", dialect, uuids=True)
    return _Statements(
        dialect=dialect,
        identifiers=identifiers,
        merged_into=select(Subject.id, Subject.merged_into)
        .where(col(Subject.id).in_(ids))
        .where(col(Subject.merged_into).is_not(None)),
        subjects=select(
            Subject.id, Subject.status, Subject.restricted, Subject.marketing_objection
        ).where(col(Subject.id).in_(ids)),
        identifiers_of=select(
            SubjectIdentifier.subject_id, SubjectIdentifier.kind, SubjectIdentifier.value
        ).where(col(SubjectIdentifier.subject_id).in_(ids)),
        suppressed=suppressed_among(dialect),
    )


def _element(pair: Any, index: int) -> Any:
    """`pair ->> index` with the index written in (not one more bound parameter)."""
    return pair.op("->>", return_type=sa.Text())(sa.literal_column(str(index)))


def _ids(ids: Iterable[uuid.UUID], dialect: str) -> str:
    return json.dumps(sorted(str(i) if dialect == "postgresql" else i.hex for i in ids))


# From this many emails and phones on PostgreSQL, the lookup is split in two halves run
# at once on two connections: its index probes are most of a bulk check's time, and the
# server runs each statement on one core. Below, one statement is quicker.
SPLIT_FROM = 2_000
# At most two split lookups at once (a second connection each); more would not run
# faster and would take connections that other calls need. The others run unsplit.
_splits = threading.BoundedSemaphore(2)


async def _identifier_refusals(
    reader: Reader,
    statements: _Statements,
    digest: Callable[[str, str], str],
    identifiers: list[tuple[str, str]],
) -> tuple[list[str | None], dict[tuple[str, str], str]]:
    """The canonical form of each (kind, raw) email and phone (None: invalid), and the
    (kind, canonical) ones that may not be used, with the reason: suppressed (an
    objection, also of an erased subject) or of a live subject that objects or is
    restricted."""
    keys = _canonical(identifiers)
    wanted = {
        (kind, key) for (kind, _), key in zip(identifiers, keys, strict=True) if key is not None
    }
    pairs = sorted(wanted)  # PostgreSQL then probes its index in order
    if (
        isinstance(reader, ScopedReader)  # a bulk check, in a worker thread
        and statements.dialect == "postgresql"
        and len(pairs) >= SPLIT_FROM
        and _splits.acquire(blocking=False)
    ):
        # The first half on a second reader of the same tenant (the same tenant filter;
        # on PostgreSQL a reader sees committed data statement by statement anyway), the
        # second on this one, at once: PostgreSQL runs the two halves' probes on two
        # cores.
        half = len(pairs) // 2
        try:
            with (
                ScopedReader(reader.engine, reader.tenant_id) as other,
                ThreadPoolExecutor(1) as pool,
            ):
                first = pool.submit(run_blocking, _blocked(other, statements, digest, pairs[:half]))
                found = await _blocked(reader, statements, digest, pairs[half:]) + first.result()
        finally:
            _splits.release()
    else:
        found = await _blocked(reader, statements, digest, pairs)
    refused: dict[tuple[str, str], str] = {}
    for kind, value, objected in found:
        if (kind, value) not in wanted:
            continue  # the same text asked for as the other kind (SQLite)
        if objected:
            refused[(kind, value)] = _OBJECTION
        else:
            refused.setdefault((kind, value), _RESTRICTED)
    return keys, refused


async def _blocked(
    reader: Reader,
    statements: _Statements,
    digest: Callable[[str, str], str],
    pairs: list[tuple[str, str]],
) -> list[tuple[str, str, bool]]:
    """(kind, value, objected) of the (kind, canonical) pairs that are suppressed
    (objected) or belong to a live subject that objects or is restricted; one round
    trip."""
    if not pairs:
        return []
    by_digest = {digest(kind, key): (kind, key) for kind, key in pairs}
    parameters = {"digests": json.dumps(sorted(by_digest))}
    if statements.dialect == "postgresql":
        parameters["pairs"] = json.dumps(pairs)
    else:
        parameters["values"] = json.dumps(sorted({key for _, key in pairs}))
    found: list[tuple[str, str, bool]] = []
    for kind, value, objected in await reader.rows(statements.identifiers, parameters):
        if kind == _SUPPRESSED:
            found.append((*by_digest[value], True))
        else:
            found.append((kind, value, objected))
    return found


async def _subject_reasons(
    reader: Reader,
    statements: _Statements,
    digest: Callable[[str, str], str],
    ids: set[uuid.UUID],
) -> dict[uuid.UUID, str | None]:
    """Known subjects with their refusal (None: allowed); unknown ids are absent.

    A subject objects by its own objection or by any suppressed email or phone (a
    re-import of an objecting person, or a duplicate sharing an identifier).
    """
    if not ids:
        return {}
    dialect = statements.dialect
    # A merged duplicate's id answers for the subject it was merged into.
    merged_into: dict[uuid.UUID, uuid.UUID] = dict(
        await reader.rows(statements.merged_into, {"ids": _ids(ids, dialect)})
    )
    own = (ids - set(merged_into)) | set(merged_into.values())
    found: dict[uuid.UUID, str | None] = {}
    for sid, status, restricted, objected in await reader.rows(
        statements.subjects, {"ids": _ids(own, dialect)}
    ):
        if objected:
            found[sid] = _OBJECTION
        elif status == SubjectStatus.erased:
            found[sid] = _ERASED
        elif restricted:
            found[sid] = _RESTRICTED
        else:
            found[sid] = None
    undecided = [sid for sid, reason in found.items() if reason != _OBJECTION]
    if undecided:
        identifiers = await reader.rows(
            statements.identifiers_of, {"ids": _ids(undecided, dialect)}
        )
        by_digest = subjects_by_digest(identifiers, digest=digest)
        for (hit,) in await reader.rows(
            statements.suppressed, {"digests": json.dumps(sorted(by_digest))}
        ):
            for sid in by_digest[hit]:
                found[sid] = _OBJECTION
    for merged_id, target in merged_into.items():
        if target in found:
            found[merged_id] = found[target]
    return found
