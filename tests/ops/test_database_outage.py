"""The database goes away under a running service, and comes back.

The service reaches PostgreSQL through a TCP proxy the test stops and starts, and its
connections are killed with `pg_terminate_backend`. Every call then answers 503
problem+json with `Retry-After` within a second (not a 500, not a hang), `/readyz`
fails, nothing is half written, and the service recovers without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import NOTE
from tests.ops.conftest import (
    Database,
    TcpProxy,
    assert_unavailable,
    client,
    new_tenant,
    serve,
    timed,
)

WITHIN = 1.0  # seconds


@pytest.fixture(scope="module")
def proxied(database: Database) -> Iterator[tuple[str, TcpProxy]]:
    """(base URL, proxy) of a service that reaches the database through the proxy.

    The lock timeout is the default (5 s): what answers within a second is the service
    noticing the database is gone, not a short timeout.
    """
    url = sa.make_url(database.url)
    proxy = TcpProxy(url.port or 5432)
    port = proxy.start()
    via = url.set(port=port).render_as_string(hide_password=False)
    try:
        with serve(via, rate_limit="off") as (base,):
            yield base, proxy
    finally:
        proxy.close()


def test_connections_killed_while_idle_are_replaced_without_an_error(
    proxied: tuple[str, TcpProxy], database: Database
) -> None:
    base, proxy = proxied
    with client(base, new_tenant()) as crm:
        subject = crm.post("/v1/subjects", json={"emails": ["ida@example.se"]}).json()
        assert crm.get(f"/v1/subjects/{subject['id']}").status_code == 200
        assert database.terminate_service_connections() >= 1
        # pg_terminate_backend only signals: wait until the server has closed them and
        # the proxy has passed that on (idle connections the service has been told of).
        _wait_for(lambda: True if proxy.connections == 0 else None)
        # The pool finds the dead connections before use and opens new ones.
        assert crm.get(f"/v1/subjects/{subject['id']}").status_code == 200
        assert crm.post("/v1/subjects", json={"emails": ["jan@example.se"]}).status_code == 201
        assert httpx.get(f"{base}/readyz").status_code == 200


def test_a_write_whose_connection_is_killed_answers_503_at_once_and_leaves_nothing(
    proxied: tuple[str, TcpProxy], database: Database
) -> None:
    base, _ = proxied
    tenant = new_tenant()
    with client(base, tenant) as crm, database.admin() as blocker, ThreadPoolExecutor(1) as pool:
        # The write stores the subject, its identifiers and records, then waits for the
        # audit table; it is killed there, halfway through its transaction.
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE audit_event IN EXCLUSIVE MODE")
        body = {"emails": ["karin@example.se"], "records": [{"category": "note",
                "origin": "derived", "source": "staff", "data": {"text": "Called"}}]}  # fmt: skip
        write = pool.submit(lambda: crm.post("/v1/subjects", json=body))
        waiting = _wait_for(
            lambda: blocker.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = "
                "'Lock' AND pid <> pg_backend_pid()",
                (database.name,),
            ).fetchone()
        )
        killed_at = time.monotonic()
        blocker.execute("SELECT pg_terminate_backend(%s)", (waiting[0],))
        answer = write.result()
        took = time.monotonic() - killed_at
        blocker.execute("ROLLBACK")

        assert_unavailable(answer)
        assert took < WITHIN, f"{took:.2f} s"
        for table in ("subject", "subject_identifier", "record"):
            left = database.scalar(f"SELECT count(*) FROM {table} WHERE tenant_id = :t", t=tenant)
            assert left == 0, table
        # Its audit event says it was refused (written once the database answers again).
        refusals = "SELECT array_agg(status_code) FROM audit_event WHERE tenant_id = :t"
        assert _wait_for(lambda: database.scalar(refusals, t=tenant)) == [503]
        # The same call again, at once, succeeds: nothing to restart.
        assert crm.post("/v1/subjects", json=body).status_code == 201


def test_an_unreachable_database_answers_503_within_a_second_until_it_is_back(
    proxied: tuple[str, TcpProxy], database: Database
) -> None:
    base, proxy = proxied
    tenant = new_tenant()
    with client(base, tenant) as crm:
        subject = crm.post("/v1/subjects", json={"emails": ["lena@example.se"]}).json()
        sid = subject["id"]
        calls: dict[str, Callable[[], httpx.Response]] = {
            "create": lambda: crm.post("/v1/subjects", json={"emails": ["nils@example.se"]}),
            "read": lambda: crm.get(f"/v1/subjects/{sid}"),
            "search": lambda: crm.post("/v1/subjects/search", json={"email": "lena@example.se"}),
            "record": lambda: crm.post(f"/v1/subjects/{sid}/records", json=NOTE),
            "objection": lambda: crm.post(f"/v1/subjects/{sid}/marketing-objection"),
            "erasure": lambda: crm.post(f"/v1/subjects/{sid}/erasure"),
            "access report": lambda: crm.get(f"/v1/subjects/{sid}/access-report"),
            "export": lambda: crm.get(f"/v1/subjects/{sid}/export?format=csv"),
            "marketing check": lambda: crm.post(
                "/v1/marketing/check", json={"emails": ["lena@example.se"]}
            ),
            "audit": lambda: crm.get("/v1/audit-events"),
        }
        rows_before = _rows(database, tenant)

        proxy.stop()
        try:
            for name, call in calls.items():
                answer, took = timed(call)
                assert_unavailable(answer)
                assert took < WITHIN, f"{name}: {took:.2f} s"
            ready, took = timed(lambda: httpx.get(f"{base}/readyz"))
            assert ready.status_code == 503 and took < WITHIN
            assert ready.json()["database"] == "unreachable"
            assert int(ready.headers["retry-after"]) >= 1
            assert httpx.get(f"{base}/healthz").status_code == 200  # alive, not ready
        finally:
            proxy.start()

        assert _rows(database, tenant) == rows_before  # not a row written while it was away
        # Back on the same address: the same process serves again.
        assert httpx.get(f"{base}/readyz").status_code == 200
        assert calls["create"]().status_code == 201
        assert calls["export"]().status_code == 200
        assert calls["erasure"]().status_code == 200


def _rows(database: Database, tenant: str) -> dict[str, int]:
    tables = ["subject", "subject_identifier", "record", "marketing_suppression", "audit_event"]
    return {
        table: database.scalar(f"SELECT count(*) FROM {table} WHERE tenant_id = :t", t=tenant)
        for table in tables
    }


def _wait_for(probe: Callable[[], Any], seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while (found := probe()) is None:
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)
    return found
