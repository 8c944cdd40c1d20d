"""Large seeded databases for the benchmarks, built once and reused.

`seeded_database(backend, subjects)` answers the URL of a fresh copy of a database with
`subjects` subjects (each with one email and one phone; every tenth objecting, its
identifiers suppressed) and one contact record on each of the first `RECORDS`
subjects. The seeded original is kept: on PostgreSQL as a template database (a copy is
`CREATE DATABASE ... TEMPLATE`, a file copy inside the server), on SQLite as a file in
the cache directory. Its name carries the schema head and the seed's shape, so a new
migration or a different size builds a new one. Rows go in by `COPY` (PostgreSQL) or
`executemany` (SQLite), not through the ORM: 1,000,000 subjects take well under a
minute on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.core.ids import uuid7
from app.core.migrations import head_revisions, upgrade
from app.subjects.suppression import identifier_digest
from bench.common import HASH_SECRET, TENANT

ADMIN_URL = os.environ.get(
    "PRIVACY_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CACHE = Path(os.environ.get("PRIVACY_BENCH_CACHE", Path(tempfile.gettempdir()) / "privacy-bench"))
RECORDS = 1_000
SEED_VERSION = 1  # bump when the seed's content changes
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    url: str
    subject_ids: list[uuid.UUID]  # the first RECORDS subjects (with a record each)
    record_ids: list[uuid.UUID]
    subjects: int


def email(i: int) -> str:
    return f"person{i}@example.se"


def phone(i: int) -> str:
    return f"+4670{i:07d}"


def _ids(subjects: int) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Deterministic ids of the first subjects and their records (uuid7-shaped)."""

    def make(prefix: str, i: int) -> uuid.UUID:
        raw = bytearray(hashlib.sha256(f"{prefix}{i}".encode()).digest()[:16])
        raw[0:6] = (0x019A0000 + i).to_bytes(6, "big")
        raw[6] = 0x70 | (raw[6] & 0x0F)
        raw[8] = 0x80 | (raw[8] & 0x3F)
        return uuid.UUID(bytes=bytes(raw))

    count = min(RECORDS, subjects)
    return [make("s", i) for i in range(count)], [make("r", i) for i in range(count)]


def _name(subjects: int) -> str:
    head = "-".join(sorted(head_revisions()))
    digest = hashlib.sha256(f"{head}/{subjects}/{SEED_VERSION}".encode()).hexdigest()[:10]
    return f"privacy_bench_tpl_{digest}"


def _rows(subjects: int) -> tuple[list[tuple[Any, ...]], ...]:
    first_ids, record_ids = _ids(subjects)
    subject_rows, identifier_rows, suppression_rows, record_rows = [], [], [], []
    data = json.dumps({"email": "x@example.se", "phone": "+46700000000"})
    for i in range(subjects):
        sid = first_ids[i] if i < len(first_ids) else uuid7()
        objected = i % 10 == 0
        subject_rows.append((TENANT, sid, "active", False, objected, 1, EPOCH, EPOCH))
        for kind, value in (("email", email(i)), ("phone", phone(i))):
            identifier_rows.append((TENANT, uuid7(), sid, kind, value, EPOCH))
            if objected:
                digest = identifier_digest(HASH_SECRET, TENANT, kind, value)
                suppression_rows.append((TENANT, uuid7(), kind, digest, EPOCH))
        if i < len(record_ids):
            record_rows.append(
                (TENANT, record_ids[i], sid, "contact", data, "web", "provided", False, 1,
                 EPOCH, EPOCH)
            )  # fmt: skip
    return subject_rows, identifier_rows, suppression_rows, record_rows


_COLUMNS = {
    "subject": "tenant_id, id, status, restricted, marketing_objection, version, created_at, "
    "updated_at",
    "subject_identifier": "tenant_id, id, subject_id, kind, value, created_at",
    "marketing_suppression": "tenant_id, id, kind, digest, created_at",
    "record": "tenant_id, id, subject_id, category, data, source, origin, restricted, version, "
    "created_at, updated_at",
}


def _fill_postgresql(url: str, subjects: int) -> None:
    import psycopg

    tables = dict(zip(_COLUMNS, _rows(subjects), strict=True))
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        for table, rows in tables.items():
            with conn.cursor().copy(f"COPY {table} ({_COLUMNS[table]}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    # As autovacuum would leave them after a while: statistics, and the visibility map
    # that lets index-only scans skip the table.
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _fill_sqlite(url: str, subjects: int) -> None:
    engine = sa.create_engine(url)
    tables = dict(zip(_COLUMNS, _rows(subjects), strict=True))
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for table, rows in tables.items():
            marks = ", ".join("?" * len(_COLUMNS[table].split(",")))
            raw.executemany(
                f"INSERT INTO {table} ({_COLUMNS[table]}) VALUES ({marks})",
                [tuple(v.hex if isinstance(v, uuid.UUID) else v for v in row) for row in rows],
            )
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def seeded_database(backend: str, subjects: int) -> Seeded:
    """A fresh copy of the seeded database (see the module); `drop(url)` removes it."""
    name = _name(subjects)
    first_ids, record_ids = _ids(subjects)
    copy = f"privacy_bench_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        CACHE.mkdir(parents=True, exist_ok=True)
        original = CACHE / f"{name}.db"
        if not original.exists():
            building = CACHE / f"{name}.building.db"
            building.unlink(missing_ok=True)
            upgrade(f"sqlite:///{building}")
            _fill_sqlite(f"sqlite:///{building}", subjects)
            building.rename(original)
        target = CACHE / f"{copy}.db"
        shutil.copyfile(original, target)
        return Seeded(f"sqlite:///{target}", first_ids, record_ids, subjects)
    import psycopg

    base = ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            building = f"{name}_building"
            admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{building}"')
            url = f"{base.replace('postgresql:', 'postgresql+psycopg:')}/{building}"
            upgrade(url)
            _fill_postgresql(url, subjects)
            admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    url = f"{base.replace('postgresql:', 'postgresql+psycopg:')}/{copy}"
    return Seeded(url, first_ids, record_ids, subjects)


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
