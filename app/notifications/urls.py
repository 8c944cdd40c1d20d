"""Webhook URLs must not point into our own network (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.core.errors import UnprocessableContent


def _bad(msg: str) -> UnprocessableContent:
    return UnprocessableContent(msg, errors=[{"loc": ["body", "url"], "msg": msg}])


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Refuse URLs that are not https or that resolve to loopback/private/reserved ranges.

    With `allow_private` (development, tests) http and local addresses are accepted.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _bad("the URL must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise _bad("the URL must not carry credentials")
    if allow_private:
        return
    if parts.scheme != "https":
        raise _bad("the URL must use https")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise _bad("the URL's host does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise _bad("the URL resolves to a private, loopback or reserved address")
