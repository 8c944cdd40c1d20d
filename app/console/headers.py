"""Security headers on every `/console` answer (pure ASGI: no response buffering)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.console.routing import is_console_path

# No script at all; styles and images from the console only; forms post back here only;
# never framed (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/console/static/"


class ConsoleHeadersMiddleware:
    """Adds the console's security headers to its answers; pages are never cached
    (they hold personal data), the static files may be."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not is_console_path(path):
            await self.app(scope, receive, send)
            return
        static = path.startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {b"content-security-policy", b"x-content-type-options"}
                names |= {b"referrer-policy", b"x-frame-options", b"cross-origin-opener-policy"}
                if not static:
                    names.add(b"cache-control")
                own = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() == b"content-security-policy"
                ]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                # A document the person receives (the readable access report) keeps its own
                # policy: no scripts, nothing loaded, only its own inline style.
                headers += [(k, v) for k, v in HEADERS if not (own and k == own[0][0].lower())]
                headers += own[:1]
                if not static:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
