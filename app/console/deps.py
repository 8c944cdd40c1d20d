"""What console pages depend on: the signed-in person, their scopes, the tenant's
session, CSRF checks and the unit of work that audits a change.

Usage in a page (a sync handler; FastAPI runs it in a worker thread):

    @router.post("/requests/{request_id}/extend", dependencies=[Depends(verify_csrf)])
    def extend(request: Request, request_id: uuid.UUID,
               user: Annotated[ConsoleUser, Depends(requires("rights:write"))],
               form: Annotated[FormData, Depends(read_form)]) -> Response:
        with console_work(request, user, "rights_request.extend") as work:
            ...service call with work.session...
            work.concerns(rights_request_id=request_id)
        flash(request, "success", "requests.extended")
        return redirect(f"/console/requests/{request_id}")
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.audit.service import record_event
from app.console import sessions
from app.console.errors import ConsoleForbidden, ConsoleRedirect
from app.console.forms import FormData, read_form
from app.console.i18n import as_lang
from app.core.clock import SESSION_CLOCK_KEY
from app.core.db import begin_write, new_tenant_session, tenant_session, write_turn
from app.core.security import Principal

SIGN_IN_PATH = "/console/sign-in"


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in person: the issuer's `sub` (the actor of their audit events), the
    name shown, the tenant they work for, their scopes and language."""

    actor: str
    display_name: str
    tenant: str
    scopes: frozenset[str]
    lang: Literal["sv", "en"]
    csrf_token: str
    session_hash: str = field(default="", repr=False, compare=False)

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def principal(self) -> Principal:
        return Principal(actor=self.actor, tenant=self.tenant, scopes=self.scopes)


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def run_write(request: Request, work: Callable[[], Any]) -> Any:
    """Run a small write of the console (its sessions) in a worker thread, in this
    process's turn to write (SQLite) unless the request already holds it (a POST)."""
    if getattr(request.state, "console_turn", False):
        return await run_in_threadpool(work)
    timeout = request.app.state.settings.db_lock_timeout_seconds
    async with write_turn(get_engine(request), timeout=timeout):
        return await run_in_threadpool(work)


def _return_path(request: Request) -> str:
    path = request.url.path
    return path if request.method == "GET" and path.startswith("/console") else "/console"


async def console_user(request: Request) -> ConsoleUser:
    """The signed-in person; else a 303 to the sign-in page (with the path to return to).

    An expired session is deleted on the way; an active one records that it was used
    (at most once a minute) and hands its flashes to this page (`render`)."""
    cached: ConsoleUser | None = getattr(request.state, "console_user", None)
    if cached is not None:
        return cached
    engine = get_engine(request)
    settings = request.app.state.settings
    now = request.app.state.clock()
    raw = request.cookies.get(sessions.COOKIE_NAME)
    row = await run_in_threadpool(sessions.find, engine, raw)
    if row is None or row.actor is None or row.tenant is None:
        raise ConsoleRedirect(f"{SIGN_IN_PATH}?next={_return_path(request)}")
    if sessions.is_expired(row, settings, now):
        await run_write(request, lambda: sessions.delete_session(engine, row.id_hash))
        request.state.console_clear_cookie = True
        raise ConsoleRedirect(f"{SIGN_IN_PATH}?next={_return_path(request)}&expired=1")
    request.state.console_flashes = list(row.flashes)
    if sessions.needs_write(row, now):
        clear = bool(row.flashes)
        await run_write(
            request,
            lambda: sessions.touch(engine, row.id_hash, now=now, clear_flashes=clear),
        )
    user = ConsoleUser(
        actor=row.actor,
        display_name=row.display_name or row.actor,
        tenant=row.tenant,
        scopes=frozenset(row.scopes),
        lang=as_lang(row.lang) or "sv",
        csrf_token=row.csrf_token,
        session_hash=row.id_hash,
    )
    request.state.console_user = user
    return user


ConsoleUserDep = Annotated[ConsoleUser, Depends(console_user)]


def requires(scope: str) -> Callable[..., Awaitable[ConsoleUser]]:
    """A dependency: the signed-in person, who must hold `scope` (else a 403 page).
    Use as `Annotated[ConsoleUser, Depends(requires("rights:read"))]`."""

    async def dependency(user: ConsoleUserDep) -> ConsoleUser:
        if not user.has(scope):
            raise ConsoleForbidden()
        return user

    dependency.__name__ = f"requires_{scope.replace(':', '_')}"
    return dependency


def read_session(user: ConsoleUserDep, request: Request) -> Iterator[Session]:
    """A session for reads of the person's tenant (the API's `tenant_session`)."""
    with tenant_session(get_engine(request), user.tenant) as session:
        session.info[SESSION_CLOCK_KEY] = request.app.state.clock
        yield session


ReadSessionDep = Annotated[Session, Depends(read_session)]


async def verify_csrf(
    request: Request, user: ConsoleUserDep, form: Annotated[FormData, Depends(read_form)]
) -> None:
    """Every POST of a signed-in person carries the session's CSRF token (`csrf_token`);
    a missing or wrong one is a 403 page and nothing changes."""
    if not secrets.compare_digest(
        form.get("csrf_token").encode("utf-8", "replace"), user.csrf_token.encode()
    ):
        raise ConsoleForbidden("error.csrf")


@dataclass
class ConsoleWork:
    """One change made in the console: the tenant session, and what its audit event names."""

    session: Session
    user: ConsoleUser
    action: str
    status_code: int = 200
    subject_id: uuid.UUID | None = None
    record_id: uuid.UUID | None = None
    rights_request_id: uuid.UUID | None = None

    @property
    def actor(self) -> str:
        return self.user.actor

    @property
    def tenant(self) -> str:
        return self.user.tenant

    def concerns(
        self,
        *,
        subject_id: uuid.UUID | None = None,
        record_id: uuid.UUID | None = None,
        rights_request_id: uuid.UUID | None = None,
    ) -> None:
        """Name the subject, record and rights request of this change, for its audit event."""
        if subject_id is not None:
            self.subject_id = subject_id
        if record_id is not None:
            self.record_id = record_id
        if rights_request_id is not None:
            self.rights_request_id = rights_request_id


@contextmanager
def console_work(request: Request, user: ConsoleUser, action: str) -> Iterator[ConsoleWork]:
    """A write transaction in the person's tenant. Leaving the block without an error adds
    the audit event (`action`, actor = the person's `sub`) and commits both together; an
    error rolls everything back and propagates (a service's 4xx re-renders the form).

    Console POST handlers run in this process's turn to write (`ConsoleRoute`), so the
    SQLite write lock is taken here without queueing behind the API's writers."""
    session = new_tenant_session(get_engine(request), user.tenant)
    session.info[SESSION_CLOCK_KEY] = request.app.state.clock
    try:
        begin_write(session)
        work = ConsoleWork(session=session, user=user, action=action)
        try:
            yield work
        except BaseException:
            session.rollback()
            raise
        record_event(
            session,
            actor=user.actor,
            action=action,
            request_id=str(getattr(request.state, "request_id", "")) or str(uuid.uuid4()),
            status_code=work.status_code,
            subject_id=work.subject_id,
            record_id=work.record_id,
            rights_request_id=work.rights_request_id,
        )
        session.commit()
    finally:
        session.close()
