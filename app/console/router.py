"""The console's router: every page router of `app.console.pages`, the static files and
a 404 page for any other path under `/console`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from app.console.errors import ConsoleNotFound
from app.console.pages import PAGE_ROUTERS
from app.console.routing import PREFIX, ConsoleRoute

STATIC = (Path(__file__).parent / "static").resolve()

# The pages are included under the prefix (a page router's `""` is the console's root);
# `_own` holds the static files and the catch-all 404, included last.
router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
_own = APIRouter(route_class=ConsoleRoute)


@_own.get("/static/{name:path}")
def static_file(name: str) -> Response:
    """A file of `app/console/static` (styles, images); nothing outside it."""
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        raise ConsoleNotFound()
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


@_own.api_route("/{rest:path}", methods=["GET", "POST"])
def not_found(request: Request, rest: str) -> Response:
    """Any other path under /console: the 404 page."""
    raise ConsoleNotFound()


for page_router in PAGE_ROUTERS:
    router.include_router(page_router, prefix=PREFIX)
router.include_router(_own, prefix=PREFIX)
