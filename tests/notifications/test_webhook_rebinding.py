"""Deliveries go to the address that was checked: no second DNS answer, no IPv4 inside IPv6.

Production settings (https only, public addresses only) against real TLS receivers on
loopback. A fake network stands in for DNS and the outside world: it answers only the
names of these tests, and a connection to the one public address used here is routed
to a loopback receiver; any other connection off this machine is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

from app.core.clock import utcnow
from app.core.config import Settings
from app.notifications.dispatcher import DispatchReport, _send_one
from tests.conftest import CONTACT, Api

SECRET = "webhook-secret-" + "r" * 40
PUBLIC = "93.184.216.34"  # the "checked" public address; routed to a loopback receiver
NAMES = ["hooks.example.se", "rebind.example.se", "mapped.example.se"]


@dataclass
class Receiver:
    """An https server on one loopback address that records what reaches it."""

    address: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)


@dataclass
class Tls:
    cert_file: Path
    key_file: Path
    client: ssl.SSLContext


@dataclass
class FakeNetwork:
    """Answers per name, one list of addresses per lookup (the last one repeats)."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)
    routes: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A throwaway CA and a certificate for the test names (and no IP address)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAMES[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in NAMES]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = Path(folder / "cert.pem"), Path(folder / "key.pem")
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return Tls(cert_file=cert_file, key_file=key_file, client=client)


def serve(receiver: Receiver, port: int, tls: Tls) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections open, as real receivers do

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append({"headers": dict(self.headers), "body": body})
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    def remember_name(sock: Any, name: str | None, ctx: Any) -> None:
        receiver.server_names.append(name)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    context.sni_callback = remember_name
    server = ThreadingHTTPServer((receiver.address, port), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def receivers(tls: Tls) -> Iterator[tuple[Receiver, Receiver, int]]:
    """The right receiver on 127.0.0.2 and an intruder on 127.0.0.1, on the same port."""
    right, intruder = Receiver("127.0.0.2"), Receiver("127.0.0.1")
    for _ in range(20):
        first = serve(right, 0, tls)
        port = first.server_address[1]
        try:
            second = serve(intruder, port, tls)
            break
        except OSError:
            first.shutdown()
            first.server_close()
    else:
        pytest.fail("no port free on both loopback addresses")
    yield right, intruder, port
    for server in (first, second):
        server.shutdown()
        server.server_close()


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    fake = FakeNetwork(routes={PUBLIC: "127.0.0.2"})
    real_getaddrinfo = socket.getaddrinfo
    real_create_connection = socket.create_connection

    def is_ip(host: str) -> bool:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        host = host.decode() if isinstance(host, bytes) else str(host)
        if is_ip(host):
            return real_getaddrinfo(host, port, *args, **kwargs)
        fake.lookups.append(host)
        if host not in fake.answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown in this test")
        answers = fake.answers[host]
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address
        for info in getaddrinfo(host, port):
            target = info[4][0]
            fake.connections.append((target, int(port)))
            routed = fake.routes.get(target, target)
            if not ipaddress.ip_address(routed).is_loopback:
                raise OSError("no outside network in tests")
            return real_create_connection((routed, port), *args, **kwargs)
        raise OSError("no address")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return fake


@pytest.fixture
def production(settings: Settings) -> Settings:
    """The test service's settings as production has them (https, public addresses only)."""
    return settings.model_copy(update={"webhook_allow_private": False, "webhook_max_attempts": 1})


def register(api: Api, url: str, event_type: str = "subject.restricted") -> str:
    registered = api.post(
        "/v1/recipients",
        json={"name": "crm", "url": url, "secret": SECRET, "event_types": [event_type]},
        scopes=["admin"],
    )
    assert registered.status_code == 201, registered.text
    return str(registered.json()["id"])


def restrict_a_subject(api: Api, url: str) -> dict[str, Any]:
    register(api, url)
    subject = api.create_subject(records=[CONTACT])
    restricted = api.post(f"/v1/subjects/{subject['id']}/restriction", json={"reason": "x"})
    assert restricted.status_code in (200, 201), restricted.text
    return subject


def send_pending(api: Api, app: FastAPI, settings: Settings, tls: Tls) -> None:
    """Send this test's pending deliveries, oldest first, and no other test's."""
    pending = api.get("/v1/deliveries?status=pending", scopes=["admin"]).json()["items"]
    with httpx.Client(verify=tls.client, timeout=5, follow_redirects=False) as client:
        for delivery in pending:
            delivery_id = uuid.UUID(delivery["id"])
            _send_one(app.state.engine, settings, client, delivery_id, utcnow, DispatchReport())


def deliveries(api: Api) -> list[dict[str, Any]]:
    return api.get("/v1/deliveries", scopes=["admin"]).json()["items"]  # type: ignore[no-any-return]


def test_a_name_that_answers_differently_the_second_time_reaches_the_checked_address(
    api: Api,
    app: FastAPI,
    production: Settings,
    tls: Tls,
    receivers: tuple[Receiver, Receiver, int],
    network: FakeNetwork,
) -> None:
    right, intruder, port = receivers
    network.answers["rebind.example.se"] = [[PUBLIC], ["127.0.0.1"]]
    restrict_a_subject(api, f"https://rebind.example.se:{port}/hooks")

    send_pending(api, app, production, tls)

    assert intruder.requests == []
    assert len(right.requests) == 1
    assert network.lookups.count("rebind.example.se") == 1
    assert ("127.0.0.1", port) not in network.connections
    sent = right.requests[0]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["host"] == f"rebind.example.se:{port}"
    assert right.server_names == ["rebind.example.se"]  # TLS was for the name, not the address
    signed = f"{headers['x-privacy-timestamp']}.".encode() + sent["body"]
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["x-privacy-signature"] == f"v1={expected}"
    [delivery] = deliveries(api)
    assert (delivery["status"], delivery["last_status_code"]) == ("delivered", 204)


def test_the_certificate_is_checked_against_the_host_name(
    api: Api,
    app: FastAPI,
    production: Settings,
    tls: Tls,
    receivers: tuple[Receiver, Receiver, int],
    network: FakeNetwork,
) -> None:
    right, _, port = receivers
    network.answers["other.example.net"] = [[PUBLIC]]  # not a name the certificate holds
    restrict_a_subject(api, f"https://other.example.net:{port}/hooks")

    send_pending(api, app, production, tls)

    assert right.requests == []
    [delivery] = deliveries(api)
    assert (delivery["status"], delivery["last_error"]) == ("failed", "connection_error")


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "::7f00:1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64
        "64:ff9b:1::7f00:1",  # NAT64, local use
        "2002:7f00:1::1",  # 6to4
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_a_name_that_resolves_to_ipv4_inside_ipv6_is_not_sent_to(
    api: Api,
    app: FastAPI,
    production: Settings,
    tls: Tls,
    receivers: tuple[Receiver, Receiver, int],
    network: FakeNetwork,
    address: str,
    allow_private: bool,
) -> None:
    right, intruder, port = receivers
    network.answers["mapped.example.se"] = [[address]]
    restrict_a_subject(api, f"https://mapped.example.se:{port}/hooks")

    settings = production.model_copy(update={"webhook_allow_private": allow_private})
    send_pending(api, app, settings, tls)

    assert right.requests == intruder.requests == []
    assert [c for c in network.connections if c[1] == port] == []
    [delivery] = deliveries(api)
    assert (delivery["status"], delivery["last_error"]) == ("failed", "url_refused")


def test_a_connection_opened_for_one_name_is_not_reused_for_another(
    api: Api,
    app: FastAPI,
    production: Settings,
    tls: Tls,
    receivers: tuple[Receiver, Receiver, int],
    network: FakeNetwork,
) -> None:
    """Two names on one address: the second delivery gets its own TLS check, and fails it."""
    right, _, port = receivers
    network.answers["hooks.example.se"] = [[PUBLIC]]
    network.answers["other.example.net"] = [[PUBLIC]]  # not a name the certificate holds
    lifted = register(api, f"https://other.example.net:{port}/hooks", "subject.restriction_lifted")
    subject = restrict_a_subject(api, f"https://hooks.example.se:{port}/hooks")  # sent first
    api.delete(f"/v1/subjects/{subject['id']}/restriction")

    send_pending(api, app, production, tls)

    assert [r["headers"]["Host"] for r in right.requests] == [f"hooks.example.se:{port}"]
    outcome = {(d["recipient_id"], d["status"], d["last_error"]) for d in deliveries(api)}
    assert (lifted, "failed", "connection_error") in outcome
