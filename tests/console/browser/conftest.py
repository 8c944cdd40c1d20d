"""The console in a real browser: Playwright drives Debian's Chromium (`/usr/bin/chromium`,
installed by `scripts/ensure-chromium.sh`; Playwright's own browser download is never
used) against a real uvicorn server of the service, one per database backend.

- `live`: the server, started per backend for the browser tests, in a thread of this
  process, on a free port, on the pinned clock of the suite (`CLOCK_START`), in the development
  environment (the console's development sign-in) with the tests' secrets. Tests seed
  their data through its API (`live.api(tenant)`), each in a tenant of its own.
- `desk`: a fresh browser context and page for one test, and the person's moves on it
  (`goto`, `submit`, ...). After every page the person reaches, axe-core (4.12.1, from
  `axe-playwright-python`) checks it against the WCAG 2.0/2.1/2.2 A and AA rules; any
  violation fails the test. At the end of the test, any console error (a CSP violation,
  a script error) or failed request of the page fails it too.

`PRIVACY_SCREENSHOTS=<dir>` makes the tests save the README's screenshots there
(`scripts/screenshots.sh`).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.conftest import (
    ALL_SCOPES,
    AUDIENCE,
    CLOCK_START,
    ISSUER,
    TEST_HASH_SECRET,
    TEST_JWT_SECRET,
    FrozenClock,
    hs256,
    make_claims,
)

CHROMIUM = os.environ.get("PRIVACY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
# WCAG 2.0, 2.1 and 2.2, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = os.environ.get("PRIVACY_SCREENSHOTS")

if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"{CHROMIUM} is missing: scripts/ensure-chromium.sh installs it",
        allow_module_level=True,
    )

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveApi:
    """The live server's API, as one tenant's system calls it."""

    http: httpx.Client
    tenant: str

    def _headers(self) -> dict[str, str]:
        claims = make_claims(tenant=self.tenant, sub="browser-seed", scopes=ALL_SCOPES)
        return {"Authorization": f"Bearer {hs256(claims)}"}

    def post(self, path: str, body: Any = None, status: int | None = None) -> Any:
        response = self.http.post(path, json=body, headers=self._headers())
        if status is not None:
            assert response.status_code == status, response.text
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.http.get(path, headers={**self._headers(), **kw.pop("headers", {})}, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.http.put(
            path, json=body, headers={**self._headers(), **kw.pop("headers", {})}, **kw
        )


@dataclass
class Live:
    base_url: str
    app: FastAPI
    clock: FrozenClock
    http: httpx.Client

    def api(self, tenant: str) -> LiveApi:
        return LiveApi(http=self.http, tenant=tenant)


@pytest.fixture(scope="package")
def live(database_url: str) -> Iterator[Live]:
    """A uvicorn server of the service on this backend's database, in development mode
    (the console's development sign-in), on the suite's pinned clock."""
    settings = Settings(
        environment="development",
        database_url=database_url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_algorithms=["HS256"],
        jwt_secret=TEST_JWT_SECRET,
        hash_secret=TEST_HASH_SECRET,
        dispatch_interval_seconds=0,
    )
    app = create_app(settings)
    clock = FrozenClock(CLOCK_START)
    app.state.clock = clock
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="browser-tests-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield Live(base_url=base_url, app=app, clock=clock, http=http)
    server.should_exit = True
    thread.join(timeout=30)
    app.state.engine.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def axe() -> Axe:
    return Axe()


@dataclass
class Desk:
    """One person at the privacy desk, in a browser page of their own."""

    page: Page
    live: Live
    axe: Axe
    tenant: str
    problems: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    # Moving around ------------------------------------------------------------------

    def goto(self, path: str) -> None:
        response = self.page.goto(self.live.base_url + path)
        assert response is not None
        self.check()

    def submit(self, button: str, *, within: str | None = None) -> None:
        """Press a submit button (by its visible name) and check the page it leads to."""
        scope = self.page.locator(within) if within else self.page
        with self.page.expect_navigation():
            scope.get_by_role("button", name=button, exact=True).click()
        self.check()

    def follow(self, link: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link).first.click()
        self.check()

    def field(self, label: str) -> Any:
        """The form field with this label (a required field's label ends in `*`)."""
        return self.page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))

    def fill(self, label: str, value: str) -> None:
        self.field(label).fill(value)

    @property
    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    # Checks -------------------------------------------------------------------------

    def check(self) -> None:
        """The page now shown passes axe (WCAG 2 A and AA)."""
        self.page.wait_for_load_state("load")
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        results = self.axe.run(self.page, options=options)
        violations = results.response["violations"]
        assert not violations, f"axe on {self.path}:\n" + json.dumps(
            [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"]][:5],
                }
                for v in violations
            ],
            indent=1,
        )
        self.checked.append(self.path)
        self.unchecked.clear()

    def screenshot(self, name: str) -> None:
        """The README's screenshot `name` (only with `PRIVACY_SCREENSHOTS`)."""
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))

    def sign_in(self, *, role: str = "privacy-admin", name: str = "Desk Person") -> None:
        """The development sign-in, as a newcomer uses it."""
        self.goto("/console")
        assert self.path.startswith("/console/sign-in")
        self.fill(self._t("Development secret", "Utvecklingshemlighet"), TEST_JWT_SECRET)
        self.fill(self._t("Tenant", "Klient (tenant)"), self.tenant)
        self.fill(self._t("Display name", "Visningsnamn"), name)
        self.field(self._t("Role", "Roll")).select_option(role)
        self.submit(self._t("Sign in", "Logga in"), within="main")
        assert self.path == "/console", self.path

    def _t(self, en: str, sv: str) -> str:
        return sv if self.page.locator("html").get_attribute("lang") == "sv" else en


@pytest.fixture
def desk(browser: Browser, live: Live, axe: Axe) -> Iterator[Desk]:
    """A new browser context (no cookies) and page, in English, for a fresh tenant."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="en-GB", accept_downloads=True, timezone_id="Europe/Stockholm"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    person = Desk(page=page, live=live, axe=axe, tenant=f"t-{uuid.uuid4().hex[:12]}")

    answered_4xx: set[str] = set()
    console_errors: list[tuple[str, str]] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            console_errors.append((message.location.get("url", ""), message.text))

    def on_failed(request: Any) -> None:
        failure = request.failure or ""
        # A download ends its navigation (the browser aborts it and saves the file).
        if "ERR_ABORTED" in failure and request.resource_type == "document":
            return
        person.problems.append(f"request failed: {request.method} {request.url} {failure}")

    def on_response(response: Any) -> None:
        kind = response.request.resource_type
        if response.url.endswith("/favicon.ico"):
            return  # the browser's own request, not the page's
        if kind == "document" and 400 <= response.status < 500:
            answered_4xx.add(response.url)  # a form shown again with what was refused
        elif response.status >= 500 or response.status >= 400:
            person.problems.append(f"{response.status} for {kind} {response.url}")

    def on_navigated(frame: Any) -> None:
        if frame == page.main_frame:
            person.unchecked.append(frame.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: person.problems.append(f"page error: {error}"))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("framenavigated", on_navigated)
    yield person
    for url, text in console_errors:
        # The browser logs every 4xx page it shows; a refused form is one (checked with
        # axe like any other page), and so is its own request for /favicon.ico.
        if (url in answered_4xx or url.endswith("/favicon.ico")) and text.startswith(
            "Failed to load resource: the server responded with a status of 4"
        ):
            continue
        person.problems.append(f"console error on {url}: {text}")
    try:
        assert not person.problems, "\n".join(person.problems)
        assert not person.unchecked, f"pages not checked with axe: {person.unchecked}"
    finally:
        context.close()
