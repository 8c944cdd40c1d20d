"""`privacy-api token` mints a token the service accepts."""

from __future__ import annotations

import argparse
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.cli import build_parser
from app.core.config import Settings
from app.core.security import TokenVerifier
from tests.conftest import AUDIENCE, ISSUER, TEST_JWT_SECRET, hs256, make_claims
from tests.core.test_config import PUBLISHED_DEV_SECRET

DEFAULT_ISSUER = Settings.model_fields["jwt_issuer"].default
DEFAULT_AUDIENCE = Settings.model_fields["jwt_audience"].default


def test_token_command_mints_a_verifiable_token() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PRIVACY_JWT_SECRET": TEST_JWT_SECRET,
        "PRIVACY_JWT_ISSUER": ISSUER,
        "PRIVACY_JWT_AUDIENCE": AUDIENCE,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "token",
            "--tenant",
            "care-of",
            "--sub",
            "me",
            "--scope",
            "subjects:read",
            "audit:read",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = result.stdout.strip()
    settings = Settings(jwt_secret=TEST_JWT_SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    principal = TokenVerifier(settings).verify(token)
    assert principal.tenant == "care-of"
    assert principal.actor == "me"
    assert principal.scopes == frozenset({"subjects:read", "audit:read"})


def test_token_command_rejects_unknown_scope() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "token",
            "--tenant",
            "t",
            "--sub",
            "me",
            "--scope",
            "everything",
        ],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown scope" in result.stderr


def test_token_without_scope_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "token", "--tenant", "t", "--sub", "me"],
        env={"PATH": "/usr/bin:/bin", "PRIVACY_JWT_SECRET": TEST_JWT_SECRET},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "can do nothing" in result.stderr
    assert result.stdout == ""


def test_every_option_has_a_help_text() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, (name, action.option_strings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_and_token_share_a_generated_secret(tmp_path: Path) -> None:
    """The README's commands, unchanged, in a fresh directory with no secret configured."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "migrate"], cwd=tmp_path, env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        minted = subprocess.run(
            [*cli, "token", "--tenant", "care-of", "--sub", "crm", "--scope", "audit:read"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        secret_file = tmp_path / "data" / "jwt-secret"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the service did not start"
                time.sleep(0.2)
        ok = httpx.get(f"{base}/v1/audit-events", headers={"Authorization": f"Bearer {minted}"})
        assert ok.status_code == 200, ok.text
        forged = hs256(
            make_claims(
                tenant="care-of", scopes=["audit:read"], iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE
            ),
            secret=PUBLISHED_DEV_SECRET,
        )
        refused = httpx.get(
            f"{base}/v1/audit-events", headers={"Authorization": f"Bearer {forged}"}
        )
        assert refused.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
