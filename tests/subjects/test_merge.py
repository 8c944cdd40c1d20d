"""Merging duplicates: one person, one subject (issue 10 §7; Art 15, 17, 18, 21).

A duplicate's identifiers, records (with their history), restrictions, holds and
objections move into the target; the duplicate's id keeps answering with 308; erasure
of the target reaches everything the duplicates held.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from app.retention.models import RelationshipEnd
from app.subjects.models import Subject
from tests.conftest import CONTACT, INVOICE_2024, NOTE, PERSONAL_VALUES, Api, FrozenClock
from tests.invariants.test_races import TRIALS, together


def merge(api: Api, target: str, *ids: str, **kw: Any) -> Any:
    return api.post(f"/v1/subjects/{target}/merge", json={"subject_ids": list(ids)}, **kw)


def contact(email: str, phone: str = "+46701234567") -> dict[str, Any]:
    data = {**CONTACT["data"], "email": email, "phone": phone}
    return {**CONTACT, "data": data}


def record_ids(api: Api, sid: str) -> set[str]:
    response = api.get(f"/v1/subjects/{sid}/records?limit=500")
    assert response.status_code == 200, response.text
    return {r["id"] for r in response.json()["items"]}


def relationship_ends(api: Api) -> dict[str, str]:
    with api.engine.connect() as conn:
        rows = conn.execute(
            sa.select(RelationshipEnd.subject_id, RelationshipEnd.ended_on).where(
                RelationshipEnd.tenant_id == api.tenant
            )
        ).all()
    return {str(sid): day.isoformat() for sid, day in rows}


def marketing(api: Api, **body: Any) -> list[tuple[bool, str | None]]:
    response = api.post("/v1/marketing/check", json=body, scopes=["marketing:check"])
    assert response.status_code == 200, response.text
    return [(r["allowed"], r["reason"]) for r in response.json()["results"]]


def test_merge_moves_identifiers_refs_records_and_history(api: Api) -> None:
    target = api.create_subject(
        emails=["asa.oberg@example.se"], external_refs=[{"system": "crm", "id": "C-1"}]
    )
    duplicate = api.create_subject(
        emails=["ASA.OBERG@example.se", "asa@example.se"],
        phones=["070-123 45 67"],
        external_refs=[{"system": "billing", "id": "B-9"}],
    )
    note = api.add_record(duplicate["id"], NOTE)
    patched = api.patch(f"/v1/records/{note['id']}", json={"data": {"text": "Prefers email"}})
    assert patched.status_code == 200, patched.text
    own = api.add_record(target["id"], NOTE)

    response = merge(api, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["merged_subject_ids"] == [duplicate["id"]]
    assert report["moved"]["records"] == 1
    assert report["moved"]["identifiers"] == 2  # the shared email is kept once
    assert report["moved"]["external_refs"] == 1
    subject = report["subject"]
    assert sorted(subject["emails"]) == ["asa.oberg@example.se", "asa@example.se"]
    assert subject["phones"] == ["+46701234567"]
    assert sorted((r["system"], r["id"]) for r in subject["external_refs"]) == [
        ("billing", "B-9"),
        ("crm", "C-1"),
    ]
    assert response.headers["etag"] == f'"{subject["version"]}"'

    assert record_ids(api, target["id"]) == {note["id"], own["id"]}
    moved = api.get(f"/v1/records/{note['id']}").json()
    assert moved["subject_id"] == target["id"]
    assert moved["data"] == {"text": "Prefers email"}
    history = api.get(f"/v1/records/{note['id']}/history")
    assert history.status_code == 200, history.text
    assert [h["fields"] for h in history.json()["items"]] == [["text"]]

    # Search never lists the merged subject; every identifier finds the target.
    for query in (
        {"email": "asa@example.se"},
        {"phone": "+46701234567"},
        {"external_ref": {"system": "billing", "id": "B-9"}},
    ):
        found = api.post("/v1/subjects/search", json=query).json()["items"]
        assert [s["id"] for s in found] == [target["id"]]
    with api.engine.connect() as conn:
        status, merged_into = conn.execute(
            sa.select(Subject.status, Subject.merged_into).where(
                Subject.id == uuid.UUID(duplicate["id"])
            )
        ).one()
    assert (status, str(merged_into)) == ("merged", target["id"])


def test_erasing_the_target_after_a_merge_reaches_the_duplicates_data(api: Api) -> None:
    target = api.create_subject(records=[contact("asa.oberg@example.se")])
    duplicate = api.create_subject(
        emails=["asa@example.se"], records=[contact("asa@example.se", "+46709999999"), NOTE]
    )
    dup_records = record_ids(api, duplicate["id"])
    assert merge(api, target["id"], duplicate["id"]).status_code == 200

    report = api.post(f"/v1/subjects/{target['id']}/erasure").json()
    assert dup_records <= {r["id"] for r in report["erased"]}
    assert report["kept"] == []
    with api.engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM subject_identifier WHERE tenant_id = :t"),
            {"t": api.tenant},
        ).scalar_one()
        records = conn.execute(
            sa.text("SELECT count(*) FROM record WHERE tenant_id = :t"), {"t": api.tenant}
        ).scalar_one()
    assert (left, records) == (0, 0)
    # The duplicate's id answers for the erased person.
    response = api.get(f"/v1/subjects/{duplicate['id']}")
    assert response.json()["status"] == "erased"
    for query in ({"email": "asa@example.se"}, {"phone": "+46709999999"}):
        assert api.post("/v1/subjects/search", json=query).json()["items"] == []


def test_an_objecting_duplicate_makes_the_person_objecting(api: Api) -> None:
    target = api.create_subject(emails=["asa.oberg@example.se"])
    duplicate = api.create_subject(emails=["asa@example.se"], phones=["+46701234567"])
    objected = api.post(f"/v1/subjects/{duplicate['id']}/marketing-objection")
    assert objected.status_code in (200, 201), objected.text
    assert marketing(api, subject_ids=[target["id"]]) == [(True, None)]

    response = merge(api, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    assert response.json()["subject"]["marketing_objection"] is True
    assert api.get(f"/v1/subjects/{target['id']}").json()["marketing_objection"] is True
    # Every identifier of the person, and both ids, answer the objection.
    assert (
        marketing(
            api,
            emails=["asa.oberg@example.se", "asa@example.se"],
            phones=["+46701234567"],
            subject_ids=[target["id"], duplicate["id"]],
        )
        == [(False, "objection")] * 5
    )


def test_the_marketing_check_by_a_merged_id_answers_for_the_target(api: Api) -> None:
    target = api.create_subject()
    duplicate = api.create_subject()
    assert merge(api, target["id"], duplicate["id"]).status_code == 200
    assert marketing(api, subject_ids=[duplicate["id"]]) == [(True, None)]
    assert (
        api.post(
            f"/v1/subjects/{target['id']}/restriction", json={"reason": "Contested"}
        ).status_code
        == 200
    )
    assert marketing(api, subject_ids=[duplicate["id"]]) == [(False, "restricted")]


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_held_records_stay_held_after_the_merge(api: Api, clock: FrozenClock) -> None:
    target = api.create_subject()
    duplicate = api.create_subject()
    invoice = api.add_record(duplicate["id"], INVOICE_2024)  # Bokföringslagen: to 2031-12-31
    note = api.add_record(duplicate["id"], NOTE)
    free = api.add_record(duplicate["id"], {**NOTE, "data": {"text": "Free"}})
    subject_hold = api.post(
        "/v1/legal-holds", json={"subject_id": duplicate["id"], "reason": "Dispute T 1-26"}
    ).json()
    record_hold = api.post(
        "/v1/legal-holds", json={"record_id": note["id"], "reason": "Claim"}
    ).json()

    response = merge(api, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    assert response.json()["moved"]["legal_holds"] == 2

    holds = api.get(f"/v1/legal-holds?subject_id={target['id']}").json()["items"]
    assert {h["id"] for h in holds} == {subject_hold["id"], record_hold["id"]}
    assert all(h["subject_id"] == target["id"] and h["active"] for h in holds)
    # The guard still refuses changing or deleting them.
    for record in (invoice, note, free):
        assert api.delete(f"/v1/records/{record['id']}").status_code == 409
    assert api.patch(f"/v1/records/{note['id']}", json={"data": {"text": "x"}}).status_code == 409

    # Released, the subject-level hold no longer keeps the free note; the others stay.
    assert api.post(f"/v1/legal-holds/{subject_hold['id']}/release").status_code == 200
    report = api.post(f"/v1/subjects/{target['id']}/erasure").json()
    assert {r["id"] for r in report["erased"]} == {free["id"]}
    kept = {r["id"]: {h["kind"] for h in r["holds"]} for r in report["kept"]}
    assert kept == {invoice["id"]: {"statutory"}, note["id"]: {"legal"}}


def test_the_guard_still_refuses_moving_a_held_record_outside_a_merge(api: Api) -> None:
    from sqlmodel import Session

    from app.core.db import new_tenant_session
    from app.retention.guard import RecordHeld
    from app.subjects.models import Record

    source = api.create_subject()
    other = api.create_subject()
    invoice = api.add_record(source["id"], INVOICE_2024)
    session: Session = new_tenant_session(api.engine, api.tenant)
    try:
        record = session.get(Record, uuid.UUID(invoice["id"]))
        assert record is not None
        record.subject_id = uuid.UUID(other["id"])
        with pytest.raises(RecordHeld):
            session.flush()
    finally:
        session.rollback()
        session.close()


def test_a_restricted_duplicate_keeps_its_records_restricted(api: Api) -> None:
    target = api.create_subject()
    kept_free = api.add_record(target["id"], NOTE)
    duplicate = api.create_subject()
    note = api.add_record(duplicate["id"], NOTE)
    restricted = api.post(
        f"/v1/subjects/{duplicate['id']}/restriction", json={"reason": "Accuracy contested"}
    )
    assert restricted.status_code == 200, restricted.text

    response = merge(api, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    assert response.json()["moved"]["restrictions"] == 1
    assert api.get(f"/v1/records/{note['id']}").status_code == 423
    assert api.get(f"/v1/records/{kept_free['id']}").status_code == 200
    state = api.get(f"/v1/subjects/{target['id']}/restriction").json()
    assert state["subject_restricted"] is False
    assert state["restricted_record_ids"] == [note["id"]]
    assert [(r["record_id"], r["reason"]) for r in state["restrictions"]] == [
        (note["id"], "Accuracy contested")
    ]
    # Lifting the target's restrictions lifts what came from the duplicate.
    assert api.delete(f"/v1/subjects/{target['id']}/restriction").status_code == 200
    assert api.get(f"/v1/records/{note['id']}").status_code == 200


def test_a_merged_id_redirects_with_308_on_every_path_and_method(api: Api) -> None:
    target = api.create_subject()
    duplicate = api.create_subject()
    assert merge(api, target["id"], duplicate["id"]).status_code == 200
    old, new = duplicate["id"], target["id"]
    calls = [
        ("GET", f"/v1/subjects/{old}", None, f"/v1/subjects/{new}"),
        ("GET", f"/v1/subjects/{old}/records?limit=5", None, f"/v1/subjects/{new}/records?limit=5"),
        ("POST", f"/v1/subjects/{old}/records", NOTE, f"/v1/subjects/{new}/records"),
        ("GET", f"/v1/subjects/{old}/access-report", None, f"/v1/subjects/{new}/access-report"),
        ("POST", f"/v1/subjects/{old}/erasure", None, f"/v1/subjects/{new}/erasure"),
        ("DELETE", f"/v1/subjects/{old}/restriction", None, f"/v1/subjects/{new}/restriction"),
        (
            "PUT",
            f"/v1/subjects/{old}/relationship-end",
            {"ended_on": "2026-03-31"},
            f"/v1/subjects/{new}/relationship-end",
        ),
        ("POST", f"/v1/subjects/{old}/merge", {"subject_ids": [str(uuid.uuid4())]}, None),
    ]
    for method, url, body, location in calls:
        response = api.client.request(
            method, url, json=body, headers=api.headers(), follow_redirects=False
        )
        assert response.status_code == 308, (method, url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["moved_to"] == new
        expected = location or f"/v1/subjects/{new}/merge"
        assert response.headers["location"] == expected, (method, url)
    # Nothing was written through the merged id; following the redirect writes to the target.
    assert record_ids(api, new) == set()
    followed = api.post(f"/v1/subjects/{old}/records", json=NOTE)
    assert followed.status_code == 201, followed.text
    assert followed.json()["subject_id"] == new
    assert api.get(f"/v1/subjects/{new}").json()["status"] == "active"


def test_refusals(api: Api, other_api: Api) -> None:
    target = api.create_subject()
    duplicate = api.create_subject()
    erased = api.create_subject()
    assert api.post(f"/v1/subjects/{erased['id']}/erasure").status_code == 200
    foreign = other_api.create_subject()

    assert merge(api, target["id"], erased["id"]).status_code == 409
    assert merge(api, erased["id"], duplicate["id"]).status_code == 409
    assert merge(api, target["id"], foreign["id"]).status_code == 404
    assert merge(api, foreign["id"], duplicate["id"]).status_code == 404
    assert merge(api, target["id"], str(uuid.uuid4())).status_code == 404
    bodies: list[dict[str, Any]] = [
        {"subject_ids": [target["id"]]},
        {"subject_ids": [duplicate["id"], duplicate["id"]]},
        {"subject_ids": []},
        {"subject_ids": [str(uuid.uuid4()) for _ in range(51)]},
        {"subject_ids": ["not-an-id"]},
        {},
    ]
    for body in bodies:
        response = api.post(f"/v1/subjects/{target['id']}/merge", json=body)
        assert response.status_code == 422, (body, response.text)
    assert merge(api, target["id"], duplicate["id"], scopes=["subjects:write"]).status_code == 403
    stale = merge(api, target["id"], duplicate["id"], headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    # Nothing of the refused calls changed anything.
    assert api.get(f"/v1/subjects/{duplicate['id']}").json()["status"] == "active"
    assert other_api.get(f"/v1/subjects/{foreign['id']}").json()["status"] == "active"

    version = api.get(f"/v1/subjects/{target['id']}").headers["etag"]
    ok = merge(api, target["id"], duplicate["id"], headers={"If-Match": version})
    assert ok.status_code == 200, ok.text
    # A retried merge is harmless; a merged subject cannot be merged elsewhere.
    again = merge(api, target["id"], duplicate["id"])
    assert (again.status_code, again.json()["merged_subject_ids"]) == (200, [])
    third = api.create_subject()
    assert merge(api, third["id"], duplicate["id"]).status_code == 409
    # Holds on a merged id are refused, naming the subject to hold instead.
    hold = api.post("/v1/legal-holds", json={"subject_id": duplicate["id"], "reason": "Claim"})
    assert hold.status_code == 409
    assert hold.json()["moved_to"] == target["id"]


def test_a_chain_of_merges_redirects_in_one_hop(api: Api) -> None:
    first, second, third = (api.create_subject() for _ in range(3))
    assert merge(api, second["id"], first["id"]).status_code == 200
    assert merge(api, third["id"], second["id"]).status_code == 200
    response = api.get(f"/v1/subjects/{first['id']}", follow_redirects=False)
    assert response.headers["location"] == f"/v1/subjects/{third['id']}"


def test_objections_notices_and_relationship_end_move(api: Api, clock: FrozenClock) -> None:
    from tests.notices.helpers import publish_template

    publish_template(api)
    target = api.create_subject(records=[NOTE])
    duplicate = api.create_subject(records=[NOTE])
    objection = api.post(
        f"/v1/subjects/{duplicate['id']}/objections",
        json={"purpose": "customer-analysis", "grounds": "I do not want this."},
    )
    assert objection.status_code == 201, objection.text
    for sid, given_at in (
        (target["id"], "2026-11-20T10:00:00Z"),
        (duplicate["id"], "2026-11-02T10:00:00Z"),
    ):
        given = api.post(
            f"/v1/subjects/{sid}/notice-given",
            json={"channel": "email", "given_at": given_at, "notice_version": 1},
        )
        assert given.status_code == 201, given.text
    for sid, day in ((target["id"], "2026-03-31"), (duplicate["id"], "2026-06-30")):
        assert api.client.put(
            f"/v1/subjects/{sid}/relationship-end", json={"ended_on": day}, headers=api.headers()
        ).status_code in (200, 201)

    response = merge(api, target["id"], duplicate["id"])
    assert response.status_code == 200, response.text
    assert response.json()["moved"]["objections"] == 1
    subject = api.get(f"/v1/subjects/{target['id']}").json()
    assert subject["restricted_purposes"] == ["customer-analysis"]
    assert subject["notice_given_at"] == "2026-11-02T10:00:00Z"
    listed = api.get(f"/v1/subjects/{target['id']}/objections").json()["items"]
    assert [o["id"] for o in listed] == [objection.json()["id"]]
    given = api.get(f"/v1/subjects/{target['id']}/notices-given").json()["items"]
    assert len(given) == 2
    # The later end: no hold on that basis ends earlier than before.
    assert relationship_ends(api) == {target["id"]: "2026-06-30"}


def test_an_ongoing_relationship_wins(api: Api) -> None:
    target = api.create_subject()
    duplicate = api.create_subject()
    assert api.client.put(
        f"/v1/subjects/{target['id']}/relationship-end",
        json={"ended_on": "2026-03-31"},
        headers=api.headers(),
    ).status_code in (200, 201)
    assert merge(api, target["id"], duplicate["id"]).status_code == 200
    assert relationship_ends(api) == {}


def test_the_merge_is_audited_and_sent_with_ids_only(api: Api) -> None:
    recipient = api.post(
        "/v1/recipients",
        json={"name": "crm", "url": "http://127.0.0.1:9/hooks", "event_types": ["subject.merged"]},
    )
    assert recipient.status_code == 201, recipient.text
    target = api.create_subject(records=[CONTACT])
    duplicate = api.create_subject(emails=["asa@example.se"], records=[CONTACT, NOTE])
    assert merge(api, target["id"], duplicate["id"]).status_code == 200

    for sid in (target["id"], duplicate["id"]):
        events = api.get(f"/v1/audit-events?subject_id={sid}&action=subject.merge").json()
        assert [e["outcome"] for e in events["items"]] == ["success"], sid
    events = api.get("/v1/audit-events?limit=500").json()["items"]
    assert not any(v in json.dumps(events) for v in PERSONAL_VALUES)
    with api.engine.connect() as conn:
        payloads = [
            p if isinstance(p, dict) else json.loads(p)
            for p in conn.execute(
                sa.text("SELECT payload FROM delivery WHERE tenant_id = :t"), {"t": api.tenant}
            ).scalars()
        ]
    merged = [p for p in payloads if p["type"] == "subject.merged"]
    assert len(merged) == 1
    assert merged[0]["subject_id"] == target["id"]
    assert merged[0]["merged_subject_ids"] == [duplicate["id"]]
    assert not any(v in json.dumps(payloads) for v in PERSONAL_VALUES)


def test_concurrent_merges_of_overlapping_sets(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("races are run where requests really overlap: PostgreSQL")
    outcomes: Counter[tuple[int, ...]] = Counter()
    for trial in range(TRIALS):
        a, b, c, d = (api.create_subject() for _ in range(4))
        records = {api.add_record(s["id"], NOTE)["id"] for s in (a, b, c, d)}
        # Even trials: the same target, overlapping duplicates; both succeed, the second
        # skips c. Odd: different targets sharing a duplicate, each the other's duplicate;
        # the loser finds its target merged (308) or its duplicate merged elsewhere (409).
        plans = [(a, [b, c]), (a, [c, d])] if trial % 2 == 0 else [(a, [b, c]), (d, [c, a])]
        calls = [
            partial(merge, api, t["id"], *(s["id"] for s in ids), follow_redirects=False)
            for t, ids in plans
        ]
        answers = together(*calls)
        codes = tuple(sorted(r.status_code for r in answers))
        outcomes[(trial % 2, *codes)] += 1
        assert all(r.status_code < 500 for r in answers), [r.text for r in answers]
        # No record lost: every one is on a subject that is not merged.
        live = [s["id"] for s in (a, b, c, d)]
        found: set[str] = set()
        for sid in live:
            response = api.get(f"/v1/subjects/{sid}/records?limit=500", follow_redirects=False)
            if response.status_code == 200:
                found |= {r["id"] for r in response.json()["items"]}
        assert found == records
    assert outcomes[(0, 200, 200)] == TRIALS // 2
    assert sum(n for (kind, *_), n in outcomes.items() if kind == 1) == TRIALS // 2
    assert set(outcomes) <= {(0, 200, 200), (1, 200, 308), (1, 200, 409)}, outcomes
    print(dict(outcomes))


def test_an_erasure_request_on_a_duplicate_erases_the_merged_person(
    api: Api, clock: FrozenClock
) -> None:
    target = api.create_subject(records=[contact("asa.oberg@example.se")])
    duplicate = api.create_subject(emails=["asa@example.se"], records=[NOTE])
    opened = api.post(
        "/v1/rights-requests",
        json={
            "type": "erasure",
            "subject_id": duplicate["id"],
            "received_at": "2026-11-24T09:00:00Z",
        },
    )
    assert opened.status_code == 201, opened.text
    request_id = opened.json()["id"]
    verified = api.post(
        f"/v1/rights-requests/{request_id}/verify",
        json={"method": "email_confirmation", "verified_at": "2026-11-24T10:00:00Z"},
    )
    assert verified.status_code == 200, verified.text
    response = merge(api, target["id"], duplicate["id"])
    assert response.json()["moved"]["rights_requests"] == 1
    assert api.get(f"/v1/rights-requests/{request_id}").json()["subject_id"] == target["id"]

    # The request names the duplicate's id; the call follows the 308 to the person.
    erased = api.post(f"/v1/subjects/{duplicate['id']}/erasure?rights_request_id={request_id}")
    assert erased.status_code == 200, erased.text
    assert erased.json()["subject_id"] == target["id"]
    assert api.post("/v1/subjects/search", json={"email": "asa@example.se"}).json()["items"] == []
    assert record_ids(api, target["id"]) == set()


def test_a_request_that_matched_duplicates_matches_the_merged_person_once(
    api: Api, clock: FrozenClock
) -> None:
    target = api.create_subject(emails=["kund@example.se"])
    duplicate = api.create_subject(emails=["KUND@example.se", "kund.privat@example.se"])
    other = api.create_subject(emails=["someone@example.se"])
    opened = api.post(
        "/v1/rights-requests",
        json={
            "type": "access",
            "requester": {"emails": ["kund@example.se", "someone@example.se"]},
            "channel": "email",
            "received_at": "2026-11-24T09:00:00Z",
        },
    )
    assert opened.status_code == 201, opened.text
    request_id = opened.json()["id"]
    assert set(opened.json()["matched_subject_ids"]) == {target["id"], duplicate["id"], other["id"]}

    assert merge(api, target["id"], duplicate["id"]).status_code == 200
    matched = api.get(f"/v1/rights-requests/{request_id}").json()["matched_subject_ids"]
    assert sorted(matched) == sorted([target["id"], other["id"]])
