"""Rights requests through the API: open, list, extend, complete, overdue."""

from __future__ import annotations

import pytest

from tests.conftest import Api, FrozenClock

# The service's clock in these tests (the `clock` fixture) stands at this instant.
pytestmark = pytest.mark.clock("2026-02-10T10:00:00Z")


def open_request(api: Api, subject_id: str, received: str, kind: str = "erasure") -> dict:
    response = api.post(
        "/v1/rights-requests",
        json={"type": kind, "subject_id": subject_id, "received_at": received},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_open_computes_due_at(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-01-31T09:00:00Z")
    assert request["due_at"] == "2026-02-28T09:00:00Z"
    assert request["status"] == "open"
    assert request["extension_months"] == 0
    assert request["overdue"] is False
    assert api.get(f"/v1/rights-requests/{request['id']}").json() == request


def test_extend_then_complete(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-01-31T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}"
    extended = api.post(f"{url}/extend", json={"months": 1, "reason": "Many systems."})
    assert extended.status_code == 200
    assert extended.json()["due_at"] == "2026-03-31T09:00:00Z"
    again = api.post(f"{url}/extend", json={"months": 1, "reason": "Still many systems."})
    assert again.json()["due_at"] == "2026-04-30T09:00:00Z"
    assert again.json()["extension_months"] == 2
    too_much = api.post(f"{url}/extend", json={"months": 1, "reason": "More."})
    assert too_much.status_code == 409
    done = api.post(f"{url}/complete", json={"outcome": "partially_fulfilled", "note": "BFL"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "completed" and body["outcome"] == "partially_fulfilled"
    assert body["completed_at"] == "2026-02-10T10:00:00Z"
    assert api.post(f"{url}/complete", json={"outcome": "fulfilled"}).status_code == 409
    assert api.post(f"{url}/extend", json={"months": 1, "reason": "x"}).status_code == 409


def test_extension_only_before_the_original_deadline(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    late = open_request(api, subject["id"], "2026-01-05T09:00:00Z")  # due 2026-02-05
    response = api.post(
        f"/v1/rights-requests/{late['id']}/extend", json={"months": 2, "reason": "x"}
    )
    assert response.status_code == 409


def test_bad_extensions_and_outcomes(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-02-01T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}"
    for body in ({"months": 3, "reason": "x"}, {"months": 1}, {"months": 1, "reason": ""}):
        assert api.post(f"{url}/extend", json=body).status_code == 422
    assert api.post(f"{url}/complete", json={"outcome": "done"}).status_code == 422


def test_list_filters_and_overdue(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    overdue = open_request(api, subject["id"], "2026-01-02T09:00:00Z", "access")
    current = open_request(api, subject["id"], "2026-02-01T09:00:00Z", "erasure")
    done = open_request(api, subject["id"], "2026-01-01T09:00:00Z", "access")
    api.post(f"/v1/rights-requests/{done['id']}/complete", json={"outcome": "fulfilled"})

    def ids(query: str) -> list[str]:
        response = api.get(f"/v1/rights-requests{query}")
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert ids("?overdue=true") == [overdue["id"]]
    assert ids("?overdue=false") == [current["id"], done["id"]]
    assert ids("?status=completed") == [done["id"]]
    assert ids("?type=erasure") == [current["id"]]
    assert ids(f"?subject_id={subject['id']}&status=open") == [overdue["id"], current["id"]]
    assert api.get("/v1/rights-requests?overdue=true").json()["items"][0]["overdue"] is True


def test_received_in_the_future_or_unknown_subject(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    future = api.post(
        "/v1/rights-requests",
        json={"type": "access", "subject_id": subject["id"], "received_at": "2026-03-01T00:00:00Z"},
    )
    assert future.status_code == 422
    unknown = api.post(
        "/v1/rights-requests",
        json={
            "type": "access",
            "subject_id": "01a20000-0000-7000-8000-000000000000",
            "received_at": "2026-02-01T00:00:00Z",
        },
    )
    assert unknown.status_code == 404


def test_rights_calls_link_their_audit_event(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    other = api.create_subject()
    request = open_request(api, subject["id"], "2026-02-01T09:00:00Z", "access")
    report = api.get(
        f"/v1/subjects/{subject['id']}/access-report?rights_request_id={request['id']}"
    )
    assert report.status_code == 200
    wrong = api.get(f"/v1/subjects/{other['id']}/access-report?rights_request_id={request['id']}")
    assert wrong.status_code == 422
    events = api.get(f"/v1/audit-events?rights_request_id={request['id']}").json()["items"]
    assert [e["action"] for e in events] == ["rights_request.open", "subject.access_report"]
