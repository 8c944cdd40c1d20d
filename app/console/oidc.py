"""OpenID Connect sign-in (authorization code with PKCE S256) — see `start`, `finish`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from app.console.errors import ConsoleNotFound


@dataclass(frozen=True)
class Identity:
    actor: str
    display_name: str
    tenant: str
    scopes: frozenset[str]
    next_path: str


async def start(request: Request, *, next_path: str) -> Response:
    raise ConsoleNotFound()


async def finish(request: Request) -> Identity | None:
    raise ConsoleNotFound()
