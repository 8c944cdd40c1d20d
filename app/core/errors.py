"""One error hierarchy, rendered as RFC 9457 problem details by one set of handlers.

Services raise `AppError` subclasses; they never raise `HTTPException`. Messages
are written by us and never contain personal data: validation errors carry the
location and pydantic's message, never the offending input.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:privacy-api:problem:"


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description='Where the problem is, e.g. `["body", "emails", 0]`.')
    msg: str = Field(description="What is wrong (never echoes the submitted value).")


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(description="A URI that identifies the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong in this case.")
    instance: str | None = Field(default=None, description="The request's id (X-Request-ID).")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="For validation errors: each invalid field."
    )


class AppError(Exception):
    """A domain error with its HTTP status; rendered as problem+json."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    headers: dict[str, str] | None = None
    # Extension members of the problem document (RFC 9457 §3.2), e.g. the holds of a 409.
    extensions: dict[str, Any] | None = None

    def __init__(self, detail: str | None = None, *, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors


class BadRequest(AppError):
    pass


class PermanentRedirect(AppError):
    """The resource now lives under another id (e.g. a merged duplicate).

    A request whose path names `old_id` answers 308 Permanent Redirect to the same path
    with `new_id` (method and body are kept, RFC 9110 §15.4.9); where the id came from
    the body, no URL can say where to go, so it answers 409 naming `moved_to`.
    """

    status = 308
    slug = "moved-permanently"
    title = "Moved permanently"

    def __init__(self, detail: str, *, old_id: str, new_id: str):
        super().__init__(detail)
        self.old_id = old_id
        self.new_id = new_id
        self.extensions = {"moved_to": new_id}


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"
    headers = {"WWW-Authenticate": "Bearer"}

    def __init__(self, detail: str | None = None, *, error: str = "invalid_token"):
        super().__init__(detail)
        desc = (detail or self.title).replace('"', "'")
        self.headers = {"WWW-Authenticate": f'Bearer error="{error}", error_description="{desc}"'}


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Insufficient scope"


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Gone(AppError):
    status = 410
    slug = "gone"
    title = "Gone"


class MethodNotAllowed(AppError):
    """The path exists, but not with this method; `Allow` lists those it takes."""

    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"

    def __init__(self, allow: str):
        super().__init__(f"This resource takes {allow} only.")
        self.headers = {"Allow": allow}


class NotAcceptable(AppError):
    """None of the media types the resource is available as is acceptable (`Accept`)."""

    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


class PreconditionFailed(AppError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(AppError):
    """RFC 6585 §3: the resource may only be changed with `If-Match` (no lost update)."""

    status = 428
    slug = "precondition-required"
    title = "Precondition required"


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class Locked(AppError):
    status = 423
    slug = "locked"
    title = "Locked"


class UnprocessableContent(AppError):
    status = 422
    slug = "validation-error"
    title = "Invalid request"


class TooManyRequests(AppError):
    """The caller (the token's tenant and sub) is over `PRIVACY_RATE_LIMIT` (RFC 6585 §4).

    Nothing was read or changed; the call may be repeated after `Retry-After` seconds.
    """

    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, *, retry_after: int):
        super().__init__(
            "This token made more calls than the rate limit allows; nothing was done. "
            f"Retry after {retry_after} s."
        )
        self.headers = {"Retry-After": str(max(1, retry_after))}


class ServiceUnavailable(AppError):
    """The database did not answer in time (unreachable, or a lock held too long).

    Nothing was changed; the call may be retried after `Retry-After` seconds.
    """

    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 2):
        super().__init__(detail or "The database is busy or unreachable; retry shortly.")
        self.headers = {"Retry-After": str(max(1, retry_after))}


# Errors that say the database could not serve the call now (a lock not granted in
# time, no connection from the pool, the server unreachable or gone, a deadlock or
# serialisation failure PostgreSQL resolved by cancelling us): never the caller's
# fault and worth a retry, so 503 rather than 500.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.TimeoutError,
    sa.exc.DisconnectionError,
)


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["instance"] = f"urn:request:{request_id}"
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _clean_loc(loc: Any) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def validation_issues(raw_errors: Any) -> list[dict[str, Any]]:
    """pydantic's errors, reduced to location and message (no input, no context)."""
    issues = []
    for err in raw_errors:
        msg = str(err.get("msg", "invalid value"))
        # Custom validators prefix their messages with "Value error, "; keep ours plain.
        msg = msg.removeprefix("Value error, ")
        issues.append({"loc": _clean_loc(err.get("loc", ())), "msg": msg})
    return issues


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _permanent_redirect(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PermanentRedirect)
    segments = request.url.path.split("/")
    if exc.old_id not in segments:
        return problem_response(
            request,
            status=409,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            extensions=exc.extensions,
        )
    location = "/".join(exc.new_id if s == exc.old_id else s for s in segments)
    if request.url.query:
        location += "?" + request.url.query
    return problem_response(
        request,
        status=308,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        headers={"Location": location},
        extensions=exc.extensions,
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The type and SQLSTATE say enough; driver messages may quote data.
    logger.warning(
        "database unavailable",
        extra={
            "error_type": type(getattr(exc, "orig", None) or exc).__name__,
            "sqlstate": getattr(getattr(exc, "orig", None), "sqlstate", None),
        },
    )
    return await _app_error(request, ServiceUnavailable())


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem_response(
            request,
            status=400,
            slug="malformed-json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
        )
    return problem_response(
        request,
        status=422,
        slug="validation-error",
        title="Invalid request",
        detail="The request did not pass validation; see `errors`.",
        errors=validation_issues(raw),
    )


_HTTP_TITLES = {
    308: ("moved-permanently", "Moved permanently"),
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    428: ("precondition-required", "Precondition required"),
    429: ("too-many-requests", "Too many requests"),
    431: ("header-too-large", "Request header fields too large"),
    503: ("service-unavailable", "Service unavailable"),
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
    if exc.status_code == 404:
        detail = "No such resource."
    elif exc.status_code == 400:
        # FastAPI's answer to a body it could not decode at all.
        slug, title, detail = (
            "malformed-json",
            "Malformed JSON",
            "The request body is not valid JSON.",
        )
    return problem_response(
        request,
        status=exc.status_code,
        slug=slug,
        title=title,
        detail=detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _concurrent_write(request: Request, exc: Exception) -> JSONResponse:
    """A write lost a race the ORM caught: the row changed (`StaleDataError`, see
    `app.core.versioning`) or another transaction took the same unique key at the same
    time. Nothing was written; with `If-Match` that is a failed precondition."""
    if isinstance(exc, StaleDataError) and request.headers.get("if-match") is not None:
        error: AppError = PreconditionFailed(
            "The resource was changed by another request at the same time; nothing was "
            "changed. Read it again and retry."
        )
    else:
        error = Conflict(
            "The request conflicts with a change made at the same time; nothing was "
            "changed. Read the resource again and retry."
        )
    logger.info("concurrent write refused", extra={"error": type(exc).__name__})
    return await _app_error(request, error)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem+json."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(PermanentRedirect, _permanent_redirect)
    app.add_exception_handler(StaleDataError, _concurrent_write)
    app.add_exception_handler(IntegrityError, _concurrent_write)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error statuses."""
    descriptions = {
        400: "Malformed request: a body that is not JSON, a bad cursor or a malformed `If-Match`.",
        401: "Missing, invalid or expired bearer token.",
        403: "The token lacks the scope this operation needs.",
        308: "The subject was merged into another: the same request goes to `Location`.",
        404: "No such resource in the caller's tenant.",
        406: "`Accept` names no media type this resource is available as.",
        409: "The request conflicts with existing data.",
        410: "The subject has been erased; it accepts no more writes.",
        412: "`If-Match` does not match the current ETag; nothing was changed.",
        413: "The request body exceeds the configured limit.",
        415: "The request body is not JSON.",
        428: "The change needs `If-Match` with the current ETag; nothing was changed.",
        422: "The request body or parameters did not validate.",
        429: "This token made more calls than the rate limit (`PRIVACY_RATE_LIMIT`) allows; "
        "nothing was done. Retry after `Retry-After` seconds.",
        423: "The data is restricted (Art 18) and is not served for processing.",
        431: "The `Authorization` header exceeds 8 KiB; it is refused unread.",
        503: "The database is busy or unreachable; nothing was changed. Retry after "
        "`Retry-After` seconds.",
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        example = {
            "type": PROBLEM_BASE + _HTTP_TITLES.get(status, ("error", ""))[0],
            "title": _HTTP_TITLES.get(status, ("", "Error"))[1] or "Error",
            "status": status,
            "detail": descriptions.get(status, "Error."),
        }
        if status == 422:
            example = {
                "type": PROBLEM_BASE + "validation-error",
                "title": "Invalid request",
                "status": 422,
                "detail": "The request did not pass validation; see `errors`.",
                "errors": [
                    {"loc": ["body", "emails", 0], "msg": "value is not a valid email address"}
                ],
            }
        out[status] = {
            "model": Problem,
            "description": descriptions.get(status, "Error."),
            "content": {PROBLEM_JSON: {"example": example}},
        }
        if status == 308:
            out[status]["headers"] = {
                "Location": {
                    "description": "The same path under the subject merged into.",
                    "schema": {"type": "string"},
                }
            }
        if status in (429, 503):
            out[status]["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }
            }
    return out
