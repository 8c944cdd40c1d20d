"""Running a read written against `app.core.db.Reader` on either reader the service uses:
`ScopedReader` in the calling thread (SQLite, and the bulk check), or `PooledReader`
awaited on an event loop (the short reads on PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import Engine

from app.core.db import PooledReader, Reader, ReadPool, ScopedReader, run_blocking

T = TypeVar("T")

READERS = ["thread", "loop"]  # ScopedReader, PooledReader


def read_on(
    kind: str, engine: Engine, tenant: str, read: Callable[[Reader], Coroutine[Any, Any, T]]
) -> T:
    """`read(reader)` on a reader of `kind` of the tenant; `loop` only on PostgreSQL."""
    if kind == "thread":
        with ScopedReader(engine, tenant) as reader:
            return run_blocking(read(reader))
    if engine.dialect.name != "postgresql":
        pytest.skip("the short reads are awaited on the event loop on PostgreSQL only")

    async def on_loop() -> T:
        pool = ReadPool(engine, size=2, timeout=5)
        try:
            async with PooledReader(pool, tenant) as reader:
                return await read(reader)
        finally:
            await pool.close()

    return asyncio.run(on_loop())
