"""The general objection (Art 21(1)): pending → upheld or rejected, with its effects."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import CONTACT, NOTE, PERSONAL_VALUES, Api, FrozenClock
from tests.notices.helpers import publish_template

GROUNDS = "Jag har slutat på kundföretaget och vill inte analyseras."


@pytest.fixture
def noticed(api: Api) -> Api:
    """A tenant that published Care of's template as its notice."""
    publish_template(api)
    return api


def object_(api: Api, sid: str, purpose: str, grounds: str = GROUNDS) -> Any:
    return api.post(f"/v1/subjects/{sid}/objections", json={"purpose": purpose, "grounds": grounds})


def decide(api: Api, objection_id: str, **body: Any) -> Any:
    return api.post(f"/v1/objections/{objection_id}/decide", json=body)


def records_of(api: Api, sid: str) -> list[str]:
    key = uuid.UUID(sid).hex if api.engine.dialect.name == "sqlite" else uuid.UUID(sid)
    with api.engine.connect() as conn:
        return sorted(
            conn.execute(
                sa.text("SELECT category FROM record WHERE subject_id = :s"), {"s": key}
            ).scalars()
        )


def test_an_objection_is_pending_and_restricts_the_purpose(
    noticed: Api, clock: FrozenClock
) -> None:
    api = noticed
    sid = api.create_subject(records=[CONTACT])["id"]
    created = object_(api, sid, "customer-analysis")
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in ("subject_id", "purpose", "status", "outcome", "decided_at")} == {
        "subject_id": sid,
        "purpose": "customer-analysis",
        "status": "pending",
        "outcome": None,
        "decided_at": None,
    }
    assert created.headers["location"] == f"/v1/objections/{body['id']}"
    assert "grounds" not in body  # the person's words are shown to the person only
    # Restricted for that purpose while pending (Art 18(1)(d)).
    assert api.get(f"/v1/subjects/{sid}").json()["restricted_purposes"] == ["customer-analysis"]
    assert object_(api, sid, "customer-analysis").status_code == 409
    listed = api.get(f"/v1/subjects/{sid}/objections").json()["items"]
    assert [o["id"] for o in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("purpose", "why"),
    [
        ("bookkeeping", "legal basis is neither"),  # Art 6(1)(c): no Art 21(1) objection
        ("contract", "legal basis is neither"),  # Art 6(1)(b)
        ("no-such-purpose", "not a purpose of the published notice"),
    ],
)
def test_only_legitimate_interest_or_public_task_can_be_objected_to(
    noticed: Api, purpose: str, why: str
) -> None:
    sid = noticed.create_subject()["id"]
    refused = object_(noticed, sid, purpose)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "purpose"]
    assert refused.json()["errors"][0]["msg"].startswith(why)
    assert noticed.get(f"/v1/subjects/{sid}/objections").json()["items"] == []


def test_without_a_published_notice_there_is_no_purpose_to_object_to(api: Api) -> None:
    sid = api.create_subject()["id"]
    assert object_(api, sid, "customer-analysis").status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "customer-analysis"},
        {"purpose": "customer-analysis", "grounds": "   "},
        {"purpose": "Customer Analysis", "grounds": "x"},
        {"purpose": "customer-analysis", "grounds": "x", "extra": 1},
    ],
)
def test_bad_bodies_are_422(noticed: Api, body: dict[str, Any]) -> None:
    sid = noticed.create_subject()["id"]
    assert noticed.post(f"/v1/subjects/{sid}/objections", json=body).status_code == 422


def test_a_rejection_needs_the_compelling_grounds_and_lifts_the_restriction(
    noticed: Api, clock: FrozenClock
) -> None:
    api = noticed
    sid = api.create_subject(records=[CONTACT])["id"]
    oid = object_(api, sid, "customer-analysis").json()["id"]
    assert decide(api, oid, outcome="rejected").status_code == 422
    reasons = "The analysis is needed to establish a legal claim against the customer."
    decided = decide(api, oid, outcome="rejected", reasons=reasons)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "decided"
    assert (decided.json()["outcome"], decided.json()["reasons"]) == ("rejected", reasons)
    assert decided.json()["decided_at"] == "2026-11-25T12:00:00Z"
    assert api.get(f"/v1/subjects/{sid}").json()["restricted_purposes"] == []
    assert records_of(api, sid) == ["contact"]
    # Deciding twice is refused; objecting again after a rejection is possible.
    assert decide(api, oid, outcome="upheld").status_code == 409
    assert object_(api, sid, "customer-analysis").status_code == 201


def test_upheld_stops_the_purpose_and_erases_what_only_served_it_unless_held(
    noticed: Api, clock: FrozenClock
) -> None:
    api = noticed
    # In Care of's notice, notes serve only `customer-relationship`.
    sid = api.create_subject(records=[CONTACT, NOTE, NOTE])["id"]
    notes = [r["id"] for r in api.get(f"/v1/subjects/{sid}/records?category=note").json()["items"]]
    hold = api.post("/v1/legal-holds", json={"record_id": notes[1], "reason": "Claim"})
    assert hold.status_code == 201
    oid = object_(api, sid, "customer-relationship").json()["id"]
    upheld = decide(api, oid, outcome="upheld", reasons="No overriding grounds.")
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["erased"] == [{"id": notes[0], "category": "note"}]
    # The contact serves other purposes too; the held note stays (Art 17(3)(e)).
    assert records_of(api, sid) == ["contact", "note"]
    assert api.get(f"/v1/subjects/{sid}").json()["restricted_purposes"] == ["customer-relationship"]
    assert object_(api, sid, "customer-relationship").status_code == 409


def test_the_decision_is_audited_reported_and_sent_with_ids_only(
    noticed: Api, clock: FrozenClock
) -> None:
    api = noticed
    recipient = api.post("/v1/recipients", json={"name": "crm", "url": "http://127.0.0.1:9/hooks"})
    assert recipient.status_code == 201, recipient.text
    sid = api.create_subject(records=[CONTACT])["id"]
    oid = object_(api, sid, "customer-analysis").json()["id"]
    assert decide(api, oid, outcome="upheld", reasons="Stopped.").status_code == 200

    actions = [e["action"] for e in api.get(f"/v1/audit-events?subject_id={sid}").json()["items"]]
    assert "subject.object" in actions and "objection.decide" in actions
    events = api.get("/v1/audit-events").json()["items"]
    assert not any(v in json.dumps(events) for v in [GROUNDS, *PERSONAL_VALUES])

    deliveries = api.get("/v1/deliveries").json()["items"]
    decided = [d for d in deliveries if d["event_type"] == "subject.objection_decided"]
    assert len(decided) == 1
    with api.engine.connect() as conn:
        payloads = [
            p if isinstance(p, dict) else json.loads(p)
            for p in conn.execute(
                sa.text("SELECT payload FROM delivery WHERE tenant_id = :t"), {"t": api.tenant}
            ).scalars()
        ]
    payload = next(p for p in payloads if p["type"] == "subject.objection_decided")
    assert (payload["subject_id"], payload["objection_id"]) == (sid, oid)
    assert (payload["purpose"], payload["outcome"]) == ("customer-analysis", "upheld")
    assert GROUNDS not in json.dumps(payloads)

    report = api.get(f"/v1/subjects/{sid}/access-report?lang=en").json()
    assert [(o["purpose"], o["outcome"], o["grounds"]) for o in report["objections"]] == [
        ("customer-analysis", "upheld", GROUNDS)
    ]


def test_erased_and_foreign_subjects(noticed: Api, other_api: Api) -> None:
    api = noticed
    sid = api.create_subject()["id"]
    oid = object_(api, sid, "customer-analysis").json()["id"]
    publish_template(other_api)
    assert object_(other_api, sid, "customer-analysis").status_code == 404
    assert other_api.get(f"/v1/objections/{oid}").status_code == 404
    assert decide(other_api, oid, outcome="upheld").status_code == 404
    assert other_api.get(f"/v1/subjects/{sid}/objections").status_code == 404
    assert api.post(f"/v1/subjects/{sid}/erasure").status_code == 200
    assert object_(api, sid, "security").status_code == 410
    assert api.get(f"/v1/objections/{oid}").status_code == 404  # erased with the subject
