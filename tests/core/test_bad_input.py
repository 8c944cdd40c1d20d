"""Bad input: a clear problem+json 4xx, never a 500, never a half-applied change."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import CONTACT, INVOICE_2024, MEETING, NETWORK, Api


def with_data(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(record)
    out["data"].update(changes)
    return out


BAD_RECORDS = {
    "unknown category": {**CONTACT, "category": "shoe_size"},
    "missing category": {k: v for k, v in CONTACT.items() if k != "category"},
    "unknown origin": {**CONTACT, "origin": "guessed"},
    "data not an object": {**CONTACT, "data": "Åsa Öberg"},
    "unknown field": with_data(CONTACT, favourite_colour="blue"),
    "invalid email": with_data(CONTACT, email="asa.oberg@@example"),
    "invalid phone": with_data(CONTACT, phone="12"),
    "name of wrong type": with_data(CONTACT, name=123),
    "invalid ip": with_data(NETWORK, ip="999.1.1.1"),
    "naive timestamp": with_data(NETWORK, first_seen="2026-01-01T08:00:00"),
    "last before first": with_data(NETWORK, last_seen="2025-01-01T08:00:00Z"),
    "meeting ends before it starts": with_data(MEETING, end="2026-02-01T08:00:00+01:00"),
    "unknown document kind": with_data(INVOICE_2024, kind="receipt"),
    "amount not decimal": with_data(INVOICE_2024, amount="12,500"),
    "amount a float": with_data(INVOICE_2024, amount=12.5),
    "unknown currency": with_data(INVOICE_2024, currency="XYZ"),
    "financial year ends before the document": with_data(
        INVOICE_2024, financial_year_end="2023-12-31"
    ),
    "quote as verification": with_data(INVOICE_2024, kind="quote", is_verification=True),
    "source too long": {**CONTACT, "source": "x" * 101},
}


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_bad_record_is_422_and_stores_nothing(api: Api, case: str) -> None:
    subject = api.create_subject()
    before = api.row_counts()
    response = api.post(f"/v1/subjects/{subject['id']}/records", json=BAD_RECORDS[case])
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 422 and problem["errors"]
    assert all(set(e) == {"loc", "msg"} for e in problem["errors"])
    after = api.row_counts()
    assert after["record"] == before["record"]
    assert after["subject_identifier"] == before["subject_identifier"]


def test_validation_errors_do_not_echo_personal_data(api: Api) -> None:
    subject = api.create_subject()
    secret_email = "hemlig.person@@example.se"
    secret_phone = "0000-hemligt"
    response = api.post(
        f"/v1/subjects/{subject['id']}/records",
        json=with_data(CONTACT, email=secret_email, phone=secret_phone, name=["Hemlig"]),
    )
    assert response.status_code == 422
    assert "hemlig" not in response.text.lower()


@pytest.mark.parametrize(
    "body",
    [
        {"emails": "asa@example.se"},
        {"emails": ["not an email"]},
        {"phones": ["+46 70"]},
        {"emails": [], "phones": [], "external_refs": []},
        {"emails": ["a@example.se"], "external_refs": [{"system": "crm"}]},
        {"emails": ["a@example.se"], "records": [{"category": "contact"}]},
        {"emails": ["a@example.se"], "unexpected": True},
        {"emails": [f"p{i}@example.se" for i in range(21)]},
        [],
        "text",
        None,
    ],
)
def test_bad_subject_create_stores_nothing(api: Api, body: Any) -> None:
    before = api.row_counts()
    response = api.post("/v1/subjects", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    after = api.row_counts()
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }


def test_a_bad_initial_record_rejects_the_whole_subject(api: Api) -> None:
    before = api.row_counts()
    response = api.post(
        "/v1/subjects",
        json={"emails": ["a@example.se"], "records": [CONTACT, with_data(NETWORK, ip="nope")]},
    )
    assert response.status_code == 422
    assert api.row_counts()["subject"] == before["subject"]


def test_malformed_json_is_400(api: Api) -> None:
    response = api.client.post(
        "/v1/subjects",
        content=b'{"emails": ["a@example.se"',
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Malformed JSON"


def test_not_json_is_415(api: Api) -> None:
    response = api.client.post(
        "/v1/subjects",
        content=b"emails=a@example.se",
        headers={**api.headers(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_oversized_body_is_413(api: Api) -> None:
    subject = api.create_subject()
    before = api.row_counts()
    huge = with_data(CONTACT, address="x" * 200_000)
    response = api.post(f"/v1/subjects/{subject['id']}/records", json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert api.row_counts()["record"] == before["record"]


def test_oversized_chunked_body_is_413(api: Api) -> None:
    def chunks() -> Any:
        yield b'{"emails": ["a@example.se"], "padding": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = api.client.post(
        "/v1/subjects",
        content=chunks(),
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_route_and_method_are_problems(api: Api) -> None:
    missing = api.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = api.client.delete("/v1/subjects", headers=api.headers())
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


def test_bad_path_id_is_422(api: Api) -> None:
    response = api.get("/v1/subjects/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "subject_id"]


def test_unknown_query_parameter_is_422_not_ignored(api: Api) -> None:
    """A mistyped filter would otherwise silently answer with everything."""
    subject = api.create_subject()
    response = api.get(f"/v1/audit-events?subjectid={subject['id']}")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["query", "subjectid"], "msg": "unknown query parameter"}
    ]
    personal = api.get(f"/v1/subjects/{subject['id']}/records?email=asa.oberg@example.se")
    assert personal.status_code == 422
    assert "asa.oberg" not in personal.text
