"""Onboarding a tenant's contacts in bulk: `POST /v1/subjects/import` (NDJSON).

Each line is one subject create body (`SubjectCreate`, validated exactly as for
`POST /v1/subjects`) with at least one external reference. The external references
make a line idempotent:

- none of them is known in the tenant: the subject is created;
- all of them belong to one subject that already holds everything the line says
  (its emails, phones, references and records): the line is `unchanged` and nothing
  is written;
- otherwise the line `failed` with a clear error and nothing of it is written. An
  import never changes an existing subject: a correction of stored data goes through
  rectification (`PATCH /v1/records/{id}`), which keeps the record's history, its
  `If-Match` check and its holds; a bulk upsert would bypass all three, and which of
  a subject's records a changed line means is not knowable from the line.

Lines are handled in batches, one transaction each, with the audit event of the batch
(counts only). The rows of a batch are written set-based (one multi-row statement per
table), stamped with the tenant the session is bound to (`app.core.db`); every read
goes through the session's tenant scoping. The objection invariant holds as for one
create (`app.subjects.suppression`): a new subject with a suppressed email or phone —
someone objected with it, perhaps under a subject erased since — is created objecting
and the objection is spread to every subject sharing its identifiers (Art 21(3)).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.core.clock import session_now
from app.core.db import current_tenant
from app.core.errors import validation_issues
from app.core.ids import uuid7
from app.notifications.models import Recipient
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.subjects.categories import Category, dump_data
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier
from app.subjects.schemas import SubjectCreate, SubjectStatus
from app.subjects.service import EMAIL, PHONE
from app.subjects.suppression import MarketingSuppression, digester, spread_objection

# Lines per transaction: big enough that a statement's round trip is shared by many
# rows, small enough that a batch's memory and its lock time stay small.
BATCH_LINES = 1000
MAX_ERRORS_PER_LINE = 20
# Rows per IN (...) lookup: well under SQLite's limit of bound parameters.
_LOOKUP_CHUNK = 500

NUL_MESSAGE = "must not contain the NUL character (U+0000)"
NEEDS_REF = (
    "give at least one external reference: it identifies the line when the import is repeated"
)
BOM = b"\xef\xbb\xbf"

RefKey = tuple[str, str]
RecordKey = tuple[str, str, str, str]  # category, origin, source, canonical data
RecordRow = tuple[str, str, str, dict[str, Any]]  # category, origin, source, stored data


@dataclass
class Line:
    """One non-blank line of the body: its number (from 1) and its bytes, or None when
    it was longer than the limit (its bytes were not kept)."""

    number: int
    raw: bytes | None


@dataclass
class LineFailure:
    line: int
    errors: list[dict[str, Any]]


@dataclass
class BatchResult:
    created: int = 0
    unchanged: int = 0
    failures: list[LineFailure] = field(default_factory=list)


@dataclass
class _Valid:
    number: int
    body: SubjectCreate
    identifiers: list[tuple[str, str]]  # (kind, canonical value), in the order of a create
    refs: list[RefKey]
    records: list[RecordRow]

    def record_keys(self) -> list[RecordKey]:
        return [(c, o, s, _canonical(d)) for c, o, s, d in self.records]


def _fail(number: int, msg: str, loc: Sequence[str | int] = ()) -> LineFailure:
    return LineFailure(number, [{"loc": list(loc), "msg": msg}])


def parse_line(line: Line, *, max_line_bytes: int) -> _Valid | LineFailure:
    """The line validated as a subject create body, or why it is not one."""
    if line.raw is None:
        return _fail(line.number, f"the line exceeds {max_line_bytes} bytes")
    if b"\\u0000" in line.raw or b"\x00" in line.raw:
        return _fail(line.number, NUL_MESSAGE)
    try:
        body = SubjectCreate.model_validate_json(line.raw)
    except ValidationError as exc:
        issues = validation_issues(exc.errors(include_input=False, include_context=False))
        return LineFailure(line.number, issues[:MAX_ERRORS_PER_LINE])
    if not body.external_refs:
        return _fail(line.number, NEEDS_REF, ["external_refs"])
    identifiers: dict[tuple[str, str], None] = {}
    for value in body.emails:
        identifiers[(EMAIL, value)] = None
    for value in body.phones:
        identifiers[(PHONE, value)] = None
    records: list[RecordRow] = []
    for record in body.records:
        data = dump_data(record.data)
        records.append((record.category.value, record.origin.value, record.source, data))
        # A contact's email and phone are identifiers too (as `register_contact_identifiers`).
        if record.category == Category.contact:
            if email := data.get("email"):
                identifiers[(EMAIL, email)] = None
            if phone := data.get("phone"):
                identifiers[(PHONE, phone)] = None
    refs = list(dict.fromkeys((ref.system, ref.id) for ref in body.external_refs))
    return _Valid(line.number, body, list(identifiers), refs, records)


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chunks(values: Sequence[Any], size: int = _LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _matching(
    session: Session, key: Any, values: Sequence[Any], columns: Sequence[Any], *criteria: Any
) -> list[Any]:
    """The rows of `columns` (of one table) whose `key` is one of `values` and that meet
    `criteria`; the session's tenant scoping applies as to any query.

    PostgreSQL: one probe of `key`'s index per value, whatever the planner's statistics
    say. The obvious `key = ANY(:values)` leaves the plan to them, and on a table that
    grows during an import (its statistics still say "empty" until the next ANALYZE)
    the planner takes the tenant's part of the (tenant, system, ref) index as one row,
    reads all of it and filters it against the whole array (with a prepared statement's
    generic plan, by a linear search): seconds per batch after a few hundred thousand
    references, growing with every batch. Here the values are `unnest`ed and each is
    looked up in a LATERAL subquery that `OFFSET 0` keeps the planner from flattening
    into a join, so the plan is a nested loop of one index lookup per value, with one
    array parameter however many values. SQLite: `IN` lists, in chunks.
    """
    if not values:
        return []
    if session.get_bind().dialect.name != "postgresql":
        return [
            row
            for chunk in _chunks(values)
            for row in session.execute(
                sa.select(*columns).where(key.in_(list(chunk)), *criteria)
            ).all()
        ]
    from sqlalchemy.dialects.postgresql import ARRAY

    item_type = key.type if not isinstance(key.type, sa.Uuid) else sa.Uuid()
    wanted = (
        sa.func.unnest(sa.bindparam("wanted", list(values), type_=ARRAY(item_type)))
        .table_valued("value")
        .render_derived(name="wanted")
    )
    found = (
        sa.select(*columns)
        .where(key == wanted.c.value, *criteria)
        .offset(sa.literal_column("0"))
        .lateral("found")
    )
    return list(session.execute(sa.select(*found.c).select_from(wanted).join(found, sa.true())))


def _suppressed(session: Session, digests: Sequence[str]) -> set[str]:
    """Which of the digests are suppressed in the tenant (as `suppressed_digests`)."""
    digest = col(MarketingSuppression.digest)
    return {row[0] for row in _matching(session, digest, sorted(set(digests)), [digest])}


def _known_refs(session: Session, refs: Sequence[RefKey]) -> dict[RefKey, uuid.UUID]:
    """Which of the references exist in the tenant, and whose they are."""
    by_system: dict[str, set[str]] = {}
    for system, ref in refs:
        by_system.setdefault(system, set()).add(ref)
    found: dict[RefKey, uuid.UUID] = {}
    key = col(ExternalRef.ref)
    for system, wanted in sorted(by_system.items()):
        rows = _matching(
            session,
            key,
            sorted(wanted),
            [key, col(ExternalRef.subject_id)],
            col(ExternalRef.system) == system,
        )
        found.update({(system, ref): sid for ref, sid in rows})
    return found


@dataclass
class _Held:
    """What an existing subject holds, to tell whether a line adds anything to it."""

    status: str = ""
    identifiers: set[tuple[str, str]] = field(default_factory=set)
    refs: set[RefKey] = field(default_factory=set)
    records: Counter[RecordKey] = field(default_factory=Counter)


def _held(
    session: Session, known: dict[RefKey, uuid.UUID], lines: Sequence[_Valid]
) -> dict[uuid.UUID, _Held]:
    """What the owners of the known references hold, as far as the lines can ask.

    Every lookup is by a whole index key (`_matching`): a subject by its id, its
    identifiers by (tenant, kind, value) — only the lines' own identifiers matter — and
    its records by subject. Its references are `known` already: a reference is unique
    in the tenant, so a line's reference the owner holds is one of them.
    """
    held: dict[uuid.UUID, _Held] = {sid: _Held() for sid in set(known.values())}
    if not held:
        return held
    for ref, sid in known.items():
        held[sid].refs.add(ref)
    ids = sorted(held)
    for sid, status in _matching(
        session, col(Subject.id), ids, [col(Subject.id), col(Subject.status)]
    ):
        held[sid].status = status
    asked: dict[str, set[str]] = {}
    for line in lines:
        if any(ref in known for ref in line.refs):
            for kind, value in line.identifiers:
                asked.setdefault(kind, set()).add(value)
    key = col(SubjectIdentifier.value)
    for kind, values in sorted(asked.items()):
        for sid, value in _matching(
            session,
            key,
            sorted(values),
            [col(SubjectIdentifier.subject_id), key],
            col(SubjectIdentifier.kind) == kind,
        ):
            if sid in held:
                held[sid].identifiers.add((kind, value))
    owner = col(Record.subject_id)
    columns = [
        owner,
        col(Record.category),
        col(Record.origin),
        col(Record.source),
        col(Record.data),
    ]
    for sid, category, origin, source, data in _matching(session, owner, ids, columns):
        held[sid].records[(category, origin, source, _canonical(data))] += 1
    return held


def _adds_nothing(line: _Valid, held: _Held) -> bool:
    return (
        set(line.identifiers) <= held.identifiers
        and set(line.refs) <= held.refs
        and not (Counter(line.record_keys()) - held.records)
    )


@dataclass
class ParsedBatch:
    """A batch of lines validated, before any of it is looked up or stored."""

    valid: list[_Valid]
    failures: list[LineFailure]


def parse_lines(lines: Sequence[Line], *, max_line_bytes: int) -> ParsedBatch:
    """Validate a batch's lines (no database: it may run while the batch before is
    being stored)."""
    batch = ParsedBatch([], [])
    for line in lines:
        parsed = parse_line(line, max_line_bytes=max_line_bytes)
        if isinstance(parsed, LineFailure):
            batch.failures.append(parsed)
        else:
            batch.valid.append(parsed)
    return batch


def import_lines(
    session: Session, lines: Sequence[Line], *, hash_secret: str, max_line_bytes: int
) -> BatchResult:
    """Import one batch of lines in the session's transaction (the caller commits)."""
    return import_parsed(
        session, parse_lines(lines, max_line_bytes=max_line_bytes), hash_secret=hash_secret
    )


def import_parsed(session: Session, batch: ParsedBatch, *, hash_secret: str) -> BatchResult:
    """Import one validated batch in the session's transaction (the caller commits)."""
    result = BatchResult(failures=list(batch.failures))
    valid = batch.valid
    if not valid:
        return result

    known = _known_refs(session, [ref for line in valid for ref in line.refs])
    held = _held(session, known, valid)
    to_create: list[_Valid] = []
    # References taken by an earlier line of this batch, and what that line said.
    batch_refs: dict[RefKey, _Valid] = {}
    for item in valid:
        owners = {known[ref] for ref in item.refs if ref in known}
        earlier = {id(batch_refs[ref]): batch_refs[ref] for ref in item.refs if ref in batch_refs}
        if not owners and not earlier:
            to_create.append(item)
            batch_refs.update(dict.fromkeys(item.refs, item))
            continue
        if (owners and earlier) or len(owners) > 1 or len(earlier) > 1:
            result.failures.append(
                _fail(
                    item.number,
                    "the external references of this line belong to different subjects",
                    ["external_refs"],
                )
            )
            continue
        if earlier:
            (first,) = earlier.values()
            if (first.identifiers, first.refs, first.record_keys()) == (
                item.identifiers,
                item.refs,
                item.record_keys(),
            ):
                result.unchanged += 1
            else:
                result.failures.append(
                    _fail(
                        item.number,
                        f"line {first.number} has the same external reference with other data",
                        ["external_refs"],
                    )
                )
            continue
        (owner,) = owners
        subject = held[owner]
        if subject.status == SubjectStatus.erased:
            result.failures.append(
                _fail(
                    item.number,
                    f"the external reference belongs to subject {owner}, which was erased; "
                    "an erased subject is not imported again",
                    ["external_refs"],
                )
            )
        elif _adds_nothing(item, subject):
            result.unchanged += 1
        else:
            result.failures.append(
                _fail(
                    item.number,
                    f"the external reference belongs to subject {owner}, which holds other "
                    "data; an import never changes a subject: correct it through the API "
                    "(rectification keeps the record's history and holds)",
                    ["external_refs"],
                )
            )
    if to_create:
        _create(session, to_create, hash_secret=hash_secret)
        result.created = len(to_create)
    result.failures.sort(key=lambda failure: failure.line)
    return result


def _create(session: Session, lines: Sequence[_Valid], *, hash_secret: str) -> None:
    """Insert the subjects of the lines, set-based, keeping the objection invariant."""
    tenant_id = current_tenant(session)
    now = session_now(session)
    digest = digester(hash_secret, tenant_id)
    digests = {
        (kind, value): digest(kind, value) for line in lines for kind, value in line.identifiers
    }
    suppressed = _suppressed(session, list(digests.values()))

    subjects: list[dict[str, Any]] = []
    identifiers: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    objecting: list[uuid.UUID] = []
    for line in lines:
        subject_id = uuid7()
        # A suppressed email or phone: the person objected before (Art 21(3)).
        objects = any(digests[i] in suppressed for i in line.identifiers)
        if objects:
            objecting.append(subject_id)
        subjects.append(
            {
                "tenant_id": tenant_id,
                "id": subject_id,
                "status": SubjectStatus.active.value,
                "restricted": False,
                "marketing_objection": objects,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for kind, value in line.identifiers:
            identifiers.append(
                {
                    "tenant_id": tenant_id,
                    "id": uuid7(),
                    "subject_id": subject_id,
                    "kind": kind,
                    "value": value,
                    "created_at": now,
                }
            )
        for system, ref in line.refs:
            refs.append(
                {
                    "tenant_id": tenant_id,
                    "id": uuid7(),
                    "subject_id": subject_id,
                    "system": system,
                    "ref": ref,
                    "created_at": now,
                }
            )
        for category, origin, source, data in line.records:
            records.append(
                {
                    "tenant_id": tenant_id,
                    "id": uuid7(),
                    "subject_id": subject_id,
                    "category": category,
                    "data": data,
                    "source": source,
                    "origin": origin,
                    "restricted": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for model, rows in (
        (Subject, subjects),
        (SubjectIdentifier, identifiers),
        (ExternalRef, refs),
        (Record, records),
    ):
        if rows:
            _insert(session, model, rows)
    for subject_id in objecting:
        subject = session.get(Subject, subject_id)
        assert subject is not None
        spread_objection(session, subject, secret=hash_secret)
    _notify_created(session, [row["id"] for row in subjects], tenant_id=tenant_id, now=now)
    session.flush()


def _insert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert the rows (already stamped with the session's tenant) in one go.

    PostgreSQL: `COPY ... FROM STDIN` through psycopg, in the session's transaction (a
    tenth of the time of a multi-row INSERT). SQLite: one `executemany`.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(sa.insert(model), rows)
        return
    table = model.__table__
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, sa.JSON)}
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c], ensure_ascii=False) if c in json_columns else row[c]
                    for c in columns
                ]
            )


def _notify_created(
    session: Session, subject_ids: Sequence[uuid.UUID], *, tenant_id: str, now: Any
) -> None:
    """Tell recipients subscribed to `subject.created` (ids only), as one create does."""
    recipients = session.exec(select(Recipient.event_types).where(col(Recipient.active))).all()
    if not any(EventType.subject_created.value in types for types in recipients):
        return
    for subject_id in subject_ids:
        notify(
            session,
            event_type=EventType.subject_created,
            tenant_id=tenant_id,
            now=now,
            subject_id=subject_id,
        )
