"""Bad input: a clear problem+json 4xx, never a 500, never a half-applied change."""

from __future__ import annotations

import copy
import uuid
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
    "document date beyond retention arithmetic": with_data(INVOICE_2024, date="9999-12-31"),
    "financial year end beyond retention arithmetic": with_data(
        INVOICE_2024, date="2999-12-31", financial_year_end="9999-12-31"
    ),
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


# --- NUL characters: refused (422) for every operation, on both databases -------------

NUL = "\x00"
NUL_ISSUE = "must not contain the NUL character (U+0000)"


def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every /v1 operation the service serves."""
    document = api.client.app.openapi()  # type: ignore[attr-defined]
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


def filled(path: str, nul_in: str | None = None) -> str:
    """`path` with every parameter filled in: a NUL in `nul_in`, a fresh id elsewhere."""
    out = path
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        out = out.replace(f"{{{name}}}", "a%00b" if name == nul_in else str(uuid.uuid4()))
    return out


def assert_nul_refused(response: Any, loc: list[Any]) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"loc": loc, "msg": NUL_ISSUE}]


def without_audit(counts: dict[str, int]) -> dict[str, int]:
    return {table: n for table, n in counts.items() if table != "audit_event"}


def test_every_operation_with_a_body_refuses_nul(api: Api) -> None:
    """Whatever the operation, a NUL in its JSON body is refused before anything reads it."""
    subject = api.create_subject()
    before = without_audit(api.row_counts())
    # The NDJSON import is not JSON: it refuses a NUL per line (tests/subjects/test_import.py).
    with_body = [
        op
        for op in operations(api)
        if "application/json" in op[2].get("requestBody", {}).get("content", {})
    ]
    assert len(with_body) >= 12
    for method, path, _ in with_body:
        body = {"records": [{"data": {"name": f"Åsa{NUL}"}}]}
        response = api.client.request(
            method,
            filled(path).replace("{subject_id}", subject["id"]),
            json=body,
            headers=api.headers(),
        )
        assert_nul_refused(response, ["body", "records", 0, "data", "name"])
    assert without_audit(api.row_counts()) == before


def test_every_query_and_path_parameter_refuses_nul(api: Api) -> None:
    checked = 0
    for method, path, operation in operations(api):
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            if where == "query":
                url = f"{filled(path)}?{name}=a%00b"
            elif where == "path":
                url = filled(path, nul_in=name)
            else:
                continue
            response = api.client.request(method, url, headers=api.headers())
            assert_nul_refused(response, [where, name])
            checked += 1
    assert checked >= 40


def test_a_nul_member_name_is_refused(api: Api) -> None:
    response = api.post("/v1/subjects", json={"emails": ["a@example.se"], f"x{NUL}": 1})
    assert_nul_refused(response, ["body"])


def test_an_escaped_backslash_before_u0000_is_not_a_nul(api: Api) -> None:
    """`\\\\u0000` in JSON is the text `\\u0000`, not a NUL character."""
    subject = api.create_subject()
    response = api.post(
        f"/v1/subjects/{subject['id']}/records",
        json={**NOTE_PROVIDED, "data": {"text": "a literal \\u0000 in prose"}},
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["text"] == "a literal \\u0000 in prose"


NOTE_PROVIDED = {"category": "note", "origin": "provided", "source": "staff", "data": {"text": "x"}}


def realistic_nul_cases(subject_id: str, record_id: str) -> list[tuple[str, str, Any, list[Any]]]:
    """Valid calls, except for one NUL deep in a string that each would store."""
    return [
        (
            "POST",
            "/v1/subjects",
            {"emails": ["ny@example.se"], "records": [with_data(CONTACT, name=f"Åsa{NUL}")]},
            ["body", "records", 0, "data", "name"],
        ),
        (
            "POST",
            "/v1/subjects",
            {"emails": ["ny@example.se"], "external_refs": [{"system": "crm", "id": f"C{NUL}1"}]},
            ["body", "external_refs", 0, "id"],
        ),
        (
            "POST",
            "/v1/subjects/search",
            {"email": f"asa{NUL}@example.se"},
            ["body", "email"],
        ),
        (
            "POST",
            f"/v1/subjects/{subject_id}/records",
            with_data(MEETING, participants=["Per", f"Åsa{NUL}"]),
            ["body", "data", "participants", 1],
        ),
        (
            "POST",
            f"/v1/subjects/{subject_id}/records",
            {**NOTE_PROVIDED, "source": f"crm{NUL}"},
            ["body", "source"],
        ),
        (
            "PATCH",
            f"/v1/records/{record_id}",
            {"data": {"title": f"CE{NUL}O"}},
            ["body", "data", "title"],
        ),
        (
            "POST",
            f"/v1/subjects/{subject_id}/restriction",
            {"reason": f"disputed{NUL}"},
            ["body", "reason"],
        ),
        ("POST", "/v1/marketing/check", {"emails": [f"a{NUL}@example.se"]}, ["body", "emails", 0]),
        (
            "POST",
            "/v1/legal-holds",
            {"subject_id": subject_id, "reason": f"dispute{NUL}"},
            ["body", "reason"],
        ),
        (
            "POST",
            "/v1/recipients",
            {"name": f"crm{NUL}", "url": "https://crm.example.se/hooks", "event_types": []},
            ["body", "name"],
        ),
    ]


def test_nul_deep_in_a_valid_call_is_422_and_stores_nothing(api: Api) -> None:
    """PostgreSQL answered 500 (text cannot hold NUL); SQLite stored it."""
    subject = api.create_subject()
    record = api.add_record(subject["id"], CONTACT)
    before = without_audit(api.row_counts())
    for method, url, body, loc in realistic_nul_cases(subject["id"], record["id"]):
        response = api.client.request(method, url, json=body, headers=api.headers())
        assert_nul_refused(response, loc)
        assert NUL not in response.text and "\\u0000" not in response.text
    assert without_audit(api.row_counts()) == before
    assert api.get(f"/v1/records/{record['id']}").json()["data"]["title"] == "CFO"


# --- Date-times that cannot be represented in UTC: 422 everywhere -------------------

OVERFLOWING = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]


@pytest.mark.parametrize("moment", OVERFLOWING)
def test_date_times_beyond_utc_are_422(api: Api, moment: str) -> None:
    subject = api.create_subject()
    before = without_audit(api.row_counts())
    cases = [
        ("/v1/legal-holds", {"subject_id": subject["id"], "reason": "x", "ends_at": moment}),
        (
            "/v1/rights-requests",
            {"type": "access", "subject_id": subject["id"], "received_at": moment},
        ),
        (f"/v1/subjects/{subject['id']}/records", with_data(MEETING, start=moment)),
        (f"/v1/subjects/{subject['id']}/records", with_data(MEETING, end=moment)),
        (f"/v1/subjects/{subject['id']}/records", with_data(NETWORK, first_seen=moment)),
        (f"/v1/subjects/{subject['id']}/records", with_data(NETWORK, last_seen=moment)),
    ]
    for url, body in cases:
        response = api.post(url, json=body)
        assert response.status_code == 422, (url, response.text)
        assert "cannot be represented in UTC" in response.text
        assert moment not in response.text
    for name in ("since", "until"):
        response = api.get(f"/v1/audit-events?{name}={moment.replace('+', '%2B')}")
        assert response.status_code == 422, response.text
    assert without_audit(api.row_counts()) == before


def test_the_last_representable_moment_is_not_a_500(api: Api) -> None:
    subject = api.create_subject()
    hold = api.post(
        "/v1/legal-holds",
        json={"subject_id": subject["id"], "reason": "x", "ends_at": "9999-12-31T23:59:59Z"},
    )
    assert hold.status_code == 201, hold.text
    request = api.post(
        "/v1/rights-requests",
        json={"type": "access", "subject_id": subject["id"], "received_at": "9999-12-31T23:59:59Z"},
    )
    assert 200 <= request.status_code < 500, request.text


def test_the_latest_document_date_has_a_retention_answer(api: Api) -> None:
    """An invoice dated 9999-12-31 was stored, then every access report and erasure of
    its subject answered 500 (retention arithmetic overflowed)."""
    subject = api.create_subject()
    api.add_record(subject["id"], with_data(INVOICE_2024, date="2999-12-31"))
    assert api.get(f"/v1/subjects/{subject['id']}/access-report").status_code == 200
    plan = api.post(f"/v1/subjects/{subject['id']}/erasure?dry_run=true")
    assert plan.status_code == 200, plan.text
