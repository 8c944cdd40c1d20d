"""Database engine, column types, and the one place where tenant scoping is applied.

Every table that holds a tenant's data inherits `TenantScoped`. A session is opened
either *for a tenant* (`tenant_session`) or as the *system* (`system_session`, for
jobs that work across tenants, such as the purge). In a tenant session every ORM
SELECT, UPDATE and DELETE on a tenant-scoped table is filtered by the tenant, and
every new row is stamped with it; a session that is neither refuses to touch
tenant data at all. Handlers and services therefore never write the tenant filter
themselves and cannot forget it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import select
from collections import namedtuple
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple, Protocol, TypeVar, cast
from weakref import WeakKeyDictionary

import anyio
import sqlalchemy as sa
from anyio.lowlevel import RunVar
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlmodel import Field, Session, SQLModel

from app.core.clock import utcnow
from app.core.errors import ServiceUnavailable
from app.core.ids import uuid7

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

TENANT_KEY = "tenant_id"
SYSTEM_KEY = "system"
WRITE_OPTION = "privacy_write"
READ_ONLY_KEY = "read_only"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware timestamp that always reads back as UTC, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def id_field() -> Any:
    return Field(default_factory=uuid7, primary_key=True)


def timestamp_field(*, index: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index)


class TenantScoped(SQLModel):
    """Mixin for every table that holds a tenant's data.

    `tenant_id` is stamped from the session when a row is flushed; code never sets it.
    It is not indexed on its own: every table is reached by its key or foreign key, and
    a lone tenant index would tempt SQLite's planner away from them. Tables listed per
    tenant have a composite `(tenant_id, id)` index instead.
    """

    tenant_id: str = Field(default="", max_length=64, nullable=False)


class TenantScopeError(RuntimeError):
    """A query on tenant data ran in a session bound to no tenant (a programming error)."""


class ReadOnlySessionError(RuntimeError):
    """A read-only session (an audited read) was asked to write (a programming error)."""


DEFAULT_LOCK_TIMEOUT_SECONDS = 5.0


def create_db_engine(
    url: str, *, echo: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS
) -> Engine:
    """An engine for SQLite (the embedded default) or PostgreSQL.

    No wait for the database is longer than `lock_timeout` seconds: SQLite's busy
    timeout, PostgreSQL's `lock_timeout`, the wait for a pooled connection and (at least
    2 s, libpq's minimum) the connect timeout. A wait that runs out raises an
    `OperationalError` or `TimeoutError`, which the error handlers answer with 503.
    """
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, "future": True}
    # Connections are kept (not closed and reopened past a small pool): the service's
    # worker threads (40 by default) would otherwise reconnect under load.
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": lock_timeout}
        kwargs.update(pool_size=40, max_overflow=0, pool_timeout=lock_timeout)
    else:
        kwargs["connect_args"] = postgresql_connect_args(lock_timeout)
        kwargs.update(pool_size=20, max_overflow=20, pool_timeout=lock_timeout)
    engine = sa.create_engine(url, **kwargs)
    if not url.startswith("sqlite"):
        # Instead of `pool_pre_ping` (a round trip on every checkout): a connection the
        # server closed while it sat in the pool is found by a look at its socket.
        event.listen(engine, "checkout", _drop_closed_connection)
    if url.startswith("sqlite"):
        busy_ms = math.ceil(lock_timeout * 1000)
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=busy_ms))
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # a transaction is one atomic unit (and SELECT ... is inside it).
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def postgresql_connect_args(lock_timeout: float) -> dict[str, Any]:
    """What every PostgreSQL connection of the service is opened with (the engine's and
    the short reads' `ReadPool`)."""
    return {
        "connect_timeout": max(2, math.ceil(lock_timeout)),
        # No JIT: it pays off for long analytic queries, not for this service's short
        # ones, where compiling costs more than the query (~10 ms for a bulk marketing
        # check whose plan cost crosses `jit_above_cost`).
        "options": f"-c lock_timeout={math.ceil(lock_timeout * 1000)} -c jit=off",
    }


def _server_left(pgconn: Any) -> bool:
    """Whether the server ended an idle psycopg connection (see `_drop_closed_connection`)."""
    try:
        return pgconn.status != 0 or bool(select.select([pgconn.socket], [], [], 0)[0])
    except Exception:  # noqa: BLE001 - a closed socket or connection (OSError, psycopg's own)
        return True


def _drop_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled PostgreSQL connection that the server has closed or spoken on.

    An idle connection has nothing to read. When the server ends it (a restart, an
    administrator's `pg_terminate_backend`, a proxy or firewall closing it), its socket
    turns readable: the termination message or the end of the stream. Seeing that costs
    a `select` with no wait, not a round trip; the pool then discards the connection
    and checks out (or opens) another, so the call does not fail. A connection that
    breaks while in use still fails its statement, which answers 503.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # not psycopg: nothing to look at
        return
    if _server_left(pgconn):  # not CONNECTION_OK, or its socket turned readable
        raise sa.exc.DisconnectionError("the server closed or spoke on an idle connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.close()


def current_tenant(session: Session) -> str:
    """The tenant a tenant session is bound to."""
    tenant_id = session.info.get(TENANT_KEY)
    if not tenant_id:
        raise TenantScopeError("not a tenant session")
    return str(tenant_id)


def _sqlite_begin(conn: sa.Connection) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE) so that two writers wait
    # for each other instead of failing when one upgrades a read lock; readers stay
    # deferred and run concurrently under WAL.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction (matters on SQLite)."""
    session.connection(execution_options={WRITE_OPTION: True})


# SQLite admits one writer at a time. A writer that waits for the lock inside a worker
# thread (BEGIN IMMEDIATE under the busy timeout) holds that thread while it waits, and
# the writer that holds the lock needs a worker thread to run its handler before it can
# commit. With as many waiting writers as worker threads (4 on SQLite) the holder never
# got one: every writer stalled until the 30 s busy timeout ran out and answered 500.
# So writers of one process now queue on the event loop, where waiting holds no thread,
# and only the writer whose turn it is takes a thread and the lock. The busy timeout
# is left for writers of other processes (a second worker, the `purge` command).
_write_turns: RunVar[WeakKeyDictionary[Engine, anyio.Semaphore]] = RunVar("privacy_write_turns")


@asynccontextmanager
async def write_turn(engine: Engine, *, timeout: float) -> AsyncIterator[None]:
    """This process's turn to write (SQLite; PostgreSQL locks rows, so no queue there).

    Raises `ServiceUnavailable` (503) when the turn does not come within `timeout`.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    try:
        turns = _write_turns.get()
    except LookupError:
        turns = WeakKeyDictionary()
        _write_turns.set(turns)
    turn = turns.setdefault(engine, anyio.Semaphore(1))
    acquired = False
    with anyio.move_on_after(timeout):
        await turn.acquire()
        acquired = True
    if not acquired:
        raise ServiceUnavailable(retry_after=math.ceil(timeout))
    try:
        yield
    finally:
        turn.release()


def new_tenant_session(engine: Engine, tenant_id: str, *, read_only: bool = False) -> Session:
    """A session that sees and writes only `tenant_id`'s data (the caller closes it).

    A `read_only` session refuses to flush anything: it serves reads that must not take
    SQLite's write lock.
    """
    session = Session(engine, expire_on_commit=False)
    session.info[TENANT_KEY] = tenant_id
    if read_only:
        session.info[READ_ONLY_KEY] = True
    return session


_autocommit_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def new_read_session(engine: Engine, tenant_id: str) -> Session:
    """A read-only tenant session for a read that writes nothing (the caller closes it).

    On PostgreSQL its statements run in autocommit: no BEGIN and ROLLBACK round trips
    around a read. Under PostgreSQL's READ COMMITTED each statement of a transaction
    sees its own snapshot anyway and plain SELECTs take no locks, so what a read sees
    is the same. The session refuses to flush, so nothing can be written outside a
    transaction. On SQLite (no round trips; BEGIN keeps one snapshot for the read) it
    is an ordinary read-only session.
    """
    bind = engine
    if engine.dialect.name == "postgresql":
        bind = _autocommit_engines.get(engine) or _autocommit_engines.setdefault(
            engine, engine.execution_options(isolation_level="AUTOCOMMIT")
        )
    session = Session(bind, expire_on_commit=False)
    session.info[TENANT_KEY] = tenant_id
    session.info[READ_ONLY_KEY] = True
    return session


@contextmanager
def tenant_session(engine: Engine, tenant_id: str) -> Iterator[Session]:
    """A session that sees and writes only `tenant_id`'s data."""
    with new_tenant_session(engine, tenant_id) as session:
        yield session


@contextmanager
def system_session(engine: Engine) -> Iterator[Session]:
    """A session for cross-tenant jobs; every tenant-scoped query must filter itself."""
    with Session(engine, expire_on_commit=False) as session:
        session.info[SYSTEM_KEY] = True
        yield session


TENANT_PARAMETER = "tenant_scope"  # the bound parameter of the tenant filter


@event.listens_for(Session, "do_orm_execute")
def _apply_tenant_scope(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    info = state.session.info
    tenant_id = info.get(TENANT_KEY)
    if tenant_id is None:
        if state.is_column_load or state.is_relationship_load or info.get(SYSTEM_KEY):
            return
        if _tenant_models_in(state.statement):
            raise TenantScopeError("query on tenant data outside a tenant or system session")
        return
    # The filter's value: a parameter of every statement of the session, loads of
    # already-scoped objects (which inherit the filter) included.
    parameters: Any = state.parameters
    if isinstance(parameters, list):
        state.parameters = [{**p, TENANT_PARAMETER: tenant_id} for p in parameters]
    else:
        state.parameters = {**(parameters or {}), TENANT_PARAMETER: tenant_id}
    if state.is_column_load or state.is_relationship_load:
        return
    state.statement = _scoped(state.statement)


# Each statement's scoped form, for as long as the statement lives. One criterion for
# every tenant table the statement reaches (subqueries, joins and aliases included):
# SQLAlchemy applies it per mapped subclass of `TenantScoped` while compiling, and the
# compiled form is cached per statement shape. The tenant is a parameter of the call,
# not part of the statement, so a statement built once (module level) is scoped once,
# and its cache key (a walk of the whole statement) is worked out once, not per call.
_scoped_forms: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def _scoped(statement: Any) -> Any:
    try:
        scoped = _scoped_forms.get(statement)
    except TypeError:  # not weakly referenceable: scope it for this call only
        return statement.options(_tenant_criterion())
    if scoped is None:
        scoped = _scoped_forms[statement] = statement.options(_tenant_criterion())
    return scoped


def json_list(name: str, dialect: str, *, uuids: bool = False) -> Any:
    """The values of the JSON list parameter `name` as a subquery for `IN`: one bound
    value whatever the number of items, so one compiled (and on PostgreSQL prepared)
    form serves a list of one item and one of 10,000 (a `ScopedReader` takes no
    expanding parameters). `uuids`: the items are ids (SQLite keeps ids as 32 hex
    digits: pass `uuid.hex`; PostgreSQL: `str(uuid)`)."""
    parameter = sa.bindparam(name, type_=sa.Text())
    if dialect == "postgresql":
        values = sa.func.json_array_elements_text(sa.cast(parameter, postgresql.JSON))
        element = sa.column("value", sa.Text())
        item: Any = sa.cast(element, postgresql.UUID(as_uuid=True)) if uuids else element
        return sa.select(item).select_from(values.table_valued("value")).scalar_subquery()
    return sa.select(sa.column("value")).select_from(sa.func.json_each(parameter)).scalar_subquery()


class Reader(Protocol):
    """A tenant's short read (`ScopedReader` in a thread, `PooledReader` on the event
    loop): what the reads other systems make all day are written against, once."""

    tenant_id: str
    dialect: sa.Dialect

    async def rows(self, statement: Any, parameters: dict[str, Any]) -> list[Any]:
        """The rows of a read built once, filtered to the reader's tenant; each row a
        named tuple of the statement's columns."""
        ...


def run_blocking(read: Coroutine[Any, Any, T]) -> T:
    """The result of a read on a `ScopedReader`, whose `rows` never suspends: the read
    runs to its end in the calling thread (a worker thread, never the event loop)."""
    try:
        read.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    read.close()
    raise RuntimeError("a read on a blocking reader suspended")


class ScopedReader:
    """A tenant's short read on one pooled DB-API connection, in a worker thread: the
    reads other systems make all day on SQLite (`app.core.deps.run_read`: one subject,
    one record, a marketing check), and the bulk check on both databases.

    Each statement is built once (module level) and compiled once per dialect, with the
    tenant filter every query gets (`_scoped`), then run straight on the driver's
    connection with the tenant as its parameter. No Session, Connection or result object
    is set up around it: for a read of one row these cost more than the query itself
    (about two fifths of a short read on SQLite). What comes back are plain named rows,
    their columns converted by the columns' own types as the ORM would.

    `rows` is a coroutine function, as `Reader` asks, but it blocks and never suspends:
    a read written against `Reader` runs here with `run_blocking`, in a worker thread.

    On SQLite the read is one transaction (BEGIN ... ROLLBACK, one snapshot, no
    round trips). On PostgreSQL it runs in autocommit, like `new_read_session`: no
    BEGIN and ROLLBACK round trips; under READ COMMITTED each statement has its own
    snapshot anyway. A driver error is raised as SQLAlchemy's (an `OperationalError`
    answers 503), and a connection found broken is dropped from the pool.
    """

    def __init__(self, engine: Engine, tenant_id: str) -> None:
        self.engine = engine
        self.tenant_id = _reader_tenant(tenant_id)
        self.dialect = engine.dialect
        self._connection: Any = None  # the pool's proxy of the driver's connection
        self._in_transaction = False

    def __enter__(self) -> ScopedReader:
        try:
            self._connection = self.engine.raw_connection()
        except self.dialect.loaded_dbapi.Error as exc:
            raise _driver_error(self.dialect, exc, invalidated=False) from exc
        if self.dialect.name == "postgresql":
            self._connection.dbapi_connection.autocommit = True
        return self

    def __exit__(self, *_exc: object) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._in_transaction:
                self._in_transaction = False
                connection.dbapi_connection.execute("ROLLBACK")
            elif self.dialect.name == "postgresql":
                connection.dbapi_connection.autocommit = False
        except self.dialect.loaded_dbapi.Error as exc:
            connection.invalidate(exc)  # not in a known state: not back into the pool
        finally:
            connection.close()  # back to the pool (or closed, if invalidated)

    async def rows(self, statement: Any, parameters: dict[str, Any]) -> list[Any]:
        """The rows of a read built once, filtered to the reader's tenant (blocking)."""
        if self._connection is None:
            raise RuntimeError("the reader is not open")
        compiled = _compiled_read(statement, self.dialect)
        arguments = compiled.arguments(parameters, tenant_id=self.tenant_id)
        dbapi_connection = self._connection.dbapi_connection
        cursor = None
        try:
            if self.dialect.name == "sqlite" and not self._in_transaction:
                dbapi_connection.execute("BEGIN")
                self._in_transaction = True
            cursor = dbapi_connection.cursor()
            cursor.execute(compiled.sql, arguments)
            fetched = cursor.fetchall()
            cursor.close()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._wrapped(exc, cursor) from exc
        return [compiled.row(values) for values in fetched]

    def _wrapped(self, exc: Exception, cursor: Any) -> Exception:
        invalidated = False
        if self._connection is not None and self.dialect.is_disconnect(
            exc,  # type: ignore[arg-type]  # the driver's own Error, as loaded_dbapi.Error
            self._connection.dbapi_connection,
            cursor,
        ):
            self._connection.invalidate(exc)
            self._connection, self._in_transaction, invalidated = None, False, True
        return _driver_error(self.dialect, exc, invalidated=invalidated)


def _reader_tenant(tenant_id: str) -> str:
    """A reader's tenant, refused if empty: every read is filtered by one tenant."""
    if not tenant_id:
        raise TenantScopeError("a scoped read needs a tenant")
    return tenant_id


def _driver_error(dialect: sa.Dialect, exc: Exception, *, invalidated: bool) -> Exception:
    """A driver's error as SQLAlchemy's (`OperationalError` answers 503), without the
    statement's parameters: they may be personal data."""
    return sa.exc.DBAPIError.instance(
        None,
        None,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        connection_invalidated=invalidated,
        dialect=dialect,
    )


class ReadPool:
    """PostgreSQL connections for the short reads, used from the event loop (psycopg's
    `AsyncConnection`), in autocommit: `PooledReader`.

    A short read on PostgreSQL is mostly waiting for its round trips. Waiting in a
    worker thread cost a thread hop and a GIL hand-off at every wait (about 25 context
    switches a call under load); awaited on the event loop, none, and the loop serves
    other calls meanwhile (`bench/hot_paths.py`: a record read at 1.6x the rate).

    At most `size` connections per event loop (a process has one; tests start several),
    kept open between reads. A wait for a free one longer than `timeout` raises
    SQLAlchemy's `TimeoutError` (503, as the engine's pool does). An idle connection
    the server has ended is dropped, as the engine's pool does
    (`_drop_closed_connection`), and so is one that a read left broken, cancelled or in
    a transaction.
    """

    def __init__(self, engine: Engine, *, size: int, timeout: float) -> None:
        import psycopg  # the PostgreSQL driver, loaded with the engine's (not on SQLite)

        self._psycopg = psycopg
        self.dialect = engine.dialect
        self.size = size
        self.timeout = timeout
        _, options = engine.dialect.create_connect_args(engine.url)
        self._options: dict[str, Any] = {**options, **postgresql_connect_args(timeout)}
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            WeakKeyDictionary()
        )

    def _here(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        here = self._loops.get(loop)
        if here is None:
            here = self._loops[loop] = _LoopConnections(asyncio.Semaphore(self.size), [])
        return here

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """A connection of this loop's, for one read; back to the pool after it."""
        here = self._here()
        if not here.free.locked():
            await here.free.acquire()  # free: taken at once, without a timer task
        else:
            try:
                await asyncio.wait_for(here.free.acquire(), self.timeout)
            except TimeoutError:
                raise sa.exc.TimeoutError("no free connection for a short read") from None
        try:
            connection = None
            while here.idle and connection is None:
                candidate = here.idle.pop()
                if candidate.closed or _server_left(candidate.pgconn):
                    await _close_quietly(candidate)
                else:
                    connection = candidate
            if connection is None:
                try:
                    connection = await self._psycopg.AsyncConnection.connect(
                        autocommit=True, **self._options
                    )
                except self._psycopg.Error as exc:
                    raise _driver_error(self.dialect, exc, invalidated=False) from exc
            try:
                yield connection
            finally:
                # Back into the pool after an answer or a refusal (a 404 is a read that
                # went well); not if the read broke it or left it mid-statement (a
                # cancelled call) or in a transaction.
                if not connection.broken and connection.info.transaction_status == _IDLE:
                    here.idle.append(connection)
                else:
                    await _close_quietly(connection)
        finally:
            here.free.release()

    async def close(self) -> None:
        """Close the idle connections of the running loop (at shutdown)."""
        here = self._loops.pop(asyncio.get_running_loop(), None)
        for connection in here.idle if here is not None else ():
            await _close_quietly(connection)


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: not in a transaction, nothing running


class _LoopConnections(NamedTuple):
    free: asyncio.Semaphore
    idle: list[Any]


async def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):
        await connection.close()


class PooledReader:
    """A tenant's short read on PostgreSQL, awaited on the event loop: a `ReadPool`
    connection, the statements compiled as a `ScopedReader`'s (`_compiled_read`, with the
    tenant filter every query gets), in autocommit."""

    def __init__(self, pool: ReadPool, tenant_id: str) -> None:
        self.pool = pool
        self.tenant_id = _reader_tenant(tenant_id)
        self.dialect = pool.dialect
        self._connection: Any = None

    async def __aenter__(self) -> PooledReader:
        self._lease = self.pool.connection()
        self._connection = await self._lease.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._connection = None
        await self._lease.__aexit__(*exc)

    async def rows(self, statement: Any, parameters: dict[str, Any]) -> list[Any]:
        """The rows of a read built once, filtered to the reader's tenant."""
        if self._connection is None:
            raise RuntimeError("the reader is not open")
        compiled = _compiled_read(statement, self.dialect)
        arguments = compiled.arguments(parameters, tenant_id=self.tenant_id)
        try:
            cursor = self._connection.cursor()
            await cursor.execute(compiled.sql, arguments)
            fetched = await cursor.fetchall()
            await cursor.close()
        except self.dialect.loaded_dbapi.Error as exc:
            raise _driver_error(
                self.dialect, exc, invalidated=bool(self._connection.broken)
            ) from exc
        return [compiled.row(values) for values in fetched]


class _CompiledRead:
    """A read's SQL for one dialect, with how to pass its parameters and convert its
    columns (the columns' types' own bind and result processors)."""

    def __init__(self, statement: Any, dialect: sa.Dialect) -> None:
        if not getattr(statement, "is_select", False):
            raise TenantScopeError("a scoped read runs reads only")
        compiled: Any = _scoped(statement).compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a scoped read takes no expanding (IN list) parameters")
        self._compiled = compiled
        self.sql: str = compiled.string
        self._positions: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positional else None
        )
        self._binds: dict[str, Any] = dict(compiled._bind_processors)
        columns = compiled._result_columns
        self._results = [
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := column.type._cached_result_processor(dialect, None)) is not None
        ]
        self._row = _row_type(tuple(column.keyname for column in columns))

    def arguments(self, parameters: dict[str, Any], *, tenant_id: str) -> Any:
        """The driver's parameters, the tenant filter's being the reader's `tenant_id`
        (a parameter of the same name in `parameters` cannot widen it)."""
        values = self._compiled.construct_params(
            {**parameters, TENANT_PARAMETER: tenant_id}, _check=False
        )
        for name, process in self._binds.items():
            if name in values and values[name] is not None:
                values[name] = process(values[name])
        if self._positions is None:
            return values
        return tuple(values[name] for name in self._positions)

    def row(self, values: Any) -> Any:
        if self._results:
            values = list(values)
            for index, process in self._results:
                values[index] = process(values[index])
        return self._row._make(values)


@lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> Any:
    return namedtuple("Row", names, rename=True)


# Each read's compiled form per dialect, for as long as the statement lives.
_compiled_reads: WeakKeyDictionary[Any, dict[str, _CompiledRead]] = WeakKeyDictionary()


def _compiled_read(statement: Any, dialect: sa.Dialect) -> _CompiledRead:
    forms = _compiled_reads.get(statement)
    if forms is None:
        forms = _compiled_reads[statement] = {}
    found = forms.get(dialect.name)
    if found is None:
        found = forms[dialect.name] = _CompiledRead(statement, dialect)
    return found


@lru_cache(maxsize=1)
def _tenant_criterion() -> Any:
    """The tenant filter: `tenant_id = :tenant_scope` on every tenant table."""
    if "tenant_id" not in vars(TenantScoped):
        # The criterion is analysed once against the mixin itself, whose `tenant_id` is
        # a pydantic field and no class attribute: give it a column to stand for the
        # mapped subclasses' `tenant_id` (after they are all defined, so that no model's
        # field picks it up as a default).
        type.__setattr__(TenantScoped, "tenant_id", sa.column(TENANT_KEY))
    return with_loader_criteria(
        TenantScoped,
        # The name is written out: the lambda is analysed, a global would be tracked.
        lambda cls: cls.tenant_id == sa.bindparam("tenant_scope"),
        include_aliases=True,
        track_closure_variables=False,
    )


def _tenant_models_in(statement: Any) -> list[type[Any]]:
    """Every tenant table the statement reads or writes, subqueries and joins included."""
    by_table = _tenant_tables()
    found: dict[str, type[Any]] = {}
    for element in visitors.iterate(statement):
        name = getattr(element, "name", None)
        if isinstance(element, sa.Table) and name in by_table:
            found[name] = by_table[name]
    return list(found.values())


_tables: dict[str, type[Any]] = {}


def _tenant_tables() -> dict[str, type[Any]]:
    if not _tables:
        _tables.update({model.__tablename__: model for model in tenant_models()})
    return _tables


_tenant_models: tuple[type[TenantScoped], ...] = ()


def tenant_models() -> tuple[type[Any], ...]:
    """Every mapped table class that holds tenant data."""
    global _tenant_models
    if not _tenant_models:
        found: list[type[TenantScoped]] = []
        pending = list(TenantScoped.__subclasses__())
        while pending:
            cls = pending.pop()
            pending.extend(cls.__subclasses__())
            if hasattr(cls, "__table__"):
                found.append(cls)
        _tenant_models = tuple(sorted(found, key=lambda c: c.__name__))
    return _tenant_models


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY_KEY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlySessionError("a write in a read-only session")
    tenant_id = session.info.get(TENANT_KEY)
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is None:
            if session.info.get(SYSTEM_KEY) and obj.tenant_id:
                continue
            raise TenantScopeError("tenant data written outside a tenant session")
        if getattr(obj, "tenant_id", None) in (None, ""):
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantScopeError("row of another tenant in this session")


def is_unique_violation(exc: sa.exc.IntegrityError) -> bool:
    """Whether the error is a unique-constraint violation (not e.g. a foreign key)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(orig)
