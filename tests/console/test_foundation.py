"""The console's frame: redirects, headers, cookies, sessions, CSRF, languages, scopes."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
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


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    hosts = set(re.findall(r"""(?:src|href)=["']?(https?://[^/"']+)""", page.text))
    hosts |= set(re.findall(r"""url:\s*['"](https?://[^/'"]+)""", page.text))
    assert hosts == set(), hosts
    assert "cdn.jsdelivr.net" not in page.text and "fastapi.tiangolo.com" not in page.text
    assert '"validatorUrl": null' in page.text
    for asset in re.findall(r"""(?:src|href)=["'](/docs/assets/[^"'?]+)""", page.text):
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 500
    assert client.get("/docs/assets/LICENSE").status_code == 200
    assert client.get("/docs/assets/..%2Fpyproject.toml").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404


def test_without_the_console_home_leads_to_the_docs(settings: Settings) -> None:
    application = create_app(settings.model_copy(update={"console_enabled": False}))
    try:
        with TestClient(application, raise_server_exceptions=False) as plain:
            response = plain.get("/", follow_redirects=False)
            assert response.status_code == 307
            assert response.headers["location"] == "/docs"
            assert plain.get("/console", follow_redirects=False).status_code == 404
    finally:
        application.state.engine.dispose()


def test_static_files_stay_inside_their_folder(console: Console) -> None:
    css = console.get("/console/static/console.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "no-store" not in css.headers.get("cache-control", "")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert console.get("/console/static/../templates/console/base.html").status_code == 404
    assert console.get("/console/static/%2e%2e/models.py").status_code == 404


def test_pages_before_sign_in_carry_a_working_language_switch(app: FastAPI) -> None:
    browser = new_browser(app)
    page = browser.get("/console/no-such-page")
    assert page.status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the language form has a token"
    response = browser.post(
        "/console/language", data={"lang": "en", "csrf_token": token.group(1), "next": "/console"}
    )
    assert response.status_code == 303
