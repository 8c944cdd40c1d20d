"""Holds cannot be bypassed (Art 17(3)(b),(e); Bokföringslagen 7 kap. 2 §).

A record under a legal hold cannot change; a field a retention rule reads cannot change
while the rule holds the record; a held record cannot be deleted. The guard sits below
the endpoints (at flush), so the last test tries every write operation of the OpenAPI
document on a held record, present and future ones alike.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import INVOICE_2024, NOTE, Api, FrozenClock

BFL = "se-bfl-7-2"
# The service's clock is pinned (`clock`, 2026-11-25): the 2024 invoice is held by
# Bokföringslagen until 2031-12-31.


def stored(api: Api, record_id: str) -> dict[str, Any] | None:
    """The record's data as stored, read with plain SQL (None: deleted)."""
    rid = uuid.UUID(record_id)
    with api.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT data FROM record WHERE id = :r"),
            {"r": rid.hex if api.engine.dialect.name == "sqlite" else rid},
        ).first()
    if row is None:
        return None
    data = row[0]
    return data if isinstance(data, dict) else __import__("json").loads(data)


def patch(api: Api, record_id: str, data: dict[str, Any]) -> Any:
    return api.patch(f"/v1/records/{record_id}", json={"data": data})


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "quote"},
        {"date": "2019-01-01"},
        {"financial_year_end": "2024-06-30"},
        {"kind": "order", "is_verification": False},
    ],
)
def test_a_statutory_hold_refuses_changes_to_the_fields_its_rule_reads(
    api: Api, clock: FrozenClock, change: dict[str, Any]
) -> None:
    subject = api.create_subject()
    invoice = api.add_record(subject["id"], INVOICE_2024)
    before = stored(api, invoice["id"])

    refused = patch(api, invoice["id"], change)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [(h["kind"], h["id"], h["until"]) for h in refused.json()["holds"]] == [
        ("statutory", BFL, "2031-12-31")
    ]
    assert stored(api, invoice["id"]) == before
    # ... and the record is still held: the delete that followed the bypass is refused.
    deleted = api.delete(f"/v1/records/{invoice['id']}")
    assert deleted.status_code == 409
    assert deleted.json()["holds"][0]["id"] == BFL
    assert stored(api, invoice["id"]) == before


def test_a_statutory_hold_allows_correcting_other_fields(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    invoice = api.add_record(subject["id"], INVOICE_2024)
    corrected = patch(api, invoice["id"], {"amount": "12600.00"})
    assert corrected.status_code == 200, corrected.text
    assert stored(api, invoice["id"])["amount"] == "12600.00"  # type: ignore[index]


def test_erasure_after_a_refused_date_change_keeps_the_invoice(
    api: Api, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    invoice = api.add_record(subject["id"], INVOICE_2024)
    assert patch(api, invoice["id"], {"date": "2010-01-01"}).status_code == 409
    report = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    assert [k["id"] for k in report["kept"]] == [invoice["id"]]
    assert stored(api, invoice["id"]) is not None


@pytest.mark.parametrize("on", ["record", "subject"])
def test_a_record_under_a_legal_hold_cannot_change_or_go(
    api: Api, clock: FrozenClock, on: str
) -> None:
    subject = api.create_subject()
    note = api.add_record(subject["id"], NOTE)
    target = {"record_id": note["id"]} if on == "record" else {"subject_id": subject["id"]}
    hold = api.post("/v1/legal-holds", json={**target, "reason": "Dispute T 1234-26"})
    assert hold.status_code == 201, hold.text

    refused = patch(api, note["id"], {"text": "rewritten"})
    assert refused.status_code == 409, refused.text
    assert [(h["kind"], h["id"]) for h in refused.json()["holds"]] == [("legal", hold.json()["id"])]
    assert api.delete(f"/v1/records/{note['id']}").status_code == 409
    assert stored(api, note["id"]) == {"text": "Prefers calls"}

    assert api.post(f"/v1/legal-holds/{hold.json()['id']}/release").status_code == 200
    assert patch(api, note["id"], {"text": "rewritten"}).status_code == 200
    assert api.delete(f"/v1/records/{note['id']}").status_code == 204


def _write_operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    document = api.client.get("/openapi.json").json()
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"post", "put", "patch", "delete"}:
                continue
            operations.append((method, path, operation))
    return operations


def _example_body(operation: dict[str, Any]) -> Any:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        if "example" in media:
            return copy.deepcopy(media["example"])
        for example in media.get("examples", {}).values():
            return copy.deepcopy(example.get("value"))
    return {}


def test_no_write_operation_changes_or_deletes_a_held_record(api: Api, clock: FrozenClock) -> None:
    """Every write operation of the API, with its documented example body and with
    bodies aimed at the rule's fields, on a subject whose invoice a statutory rule holds
    and whose note a legal hold holds: both stay exactly as stored."""
    subject = api.create_subject()
    invoice = api.add_record(subject["id"], INVOICE_2024)
    note = api.add_record(subject["id"], NOTE)
    hold = api.post("/v1/legal-holds", json={"record_id": note["id"], "reason": "Claim"})
    assert hold.status_code == 201
    before = {rid: stored(api, rid) for rid in (invoice["id"], note["id"])}
    ids = {"subject_id": subject["id"], "record_id": None, "hold_id": hold.json()["id"]}

    tried = 0
    for method, path, operation in _write_operations(api):
        if "{record_id}" not in path and "{subject_id}" not in path:
            continue
        if path.endswith("/release"):
            continue  # releasing the hold is the legitimate way to end it
        bodies = [_example_body(operation)]
        if method == "patch":
            bodies += [{"data": {"kind": "quote"}}, {"data": {"text": "x"}}, {"data": {}}]
        for record_id in (invoice["id"], note["id"]):
            url = re.sub(
                r"\{(\w+)\}",
                lambda m, record_id=record_id: str({**ids, "record_id": record_id}[m.group(1)]),
                path,
            )
            for body in bodies:
                response = api.client.request(
                    method.upper(),
                    url,
                    json=body if body != {} or method != "delete" else None,
                    headers=api.headers(),
                )
                tried += 1
                assert response.status_code < 500, (method, path, response.text)
                for rid, data in before.items():
                    assert stored(api, rid) == data, (method, path, body)
    assert tried >= 10
