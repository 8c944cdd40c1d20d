"""Rectification (Art 16): merge patch, validation, history without values, If-Match."""

from __future__ import annotations

import json

from tests.conftest import CONTACT, MEETING, NOTE, Api

MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def patch(api: Api, record_id: str, body: object, **headers: str) -> object:
    return api.client.patch(
        f"/v1/records/{record_id}",
        content=json.dumps(body),
        headers={**api.headers(), **MERGE_PATCH, **headers},
    )


def test_rectify_with_merge_patch(api: Api) -> None:
    subject = api.create_subject(records=[CONTACT])
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    response = patch(
        api, record["id"], {"data": {"title": "CEO", "address": None}}, **{"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["data"]["title"] == "CEO"
    assert "address" not in updated["data"]
    assert updated["data"]["name"] == "Åsa Öberg"
    assert updated["version"] == 2
    assert response.headers["etag"] == '"2"'
    # Plain application/json is accepted too.
    again = api.patch(f"/v1/records/{record['id']}", json={"data": {"phone": "08-123 456 78"}})
    assert again.status_code == 200
    assert again.json()["data"]["phone"] == "+46812345678"

    history = api.get(f"/v1/records/{record['id']}/history", scopes=["rights:read"]).json()
    assert [(h["fields"], h["version"], h["actor"]) for h in history["items"]] == [
        (["address", "title"], 2, api.sub),
        (["phone"], 3, api.sub),
    ]
    text = json.dumps(history)
    for value in ("CEO", "CFO", "Storgatan", "46812345678", "46701234567"):
        assert value not in text
    # The new phone is an identifier of the subject now.
    found = api.post("/v1/subjects/search", json={"phone": "08-123 456 78"}).json()["items"]
    assert [s["id"] for s in found] == [subject["id"]]


def test_stale_if_match_is_412_and_nothing_changes(api: Api) -> None:
    subject = api.create_subject(records=[CONTACT])
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    patch(api, record["id"], {"data": {"title": "CEO"}})
    stale = patch(api, record["id"], {"data": {"title": "CTO"}}, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.get(f"/v1/records/{record['id']}").json()["data"]["title"] == "CEO"
    assert len(api.get(f"/v1/records/{record['id']}/history").json()["items"]) == 1


def test_invalid_rectification_changes_nothing(api: Api) -> None:
    subject = api.create_subject(records=[CONTACT, MEETING])
    contact, meeting = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"]
    before = api.row_counts()
    cases = [
        (contact, {"data": {"email": "not-an-email"}}),
        (contact, {"data": {"phone": "12"}}),
        (contact, {"data": {"name": None}}),  # a required field cannot be removed
        (contact, {"data": {"shoe_size": 44}}),
        (meeting, {"data": {"end": "2026-01-01T00:00:00Z"}}),  # before start
        (contact, {"category": "note", "data": {}}),  # only data may change
        (contact, {"data": "CEO"}),
        (contact, {}),
    ]
    for record, body in cases:
        response = patch(api, record["id"], body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "not-an-email" not in response.text
    after = api.row_counts()
    assert after["record_history"] == before["record_history"]
    assert api.get(f"/v1/records/{contact['id']}").json()["version"] == 1


def test_unchanged_patch_writes_no_history(api: Api) -> None:
    subject = api.create_subject(records=[NOTE])
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    response = patch(api, record["id"], {"data": {"text": NOTE["data"]["text"]}})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert api.get(f"/v1/records/{record['id']}/history").json()["items"] == []


def test_lists_are_replaced_not_merged(api: Api) -> None:
    subject = api.create_subject(records=[MEETING])
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    response = patch(api, record["id"], {"data": {"participants": ["Per Persson"]}})
    assert response.json()["data"]["participants"] == ["Per Persson"]
