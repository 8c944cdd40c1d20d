"""Tenant isolation: tenant B cannot read, list, search, change or count tenant A's data."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from app.core.db import (
    PooledReader,
    Reader,
    ReadPool,
    ScopedReader,
    TenantScopeError,
    json_list,
    run_blocking,
    tenant_models,
)
from app.core.errors import NotFound
from app.subjects.models import Record, Subject
from app.subjects.reads import read_subject
from tests.conftest import CONTACT, NOTE, Api, FrozenClock
from tests.readers import READERS, read_on


@pytest.fixture
def a_data(api: Api) -> dict[str, str]:
    subject = api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["+46701234567"],
        external_refs=[{"system": "crm", "id": "C-1001"}],
        records=[CONTACT],
    )
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    return {"subject": subject["id"], "record": record["id"]}


def test_foreign_ids_are_404_like_missing_ones(
    api: Api, other_api: Api, a_data: dict[str, str]
) -> None:
    s, r = a_data["subject"], a_data["record"]
    for url in (f"/v1/subjects/{s}", f"/v1/subjects/{s}/records", f"/v1/records/{r}"):
        response = other_api.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"] in ("No subject with this id.", "No record with this id.")
    assert other_api.post(f"/v1/subjects/{s}/records", json=NOTE).status_code == 404
    # Tenant A's data is untouched by B's attempts.
    assert len(api.get(f"/v1/subjects/{s}/records").json()["items"]) == 1


def test_search_never_finds_another_tenants_subjects(
    api: Api, other_api: Api, a_data: dict[str, str]
) -> None:
    for query in (
        {"email": "asa.oberg@example.se"},
        {"phone": "+46701234567"},
        {"external_ref": {"system": "crm", "id": "C-1001"}},
    ):
        assert other_api.post("/v1/subjects/search", json=query).json() == {"items": []}
        assert len(api.post("/v1/subjects/search", json=query).json()["items"]) == 1


def test_same_identifiers_in_two_tenants_are_two_subjects(api: Api, other_api: Api) -> None:
    body = {"emails": ["shared@example.se"], "external_refs": [{"system": "crm", "id": "C-9"}]}
    a = api.post("/v1/subjects", json=body)
    b = other_api.post("/v1/subjects", json=body)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_audit_events_are_per_tenant(api: Api, other_api: Api, a_data: dict[str, str]) -> None:
    mine = api.get("/v1/audit-events").json()["items"]
    assert mine and all(e["tenant"] == api.tenant for e in mine)
    theirs = other_api.get(f"/v1/audit-events?subject_id={a_data['subject']}").json()
    assert theirs["items"] == []


def test_tenant_scoping_refuses_unscoped_sessions(engine: object) -> None:
    """A query on tenant data outside a tenant (or system) session is a bug, not a leak."""
    from sqlmodel import select

    assert Record in tenant_models()
    with Session(engine) as session, pytest.raises(TenantScopeError):  # type: ignore[arg-type]
        session.exec(select(Record)).all()


def test_rights_endpoints_treat_foreign_ids_as_missing(
    api: Api, other_api: Api, a_data: dict[str, str], clock: FrozenClock
) -> None:
    s, r = a_data["subject"], a_data["record"]
    request = api.post(
        "/v1/rights-requests",
        json={"type": "access", "subject_id": s, "received_at": "2026-01-01T00:00:00Z"},
    ).json()
    foreign_reads = [
        f"/v1/subjects/{s}/access-report",
        f"/v1/subjects/{s}/export?format=json",
        f"/v1/subjects/{s}/export?format=csv",
        f"/v1/subjects/{s}/restriction",
        f"/v1/records/{r}/history",
        f"/v1/rights-requests/{request['id']}",
    ]
    for url in foreign_reads:
        assert other_api.get(url).status_code == 404, url
    foreign_writes = [
        ("post", f"/v1/subjects/{s}/restriction", {"reason": "x"}),
        ("delete", f"/v1/subjects/{s}/restriction", None),
        ("post", f"/v1/subjects/{s}/marketing-objection", None),
        ("patch", f"/v1/records/{r}", {"data": {"title": "CEO"}}),
        (
            "post",
            f"/v1/rights-requests/{request['id']}/extend",
            {"months": 1, "reason": "x", "informed_at": "2026-01-02T00:00:00Z"},
        ),
        ("post", f"/v1/rights-requests/{request['id']}/complete", {"outcome": "fulfilled"}),
        (
            "post",
            "/v1/rights-requests",
            {"type": "access", "subject_id": s, "received_at": "2026-01-01T00:00:00Z"},
        ),
    ]
    for method, url, body in foreign_writes:
        kwargs = {"json": body} if body is not None else {}
        response = getattr(other_api, method)(url, **kwargs)
        assert response.status_code == 404, (method, url, response.text)
    # B's own lists do not see A's data; B's marketing check knows nothing of A.
    assert other_api.get("/v1/rights-requests").json()["items"] == []
    check = other_api.post("/v1/marketing/check", json={"subject_ids": [s]}).json()
    assert check["results"][0]["reason"] == "unknown_subject"
    assert other_api.get("/v1/deliveries").json()["items"] == []
    # A's data is untouched.
    assert api.get(f"/v1/subjects/{s}").json()["restricted"] is False
    assert api.get(f"/v1/records/{r}").json()["data"]["title"] == "CFO"
    assert api.get(f"/v1/rights-requests/{request['id']}").json()["status"] == request["status"]


@pytest.mark.parametrize("reader", READERS)
def test_a_scoped_reader_sees_only_its_tenant_and_reads_only(
    api: Api, other_api: Api, reader: str
) -> None:
    mine = uuid.UUID(api.create_subject(emails=["mine@example.se"])["id"])
    theirs = uuid.UUID(other_api.create_subject(emails=["theirs@example.se"])["id"])
    dialect = api.engine.dialect.name
    by_id = sa.select(col(Subject.id)).where(
        col(Subject.id).in_(json_list("ids", dialect, uuids=True))
    )

    def ids(*values: uuid.UUID) -> str:
        return json.dumps([str(v) if dialect == "postgresql" else v.hex for v in values])

    async def attempts(r: Reader) -> None:
        assert [row.id for row in await r.rows(by_id, {"ids": ids(mine, theirs)})] == [mine]
        # The tenant is the reader's: a parameter of the same name cannot widen it.
        assert await r.rows(by_id, {"ids": ids(theirs), "tenant_scope": other_api.tenant}) == []
        with pytest.raises(TenantScopeError):  # reads only
            await r.rows(sa.delete(Subject), {})
        with pytest.raises(ValueError, match="expanding"):  # one compiled form per read
            await r.rows(
                sa.select(col(Subject.id)).where(
                    col(Subject.id).in_(sa.bindparam("ids", expanding=True))
                ),
                {"ids": [mine]},
            )

    read_on(reader, api.engine, api.tenant, attempts)
    with pytest.raises(TenantScopeError):
        ScopedReader(api.engine, "")


@pytest.mark.parametrize("reader", READERS)
def test_a_scoped_reader_raises_driver_errors_as_sqlalchemys_and_leaves_the_pool_usable(
    api: Api, reader: str
) -> None:
    # What the error handlers answer 503 (OperationalError) or 500 must be SQLAlchemy's
    # error, and must not quote the parameters (personal data).
    broken = sa.select(col(Subject.id)).where(
        sa.func.no_such_function(col(Subject.id)) == sa.bindparam("secret")
    )
    mine = api.create_subject(emails=["after@example.se"])["id"]
    by_id = sa.select(col(Subject.id)).where(col(Subject.id) == sa.bindparam("id"))

    async def fail_then_read(r: Reader) -> list[Any]:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            await r.rows(broken, {"secret": "asa.oberg@example.se"})
        assert "asa.oberg" not in str(raised.value)
        return await r.rows(by_id, {"id": uuid.UUID(mine)})

    if reader == "loop":  # the same connection reads on after the error
        found = read_on(reader, api.engine, api.tenant, fail_then_read)
    else:
        with ScopedReader(api.engine, api.tenant) as r, pytest.raises(sa.exc.DBAPIError) as raised:
            run_blocking(r.rows(broken, {"secret": "asa.oberg@example.se"}))
        assert "asa.oberg" not in str(raised.value)
        # The connection went back to the pool in a usable state.
        found = read_on(
            reader, api.engine, api.tenant, lambda r: r.rows(by_id, {"id": uuid.UUID(mine)})
        )
    assert [str(row.id) for row in found] == [mine]


def test_the_short_reads_pool_drops_a_connection_the_server_ended(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("the short reads' own pool is PostgreSQL's")
    mine = uuid.UUID(api.create_subject(emails=["pooled@example.se"])["id"])
    by_id = sa.select(col(Subject.id)).where(col(Subject.id) == sa.bindparam("id"))

    async def scenario() -> list[Any]:
        pool = ReadPool(api.engine, size=1, timeout=2)
        try:
            async with PooledReader(pool, api.tenant) as reader:
                backend = (await reader.rows(sa.select(sa.func.pg_backend_pid()), {}))[0][0]
            # An administrator (or a restart, or a proxy) ends the idle connection.
            with api.engine.connect() as admin:
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            await asyncio.sleep(0.2)
            async with PooledReader(pool, api.tenant) as reader:
                return await reader.rows(by_id, {"id": mine})  # on a new connection
        finally:
            await pool.close()

    assert [row.id for row in asyncio.run(scenario())] == [mine]


def test_a_short_read_that_finds_no_free_connection_in_time_gives_up(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("the short reads' own pool is PostgreSQL's")
    mine = uuid.UUID(api.create_subject(emails=["waiting@example.se"])["id"])
    by_id = sa.select(col(Subject.id)).where(col(Subject.id) == sa.bindparam("id"))

    async def scenario() -> None:
        pool = ReadPool(api.engine, size=1, timeout=0.2)
        try:
            async with PooledReader(pool, api.tenant):
                # A timeout error answers 503 with Retry-After (`app.core.errors`).
                with pytest.raises(sa.exc.TimeoutError):
                    async with PooledReader(pool, api.tenant):
                        pass
            async with PooledReader(pool, api.tenant) as reader:  # free again
                assert [row.id for row in await reader.rows(by_id, {"id": mine})] == [mine]
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_refused_short_read_keeps_its_connection_and_a_cancelled_one_leaves_none_busy(
    api: Api,
) -> None:
    # A 404 is a read that went well: its connection goes back to the pool (a client
    # asking for unknown ids must not make the service reconnect on every call). A read
    # cancelled mid-statement (the client went away) must not hand the next read a
    # connection still busy with it: the statement is cancelled on the server, or the
    # connection closed.
    if api.engine.dialect.name != "postgresql":
        pytest.skip("the short reads' own pool is PostgreSQL's")
    backend_pid = sa.select(sa.func.pg_backend_pid().label("pid"))

    async def scenario() -> tuple[int, int, float]:
        pool = ReadPool(api.engine, size=1, timeout=10)
        try:
            async with PooledReader(pool, api.tenant) as reader:
                first = (await reader.rows(backend_pid, {}))[0].pid
            with pytest.raises(NotFound):
                async with PooledReader(pool, api.tenant) as reader:
                    await read_subject(reader, uuid.uuid4(), hash_secret="unused")
            async with PooledReader(pool, api.tenant) as reader:
                after_404 = (await reader.rows(backend_pid, {}))[0].pid

            async def slow() -> None:
                async with PooledReader(pool, api.tenant) as reader:
                    await reader.rows(sa.select(sa.func.pg_sleep(30)), {})

            task = asyncio.create_task(slow())
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            started = time.monotonic()
            async with PooledReader(pool, api.tenant) as reader:
                assert len(await reader.rows(backend_pid, {})) == 1
            return first, after_404, time.monotonic() - started
        finally:
            await pool.close()

    first, after_404, next_read_took = asyncio.run(scenario())
    assert after_404 == first
    assert next_read_took < 2  # not behind the 30 s statement
