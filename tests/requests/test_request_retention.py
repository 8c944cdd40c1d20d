"""A rights request's own retention (Art 5(1)(e)): the tenant's
`rights_request_retention_months` (default 36), counted from the day of completion in the
tenant's time zone, ends at the end of the last day; the purge then deletes the request
with what belongs to it. Open requests are never deleted; audit events keep the id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table, for the table check)
from app.erasure.service import PurgeReport, purge_once
from app.requests.retention import BELONGS_TO_REQUEST, KEEP_THE_REQUEST_ID
from tests.conftest import (
    NOTE,
    PERSONAL_VALUES,
    TEST_HASH_SECRET,
    TEST_JWT_SECRET,
    Api,
    FrozenClock,
)
from tests.invariants.test_races import together


def settings(api: Api, **values: Any) -> Any:
    body = {"verification_required": False, **values}
    return api.client.put("/v1/tenant-settings", json=body, headers=api.headers(["admin"]))


def purge(now: datetime, *apis: Api) -> PurgeReport:
    """The purge job on `now`, limited to the tests' tenants."""
    return purge_once(
        apis[0].engine,
        now=now,
        run_id=f"purge-{uuid.uuid4()}",
        tenants=[a.tenant for a in apis],
    )


def open_request(api: Api, received_at: str, *, type: str = "access") -> str:
    response = api.post(
        "/v1/rights-requests",
        json={
            "type": type,
            "requester": {"emails": ["asa.oberg@example.se"]},
            "channel": "email",
            "received_at": received_at,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def complete(api: Api, request_id: str) -> None:
    response = api.post(f"/v1/rights-requests/{request_id}/complete", json={"outcome": "fulfilled"})
    assert response.status_code == 200, response.text


def completed_request(api: Api, clock: FrozenClock, completed_at: str) -> str:
    """A request received and completed at `completed_at` (the service's clock)."""
    clock.set(completed_at)
    request_id = open_request(api, completed_at)
    complete(api, request_id)
    return request_id


def preview(api: Api) -> dict[str, Any]:
    response = api.get("/v1/purge-preview")
    assert response.status_code == 200, response.text
    return response.json()


def exists(api: Api, request_id: str) -> bool:
    status = api.get(f"/v1/rights-requests/{request_id}").status_code
    assert status in (200, 404)
    return status == 200


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_the_setting_defaults_to_36_months_and_is_validated(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    admin = api.headers(["admin"])
    assert (
        api.client.get("/v1/tenant-settings", headers=admin).json()[
            "rights_request_retention_months"
        ]
        == 36
    )
    for bad in (0, 121, -1, "36", "three years", 12.5, True, None):
        response = settings(api, rights_request_retention_months=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["loc"] == ["body", "rights_request_retention_months"]
    for good in (1, 120, 24):
        response = settings(api, rights_request_retention_months=good)
        assert response.status_code == 200, response.text
        assert response.json()["rights_request_retention_months"] == good
    assert (
        api.client.get("/v1/tenant-settings", headers=admin).json()[
            "rights_request_retention_months"
        ]
        == 24
    )
    assert other_api.get("/v1/tenant-settings").json()["rights_request_retention_months"] == 36


@pytest.mark.clock("2026-01-01T12:00:00Z")
@pytest.mark.parametrize(
    ("months", "completed_at", "last_moment_kept", "first_moment_gone"),
    [
        # 23:30 on 31 March in Stockholm (CEST): kept through 2029-03-31, gone on 1 April.
        (36, "2026-03-31T21:30:00Z", "2029-03-31T21:59:59Z", "2029-03-31T22:00:00Z"),
        # 00:30 on 1 April in Stockholm, still 31 March in UTC: the day is Stockholm's.
        (36, "2026-03-31T22:30:00Z", "2029-04-01T21:59:59Z", "2029-04-01T22:00:00Z"),
        # 31 January + 1 month: February has no 31st, its last day is the last day kept.
        (1, "2026-01-31T12:00:00Z", "2026-02-28T22:59:59Z", "2026-02-28T23:00:00Z"),
    ],
)
def test_a_completed_request_is_kept_through_its_last_day_then_purged(
    api: Api,
    clock: FrozenClock,
    months: int,
    completed_at: str,
    last_moment_kept: str,
    first_moment_gone: str,
) -> None:
    assert settings(api, rights_request_retention_months=months).status_code == 200
    request_id = completed_request(api, clock, completed_at)

    clock.set(last_moment_kept)
    assert preview(api)["rights_requests"] == 0
    assert purge(clock(), api).rights_requests == {}
    assert exists(api, request_id)

    clock.set(first_moment_gone)
    ahead = preview(api)
    assert (ahead["rights_requests"], ahead["rights_request_ids"]) == (1, [request_id])
    done = purge(clock(), api)
    assert done.rights_requests == {api.tenant: [uuid.UUID(request_id)]}
    assert not exists(api, request_id)
    assert preview(api)["rights_requests"] == 0
    # The audit trail keeps the request's id, and says when and by what it was deleted.
    events = api.get(f"/v1/audit-events?rights_request_id={request_id}").json()["items"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("rights_request.open", "test-system"),
        ("rights_request.complete", "test-system"),
        ("rights_request.purge", "system:purge"),
    ]
    assert not [v for v in PERSONAL_VALUES if v in json.dumps(events)]


@pytest.mark.clock("2026-01-01T12:00:00Z")
def test_open_requests_are_never_purged(api: Api, clock: FrozenClock) -> None:
    assert settings(api, rights_request_retention_months=1).status_code == 200
    open_id = open_request(api, "2026-01-01T09:00:00Z")
    assert (
        settings(api, rights_request_retention_months=1, verification_required=True).status_code
        == 200
    )
    unverified = open_request(api, "2026-01-01T09:00:00Z")
    assert api.get(f"/v1/rights-requests/{unverified}").json()["status"] == "awaiting_verification"

    clock.set("2036-01-01T12:00:00Z")
    assert preview(api)["rights_requests"] == 0
    assert purge(clock(), api).rights_requests == {}
    assert exists(api, open_id) and exists(api, unverified)


@pytest.mark.clock("2026-01-15T12:00:00Z")
def test_each_tenant_has_its_own_period_and_only_its_requests_go(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    assert settings(api).status_code == 200  # 36 months
    assert settings(other_api, rights_request_retention_months=1).status_code == 200
    mine = completed_request(api, clock, "2026-01-15T12:00:00Z")
    theirs = completed_request(other_api, clock, "2026-01-15T12:00:00Z")

    clock.set("2026-02-16T12:00:00Z")  # past 2026-02-15, the other tenant's last day
    assert preview(api)["rights_requests"] == 0
    assert preview(other_api)["rights_request_ids"] == [theirs]
    done = purge(clock(), api, other_api)
    assert done.rights_requests == {other_api.tenant: [uuid.UUID(theirs)]}
    assert exists(api, mine)
    assert not exists(other_api, theirs)
    # One tenant never sees the other's deletion in its audit trail.
    assert api.get("/v1/audit-events?action=rights_request.purge").json()["items"] == []


@pytest.mark.clock("2026-01-15T12:00:00Z")
def test_what_only_names_the_request_outlives_it(api: Api, clock: FrozenClock) -> None:
    """A restriction placed for a request belongs to the subject (Art 18): it stays, and
    still names the request, after the request's own retention ended."""
    assert settings(api, rights_request_retention_months=1).status_code == 200
    subject = api.create_subject(emails=["asa.oberg@example.se"], records=[NOTE])
    request_id = open_request(api, "2026-01-15T09:00:00Z", type="restriction")
    restricted = api.post(
        f"/v1/subjects/{subject['id']}/restriction?rights_request_id={request_id}",
        json={"reason": "Accuracy contested (Art 18(1)(a))."},
    )
    assert restricted.status_code == 200, restricted.text
    complete(api, request_id)

    clock.set("2026-03-01T12:00:00Z")
    assert purge(clock(), api).rights_requests == {api.tenant: [uuid.UUID(request_id)]}
    assert not exists(api, request_id)
    state = api.get(f"/v1/subjects/{subject['id']}/restriction").json()
    assert state["subject_restricted"] is True
    assert [r["rights_request_id"] for r in state["restrictions"]] == [request_id]


def test_every_table_that_names_a_request_is_deleted_with_it_or_keeps_the_id() -> None:
    """A new table with `rights_request_id` must say which it is: rows that belong to
    the request (deleted by `delete_requests`) or rows that outlive it."""
    deleted = {model.__tablename__ for model in BELONGS_TO_REQUEST}
    naming = {
        name for name, table in SQLModel.metadata.tables.items() if "rights_request_id" in table.c
    }
    assert naming - deleted - KEEP_THE_REQUEST_ID == set()
    assert not deleted & KEEP_THE_REQUEST_ID


@pytest.mark.clock("2020-01-15T12:00:00Z")
def test_the_purge_command_previews_and_deletes_requests_past_retention(
    api: Api, clock: FrozenClock, database_url: str
) -> None:
    """`privacy-api purge` runs on the machine's clock: a request completed in January
    2020 is past 36 months on any day it runs."""
    assert settings(api).status_code == 200
    request_id = completed_request(api, clock, "2020-01-15T12:00:00Z")
    env = {
        **os.environ,
        "PRIVACY_DATABASE_URL": database_url,
        "PRIVACY_ENVIRONMENT": "test",
        "PRIVACY_JWT_SECRET": TEST_JWT_SECRET,
        "PRIVACY_HASH_SECRET": TEST_HASH_SECRET,
    }
    command = [sys.executable, "-m", "app.cli", "purge", "--tenant", api.tenant]

    dry = subprocess.run(
        [*command, "--dry-run"], env=env, capture_output=True, text=True, timeout=120
    )
    assert dry.returncode == 0, dry.stderr
    printed = json.loads(dry.stdout)
    assert printed["rights_requests"] == 1
    assert printed["tenants"][api.tenant]["rights_request_ids"] == [request_id]
    assert exists(api, request_id)

    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "rights requests deleted 1" in run.stdout
    assert f"{api.tenant} rights requests past retention: 1" in run.stdout
    assert not [v for v in PERSONAL_VALUES if v in run.stdout + dry.stdout]
    assert not exists(api, request_id)
    with api.engine.connect() as conn:
        kept_events = conn.execute(
            sa.text("SELECT count(*) FROM audit_event WHERE tenant_id = :t AND action = :a"),
            {"t": api.tenant, "a": "rights_request.purge"},
        ).scalar_one()
    assert kept_events == 1


@pytest.mark.clock("2026-01-15T12:00:00Z")
def test_two_purges_at_once_delete_each_request_exactly_once(api: Api, clock: FrozenClock) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("replica-safe purge is specified for PostgreSQL (SQLite: one process)")
    assert settings(api, rights_request_retention_months=1).status_code == 200
    ids = {uuid.UUID(completed_request(api, clock, "2026-01-15T12:00:00Z")) for _ in range(30)}
    clock.set("2026-03-01T12:00:00Z")
    first, second = together(lambda: purge(clock(), api), lambda: purge(clock(), api))
    taken = [first.rights_requests.get(api.tenant, []), second.rights_requests.get(api.tenant, [])]
    assert set(taken[0]).isdisjoint(taken[1])
    assert set(taken[0]) | set(taken[1]) == ids
    events = api.get("/v1/audit-events?action=rights_request.purge&limit=500").json()["items"]
    assert sorted(uuid.UUID(e["rights_request_id"]) for e in events) == sorted(ids)
