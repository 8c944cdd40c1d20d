"""Shared helpers of the benchmarks: a real server on loopback, seeding, measuring RSS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from app.core.config import Settings
from app.core.ids import uuid7
from app.core.migrations import upgrade
from app.core.security import mint_token
from app.subjects.suppression import identifier_digest

ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "bench-jwt-secret-" + "b" * 40
HASH_SECRET = "bench-hash-secret-" + "h" * 40
TENANT = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PRIVACY_ENVIRONMENT": "production",
        "PRIVACY_DATABASE_URL": database_url,
        "PRIVACY_JWT_SECRET": JWT_SECRET,
        "PRIVACY_HASH_SECRET": HASH_SECRET,
        "PRIVACY_DISPATCH_INTERVAL_SECONDS": "0",
        "PRIVACY_LOG_LEVEL": "WARNING",
        # One token drives each benchmark at hundreds of calls a second: what is measured
        # is the service, not a per-token rate limit.
        "PRIVACY_RATE_LIMIT": "off",
    }


def token(scopes: list[str]) -> str:
    settings = Settings(environment="test", jwt_secret=JWT_SECRET, hash_secret=HASH_SECRET)
    return mint_token(settings, tenant=TENANT, sub="bench", scopes=scopes)


@contextmanager
def server(
    database_url: str, *, app: str | None = None, workers: int = 1, root: Path = ROOT
) -> Iterator[tuple[str, int]]:
    """Run the service (or another ASGI app) with uvicorn; yields (base URL, pid).

    `root`: the checkout whose code is served (another one: a baseline to compare with).
    """
    port = free_port()
    if app is None:
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    env = settings_env(database_url)
    if root != ROOT:
        env["PYTHONPATH"] = str(root)
    process = subprocess.Popen(command, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                probe = "/healthz" if app is None else "/docs"
                if httpx.get(base + probe, timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError("server did not start")
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # requests still stuck in the server
            process.kill()
            process.wait()


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
    else:
        import psycopg

        name = f"privacy_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    return url


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _id(engine: sa.Engine, value: uuid.UUID) -> Any:
    return value.hex if engine.dialect.name == "sqlite" else value


def seed_subjects(url: str, count: int, *, objecting_every: int = 10) -> list[uuid.UUID]:
    """`count` subjects, each with one email and one phone; every n-th objected."""
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    ids = [uuid7() for _ in range(count)]
    subjects, identifiers, suppressions = [], [], []
    for i, sid in enumerate(ids):
        objected = i % objecting_every == 0
        subjects.append(
            {
                "tenant_id": TENANT,
                "id": _id(engine, sid),
                "status": "active",
                "restricted": False,
                "marketing_objection": objected,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        email, phone = f"person{i}@example.se", f"+46701{i:06d}"
        for kind, value in (("email", email), ("phone", phone)):
            identifiers.append(
                {
                    "tenant_id": TENANT,
                    "id": _id(engine, uuid7()),
                    "subject_id": _id(engine, sid),
                    "kind": kind,
                    "value": value,
                    "created_at": now,
                }
            )
            if objected:
                suppressions.append(
                    {
                        "tenant_id": TENANT,
                        "id": _id(engine, uuid7()),
                        "kind": kind,
                        "digest": identifier_digest(HASH_SECRET, TENANT, kind, value),
                        "created_at": now,
                    }
                )
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO subject (tenant_id, id, status, restricted, marketing_objection, "
                "version, created_at, updated_at) VALUES (:tenant_id, :id, :status, :restricted, "
                ":marketing_objection, :version, :created_at, :updated_at)"
            ),
            subjects,
        )
        conn.execute(
            sa.text(
                "INSERT INTO subject_identifier (tenant_id, id, subject_id, kind, value, "
                "created_at) VALUES (:tenant_id, :id, :subject_id, :kind, :value, :created_at)"
            ),
            identifiers,
        )
        conn.execute(
            sa.text(
                "INSERT INTO marketing_suppression (tenant_id, id, kind, digest, created_at) "
                "VALUES (:tenant_id, :id, :kind, :digest, :created_at)"
            ),
            suppressions,
        )
    engine.dispose()
    return ids


def seed_records(url: str, subject_id: uuid.UUID, count: int, batch: int = 20_000) -> None:
    """`count` contact-like records of one subject, inserted in batches."""
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    cast = ":data" if engine.dialect.name == "sqlite" else "CAST(:data AS JSONB)"
    statement = sa.text(
        "INSERT INTO record (tenant_id, id, subject_id, category, data, source, origin, "
        f"restricted, version, created_at, updated_at) VALUES (:tenant_id, :id, :subject_id, "
        f"'network', {cast}, 'web', 'observed', false, 1, :now, :now)"
    )
    with engine.begin() as conn:
        for start in range(0, count, batch):
            rows = [
                {
                    "tenant_id": TENANT,
                    "id": _id(engine, uuid7()),
                    "subject_id": _id(engine, subject_id),
                    "data": json.dumps(
                        {
                            "ip": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                            "first_seen": "2026-01-01T00:00:00Z",
                            "last_seen": "2026-01-02T00:00:00Z",
                            "context": "login",
                        }
                    ),
                    "now": now,
                }
                for i in range(start, min(start + batch, count))
            ]
            conn.execute(statement, rows)
    engine.dispose()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakRss:
    """Samples a process's RSS every 5 ms while in use; `.peak` and `.start` in KiB."""

    def __init__(self, pid: int):
        self.pid = pid
        self.start = rss_kib(pid)
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kib(self.pid))
