"""Server-side console sessions.

The browser holds only a random value in the cookie `privacy_console` (`Secure`,
`HttpOnly`, `SameSite=Lax`, `Path=/console`); the table keeps its sha256, so a copy of
the table opens no session. A session ends after `console_idle_timeout_seconds` without
use (measured with the service's clock, `app.state.clock`), at the latest
`console_session_lifetime_seconds` after sign-in, or at sign-out (the row is deleted).
Signing in always starts a new session (a new id), so an id planted before sign-in is
worthless after it. Expired rows are deleted when they are next presented and whenever
someone signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete

from app.console.models import ConsoleSession
from app.core.config import Settings
from app.core.db import begin_write

COOKIE_NAME = "privacy_console"
COOKIE_PATH = "/console"
LANG_COOKIE = "privacy_console_lang"
# Before sign-in, forms (the development sign-in, the language) carry this cookie's value.
PRE_CSRF_COOKIE = "privacy_console_csrf"
# How long an OpenID Connect sign-in may take between leaving for the issuer and returning.
PENDING_SECONDS = 10 * 60
# `last_seen_at` is written at most this often (the idle timeout is measured in minutes).
TOUCH_INTERVAL = timedelta(seconds=60)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_id(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def _write(engine: Engine, work: Callable[[Session], Any]) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        result = work(session)
        session.commit()
        return result


def create(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    lang: str,
    actor: str | None = None,
    display_name: str | None = None,
    tenant: str | None = None,
    scopes: Iterable[str] = (),
    pending: dict[str, Any] | None = None,
    replaces: str | None = None,
) -> str:
    """A new session; its raw id for the cookie. `replaces` (a raw id) is deleted: a
    sign-in rotates the id. Expired sessions of anyone are deleted on the way."""
    raw = new_secret()
    lifetime = (
        timedelta(seconds=PENDING_SECONDS)
        if actor is None
        else timedelta(seconds=settings.console_session_lifetime_seconds)
    )

    def work(session: Session) -> None:
        session.exec(delete(ConsoleSession).where(col(ConsoleSession.expires_at) <= now))
        if replaces:
            session.exec(
                delete(ConsoleSession).where(col(ConsoleSession.id_hash) == hash_id(replaces))
            )
        session.add(
            ConsoleSession(
                id_hash=hash_id(raw),
                actor=actor,
                display_name=display_name,
                tenant=tenant,
                scopes=sorted(set(scopes)),
                lang=lang,
                csrf_token=new_secret(),
                flashes=[],
                pending=pending,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )

    _write(engine, work)
    return raw


def find(engine: Engine, raw: str | None) -> ConsoleSession | None:
    """The stored session of a cookie value (read only; `current` applies the timeouts)."""
    if not raw or len(raw) > 128:
        return None
    with Session(engine, expire_on_commit=False) as session:
        return session.get(ConsoleSession, hash_id(raw))


def is_expired(row: ConsoleSession, settings: Settings, now: datetime) -> bool:
    if now >= row.expires_at:
        return True
    if row.actor is None:
        return False  # a pending sign-in lives until `expires_at`
    return now - row.last_seen_at >= timedelta(seconds=settings.console_idle_timeout_seconds)


def needs_write(row: ConsoleSession, now: datetime) -> bool:
    """Whether using the session now changes its row (touch, or flashes to clear)."""
    return bool(row.flashes) or now - row.last_seen_at >= TOUCH_INTERVAL


def touch(engine: Engine, id_hash: str, *, now: datetime, clear_flashes: bool) -> None:
    values: dict[str, Any] = {"last_seen_at": now}
    if clear_flashes:
        values["flashes"] = []
    _write(
        engine,
        lambda session: session.exec(
            sa.update(ConsoleSession).where(col(ConsoleSession.id_hash) == id_hash).values(**values)
        ),
    )


def delete_session(engine: Engine, id_hash: str) -> None:
    _write(
        engine,
        lambda session: session.exec(
            delete(ConsoleSession).where(col(ConsoleSession.id_hash) == id_hash)
        ),
    )


def update(engine: Engine, id_hash: str, **values: Any) -> None:
    """Change the session's `lang`, `pending` or `flashes`."""
    allowed = {"lang", "pending", "flashes"}
    assert set(values) <= allowed, values
    _write(
        engine,
        lambda session: session.exec(
            sa.update(ConsoleSession).where(col(ConsoleSession.id_hash) == id_hash).values(**values)
        ),
    )


def add_flashes(engine: Engine, id_hash: str, flashes: list[dict[str, Any]]) -> None:
    def work(session: Session) -> None:
        row = session.get(ConsoleSession, id_hash, with_for_update=True)
        if row is not None:
            row.flashes = [*row.flashes, *flashes][-10:]
            session.add(row)

    _write(engine, work)


def purge_expired(engine: Engine, *, now: datetime, settings: Settings) -> int:
    """Delete every session past its lifetime or idle longer than the idle timeout."""
    idle_since = now - timedelta(seconds=settings.console_idle_timeout_seconds)

    def work(session: Session) -> int:
        result = session.exec(
            delete(ConsoleSession).where(
                sa.or_(
                    col(ConsoleSession.expires_at) <= now,
                    sa.and_(
                        col(ConsoleSession.actor).is_not(None),
                        col(ConsoleSession.last_seen_at) <= idle_since,
                    ),
                )
            )
        )
        return int(result.rowcount or 0)

    count: int = _write(engine, work)
    return count


def cookie_options(max_age: int | None = None) -> dict[str, Any]:
    """The console cookies' flags: never readable by scripts, sent over HTTPS only, kept
    to the console's paths, not sent on cross-site subrequests or posts."""
    return {
        "path": COOKIE_PATH,
        "secure": True,
        "httponly": True,
        "samesite": "lax",
        "max_age": max_age,
    }
