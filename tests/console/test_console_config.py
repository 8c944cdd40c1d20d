"""The console's settings from the environment (PRIVACY_CONSOLE_*): roles, issuer, timeouts."""

from __future__ import annotations

import pytest

from app.core.config import DEFAULT_CONSOLE_ROLES, ConfigurationError, Settings

STRONG = {"environment": "development"}


def test_default_roles_map_the_desk_and_the_administrator() -> None:
    settings = Settings(**STRONG)  # type: ignore[arg-type]
    assert settings.console_oidc_roles == DEFAULT_CONSOLE_ROLES
    assert "admin" not in settings.console_oidc_roles["privacy-desk"]
    assert "admin" in settings.console_oidc_roles["privacy-admin"]
    assert settings.console_idle_timeout_seconds == 30 * 60


def test_roles_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACY_CONSOLE_OIDC_ROLES", '{"dpo": ["rights:read", "audit:read"]}')
    assert Settings(**STRONG).console_oidc_roles == {"dpo": ["rights:read", "audit:read"]}  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ['{"dpo": ["everything"]}', "not json", '{"dpo": "rights:read"}'])
def test_bad_roles_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PRIVACY_CONSOLE_OIDC_ROLES", value)
    with pytest.raises(ValueError):
        Settings(**STRONG)  # type: ignore[arg-type]


def test_an_issuer_needs_https_outside_development_and_a_client_id() -> None:
    with pytest.raises(ConfigurationError, match="https://"):
        Settings(
            environment="test",
            jwt_secret="s" * 40,
            hash_secret="h" * 40,
            console_oidc_issuer="http://idp.example",
            console_oidc_client_id="console",
        )
    with pytest.raises(ConfigurationError, match="CLIENT_ID"):
        Settings(environment="development", console_oidc_issuer="https://idp.example")
    ok = Settings(
        environment="development",
        console_oidc_issuer="http://localhost:8080/realms/desk",
        console_oidc_client_id="console",
    )
    assert ok.console_oidc_client_secret is None  # a public client: PKCE protects the code
