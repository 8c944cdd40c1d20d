"""The GDPR API's settings: off by default, complete or refused, https outside
development; the issuer's JWKS found as OpenID Connect Discovery says."""

from __future__ import annotations

from typing import Any

import pytest

from app.core import security
from app.core.config import ConfigurationError, Settings
from app.core.security import discover_jwks_uri

SECRETS: dict[str, Any] = {"jwt_secret": "s" * 48, "hash_secret": "h" * 48}
COMPLETE: dict[str, Any] = {
    "gdpr_api_issuer": "https://tunnistamo.hel.fi",
    "gdpr_api_audience": "https://api.hel.fi/auth/privacyapi",
    "gdpr_api_tenant": "helsinki",
}


def test_off_by_default() -> None:
    settings = Settings(environment="production", **SECRETS)
    assert settings.gdpr_api_issuer is None
    assert (settings.gdpr_api_query_scope, settings.gdpr_api_delete_scope) == (
        "gdprquery",
        "gdprdelete",
    )
    assert settings.gdpr_api_authorization_field == "https://api.hel.fi/auth"


def test_a_complete_configuration_is_accepted() -> None:
    settings = Settings(environment="production", **SECRETS, **COMPLETE)
    assert settings.gdpr_api_tenant == "helsinki"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"gdpr_api_audience": None}, "PRIVACY_GDPR_API_AUDIENCE is missing"),
        ({"gdpr_api_tenant": None}, "PRIVACY_GDPR_API_TENANT must be a tenant id"),
        ({"gdpr_api_tenant": "two words"}, "PRIVACY_GDPR_API_TENANT must be a tenant id"),
        ({"gdpr_api_issuer": "http://tunnistamo.hel.fi"}, "must be an https:// URL"),
        ({"gdpr_api_issuer": "tunnistamo.hel.fi"}, "must be an https:// URL"),
        ({"gdpr_api_delete_scope": "gdprquery"}, "scopes must differ"),
    ],
)
def test_an_incomplete_configuration_refuses_to_start(
    change: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        Settings(environment="production", **SECRETS, **{**COMPLETE, **change})


def test_development_may_use_a_local_http_issuer(tmp_path: Any) -> None:
    """The GDPR API tester's simulator serves plain http on a local port."""
    settings = Settings(
        environment="development",
        data_dir=tmp_path,
        **{**COMPLETE, "gdpr_api_issuer": "http://127.0.0.1:8888/"},
    )
    assert settings.gdpr_api_issuer == "http://127.0.0.1:8888/"


@pytest.mark.parametrize(
    ("document", "found"),
    [
        ({"issuer": "https://id.example", "jwks_uri": "https://id.example/certs"}, True),
        ({"issuer": "https://other.example", "jwks_uri": "https://id.example/certs"}, False),
        ({"issuer": "https://id.example", "jwks_uri": "http://id.example/certs"}, False),
        ({"issuer": "https://id.example", "jwks_uri": "/etc/passwd"}, False),
        ({"issuer": "https://id.example"}, False),
        (["not", "a", "document"], False),
    ],
)
def test_discovery_names_the_jwks_of_that_issuer_only(
    document: Any, found: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def read(source: str) -> Any:
        asked.append(source)
        return document

    monkeypatch.setattr(security, "_read_json", read)
    if found:
        assert discover_jwks_uri("https://id.example") == "https://id.example/certs"
    else:
        with pytest.raises(ValueError):
            discover_jwks_uri("https://id.example")
    assert asked == ["https://id.example/.well-known/openid-configuration"]


def test_a_trailing_slash_is_removed_before_the_well_known_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OpenID Connect Discovery §4: the tester's issuer `http://127.0.0.1:8888/`."""
    asked: list[str] = []

    def read(source: str) -> Any:
        asked.append(source)
        return {"issuer": "http://127.0.0.1:8888/", "jwks_uri": "http://127.0.0.1:8888/jwks"}

    monkeypatch.setattr(security, "_read_json", read)
    assert discover_jwks_uri("http://127.0.0.1:8888/") == "http://127.0.0.1:8888/jwks"
    assert asked == ["http://127.0.0.1:8888/.well-known/openid-configuration"]
