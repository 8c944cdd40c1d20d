"""Every state-changing call leaves an audit event; none holds personal data."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import CONTACT, INVOICE_2024, MEETING, NETWORK, NOTE, PERSONAL_VALUES, Api


def test_scenario_leaves_an_event_per_write_and_no_personal_data(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    subject = api.create_subject(
        emails=["asa.oberg@example.se"], phones=["070-123 45 67"], records=[CONTACT]
    )
    sid = subject["id"]
    record_ids = [api.add_record(sid, r)["id"] for r in (NOTE, MEETING, INVOICE_2024, NETWORK)]
    api.post("/v1/subjects/search", json={"email": "asa.oberg@example.se"})  # a read
    refused = api.post(f"/v1/subjects/{sid}/records", json={**NOTE, "category": "x"})
    assert refused.status_code == 422
    forbidden = api.post(f"/v1/subjects/{sid}/records", json=NOTE, scopes=["subjects:read"])
    assert forbidden.status_code == 403
    malformed = api.client.post(
        f"/v1/subjects/{sid}/records",
        content=b"{not json",
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400

    response = api.get("/v1/audit-events?limit=500", scopes=["audit:read"])
    assert response.status_code == 200
    events = response.json()["items"]
    summary = [(e["action"], e["outcome"], e["status_code"]) for e in events]
    assert summary == [
        ("subject.create", "success", 201),
        ("record.create", "success", 201),
        ("record.create", "success", 201),
        ("record.create", "success", 201),
        ("record.create", "success", 201),
        ("record.create", "rejected", 422),
        ("record.create", "denied", 403),
        ("record.create", "rejected", 400),
    ]
    assert all(e["subject_id"] == sid for e in events)
    assert [e["record_id"] for e in events[1:5]] == record_ids
    assert all(e["actor"] == api.sub and e["tenant"] == api.tenant for e in events)
    request_ids = {e["request_id"] for e in events}
    assert len(request_ids) == len(events)
    assert malformed.headers["x-request-id"] in request_ids

    dumped = json.dumps(events, ensure_ascii=False)
    logs = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    for value in PERSONAL_VALUES:
        assert value not in dumped, value
        assert value not in logs, value


def test_audit_filters(api: Api) -> None:
    first = api.create_subject()
    second = api.create_subject()
    api.add_record(second["id"], NOTE)
    by_subject = api.get(f"/v1/audit-events?subject_id={second['id']}").json()["items"]
    assert [e["action"] for e in by_subject] == ["subject.create", "record.create"]
    by_action = api.get("/v1/audit-events?action=subject.create").json()["items"]
    assert {e["subject_id"] for e in by_action} == {first["id"], second["id"]}
    assert api.get("/v1/audit-events?outcome=denied").json()["items"] == []
    at = by_subject[0]["at"]
    assert api.get("/v1/audit-events", params={"since": at}).json()["items"]
    assert api.get("/v1/audit-events?since=2026-01-01T00:00:00").status_code == 422


def test_request_id_is_returned_and_can_be_supplied(api: Api) -> None:
    generated = api.get("/v1/audit-events")
    assert len(generated.headers["x-request-id"]) >= 8
    mine = api.post(
        "/v1/subjects",
        json={"emails": ["rid@example.se"]},
        headers={"X-Request-ID": "caller-req-0001"},
    )
    assert mine.headers["x-request-id"] == "caller-req-0001"
    events = api.get("/v1/audit-events").json()["items"]
    assert events[-1]["request_id"] == "caller-req-0001"
    # An unsafe id (it could carry anything) is replaced, not echoed.
    odd = api.get("/v1/audit-events", headers={"X-Request-ID": "asa.oberg@example.se"})
    assert odd.headers["x-request-id"] != "asa.oberg@example.se"


def test_audit_needs_its_scope(api: Api) -> None:
    assert api.get("/v1/audit-events", scopes=["subjects:read"]).status_code == 403
