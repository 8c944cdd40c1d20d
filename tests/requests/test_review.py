"""Other people's data in an answer (issue 10, § 6): reviewed per record in the request,
and nothing released through the request escapes a decision.

Sources: GDPR Art 15(4) and recital 63 (the copy shall not adversely affect the rights
and freedoms of others); EDPB Guidelines 01/2022 on the right of access, §§ 169-173
(weigh record by record; restrict, do not refuse everything).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from app.rights.labels import FIELDS, TEXT
from tests.conftest import Api, FrozenClock
from tests.notices.helpers import publish_template
from tests.requests.test_rights_requests import no_verification
from tests.rights.test_access_report_html import Document, assert_accessible, assert_same_content

pytestmark = pytest.mark.clock("2026-11-20T12:00:00Z")

# Other people: a colleague the note judges, participants of the meeting.
COLLEAGUE_OPINION = "Colleague Bertil Kvist was rude on the phone"
PARTICIPANTS = ["Åsa Öberg", "Bertil Kvist", "Cecilia Lund"]


def person_with_others_data(api: Api) -> dict[str, Any]:
    subject = api.create_subject(emails=["asa.oberg@example.se"])
    sid = subject["id"]
    contact = api.add_record(
        sid,
        {
            "category": "contact",
            "source": "crm",
            "origin": "provided",
            "data": {"name": "Åsa Öberg", "title": "CFO"},
        },
    )
    meeting = api.add_record(
        sid,
        {
            "category": "meeting",
            "source": "calendar",
            "origin": "provided",
            "data": {
                "start": "2026-11-10T09:00:00Z",
                "end": "2026-11-10T10:00:00Z",
                "subject": "Renewal",
                "participants": PARTICIPANTS,
            },
        },
    )
    note = api.add_record(
        sid,
        {
            "category": "note",
            "source": "crm",
            "origin": "provided",
            "data": {"text": COLLEAGUE_OPINION},
        },
    )
    return {"subject": subject, "contact": contact, "meeting": meeting, "note": note}


def open_access(api: Api, subject_id: str, type: str = "access") -> dict[str, Any]:
    response = api.post(
        "/v1/rights-requests",
        json={"type": type, "subject_id": subject_id, "received_at": "2026-11-18T09:00:00Z"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def decide(api: Api, request: dict[str, Any], **body: Any) -> Any:
    return api.post(f"/v1/rights-requests/{request['id']}/review", json=body)


def released(api: Api, sid: str, rid: str) -> dict[str, Any]:
    """Everything released through the request, as text, keyed by form."""
    query = f"rights_request_id={rid}"
    report = api.get(f"/v1/subjects/{sid}/access-report?{query}")
    html = api.get(
        f"/v1/subjects/{sid}/access-report?{query}&lang=en", headers={"Accept": "text/html"}
    )
    export_json = api.get(f"/v1/subjects/{sid}/export?{query}")
    export_csv = api.get(f"/v1/subjects/{sid}/export?{query}&format=csv")
    for response in (report, html, export_json, export_csv):
        assert response.status_code == 200, response.text
    return {
        "report": report.json(),
        "html": html.text,
        "export": export_json.json(),
        "csv": export_csv.text,
    }


def test_a_reviewed_redaction_never_leaves_through_report_or_export(
    api: Api, clock: FrozenClock
) -> None:
    """The issue's Done-when: the meeting goes out without its participants, the note
    about a colleague not at all — in the JSON and HTML report and the JSON and CSV
    export — and the answer says so."""
    no_verification(api)
    held = person_with_others_data(api)
    sid = held["subject"]["id"]
    request = open_access(api, sid)
    rid = request["id"]

    # Before the review, nothing leaves through the request.
    for url in (
        f"/v1/subjects/{sid}/access-report?rights_request_id={rid}",
        f"/v1/subjects/{sid}/export?rights_request_id={rid}",
        f"/v1/subjects/{sid}/export?rights_request_id={rid}&format=csv",
    ):
        blocked = api.get(url)
        assert blocked.status_code == 409, blocked.text
        problem = blocked.json()
        assert problem["type"].endswith("review-pending")
        assert problem["pending"] == 2
        assert problem["review"] == f"/v1/rights-requests/{rid}/review"

    state = api.get(f"/v1/rights-requests/{rid}/review").json()
    assert state["categories"] == ["note", "meeting"]
    assert state["pending"] == 2 and state["complete"] is False
    assert {item["record"]["id"] for item in state["items"]} == {
        held["meeting"]["id"],
        held["note"]["id"],
    }
    assert all(item["decision"] is None and item["review_required"] for item in state["items"])

    redact = decide(
        api, request, record_id=held["meeting"]["id"], decision="redact", fields=["participants"]
    )
    assert redact.status_code == 200, redact.text
    assert redact.json()["decision"] == "redact" and redact.json()["fields"] == ["participants"]
    assert redact.json()["decided_by"] == api.sub
    assert redact.json()["decided_at"] == "2026-11-20T12:00:00Z"
    assert (
        decide(api, request, record_id=held["note"]["id"], decision="withhold").status_code == 200
    )
    state = api.get(f"/v1/rights-requests/{rid}/review").json()
    assert state["pending"] == 0 and state["complete"] is True

    out = released(api, sid, rid)
    report = out["report"]
    by_id = {r["id"]: r for r in report["records"]}
    assert set(by_id) == {held["contact"]["id"], held["meeting"]["id"]}
    assert "participants" not in by_id[held["meeting"]["id"]]["data"]
    assert by_id[held["meeting"]["id"]]["data"]["subject"] == "Renewal"
    assert report["third_party_review"] == {
        "rights_request_id": rid,
        "article": "artikel 15.4 i dataskyddsförordningen",
        "withheld_records": 1,
        "redacted": [{"record_id": held["meeting"]["id"], "fields": ["participants"]}],
    }
    # What Art 15(1) says about the processing still counts the withheld note.
    assert {c["category"]: c["records"] for c in report["categories"]}["note"] == 1

    export = out["export"]
    assert [r["id"] for r in export["records"]] == [held["contact"]["id"], held["meeting"]["id"]]
    assert export["third_party_review"]["withheld_records"] == 1
    rows = list(csv.DictReader(io.StringIO(out["csv"])))
    assert held["note"]["id"] not in {row["record_id"] for row in rows}
    assert not [row for row in rows if row["field"].startswith("participants")]

    everything = [json.dumps(report, ensure_ascii=False), json.dumps(export, ensure_ascii=False)]
    for text in [*everything, out["html"], out["csv"]]:
        for other in ("Bertil Kvist", "Cecilia Lund", COLLEAGUE_OPINION):
            assert other not in text, other
    assert "Renewal" in out["html"]
    assert "Art 15(4)" in out["html"]  # the person reads why something was left out

    # The desk's own view, outside any request, still shows everything.
    internal = api.get(f"/v1/subjects/{sid}/access-report").json()
    assert internal["third_party_review"] is None
    assert len(internal["records"]) == 3


def test_a_later_decision_replaces_the_earlier_and_a_completed_review_is_fixed(
    api: Api, clock: FrozenClock
) -> None:
    no_verification(api)
    held = person_with_others_data(api)
    sid, request = held["subject"]["id"], open_access(api, held["subject"]["id"])
    rid = request["id"]
    meeting, note = held["meeting"]["id"], held["note"]["id"]
    assert decide(api, request, record_id=meeting, decision="withhold").status_code == 200
    assert decide(api, request, record_id=note, decision="release").status_code == 200
    clock.advance(minutes=5)
    again = decide(api, request, record_id=meeting, decision="release")
    assert again.status_code == 200 and again.json()["decided_at"] == "2026-11-20T12:05:00Z"
    report = api.get(f"/v1/subjects/{sid}/access-report?rights_request_id={rid}").json()
    assert len(report["records"]) == 3
    assert report["third_party_review"]["withheld_records"] == 0
    assert report["third_party_review"]["redacted"] == []

    # The contact record is not one to review, but the desk may still decide on it.
    contact = decide(api, request, record_id=held["contact"]["id"], decision="withhold")
    assert contact.status_code == 200 and contact.json()["review_required"] is False
    items = api.get(f"/v1/rights-requests/{rid}/review").json()["items"]
    assert len(items) == 3

    # Something was withheld: the answer is a partial one, with the reasons.
    full = api.post(f"/v1/rights-requests/{rid}/complete", json={"outcome": "fulfilled"})
    assert full.status_code == 409, full.text
    assert "partially_fulfilled" in full.json()["detail"]
    done = api.post(
        f"/v1/rights-requests/{rid}/complete",
        json={
            "outcome": "partially_fulfilled",
            "reasons": "One record concerns other people and is not given (Art 15(4)).",
        },
    )
    assert done.status_code == 200, done.text
    late = decide(api, request, record_id=meeting, decision="withhold")
    assert late.status_code == 409, late.text
    events = api.get(f"/v1/audit-events?rights_request_id={rid}").json()["items"]
    reviews = [e for e in events if e["action"] == "rights_request.review"]
    assert len(reviews) == 4
    assert {e["record_id"] for e in reviews} == {meeting, note, held["contact"]["id"]}
    assert "Bertil" not in json.dumps(events) and "Renewal" not in json.dumps(events)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"decision": "redact"}, None),
        ({"decision": "redact", "fields": []}, None),
        ({"decision": "withhold", "fields": ["participants"]}, None),
        ({"decision": "redact", "fields": ["participants", "nonsense"]}, "fields"),
        ({"decision": "redact", "fields": ["text"]}, "fields"),  # a note's field
        ({"decision": "publish"}, "decision"),
        ({"decision": "release", "extra": 1}, "extra"),
    ],
)
def test_a_decision_that_cannot_apply_is_refused(
    api: Api, clock: FrozenClock, body: dict[str, Any], loc: str | None
) -> None:
    no_verification(api)
    held = person_with_others_data(api)
    request = open_access(api, held["subject"]["id"])
    response = decide(api, request, record_id=held["meeting"]["id"], **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if loc is not None:
        assert loc in json.dumps(response.json()["errors"])
    state = api.get(f"/v1/rights-requests/{request['id']}/review").json()
    assert state["pending"] == 2  # nothing recorded


def test_records_outside_the_request_and_other_tenants_are_not_reviewable(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    no_verification(api)
    no_verification(other_api)
    held = person_with_others_data(api)
    request = open_access(api, held["subject"]["id"])
    someone_else = api.create_subject()
    their_note = api.add_record(
        someone_else["id"],
        {"category": "note", "source": "crm", "origin": "provided", "data": {"text": "x"}},
    )
    foreign = person_with_others_data(other_api)
    for record_id in (
        their_note["id"],
        foreign["note"]["id"],
        "019ab2c4-5d6e-7f00-8a1b-000000000000",
    ):
        response = decide(api, request, record_id=record_id, decision="release")
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "record_id"]
    # Another tenant's request is not found, to read or to decide on.
    assert other_api.get(f"/v1/rights-requests/{request['id']}/review").status_code == 404
    foreign_decision = decide(
        other_api, request, record_id=foreign["note"]["id"], decision="release"
    )
    assert foreign_decision.status_code == 404


def test_the_review_covers_every_duplicate_the_request_matched(
    api: Api, clock: FrozenClock
) -> None:
    """Two subjects of one person (two imports): a request by email covers both, and
    the review lists the meetings of both, a page at a time."""
    no_verification(api)
    first = person_with_others_data(api)
    second = api.create_subject(emails=["ASA.OBERG@example.se"])
    second_meeting = api.add_record(
        second["id"],
        {
            "category": "meeting",
            "source": "import",
            "origin": "observed",
            "data": {
                "start": "2026-10-01T09:00:00Z",
                "end": "2026-10-01T09:30:00Z",
                "participants": ["Bertil Kvist"],
            },
        },
    )
    opened = api.post(
        "/v1/rights-requests",
        json={
            "type": "access",
            "requester": {"emails": ["asa.oberg@example.se"]},
            "received_at": "2026-11-18T09:00:00Z",
        },
    )
    assert opened.status_code == 201, opened.text
    request = opened.json()
    assert len(request["matched_subject_ids"]) == 2
    page = api.get(f"/v1/rights-requests/{request['id']}/review?limit=2").json()
    assert page["pending"] == 3 and len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(
        f"/v1/rights-requests/{request['id']}/review?limit=2&cursor={page['next_cursor']}"
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    listed = {item["record"]["id"] for item in page["items"] + rest["items"]}
    assert listed == {first["meeting"]["id"], first["note"]["id"], second_meeting["id"]}

    # The second subject's export through the request waits for its own meeting only.
    blocked = api.get(f"/v1/subjects/{second['id']}/export?rights_request_id={request['id']}")
    assert blocked.status_code == 409 and blocked.json()["pending"] == 1
    assert (
        decide(
            api, request, record_id=second_meeting["id"], decision="redact", fields=["participants"]
        ).status_code
        == 200
    )
    export = api.get(f"/v1/subjects/{second['id']}/export?rights_request_id={request['id']}")
    assert export.status_code == 200 and "Bertil" not in export.text
    # The first subject's records are still undecided: its report still waits.
    still = api.get(
        f"/v1/subjects/{first['subject']['id']}/access-report?rights_request_id={request['id']}"
    )
    assert still.status_code == 409 and still.json()["pending"] == 2


def test_a_request_awaiting_verification_releases_nothing_even_when_reviewed(
    api: Api, clock: FrozenClock
) -> None:
    """The review can start at once; the release still waits for the person's identity."""
    held = person_with_others_data(api)
    sid = held["subject"]["id"]
    request = open_access(api, sid)
    assert request["status"] == "awaiting_verification"
    for record in (held["meeting"], held["note"]):
        assert decide(api, request, record_id=record["id"], decision="release").status_code == 200
    report = api.get(f"/v1/subjects/{sid}/access-report?rights_request_id={request['id']}")
    assert report.status_code == 409 and "verification" in report.json()["detail"]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_released_html_report_has_exactly_the_released_json_content(
    api: Api, clock: FrozenClock, lang: str
) -> None:
    """The readable report a person receives through the request says what the JSON
    says, the review included; and what was taken out is not in either."""
    no_verification(api)
    held = person_with_others_data(api)
    sid = held["subject"]["id"]
    request = open_access(api, sid)
    rid = request["id"]
    assert (
        decide(
            api,
            request,
            record_id=held["meeting"]["id"],
            decision="redact",
            fields=["participants"],
        ).status_code
        == 200
    )
    assert (
        decide(api, request, record_id=held["note"]["id"], decision="withhold").status_code == 200
    )
    query = f"rights_request_id={rid}&lang={lang}"
    report = api.get(f"/v1/subjects/{sid}/access-report?{query}").json()
    html = api.get(f"/v1/subjects/{sid}/access-report?{query}", headers={"Accept": "text/html"})
    assert html.status_code == 200, html.text
    document = Document(html.text)
    assert_accessible(document)
    assert assert_same_content(report, document) > 20
    assert TEXT["redacted_value"][lang] in document.text
    assert FIELDS["meeting"]["participants"][lang] in document.text
    assert "Bertil" not in html.text and COLLEAGUE_OPINION not in html.text


def test_a_review_that_released_everything_allows_a_fulfilled_answer(
    api: Api, clock: FrozenClock
) -> None:
    no_verification(api)
    held = person_with_others_data(api)
    request = open_access(api, held["subject"]["id"])
    for record in (held["meeting"], held["note"]):
        assert decide(api, request, record_id=record["id"], decision="release").status_code == 200
    done = api.post(f"/v1/rights-requests/{request['id']}/complete", json={"outcome": "fulfilled"})
    assert done.status_code == 200, done.text


def test_the_tenant_chooses_the_categories_to_review(api: Api, clock: FrozenClock) -> None:
    """`third_party_review_categories`: a tenant whose contact records carry other
    people's data reviews those too; one that reviews nothing releases at once."""
    no_verification(api)
    admin = api.headers(["admin"])
    settings = api.client.get("/v1/tenant-settings", headers=admin).json()
    assert settings["third_party_review_categories"] == ["note", "meeting"]
    held = person_with_others_data(api)
    sid = held["subject"]["id"]
    request = open_access(api, sid)
    rid = request["id"]

    changed = api.client.put(
        "/v1/tenant-settings",
        json={"verification_required": False, "third_party_review_categories": ["contact"] * 2},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["third_party_review_categories"] == ["contact"]
    state = api.get(f"/v1/rights-requests/{rid}/review").json()
    assert state["categories"] == ["contact"] and state["pending"] == 1
    assert [i["record"]["id"] for i in state["items"]] == [held["contact"]["id"]]

    nothing = api.client.put(
        "/v1/tenant-settings",
        json={"verification_required": False, "third_party_review_categories": []},
        headers={**admin, "If-Match": changed.headers["ETag"]},
    )
    assert nothing.status_code == 200, nothing.text
    report = api.get(f"/v1/subjects/{sid}/access-report?rights_request_id={rid}")
    assert report.status_code == 200 and len(report.json()["records"]) == 3

    for bad in (["letters"], "note", [1]):
        refused = api.client.put(
            "/v1/tenant-settings",
            json={"third_party_review_categories": bad},
            headers={**admin, "If-Match": nothing.headers["ETag"]},
        )
        assert refused.status_code == 422, refused.text


@pytest.mark.parametrize("fmt", ["html", "text"])
def test_a_reviewed_redaction_never_leaves_through_the_answer_letter(
    api: Api, clock: FrozenClock, fmt: str
) -> None:
    """The answer letter holds the access report as released through the request: no
    participant taken out, no withheld note — and until the review is done there is no
    answer to send (409)."""
    publish_template(api)
    no_verification(api)
    held = person_with_others_data(api)
    request = open_access(api, held["subject"]["id"])
    rid = request["id"]
    meeting, note = held["meeting"]["id"], held["note"]["id"]
    assert decide(api, request, record_id=meeting, decision="release").status_code == 200
    # The note is not decided: no answer is given, and none can be completed.
    done = api.post(f"/v1/rights-requests/{rid}/complete", json={"outcome": "fulfilled"})
    assert done.status_code == 409 and "not reviewed" in done.json()["detail"]
    letter = f"/v1/rights-requests/{rid}/letters/answer?lang=en&format={fmt}"
    assert api.get(letter).status_code == 409
    # A refusal gives nothing, so it needs no review.
    refused = api.post(
        f"/v1/rights-requests/{rid}/complete",
        json={"outcome": "refused", "reasons": "Asked last week.", "refusal_grounds": "excessive"},
    )
    assert refused.status_code == 200, refused.text

    second = open_access(api, held["subject"]["id"])
    decide(api, second, record_id=meeting, decision="redact", fields=["participants"])
    decide(api, second, record_id=note, decision="withhold")
    completed = api.post(
        f"/v1/rights-requests/{second['id']}/complete",
        json={"outcome": "partially_fulfilled", "reasons": "Other people's data (Art 15(4))."},
    )
    assert completed.status_code == 200, completed.text
    answer = api.get(f"/v1/rights-requests/{second['id']}/letters/answer?lang=en&format={fmt}")
    assert answer.status_code == 200, answer.text
    for other in ("Bertil Kvist", "Cecilia Lund", COLLEAGUE_OPINION):
        assert other not in answer.text
    if fmt == "html":
        assert "Renewal" in answer.text and note not in answer.text
        assert TEXT["redacted_value"]["en"] in answer.text
