"""Intake for anyone, identity verification and the paused deadline (issue 10, §§ 1-2).

Sources: GDPR Art 11(2), 12(2), 12(3), 12(6); EDPB Guidelines 01/2022 on the right of
access, §§ 65-77 (identification) and § 159 (the time limit runs once the controller can
identify the person and has what it asked for); Reg 1182/71 art. 3(4).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PERSONAL_VALUES, Api, FrozenClock
from tests.requests.test_rights_requests import no_verification

pytestmark = pytest.mark.clock("2026-03-20T12:00:00Z")

VERIFIED = {"method": "email_confirmation", "verified_at": "2026-02-05T09:00:00Z"}


def open_for(api: Api, requester: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = {
        "type": "access",
        "requester": requester,
        "channel": "email",
        "received_at": "2026-02-02T09:00:00Z",
        **kw,
    }
    response = api.post("/v1/rights-requests", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def url(request: dict[str, Any], action: str = "") -> str:
    return f"/v1/rights-requests/{request['id']}" + (f"/{action}" if action else "")


def test_an_unknown_email_is_opened_verified_answered_no_data_held_and_closed(
    api: Api, clock: FrozenClock
) -> None:
    """The issue's Done-when: received 2026-02-02, verified on the 5th → the deadline
    (2026-03-02) moves by the three days it awaited verification to 2026-03-05."""
    request = open_for(api, {"emails": ["  Nobody@Example.COM "]})
    assert request["status"] == "awaiting_verification"
    assert request["matched_subject_ids"] == [] and request["subject_id"] is None
    assert request["channel"] == "email"
    assert request["requester"] == {
        "emails": ["nobody@example.com"],
        "phones": [],
        "external_ref": None,
    }
    assert request["paused_since"] == "2026-02-02T09:00:00Z"
    assert request["pause_reason"] == "verification"
    assert request["overdue"] is False  # paused: not overdue though 2026-03-02 has passed

    verified = api.post(url(request, "verify"), json=VERIFIED)
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["status"] == "open" and body["verification_method"] == "email_confirmation"
    assert body["verified_at"] == "2026-02-05T09:00:00Z"
    assert body["paused_days"] == 3 and body["paused_since"] is None
    assert body["due_at"] == "2026-03-05T23:59:59+01:00"
    assert api.post(url(request, "verify"), json=VERIFIED).status_code == 409

    done = api.post(url(request, "complete"), json={"outcome": "fulfilled", "note": "no data held"})
    assert done.status_code == 200, done.text
    closed = done.json()
    assert closed["status"] == "completed" and closed["outcome"] == "fulfilled"
    assert closed["note"] == "no data held"
    # The answer is sent: the requester's address is no longer kept.
    assert closed["requester"] is None
    assert api.get(url(request)).json()["requester"] is None
    events = api.get(f"/v1/audit-events?rights_request_id={request['id']}").json()["items"]
    assert [e["action"] for e in events] == [
        "rights_request.open",
        "rights_request.verify",
        "rights_request.complete",
    ]


def test_every_duplicate_matches_in_any_spelling(api: Api, clock: FrozenClock) -> None:
    first = api.create_subject(emails=["asa.oberg@example.se"])
    duplicate = api.create_subject(emails=["ASA.Oberg@Example.se"], phones=["070-123 45 67"])
    by_phone = api.create_subject(emails=["other@example.se"], phones=["+46 70 123 45 67"])
    by_ref = api.create_subject(
        emails=["third@example.se"], external_refs=[{"system": "crm", "id": "C-1001"}]
    )
    api.create_subject(emails=["someone.else@example.se"])
    request = open_for(
        api,
        {
            "emails": [" Asa.Oberg@EXAMPLE.SE"],
            "phones": ["0701234567"],
            "external_ref": {"system": "crm", "id": "C-1001"},
        },
    )
    expected = sorted([first["id"], duplicate["id"], by_phone["id"], by_ref["id"]])
    assert request["matched_subject_ids"] == expected
    assert request["subject_id"] == expected[0]
    assert request["requester"]["emails"] == ["asa.oberg@example.se"]
    assert request["requester"]["phones"] == ["+46701234567"]


def test_a_merged_duplicate_is_not_matched(api: Api, clock: FrozenClock) -> None:
    target = api.create_subject(emails=["asa.oberg@example.se"])
    duplicate = api.create_subject(emails=["asa.oberg@example.se"])
    merged = api.post(f"/v1/subjects/{target['id']}/merge", json={"subject_ids": [duplicate["id"]]})
    assert merged.status_code == 200, merged.text
    request = open_for(api, {"emails": ["asa.oberg@example.se"]})
    assert request["matched_subject_ids"] == [target["id"]]


@pytest.mark.clock("2026-03-05T12:00:00Z")
def test_information_asked_pauses_the_deadline(api: Api, clock: FrozenClock) -> None:
    """Received 2026-01-30 (first month ends Saturday 28 Feb → due Monday 2 March); asked
    on day 3 (2 Feb), received on day 10 (9 Feb): the end moves seven days to Saturday
    7 March, and Reg 1182/71 art. 3(4) then moves it to Monday 9 March."""
    no_verification(api)
    subject = api.create_subject()
    opened = api.post(
        "/v1/rights-requests",
        json={"type": "access", "subject_id": subject["id"], "received_at": "2026-01-30T09:00:00Z"},
    )
    request = opened.json()
    assert request["status"] == "open" and request["due_at"] == "2026-03-02T23:59:59+01:00"
    ask = {
        "asked": "Which of our services the request concerns.",
        "asked_at": "2026-02-02T10:00:00Z",
    }
    asked = api.post(url(request, "request-information"), json=ask)
    assert asked.status_code == 200, asked.text
    assert asked.json()["pause_reason"] == "information"
    assert asked.json()["information_asked"] == ask["asked"]
    assert api.post(url(request, "request-information"), json=ask).status_code == 409
    # Paused: not overdue though 2 March has passed, nor listed as overdue.
    assert api.get(url(request)).json()["overdue"] is False
    assert api.get("/v1/rights-requests?overdue=true").json()["items"] == []
    too_early = api.post(
        url(request, "information-received"), json={"received_at": "2026-02-01T10:00:00Z"}
    )
    assert too_early.status_code == 422
    future = api.post(
        url(request, "information-received"), json={"received_at": "2026-03-06T10:00:00Z"}
    )
    assert future.status_code == 422
    resumed = api.post(
        url(request, "information-received"), json={"received_at": "2026-02-09T15:00:00Z"}
    )
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["paused_days"] == 7 and body["paused_since"] is None
    assert body["due_at"] == "2026-03-09T23:59:59+01:00"
    assert body["overdue"] is False
    again = api.post(
        url(request, "information-received"), json={"received_at": "2026-02-10T10:00:00Z"}
    )
    assert again.status_code == 409
    # An extension runs on from the moved deadline (the paused days stay counted).
    extended = api.post(
        url(request, "extend"),
        json={"months": 1, "reason": "Many systems.", "informed_at": "2026-03-04T09:00:00Z"},
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["due_at"] == "2026-04-07T23:59:59+02:00"  # 28 Mar + 7 = 4 Apr (Easter)


def test_verification_bad_input(api: Api, clock: FrozenClock) -> None:
    request = open_for(api, {"emails": ["nobody@example.com"]})
    before = {"method": "email_confirmation", "verified_at": "2026-02-01T09:00:00Z"}
    assert api.post(url(request, "verify"), json=before).status_code == 422
    future = {"method": "email_confirmation", "verified_at": "2026-03-21T09:00:00Z"}
    assert api.post(url(request, "verify"), json=future).status_code == 422
    unknown = {"method": "a copy of a passport", "verified_at": "2026-02-05T09:00:00Z"}
    assert api.post(url(request, "verify"), json=unknown).status_code == 422
    # Nothing to ask before the person is identified; extending waits too.
    ask = {"asked": "Which service.", "asked_at": "2026-02-03T10:00:00Z"}
    assert api.post(url(request, "request-information"), json=ask).status_code == 409
    extend = {"months": 1, "reason": "x", "informed_at": "2026-02-03T10:00:00Z"}
    assert api.post(url(request, "extend"), json=extend).status_code == 409
    # A person who cannot be identified is refused with reasons, not answered.
    fulfilled = api.post(url(request, "complete"), json={"outcome": "fulfilled"})
    assert fulfilled.status_code == 409
    refused = api.post(
        url(request, "complete"),
        json={"outcome": "refused", "reasons": "The identity could not be verified."},
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["requester"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"type": "access", "received_at": "2026-02-02T09:00:00Z"},
        {"type": "access", "requester": {}, "received_at": "2026-02-02T09:00:00Z"},
        {
            "type": "access",
            "requester": {"emails": ["not-an-email"]},
            "received_at": "2026-02-02T09:00:00Z",
        },
        {
            "type": "access",
            "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
            "requester": {"emails": ["a@example.com"]},
            "received_at": "2026-02-02T09:00:00Z",
        },
        {
            "type": "access",
            "requester": {"emails": ["a@example.com"]},
            "channel": "pigeon",
            "received_at": "2026-02-02T09:00:00Z",
        },
    ],
)
def test_bad_intake_is_422(api: Api, clock: FrozenClock, body: dict[str, Any]) -> None:
    assert api.post("/v1/rights-requests", json=body).status_code == 422


def test_nothing_is_released_for_an_unverified_request(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(emails=["asa.oberg@example.se"])
    duplicate = api.create_subject(emails=["asa.oberg@example.se"])
    request = open_for(api, {"emails": ["asa.oberg@example.se"]})
    for sid in (subject["id"], duplicate["id"]):
        for path in ("access-report", "export?format=json", "export?format=csv"):
            sep = "&" if "?" in path else "?"
            response = api.get(f"/v1/subjects/{sid}/{path}{sep}rights_request_id={request['id']}")
            assert response.status_code == 409, (path, response.text)
    erasure = api.post(f"/v1/subjects/{sid}/erasure?rights_request_id={request['id']}")
    assert erasure.status_code == 409
    assert api.post(url(request, "verify"), json=VERIFIED).status_code == 200
    # The request covers every matched subject, duplicates included.
    for sid in (subject["id"], duplicate["id"]):
        report = api.get(f"/v1/subjects/{sid}/access-report?rights_request_id={request['id']}")
        assert report.status_code == 200, report.text
        export = api.get(f"/v1/subjects/{sid}/export?format=json&rights_request_id={request['id']}")
        assert export.status_code == 200, export.text
    stranger = api.create_subject()
    wrong = api.get(
        f"/v1/subjects/{stranger['id']}/access-report?rights_request_id={request['id']}"
    )
    assert wrong.status_code == 422


def test_without_verification_required_a_request_is_open_at_once(
    api: Api, clock: FrozenClock
) -> None:
    no_verification(api)
    request = open_for(api, {"emails": ["nobody@example.com"]}, channel="letter")
    assert request["status"] == "open" and request["channel"] == "letter"
    assert request["paused_since"] is None and request["paused_days"] == 0
    assert request["due_at"] == "2026-03-02T23:59:59+01:00"
    assert api.post(url(request, "verify"), json=VERIFIED).status_code == 409
    # A request for a known subject records the channel `api` unless told otherwise.
    subject = api.create_subject()
    known = api.post(
        "/v1/rights-requests",
        json={
            "type": "erasure",
            "subject_id": subject["id"],
            "received_at": "2026-02-02T09:00:00Z",
        },
    ).json()
    assert known["channel"] == "api" and known["matched_subject_ids"] == [subject["id"]]
    assert known["requester"] is None


def test_the_requester_stays_out_of_audit_events_and_logs(
    api: Api,
    clock: FrozenClock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    subject = api.create_subject(emails=["asa.oberg@example.se"])
    request = open_for(api, {"emails": ["Asa.Oberg@example.se"], "phones": ["+46701234567"]})
    assert request["matched_subject_ids"] == [subject["id"]]
    api.post(url(request, "verify"), json=VERIFIED)
    api.post(
        url(request, "request-information"),
        json={"asked": "Which service.", "asked_at": "2026-02-06T09:00:00Z"},
    )
    api.post(url(request, "information-received"), json={"received_at": "2026-02-07T09:00:00Z"})
    api.post(url(request, "complete"), json={"outcome": "fulfilled"})
    events = api.get("/v1/audit-events?limit=500").json()["items"]
    assert {e["action"] for e in events} >= {
        "rights_request.open",
        "rights_request.verify",
        "rights_request.request_information",
        "rights_request.information_received",
        "rights_request.complete",
    }
    text = str(events) + capsys.readouterr().err + caplog.text
    for value in PERSONAL_VALUES:
        assert value not in text, value


def test_requests_of_another_tenant_are_missing(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    theirs = other_api.create_subject(emails=["asa.oberg@example.se"])
    request = open_for(api, {"emails": ["asa.oberg@example.se"]})
    assert request["matched_subject_ids"] == []  # another tenant's subject is not ours
    for action, body in (
        ("verify", VERIFIED),
        ("request-information", {"asked": "x", "asked_at": "2026-02-06T09:00:00Z"}),
        ("information-received", {"received_at": "2026-02-07T09:00:00Z"}),
    ):
        assert other_api.post(url(request, action), json=body).status_code == 404, action
    assert api.get(url(request)).json()["status"] == "awaiting_verification"
    mine = open_for(other_api, {"emails": ["asa.oberg@example.se"]})
    assert mine["matched_subject_ids"] == [theirs["id"]]
    linked = other_api.get(
        f"/v1/subjects/{theirs['id']}/access-report?rights_request_id={request['id']}"
    )
    assert linked.status_code == 404
