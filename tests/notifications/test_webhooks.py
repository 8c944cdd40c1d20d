"""Recipients are told (Art 19): signed, retried, visible, and without personal values."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.core.config import Settings
from app.notifications.dispatcher import DispatchReport, dispatch_once
from tests.conftest import CONTACT, PERSONAL_VALUES, Api, FrozenClock

SECRET = "webhook-secret-" + "s" * 40


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that fails the first `fail_first` requests."""

    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"headers": dict(self.headers), "body": body})
            failing = len(state.received) <= state.fail_first
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def register(api: Api, url: str, **extra: Any) -> dict[str, Any]:
    response = api.post(
        "/v1/recipients",
        json={"name": "crm", "url": url, "secret": SECRET, **extra},
        scopes=["admin"],
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def dispatch(api: Api, settings: Settings, clock: FrozenClock) -> DispatchReport:
    """One pass of the dispatcher at the test's time, over the test's tenant only."""
    return dispatch_once(api.engine, settings, clock=clock, tenants=[api.tenant])


def verify(received: dict[str, Any]) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in received["headers"].items()}
    timestamp = headers["x-privacy-timestamp"]
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + received["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["x-privacy-signature"], f"v1={expected}")
    return json.loads(received["body"])  # type: ignore[no-any-return]


def test_rectification_is_delivered_signed_and_retried(
    api: Api, settings: Settings, receiver: Receiver, clock: FrozenClock
) -> None:
    settings = settings.model_copy(update={"webhook_backoff_seconds": 30})
    receiver.fail_first = 1
    recipient = register(api, receiver.url)
    assert recipient["secret"] == SECRET
    subject = api.create_subject(records=[CONTACT])
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    assert (
        api.patch(f"/v1/records/{record['id']}", json={"data": {"title": "CEO"}}).status_code == 200
    )

    pending = api.get("/v1/deliveries?status=pending", scopes=["admin"]).json()["items"]
    assert len(pending) == 1 and pending[0]["event_type"] == "record.rectified"

    first = dispatch(api, settings, clock)
    assert (first.delivered, first.retrying) == (0, 1)
    clock.advance(seconds=29)
    assert dispatch(api, settings, clock).ids == []  # the backoff has not passed
    clock.advance(seconds=1)
    second = dispatch(api, settings, clock)
    assert (second.delivered, second.retrying) == (1, 0)

    assert len(receiver.received) == 2
    sent_at = [int(r["headers"]["X-Privacy-Timestamp"]) for r in receiver.received]
    assert sent_at == [int(clock().timestamp()) - 30, int(clock().timestamp())]
    payload = verify(receiver.received[-1])
    assert payload["type"] == "record.rectified"
    assert payload["record_id"] == record["id"]
    assert payload["subject_id"] == subject["id"]
    assert payload["fields"] == ["title"]
    assert payload["tenant"] == api.tenant
    raw = receiver.received[-1]["body"].decode()
    for value in [*PERSONAL_VALUES, "CEO", "CFO"]:
        assert value not in raw

    delivery = api.get(f"/v1/deliveries/{pending[0]['id']}", scopes=["admin"]).json()
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 2
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 204]
    clock.advance(hours=1)
    assert dispatch(api, settings, clock).ids == []  # nothing twice


def test_restriction_and_subscriptions(
    api: Api, settings: Settings, receiver: Receiver, clock: FrozenClock
) -> None:
    register(api, receiver.url, event_types=["subject.restricted"])
    subject = api.create_subject(records=[CONTACT])
    api.post(f"/v1/subjects/{subject['id']}/restriction", json={"reason": "contested"})
    api.delete(f"/v1/subjects/{subject['id']}/restriction")  # not subscribed
    dispatch(api, settings, clock)
    assert [verify(r)["type"] for r in receiver.received] == ["subject.restricted"]
    assert verify(receiver.received[0])["whole_subject"] is True


def test_gives_up_after_max_attempts(
    api: Api, settings: Settings, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.fail_first = 100
    register(api, receiver.url)
    subject = api.create_subject(records=[CONTACT])
    api.post(f"/v1/subjects/{subject['id']}/restriction", json={"reason": "x"})
    limited = settings.model_copy(update={"webhook_max_attempts": 3})
    for _ in range(5):
        dispatch(api, limited, clock)
    failed = api.get("/v1/deliveries?status=failed", scopes=["admin"]).json()["items"]
    assert len(failed) == 1 and failed[0]["attempts"] == 3


def test_webhook_urls_into_private_networks_are_refused(api: Api, settings: Settings) -> None:
    from app.notifications.urls import check_webhook_url

    for url in (
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://192.168.0.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x",
        "https://localhost/x",
        "http://93.184.216.34/x",  # not https
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
    ):
        with pytest.raises(Exception) as info:
            check_webhook_url(url, allow_private=False)
        assert getattr(info.value, "status", None) == 422, url
    # The service in tests allows local receivers; production settings do not.
    assert settings.webhook_allow_private is True
    assert Settings().webhook_allow_private is False


def test_recipients_need_admin(api: Api, receiver: Receiver) -> None:
    response = api.post(
        "/v1/recipients", json={"name": "x", "url": receiver.url}, scopes=["rights:write"]
    )
    assert response.status_code == 403
    created = api.post("/v1/recipients", json={"name": "x", "url": receiver.url}, scopes=["admin"])
    assert len(created.json()["secret"]) >= 32
    listed = api.get("/v1/recipients", scopes=["admin"]).json()["items"]
    assert "secret" not in listed[0]
    gone = api.delete(f"/v1/recipients/{listed[0]['id']}", scopes=["admin"])
    assert gone.json()["active"] is False
