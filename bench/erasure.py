"""Erasure of a subject with 100,000 records, of which 14,286 invoices are kept (one
transaction, through the service),
next to a raw `DELETE` of the same number of rows; and the purge of many expired held
records by two concurrent workers on PostgreSQL.

Targets (issue): erasure < 5 s on SQLite and PostgreSQL; purge of 1,000,000 records
with two workers < 60 s, no double work.
Run: `scripts/bench.sh erasure` (or `.venv/bin/python -m bench.erasure`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.core.ids import uuid7
from bench.common import (
    ROOT,
    TENANT,
    _id,
    drop_database,
    fresh_database,
    seed_records,
    seed_subjects,
    server,
    settings_env,
    token,
)
from bench.table import Row

KEEP_EVERY = 7  # every 7th record an invoice the Bokföringslagen keeps: 14,286 of 100,000
INVOICE = {
    "kind": "invoice",
    "number": "F-1",
    "date": "2025-03-15",
    "amount": "1.00",
    "currency": "SEK",
}


def seed_mixed(url: str, subject_id: uuid.UUID, count: int, batch: int = 20_000) -> int:
    """`count` records of one subject: network records, and every `KEEP_EVERY`-th an
    invoice of 2025 (kept seven years, BFL 7 kap. 2 §). Returns how many are invoices."""
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    cast = ":data" if engine.dialect.name == "sqlite" else "CAST(:data AS JSONB)"
    statement = sa.text(
        "INSERT INTO record (tenant_id, id, subject_id, category, data, source, origin, "
        f"restricted, version, created_at, updated_at) VALUES (:tenant_id, :id, :subject_id, "
        f":category, {cast}, 'erp', 'provided', false, 1, :now, :now)"
    )
    network = json.dumps(
        {
            "ip": "10.0.0.1",
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-01-02T00:00:00Z",
            "context": "login",
        }
    )
    invoices = 0
    with engine.begin() as conn:
        for start in range(0, count, batch):
            rows = []
            for i in range(start, min(start + batch, count)):
                kept = i % KEEP_EVERY == 0
                invoices += kept
                rows.append(
                    {
                        "tenant_id": TENANT,
                        "id": _id(engine, uuid7()),
                        "subject_id": _id(engine, subject_id),
                        "category": "sales_document" if kept else "network",
                        "data": json.dumps({**INVOICE, "number": f"F-{i}"}) if kept else network,
                        "now": now,
                    }
                )
            conn.execute(statement, rows)
    engine.dispose()
    return invoices


def erasure(backend: str, records: int) -> float:
    """Seconds to erase a subject of `records` records, 1 in 7 kept (through the API)."""
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    try:
        first, second = seed_subjects(url, 2)
        kept = seed_mixed(url, first, records)
        seed_records(url, second, records)
        auth = {"Authorization": f"Bearer {token(['rights:write'])}"}
        with server(url) as (base, _pid):
            started = time.perf_counter()
            response = httpx.post(f"{base}/v1/subjects/{first}/erasure", headers=auth, timeout=300)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            assert response.json()["counts"] == {"erased": records - kept, "kept": kept}
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            started = time.perf_counter()
            conn.execute(
                sa.text("DELETE FROM record WHERE subject_id = :s"), {"s": _id(engine, second)}
            )
            raw = time.perf_counter() - started
        engine.dispose()
        print(
            f"[{backend}] erasure of {records} records ({kept} invoices kept): {elapsed:.2f} s "
            f"through the API (plan, delete, keep, report, audit, one transaction); raw "
            f"DELETE of {records} rows: {raw:.2f} s (target < 5 s)"
        )
        return elapsed
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def rows(backend: str) -> list[Row]:
    seconds = erasure(backend, 100_000)
    return [
        Row(
            "erasure, 100,000 records of which 14,286 invoices kept",
            seconds,
            "s",
            "< 5 s",
            seconds < 5,
        )
    ]


def purge(records: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database("postgresql", workdir)
    try:
        subjects = seed_subjects(url, 100)
        engine = sa.create_engine(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE subject SET status = 'erased', restricted = true"))
            per = records // len(subjects)
            for sid in subjects:
                conn.execute(
                    sa.text(
                        "INSERT INTO record (tenant_id, id, subject_id, category, data, source, "
                        "origin, restricted, kept_until, version, created_at, updated_at) "
                        "SELECT :t, gen_random_uuid(), :s, 'sales_document', "
                        '\'{"kind": "invoice", "number": "F-1", "date": "2010-05-01", '
                        '"amount": "1.00", "currency": "SEK"}\'::jsonb, \'billing\', \'provided\', '
                        "true, DATE '2017-12-31', 1, now(), now() FROM generate_series(1, :n)"
                    ),
                    {"t": TENANT, "s": sid, "n": per},
                )
        print(
            f"[postgresql] seeded {per * len(subjects)} expired held records of "
            f"{len(subjects)} erased subjects in {time.perf_counter() - started:.1f} s"
        )
        command = [sys.executable, "-m", "app.cli", "purge"]
        env = settings_env(url)
        started = time.perf_counter()
        workers = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [w.communicate()[0].strip() for w in workers]
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM record")).scalar_one()
            audited = conn.execute(
                sa.text(
                    "SELECT coalesce(sum(items), 0) FROM audit_event WHERE action = 'record.purge'"
                )
            ).scalar_one()
        engine.dispose()
        for out in outputs:
            print(f"  {out}")
        print(
            f"[postgresql] purge of {per * len(subjects)} records by two workers: "
            f"{elapsed:.1f} s; left {left}; audited {audited} (target < 60 s, no double work)"
        )
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--purge-records", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["erasure", "purge"], default=None)
    args = parser.parse_args()
    if args.only in (None, "erasure"):
        for backend in ("sqlite", "postgresql"):
            erasure(backend, args.records)
    if args.only in (None, "purge"):
        purge(args.purge_records)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
