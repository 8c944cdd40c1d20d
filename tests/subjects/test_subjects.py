"""The system of record through the HTTP API: subjects, identifiers, records."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import CONTACT, INVOICE_2024, MEETING, NETWORK, NOTE, ORGANISATION, Api


def test_create_subject_normalises_identifiers(api: Api) -> None:
    response = api.post(
        "/v1/subjects",
        json={
            "emails": ["  Asa.Oberg@Example.SE "],
            "phones": ["070-123 45 67"],
            "external_refs": [{"system": "crm", "id": "C-1001"}],
            "records": [CONTACT],
        },
    )
    assert response.status_code == 201, response.text
    subject = response.json()
    assert subject["emails"] == ["asa.oberg@example.se"]
    assert subject["phones"] == ["+46701234567"]
    assert subject["external_refs"] == [{"system": "crm", "id": "C-1001"}]
    assert subject["status"] == "active"
    assert subject["restricted"] is False and subject["marketing_objection"] is False
    assert response.headers["location"] == f"/v1/subjects/{subject['id']}"
    assert response.headers["etag"] == '"1"'

    got = api.get(f"/v1/subjects/{subject['id']}")
    assert got.status_code == 200
    assert got.json() == subject
    assert got.headers["etag"] == '"1"'


def test_contact_record_email_and_phone_become_identifiers(api: Api) -> None:
    subject = api.create_subject(external_refs=[{"system": "crm", "id": "C-7"}], emails=[])
    contact = copy.deepcopy(CONTACT)
    contact["data"]["phone"] = "08-123 456 78"
    record = api.add_record(subject["id"], contact)
    assert record["data"]["phone"] == "+46812345678"
    again = api.get(f"/v1/subjects/{subject['id']}").json()
    assert again["emails"] == ["asa.oberg@example.se"]
    assert again["phones"] == ["+46812345678"]


def test_search_by_email_phone_and_external_ref(api: Api) -> None:
    subject = api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["+46701234567"],
        external_refs=[{"system": "crm", "id": "C-1001"}],
    )
    for query in (
        {"email": "ASA.OBERG@example.se"},
        {"phone": "070 123 45 67"},
        {"phone": "+46 (0)70-123 45 67"},
        {"external_ref": {"system": "crm", "id": "C-1001"}},
    ):
        response = api.post("/v1/subjects/search", json=query, scopes=["subjects:read"])
        assert response.status_code == 200, (query, response.text)
        assert [s["id"] for s in response.json()["items"]] == [subject["id"]], query
    none = api.post("/v1/subjects/search", json={"email": "nobody@example.se"})
    assert none.json() == {"items": []}


def test_search_needs_exactly_one_identifier(api: Api) -> None:
    for body in ({}, {"email": "a@example.se", "phone": "+46701234567"}):
        response = api.post("/v1/subjects/search", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_every_category_is_stored_and_served(api: Api) -> None:
    subject = api.create_subject()
    for record in (CONTACT, ORGANISATION, NOTE, MEETING, INVOICE_2024, NETWORK):
        created = api.add_record(subject["id"], record)
        assert created["category"] == record["category"]
        assert created["origin"] == record["origin"]
        assert created["source"] == record["source"]
        assert created["subject_id"] == subject["id"]
        fetched = api.get(f"/v1/records/{created['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == created
        assert fetched.headers["etag"] == '"1"'
    meeting = api.get(f"/v1/subjects/{subject['id']}/records?category=meeting").json()["items"][0]
    assert meeting["data"]["start"] == "2026-02-01T09:00:00+01:00"
    invoice = api.get(f"/v1/subjects/{subject['id']}/records?category=sales_document").json()
    assert invoice["items"][0]["data"]["currency"] == "SEK"


def test_records_are_paginated_with_cursor_and_filtered(api: Api) -> None:
    subject = api.create_subject()
    notes = []
    for i in range(7):
        note = copy.deepcopy(NOTE)
        note["data"]["text"] = f"note {i}"
        notes.append(api.add_record(subject["id"], note)["id"])
    api.add_record(subject["id"], NETWORK)

    seen: list[str] = []
    cursor = None
    while True:
        url = f"/v1/subjects/{subject['id']}/records?limit=3&category=note"
        if cursor:
            url += f"&cursor={cursor}"
        page = api.get(url).json()
        seen += [r["id"] for r in page["items"]]
        assert len(page["items"]) <= 3
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == notes
    everything = api.get(f"/v1/subjects/{subject['id']}/records?limit=500").json()
    assert len(everything["items"]) == 8 and everything["next_cursor"] is None


def test_bad_cursor_and_limit(api: Api) -> None:
    subject = api.create_subject()
    bad_cursor = api.get(f"/v1/subjects/{subject['id']}/records?cursor=%%%")
    assert bad_cursor.status_code == 400
    assert bad_cursor.headers["content-type"] == "application/problem+json"
    for limit in (0, 501, "x"):
        assert api.get(f"/v1/subjects/{subject['id']}/records?limit={limit}").status_code == 422


def test_external_ref_belongs_to_one_subject(api: Api) -> None:
    first = api.create_subject(external_refs=[{"system": "crm", "id": "C-1"}])
    before = api.row_counts()
    response = api.post(
        "/v1/subjects",
        json={"emails": ["x@example.se"], "external_refs": [{"system": "crm", "id": "C-1"}]},
    )
    assert response.status_code == 409
    assert first["id"] in response.json()["detail"]
    after = api.row_counts()
    assert after["subject"] == before["subject"]
    assert after["subject_identifier"] == before["subject_identifier"]


def test_stale_if_match_changes_nothing(api: Api) -> None:
    subject = api.create_subject()
    url = f"/v1/subjects/{subject['id']}/records"
    stale = api.post(url, json=NOTE, headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.get(url).json()["items"] == []
    fresh = api.post(url, json=NOTE, headers={"If-Match": '"1"'})
    assert fresh.status_code == 201


def test_unknown_ids_are_404(api: Api) -> None:
    missing = "01a20000-0000-7000-8000-000000000000"
    for url in (
        f"/v1/subjects/{missing}",
        f"/v1/records/{missing}",
        f"/v1/subjects/{missing}/records",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
    assert api.post(f"/v1/subjects/{missing}/records", json=NOTE).status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_search_takes_post_only(api: Api, method: str) -> None:
    """`/v1/subjects/search` is not read as a subject id: other methods are 405 with
    `Allow: POST`, not a 422 about a malformed id."""
    response = api.client.request(method, "/v1/subjects/search", headers=api.headers())
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == "application/problem+json"
