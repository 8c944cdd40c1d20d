"""Webhook URLs must not reach into our own network (SSRF): one rule, checked in two steps.

1. Syntax, before any network access: an absolute `https` URL (`http` too where
   private receivers are allowed), a host that is a valid host name (IDNA, letters,
   digits and hyphens) or an IP literal, a port from 1 to 65535, no credentials, no
   spaces or control characters, at most 2,000 characters.
2. Addresses: the host is resolved once, and every address it resolves to must be
   public. The caller connects to the address checked here and never resolves the
   name again, so a name that answers differently the second time (DNS rebinding)
   cannot redirect a delivery.

IPv6 addresses that carry an IPv4 address (IPv4-mapped, -translated and -compatible,
NAT64, 6to4, Teredo) are refused in every environment: no receiver needs them, and the
network may route them to the IPv4 address inside.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from app.core.errors import UnprocessableContent

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
MAX_HOST_LENGTH = 253
DEFAULT_PORTS = {"https": 443, "http": 80}

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # RFC 1123 host name label
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")  # a last label that URL parsers read as IPv4
_PORT = re.compile(r"[0-9]{1,5}")

# IPv6 prefixes whose addresses carry an IPv4 address.
_EMBEDDING_IPV4 = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in (
        "::ffff:0:0/96",  # IPv4-mapped (RFC 4291)
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
        "64:ff9b:1::/48",  # NAT64, local use (RFC 8215)
        "2002::/16",  # 6to4 (RFC 3056)
        "2001::/32",  # Teredo (RFC 4380)
    )
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291), but for :: and ::1


class WebhookUrlRefused(UnprocessableContent):
    """A webhook URL that breaks the rule; the message never repeats the URL."""

    def __init__(self, msg: str):
        super().__init__(msg, errors=[{"loc": ["body", "url"], "msg": msg}])


class HostDoesNotResolve(WebhookUrlRefused):
    """The host name has no address (now): at delivery time worth another try."""


@dataclass(frozen=True)
class WebhookUrl:
    """A URL that passed the syntax check; nothing has been resolved yet."""

    url: str
    scheme: str
    host: str  # ASCII: the IDNA host name, or the IP address without brackets
    port: int
    literal: Address | None  # the host, when it is an IP address

    @property
    def host_header(self) -> str:
        """The `Host` header a request to this URL carries."""
        host = f"[{self.host}]" if isinstance(self.literal, ipaddress.IPv6Address) else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True)
class CheckedUrl:
    """A webhook URL and the checked address to connect to instead of its host name."""

    url: WebhookUrl
    address: Address


def parse_webhook_url(url: str, *, allow_private: bool) -> WebhookUrl:
    """Check the URL's syntax without any network access; refuse it with `422` if wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRefused(f"the URL must be at most {MAX_URL_LENGTH} characters")
    if not url.isprintable() or " " in url:
        raise WebhookUrlRefused("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise WebhookUrlRefused("the URL is malformed") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed or not url.lower().startswith(f"{parts.scheme}://"):
        raise WebhookUrlRefused(f"the URL must be an absolute {' or '.join(allowed)} URL")
    if "@" in parts.netloc:
        raise WebhookUrlRefused("the URL must not carry credentials")
    host_text, port_text = _split_netloc(parts.netloc)
    if not host_text:
        raise WebhookUrlRefused("the URL has no host")
    literal, host = _parse_host(host_text)
    return WebhookUrl(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=_parse_port(port_text, parts.scheme),
        literal=literal,
    )


def _split_netloc(netloc: str) -> tuple[str, str | None]:
    if netloc.startswith("["):
        host, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise WebhookUrlRefused("the URL's host is not a valid IPv6 literal")
        return f"[{host}]", (rest[1:] if rest else None)
    host, colon, port = netloc.partition(":")
    return host, (port if colon else None)


def _parse_port(port: str | None, scheme: str) -> int:
    if port is None:
        return DEFAULT_PORTS[scheme]
    if not _PORT.fullmatch(port) or not 1 <= int(port) <= 65535:
        raise WebhookUrlRefused("the URL's port must be a number from 1 to 65535")
    return int(port)


def _parse_host(host: str) -> tuple[Address | None, str]:
    """The host as an IP address (or None) and in ASCII; refuses anything else."""
    if host.startswith("["):
        try:
            # A zone id (`%eth0`) names an interface of this machine: refused.
            address = ipaddress.IPv6Address(host[1:-1]) if "%" not in host else None
        except ValueError:
            address = None
        if address is None:
            raise WebhookUrlRefused("the URL's host is not a valid IPv6 literal")
        return address, str(address)
    if set(host) <= set("0123456789."):
        try:
            ipv4 = ipaddress.IPv4Address(host)  # dotted quad only: no `127.1`, no `0177.0.0.1`
        except ValueError:
            raise WebhookUrlRefused("the URL's host is not a valid IPv4 address") from None
        return ipv4, str(ipv4)
    return None, _host_name(host)


def _host_name(host: str) -> str:
    refused = WebhookUrlRefused("the URL's host is not a valid host name")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, ValueError):
        raise refused from None
    labels = ascii_host.split(".")
    if (
        len(ascii_host) > MAX_HOST_LENGTH
        or not all(_LABEL.fullmatch(label) for label in labels)
        or _NUMBER.fullmatch(labels[-1])
    ):
        raise refused
    return ascii_host


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to now: the one DNS resolution of a check."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def embeds_ipv4(address: Address) -> bool:
    """Whether an IPv6 address carries an IPv4 address the network may route to."""
    if isinstance(address, ipaddress.IPv4Address):
        return False
    if address in _IPV4_COMPATIBLE:
        return int(address) > 1  # `::` and `::1` are not IPv4-compatible addresses
    return any(address in network for network in _EMBEDDING_IPV4)


def is_public(address: Address) -> bool:
    """Whether an address is globally reachable, not loopback, private, or reserved."""
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def check_address(address: Address, *, allow_private: bool) -> None:
    """Refuse an address a webhook may not be sent to."""
    if embeds_ipv4(address):
        raise WebhookUrlRefused("the URL's host is an IPv6 address that embeds an IPv4 address")
    if not allow_private and not is_public(address):
        raise WebhookUrlRefused("the URL resolves to a private, loopback or reserved address")


def resolve_webhook_url(url: str, *, allow_private: bool) -> CheckedUrl:
    """Check the URL, resolve its host once, and return the address to connect to.

    Every address the host resolves to must pass, so a name with one private address
    among public ones is refused; the first (the resolver's preferred) is returned.
    """
    return _check_addresses(parse_webhook_url(url, allow_private=allow_private), allow_private)


def _check_addresses(parsed: WebhookUrl, allow_private: bool) -> CheckedUrl:
    addresses = [parsed.literal] if parsed.literal is not None else _resolve(parsed)
    for address in addresses:
        check_address(address, allow_private=allow_private)
    return CheckedUrl(url=parsed, address=addresses[0])


def _resolve(parsed: WebhookUrl) -> list[Address]:
    try:
        found = resolve_host(parsed.host, parsed.port)
        addresses = [ipaddress.ip_address(a) for a in dict.fromkeys(found)]
    except (OSError, UnicodeError, ValueError):
        addresses = []
    if not addresses:
        raise HostDoesNotResolve("the URL's host does not resolve")
    return addresses


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """The rule at registration: syntax always, then the addresses.

    Where private receivers are allowed (development, tests) a host name is not
    resolved here, so a receiver may be named before it exists; its addresses are
    checked before every delivery all the same.
    """
    parsed = parse_webhook_url(url, allow_private=allow_private)
    if allow_private and parsed.literal is None:
        return
    _check_addresses(parsed, allow_private)
