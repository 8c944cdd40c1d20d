"""The console's page routers, included by `app.console.router` (one line each)."""

from app.console.auth import router as auth_router
from app.console.pages.audit import router as audit_router
from app.console.pages.erasure import router as erasure_router
from app.console.pages.queue import router as queue_router
from app.console.pages.requests import router as requests_router
from app.console.pages.settings import router as settings_router
from app.console.pages.subjects import router as subjects_router

PAGE_ROUTERS = [
    auth_router,
    queue_router,
    requests_router,
    subjects_router,
    erasure_router,
    settings_router,
    audit_router,
]
