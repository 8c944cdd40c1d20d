"""Fixtures of the console: a browser-like client signed in with given scopes and tenant.

`console_client(scopes=..., tenant=..., lang=...)` signs a person in by creating their
session row directly (the same `sessions.create` a sign-in uses), not through a route:
the console has no test-only way in. The client speaks HTTPS (the cookie is `Secure`)
and does not follow redirects, so tests see each 303.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.console import sessions
from tests.conftest import ALL_SCOPES, Api

DESK_SCOPES = ["subjects:read", "subjects:write", "rights:read", "rights:write"]
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@dataclass
class Console:
    """A signed-in person's browser: `get`, and `post` of a form (the CSRF token added
    unless `csrf=False` or the form names its own)."""

    client: TestClient
    tenant: str
    actor: str
    csrf_token: str
    scopes: list[str] = field(default_factory=list)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any
    ) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token)
        return self.client.post(path, data=form, **kw)

    def follow(self, response: Any) -> Any:
        """GET where a 303 leads (the page after a POST)."""
        assert response.status_code == 303, (response.status_code, response.text[:500])
        return self.get(response.headers["location"])


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def new_browser(app: FastAPI) -> TestClient:
    """A client as a browser over HTTPS, without following redirects."""
    return TestClient(
        app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=False
    )


@pytest.fixture
def console_client(app: FastAPI, api: Api, clock: Any) -> Iterator[Callable[..., Console]]:
    """`console_client(scopes=ALL_SCOPES, tenant=api.tenant, lang="en", actor=...)`: a
    person signed in to the console (on the pinned `clock`)."""
    made: list[TestClient] = []

    def make(
        scopes: list[str] | None = None,
        tenant: str | None = None,
        *,
        lang: str = "en",
        actor: str = "desk-person-1",
        display_name: str = "Desk Person",
    ) -> Console:
        chosen = list(ALL_SCOPES if scopes is None else scopes)
        tenant = tenant or api.tenant
        raw = sessions.create(
            app.state.engine,
            app.state.settings,
            now=app.state.clock(),
            lang=lang,
            actor=actor,
            display_name=display_name,
            tenant=tenant,
            scopes=chosen,
        )
        browser = new_browser(app)
        browser.cookies.set(sessions.COOKIE_NAME, raw, domain="testserver.local", path="/console")
        made.append(browser)
        row = sessions.find(app.state.engine, raw)
        assert row is not None
        return Console(
            client=browser, tenant=tenant, actor=actor, csrf_token=row.csrf_token, scopes=chosen
        )

    yield make
    for browser in made:
        browser.close()


@pytest.fixture
def console(console_client: Callable[..., Console]) -> Console:
    """A person with every scope, in `api`'s tenant."""
    return console_client()


def audit_rows(engine: sa.Engine, tenant: str) -> list[dict[str, Any]]:
    """The tenant's audit events, oldest first, as plain rows."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT actor, action, subject_id, record_id, rights_request_id, status_code "
                "FROM audit_event WHERE tenant_id = :t ORDER BY id"
            ),
            {"t": tenant},
        )
        return [dict(row._mapping) for row in rows]
