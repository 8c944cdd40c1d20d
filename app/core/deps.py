"""Request dependencies: who is calling, the tenant's session, and the unit of work.

A read runs in a tenant session that is never committed. A write runs in a
`UnitOfWork`: one transaction that the request commits exactly once, after the
handler returned, together with the audit event of the call. If anything fails the
whole transaction rolls back and `RequestContextMiddleware` records the refusal. An
audited read (the access report, the export) reads without the write lock and commits
its audit event before the answer leaves.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.audit.service import record_event
from app.core.clock import SESSION_CLOCK_KEY, Clock
from app.core.db import (
    READ_ONLY_KEY,
    PooledReader,
    Reader,
    ReadPool,
    ScopedReader,
    begin_write,
    new_read_session,
    new_tenant_session,
    run_blocking,
    tenant_session,
    write_turn,
)
from app.core.errors import Forbidden, Unauthorized, UnprocessableContent
from app.core.routing import Guard
from app.core.security import Principal, TokenVerifier

AUDIT_ACTION_KEY = "x-audit-action"
T = TypeVar("T")

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description=(
        "A JWT with the claims `iss`, `aud`, `exp`, `sub` (the calling system or user), "
        "`tenant` (the controller) and `scope` (space-separated scopes)."
    ),
)


def audited(action: str) -> dict[str, Any]:
    """`openapi_extra` for a state-changing operation: names its audit action."""
    return {AUDIT_ACTION_KEY: action}


async def authenticate(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The verified caller; 401 without a valid token, 403 without the scopes asked for.

    A token seen within the last minute is answered from the verifier's cache; any
    other is verified off the event loop, so that a slow key fetch or many new tokens
    never hold up other requests.
    """
    principal = await verified_caller(request, request.app.state.verifier, credentials)
    _demand(principal, security_scopes.scopes)
    return principal


def _demand(principal: Principal, scopes: Sequence[str]) -> None:
    missing = [scope for scope in scopes if not principal.has(scope)]
    if missing:
        raise Forbidden(f"This operation needs the scope `{' '.join(missing)}`.")


async def verified_caller(
    request: Request, verifier: TokenVerifier, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller the bearer token names, verified once per request (401 without a
    valid token) and kept in `request.state.principal`, where the refusal audit finds
    it."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        if credentials is None:
            raise Unauthorized("A bearer token is required.", error="invalid_request")
        principal = await verifier.verify_off_loop(credentials.credentials)
        request.state.principal = principal
    return principal


async def reject_unknown_query(request: Request) -> None:
    """422 for query parameters the operation does not declare (as a dependency; the
    `/v1` routes run `known_query` as a guard instead)."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        await known_query(request, route)


async def known_query(request: Request, route: APIRoute) -> None:
    """422 for query parameters the operation does not declare.

    A mistyped filter (`?subjectid=`) would otherwise be ignored silently and answer
    with everything; an identifier put in a query string is refused as well.
    """
    if not request.scope.get("query_string"):
        return
    declared = _declared_query.get(id(route))
    if declared is None:
        declared = frozenset(_query_aliases(route.dependant))
        _declared_query[id(route)] = declared
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise UnprocessableContent(
            "Unknown query parameters.",
            errors=[
                {"loc": ["query", name[:64]], "msg": "unknown query parameter"} for name in unknown
            ],
        )


_declared_query: dict[int, frozenset[str]] = {}


def _query_aliases(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_aliases(sub)
    return names


NUL_MESSAGE = "must not contain the NUL character (U+0000)"
_MAX_NUL_ISSUES = 20


async def reject_nul_characters(request: Request) -> None:
    """422 for a NUL character (U+0000) in any string of the call: the JSON body at any
    depth (values and member names), query and path parameters, and headers.

    PostgreSQL cannot store NUL in text and SQLite would store it, so it is refused
    here, once for every operation, before any handler or transaction sees the input.
    The answer names where, never the value.
    """
    issues: list[dict[str, Any]] = []
    scope = request.scope
    query: bytes = scope.get("query_string", b"")
    if (
        "\x00" in scope["path"]  # path parameters are decoded from it
        or b"\x00" in query
        or b"%00" in query
        or any(b"\x00" in value for _, value in scope["headers"])
    ):
        issues = _nul_in_head(request)
    # A JSON text can carry NUL only as the escape \u0000 (a raw NUL byte is not JSON).
    if b"\\u0000" in await request.body():
        try:
            document = await request.json()
        except ValueError:
            document = None  # not JSON: the operation refuses it on its own
        issues += [{"loc": ["body", *loc], "msg": NUL_MESSAGE} for loc in _nul_locations(document)]
    if issues:
        raise UnprocessableContent(
            "A string in the request contains a NUL character.", errors=issues[:_MAX_NUL_ISSUES]
        )


def _nul_in_head(request: Request) -> list[dict[str, Any]]:
    """Where NUL is in the query, path parameters and headers (looked for only when the
    raw request has one: most calls have none, and decoding them all costs)."""
    issues: list[dict[str, Any]] = []
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            issues.append({"loc": ["query", name.replace("\x00", "")[:64]], "msg": NUL_MESSAGE})
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            issues.append({"loc": ["path", name], "msg": NUL_MESSAGE})
    for name, value in request.headers.items():
        if "\x00" in value:
            issues.append({"loc": ["header", name[:64]], "msg": NUL_MESSAGE})
    return issues


def _nul_locations(document: Any) -> Iterator[list[str | int]]:
    """Where in a decoded JSON document a string (or member name) contains NUL."""
    stack: list[tuple[list[str | int], Any]] = [([], document)]
    while stack:  # iterative: a deeply nested document must not exhaust the stack
        loc, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                yield loc
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    yield loc
                else:
                    stack.append(([*loc, key], item))
        elif isinstance(value, list):
            stack.extend(([*loc, index], item) for index, item in enumerate(value))


async def authenticated(request: Request, route: APIRoute) -> None:
    """Guard: the caller's bearer token is valid (401 otherwise). The scopes an
    operation needs are its own dependency (`requires`), checked after the guards."""
    await verified_caller(request, request.app.state.verifier, await bearer_scheme(request))


async def no_nul_characters(request: Request, route: APIRoute) -> None:
    """Guard: `reject_nul_characters`."""
    await reject_nul_characters(request)


# What every `/v1` operation runs before its own dependencies, in this order: 401, then
# 422 for an unknown query parameter or a NUL character, then (the operation's own
# `requires`) 403. The import streams its body, so it checks NUL line by line instead.
V1_GUARDS: tuple[Guard, ...] = (authenticated, known_query, no_nul_characters)
IMPORT_GUARDS: tuple[Guard, ...] = (authenticated, known_query)


def requires(scope: str) -> Any:
    """A dependency that authenticates and demands `scope`."""
    return Security(authenticate, scopes=[scope])


def scope_guard(dependency: Dependant) -> Guard | None:
    """The guard for an operation's `requires(scope)` (`app.core.routing.Lift`): 403
    without the scopes, after the guards that authenticate; None for any other
    dependency."""
    if dependency.call is not authenticate or not dependency.own_oauth_scopes:
        return None
    scopes = tuple(dependency.own_oauth_scopes)

    async def has_scopes(request: Request, route: APIRoute) -> None:
        # The guards before it authenticated the caller (`authenticated`): the token is
        # not read again unless they did not.
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            verifier = request.app.state.verifier
            principal = await verified_caller(request, verifier, await bearer_scheme(request))
        _demand(principal, scopes)

    return has_scopes


async def get_clock(request: Request) -> Clock:
    """The service's clock (`app.state.clock`), replaceable to test rules on given dates."""
    clock: Clock = request.app.state.clock
    return clock


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def read_session(
    principal: Annotated[Principal, Depends(authenticate)],
    engine: Annotated[Engine, Depends(get_engine)],
) -> AsyncIterator[Session]:
    """A tenant session for reads (`new_read_session`); nothing is written.

    Made on the event loop: a session connects on its first query, which runs in the
    handler's worker thread, so making it does no I/O, and a read costs one thread hop,
    not three (a sync dependency enters and exits in threads of its own). Closing waits
    for nothing either: on PostgreSQL the read ran in autocommit, so the connection goes
    back to the pool without a round trip; on SQLite it ends a read transaction, which
    takes no lock and so never waits for one.
    """
    session = new_read_session(engine, principal.tenant)
    try:
        yield session
    finally:
        session.close()


def caller_reader(request: Request) -> ScopedReader:
    """A scoped reader (`ScopedReader`) of the caller's tenant, as the guards
    authenticated it, for a handler that reads in a worker thread itself (`run_read`
    on SQLite; the bulk check): the hot reads skip a dependency's setup and teardown."""
    principal: Principal = request.state.principal
    return ScopedReader(request.app.state.engine, principal.tenant)


async def run_read(request: Request, read: Callable[[Reader], Coroutine[Any, Any, T]]) -> T:
    """`read(reader)` with a scoped reader of the caller's tenant: the short reads other
    systems make all day (one subject, one record, a marketing check of a few items),
    with no dependency set up around the handler. Never blocking the event loop: a read
    that waits (a busy disk, a lock, a slow server) must not hold up other calls,
    /healthz included.

    On PostgreSQL the read is awaited on the event loop (`PooledReader`): its round
    trips are waits the loop spends on other calls. On SQLite, whose calls block, it
    runs in one of the app's read threads (`app.state.read_threads`) on a
    `ScopedReader`, in one hop: asyncio's own `run_in_executor` (a C queue and one
    wake-up), which costs about a quarter less of such a call than anyio's thread pool
    under load (`bench/hot_paths.py`).
    """
    pool: ReadPool | None = request.app.state.read_pool
    if pool is not None:
        principal: Principal = request.state.principal
        async with PooledReader(pool, principal.tenant) as reader:
            return await read(reader)

    def run() -> T:
        with caller_reader(request) as reader:
            return run_blocking(read(reader))

    executor: ThreadPoolExecutor = request.app.state.read_threads
    return await asyncio.get_running_loop().run_in_executor(executor, run)


@dataclass
class UnitOfWork:
    """One write: the tenant session, who is calling, and what the audit event names."""

    session: Session
    principal: Principal
    request: Request

    def concerns(
        self,
        *,
        subject_id: uuid.UUID | None = None,
        record_id: uuid.UUID | None = None,
        rights_request_id: uuid.UUID | None = None,
    ) -> None:
        """Name the subject, record and rights request of this call, for its audit event."""
        if subject_id is not None:
            self.request.state.audit_subject_id = subject_id
        if record_id is not None:
            self.request.state.audit_record_id = record_id
        if rights_request_id is not None:
            self.request.state.audit_rights_request_id = rights_request_id

    def answered(self, status_code: int) -> None:
        """The status this call answers when it is not the operation's usual one (a
        `204` for nothing held, a `403` committed with what it recorded), for its audit
        event."""
        self.request.state.audit_status_code = status_code

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def tenant(self) -> str:
        return self.principal.tenant


def _audit_success(session: Session, request: Request, principal: Principal) -> None:
    """Add the call's audit event (its action, status and what it concerned) to `session`."""
    route = request.scope.get("route")
    action = getattr(route, "openapi_extra", None) or {}
    status_code = (
        getattr(request.state, "audit_status_code", None)
        or getattr(route, "status_code", None)
        or 200
    )
    record_event(
        session,
        actor=principal.actor,
        action=action.get(AUDIT_ACTION_KEY, "unknown"),
        request_id=request.state.request_id,
        status_code=status_code,
        subject_id=getattr(request.state, "audit_subject_id", None),
        record_id=getattr(request.state, "audit_record_id", None),
        rights_request_id=getattr(request.state, "audit_rights_request_id", None),
    )


def _lock_timeout(request: Request) -> float:
    timeout: float = request.app.state.settings.db_lock_timeout_seconds
    return timeout


async def _in_thread(function: Callable[[], None]) -> None:
    """Run a transaction's end in a worker thread, even when the request is cancelled.

    Its own limiter: a commit or rollback never waits for a free worker thread (FastAPI
    does the same for the exit of sync dependencies).
    """
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(function, limiter=anyio.CapacityLimiter(1))


async def unit_of_work(
    request: Request,
    principal: Annotated[Principal, Depends(authenticate)],
    engine: Annotated[Engine, Depends(get_engine)],
) -> AsyncIterator[UnitOfWork]:
    """A write transaction of a `/v1` caller (`write_transaction`)."""
    async with write_transaction(request, principal, engine) as uow:
        yield uow


@asynccontextmanager
async def write_transaction(
    request: Request, principal: Principal, engine: Engine
) -> AsyncIterator[UnitOfWork]:
    """A write transaction, committed once with its audit event after the handler.

    The writer first waits for its turn on the event loop (`write_turn`: on SQLite one
    writer of the process at a time, and waiting holds no worker thread), then begins
    the transaction in a worker thread. No turn or lock within
    `PRIVACY_DB_LOCK_TIMEOUT_SECONDS` answers 503 with `Retry-After`.
    """
    async with write_turn(engine, timeout=_lock_timeout(request)):
        session = new_tenant_session(engine, principal.tenant)
        session.info[SESSION_CLOCK_KEY] = request.app.state.clock
        try:
            await run_in_threadpool(begin_write, session)
            uow = UnitOfWork(session=session, principal=principal, request=request)
            try:
                yield uow
            except BaseException:
                await _in_thread(session.rollback)
                raise

            await _in_thread(partial(_commit_audit, session, request, principal))
            request.state.audited = True
        finally:
            await _in_thread(session.close)


async def audited_read(
    request: Request,
    principal: Annotated[Principal, Depends(authenticate)],
    engine: Annotated[Engine, Depends(get_engine)],
) -> AsyncIterator[UnitOfWork]:
    """A read that leaves an audit event (the access report, the export).

    The handler reads in a read-only session that takes no write lock (readers run
    beside writers). After it returned, the audit event is committed *before* the answer
    is sent: if the event cannot be written (503), the caller does not get the data. A
    call whose answer is then lost on the way is still audited: for accountability an
    event too many is better than data handed out without one.

    On SQLite the read ends first and the event gets a short write transaction of its
    own (taking the write lock only for that insert). PostgreSQL has no database-wide
    write lock, so there the event joins the read's transaction: one commit, not two.
    """
    separate_write = engine.dialect.name == "sqlite"
    session = new_tenant_session(engine, principal.tenant, read_only=True)
    try:
        yield UnitOfWork(session=session, principal=principal, request=request)
        if not separate_write:
            await _in_thread(partial(_commit_audit, session, request, principal))
    finally:
        await _in_thread(session.close)
    if separate_write:

        def write_audit() -> None:
            with tenant_session(engine, principal.tenant) as audit_session:
                begin_write(audit_session)
                _commit_audit(audit_session, request, principal)

        async with write_turn(engine, timeout=_lock_timeout(request)):
            await _in_thread(write_audit)
    request.state.audited = True


def _commit_audit(session: Session, request: Request, principal: Principal) -> None:
    """Add the call's audit event to the session's transaction and commit it."""
    session.info.pop(READ_ONLY_KEY, None)
    _audit_success(session, request, principal)
    session.commit()


SessionDep = Annotated[Session, Depends(read_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
AuditedReadDep = Annotated[UnitOfWork, Depends(audited_read, scope="function")]
