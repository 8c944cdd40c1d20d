"""`subject.created` (a mailer gives the notice, Art 13/14) and `subject.marketing_objection`
(marketing tools stop, Art 21(3)) reach subscribed recipients, with ids only."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import CONTACT, NOTE, PERSONAL_VALUES, Api, FrozenClock

IDS_ONLY = {"event_id", "type", "tenant", "subject_id", "occurred_at"}


def subscribe(api: Api, *event_types: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "mailer", "url": "http://127.0.0.1:9/hooks"}
    if event_types:
        body["event_types"] = list(event_types)
    response = api.post("/v1/recipients", json=body, scopes=["admin"])
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def deliveries(api: Api) -> list[dict[str, Any]]:
    response = api.get("/v1/deliveries?limit=500", scopes=["admin"])
    assert response.status_code == 200
    return response.json()["items"]  # type: ignore[no-any-return]


def assert_ids_only(delivery: dict[str, Any]) -> None:
    assert set(delivery["payload"]) == IDS_ONLY
    dumped = json.dumps(delivery, ensure_ascii=False)
    for value in PERSONAL_VALUES:
        assert value not in dumped, value


def test_subject_created_is_sent_with_ids_only(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    recipient = subscribe(api, "subject.created")
    other = subscribe(other_api, "subject.created")
    subject = api.create_subject(emails=["asa.oberg@example.se"], records=[CONTACT, NOTE])

    sent = deliveries(api)
    assert [d["event_type"] for d in sent] == ["subject.created"]
    assert sent[0]["recipient_id"] == recipient["id"]
    assert sent[0]["payload"]["subject_id"] == subject["id"]
    assert sent[0]["payload"]["tenant"] == api.tenant
    assert sent[0]["payload"]["occurred_at"] == "2026-11-25T12:00:00Z"
    assert_ids_only(sent[0])
    # Another tenant's recipient hears nothing of it.
    assert other["id"] not in {d["recipient_id"] for d in sent}
    assert deliveries(other_api) == []


def test_new_events_are_subscribed_to_by_name(api: Api, clock: FrozenClock) -> None:
    default = subscribe(api)
    assert "subject.created" not in default["event_types"]
    assert "subject.marketing_objection" not in default["event_types"]
    sid = api.create_subject(records=[CONTACT])["id"]
    assert api.post(f"/v1/subjects/{sid}/marketing-objection").status_code == 200
    assert deliveries(api) == []


def test_marketing_objection_is_sent_once(api: Api, other_api: Api, clock: FrozenClock) -> None:
    subscribe(api, "subject.marketing_objection")
    subscribe(other_api, "subject.marketing_objection")
    sid = api.create_subject(emails=["asa.oberg@example.se"], records=[CONTACT])["id"]
    assert deliveries(api) == []  # not subscribed to `subject.created`

    assert api.post(f"/v1/subjects/{sid}/marketing-objection").status_code == 200
    clock.advance(minutes=5)
    assert api.post(f"/v1/subjects/{sid}/marketing-objection").status_code == 200  # a repeat

    sent = deliveries(api)
    assert [(d["event_type"], d["payload"]["subject_id"]) for d in sent] == [
        ("subject.marketing_objection", sid)
    ]
    assert sent[0]["payload"]["occurred_at"] == "2026-11-25T12:00:00Z"
    assert_ids_only(sent[0])
    assert deliveries(other_api) == []
    # A foreign tenant's objection call finds nothing and sends nothing.
    assert other_api.post(f"/v1/subjects/{sid}/marketing-objection").status_code == 404
    assert deliveries(other_api) == []
