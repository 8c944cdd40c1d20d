"""Rights requests through the API: open, list, extend, complete, overdue."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, FrozenClock

# The service's clock in these tests (the `clock` fixture) stands at this instant.
pytestmark = pytest.mark.clock("2026-02-10T10:00:00Z")

REFUSAL = {
    "outcome": "refused",
    "reasons": "The same request was answered in full on 2026-02-01.",
    "refusal_grounds": "excessive",
}


def no_verification(api: Api) -> None:
    """The tenant opens requests without awaiting verification (`open` at once)."""
    response = api.client.put(
        "/v1/tenant-settings",
        json={"verification_required": False},
        headers=api.headers(["admin"]),
    )
    assert response.status_code == 200, response.text


@pytest.fixture(autouse=True)
def _requests_open_at_once(api: Api, other_api: Api) -> None:
    """These tests are about deadlines and answers; verification has its own
    (tests/requests/test_intake.py)."""
    no_verification(api)
    no_verification(other_api)


def open_request(api: Api, subject_id: str, received: str, kind: str = "erasure") -> dict:
    response = api.post(
        "/v1/rights-requests",
        json={"type": kind, "subject_id": subject_id, "received_at": received},
    )
    assert response.status_code == 201, response.text
    return response.json()


def extension(months: int = 2, informed_at: str = "2026-02-10T09:00:00Z", **kw: Any) -> dict:
    return {"months": months, "reason": "Many systems.", "informed_at": informed_at, **kw}


def test_open_computes_due_at(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-01-30T09:00:00Z")
    assert request["due_at"] == "2026-03-02T23:59:59+01:00"
    assert request["time_zone"] == "Europe/Stockholm"
    assert request["received_at"] == "2026-01-30T09:00:00Z"  # other instants stay in UTC
    assert request["status"] == "open"
    assert request["extension_months"] == 0
    assert request["extension_informed_at"] is None
    assert request["overdue"] is False
    assert "1182/71" in request["legal_reference"]
    assert api.get(f"/v1/rights-requests/{request['id']}").json() == request


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-01-30T09:00:00Z", "2026-03-02T23:59:59+01:00"),
        ("2026-11-25T09:00:00Z", "2026-12-28T23:59:59+01:00"),
        ("2026-03-03T09:00:00Z", "2026-04-07T23:59:59+02:00"),
        ("2025-12-31T23:30:00Z", "2026-02-02T23:59:59+01:00"),
        ("2028-01-31T09:00:00Z", "2028-02-29T23:59:59+01:00"),
        ("2026-05-19T09:00:00Z", "2026-06-22T23:59:59+02:00"),  # midsommarafton 19 June
    ],
)
def test_the_golden_dates_through_the_api(
    api: Api, clock: FrozenClock, received: str, due: str
) -> None:
    clock.set(received)
    subject = api.create_subject()
    assert open_request(api, subject["id"], received)["due_at"] == due


@pytest.mark.clock("2026-03-05T12:00:00Z")
def test_the_tenant_time_zone_counts_the_day(api: Api, other_api: Api, clock: FrozenClock) -> None:
    admin = api.headers(["admin"])
    current = api.client.get("/v1/tenant-settings", headers=admin)
    settings = api.client.put(
        "/v1/tenant-settings",
        json={"time_zone": "America/New_York", "verification_required": False},
        headers=admin | {"If-Match": current.headers["ETag"]},
    )
    assert settings.status_code == 200, settings.text
    # 02:00 UTC on 4 March: 3 March in New York, 4 March in Stockholm.
    received = "2026-03-04T02:00:00Z"
    ours = open_request(api, api.create_subject()["id"], received)
    theirs = open_request(other_api, other_api.create_subject()["id"], received)
    assert ours["time_zone"] == "America/New_York"
    assert ours["due_at"] == "2026-04-07T23:59:59-04:00"  # 3 April Good Friday, Easter
    assert theirs["due_at"] == "2026-04-07T23:59:59+02:00"
    # A later change of the setting does not move the day a request was received on.
    admin = api.headers(["admin"]) | {"If-Match": settings.headers["ETag"]}
    back = api.client.put(
        "/v1/tenant-settings", json={"verification_required": False}, headers=admin
    )
    assert back.status_code == 200, back.text
    again = api.get(f"/v1/rights-requests/{ours['id']}").json()
    assert again["due_at"] == "2026-04-07T23:59:59-04:00"


def test_extend_then_complete(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-01-30T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}"
    extended = api.post(f"{url}/extend", json=extension(1))
    assert extended.status_code == 200, extended.text
    # From 28 February (the first month's end, before Monday 2 March): 28 March is a
    # Saturday → Monday 30 March, in summer time.
    assert extended.json()["due_at"] == "2026-03-30T23:59:59+02:00"
    assert extended.json()["extension_informed_at"] == "2026-02-10T09:00:00Z"
    again = api.post(f"{url}/extend", json=extension(1, reason="Still many systems."))
    assert again.status_code == 200, again.text
    assert again.json()["due_at"] == "2026-04-28T23:59:59+02:00"
    assert again.json()["extension_months"] == 2
    assert again.json()["extension_reason"] == "Still many systems."
    assert api.post(f"{url}/extend", json=extension(1)).status_code == 409
    done = api.post(
        f"{url}/complete",
        json={"outcome": "partially_fulfilled", "reasons": "Invoices kept (BFL 7:2).", "note": "x"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed" and body["outcome"] == "partially_fulfilled"
    assert body["reasons"] == "Invoices kept (BFL 7:2)." and body["note"] == "x"
    assert body["complaint_and_remedy_stated"] is True
    assert body["refusal_grounds"] is None
    assert body["completed_at"] == "2026-02-10T10:00:00Z"
    assert api.post(f"{url}/complete", json={"outcome": "fulfilled"}).status_code == 409
    assert api.post(f"{url}/extend", json=extension(1)).status_code == 409


def test_two_months_at_once_run_from_the_first_month_end(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-01-15T09:00:00Z")  # due Mon 16 Feb
    response = api.post(f"/v1/rights-requests/{request['id']}/extend", json=extension(2))
    assert response.status_code == 200, response.text
    # From 15 February (a Sunday, not carried over): 15 April, a Wednesday.
    assert response.json()["due_at"] == "2026-04-15T23:59:59+02:00"


def test_the_person_must_be_told_within_the_first_month(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    # Received 5 January: the first month ends Thursday 5 February, 23:59:59 (+01:00).
    late = open_request(api, subject["id"], "2026-01-05T09:00:00Z")
    url = f"/v1/rights-requests/{late['id']}/extend"
    after = api.post(url, json=extension(informed_at="2026-02-05T23:00:00Z"))  # 6th, 00:00
    assert after.status_code == 409, after.text
    assert api.get(f"/v1/rights-requests/{late['id']}").json()["extension_months"] == 0
    # Told in time (the last second of the first month), recorded later: accepted.
    in_time = api.post(url, json=extension(informed_at="2026-02-05T23:59:59+01:00"))
    assert in_time.status_code == 200, in_time.text
    # Two months from 5 February: 5 April is Easter Day, 6th Easter Monday → 7 April.
    assert in_time.json()["due_at"] == "2026-04-07T23:59:59+02:00"


def test_informed_at_in_the_future_or_before_receipt_is_invalid(
    api: Api, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-02-01T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}/extend"
    future = api.post(url, json=extension(informed_at="2026-02-10T10:00:01Z"))
    assert future.status_code == 422, future.text
    before = api.post(url, json=extension(informed_at="2026-02-01T08:59:59Z"))
    assert before.status_code == 422, before.text
    assert api.get(f"/v1/rights-requests/{request['id']}").json()["extension_months"] == 0


def test_bad_extensions_and_outcomes(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-02-01T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}"
    for body in (
        extension(3),
        {"months": 1, "informed_at": "2026-02-02T09:00:00Z"},
        {"months": 1, "reason": "x"},
        extension(1, reason=""),
        extension(1, informed_at="2026-02-02"),
        extension(1, informed_at="2026-02-02T09:00:00"),
    ):
        assert api.post(f"{url}/extend", json=body).status_code == 422, body
    assert api.post(f"{url}/complete", json={"outcome": "done"}).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "refused"},
        {"outcome": "partially_fulfilled"},
        {"outcome": "partially_fulfilled", "note": "a note is not a reason"},
        {"outcome": "refused", "reasons": ""},
        {"outcome": "refused", "refusal_grounds": "excessive"},
        {"outcome": "refused", "reasons": "x", "refusal_grounds": "boring"},
        {"outcome": "fulfilled", "refusal_grounds": "excessive"},
        {"outcome": "partially_fulfilled", "reasons": "x", "refusal_grounds": "excessive"},
    ],
)
def test_a_refusal_without_reasons_is_refused(
    api: Api, clock: FrozenClock, body: dict[str, Any]
) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-02-01T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}"
    response = api.post(f"{url}/complete", json=body)
    assert response.status_code == 422, response.text
    assert api.get(url).json()["status"] == "open"


def test_a_refusal_records_its_reasons_grounds_and_remedies(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    refused = open_request(api, subject["id"], "2026-02-01T09:00:00Z", "access")
    body = api.post(f"/v1/rights-requests/{refused['id']}/complete", json=REFUSAL).json()
    assert body["outcome"] == "refused"
    assert body["reasons"] == REFUSAL["reasons"]
    assert body["refusal_grounds"] == "excessive"
    assert body["complaint_and_remedy_stated"] is True
    plain = open_request(api, subject["id"], "2026-02-01T09:00:00Z", "access")
    body = api.post(
        f"/v1/rights-requests/{plain['id']}/complete",
        json={"outcome": "refused", "reasons": "Identity could not be established (Art 12(2))."},
    ).json()
    assert body["refusal_grounds"] is None and body["complaint_and_remedy_stated"] is True
    fulfilled = open_request(api, subject["id"], "2026-02-01T09:00:00Z", "access")
    body = api.post(
        f"/v1/rights-requests/{fulfilled['id']}/complete", json={"outcome": "fulfilled"}
    ).json()
    assert body["reasons"] is None and body["complaint_and_remedy_stated"] is False
    events = api.get(f"/v1/audit-events?rights_request_id={refused['id']}").json()["items"]
    assert [e["action"] for e in events] == ["rights_request.open", "rights_request.complete"]
    assert REFUSAL["reasons"] not in str(events)


def test_list_filters_and_overdue(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    # Received 9 January: due Monday 9 February 23:59:59 (+01:00) — past at 10 February.
    overdue = open_request(api, subject["id"], "2026-01-09T09:00:00Z", "access")
    # Received 10 January: 10 February is the last day — not overdue until midnight.
    last_day = open_request(api, subject["id"], "2026-01-10T09:00:00Z", "erasure")
    done = open_request(api, subject["id"], "2026-01-01T09:00:00Z", "access")
    api.post(f"/v1/rights-requests/{done['id']}/complete", json={"outcome": "fulfilled"})

    def ids(query: str) -> list[str]:
        response = api.get(f"/v1/rights-requests{query}")
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert ids("?overdue=true") == [overdue["id"]]
    assert ids("?overdue=false") == [last_day["id"], done["id"]]
    assert ids("?status=completed") == [done["id"]]
    assert ids("?type=erasure") == [last_day["id"]]
    assert ids(f"?subject_id={subject['id']}&status=open") == [overdue["id"], last_day["id"]]
    assert api.get("/v1/rights-requests?overdue=true").json()["items"][0]["overdue"] is True
    # The last second of 10 February (Stockholm) is not yet overdue; midnight is.
    clock.set("2026-02-10T22:59:59.999Z")
    assert ids("?overdue=true") == [overdue["id"]]
    assert api.get(f"/v1/rights-requests/{last_day['id']}").json()["overdue"] is False
    clock.set("2026-02-10T23:00:00Z")
    assert ids("?overdue=true") == [overdue["id"], last_day["id"]]
    assert api.get(f"/v1/rights-requests/{last_day['id']}").json()["overdue"] is True


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


def test_foreign_requests_cannot_be_extended_or_completed(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    request = open_request(api, subject["id"], "2026-02-01T09:00:00Z")
    url = f"/v1/rights-requests/{request['id']}"
    assert other_api.post(f"{url}/extend", json=extension()).status_code == 404
    assert other_api.post(f"{url}/complete", json=REFUSAL).status_code == 404
    mine = api.get(url).json()
    assert mine["status"] == "open" and mine["extension_months"] == 0


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
