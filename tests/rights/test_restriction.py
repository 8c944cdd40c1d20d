"""Restriction (Art 18): stored, not used; visible to the subject; lifted explicitly."""

from __future__ import annotations

from tests.conftest import CONTACT, NETWORK, NOTE, Api


def test_restricting_the_whole_subject(api: Api) -> None:
    subject = api.create_subject(emails=["asa.oberg@example.se"], records=[CONTACT, NOTE])
    sid = subject["id"]
    records = api.get(f"/v1/subjects/{sid}/records").json()["items"]

    response = api.post(f"/v1/subjects/{sid}/restriction", json={"reason": "Accuracy contested"})
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["subject_restricted"] is True
    assert sorted(state["restricted_record_ids"]) == sorted(r["id"] for r in records)
    assert state["restrictions"][0]["record_id"] is None

    got = api.get(f"/v1/subjects/{sid}").json()
    assert got["status"] == "restricted" and got["restricted"] is True
    # Processing reads do not serve the data.
    listed = api.get(f"/v1/subjects/{sid}/records").json()["items"]
    assert all(r["restricted"] is True and r["data"] is None for r in listed)
    single = api.get(f"/v1/records/{records[0]['id']}")
    assert single.status_code == 423
    assert single.headers["content-type"] == "application/problem+json"
    # Storage is allowed, use is not: a new record is stored restricted.
    added = api.add_record(sid, NETWORK)
    assert added["restricted"] is True
    # Marketing says no.
    check = api.post(
        "/v1/marketing/check", json={"emails": ["asa.oberg@example.se"], "subject_ids": [sid]}
    )
    assert [(r["allowed"], r["reason"]) for r in check.json()["results"]] == [
        (False, "restricted"),
        (False, "restricted"),
    ]
    # The subject still sees everything.
    report = api.get(f"/v1/subjects/{sid}/access-report").json()
    assert len(report["records"]) == 3 and all(r["data"] for r in report["records"])
    export = api.get(f"/v1/subjects/{sid}/export?format=json").json()
    assert len(export["records"]) == 2  # the note is derived, not portable

    lifted = api.delete(f"/v1/subjects/{sid}/restriction")
    assert lifted.status_code == 200
    assert lifted.json() == {
        "subject_id": sid,
        "subject_restricted": False,
        "restricted_record_ids": [],
        "restrictions": [],
    }
    assert api.get(f"/v1/records/{records[0]['id']}").status_code == 200
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    check = api.post("/v1/marketing/check", json={"subject_ids": [sid]})
    assert check.json()["results"][0]["allowed"] is True


def test_restricting_single_records(api: Api) -> None:
    subject = api.create_subject(records=[CONTACT, NOTE])
    sid = subject["id"]
    contact, note = api.get(f"/v1/subjects/{sid}/records").json()["items"]
    response = api.post(
        f"/v1/subjects/{sid}/restriction",
        json={"reason": "Objection pending", "record_ids": [note["id"]]},
    )
    assert response.status_code == 200
    assert response.json()["subject_restricted"] is False
    assert response.json()["restricted_record_ids"] == [note["id"]]
    assert api.get(f"/v1/records/{note['id']}").status_code == 423
    assert api.get(f"/v1/records/{contact['id']}").status_code == 200
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    assert api.get(f"/v1/subjects/{sid}/restriction").json()["restricted_record_ids"] == [
        note["id"]
    ]


def test_records_of_another_subject_cannot_be_restricted_here(api: Api) -> None:
    first = api.create_subject(records=[NOTE])
    second = api.create_subject()
    note = api.get(f"/v1/subjects/{first['id']}/records").json()["items"][0]
    before = api.row_counts()
    response = api.post(
        f"/v1/subjects/{second['id']}/restriction",
        json={"reason": "x", "record_ids": [note["id"]]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "record_ids", 0]
    assert api.row_counts()["restriction"] == before["restriction"]


def test_restriction_needs_reason_and_honours_if_match(api: Api) -> None:
    subject = api.create_subject()
    url = f"/v1/subjects/{subject['id']}/restriction"
    assert api.post(url, json={}).status_code == 422
    assert api.post(url, json={"reason": ""}).status_code == 422
    stale = api.post(url, json={"reason": "x"}, headers={"If-Match": '"5"'})
    assert stale.status_code == 412
    assert api.get(f"/v1/subjects/{subject['id']}").json()["restricted"] is False
    fresh = api.post(url, json={"reason": "x"}, headers={"If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
