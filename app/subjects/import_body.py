"""The body of `POST /v1/subjects/import`: NDJSON, read as a stream, with its own limit.

`ImportBodyLimit` sits where the general body limit sits. The import's path gets its own
rules; every other request goes to the general limit (`BodyLimitMiddleware`, which
accepts JSON only and holds bodies to `PRIVACY_MAX_BODY_BYTES`):

- the body must be `application/x-ndjson` (else 415);
- it may be up to `PRIVACY_MAX_IMPORT_BODY_BYTES` (else 413: up front when
  `Content-Length` says so, else as soon as more has arrived);
- it is never held whole: `ndjson_lines` hands the handler one line at a time, and a
  line is held to `PRIVACY_MAX_BODY_BYTES` (a longer one is skipped as it streams by
  and reported as a failed line).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_BASE, PROBLEM_JSON, PayloadTooLarge
from app.subjects.import_service import BOM, Line

IMPORT_PATH = "/v1/subjects/import"
NDJSON = "application/x-ndjson"


class ImportBodyLimit:
    """The import path's body rules; every other request goes to `general`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_import_bytes: int,
        general: type[Any],
        general_options: dict[str, Any],
    ):
        self.app = app
        self.max_import_bytes = max_import_bytes
        self.general = general(app, **general_options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != IMPORT_PATH or scope["method"] != "POST":
            await self.general(scope, receive, send)
            return
        limit = self.max_import_bytes
        headers = dict(scope.get("headers") or [])
        request_id = scope.get("state", {}).get("request_id", "")
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _reject(
                send,
                413,
                "payload-too-large",
                "Payload too large",
                f"The request body exceeds {limit} bytes.",
                request_id,
            )
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        has_body = (length not in (None, b"0")) or headers.get(b"transfer-encoding")
        if has_body and content_type != NDJSON.encode():
            await _reject(
                send,
                415,
                "unsupported-media-type",
                "Unsupported media type",
                f"Send the body as {NDJSON}: one JSON object per line.",
                request_id,
            )
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
            return message

        await self.app(scope, limited_receive, send)


async def _reject(
    send: Send, status: int, slug: str, title: str, detail: str, request_id: str
) -> None:
    document: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request_id:
        document["instance"] = f"urn:request:{request_id}"
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def ndjson_lines(chunks: AsyncIterator[bytes], *, max_line_bytes: int) -> AsyncIterator[Line]:
    """The non-blank lines of an NDJSON stream, numbered from 1 (blank lines count).

    A leading byte order mark and a line's trailing CR are dropped. A line longer than
    `max_line_bytes` is not kept: it comes as `Line(number, None)`.
    """
    number = 0
    pending = bytearray()
    too_long = False
    first = True

    def finish(piece: bytes) -> Line | None:
        nonlocal number, too_long, first
        number += 1
        if too_long or len(pending) + len(piece) > max_line_bytes + len(BOM) + 1:
            too_long = False
            pending.clear()
            first = False
            return Line(number, None)
        raw = bytes(pending) + piece if pending else piece
        pending.clear()
        if first:
            first = False
            raw = raw.removeprefix(BOM)
        raw = raw.removesuffix(b"\r")
        if len(raw) > max_line_bytes:
            return Line(number, None)
        if not raw.strip():
            return None
        return Line(number, raw)

    async for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not too_long:
                    pending.extend(chunk[start:])
                    if len(pending) > max_line_bytes + len(BOM) + 1:
                        too_long = True
                        pending.clear()
                break
            line = finish(chunk[start:end])
            if line is not None:
                yield line
            start = end + 1
    if pending or too_long:
        line = finish(b"")
        if line is not None:
            yield line
