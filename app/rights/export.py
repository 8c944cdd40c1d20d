"""Data portability (Art 20): what the subject provided or what was observed, streamed.

Rows are read in keyset-paginated batches inside one read transaction (a consistent
snapshot) and written out as they are read, so memory does not grow with the number of
records. Derived data (`origin: derived`) is not portable data and is left out.

JSON is one document: `{"subject_id", "generated_at", "identifiers", "records": [...]}`.
CSV has a header row and one row per field value: `record_id, category, field, value,
source, origin, created_at`; list values become `field.0`, `field.1`, ...; the
subject's identifiers come first with category `identifier`. A cell of caller-given
text that starts with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`,
so that a spreadsheet shows it as text instead of running it as a formula (OWASP
"CSV injection"); the JSON export gives every value as stored.

Released through a rights request, the export applies the request's third-party review
(`Release`, Art 15(4)): withheld records are left out, redacted fields taken out.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import tenant_session
from app.requests.review import Release
from app.subjects.categories import Origin
from app.subjects.models import ExternalRef, Record, SubjectIdentifier

BATCH_SIZE = 5000
PORTABLE_ORIGINS = [Origin.provided.value, Origin.observed.value]
CSV_HEADER = ["record_id", "category", "field", "value", "source", "origin", "created_at"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value: str) -> str:
    """`value` as a CSV cell that no spreadsheet evaluates as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _batches(session: Session, subject_id: uuid.UUID) -> Iterator[list[Any]]:
    last: uuid.UUID | None = None
    while True:
        statement = (
            sa.select(
                # Ids as text: cheaper than a UUID object per row (see `_dashed`).
                sa.cast(col(Record.id), sa.String),
                col(Record.category),
                # The stored JSON as text: JSON export copies it as it is.
                sa.cast(col(Record.data), sa.Text),
                col(Record.source),
                col(Record.origin),
                col(Record.created_at),
                col(Record.updated_at),
            )
            .where(col(Record.subject_id) == subject_id)
            .where(col(Record.origin).in_(PORTABLE_ORIGINS))
        )
        if last is not None:
            statement = statement.where(col(Record.id) > last)
        rows = session.execute(statement.order_by(col(Record.id)).limit(BATCH_SIZE)).all()
        if not rows:
            return
        yield [(_dashed(row[0]), *row[1:]) for row in rows]
        last = uuid.UUID(rows[-1][0])


def _dashed(text: str) -> str:
    """The canonical form of a UUID read as text (SQLite stores 32 hex digits)."""
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def _prefetched(batches: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """The same batches, with the next one read from the database (in a worker thread,
    the only one using the session) while the current one is being written out.
    At most two batches are held at once."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        handoff.put(("batch", batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(("done", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            handoff.put(("error", exc))

    worker = threading.Thread(target=produce, name="export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = handoff.get()
            if kind == "done":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _identifiers(session: Session, subject_id: uuid.UUID) -> dict[str, Any]:
    identifiers = session.exec(
        select(SubjectIdentifier)
        .where(SubjectIdentifier.subject_id == subject_id)
        .order_by(col(SubjectIdentifier.id))
    ).all()
    refs = session.exec(
        select(ExternalRef)
        .where(ExternalRef.subject_id == subject_id)
        .order_by(col(ExternalRef.id))
    ).all()
    return {
        "emails": [i.value for i in identifiers if i.kind == "email"],
        "phones": [i.value for i in identifiers if i.kind == "phone"],
        "external_refs": [{"system": r.system, "id": r.ref} for r in refs],
    }


def _read(session: Session, subject_id: uuid.UUID) -> Iterator[list[Any]]:
    batches = _batches(session, subject_id)
    # PostgreSQL works in its own process: reading the next batch while this one is
    # written out overlaps the two. SQLite reads in this process, so it would not.
    if session.get_bind().dialect.name == "postgresql":
        return _prefetched(batches)
    return batches


def _snapshot(session: Session) -> None:
    # One consistent view for the whole export, however long the stream takes.
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _released_rows(rows: list[Any], release: Release | None) -> list[Any]:
    """The rows as the request's review releases them: withheld records left out,
    redacted fields taken out of the data (as JSON text, like the stored data)."""
    if release is None:
        return rows
    out = []
    for rid, category, data, *rest in rows:
        if not release.keeps(rid):
            continue
        if rid in release.redacted:
            data = json.dumps(release.data(rid, json.loads(data)), ensure_ascii=False)
        out.append((rid, category, data, *rest))
    return out


def started(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks` with its head and first batch of records read now, before the answer
    starts: a database that cannot serve the export then answers 503, not a 200 that
    breaks off. That is all of it up to 5,000 records; a failure later in a longer export
    can only cut the stream short, the status having been sent."""
    first = list(itertools.islice(chunks, 2))
    return itertools.chain(first, chunks)


def stream_json(
    engine: Engine,
    tenant_id: str,
    subject_id: uuid.UUID,
    generated_at: datetime,
    *,
    release: Release | None = None,
) -> Iterator[bytes]:
    with tenant_session(engine, tenant_id) as session:
        _snapshot(session)
        head: dict[str, Any] = {
            "subject_id": str(subject_id),
            "generated_at": _timestamp(generated_at),
            "identifiers": _identifiers(session, subject_id),
        }
        if release is not None:
            head["third_party_review"] = release.report("en").model_dump(
                mode="json", exclude={"article"}
            )
        yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [').encode()
        first = True
        quote = json.encoder.encode_basestring  # a JSON string literal, escaped
        for batch in _read(session, subject_id):
            rows = _released_rows(batch, release)
            if not rows:
                continue
            parts = [
                f'{{"id": "{rid}", "category": {quote(category)}, "origin": {quote(origin)}, '
                f'"source": {quote(source)}, "created_at": "{_timestamp(created_at)}", '
                f'"updated_at": "{_timestamp(updated_at)}", "data": {data}}}'
                for rid, category, data, source, origin, created_at, updated_at in rows
            ]
            chunk = ",".join(parts)
            yield (chunk if first else "," + chunk).encode()
            first = False
        yield b"]}\n"


def _csv_rows(
    out: list[tuple[str, ...]], head: tuple[str, str], tail: tuple[str, str, str], data: Any
) -> None:
    """Append one row per field value of `data` (lists as `field.0`, `field.1`, ...)."""
    cell = _text_cell
    for key, value in data.items():
        if type(value) is str:
            out.append((*head, cell(key), cell(value), *tail))
        elif isinstance(value, list):
            out.extend(
                (*head, cell(f"{key}.{i}"), cell(str(item)), *tail) for i, item in enumerate(value)
            )
        elif isinstance(value, bool):
            out.append((*head, cell(key), "true" if value else "false", *tail))
        else:
            out.append((*head, cell(key), cell(str(value)), *tail))


def stream_csv(
    engine: Engine,
    tenant_id: str,
    subject_id: uuid.UUID,
    generated_at: datetime,
    *,
    release: Release | None = None,
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def drain() -> bytes:
        out = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return out

    with tenant_session(engine, tenant_id) as session:
        _snapshot(session)
        writer.writerow(CSV_HEADER)
        identifiers = _identifiers(session, subject_id)
        for email in identifiers["emails"]:
            writer.writerow(["", "identifier", "email", _text_cell(email), "", "provided", ""])
        for phone in identifiers["phones"]:
            writer.writerow(["", "identifier", "phone", _text_cell(phone), "", "provided", ""])
        for ref in identifiers["external_refs"]:
            field = _text_cell(f"external_ref.{ref['system']}")
            writer.writerow(["", "identifier", field, _text_cell(ref["id"]), "", "provided", ""])
        yield drain()
        for batch in _read(session, subject_id):
            rows = _released_rows(batch, release)
            lines: list[tuple[str, ...]] = []
            loads = json.loads
            for rid, category, data, source, origin, created_at, _updated_at in rows:
                _csv_rows(
                    lines,
                    (str(rid), category),
                    (_text_cell(source), origin, _timestamp(created_at)),
                    loads(data),
                )
            writer.writerows(lines)
            yield drain()
