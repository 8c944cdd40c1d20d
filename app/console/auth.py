"""Signing in and out of the console, and the language switch.

Sign-in is OpenID Connect's authorization-code flow with PKCE (S256) against
`PRIVACY_CONSOLE_OIDC_ISSUER` (see `app.console.oidc`). In development only, a form
signs in with the development secret (the HS256 secret `privacy-api serve` and
`privacy-api token` share, `data/jwt-secret`) and a chosen tenant, name and role; in
any other environment that route answers 404.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from app.console import sessions
from app.console.deps import ConsoleUser, get_engine, run_write
from app.console.errors import ConsoleForbidden, ConsoleNotFound, ConsoleRedirect
from app.console.forms import FormData, read_form
from app.console.i18n import as_lang
from app.console.render import redirect, render, request_lang
from app.console.routing import page_router
from app.core.config import TENANT_PATTERN, Settings

router = page_router()

MAX_NAME = 200
LANG_COOKIE_SECONDS = 365 * 24 * 3600


def _safe_next(value: str | None) -> str:
    """Where to go after sign-in: a console path only (no open redirect, no query)."""
    if not value or not value.startswith("/console") or "//" in value or "\\" in value:
        return "/console"
    if any(c in value for c in "?#\r\n") or len(value) > 300:
        return "/console"
    return value


def _check_pre_csrf(request: Request, form: FormData) -> None:
    cookie = request.cookies.get(sessions.PRE_CSRF_COOKIE, "")
    sent = form.get("csrf_token")
    if not cookie or not secrets.compare_digest(sent.encode(), cookie.encode()):
        raise ConsoleForbidden("error.csrf")


def _sign_in_page(
    request: Request,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message_key: str | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    return render(
        request,
        None,
        "console/sign_in.html",
        {
            "oidc_configured": settings.console_oidc_issuer is not None,
            "roles": [(role, role) for role in sorted(settings.console_oidc_roles)],
            "next": _safe_next(request.query_params.get("next")),
            "errors": errors or {},
            "values": values or {},
            "message_key": message_key or _notice(request),
        },
        status_code=status_code,
    )


def _notice(request: Request) -> str | None:
    for flag, key in (
        ("expired", "sign_in.expired"),
        ("signed_out", "sign_in.signed_out"),
        ("failed", "sign_in.failed"),
    ):
        if request.query_params.get(flag):
            return key
    return None


@router.get("/sign-in")
def sign_in_page(request: Request) -> Response:
    """The sign-in page: the issuer's sign-in, and in development the form with the
    development secret."""
    return _sign_in_page(request)


@router.post("/sign-in")
async def dev_sign_in(request: Request, form: Annotated[FormData, Depends(read_form)]) -> Response:
    """Development only (404 elsewhere): sign in with the development secret as a person
    of the given tenant with the scopes of the given role."""
    settings: Settings = request.app.state.settings
    if settings.environment != "development":
        raise ConsoleNotFound()
    _check_pre_csrf(request, form)
    errors: dict[str, str] = {}
    expected = settings.hmac_secret() or ""
    if not expected or not secrets.compare_digest(
        form.get("secret").encode("utf-8", "replace"), expected.encode()
    ):
        errors["secret"] = "sign_in.bad_secret"  # noqa: S105 - a message key
    tenant = form.get("tenant")
    if not TENANT_PATTERN.fullmatch(tenant):
        errors["tenant"] = "sign_in.bad_tenant"
    name = form.get("display_name")
    if not name or len(name) > MAX_NAME:
        errors["display_name"] = "sign_in.bad_name"
    role = form.get("role")
    if role not in settings.console_oidc_roles:
        errors["role"] = "form.invalid"
    if errors:
        values = {"tenant": tenant, "display_name": name, "role": role}
        return await run_in_threadpool(
            lambda: _sign_in_page(request, status_code=400, errors=errors, values=values)
        )
    # The actor of the audit events: the same for the same person and tenant at every
    # sign-in, without their name in it.
    digest = hashlib.sha256(f"{tenant}\n{name}".encode()).hexdigest()[:16]
    actor = f"dev:{digest}"
    return await start_session(
        request,
        actor=actor,
        display_name=name,
        tenant=tenant,
        scopes=frozenset(settings.console_oidc_roles[role]),
        next_path=_safe_next(form.get("next")),
    )


async def open_session(
    request: Request, response: Response, *, cookie_seconds: int, **fields: Any
) -> Response:
    """A new session row with `fields` (any earlier session of this browser is deleted:
    a new id at every step of a sign-in), its cookie set on `response`."""
    engine = get_engine(request)
    settings: Settings = request.app.state.settings
    now = request.app.state.clock()
    lang = request_lang(request, None)
    previous = request.cookies.get(sessions.COOKIE_NAME)
    raw = await run_write(
        request,
        lambda: sessions.create(engine, settings, now=now, lang=lang, replaces=previous, **fields),
    )
    response.set_cookie(sessions.COOKIE_NAME, raw, **sessions.cookie_options(cookie_seconds))
    return response


async def start_session(
    request: Request,
    *,
    actor: str,
    display_name: str,
    tenant: str,
    scopes: frozenset[str],
    next_path: str,
) -> Response:
    """Sign the person in: a new session (a new id: any earlier one is deleted) and a 303
    to where they were going."""
    settings: Settings = request.app.state.settings
    return await open_session(
        request,
        redirect(next_path),
        cookie_seconds=settings.console_session_lifetime_seconds,
        actor=actor,
        display_name=display_name,
        tenant=tenant,
        scopes=scopes,
    )


@router.post("/sign-out")
async def sign_out(request: Request, form: Annotated[FormData, Depends(read_form)]) -> Response:
    """End the session: its row is deleted and the cookie cleared."""
    engine = get_engine(request)
    row = await run_in_threadpool(sessions.find, engine, request.cookies.get(sessions.COOKIE_NAME))
    if row is not None:
        if not secrets.compare_digest(form.get("csrf_token").encode(), row.csrf_token.encode()):
            raise ConsoleForbidden("error.csrf")
        await run_write(request, lambda: sessions.delete_session(engine, row.id_hash))
    response = redirect("/console/sign-in?signed_out=1")
    response.delete_cookie(
        sessions.COOKIE_NAME, path=sessions.COOKIE_PATH, secure=True, httponly=True
    )
    return response


@router.post("/language")
async def switch_language(
    request: Request, form: Annotated[FormData, Depends(read_form)]
) -> Response:
    """Switch the language: stored in the session when signed in, and in a cookie (also
    before sign-in). Returns to the page it was sent from."""
    lang = as_lang(form.get("lang"))
    if lang is None:
        raise ConsoleForbidden("form.invalid")
    engine = get_engine(request)
    row = await run_in_threadpool(sessions.find, engine, request.cookies.get(sessions.COOKIE_NAME))
    signed_in = row is not None and row.actor is not None
    if signed_in:
        assert row is not None
        if not secrets.compare_digest(form.get("csrf_token").encode(), row.csrf_token.encode()):
            raise ConsoleForbidden("error.csrf")
        await run_write(request, lambda: sessions.update(engine, row.id_hash, lang=lang))
    else:
        _check_pre_csrf(request, form)
    response = redirect(_safe_next(form.get("next")))
    response.set_cookie(sessions.LANG_COOKIE, lang, **sessions.cookie_options(LANG_COOKIE_SECONDS))
    return response


@router.get("/sign-in/oidc")
async def oidc_start(request: Request) -> Response:
    """Leave for the issuer's sign-in (authorization code with PKCE S256)."""
    settings: Settings = request.app.state.settings
    if settings.console_oidc_issuer is None:
        raise ConsoleNotFound()
    from app.console import oidc  # Authlib and httpx: loaded by the first OIDC sign-in

    return await oidc.start(request, next_path=_safe_next(request.query_params.get("next")))


@router.get("/callback")
async def oidc_callback(request: Request) -> Response:
    """The issuer sends the person back here with a code (or an error)."""
    settings: Settings = request.app.state.settings
    if settings.console_oidc_issuer is None:
        raise ConsoleNotFound()
    from app.console import oidc

    identity = await oidc.finish(request)
    if identity is None:
        raise ConsoleRedirect("/console/sign-in?failed=1")
    if not identity.scopes:
        raise ConsoleForbidden("error.no_role")
    return await start_session(
        request,
        actor=identity.actor,
        display_name=identity.display_name,
        tenant=identity.tenant,
        scopes=identity.scopes,
        next_path=identity.next_path,
    )


__all__ = ["ConsoleUser", "router"]
