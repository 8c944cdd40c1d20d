"""Alembic environment: the app's metadata, SQLite batch mode, no logging reconfiguration."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import get_settings
from app.core.db import create_db_engine

config = context.config
target_metadata = SQLModel.metadata

# The PostgreSQL advisory lock every upgrade takes (any fixed number of our own): replicas
# that run `privacy-api migrate` as they start take turns instead of racing to create the
# same tables (one of them used to fail). The later one waits for the earlier one's
# commit, then finds the schema at head and does nothing.
MIGRATION_LOCK_KEY = 0x5C6F1D2A9B3E4780


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return url or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = create_db_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            _wait_for_other_upgrades(connection)
        context.run_migrations()


def _wait_for_other_upgrades(connection: sa.Connection) -> None:
    """Take the migration lock, held until the upgrade's one transaction ends
    (transactional DDL); alembic reads the current revision only after this.

    The wait is as long as the other upgrade takes, not the service's `lock_timeout`,
    which then applies again to the DDL (so that it never queues for long behind the
    service's transactions, holding up everything queued behind it).
    """
    lock_timeout = connection.execute(sa.text("SHOW lock_timeout")).scalar_one()
    connection.execute(sa.text("SET LOCAL lock_timeout = 0"))
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.execute(
        sa.text("SELECT set_config('lock_timeout', :value, true)"), {"value": lock_timeout}
    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
