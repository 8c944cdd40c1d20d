"""Console sessions: idle timeout and lifetime on the service's clock, sign-out, CSRF,
the language, and no personal data in what the console logs or audits."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.console import sessions
from app.console.i18n import CATALOGUE, from_accept_language
from tests.conftest import Api, FrozenClock
from tests.console.conftest import Console, audit_rows, csrf_of, new_browser


def session_rows(engine: sa.Engine, actor: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM console_session WHERE actor = :a"), {"a": actor}
            ).scalar_one()
        )


def test_idle_timeout_ends_the_session(
    console_client: Callable[..., Console], clock: FrozenClock, engine: sa.Engine
) -> None:
    person = console_client(actor="idle-person")
    assert person.get("/console").status_code == 200
    clock.advance(minutes=29)
    assert person.get("/console").status_code == 200  # used: the idle time starts again
    clock.advance(minutes=29)
    assert person.get("/console").status_code == 200
    clock.advance(minutes=30)
    response = person.get("/console")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/console&expired=1"
    assert session_rows(engine, "idle-person") == 0  # deleted on use
    assert person.get("/console").status_code == 303


def test_the_lifetime_ends_an_active_session(
    console_client: Callable[..., Console], clock: FrozenClock, app: FastAPI
) -> None:
    person = console_client()
    started = clock.now
    lifetime = timedelta(seconds=app.state.settings.console_session_lifetime_seconds)
    while clock.now - started < lifetime + timedelta(hours=1):
        clock.advance(minutes=20)  # active all the time: never idle
        response = person.get("/console")
        if response.status_code != 200:
            break
    assert response.status_code == 303
    assert response.headers["location"].endswith("&expired=1")
    assert lifetime <= clock.now - started < lifetime + timedelta(minutes=20)


def test_sign_out_deletes_the_session(
    console_client: Callable[..., Console], engine: sa.Engine, clock: FrozenClock
) -> None:
    person = console_client(actor="leaving-person")
    assert session_rows(engine, "leaving-person") == 1
    response = person.post("/console/sign-out")
    assert response.status_code == 303
    assert (
        'privacy_console=""' in response.headers["set-cookie"]
        or "Max-Age=0" in (response.headers["set-cookie"])
    )
    assert session_rows(engine, "leaving-person") == 0
    assert person.get("/console").status_code == 303


def test_sign_out_without_the_token_does_not(
    console_client: Callable[..., Console], engine: sa.Engine, clock: FrozenClock
) -> None:
    person = console_client(actor="staying-person")
    assert person.post("/console/sign-out", csrf=False).status_code == 403
    assert session_rows(engine, "staying-person") == 1


def test_the_session_row_holds_only_a_hash_of_the_cookie(
    console_client: Callable[..., Console], engine: sa.Engine, clock: FrozenClock
) -> None:
    person = console_client(actor="hashed-person")
    raw = person.client.cookies.get(sessions.COOKIE_NAME)
    assert raw
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT id_hash FROM console_session WHERE actor = 'hashed-person'")
        ).scalar_one()
    assert stored != raw and stored == sessions.hash_id(raw)


def test_purge_deletes_expired_sessions(
    console_client: Callable[..., Console], engine: sa.Engine, clock: FrozenClock, app: FastAPI
) -> None:
    console_client(actor="forgotten-person")
    clock.advance(minutes=31)
    ended = sessions.purge_expired(engine, now=clock.now, settings=app.state.settings)
    assert ended >= 1
    assert session_rows(engine, "forgotten-person") == 0


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_a_post_without_the_csrf_token_changes_nothing(
    api: Api, console: Console, clock: FrozenClock, token: str | None
) -> None:
    subject = api.create_subject()
    before = api.row_counts()
    form = {"type": "access", "channel": "email", "received_at": "2026-11-25T12:00",
            "subject_id": subject["id"]}  # fmt: skip
    if token is not None:
        form["csrf_token"] = token
    response = console.post("/console/requests/new", form, csrf=False)
    assert response.status_code == 403
    assert "Nothing changed" in response.text
    assert api.row_counts() == before


def test_another_persons_csrf_token_is_refused(
    api: Api, console_client: Callable[..., Console], clock: FrozenClock
) -> None:
    one = console_client(actor="one")
    two = console_client(actor="two")
    subject = api.create_subject()
    form = {"type": "access", "channel": "email", "received_at": "2026-11-25T12:00",
            "subject_id": subject["id"], "csrf_token": two.csrf_token}  # fmt: skip
    assert one.post("/console/requests/new", form).status_code == 403


def test_a_form_of_another_type_is_refused(console: Console, clock: FrozenClock) -> None:
    response = console.client.post(
        "/console/requests/new", json={"csrf_token": console.csrf_token, "type": "access"}
    )
    assert response.status_code == 400


def test_language_switch_is_kept_in_the_session(console: Console, clock: FrozenClock) -> None:
    assert '<html lang="en">' in console.get("/console").text
    response = console.post("/console/language", {"lang": "sv", "next": "/console"})
    assert response.status_code == 303 and response.headers["location"] == "/console"
    page = console.get("/console")
    assert '<html lang="sv">' in page.text and "<h1>Kö</h1>" in page.text
    assert console.post("/console/language", {"lang": "de"}).status_code == 403


def test_language_before_sign_in_from_accept_language_then_cookie(app: FastAPI) -> None:
    browser = new_browser(app)
    page = browser.get("/console/sign-in", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text
    page = browser.get("/console/sign-in", headers={"Accept-Language": "de, sv;q=0.5"})
    assert '<html lang="sv">' in page.text
    response = browser.post(
        "/console/language",
        data={"lang": "en", "next": "/console/sign-in", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303
    page = browser.get("/console/sign-in", headers={"Accept-Language": "sv"})
    assert '<html lang="en">' in page.text


def test_accept_language_parsing() -> None:
    assert from_accept_language(None) == "sv"
    assert from_accept_language("en-US") == "en"
    assert from_accept_language("fr, en;q=0.1, sv;q=0.8") == "sv"
    assert from_accept_language("en;q=0") == "sv"
    assert from_accept_language("x" * 5000) == "sv"


def test_every_message_exists_in_both_languages() -> None:
    assert set(CATALOGUE["sv"]) == set(CATALOGUE["en"])
    for lang in ("sv", "en"):
        assert all(text.strip() for text in CATALOGUE[lang].values())


def test_no_personal_data_in_urls_logs_or_audit_events(
    api: Api, console: Console, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email, phone = "vera.holm@example.se", "+46701112233"
    api.create_subject(emails=[email], phones=[phone])
    locations = []
    response = console.post(
        "/console/requests/new",
        {"type": "access", "channel": "phone", "received_at": "2026-11-25T12:00",
         "emails": email, "phones": phone},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    locations.append(response.headers["location"])
    rid = response.headers["location"].rsplit("/", 1)[1]
    page = console.get(f"/console/requests/{rid}")
    assert email in page.text  # the desk sees who asked, on the page
    for action, form in [
        ("verify", {"method": "phone_callback", "verified_at": "2026-11-25T12:00"}),
        ("complete", {"outcome": "refused", "reasons": f"Asked by {email}"}),
    ]:
        response = console.post(f"/console/requests/{rid}/{action}", form)
        locations.append(response.headers.get("location", ""))
    # A refused form (bad input) does not echo values into logs either.
    console.post("/console/requests/new", {"type": "access", "emails": "not-an-email@"})
    logs = "\n".join(
        record.getMessage() + json.dumps(record.__dict__, default=str) for record in caplog.records
    )
    events = json.dumps(audit_rows(api.engine, api.tenant), default=str)
    for value in (email, "vera.holm", "example.se", phone, "46701112233", "not-an-email"):
        assert value not in logs
        assert value not in events
        assert all(value not in location for location in locations)
