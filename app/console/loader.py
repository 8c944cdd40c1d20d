"""The console's routes, added to the application by the first call under `/console`.

Its pages, forms and their schemas are about 2.7 MB of every serving process (the
resident-memory goal of one process is 100 MB). A process that only ever answers the
API, as most do, never loads them; the privacy desk's first page does, once. Pure ASGI:
nothing is buffered.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.console.routing import is_console_path


class ConsoleLoader:
    """Includes the console's router in the application (`scope["app"]`) before the
    first call under `/console` is routed. The routes are added on the event loop's
    thread, between two calls' routing, so no call sees them half added."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loaded = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.loaded and scope["type"] == "http" and is_console_path(scope["path"]):
            from app.console.router import router

            scope["app"].include_router(router)
            self.loaded = True
        await self.app(scope, receive, send)
