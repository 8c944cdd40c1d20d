"""The console's frame: redirects, headers, cookies, sessions, CSRF, languages, scopes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import TEST_HASH_SECRET, TEST_JWT_SECRET
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


def _console_paths(application: FastAPI) -> list[str]:
    return [
        path
        for route in iter_route_contexts(application.routes)
        if (path := str(route.path)).startswith("/console")
    ]


def test_the_console_is_loaded_by_its_first_call_and_only_once(settings: Settings) -> None:
    application = create_app(settings)
    try:
        with TestClient(application, raise_server_exceptions=False) as browser:
            assert browser.get("/healthz").status_code == 200
            assert browser.get("/v1/audit-events").status_code == 401
            assert _console_paths(application) == []  # the API alone: no console yet
            first = browser.get("/console", follow_redirects=False)
            loaded = _console_paths(application)
            assert "/console/static/{name:path}" in loaded and "/console/{rest:path}" in loaded
            again = browser.get("/console", follow_redirects=False)
            assert (first.status_code, again.status_code) == (303, 303)
            assert first.headers["location"] == again.headers["location"]
            assert browser.get("/console/no-such-page").status_code == 404
            assert _console_paths(application) == loaded  # not added twice
            assert browser.get("/v1/audit-events").status_code == 401  # the API unchanged
    finally:
        application.state.engine.dispose()


def test_a_process_serving_only_the_api_never_imports_the_console(settings: Settings) -> None:
    # In a process of its own: this one has long imported the console for other tests.
    script = f"""
import sys
from fastapi.testclient import TestClient
from app.core.config import Settings
from app.main import create_app
settings = Settings(
    environment="test",
    database_url={settings.database_url!r},
    jwt_secret={TEST_JWT_SECRET!r},
    hash_secret={TEST_HASH_SECRET!r},
)
application = create_app(settings)
with TestClient(application) as client:
    assert client.get("/healthz").status_code == 200
    assert client.post("/v1/marketing/check", json={{"emails": []}}).status_code == 401
    before = sorted(m for m in sys.modules if m.startswith("app.console.pages"))
    assert client.get("/console", follow_redirects=False).status_code == 303
    after = sorted(m for m in sys.modules if m.startswith("app.console.pages"))
application.state.engine.dispose()
print(len(before), len(after))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    before, after = map(int, result.stdout.split())
    assert before == 0 and after > 1


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
