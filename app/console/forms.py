"""Reading the console's forms: `application/x-www-form-urlencoded` only (no uploads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fastapi import Request

from app.console.errors import ConsoleBadRequest

MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 500


@dataclass
class FormData:
    """A posted form: `get(name)` the first value (stripped), `getlist(name)` all."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.items:
            if key == name:
                return value.strip()
        return default

    def getlist(self, name: str) -> list[str]:
        return [value.strip() for key, value in self.items if key == name]

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.items)


async def read_form(request: Request) -> FormData:
    """The request's form (parsed once per request). Anything but a urlencoded form of
    at most 64 KiB, or a value with a NUL character, is a 400 page."""
    cached: FormData | None = getattr(request.state, "console_form", None)
    if cached is not None:
        return cached
    if request.method != "POST":
        form = FormData()
    else:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()  # the service's body limit applies first
        if kind != "application/x-www-form-urlencoded" and body:
            raise ConsoleBadRequest()
        if len(body) > MAX_FORM_BYTES:
            raise ConsoleBadRequest()
        try:
            text = body.decode("utf-8")
            items = parse_qsl(
                text,
                keep_blank_values=True,
                strict_parsing=False,
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except (UnicodeDecodeError, ValueError):
            raise ConsoleBadRequest() from None
        if any("\x00" in key or "\x00" in value for key, value in items):
            raise ConsoleBadRequest()
        form = FormData(items)
    request.state.console_form = form
    return form
