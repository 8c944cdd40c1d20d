"""Liveness, readiness and metrics: no token, no tenant data."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.core.metrics import exposition
from app.core.migrations import current_revisions, head_revisions

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness",
    operation_id="healthz",
)
async def healthz() -> Health:
    """The process is up. Needs no token."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    operation_id="readyz",
    responses={
        503: {
            "model": Readiness,
            "description": "Not ready: see the fields.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and its schema is at the migrations' head.

    Needs no token. Answers 503 with `Retry-After` otherwise, saying which check failed;
    an unreachable database answers within `PRIVACY_DB_LOCK_TIMEOUT_SECONDS` (PostgreSQL:
    at least 2 s, the shortest connect timeout libpq takes).
    """
    engine = request.app.state.engine

    def check() -> Readiness:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            current = current_revisions(engine)
        except SQLAlchemyError:
            return Readiness(status="unavailable", database="unreachable", migrations="unknown")
        at_head = current == request.app.state.migration_heads
        return Readiness(
            status="ok" if at_head else "unavailable",
            database="ok",
            migrations="at_head" if at_head else "pending",
        )

    result = await run_in_threadpool(check)
    if result.status == "ok":
        return JSONResponse(result.model_dump())
    return JSONResponse(result.model_dump(), status_code=503, headers={"Retry-After": "5"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    operation_id="metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics() -> Response:
    """Request counts and latency histograms by route template, summed over every
    worker process. Needs no token."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


__all__ = ["head_revisions", "router"]
