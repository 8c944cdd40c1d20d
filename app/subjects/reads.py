"""The two reads internal systems make all day, `GET /v1/subjects/{id}` and
`GET /v1/records/{id}`, with statements built once and rows instead of ORM objects.

The general path (`service.get_subject` then `service.subject_view`) loads the subject
as an ORM object with its collections, builds each statement anew and works out its
cache key on every call: about 1 ms a read on SQLite. Here each statement is built
once, at import, with bound parameters; the tenant filter is the one every query gets
(`app.core.db.Reader`: in a thread on SQLite, awaited on the event loop on PostgreSQL),
compiled in once per statement; and rows become the public model directly. The answers
are the general path's: `tests/subjects/test_reads.py` compares both on subjects in
every state, through both readers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from app.core.db import Reader
from app.core.errors import NotFound
from app.objections.models import Objection
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier
from app.subjects.schemas import RecordPublic, SubjectPublic, SubjectStatus
from app.subjects.service import SubjectMerged, public_view, record_restricted
from app.subjects.suppression import digester, suppressed_among

_SUBJECT_ID: Any = sa.bindparam("subject_id")

# The subject with its identifiers, external references and the purposes with a pending
# or upheld objection (as `service._restricted_purposes`), in one statement: one row per
# part, in the order of their ids (one row with no part if there is none). Each part
# names the subject itself, so each is one index probe.
_PARTS = sa.union_all(
    sa.select(
        sa.literal("identifier").label("part"),
        col(SubjectIdentifier.kind).label("a"),
        col(SubjectIdentifier.value).label("b"),
        col(SubjectIdentifier.id).label("part_id"),
    ).where(col(SubjectIdentifier.subject_id) == _SUBJECT_ID),
    sa.select(
        sa.literal("ref").label("part"),
        col(ExternalRef.system).label("a"),
        col(ExternalRef.ref).label("b"),
        col(ExternalRef.id).label("part_id"),
    ).where(col(ExternalRef.subject_id) == _SUBJECT_ID),
    sa.select(
        sa.literal("purpose").label("part"),
        col(Objection.purpose).label("a"),
        sa.literal("").label("b"),
        col(Objection.id).label("part_id"),
    ).where(
        col(Objection.subject_id) == _SUBJECT_ID,
        col(Objection.outcome).is_distinct_from("rejected"),
    ),
).subquery("parts")
_SUBJECT = (
    sa.select(
        col(Subject.status),
        col(Subject.restricted),
        col(Subject.marketing_objection),
        col(Subject.notice_given_at),
        col(Subject.merged_into),
        col(Subject.version),
        col(Subject.created_at),
        col(Subject.updated_at),
        _PARTS.c.part,
        _PARTS.c.a,
        _PARTS.c.b,
    )
    .outerjoin(_PARTS, sa.true())
    .where(col(Subject.id) == _SUBJECT_ID)
    .order_by(_PARTS.c.part, _PARTS.c.part_id)
)
_RECORD = sa.select(
    col(Record.id),
    col(Record.subject_id),
    col(Record.category),
    col(Record.data),
    col(Record.source),
    col(Record.origin),
    col(Record.restricted),
    col(Record.version),
    col(Record.created_at),
    col(Record.updated_at),
)


async def read_subject(reader: Reader, subject_id: uuid.UUID, *, hash_secret: str) -> SubjectPublic:
    """The API view of a subject: 404 if unknown (or another tenant's), 308 if merged."""
    rows = await reader.rows(_SUBJECT, {"subject_id": subject_id})
    if not rows:
        raise NotFound("No subject with this id.")
    first = rows[0]
    if first.status == SubjectStatus.merged:
        raise SubjectMerged(subject_id, first.merged_into)
    identifiers = [(row.a, row.b) for row in rows if row.part == "identifier"]
    objecting = first.marketing_objection
    if not objecting and identifiers:
        digest = digester(hash_secret, reader.tenant_id)
        digests = json.dumps([digest(kind, value) for kind, value in identifiers])
        suppressed = suppressed_among(reader.dialect.name)
        objecting = bool(await reader.rows(suppressed, {"digests": digests}))
    return public_view(
        first,
        subject_id=subject_id,
        identifiers=identifiers,
        external_refs=[(row.a, row.b) for row in rows if row.part == "ref"],
        objecting=objecting,
        restricted_purposes=sorted({row.a for row in rows if row.part == "purpose"}),
    )


_RECORD_BY_ID = _RECORD.where(col(Record.id) == sa.bindparam("record_id"))


async def read_record(reader: Reader, record_id: uuid.UUID) -> RecordPublic:
    """A record for a processing read: 404 if unknown, 423 while it is restricted."""
    rows = await reader.rows(_RECORD_BY_ID, {"record_id": record_id})
    if not rows:
        raise NotFound("No record with this id.")
    row = rows[0]
    if row.restricted:
        raise record_restricted()
    return RecordPublic.model_validate(row._asdict())
