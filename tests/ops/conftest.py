"""Real `privacy-api serve` processes on a throwaway PostgreSQL database.

`serve(...)` starts one on a free port (as the README runs it, with `child_env()`), and
stops it when the test is done. `TcpProxy` stands between a service and PostgreSQL so
that a test can take the database away (stop) and give it back (start) on the same
address. These tests are PostgreSQL's: with SQLite the service is one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from app.core.migrations import upgrade
from tests.conftest import (
    ALL_SCOPES,
    AUDIENCE,
    BACKENDS,
    ISSUER,
    TEST_HASH_SECRET,
    TEST_JWT_SECRET,
    child_env,
    create_pg_database,
    drop_pg_database,
    hs256,
    make_claims,
    pg_url,
)

CLI = [sys.executable, "-m", "app.cli"]
PROJECT = Path(__file__).resolve().parents[2]


def needs_postgresql() -> None:
    if "postgresql" not in BACKENDS:
        pytest.skip("several service processes on one database: PostgreSQL only")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `privacy-api` child: the test's keys, `PRIVACY_<NAME>` values."""
    values = {
        "PRIVACY_ENVIRONMENT": "test",
        "PRIVACY_DATABASE_URL": database_url,
        "PRIVACY_JWT_SECRET": TEST_JWT_SECRET,
        "PRIVACY_HASH_SECRET": TEST_HASH_SECRET,
        "PRIVACY_JWT_ISSUER": ISSUER,
        "PRIVACY_JWT_AUDIENCE": AUDIENCE,
        "PRIVACY_WEBHOOK_ALLOW_PRIVATE": "true",
        "PRIVACY_DISPATCH_INTERVAL_SECONDS": "0",
    }
    values.update({f"PRIVACY_{name.upper()}": value for name, value in settings.items()})
    return child_env(**values)


@contextlib.contextmanager
def serve(database_url: str, *, count: int = 1, **settings: str) -> Iterator[list[str]]:
    """`count` processes of `privacy-api serve`, each on a free port, until the block
    ends; yields their base URLs. They start side by side (a start takes seconds)."""
    ports = [free_port() for _ in range(count)]
    servers = [
        subprocess.Popen(
            [*CLI, "serve", "--port", str(port)],
            cwd=PROJECT,
            env=service_env(database_url, **settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for server, base in zip(servers, bases, strict=True):
            while True:
                assert server.poll() is None, "the service exited"
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the service did not start"
                    time.sleep(0.1)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def migrate(database_url: str) -> subprocess.Popen[str]:
    """`privacy-api migrate` started (not waited for)."""
    return subprocess.Popen(
        [*CLI, "migrate"],
        cwd=PROJECT,
        env=service_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass
class Database:
    """A throwaway PostgreSQL database: its SQLAlchemy URL and its name."""

    url: str
    name: str
    engine: sa.Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar_one()

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql), params)

    def admin(self) -> psycopg.Connection[Any]:
        """A plain autocommit connection, e.g. to terminate the service's connections."""
        return psycopg.connect(
            sa.make_url(self.url).set(drivername="postgresql").render_as_string(False),
            autocommit=True,
        )

    def terminate_service_connections(self) -> int:
        """`pg_terminate_backend` every other connection to this database."""
        with self.admin() as conn:
            row = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchone()
        return int(row[0]) if row else 0


@contextlib.contextmanager
def throwaway_database(*, migrated: bool = True) -> Iterator[Database]:
    needs_postgresql()
    name = create_pg_database()
    database = Database(pg_url(name), name)
    try:
        if migrated:
            upgrade(database.url)
        yield database
    finally:
        database.engine.dispose()
        drop_pg_database(name)


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    """A migrated database of these tests' own (the replicas purge all of it)."""
    with throwaway_database() as db:
        yield db


# The replicas' settings: a purge every half second, webhooks sent every 0.2 s with a
# 1 s timeout and retried after 0.25 s, 0.5 s, 1 s, ...; 200 calls a minute per token.
RATE_LIMIT = 200
REPLICA_SETTINGS = {
    "purge_interval_seconds": "0.5",
    "dispatch_interval_seconds": "0.2",
    "webhook_timeout_seconds": "1",
    "webhook_backoff_seconds": "0.25",
    "webhook_max_attempts": "20",
    "rate_limit": f"{RATE_LIMIT}/minute",
}


@pytest.fixture(scope="session")
def replicas(database: Database) -> Iterator[tuple[str, str]]:
    """Base URLs of two replicas of the service on `database`."""
    with serve(database.url, count=2, **REPLICA_SETTINGS) as (one, other):
        yield one, other


def token(tenant: str, *, sub: str = "crm", scopes: list[str] | None = None) -> str:
    return hs256(
        make_claims(
            tenant=tenant,
            sub=sub,
            scopes=ALL_SCOPES if scopes is None else scopes,
            exp_in=timedelta(minutes=30),
        )
    )


def client(base: str, tenant: str, *, sub: str = "crm") -> httpx.Client:
    """An HTTP client of one caller (tenant and sub) of the service at `base`."""
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token(tenant, sub=sub)}"}, timeout=30
    )


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response) -> None:
    """503 problem+json with `Retry-After`: the database could not serve the call."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["type"] == "urn:privacy-api:problem:service-unavailable"


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_port` from an event loop in a thread.

    `stop()` closes the listening socket and cuts every connection (what a service sees
    when the database goes away); `start()` listens again on the same port.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )
        self._writers -= {writer, upstream_writer}

    @property
    def connections(self) -> int:
        """How many connections it is forwarding now."""
        return len(self._writers) // 2

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    def start(self) -> int:
        self._run(self._start())
        return self.port

    def stop(self) -> None:
        self._run(self._stop())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
