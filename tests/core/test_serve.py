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


def _exchange(base: str, payload: bytes, *, chunk: int | None = None, wait: float = 10) -> bytes:
    """Send `payload` on one connection (in pieces of `chunk` bytes, if given) and read
    until the server closes it or goes quiet."""
    host, port = base.removeprefix("http://").split(":")
    received = b""
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        with contextlib.suppress(OSError):  # the server may close before reading it all
            if chunk is None:
                sock.sendall(payload)
            else:
                for start in range(0, len(payload), chunk):
                    sock.sendall(payload[start : start + chunk])
        sock.settimeout(1.5)
        with contextlib.suppress(OSError):
            while part := sock.recv(65536):
                received += part
    return received


def test_a_head_over_64_kib_is_refused_however_it_is_sent(service: tuple[Path, str]) -> None:
    # Many headers of 1 KiB each, sent a little at a time: no single header is large.
    headers = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"f" * 1000) for n in range(80))
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    for chunk in (None, 4096, 512):
        answer = _exchange(service[1], request, chunk=chunk)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
        assert answer.count(b"HTTP/1.1") == 1  # and the connection is closed
    assert httpx.get(f"{service[1]}/healthz", timeout=2).status_code == 200


def test_the_head_bound_counts_each_request_of_a_connection_alone(
    service: tuple[Path, str],
) -> None:
    # Ten keep-alive requests with 40 KiB of headers each (400 KiB on one connection),
    # sent back to back: each head is under the bound, so each is answered.
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"f" * 40_000 + b"\r\n\r\n"
    answer = _exchange(service[1], one * 10, chunk=8192)
    assert answer.count(b"HTTP/1.1 200") == 10, answer[:200]


def test_a_large_body_is_not_counted_as_head(service: tuple[Path, str]) -> None:
    # A 1 MiB body arriving with its head in the same reads is a body, not a head: the
    # call reaches the application (401 without a token), not the 431 of the bound.
    body = b'{"emails": [' + b",".join([b'"a@example.se"'] * 70_000) + b"]}"
    assert len(body) > 1024 * 1024
    head = (
        b"POST /v1/marketing/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    answer = _exchange(service[1], head + body)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:100]
