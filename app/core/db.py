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

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlmodel import Field, Session, SQLModel

from app.core.clock import utcnow
from app.core.ids import uuid7

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


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for SQLite (the embedded default) or PostgreSQL."""
    kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, "future": True}
    # Connections are kept (not closed and reopened past a small pool): the service's
    # worker threads (40 by default) would otherwise reconnect under load.
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        kwargs.update(pool_size=40, max_overflow=0, pool_timeout=30)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=20, max_overflow=20)
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # a transaction is one atomic unit (and SELECT ... is inside it).
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
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


@contextmanager
def tenant_session(engine: Engine, tenant_id: str) -> Iterator[Session]:
    """A session that sees and writes only `tenant_id`'s data."""
    with Session(engine, expire_on_commit=False) as session:
        session.info[TENANT_KEY] = tenant_id
        yield session


@contextmanager
def system_session(engine: Engine) -> Iterator[Session]:
    """A session for cross-tenant jobs; every tenant-scoped query must filter itself."""
    with Session(engine, expire_on_commit=False) as session:
        session.info[SYSTEM_KEY] = True
        yield session


@event.listens_for(Session, "do_orm_execute")
def _apply_tenant_scope(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        # Loads of already-scoped objects inherit the original criteria.
        return
    models = _tenant_models_in(state.statement)
    if not models:
        return
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        if state.session.info.get(SYSTEM_KEY):
            return
        raise TenantScopeError("query on tenant data outside a tenant or system session")
    state.statement = state.statement.options(
        *(
            with_loader_criteria(model, model.tenant_id == tenant_id, include_aliases=True)
            for model in models
        )
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
