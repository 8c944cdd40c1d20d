"""Erasure of a subject with 100,000 records (one transaction, through the service),
next to a raw `DELETE` of the same number of rows; and the purge of many expired held
records by two concurrent workers on PostgreSQL.

Targets (issue): erasure < 5 s on SQLite and PostgreSQL; purge of 1,000,000 records
with two workers < 60 s, no double work.
Run: `scripts/bench.sh erasure` (or `.venv/bin/python -m bench.erasure`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

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


def erasure(backend: str, records: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    try:
        first, second = seed_subjects(url, 2)
        seed_records(url, first, records)
        seed_records(url, second, records)
        auth = {"Authorization": f"Bearer {token(['rights:write'])}"}
        with server(url) as (base, _pid):
            started = time.perf_counter()
            response = httpx.post(f"{base}/v1/subjects/{first}/erasure", headers=auth, timeout=300)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            assert response.json()["counts"] == {"erased": records, "kept": 0}
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            started = time.perf_counter()
            conn.execute(
                sa.text("DELETE FROM record WHERE subject_id = :s"), {"s": _id(engine, second)}
            )
            raw = time.perf_counter() - started
        engine.dispose()
        print(
            f"[{backend}] erasure of {records} records: {elapsed:.2f} s through the API "
            f"(plan, delete, report, audit, one transaction); raw DELETE of {records} rows: "
            f"{raw:.2f} s (target < 5 s)"
        )
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


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
