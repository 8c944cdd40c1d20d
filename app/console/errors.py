"""What a console page raises to answer with something else than itself."""

from __future__ import annotations

from typing import Any


class ConsoleError(Exception):
    """Answered by `ConsoleRoute` as an HTML page (or a redirect)."""

    status_code = 400
    message_key = "error.invalid.title"

    def __init__(self, message_key: str | None = None, **params: Any):
        super().__init__(message_key or self.message_key)
        self.message_key = message_key or self.message_key
        self.params = params


class ConsoleRedirect(ConsoleError):
    """Go elsewhere (303): e.g. to the sign-in page with the path to return to."""

    status_code = 303

    def __init__(self, location: str):
        super().__init__("redirect")
        self.location = location


class ConsoleForbidden(ConsoleError):
    """A 403 page: a missing scope, a bad CSRF token (nothing was changed)."""

    status_code = 403
    message_key = "error.forbidden.body"


class ConsoleNotFound(ConsoleError):
    """A 404 page: unknown, or another tenant's."""

    status_code = 404
    message_key = "error.not_found.body"


class ConsoleBadRequest(ConsoleError):
    """A 400 page: a form the console did not send (wrong type, too large, NUL)."""

    status_code = 400
    message_key = "error.invalid.title"
