"""Settings refuse weak secrets outside development; the CLI mints usable tokens."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.core.config import DEV_JWT_SECRET, ConfigurationError, Settings

STRONG = "s" * 48


def test_development_falls_back_to_dev_secrets() -> None:
    settings = Settings(environment="development", jwt_secret=None, hash_secret=None)
    assert settings.jwt_secret == DEV_JWT_SECRET
    assert settings.hash_secret


@pytest.mark.parametrize(
    ("jwt_secret", "hash_secret"),
    [
        (None, STRONG),
        (STRONG, None),
        ("changeme", STRONG),
        (DEV_JWT_SECRET, STRONG),
        ("short-secret", STRONG),
        (STRONG, "placeholder"),
    ],
)
def test_production_refuses_missing_or_placeholder_secrets(
    jwt_secret: str | None, hash_secret: str | None
) -> None:
    with pytest.raises(ConfigurationError):
        Settings(environment="production", jwt_secret=jwt_secret, hash_secret=hash_secret)


def test_production_with_public_keys_needs_them() -> None:
    with pytest.raises(ConfigurationError):
        Settings(environment="production", jwt_algorithms=["RS256"], hash_secret=STRONG)


def test_production_accepts_strong_secrets() -> None:
    settings = Settings(environment="production", jwt_secret=STRONG, hash_secret=STRONG + "h")
    assert settings.environment == "production"


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        Settings(jwt_algorithms=["none"])


def test_algorithms_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACY_JWT_ALGORITHMS", "RS256, ES256")
    monkeypatch.setenv("PRIVACY_JWKS_URL", "/etc/keys/jwks.json")
    assert Settings().jwt_algorithms == ["RS256", "ES256"]


def test_cli_refuses_to_serve_with_placeholder_secret(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve"],
        env={
            "PRIVACY_ENVIRONMENT": "production",
            "PRIVACY_JWT_SECRET": "changeme",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "PRIVACY_JWT_SECRET is a placeholder" in result.stderr
    assert "PRIVACY_HASH_SECRET is missing" in result.stderr
