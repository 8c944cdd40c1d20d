"""`privacy-api token` mints a token the service accepts."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from app.cli import build_parser
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
