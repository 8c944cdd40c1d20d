"""Signing in to the console: OpenID Connect with PKCE against a local issuer (the one
the GDPR API's tests use, with a token endpoint), and the development sign-in."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.core.config import Settings
from tests.conftest import TEST_JWT_SECRET, Api, FrozenClock
from tests.console.conftest import csrf_of, new_browser
from tests.interop.oidc import Issuer, serve_issuer

CLIENT_ID = "privacy-console"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    yield from serve_issuer()


@pytest.fixture
def oidc(app: FastAPI, settings: Settings, issuer: Issuer) -> Iterator[Issuer]:
    """The console signs in with the local issuer (for this test)."""
    app.state.settings = settings.model_copy(
        update={"console_oidc_issuer": issuer.url, "console_oidc_client_id": CLIENT_ID}
    )
    app.state.console_oidc = None
    issuer.token_answers.clear()
    issuer.token_requests.clear()
    yield issuer
    app.state.settings = settings
    app.state.console_oidc = None
    issuer.token_answers.clear()


def leave_for_issuer(browser: Any, next_path: str = "/console") -> dict[str, str]:
    response = browser.get(f"/console/sign-in/oidc?next={next_path}")
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/authorize"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def id_token(issuer: Issuer, clock: FrozenClock, **claims: Any) -> str:
    now = int(clock.now.timestamp())
    defaults: dict[str, Any] = {
        "aud": CLIENT_ID,
        "iat": now,
        "auth_time": now,
        "exp": now + 300,
        "roles": ["privacy-desk"],
        "name": "Desk Person",
    }
    return issuer.token(sub=claims.pop("sub", "idp-person-42"), **{**defaults, **claims})


def test_good_login_with_pkce_names_the_person_and_tenant(
    app: FastAPI, api: Api, oidc: Issuer, clock: FrozenClock, engine: sa.Engine
) -> None:
    browser = new_browser(app)
    asked = leave_for_issuer(browser, "/console")
    assert asked["response_type"] == "code"
    assert asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"] == "https://testserver/console/callback"
    assert "openid" in asked["scope"].split()
    pending_cookie = browser.cookies.get("privacy_console")
    oidc.token_answers.append(
        (200, {"id_token": id_token(oidc, clock, nonce=asked["nonce"], tenant=api.tenant),
               "access_token": "x", "token_type": "Bearer"})
    )  # fmt: skip
    response = browser.get(f"/console/callback?code=the-code&state={asked['state']}")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console"
    # PKCE: the verifier sent with the code is the one the challenge was made from.
    sent = oidc.token_requests[-1]
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "the-code"
    digest = hashlib.sha256(sent["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]
    # A new session id after sign-in (rotation); the pending one is gone.
    assert browser.cookies.get("privacy_console") != pending_cookie
    page = browser.get("/console")
    assert page.status_code == 200
    assert f"Desk Person ({api.tenant})" in page.text
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT actor, tenant, scopes FROM console_session WHERE tenant = :t"),
            {"t": api.tenant},
        ).one()
    assert row.actor == "idp-person-42"
    assert "rights:write" in str(row.scopes) and "admin" not in str(row.scopes)


@pytest.mark.parametrize(
    "case",
    ["wrong_state", "wrong_nonce", "expired", "wrong_audience", "token_refused", "no_pending"],
)
def test_a_sign_in_that_does_not_check_out_fails(
    app: FastAPI, api: Api, oidc: Issuer, clock: FrozenClock, case: str
) -> None:
    browser = new_browser(app)
    asked = leave_for_issuer(browser)
    claims: dict[str, Any] = {"nonce": asked["nonce"], "tenant": api.tenant}
    state = asked["state"]
    if case == "wrong_state":
        state = "not-the-state"
    elif case == "wrong_nonce":
        claims["nonce"] = "another-nonce"
    elif case == "expired":
        claims["exp"] = int(clock.now.timestamp()) - 3600
        claims["iat"] = int(clock.now.timestamp()) - 7200
    elif case == "wrong_audience":
        claims["aud"] = "another-client"
    elif case == "no_pending":
        browser.cookies.clear()
    if case == "token_refused":
        oidc.token_answers.append((400, {"error": "invalid_grant"}))
    else:
        oidc.token_answers.append((200, {"id_token": id_token(oidc, clock, **claims)}))
    response = browser.get(f"/console/callback?code=c&state={state}")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?failed=1"
    assert browser.get("/console").status_code == 303  # not signed in
    # The pending sign-in is used up: replaying the callback fails too.
    replay = browser.get(f"/console/callback?code=c&state={asked['state']}")
    assert replay.headers["location"] == "/console/sign-in?failed=1"


def test_no_mapped_role_is_a_403_page(
    app: FastAPI, api: Api, oidc: Issuer, clock: FrozenClock
) -> None:
    browser = new_browser(app)
    asked = leave_for_issuer(browser)
    token = id_token(oidc, clock, nonce=asked["nonce"], tenant=api.tenant, roles=["sales"])
    oidc.token_answers.append((200, {"id_token": token}))
    response = browser.get(f"/console/callback?code=c&state={asked['state']}")
    assert response.status_code == 403
    assert "ingen roll" in response.text  # Swedish before a language is chosen
    assert browser.get("/console").status_code == 303


def test_tenant_and_roles_come_from_the_configured_claims(
    app: FastAPI, api: Api, oidc: Issuer, clock: FrozenClock
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={
            "console_oidc_roles_claim": "realm_access.roles",
            "console_oidc_tenant_claim": "org",
        }
    )
    browser = new_browser(app)
    asked = leave_for_issuer(browser)
    token = id_token(
        oidc, clock, nonce=asked["nonce"], org=api.tenant, roles=None,
        realm_access={"roles": ["privacy-admin"]},
    )  # fmt: skip
    oidc.token_answers.append((200, {"id_token": token}))
    response = browser.get(f"/console/callback?code=c&state={asked['state']}")
    assert response.status_code == 303
    page = browser.get("/console")
    assert page.status_code == 200
    assert f"({api.tenant})" in page.text
    assert 'href="/console/settings"' in page.text  # privacy-admin holds admin


def test_oidc_routes_are_404_without_an_issuer(app: FastAPI) -> None:
    browser = new_browser(app)
    assert browser.get("/console/sign-in/oidc").status_code == 404
    assert browser.get("/console/callback?code=c&state=s").status_code == 404


def test_development_sign_in_is_404_outside_development(app: FastAPI) -> None:
    browser = new_browser(app)
    page = browser.get("/console/sign-in")
    assert page.status_code == 200
    assert 'name="secret"' not in page.text
    response = browser.post(
        "/console/sign-in",
        data={"csrf_token": csrf_of(page.text), "secret": TEST_JWT_SECRET, "tenant": "t",
              "display_name": "x", "role": "privacy-desk"},
    )  # fmt: skip
    assert response.status_code == 404


@pytest.fixture
def development(app: FastAPI, settings: Settings) -> Iterator[None]:
    app.state.settings = settings.model_copy(update={"environment": "development"})
    yield
    app.state.settings = settings


def test_development_sign_in_with_the_development_secret(
    app: FastAPI, api: Api, development: None, clock: FrozenClock
) -> None:
    browser = new_browser(app)
    page = browser.get("/console/sign-in?next=/console")
    assert 'name="secret"' in page.text
    form = {
        "csrf_token": csrf_of(page.text), "secret": TEST_JWT_SECRET, "tenant": api.tenant,
        "display_name": "Dev Person", "role": "privacy-desk", "next": "/console",
    }  # fmt: skip
    response = browser.post("/console/sign-in", data=form)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("privacy_console=")
    for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/console"):
        assert flag in cookie
    assert "Domain" not in cookie
    page = browser.get("/console")
    assert page.status_code == 200 and "Dev Person" in page.text


@pytest.mark.parametrize("field", ["secret", "csrf_token"])
def test_development_sign_in_refuses_a_wrong_secret_or_token(
    app: FastAPI, api: Api, development: None, clock: FrozenClock, field: str
) -> None:
    browser = new_browser(app)
    page = browser.get("/console/sign-in")
    form = {
        "csrf_token": csrf_of(page.text), "secret": TEST_JWT_SECRET, "tenant": api.tenant,
        "display_name": "Dev Person", "role": "privacy-desk",
    }  # fmt: skip
    form[field] = "wrong"
    response = browser.post("/console/sign-in", data=form)
    assert response.status_code == (400 if field == "secret" else 403)
    assert "privacy_console=" not in response.headers.get("set-cookie", "")
    assert browser.get("/console").status_code == 303


def test_next_is_a_console_path_only(
    app: FastAPI, api: Api, development: None, clock: FrozenClock
) -> None:
    browser = new_browser(app)
    page = browser.get("/console/sign-in")
    form = {
        "csrf_token": csrf_of(page.text), "secret": TEST_JWT_SECRET, "tenant": api.tenant,
        "display_name": "Dev", "role": "privacy-desk", "next": "//evil.example/console",
    }  # fmt: skip
    response = browser.post("/console/sign-in", data=form)
    assert response.headers["location"] == "/console"
