"""`privacy-api serve` as a newcomer runs it: a fresh directory, no secret configured."""

from __future__ import annotations

import contextlib
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from tests.conftest import hs256, make_claims
from tests.core.test_config import PUBLISHED_DEV_SECRET

CLI = [sys.executable, "-m", "app.cli"]
DEFAULT_ISSUER = Settings.model_fields["jwt_issuer"].default
DEFAULT_AUDIENCE = Settings.model_fields["jwt_audience"].default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(working directory, base URL) of `migrate` then `serve`, run as the README does."""
    workdir = tmp_path_factory.mktemp("fresh-clone")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir)}
    subprocess.run([*CLI, "migrate"], cwd=workdir, env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        yield workdir, base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_and_token_share_a_generated_secret(service: tuple[Path, str]) -> None:
    """The README's commands, unchanged; the once-published constant is refused."""
    workdir, base = service
    minted = subprocess.run(
        [*CLI, "token", "--tenant", "care-of", "--sub", "crm", "--scope", "audit:read"],
        cwd=workdir,
        env={"PATH": "/usr/bin:/bin", "HOME": str(workdir)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    secret_file = workdir / "data" / "jwt-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    ok = httpx.get(f"{base}/v1/audit-events", headers={"Authorization": f"Bearer {minted}"})
    assert ok.status_code == 200, ok.text
    forged = hs256(
        make_claims(
            tenant="care-of", scopes=["audit:read"], iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE
        ),
        secret=PUBLISHED_DEV_SECRET,
    )
    refused = httpx.get(f"{base}/v1/audit-events", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401


def raw_request(base: str, authorization_bytes: int) -> bytes:
    """Send a GET with an Authorization header of this size; the answer's first bytes."""
    host, port = base.removeprefix("http://").split(":")
    head = b"GET /v1/audit-events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
    request = head + b"A" * (authorization_bytes - 7) + b"\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may close before reading it all
            sock.sendall(request)
        try:
            return sock.recv(4096)
        except OSError:
            return b""


def test_oversized_authorization_headers_are_refused_cheaply(service: tuple[Path, str]) -> None:
    _, base = service
    over_8_kib = raw_request(base, 9 * 1024)
    assert over_8_kib.startswith(b"HTTP/1.1 431"), over_8_kib[:100]
    assert b"application/problem+json" in over_8_kib
    started = time.perf_counter()
    huge = raw_request(base, 10 * 1024 * 1024)
    assert huge == b"" or huge.startswith(b"HTTP/1.1 4"), huge[:100]
    assert time.perf_counter() - started < 5
    assert httpx.get(f"{base}/healthz", timeout=2).status_code == 200
