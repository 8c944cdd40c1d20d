"""`privacy-api token` mints a token the service accepts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.core.config import Settings
from app.core.security import TokenVerifier
from tests.conftest import AUDIENCE, ISSUER, TEST_JWT_SECRET, child_env


@pytest.mark.clock  # minted in a child process, verified in this one
def test_token_command_mints_a_verifiable_token() -> None:
    env = child_env(
        PRIVACY_JWT_SECRET=TEST_JWT_SECRET,
        PRIVACY_JWT_ISSUER=ISSUER,
        PRIVACY_JWT_AUDIENCE=AUDIENCE,
    )
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
