"""A webhook receiver that is down, then slow to answer, does not slow the API.

The two replicas send deliveries every 0.2 s and retry a failed one after 0.25 s,
0.5 s, 1 s, ... (`REPLICA_SETTINGS`). While the receiver refuses connections and then
takes 0.8 s over each answer, calls keep their usual speed, the deliveries back off,
and in the end every event has reached the receiver.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.ops.conftest import (
    REPLICA_SETTINGS,
    Database,
    client,
    free_port,
    new_tenant,
    timed,
)

SLOW_ANSWER = 0.8  # seconds, within the replicas' 1 s webhook timeout
SUBJECTS = 4


class Receiver:
    """A webhook endpoint on a fixed port: down until `start()`, then slow."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, str]] = []  # (delivery id, event type)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(SLOW_ANSWER)
                receiver.received.append(
                    (self.headers["X-Privacy-Delivery"], self.headers["X-Privacy-Event"])
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    down_then_slow = Receiver()
    yield down_then_slow
    down_then_slow.stop()


class Latencies:
    """Calls made every 0.1 s from a thread, each timed, until stopped."""

    def __init__(self, call: Any):
        self.seconds: list[float] = []
        self.statuses: set[int] = set()
        self._stop = threading.Event()
        self._call = call
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            response, took = timed(self._call)
            self.statuses.add(response.status_code)
            self.seconds.append(took)
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def test_a_receiver_down_then_slow_neither_slows_the_api_nor_loses_a_delivery(
    replicas: tuple[str, str], receiver: Receiver, database: Database
) -> None:
    tenant = new_tenant()
    with (
        client(replicas[0], tenant, sub="desk") as one,
        client(replicas[1], tenant, sub="desk") as other,
        client(replicas[0], tenant, sub="probe") as probe,
    ):
        created = one.post(
            "/v1/recipients",
            json={
                "name": "mailer",
                "url": f"http://127.0.0.1:{receiver.port}/hooks",
                "event_types": ["subject.marketing_objection"],
            },
        )
        assert created.status_code == 201, created.text
        subjects = [
            one.post("/v1/subjects", json={"emails": [f"person{n}@example.se"]}).json()["id"]
            for n in range(SUBJECTS)
        ]
        latencies = Latencies(lambda: probe.get(f"/v1/subjects/{subjects[0]}"))
        try:
            # Objections through both replicas while the receiver is down.
            for n, subject_id in enumerate(subjects):
                answer, took = timed(
                    lambda s=subject_id, api=(one, other)[n % 2]: api.post(
                        f"/v1/subjects/{s}/marketing-objection"
                    )
                )
                assert answer.status_code == 200 and took < 0.5, (answer.status_code, took)
            failing = _deliveries(one, database, tenant, "attempts >= 3")
            assert {d["status"] for d in failing} == {"pending"}
            assert {d["last_error"] for d in failing} == {"connection_error"}
            for delivery in failing:
                _assert_backs_off(one.get(f"/v1/deliveries/{delivery['id']}").json())

            receiver.start()  # up, and slow to answer
            delivered = _deliveries(one, database, tenant, "status = 'delivered'")
        finally:
            latencies.stop()

    # Every event reached the receiver; a delivery is sent again only if its answer
    # was lost, which did not happen here.
    assert sorted(received for received, _ in receiver.received) == sorted(
        d["id"] for d in delivered
    )
    assert len(delivered) == SUBJECTS
    assert {event for _, event in receiver.received} == {"subject.marketing_objection"}
    # The API kept its pace throughout: no call waited for the receiver.
    assert latencies.statuses == {200}
    assert len(latencies.seconds) >= 10
    assert max(latencies.seconds) < 0.5, sorted(latencies.seconds)[-3:]


def _deliveries(
    api: Any, database: Database, tenant: str, done: str, seconds: float = 20
) -> list[dict[str, Any]]:
    """The tenant's deliveries, read through the API once the SQL condition `done` holds
    for all of them (polled in the database: the API's rate limit is not the subject)."""
    deadline = time.monotonic() + seconds
    query = f"SELECT count(*) FILTER (WHERE {done}) FROM delivery WHERE tenant_id = :t"
    while database.scalar(query, t=tenant) < SUBJECTS:
        assert time.monotonic() < deadline, "the deliveries never got there"
        time.sleep(0.1)
    items: list[dict[str, Any]] = api.get("/v1/deliveries?limit=100").json()["items"]
    assert len(items) == SUBJECTS
    return items


def _assert_backs_off(delivery: dict[str, Any]) -> None:
    """Each failed try waited at least the backoff after the one before: base * 2^(n-1)."""
    base = float(REPLICA_SETTINGS["webhook_backoff_seconds"])
    times = sorted(datetime.fromisoformat(a["at"]) for a in delivery["attempt_log"])
    assert len(times) >= 3
    for n, (earlier, later) in enumerate(itertools.pairwise(times), start=1):
        waited = (later - earlier).total_seconds()
        assert waited >= base * 2 ** (n - 1) * 0.95, (n, waited)
