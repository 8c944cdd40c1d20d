"""ASGI middleware: request ids, access logs, metrics, refused-call audit, rate and body
limits.

Logs and metrics name the route *template* (`/v1/subjects/{subject_id}`), never the
raw path or query string, so that nothing a caller puts in a URL ends up in them.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import uuid
from typing import Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.service import record_event
from app.core.db import begin_write, tenant_session, write_turn
from app.core.deps import AUDIT_ACTION_KEY
from app.core.errors import (
    PROBLEM_BASE,
    PROBLEM_JSON,
    AppError,
    PayloadTooLarge,
    TooManyRequests,
)
from app.core.metrics import AUTH_FAILURES, RATE_LIMITED, REQUEST_LATENCY, REQUESTS
from app.core.ratelimit import RateLimiter
from app.core.security import Principal, TokenVerifier

logger = logging.getLogger("app.access")
error_logger = logging.getLogger("app.errors")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _route_template(scope: Scope) -> str:
    """The matched route's full path template (`/v1/subjects/{subject_id}`)."""
    route = scope.get("route")
    if route is None:  # refused before routing: the template found for it, if any
        return str(scope.get("state", {}).get("route_template", "<unmatched>"))
    operation_id = getattr(route, "operation_id", None)
    templates: dict[str, str] = scope["app"].state.route_templates
    if operation_id in templates:
        return templates[operation_id]
    return str(getattr(route, "path_format", None) or "<unmatched>")


def _with_full_allow(scope: Scope, headers: list[Any]) -> list[Any]:
    """`Allow` listing every method of the path (the router names only the first match)."""
    allowed: set[str] = set()
    for literal, pattern, methods, _template in scope["app"].state.path_methods:
        if pattern.fullmatch(scope["path"]):
            if literal:  # `/v1/subjects/search` wins over `/v1/subjects/{subject_id}`
                allowed = set(methods)
                break
            allowed |= methods
    if not allowed:
        return headers
    kept = [(k, v) for k, v in headers if k.lower() != b"allow"]
    return [*kept, (b"allow", ", ".join(sorted(allowed)).encode())]


def _problem_bytes(status: int, slug: str, title: str, detail: str, request_id: str) -> bytes:
    return json.dumps(
        {
            "type": PROBLEM_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": f"urn:request:{request_id}",
        }
    ).encode()


def _new_request_id() -> str:
    """A random UUID (version 4) naming one request in logs and answers.

    It only has to be unique, not unguessable (it grants nothing), so it comes from the
    process's pseudo-random generator (reseeded in every forked worker) instead of a
    system call for 16 bytes of entropy on every request.
    """
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


class RequestContextMiddleware:
    """Gives every request an id, logs and measures it, and audits refused writes."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (
            dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        )
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else _new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status_holder = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                if message["status"] == 405:
                    headers = _with_full_allow(scope, headers)
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            # An unexpected error: log its type only (messages may quote data).
            error_logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
            status_holder["status"] = 500
            if not status_holder["started"]:
                body = _problem_bytes(
                    500,
                    "internal-error",
                    "Internal error",
                    "The request failed; it can be retried. Quote the request id.",
                    request_id,
                )
                await send_wrapper(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            status = int(status_holder["status"])
            route = _route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            REQUEST_LATENCY.labels(method=method, route=route).observe(elapsed)
            if status == 401:
                AUTH_FAILURES.inc()
            elif status == 429:
                RATE_LIMITED.inc()
            if logger.isEnabledFor(logging.INFO):
                # The record is made directly: `logger.info` would also walk the stack
                # for the caller's file and line, which this line never shows.
                principal = state.get("principal")
                fields = {
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "actor": getattr(principal, "actor", None),
                    "tenant": getattr(principal, "tenant", None),
                }
                logger.handle(
                    logger.makeRecord(
                        logger.name, logging.INFO, __file__, 0, "request", (), None, extra=fields
                    )
                )
        # A call over the rate limit did nothing, and an audit event for each would put
        # the very flood the limit sheds onto the database: it is counted and logged.
        if status >= 400 and status != 429 and not state.get("audited"):
            await self._audit_refusal(scope, state, status, request_id)

    async def _audit_refusal(
        self, scope: Scope, state: dict[str, Any], status: int, request_id: str
    ) -> None:
        route = scope.get("route")
        action = (getattr(route, "openapi_extra", None) or {}).get(AUDIT_ACTION_KEY)
        if action is None:
            return  # not an audited operation: no token to verify
        path_params = scope.get("path_params") or {}
        subject_id = state.get("audit_subject_id") or _as_uuid(path_params.get("subject_id"))
        record_id = state.get("audit_record_id") or _as_uuid(path_params.get("record_id"))
        rights_request_id = state.get("audit_rights_request_id")
        engine = scope["app"].state.engine
        timeout = scope["app"].state.settings.db_lock_timeout_seconds

        def write() -> None:
            # Verifying a token not seen before is CPU work: here, off the event loop.
            principal = state.get("principal") or _principal_from_headers(scope)
            if principal is None:
                return  # no tenant to file it under (401)
            with tenant_session(engine, principal.tenant) as session:
                begin_write(session)
                record_event(
                    session,
                    actor=principal.actor,
                    action=action,
                    request_id=request_id,
                    status_code=status,
                    subject_id=subject_id,
                    record_id=record_id,
                    rights_request_id=rights_request_id,
                )
                session.commit()

        # The request's own transaction has ended by now (the unit of work closes before
        # the answer is sent). This write queues for its turn like any other writer, so a
        # burst of refusals cannot fill the worker threads with lock waits, and a
        # database that stays locked or unreachable costs a log line, never the answer.
        try:
            async with write_turn(engine, timeout=timeout):
                await run_in_threadpool(write)
        except Exception as exc:  # noqa: BLE001 - the answer is already sent; log and go on
            error_logger.error(
                "could not write audit event",
                extra={"request_id": request_id, "error_type": type(exc).__name__},
            )


def _principal_from_headers(scope: Scope) -> Principal | None:
    """The caller of a request refused before authentication ran (e.g. malformed JSON)."""
    header = dict(scope.get("headers") or []).get(b"authorization", b"")
    if len(header) > MAX_AUTHORIZATION_BYTES:
        return None
    scheme, _, token = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal: Principal = scope["app"].state.verifier.verify(token.strip())
    except AppError:
        return None
    return principal


def _as_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None


MAX_AUTHORIZATION_BYTES = 8 * 1024


def oversized_authorization(scope: Scope) -> bool:
    """Whether the `Authorization` header is longer than any token the service accepts."""
    return any(
        name == b"authorization" and len(value) > MAX_AUTHORIZATION_BYTES
        for name, value in scope.get("headers") or []
    )


class HeaderLimitMiddleware:
    """Refuses an `Authorization` header over 8 KiB (431) before anything parses it.

    A 10 MB token would otherwise be split, decoded and parsed on the event loop.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and oversized_authorization(scope):
            await BodyLimitMiddleware._reject(
                send,
                431,
                "header-too-large",
                "Request header fields too large",
                f"The Authorization header exceeds {MAX_AUTHORIZATION_BYTES} bytes.",
                scope.get("state", {}).get("request_id", ""),
            )
            return
        await self.app(scope, receive, send)


class RateLimitMiddleware:
    """429 with `Retry-After` for a `/v1` call of a token whose `(tenant, sub)` is over
    `PRIVACY_RATE_LIMIT` (`app.core.ratelimit`), before its body is read.

    It verifies the token (the verifier's cache answers a token seen within the minute)
    and leaves the caller in `request.state.principal`, where authentication finds it,
    so no token is verified twice. A call without a valid token passes on to be
    answered 401 and counts against no one.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = (
            scope["app"].state.rate_limiter if scope["type"] == "http" else None
        )
        if limiter is None or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        principal = await self._caller(scope)
        if principal is not None:
            state = scope.setdefault("state", {})
            state["principal"] = principal
            retry_after = limiter.hit(principal.tenant, principal.actor)
            if retry_after is not None:
                state["route_template"] = _path_template(scope)  # for logs and metrics
                error = TooManyRequests(retry_after=retry_after)
                await BodyLimitMiddleware._reject(
                    send,
                    error.status,
                    error.slug,
                    error.title,
                    str(error.detail),
                    state.get("request_id", ""),
                    headers=error.headers,
                )
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _caller(scope: Scope) -> Principal | None:
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, token = get_authorization_scheme_param(header)  # as HTTPBearer reads it
        if scheme.lower() != "bearer" or not token:
            return None
        verifier: TokenVerifier = scope["app"].state.verifier
        try:
            return await verifier.verify_off_loop(token)
        except AppError:
            return None


def _path_entry(scope: Scope) -> tuple[str, set[str]] | None:
    """The path template (`/v1/subjects/{subject_id}`) the call's path falls under, with
    the methods its operations take; None when no path of the API matches."""
    found = None
    for literal, pattern, methods, template in scope["app"].state.path_methods:
        if pattern.fullmatch(scope["path"]):
            if literal:  # `/v1/subjects/search` wins over `/v1/subjects/{subject_id}`
                return str(template), methods
            found = (str(template), methods)
    return found


def _path_template(scope: Scope) -> str:
    """The path template the call's path falls under, for logs and metrics."""
    entry = _path_entry(scope)
    return entry[0] if entry else "<unmatched>"


def _method_allowed(scope: Scope) -> bool:
    """Whether the call's method is one its path's operations take (no path: True).

    A method the resource does not take is the router's 405, whatever the body's type:
    the 415 of a body is only for an operation that exists."""
    entry = _path_entry(scope)
    return entry is None or scope["method"] in entry[1]


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` (413) and non-JSON bodies on /v1 (415)."""

    def __init__(self, app: ASGIApp, max_bytes: int, bulk_paths: dict[str, int] | None = None):
        self.app = app
        self.default_max_bytes = max_bytes
        self.bulk_paths = bulk_paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        max_bytes = self.bulk_paths.get(scope["path"], self.default_max_bytes)
        headers = dict(scope.get("headers") or [])
        request_id = scope.get("state", {}).get("request_id", "")
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            await self._reject(
                send,
                413,
                "payload-too-large",
                "Payload too large",
                f"The request body exceeds {max_bytes} bytes.",
                request_id,
            )
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        has_body = (length not in (None, b"0")) or headers.get(b"transfer-encoding")
        if (
            has_body
            and not _is_json(content_type)
            and scope["path"].startswith("/v1/")
            and _method_allowed(scope)
        ):
            await self._reject(
                send,
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.",
                request_id,
            )
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.")
            return message

        replaced = False

        async def guarded_send(message: Message) -> None:
            # Whatever the app answers to a body it could not finish reading (FastAPI
            # turns the error into a 400), the truthful answer is 413.
            nonlocal replaced
            if not too_large:
                await send(message)
            elif not replaced:
                replaced = True
                await self._reject(
                    send,
                    413,
                    "payload-too-large",
                    "Payload too large",
                    f"The request body exceeds {max_bytes} bytes.",
                    request_id,
                )

        try:
            await self.app(scope, limited_receive, guarded_send)
        except PayloadTooLarge:
            if not replaced:
                await guarded_send({"type": "http.response.start", "status": 413})

    @staticmethod
    async def _reject(
        send: Send,
        status: int,
        slug: str,
        title: str,
        detail: str,
        request_id: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = _problem_bytes(status, slug, title, detail, request_id)
        extra = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _is_json(content_type: bytes) -> bool:
    return content_type == b"application/json" or (
        content_type.startswith(b"application/") and content_type.endswith(b"+json")
    )
