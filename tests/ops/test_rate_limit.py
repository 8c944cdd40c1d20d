"""Per-token rate limiting (`PRIVACY_RATE_LIMIT`): 429 with Retry-After, per (tenant, sub)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings, parse_rate_limit
from app.core.metrics import REGISTRY
from app.main import create_app
from tests.conftest import Api, FrozenClock, new_tenant


@pytest.fixture
def limited(settings: Settings) -> Iterator[tuple[FastAPI, TestClient, FrozenClock]]:
    """A service allowing 3 calls a minute per token, on a clock the test moves."""
    app = create_app(settings.model_copy(update={"rate_limit": "3/minute"}))
    clock = FrozenClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    app.state.rate_limiter.clock = lambda: clock.now.timestamp()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client, clock
    app.state.engine.dispose()


def caller(client: TestClient, engine: sa.Engine, *, tenant: str, sub: str) -> Api:
    return Api(client=client, tenant=tenant, engine=engine, sub=sub)


def test_the_fourth_call_within_a_minute_answers_429_until_the_first_leaves_the_window(
    limited: tuple[FastAPI, TestClient, FrozenClock],
) -> None:
    app, client, clock = limited
    crm = caller(client, app.state.engine, tenant=new_tenant(), sub="crm")
    for _ in range(3):  # 12:00:00, 12:00:10, 12:00:20
        assert crm.get("/v1/audit-events").status_code == 200
        clock.advance(seconds=10)
    clock.advance(seconds=0.5)  # 12:00:30.5: the first call leaves the window at 12:01:00

    refused = crm.get("/v1/audit-events")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "30"
    problem = refused.json()
    assert problem["type"] == "urn:privacy-api:problem:too-many-requests"
    assert problem["status"] == 429
    assert crm.tenant not in refused.text and "crm" not in problem["detail"]

    clock.advance(seconds=29)  # 12:00:59.5: still three calls in the last minute
    assert crm.get("/v1/audit-events").headers["retry-after"] == "1"
    clock.advance(seconds=1)  # 12:01:00.5: the 12:00:00 call has left the window
    assert crm.get("/v1/audit-events").status_code == 200
    assert crm.get("/v1/audit-events").status_code == 429  # 12:00:10 and :20 still count


def test_each_token_subject_and_tenant_has_its_own_count(
    limited: tuple[FastAPI, TestClient, FrozenClock],
) -> None:
    app, client, _ = limited
    tenant = new_tenant()
    crm = caller(client, app.state.engine, tenant=tenant, sub="crm")
    mailer = caller(client, app.state.engine, tenant=tenant, sub="mailer")
    crm_elsewhere = caller(client, app.state.engine, tenant=new_tenant(), sub="crm")
    for _ in range(3):
        assert crm.get("/v1/audit-events").status_code == 200
    assert crm.get("/v1/audit-events").status_code == 429
    # A new token of the same caller is the same caller: the count is not the token's.
    assert crm.get("/v1/audit-events", headers=crm.headers(["audit:read"])).status_code == 429
    assert mailer.get("/v1/audit-events").status_code == 200
    assert crm_elsewhere.get("/v1/audit-events").status_code == 200


def test_a_refused_write_changes_nothing_is_not_audited_and_is_counted(
    limited: tuple[FastAPI, TestClient, FrozenClock],
) -> None:
    app, client, _ = limited
    crm = caller(client, app.state.engine, tenant=new_tenant(), sub="crm")
    for n in range(3):
        assert crm.post("/v1/subjects", json={"emails": [f"p{n}@example.se"]}).status_code == 201
    before = crm.row_counts()
    counted = REGISTRY.get_sample_value("privacy_rate_limited_total") or 0.0

    refused = crm.post("/v1/subjects", json={"emails": ["p3@example.se"]})
    # Refused before the body is read: an invalid one gets the same answer.
    malformed = crm.post(
        "/v1/subjects", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert refused.status_code == malformed.status_code == 429
    assert crm.row_counts() == before  # no subject, no audit event
    assert REGISTRY.get_sample_value("privacy_rate_limited_total") == counted + 2
    metrics = client.get("/metrics").text
    assert 'route="/v1/subjects",status="429"' in metrics


def test_calls_without_a_valid_token_are_not_counted_against_anyone(
    limited: tuple[FastAPI, TestClient, FrozenClock],
) -> None:
    app, client, _ = limited
    crm = caller(client, app.state.engine, tenant=new_tenant(), sub="crm")
    for _ in range(5):
        assert client.get("/v1/audit-events").status_code == 401
    for _ in range(3):
        assert crm.get("/v1/audit-events").status_code == 200
    assert client.get("/healthz").status_code == 200  # operations endpoints are not limited


def test_off_turns_it_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit": "off"}))
    assert app.state.rate_limiter is None
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("600/minute", [(600, 60)]),
        ("10/second; 600/minute", [(10, 1), (600, 60)]),
        ("600 per minute", [(600, 60)]),
        ("5000/hour;100/minute", [(100, 60), (5000, 3600)]),
        ("off", []),
    ],
)
def test_the_setting_reads_the_usual_notation(text: str, limits: list[tuple[int, int]]) -> None:
    assert parse_rate_limit(text) == limits


@pytest.mark.parametrize(
    "text",
    ["600", "600/fortnight", "0/minute", "-1/second", "1/second; 100/minute", "5/minute;6/minute"],
)
def test_a_setting_it_cannot_read_stops_the_service_from_starting(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Settings(environment="development", rate_limit=text)


def test_the_default_is_600_a_minute() -> None:
    assert Settings(environment="development").rate_limits == [(600, 60)]


def test_every_v1_operation_declares_429_with_retry_after(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    operations = [
        (path, method, operation)
        for path, item in paths.items()
        if path.startswith("/v1/")
        for method, operation in item.items()
    ]
    assert operations
    for path, method, operation in operations:
        declared = operation["responses"].get("429")
        assert declared is not None, (method, path)
        assert "Retry-After" in declared["headers"], (method, path)
