"""Rendering console pages: Jinja2 with autoescaping, the person's language, flashes."""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.console.deps import ConsoleUser, get_engine
from app.console.i18n import DEFAULT_LANG, Lang, as_lang, from_accept_language, translator
from app.console.sessions import LANG_COOKIE, PRE_CSRF_COOKIE, new_secret
from app.core.db import tenant_session
from app.retention.settings import tenant_settings

TEMPLATES = Path(__file__).parent / "templates"

if TYPE_CHECKING:
    import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    """The console's templates, loaded at the first page shown: a process that serves
    only the API never imports Jinja2 (resident memory, issue 13)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["as_option"] = _as_option
    return env


def _as_option(value: str, prefix: str, t: Any) -> tuple[str, str]:
    """An enumerated value and its label (`t(prefix + value)`), for `select`."""
    return value, t(prefix + value)


NOTHING = "\u2013"  # an en dash where there is no value

MONTHS = {
    "sv": [
        "januari", "februari", "mars", "april", "maj", "juni",
        "juli", "augusti", "september", "oktober", "november", "december",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip


def format_date(value: date | datetime | None, lang: Lang, zone: ZoneInfo) -> str:
    """`26 november 2026` / `26 November 2026`; a datetime as its day in `zone`."""
    if value is None:
        return NOTHING
    day = value.astimezone(zone).date() if isinstance(value, datetime) else value
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def format_datetime(value: datetime | None, lang: Lang, zone: ZoneInfo) -> str:
    """`26 november 2026 14:05` in `zone`."""
    if value is None:
        return NOTHING
    local = value.astimezone(zone)
    return f"{format_date(local.date(), lang, zone)} {local:%H:%M}"


def request_lang(request: Request, user: ConsoleUser | None) -> Lang:
    """The person's language; before sign-in the language cookie, else Accept-Language."""
    if user is not None:
        return user.lang
    return as_lang(request.cookies.get(LANG_COOKIE)) or from_accept_language(
        request.headers.get("accept-language")
    )


def _tenant_zone(request: Request, user: ConsoleUser | None) -> ZoneInfo:
    if user is None:
        return ZoneInfo("Europe/Stockholm")
    cached: ZoneInfo | None = getattr(request.state, "console_zone", None)
    if cached is None:
        with tenant_session(get_engine(request), user.tenant) as session:
            cached = ZoneInfo(tenant_settings(session).time_zone)
        request.state.console_zone = cached
    return cached


def pre_sign_in_token(request: Request) -> str:
    """The CSRF token of forms shown before sign-in (the development sign-in, the
    language): a random value in the cookie `privacy_console_csrf` that the form repeats
    (double submit). A new one is set on the answer (`ConsoleRoute`) when missing."""
    value: str | None = getattr(request.state, "console_pre_csrf", None)
    if value:
        return value
    value = request.cookies.get(PRE_CSRF_COOKIE)
    if not value or len(value) > 64:
        value = new_secret()
        request.state.console_set_pre_csrf = value
    request.state.console_pre_csrf = value
    return value


def render(
    request: Request,
    user: ConsoleUser | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page `template` (under `templates/`, e.g. `console/queue/index.html`).

    The context always has `user`, `lang`, `t`, `csrf_token`, `flashes`, `now`,
    `format_date`, `format_datetime`, `request_path`."""
    lang = request_lang(request, user) if user is None else user.lang
    zone = _tenant_zone(request, user)
    t = translator(lang or DEFAULT_LANG)
    flashes = [
        {"kind": item.get("kind", "info"), "text": t(item["key"], **item.get("params", {}))}
        for item in getattr(request.state, "console_flashes", [])
        if isinstance(item, dict) and "key" in item
    ]
    values: dict[str, Any] = {
        "user": user,
        "lang": lang,
        "t": t,
        "csrf_token": user.csrf_token if user is not None else pre_sign_in_token(request),
        "flashes": flashes,
        "now": request.app.state.clock(),
        "format_date": lambda value: format_date(value, lang, zone),
        "format_datetime": lambda value: format_datetime(value, lang, zone),
        "request_path": request.url.path,
        "dev_sign_in": request.app.state.settings.environment == "development",
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def flash(
    request: Request,
    kind: Literal["success", "error", "info"],
    message_key: str,
    **params: str | int,
) -> None:
    """A message for the next page (stored in the server-side session, shown once).
    `params` must hold no personal data: ids, counts, dates, enumerated values."""
    pending: list[dict[str, Any]] = getattr(request.state, "console_new_flashes", [])
    pending.append({"kind": kind, "key": message_key, "params": params})
    request.state.console_new_flashes = pending


def redirect(path: str) -> RedirectResponse:
    """303 See Other to a console path (after a POST: the PRG pattern)."""
    if not path.startswith("/console"):
        path = "/console"
    return RedirectResponse(path, status_code=303)
