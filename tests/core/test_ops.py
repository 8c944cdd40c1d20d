"""Health, readiness and metrics; metrics and logs name routes, never raw paths or data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import CONTACT, Api


def test_healthz_and_readyz_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "at_head"}


def test_readyz_reports_pending_migrations(client: TestClient) -> None:
    app = client.app
    real = app.state.migration_heads  # type: ignore[attr-defined]
    app.state.migration_heads = {"a-newer-revision"}  # type: ignore[attr-defined]
    try:
        response = client.get("/readyz")
    finally:
        app.state.migration_heads = real  # type: ignore[attr-defined]
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


def test_metrics_use_route_templates(api: Api) -> None:
    subject = api.create_subject(records=[CONTACT])
    api.get(f"/v1/subjects/{subject['id']}")
    api.get("/v1/subjects/01a20000-0000-7000-8000-000000000000")
    api.client.get("/v1/audit-events")  # 401
    text = api.client.get("/metrics").text
    assert 'route="/v1/subjects/{subject_id}"' in text
    assert 'route="/v1/subjects"' in text
    assert "privacy_http_request_duration_seconds_bucket" in text
    assert "privacy_auth_failures_total" in text
    assert subject["id"] not in text
    assert "example.se" not in text
