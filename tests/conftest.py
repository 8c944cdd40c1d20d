"""Test fixtures: real databases (SQLite and PostgreSQL), real migrations, real JWTs.

Every test that uses `api` runs once per backend. Each test gets its own tenant, so
tests are isolated by the same tenant scoping the service relies on, and each
backend's database is created, migrated, and dropped once per session. A job that
works across tenants (the purge, the webhook dispatcher) is run in a test limited to
that test's tenants, so no test sees what another left behind.

Time: a test that needs the service's clock takes the `clock` fixture, which pins
`app.state.clock` to a fixed instant (`@pytest.mark.clock("2026-02-10T10:00:00Z")`
chooses another) that the test moves itself. Such tests, and those marked
`@pytest.mark.clock`, are the time-sensitive ones that CI also runs with the
machine's clock a year back and a year forward.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt

from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app

PG_ADMIN_URL = os.environ.get(
    "PRIVACY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = os.environ.get("PRIVACY_TEST_BACKENDS", "sqlite,postgresql").split(",")

TEST_JWT_SECRET = "test-jwt-secret-" + "x" * 40
TEST_HASH_SECRET = "test-hash-secret-" + "y" * 40
ISSUER = "https://auth.test.example"
AUDIENCE = "privacy-api-test"

ALL_SCOPES = [
    "subjects:read",
    "subjects:write",
    "rights:read",
    "rights:write",
    "marketing:check",
    "holds:write",
    "holds:read",
    "audit:read",
    "admin",
]


@dataclass(frozen=True)
class Keys:
    rsa_private_pem: bytes
    rsa_public_pem: bytes
    ec_private_pem: bytes
    ec_public_pem: bytes


def _pem_pair(private: Any) -> tuple[bytes, bytes]:
    priv = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pub = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return priv, pub


@pytest.fixture(scope="session")
def keys() -> Keys:
    rsa_priv, rsa_pub = _pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    ec_priv, ec_pub = _pem_pair(ec.generate_private_key(ec.SECP256R1()))
    return Keys(rsa_priv, rsa_pub, ec_priv, ec_pub)


def pg_url(database: str) -> str:
    base = sa.make_url(PG_ADMIN_URL)
    return base.set(drivername="postgresql+psycopg", database=database).render_as_string(
        hide_password=False
    )


def create_pg_database() -> str:
    name = f"privacy_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def blank_database() -> Iterator[Any]:
    """A factory of empty databases of either backend, dropped at the end."""
    created: list[tuple[str, str]] = []

    def make(backend: str, tmp_dir: Path) -> str:
        if backend == "sqlite":
            path = tmp_dir / f"privacy-{secrets.token_hex(4)}.db"
            created.append(("sqlite", str(path)))
            return f"sqlite:///{path}"
        name = create_pg_database()
        created.append(("postgresql", name))
        return pg_url(name)

    yield make
    for backend, name in created:
        if backend == "postgresql":
            drop_pg_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> str:
    url = blank_database(backend, tmp_path_factory.mktemp(backend))
    upgrade(url)
    return str(url)


@pytest.fixture(scope="session")
def settings(database_url: str, keys: Keys) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_algorithms=["HS256", "RS256", "ES256"],
        jwt_secret=TEST_JWT_SECRET,
        jwt_public_keys=[keys.rsa_public_pem.decode(), keys.ec_public_pem.decode()],
        hash_secret=TEST_HASH_SECRET,
        max_body_bytes=64 * 1024,
        webhook_allow_private=True,
        webhook_backoff_seconds=0,
        dispatch_interval_seconds=0,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> sa.Engine:
    return app.state.engine  # type: ignore[no-any-return]


CLOCK_START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class FrozenClock:
    """The service's clock in a test: it stands still until the test moves it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime | str) -> datetime:
        """Move to `when` (aware, or RFC 3339 text with an offset)."""
        instant = datetime.fromisoformat(when) if isinstance(when, str) else when
        if instant.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware instant")
        self.now = instant.astimezone(UTC)
        return self.now

    def advance(self, **units: float) -> datetime:
        """Move forward by a `timedelta(**units)`, e.g. `advance(seconds=30)`."""
        self.now += timedelta(**units)
        return self.now


@pytest.fixture
def clock(app: FastAPI, request: pytest.FixtureRequest) -> Iterator[FrozenClock]:
    """Pin the service's clock to `CLOCK_START`, or to the test's `clock` marker's instant."""
    marker = request.node.get_closest_marker("clock")
    frozen = FrozenClock(CLOCK_START)
    if marker is not None and marker.args:
        frozen.set(marker.args[0])
    real = app.state.clock
    app.state.clock = frozen
    yield frozen
    app.state.clock = real


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test on the pinned clock is time-sensitive: CI runs it on a shifted clock too.
    for item in items:
        if "clock" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("clock"):
            item.add_marker(pytest.mark.clock)


def child_env(**values: str) -> dict[str, str]:
    """A minimal environment for a child process, on the same clock as the test.

    A shifted clock (libfaketime's `LD_PRELOAD` and `FAKETIME*`) is passed on, so that a
    token a child mints is not from another time than the test that checks it.
    """
    shifted = {
        name: value
        for name, value in os.environ.items()
        if name == "LD_PRELOAD" or name.startswith("FAKETIME")
    }
    return {"PATH": "/usr/bin:/bin", **shifted, **values}


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def make_claims(
    *,
    tenant: str | None,
    sub: str | None = "test-system",
    scopes: list[str] | None = None,
    iss: str | None = ISSUER,
    aud: str | None = AUDIENCE,
    exp_in: timedelta | None = timedelta(minutes=5),
    nbf_in: timedelta | None = None,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"iat": int(now.timestamp())}
    for key, value in (("tenant", tenant), ("sub", sub), ("iss", iss), ("aud", aud)):
        if value is not None:
            claims[key] = value
    if scopes is not None:
        claims["scope"] = " ".join(scopes)
    if exp_in is not None:
        claims["exp"] = int((now + exp_in).timestamp())
    if nbf_in is not None:
        claims["nbf"] = int((now + nbf_in).timestamp())
    return claims


def hs256(claims: dict[str, Any], secret: str = TEST_JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass
class Api:
    """An HTTP client acting for one tenant, with helpers for tokens and common calls."""

    client: TestClient
    tenant: str
    engine: sa.Engine
    sub: str = "test-system"
    default_scopes: list[str] = field(default_factory=lambda: list(ALL_SCOPES))

    def token(self, scopes: list[str] | None = None, tenant: str | None = None) -> str:
        return hs256(
            make_claims(
                tenant=tenant or self.tenant,
                sub=self.sub,
                scopes=self.default_scopes if scopes is None else scopes,
            )
        )

    def headers(self, scopes: list[str] | None = None, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(scopes)}", **extra}

    def get(self, url: str, scopes: list[str] | None = None, **kw: Any) -> Any:
        return self.client.get(url, headers={**self.headers(scopes), **kw.pop("headers", {})}, **kw)

    def post(self, url: str, json: Any = None, scopes: list[str] | None = None, **kw: Any) -> Any:
        headers = {**self.headers(scopes), **kw.pop("headers", {})}
        return self.client.post(url, json=json, headers=headers, **kw)

    def patch(self, url: str, json: Any = None, scopes: list[str] | None = None, **kw: Any) -> Any:
        headers = {**self.headers(scopes), **kw.pop("headers", {})}
        return self.client.patch(url, json=json, headers=headers, **kw)

    def delete(self, url: str, scopes: list[str] | None = None, **kw: Any) -> Any:
        headers = {**self.headers(scopes), **kw.pop("headers", {})}
        return self.client.delete(url, headers=headers, **kw)

    def create_subject(self, **body: Any) -> dict[str, Any]:
        body.setdefault("emails", [f"person-{uuid.uuid4().hex[:8]}@example.se"])
        response = self.post("/v1/subjects", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def add_record(self, subject_id: str, record: dict[str, Any]) -> dict[str, Any]:
        response = self.post(f"/v1/subjects/{subject_id}/records", json=record)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def row_counts(self) -> dict[str, int]:
        """Rows of this tenant in every table, read with plain SQL."""
        tables = [
            "subject",
            "subject_identifier",
            "external_ref",
            "record",
            "audit_event",
            "record_history",
            "restriction",
            "marketing_suppression",
            "rights_request",
            "delivery",
        ]
        with self.engine.connect() as conn:
            return {
                table: conn.execute(
                    sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),
                    {"t": self.tenant},
                ).scalar_one()
                for table in tables
            }


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def api(client: TestClient, engine: sa.Engine) -> Api:
    return Api(client=client, tenant=new_tenant(), engine=engine)


@pytest.fixture
def other_api(client: TestClient, engine: sa.Engine) -> Api:
    """A second tenant on the same service."""
    return Api(client=client, tenant=new_tenant(), engine=engine, sub="other-system")


CONTACT = {
    "category": "contact",
    "origin": "provided",
    "source": "crm",
    "data": {
        "name": "Åsa Öberg",
        "title": "CFO",
        "email": "asa.oberg@example.se",
        "phone": "+46701234567",
        "address": "Storgatan 1, 611 32 Nyköping",
    },
}
NOTE = {
    "category": "note",
    "origin": "derived",
    "source": "staff",
    "data": {"text": "Prefers calls"},
}
INVOICE_2024 = {
    "category": "sales_document",
    "origin": "provided",
    "source": "billing",
    "data": {
        "kind": "invoice",
        "number": "F-2024-1",
        "date": "2024-03-15",
        "amount": "12500.00",
        "currency": "SEK",
    },
}
NETWORK = {
    "category": "network",
    "origin": "observed",
    "source": "web",
    "data": {
        "ip": "192.0.2.44",
        "first_seen": "2026-01-01T08:00:00Z",
        "last_seen": "2026-01-02T08:00:00Z",
        "context": "login",
    },
}
MEETING = {
    "category": "meeting",
    "origin": "provided",
    "source": "calendar",
    "data": {
        "start": "2026-02-01T09:00:00+01:00",
        "end": "2026-02-01T10:00:00+01:00",
        "subject": "Renewal",
        "participants": ["Åsa Öberg", "Per Persson"],
    },
}
ORGANISATION = {
    "category": "organisation",
    "origin": "provided",
    "source": "crm",
    "data": {"department": "Finance", "manager": "Karin Karlsson"},
}
# Values that must never appear in audit events, logs or metrics.
PERSONAL_VALUES = [
    "Åsa",
    "Öberg",
    "asa.oberg",
    "example.se",
    "46701234567",
    "Storgatan",
    "192.0.2.44",
    "Prefers calls",
    "Karin",
    "Renewal",
]
