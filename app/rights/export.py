"""Data portability (Art 20): what the subject provided or what was observed, streamed.

Rows are read in keyset-paginated batches inside one read transaction (a consistent
snapshot) and written out as they are read, so memory does not grow with the number of
records. Derived data (`origin: derived`) is not portable data and is left out.

JSON is one document: `{"subject_id", "generated_at", "identifiers", "records": [...]}`.
CSV has a header row and one row per field value: `record_id, category, field, value,
source, origin, created_at`; list values become `field.0`, `field.1`, ...; the
subject's identifiers come first with category `identifier`.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core.db import tenant_session
from app.subjects.categories import Origin
from app.subjects.models import ExternalRef, Record, SubjectIdentifier

BATCH_SIZE = 2000
PORTABLE_ORIGINS = [Origin.provided.value, Origin.observed.value]
CSV_HEADER = ["record_id", "category", "field", "value", "source", "origin", "created_at"]


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _batches(session: Session, subject_id: uuid.UUID) -> Iterator[list[Any]]:
    last: uuid.UUID | None = None
    while True:
        statement = (
            sa.select(
                col(Record.id),
                col(Record.category),
                col(Record.data),
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
        yield list(rows)
        last = rows[-1][0]


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


def _snapshot(session: Session) -> None:
    # One consistent view for the whole export, however long the stream takes.
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def stream_json(
    engine: Engine, tenant_id: str, subject_id: uuid.UUID, generated_at: datetime
) -> Iterator[bytes]:
    with tenant_session(engine, tenant_id) as session:
        _snapshot(session)
        head = {
            "subject_id": str(subject_id),
            "generated_at": _timestamp(generated_at),
            "identifiers": _identifiers(session, subject_id),
        }
        yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [').encode()
        first = True
        for rows in _batches(session, subject_id):
            parts = []
            for rid, category, data, source, origin, created_at, updated_at in rows:
                parts.append(
                    json.dumps(
                        {
                            "id": str(rid),
                            "category": category,
                            "origin": origin,
                            "source": source,
                            "created_at": _timestamp(created_at),
                            "updated_at": _timestamp(updated_at),
                            "data": data,
                        },
                        ensure_ascii=False,
                    )
                )
            chunk = ",".join(parts)
            yield (chunk if first else "," + chunk).encode()
            first = False
        yield b"]}\n"


def _flatten(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, value in data.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield f"{key}.{index}", str(item)
        elif isinstance(value, bool):
            yield key, "true" if value else "false"
        else:
            yield key, str(value)


def stream_csv(
    engine: Engine, tenant_id: str, subject_id: uuid.UUID, generated_at: datetime
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
            writer.writerow(["", "identifier", "email", email, "", "provided", ""])
        for phone in identifiers["phones"]:
            writer.writerow(["", "identifier", "phone", phone, "", "provided", ""])
        for ref in identifiers["external_refs"]:
            writer.writerow(
                ["", "identifier", f"external_ref.{ref['system']}", ref["id"], "", "provided", ""]
            )
        yield drain()
        for rows in _batches(session, subject_id):
            for rid, category, data, source, origin, created_at, _updated_at in rows:
                created = _timestamp(created_at)
                record_id = str(rid)
                writer.writerows(
                    [record_id, category, field, value, source, origin, created]
                    for field, value in _flatten(data)
                )
            yield drain()
