"""Webhook URLs: malformed ones are a 422 before any DNS lookup; IPv4 hidden in IPv6 is refused."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import sqlalchemy as sa

from app.notifications.urls import (
    WebhookUrlRefused,
    check_webhook_url,
    resolve_webhook_url,
)
from tests.conftest import Api

MALFORMED = [
    "https://[::1",
    "https://[::1]x/hooks",
    "https://[zz::1]/hooks",
    "https://[fe80::1%25eth0]/hooks",
    "https://hooks.example.se:99999/",
    "https://hooks.example.se:-1/",
    "https://hooks.example.se:0/",
    "https://hooks.example.se:/",
    "https://hooks.example.se:8o/",
    "https://hooks.example.se:443:443/",
    "https://user@hooks.example.se/",
    "https://user:pw@hooks.example.se/",
    "https://@hooks.example.se/",
    "https:///hooks",
    "https://:443/hooks",
    "https:hooks.example.se/x",
    "https://hooks example.se/",
    "https://hooks.example.se/a b",
    "https://hooks.example.se/\x00",
    "https://hooks.exa\u200bmple.se/",
    "https://hooks.example.se\n/",
    "https://" + "a" * 250 + ".se/",
    "https://" + "a" * 64 + ".example.se/",
    "https://hooks..example.se/",
    "https://-hooks.example.se/",
    "https://hooks_1.example.se/",
    "https://hooks.example.se./",
    "https://127.1/hooks",
    "https://0177.0.0.1/hooks",
    "https://2130706433/hooks",
    "https://0x7f.1/hooks",
    "https://256.1.1.1/hooks",
    "javascript:alert(1)",
    "ftp://hooks.example.se/x",
    "file:///etc/passwd",
    "//hooks.example.se/x",
    "hooks.example.se/x",
    "https://hooks.example.se/" + "x" * 2000,
]

EMBEDDED_IPV4 = [
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:0:7f00:1",  # IPv4-translated
    "::7f00:1",  # IPv4-compatible
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64
    "64:ff9b::5db8:d822",  # NAT64 of a public address: refused all the same
    "64:ff9b:1::7f00:1",  # NAT64, local use
    "2002:7f00:1::1",  # 6to4
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
]

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2a00:1450:4001:82b::200e"


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every DNS lookup is recorded and fails: a syntax check must not need one."""
    looked_up: list[str] = []

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        raise socket.gaierror(socket.EAI_NONAME, "no lookups in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return looked_up


def answer(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    """A resolver that knows only `names` (no outside network)."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "unknown in this test")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in names[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def recipient_rows(api: Api) -> int:
    with api.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM recipient WHERE tenant_id = :t"), {"t": api.tenant}
            ).scalar_one()
        )


@pytest.mark.parametrize("url", MALFORMED)
@pytest.mark.parametrize("allow_private", [False, True])
def test_malformed_urls_are_refused_before_any_lookup(
    url: str, allow_private: bool, no_dns: list[str]
) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        check_webhook_url(url, allow_private=allow_private)
    assert refused.value.status == 422
    assert no_dns == []


@pytest.mark.parametrize("url", MALFORMED)
def test_registering_a_malformed_url_is_a_422_and_stores_nothing(api: Api, url: str) -> None:
    response = api.post(
        "/v1/recipients", json={"name": "crm", "url": url}, scopes=["admin"]
    )  # the test service allows private receivers, as development does
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert any(e["loc"][-1] == "url" for e in problem["errors"])
    assert url not in response.text
    assert recipient_rows(api) == 0


@pytest.mark.parametrize("address", EMBEDDED_IPV4)
def test_ipv6_literals_that_embed_ipv4_are_refused_at_registration(api: Api, address: str) -> None:
    url = f"https://[{address}]:8443/hooks"
    response = api.post("/v1/recipients", json={"name": "crm", "url": url}, scopes=["admin"])
    assert response.status_code == 422, response.text
    assert recipient_rows(api) == 0
    for allow_private in (False, True):
        with pytest.raises(WebhookUrlRefused):
            check_webhook_url(url, allow_private=allow_private)


@pytest.mark.parametrize("address", EMBEDDED_IPV4)
def test_names_that_resolve_to_ipv4_inside_ipv6_are_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    answer(monkeypatch, {"hooks.example.se": [PUBLIC_V6, address]})
    for allow_private in (False, True):
        with pytest.raises(WebhookUrlRefused, match="embeds an IPv4 address"):
            resolve_webhook_url("https://hooks.example.se/x", allow_private=allow_private)


def test_one_private_address_among_public_ones_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answer(monkeypatch, {"hooks.example.se": [PUBLIC_V4, "10.0.0.7"]})
    with pytest.raises(WebhookUrlRefused, match="private"):
        check_webhook_url("https://hooks.example.se/x", allow_private=False)


@pytest.mark.parametrize(
    ("url", "host", "port", "host_header"),
    [
        ("https://hooks.example.se/privacy", "hooks.example.se", 443, "hooks.example.se"),
        ("HTTPS://Hooks.Example.SE:8443/p?q#f", "hooks.example.se", 8443, "hooks.example.se:8443"),
        ("https://kund.exämple.se/p", "kund.xn--exmple-cua.se", 443, "kund.xn--exmple-cua.se"),
        (f"https://{PUBLIC_V4}:443/p", PUBLIC_V4, 443, PUBLIC_V4),
        (f"https://[{PUBLIC_V6}]:8443/p", PUBLIC_V6, 8443, f"[{PUBLIC_V6}]:8443"),
    ],
)
def test_valid_public_urls_pass_with_their_checked_address(
    monkeypatch: pytest.MonkeyPatch, url: str, host: str, port: int, host_header: str
) -> None:
    answer(monkeypatch, {"hooks.example.se": [PUBLIC_V4], "kund.xn--exmple-cua.se": [PUBLIC_V6]})
    checked = resolve_webhook_url(url, allow_private=False)
    parsed = checked.url
    assert (parsed.host, parsed.port, parsed.host_header) == (host, port, host_header)
    assert str(checked.address) in (PUBLIC_V4, PUBLIC_V6)


def test_development_accepts_local_receivers_but_not_bad_syntax(no_dns: list[str]) -> None:
    check_webhook_url("http://127.0.0.1:8080/hooks", allow_private=True)
    check_webhook_url("http://[::1]:8080/hooks", allow_private=True)
    check_webhook_url("http://receiver.local:8080/hooks", allow_private=True)  # not resolved
    assert no_dns == []
    for url in ("http://127.0.0.1:8080/hooks", "https://[::1]/hooks"):
        with pytest.raises(WebhookUrlRefused):
            check_webhook_url(url, allow_private=False)
