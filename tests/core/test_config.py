"""Settings refuse weak secrets outside development; the CLI mints usable tokens."""

from __future__ import annotations

import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.core.config import (
    DEV_JWT_SECRET_FILE,
    ConfigurationError,
    Settings,
    development_secret,
)
from app.core.errors import Unauthorized
from app.core.security import TokenVerifier
from tests.conftest import hs256, make_claims

STRONG = "s" * 48
# The constant development used to fall back to; published in the repository's history.
PUBLISHED_DEV_SECRET = "dev-only-jwt-secret-change-me-0123456789"


def test_development_generates_its_own_secret_once(tmp_path: Path) -> None:
    settings = Settings(environment="development", data_dir=tmp_path / "data")
    secret = settings.hmac_secret()
    assert secret is not None and len(secret) >= 40
    path = tmp_path / "data" / DEV_JWT_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Settings(environment="development", data_dir=tmp_path / "data")
    assert again.hmac_secret() == secret  # kept, not regenerated
    elsewhere = Settings(environment="development", data_dir=tmp_path / "other")
    assert elsewhere.hmac_secret() != secret  # random, not a constant


def test_development_never_accepts_the_published_secret(tmp_path: Path) -> None:
    """Tokens signed with the constant once in config.py are refused for every tenant."""
    settings = Settings(
        environment="development", data_dir=tmp_path, jwt_issuer="i", jwt_audience="a"
    )
    forged = hs256(
        make_claims(tenant="any-tenant", scopes=["admin"], iss="i", aud="a"),
        secret=PUBLISHED_DEV_SECRET,
    )
    with pytest.raises(Unauthorized):
        TokenVerifier(settings).verify(forged)
    with pytest.raises(ConfigurationError, match="published placeholder"):
        Settings(environment="development", jwt_secret=PUBLISHED_DEV_SECRET)


def test_the_secret_file_is_created_once_under_concurrency(tmp_path: Path) -> None:
    path = tmp_path / "data" / DEV_JWT_SECRET_FILE
    with ThreadPoolExecutor(max_workers=8) as pool:
        secrets = set(pool.map(lambda _: development_secret(path), range(32)))
    assert len(secrets) == 1
    assert [p.name for p in path.parent.iterdir()] == [DEV_JWT_SECRET_FILE]  # no leftovers


def test_an_unusable_secret_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DEV_JWT_SECRET_FILE
    path.write_text("short\n")
    with pytest.raises(ConfigurationError, match="delete it"):
        development_secret(path)


def test_outside_development_no_secret_is_generated(tmp_path: Path) -> None:
    settings = Settings(
        environment="production",
        jwt_algorithms=["RS256"],
        jwks_url="/etc/keys/jwks.json",
        hash_secret=STRONG,
        data_dir=tmp_path,
    )
    assert settings.hmac_secret() is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("jwt_secret", "hash_secret"),
    [
        (None, STRONG),
        (STRONG, None),
        ("changeme", STRONG),
        (PUBLISHED_DEV_SECRET, STRONG),
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
