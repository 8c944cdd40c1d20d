"""The application: middleware, error handlers, routers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

import app.models  # noqa: F401  (every table mapped before the first query)
from app.audit.router import router as audit_router
from app.collection.router import router as collection_router
from app.console.headers import ConsoleHeadersMiddleware
from app.console.loader import ConsoleLoader
from app.console.sessions import purge_expired
from app.core.clock import utcnow
from app.core.config import Settings, get_settings
from app.core.db import ReadPool, create_db_engine
from app.core.deps import (
    IMPORT_GUARDS,
    V1_GUARDS,
    reject_nul_characters,
    reject_unknown_query,
    scope_guard,
)
from app.core.docs import install_docs
from app.core.errors import install_error_handlers, problem_responses
from app.core.logging import configure_logging
from app.core.middleware import (
    BodyLimitMiddleware,
    HeaderLimitMiddleware,
    RateLimitMiddleware,
    RequestContextMiddleware,
)
from app.core.migrations import head_revisions
from app.core.openapi import build_openapi, operation_paths
from app.core.ratelimit import RateLimiter
from app.core.routing import include_flat
from app.core.security import TokenVerifier
from app.erasure.router import router as erasure_router
from app.erasure.service import purge_once
from app.interop.auth import authenticate_gdpr, gdpr_api_enabled, gdpr_verifier
from app.interop.router import router as gdpr_router
from app.notices.router import router as notices_router
from app.notifications.dispatcher import dispatch_once
from app.notifications.router import router as notifications_router
from app.objections.router import router as objections_router
from app.ops.router import router as ops_router
from app.requests.letters_router import router as letters_router
from app.requests.router import router as requests_router
from app.retention.held_router import router as held_records_router
from app.retention.router import router as retention_router
from app.rights.router import router as rights_router
from app.rights.schemas import MarketingCheckRequest, SubjectExport
from app.subjects.import_body import ImportBodyLimit
from app.subjects.import_router import router as subjects_import_router
from app.subjects.router import router as subjects_router

VERSION = "0.1.0"
# Short reads at once: read threads on SQLite (at most the general pool's 4), `ReadPool`
# connections on PostgreSQL.
READ_THREADS = 8
GC_THRESHOLDS = (50_000, 20, 100)  # young, middle, old; the default is (700, 10, 10)
logger = logging.getLogger("app")

# Every /v1 router is authenticated where it is included, not route by route.
V1_ROUTERS = [
    subjects_router,
    rights_router,
    objections_router,
    erasure_router,
    requests_router,
    letters_router,
    retention_router,
    held_records_router,
    collection_router,
    notices_router,
    notifications_router,
    audit_router,
]


async def dispatch_forever(app: FastAPI, threads: anyio.CapacityLimiter) -> None:
    """Send due webhook deliveries every `dispatch_interval_seconds`, until cancelled.

    A pass runs in a thread of `threads`, not of the pool that serves the API: a receiver
    that is down or slow to answer holds up the deliveries, never a call.
    """
    settings: Settings = app.state.settings
    while True:
        try:
            await anyio.to_thread.run_sync(
                partial(dispatch_once, app.state.engine, settings, clock=app.state.clock),
                limiter=threads,
            )
        except Exception as exc:  # noqa: BLE001 - keep the loop alive; the next pass retries
            logger.error("webhook dispatch pass failed", extra={"error_type": type(exc).__name__})
        await asyncio.sleep(settings.dispatch_interval_seconds)


async def purge_forever(app: FastAPI, threads: anyio.CapacityLimiter) -> None:
    """Run the purge every `purge_interval_seconds` (safe beside other replicas'), in a
    thread of `threads` (not of the API's pool)."""
    settings: Settings = app.state.settings
    while True:
        await asyncio.sleep(settings.purge_interval_seconds)
        try:
            report = await anyio.to_thread.run_sync(
                partial(
                    purge_once,
                    app.state.engine,
                    now=app.state.clock(),
                    run_id=f"purge-{uuid.uuid4()}",
                ),
                limiter=threads,
            )
            ended = await anyio.to_thread.run_sync(
                partial(purge_expired, app.state.engine, now=app.state.clock(), settings=settings),
                limiter=threads,
            )
            logger.info(
                "purge pass",
                extra={"purged": report.purged, "held": report.still_held, "sessions": ended},
            )
        except Exception as exc:  # noqa: BLE001 - keep the loop alive; the next pass retries
            logger.error("purge pass failed", extra={"error_type": type(exc).__name__})


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for `settings` (default: from the environment)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    threads = settings.worker_threads or (4 if settings.is_sqlite else 40)  # the general pool
    engine = create_db_engine(
        settings.database_url,
        echo=settings.database_echo,
        lock_timeout=settings.db_lock_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        workers = []
        if settings.dispatch_interval_seconds > 0:
            workers.append(asyncio.create_task(dispatch_forever(app, anyio.CapacityLimiter(1))))
        if settings.purge_interval_seconds > 0:
            workers.append(asyncio.create_task(purge_forever(app, anyio.CapacityLimiter(1))))
        # Everything loaded so far (modules, the app, its routes and schemas) lives as
        # long as the process: move it out of the collector's sight, so that a request
        # allocating many objects (an access report of 10,000 records) does not make
        # every collection walk the whole started app again.
        gc.collect()
        gc.freeze()
        # A call that builds a large answer (an access report of 10,000 records: about a
        # million objects) made the default young-generation threshold (700 allocations)
        # run a collection every 700 objects, and the oldest generation, which then
        # walks all of the answer's objects, every hundred thousand or so. The service
        # makes few reference cycles: collect young objects less often, old ones rarely.
        gc.set_threshold(*GC_THRESHOLDS)
        yield
        for worker in workers:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if read_pool is not None:
            await read_pool.close()
        engine.dispose()

    app = FastAPI(
        title="Privacy Rights API",
        version=VERSION,
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, with Swagger UI's files from the package
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    # The short reads (`app.core.deps.run_read`). On SQLite, in threads of their own,
    # started as needed; few: a short read is mostly Python holding the GIL, and each
    # thread costs memory (its stack and malloc arena). On PostgreSQL, awaited on the
    # event loop instead, on connections of their own (`ReadPool`): no threads.
    read_pool = (
        None
        if settings.is_sqlite
        else ReadPool(engine, size=READ_THREADS, timeout=settings.db_lock_timeout_seconds)
    )
    app.state.read_pool = read_pool
    app.state.read_threads = (
        ThreadPoolExecutor(min(READ_THREADS, threads), thread_name_prefix="read")
        if read_pool is None
        else None
    )
    app.state.verifier = TokenVerifier(settings)
    app.state.gdpr_verifier = gdpr_verifier(settings)  # None: the GDPR API answers 404
    app.state.clock = utcnow
    app.state.migration_heads = head_revisions()
    app.state.rate_limiter = RateLimiter(settings.rate_limits) if settings.rate_limits else None

    install_error_handlers(app)
    # Starlette runs the last added middleware first: the request context wraps all.
    if settings.console_enabled:
        # The console's routes come with its first call (`ConsoleLoader`), after all
        # the others: a call to the API does not try them.
        app.add_middleware(ConsoleLoader)
    app.add_middleware(
        ImportBodyLimit,  # the NDJSON import's own rules; every other call: `general`
        max_import_bytes=settings.max_import_body_bytes,
        general=BodyLimitMiddleware,
        general_options={
            "max_bytes": settings.max_body_bytes,
            "bulk_paths": {"/v1/marketing/check": settings.max_bulk_body_bytes},
        },
    )
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(HeaderLimitMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(ConsoleHeadersMiddleware)

    # The operations are registered flat on the application (`include_flat`): FastAPI
    # resolves an included router anew on every call. The docs come last: a call to
    # the API does not try their routes.
    # The import streams its body: no guard may read it whole (NUL is checked per
    # line). Before the subjects router, so `/v1/subjects/import` is not read as an id.
    include_flat(app, ops_router)
    include_flat(
        app,
        subjects_import_router,
        prefix="/v1",
        guards=IMPORT_GUARDS,
        lift=scope_guard,
        responses=problem_responses(401, 429, 431, 503),
    )
    for router in V1_ROUTERS:
        include_flat(
            app,
            router,
            prefix="/v1",
            guards=V1_GUARDS,
            lift=scope_guard,
            responses=problem_responses(401, 429, 431, 503),
        )
    # The Helsinki profile GDPR API: outside /v1, with its own issuer's tokens.
    app.include_router(
        gdpr_router,
        prefix="/gdpr-api/v1",
        dependencies=[
            Depends(gdpr_api_enabled),
            Depends(authenticate_gdpr),
            Depends(reject_unknown_query),
            Depends(reject_nul_characters),
        ],
        responses=problem_responses(401, 431, 503),
    )

    install_docs(app)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """People who open the service's address find the console (or the API's docs)."""
        return RedirectResponse("/console" if settings.console_enabled else "/docs", 307)

    def openapi() -> dict[str, Any]:
        return build_openapi(app, extra_models=(MarketingCheckRequest, SubjectExport))

    app.openapi = openapi  # type: ignore[method-assign]
    # Included routes know only their own path; logs and metrics want the full template.
    # Read off the routes as the OpenAPI document lists them, without building it: the
    # document (built on the first /openapi.json) would keep ~12 MB in every process.
    paths = operation_paths(app)
    app.state.route_templates = {
        operation_id: path for path, item in paths.items() for operation_id in item.values()
    }
    app.state.path_methods = [
        (
            "{" not in path,
            re.compile(re.sub(r"\{[^/]+\}", "[^/]+", path)),
            {m.upper() for m in item},
            path,
        )
        for path, item in paths.items()
    ]
    return app
