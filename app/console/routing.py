"""`ConsoleRoute`: every console route answers in HTML, whatever goes wrong.

It turns what a page raises into a page: a `ConsoleRedirect` into a 303, a missing
scope or a bad CSRF token into a 403 page, an unknown or foreign id into a 404 page,
and any other 4xx problem of a service into a page with its message. A POST runs in
this process's turn to write (SQLite: one writer at a time, as the API's writers), and
the flashes a page left are stored in the session before the answer leaves.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from app.console import sessions
from app.console.errors import ConsoleError, ConsoleRedirect
from app.core.db import write_turn
from app.core.errors import AppError

logger = logging.getLogger("app.console")
F = TypeVar("F")


PREFIX = "/console"


def is_console_path(path: str) -> bool:
    """Whether a request path is the console's: `/console` or under it."""
    return path == PREFIX or path.startswith(PREFIX + "/")


@dataclass(frozen=True)
class RouteName:
    """What logs and metrics read of a console route: its full path template."""

    path_format: str
    operation_id: None = None
    openapi_extra: None = None


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            engine = request.app.state.engine
            timeout = request.app.state.settings.db_lock_timeout_seconds
            hold = request.method == "POST" or getattr(self.endpoint, "console_writes", False)
            turn = write_turn(engine, timeout=timeout) if hold else contextlib.nullcontext()
            try:
                response = await self._answer(request, original, turn, hold)
            finally:
                # Logs and metrics name the route by its full template (`/console/requests/
                # {request_id}`), never by the path (FastAPI includes routers lazily, so
                # the route knows only its path within its page router).
                request.scope["route"] = RouteName(PREFIX + self.path_format)
            pre_sign_in = getattr(request.state, "console_set_pre_csrf", None)
            if pre_sign_in and "set-cookie" not in response.headers:
                response.set_cookie(
                    sessions.PRE_CSRF_COOKIE, pre_sign_in, **sessions.cookie_options()
                )
            if getattr(request.state, "console_clear_cookie", False):
                response.delete_cookie(
                    sessions.COOKIE_NAME, path=sessions.COOKIE_PATH, secure=True, httponly=True
                )
            return response

        return handler

    @staticmethod
    async def _answer(
        request: Request,
        original: Callable[[Request], Coroutine[Any, Any, Response]],
        turn: Any,
        hold: bool,
    ) -> Response:
        """The page's answer, or the page for what it raised."""
        async with turn:
            request.state.console_turn = hold
            try:
                response = await original(request)
            except ConsoleRedirect as redirect:
                response = Response(status_code=303, headers={"Location": redirect.location})
            except ConsoleError as error:
                response = await error_page(request, error.status_code, error.message_key)
            except RequestValidationError as error:
                in_path = any(e.get("loc", ("",))[0] == "path" for e in error.errors())
                response = await error_page(
                    request,
                    404 if in_path else 400,
                    "error.not_found.body" if in_path else "error.invalid.title",
                )
            except AppError as error:
                if error.status >= 500:
                    raise
                response = await error_page(request, error.status, None, detail=error.detail)
            await _store_flashes(request)
        return response


async def _store_flashes(request: Request) -> None:
    new = getattr(request.state, "console_new_flashes", None)
    user = getattr(request.state, "console_user", None)
    if not new or user is None:
        return
    from app.console.deps import run_write  # deps imports this module's users

    engine = request.app.state.engine
    await run_write(request, lambda: sessions.add_flashes(engine, user.session_hash, new))


async def error_page(
    request: Request, status_code: int, message_key: str | None, *, detail: str | None = None
) -> Response:
    """The error page for `status_code`, in the person's language where known."""
    from app.console.render import render  # the templates import the routing's users

    user = getattr(request.state, "console_user", None)
    title_key = {
        403: "error.forbidden.title",
        404: "error.not_found.title",
        409: "error.conflict.title",
    }.get(status_code, "error.invalid.title")
    return await run_in_threadpool(
        render,
        request,
        user,
        "console/error.html",
        {"title_key": title_key, "message_key": message_key, "detail": detail},
        status_code=status_code,
    )


def writes(endpoint: F) -> F:
    """Mark a GET page that writes (an audited read): it runs in the turn to write too."""
    endpoint.console_writes = True  # type: ignore[attr-defined]
    return endpoint


def page_router() -> APIRouter:
    """A router for console pages (every page router must be made with this)."""
    return APIRouter(route_class=ConsoleRoute)
