"""A JWKS outage: one fetch at a time, cached keys keep working, unknown keys answered fast.

The key set is served by a local HTTP server (loopback only) that can serve, fail or
stall. The key store's clock is a fake one, so that no test waits for the rate limit.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwk, jwt

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.migrations import upgrade
from app.core.security import JWKS_MIN_REFETCH_SECONDS, KeyStore, TokenVerifier
from app.main import create_app
from tests.conftest import AUDIENCE, ISSUER, make_claims


@dataclass
class JwksServer:
    """Serves `keys` at /jwks.json; `mode` is `serve`, `fail` or `stall`."""

    keys: list[dict[str, Any]]
    mode: str = "serve"
    requests: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer(keys=[])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            if state.mode == "stall":
                state.release.wait(10)
            if state.mode == "fail":
                self.send_response(503)
                self.end_headers()
                return
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def rsa_key(kid: str) -> tuple[str, dict[str, Any]]:
    """(private PEM, public JWK) of a new RSA key named `kid`."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    entry = jwk.construct(public.decode(), "RS256").to_dict()
    entry.update(kid=kid, use="sig")
    return pem, entry


def token(pem: str, kid: str, n: int = 0) -> str:
    claims = make_claims(tenant=f"t-jwks-{n}", scopes=["audit:read"])
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier_for(url: str, clock: FakeMonotonic) -> TokenVerifier:
    settings = Settings(
        environment="test",
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_algorithms=["RS256"],
        jwks_url=url,
        jwks_cache_seconds=300,
        hash_secret="h" * 48,
    )
    verifier = TokenVerifier(settings)
    verifier.keys = KeyStore(settings, monotonic=clock)
    return verifier


def timed(verifier: TokenVerifier, jwt_token: str) -> tuple[bool, float]:
    started = time.perf_counter()
    try:
        verifier.verify(jwt_token)
        ok = True
    except Unauthorized:
        ok = False
    return ok, time.perf_counter() - started


def test_cached_keys_keep_working_while_the_jwks_url_stalls(jwks_server: JwksServer) -> None:
    pem, entry = rsa_key("key-1")
    jwks_server.keys = [entry]
    clock = FakeMonotonic()
    verifier = verifier_for(jwks_server.url, clock)
    assert timed(verifier, token(pem, "key-1", 0))[0]
    assert jwks_server.requests == 1

    jwks_server.mode = "stall"
    clock.now += 3600  # the key set is long stale: a refresh starts, and stalls
    results = [timed(verifier, token(pem, "key-1", n)) for n in range(1, 6)]
    assert all(ok for ok, _ in results)
    assert max(seconds for _, seconds in results) < 0.5
    assert verifier.keys.fetches == 2  # one refresh, not one per token


def test_unknown_keys_are_answered_within_a_second_during_an_outage(
    jwks_server: JwksServer,
) -> None:
    """Eight new tokens signed by an unknown key took 22-36 s before."""
    pem, entry = rsa_key("key-1")
    jwks_server.keys = [entry]
    clock = FakeMonotonic()
    verifier = verifier_for(jwks_server.url, clock)
    assert timed(verifier, token(pem, "key-1"))[0]

    jwks_server.mode = "stall"
    clock.now += JWKS_MIN_REFETCH_SECONDS + 1
    other_pem, _ = rsa_key("key-2")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: timed(verifier, token(other_pem, "key-2", n)), range(8)))
    assert not any(ok for ok, _ in results)
    assert max(seconds for _, seconds in results) < 1.2
    assert jwks_server.requests == 2  # one fetch in flight for all eight callers
    # Tokens of the known key still pass meanwhile.
    assert timed(verifier, token(pem, "key-1", 99))[0]


def test_a_failing_jwks_url_is_not_hammered(jwks_server: JwksServer) -> None:
    pem, entry = rsa_key("key-1")
    jwks_server.keys = [entry]
    jwks_server.mode = "fail"
    clock = FakeMonotonic()
    verifier = verifier_for(jwks_server.url, clock)
    for n in range(20):
        ok, seconds = timed(verifier, token(pem, "key-1", n))
        assert not ok and seconds < 1.2
    assert jwks_server.requests == 1  # the rest within the rate limit got their 401 at once

    jwks_server.mode = "serve"
    clock.now += JWKS_MIN_REFETCH_SECONDS + 1
    assert timed(verifier, token(pem, "key-1", 100))[0]  # back as soon as the URL is


def test_a_rotated_key_is_picked_up(jwks_server: JwksServer) -> None:
    pem1, entry1 = rsa_key("key-1")
    pem2, entry2 = rsa_key("key-2")
    jwks_server.keys = [entry1]
    clock = FakeMonotonic()
    verifier = verifier_for(jwks_server.url, clock)
    assert timed(verifier, token(pem1, "key-1"))[0]
    jwks_server.keys = [entry1, entry2]
    clock.now += JWKS_MIN_REFETCH_SECONDS + 1
    assert timed(verifier, token(pem2, "key-2"))[0]
    assert jwks_server.requests == 2


def test_through_the_service_eight_new_tokens_are_answered_within_a_second(
    jwks_server: JwksServer, tmp_path: Any
) -> None:
    """Verification waits in its own pool: /healthz and known tokens are not held up."""
    pem, entry = rsa_key("key-1")
    jwks_server.keys = [entry]
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path}/privacy.db",
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_algorithms=["RS256"],
        jwks_url=jwks_server.url,
        hash_secret="h" * 48,
        dispatch_interval_seconds=0,
    )
    upgrade(settings.database_url)
    app = create_app(settings)
    clock = FakeMonotonic()
    app.state.verifier.keys = KeyStore(settings, monotonic=clock)
    other_pem, _ = rsa_key("key-2")
    with TestClient(app, raise_server_exceptions=False) as client:

        def call(jwt_token: str) -> tuple[int, float]:
            started = time.perf_counter()
            response = client.get(
                "/v1/audit-events", headers={"Authorization": f"Bearer {jwt_token}"}
            )
            return response.status_code, time.perf_counter() - started

        assert call(token(other_pem, "key-2", 0))[0] == 401  # first fetch: key-2 unknown
        jwks_server.mode = "stall"
        clock.now += JWKS_MIN_REFETCH_SECONDS + 1
        with ThreadPoolExecutor(max_workers=9) as pool:
            unknown = [pool.submit(call, token(other_pem, "key-2", n)) for n in range(1, 9)]
            time.sleep(0.1)
            health_started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            health_seconds = time.perf_counter() - health_started
            known = call(token(pem, "key-1", 100))
            results = [future.result() for future in unknown]
    assert [status for status, _ in results] == [401] * 8
    assert max(seconds for _, seconds in results) < 1.2, results
    assert health_seconds < 0.3
    assert known[0] == 200 and known[1] < 0.5, known
    assert jwks_server.requests == 2
    app.state.engine.dispose()
