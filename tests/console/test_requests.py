"""A rights request in the console: recorded, verified, extended, reviewed, completed —
and the API then reports what the console did, audited with the person as actor."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import MEETING, Api, FrozenClock
from tests.console.conftest import Console, audit_rows
from tests.notices.helpers import publish_template

pytestmark = pytest.mark.clock("2026-02-02T09:00:00+01:00")


def open_request(api: Api, **body: Any) -> dict[str, Any]:
    body.setdefault("received_at", "2026-02-02T08:00:00Z")
    response = api.post("/v1/rights-requests", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_new_request_form_opens_a_request_like_the_api(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    page = console.get("/console/requests/new")
    assert page.status_code == 200
    response = console.post(
        "/console/requests/new",
        {
            "type": "access",
            "channel": "letter",
            "received_at": "2026-02-02T09:00",
            "subject_id": subject["id"],
        },
    )
    assert response.status_code == 303, response.text
    request_id = response.headers["location"].rsplit("/", 1)[1]
    shown = console.get(response.headers["location"])
    assert shown.status_code == 200
    assert "The request is recorded." in shown.text
    api_view = api.get(f"/v1/rights-requests/{request_id}").json()
    assert api_view["type"] == "access"
    assert api_view["channel"] == "letter"
    assert api_view["received_at"].startswith("2026-02-02T08:00:00")  # 09:00 in Stockholm
    events = audit_rows(api.engine, api.tenant)
    assert events[-1]["action"] == "rights_request.open"
    assert events[-1]["actor"] == console.actor


def test_new_request_by_email_keeps_the_email_out_of_urls_and_audit(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    api.create_subject(emails=["kim.lund@example.se"])
    response = console.post(
        "/console/requests/new",
        {"type": "erasure", "channel": "email", "received_at": "2026-02-02T09:00",
         "emails": "kim.lund@example.se"},
    )  # fmt: skip
    assert response.status_code == 303
    assert "example.se" not in response.headers["location"]
    page = console.get(response.headers["location"])
    assert "kim.lund@example.se" in page.text  # shown to the desk on the page only
    for event in audit_rows(api.engine, api.tenant):
        assert "example.se" not in str(event)


def test_invalid_new_request_re_renders_with_errors(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    response = console.post(
        "/console/requests/new",
        {"type": "nonsense", "channel": "email", "received_at": "2026-02-02T09:00"},
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert api.get("/v1/rights-requests").json()["items"] == []


def test_verify_extend_complete_change_what_the_api_reports(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    created = open_request(api, type="erasure", subject_id=subject["id"])
    rid = created["id"]
    assert created["status"] == "awaiting_verification"
    page = console.get(f"/console/requests/{rid}")
    assert page.status_code == 200
    assert f"/console/requests/{rid}/verify" in page.text
    assert f"/console/requests/{rid}/extend" not in page.text  # not while unverified

    clock.advance(minutes=20)  # within the idle timeout
    done = console.post(
        f"/console/requests/{rid}/verify",
        {"method": "email_confirmation", "verified_at": "2026-02-02T09:10"},
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/console/requests/{rid}"
    assert api.get(f"/v1/rights-requests/{rid}").json()["status"] == "open"

    done = console.post(
        f"/console/requests/{rid}/extend",
        {"months": "2", "reason": "Many systems to search.", "informed_at": "2026-02-02T09:15"},
    )
    assert done.status_code == 303, done.text
    reported = api.get(f"/v1/rights-requests/{rid}").json()
    assert reported["extension_months"] == 2
    assert reported["extension_reason"] == "Many systems to search."

    page = console.get(f"/console/requests/{rid}")
    assert f"/console/requests/{rid}/extend" not in page.text  # two months used
    assert "Many systems to search." in page.text

    done = console.post(f"/console/requests/{rid}/complete", {"outcome": "fulfilled"})
    assert done.status_code == 303, done.text
    reported = api.get(f"/v1/rights-requests/{rid}").json()
    assert reported["status"] == "completed" and reported["outcome"] == "fulfilled"

    actions = [(e["action"], e["actor"]) for e in audit_rows(api.engine, api.tenant)]
    for action in ("rights_request.verify", "rights_request.extend", "rights_request.complete"):
        assert (action, console.actor) in actions
    completed = [
        e for e in audit_rows(api.engine, api.tenant) if e["action"] == "rights_request.complete"
    ]
    assert str(completed[0]["rights_request_id"]).replace("-", "") == rid.replace("-", "")


def test_a_refused_action_re_renders_with_the_services_message(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    rid = open_request(api, type="access", subject_id=subject["id"])["id"]
    # Unverified: only a refusal is possible, and refusing needs reasons.
    response = console.post(f"/console/requests/{rid}/complete", {"outcome": "refused"})
    assert response.status_code == 422
    assert api.get(f"/v1/rights-requests/{rid}").json()["status"] == "awaiting_verification"
    # A verification in the future is refused by the service (422), nothing changes.
    response = console.post(
        f"/console/requests/{rid}/verify",
        {"method": "email_confirmation", "verified_at": "2026-03-01T10:00"},
    )
    assert response.status_code == 422
    assert "future" in response.text
    assert api.get(f"/v1/rights-requests/{rid}").json()["status"] == "awaiting_verification"


def test_review_decisions_are_taken_in_the_console(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    record = api.add_record(subject["id"], MEETING)
    rid = open_request(api, type="access", subject_id=subject["id"])["id"]
    console.post(
        f"/console/requests/{rid}/verify",
        {"method": "email_confirmation", "verified_at": "2026-02-02T09:00"},
    )
    page = console.get(f"/console/requests/{rid}")
    assert "1 records await a decision" in page.text
    response = console.post(
        f"/console/requests/{rid}/review",
        {"record_id": record["id"], "decision": "redact", "fields": "participants"},
    )
    assert response.status_code == 303, response.text
    state = api.get(f"/v1/rights-requests/{rid}/review").json()
    assert state["pending"] == 0
    assert state["items"][0]["decision"] == "redact"
    assert state["items"][0]["fields"] == ["participants"]
    assert state["items"][0]["decided_by"] == console.actor
    reviewed = [
        e for e in audit_rows(api.engine, api.tenant) if e["action"] == "rights_request.review"
    ]
    assert [e["actor"] for e in reviewed] == [console.actor]
    assert str(reviewed[0]["record_id"]).replace("-", "") == record["id"].replace("-", "")
    # Withheld or redacted: a full answer is refused, the console says why.
    response = console.post(f"/console/requests/{rid}/complete", {"outcome": "fulfilled"})
    assert response.status_code == 409
    assert api.get(f"/v1/rights-requests/{rid}").json()["status"] == "open"


def test_letters_preview_in_both_languages_and_record_as_sent(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    publish_template(api)
    subject = api.create_subject()
    rid = open_request(api, type="erasure", subject_id=subject["id"])["id"]
    page = console.get(f"/console/requests/{rid}")
    assert f"/console/requests/{rid}/letters/acknowledgement?lang=sv" in page.text
    for lang in ("sv", "en"):
        letter = console.get(f"/console/requests/{rid}/letters/acknowledgement?lang={lang}")
        assert letter.status_code == 200, letter.text
        assert '<pre class="letter"' in letter.text
        assert "<script" not in letter.text
    response = console.post(
        f"/console/requests/{rid}/letters/acknowledgement/sent",
        {"channel": "email", "lang": "sv", "sent_at": "2026-02-02T09:00"},
    )
    assert response.status_code == 303, response.text
    sent = api.get(f"/v1/rights-requests/{rid}/letters").json()["sent"]
    assert [(s["kind"], s["lang"], s["channel"]) for s in sent] == [
        ("acknowledgement", "sv", "email")
    ]
    actions = [e["action"] for e in audit_rows(api.engine, api.tenant)]
    assert "rights_request.letter" in actions and "rights_request.letter_sent" in actions


def test_a_letter_that_does_not_exist_yet_is_a_409_page(
    api: Api, console: Console, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    rid = open_request(api, type="erasure", subject_id=subject["id"])["id"]
    response = console.get(f"/console/requests/{rid}/letters/answer?lang=sv")
    assert response.status_code == 409


def test_another_tenants_request_is_a_404_page(
    api: Api, other_api: Api, console: Console, clock: FrozenClock
) -> None:
    subject = other_api.create_subject()
    rid = open_request(other_api, type="access", subject_id=subject["id"])["id"]
    assert console.get(f"/console/requests/{rid}").status_code == 404
    response = console.post(
        f"/console/requests/{rid}/verify",
        {"method": "email_confirmation", "verified_at": "2026-02-02T09:00"},
    )
    assert response.status_code == 404
    assert other_api.get(f"/v1/rights-requests/{rid}").json()["status"] == "awaiting_verification"
    assert console.get("/console/requests/not-a-uuid").status_code == 404


def test_read_only_person_sees_no_actions_and_cannot_act(
    api: Api, console_client: Callable[..., Console], clock: FrozenClock
) -> None:
    subject = api.create_subject()
    rid = open_request(api, type="access", subject_id=subject["id"])["id"]
    reader = console_client(scopes=["rights:read"])
    page = reader.get(f"/console/requests/{rid}")
    assert page.status_code == 200
    assert f"/console/requests/{rid}/verify" not in page.text
    response = reader.post(
        f"/console/requests/{rid}/verify",
        {"method": "email_confirmation", "verified_at": "2026-02-02T09:00"},
    )
    assert response.status_code == 403
    assert api.get(f"/v1/rights-requests/{rid}").json()["status"] == "awaiting_verification"
    assert re.search(r"<h1[^>]*>", page.text)
