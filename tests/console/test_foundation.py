"""The console's frame: redirects, headers, cookies, sessions, CSRF, languages, scopes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.console.conftest import Console, new_browser


def test_home_leads_to_the_console(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/console"


def test_signed_out_person_is_sent_to_sign_in_with_the_path(app: FastAPI) -> None:
    browser = new_browser(app)
    response = browser.get("/console")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/console"


def test_queue_page_has_security_headers(console: Console) -> None:
    response = console.get("/console")
    assert response.status_code == 200, response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert '<html lang="en">' in response.text
    assert response.text.count("<h1") == 1


def test_missing_scope_is_a_403_page(console_client: Callable[..., Console]) -> None:
    person = console_client(scopes=["subjects:read"])
    response = person.get("/console")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


def test_unknown_console_path_is_a_404_page(console: Console) -> None:
    response = console.get("/console/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
