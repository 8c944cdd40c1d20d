"""`POST /v1/subjects/import`: NDJSON onboarding, idempotent per external reference."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.subjects.import_body import ndjson_lines
from app.subjects.import_service import BATCH_LINES
from tests.conftest import CONTACT, INVOICE_2024, PERSONAL_VALUES, Api

NDJSON = {"Content-Type": "application/x-ndjson"}


def line(n: int, **extra: Any) -> dict[str, Any]:
    contact = copy.deepcopy(CONTACT)
    contact["data"]["email"] = f"person.{n}@example.se"
    contact["data"]["phone"] = f"+4670{n:07d}"
    body: dict[str, Any] = {
        "emails": [f"Person.{n}@Example.se"],
        "phones": [f"070-{n:07d}"],
        "external_refs": [{"system": "crm", "id": f"C-{n}"}],
        "records": [contact],
    }
    body.update(extra)
    return body


def ndjson(*items: Any) -> bytes:
    return b"".join(
        (item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in items
    )


def run_import(api: Api, body: bytes, scopes: list[str] | None = None, **headers: str) -> Any:
    return api.client.post(
        "/v1/subjects/import",
        content=body,
        headers={**api.headers(scopes), **NDJSON, **headers},
    )


def find(api: Api, ref: str) -> list[dict[str, Any]]:
    response = api.post("/v1/subjects/search", json={"external_ref": {"system": "crm", "id": ref}})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_one_line_creates_a_subject_like_a_create(api: Api) -> None:
    response = run_import(api, ndjson(line(1)))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "unchanged": 0, "failed": [], "failed_count": 0}
    (subject,) = find(api, "C-1")
    assert subject["emails"] == ["person.1@example.se"]
    assert subject["phones"] == ["+46700000001"]
    assert subject["marketing_objection"] is False and subject["version"] == 1
    records = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"]
    assert [r["category"] for r in records] == ["contact"]
    assert records[0]["data"]["email"] == "person.1@example.se"


def test_repeat_is_unchanged_and_writes_nothing(api: Api) -> None:
    body = ndjson(*(line(n) for n in range(5)))
    assert run_import(api, body).json()["created"] == 5
    before = api.row_counts()
    again = run_import(api, body)
    assert again.status_code == 200
    assert again.json() == {"created": 0, "unchanged": 5, "failed": [], "failed_count": 0}
    after = api.row_counts()
    # Only the repeat's own audit event was added.
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }
    assert after["audit_event"] == before["audit_event"] + 1


def test_same_ref_with_other_data_fails_and_changes_nothing(api: Api) -> None:
    assert run_import(api, ndjson(line(1))).json()["created"] == 1
    (subject,) = find(api, "C-1")
    changed = line(1, emails=["new.address@example.se"])
    response = run_import(api, ndjson(changed, line(2)))
    assert response.status_code == 200
    result = response.json()
    assert result["created"] == 1 and result["unchanged"] == 0 and result["failed_count"] == 1
    (failure,) = result["failed"]
    assert failure["line"] == 1
    assert failure["errors"][0]["loc"] == ["external_refs"]
    assert subject["id"] in failure["errors"][0]["msg"]
    assert "new.address" not in response.text
    assert find(api, "C-1") == [subject]


def test_mixed_valid_invalid_blank_and_bad_json_lines(api: Api) -> None:
    body = (
        ndjson(line(1))
        + b"\n   \n"  # blank lines are skipped but counted
        + ndjson(
            b'{"emails": ["not-json"',
            line(2, emails=["not an email"]),
            line(3, external_refs=[]),
            b"[1, 2]",
            line(4),
            {"emails": ["x@example.se"], "external_refs": [{"system": "crm", "id": "C-\\u0000"}]},
        )
        + json.dumps(line(5)).encode()  # the last line needs no newline
    )
    body = body.replace(b'"C-\\\\u0000"', b'"C-\\u0000"')
    response = run_import(api, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == 3 and result["unchanged"] == 0
    assert [f["line"] for f in result["failed"]] == [4, 5, 6, 7, 9]
    assert result["failed_count"] == 5
    errors = {f["line"]: f["errors"] for f in result["failed"]}
    assert errors[5] == [{"loc": ["emails", 0], "msg": "value is not a valid email address"}]
    assert errors[6][0]["loc"] == ["external_refs"]
    assert "NUL" in errors[9][0]["msg"]
    assert "not an email" not in response.text
    assert [len(find(api, f"C-{n}")) for n in (1, 2, 3, 4, 5)] == [1, 0, 0, 1, 1]


def test_bom_crlf_and_duplicate_lines_in_one_body(api: Api) -> None:
    body = b"\xef\xbb\xbf" + ndjson(line(1)).replace(b"\n", b"\r\n") + ndjson(line(1), line(2))
    result = run_import(api, body).json()
    assert result == {"created": 2, "unchanged": 1, "failed": [], "failed_count": 0}
    changed = run_import(api, ndjson(line(3), line(3, phones=["0701112233"]))).json()
    assert changed["created"] == 1 and [f["line"] for f in changed["failed"]] == [2]


def test_line_over_the_limit_fails_alone(api: Api) -> None:
    limit = api.client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    huge = line(2, records=[NOTE_OF(limit)])
    result = run_import(api, ndjson(line(1), huge, line(3))).json()
    assert result["created"] == 2
    assert result["failed"] == [
        {"line": 2, "errors": [{"loc": [], "msg": f"the line exceeds {limit} bytes"}]}
    ]


def NOTE_OF(words: int) -> dict[str, Any]:
    return {
        "category": "note",
        "origin": "derived",
        "source": "staff",
        "data": {"text": "ord " * words},
    }


def test_wrong_content_type_is_415(api: Api) -> None:
    for content_type in ("application/json", "text/plain"):
        response = run_import(api, ndjson(line(1)), **{"Content-Type": content_type})
        assert response.status_code == 415, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert find(api, "C-1") == []


def test_a_method_the_import_does_not_take_is_405_whatever_the_body(api: Api) -> None:
    """405 names what is wrong (the method), not the body's type: the import's NDJSON sent
    with PUT, and a text body sent with PATCH to a path that takes only POST."""
    for method, path, content_type in (
        ("PUT", "/v1/subjects/import", "application/x-ndjson"),
        ("PATCH", "/v1/subjects/import", "text/plain"),
        ("PUT", "/v1/subjects/search", "text/plain"),
    ):
        response = api.client.request(
            method,
            path,
            content=ndjson(line(1)),
            headers=api.headers(**{"Content-Type": content_type}),
        )
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert find(api, "C-1") == []


def test_needs_the_write_scope_and_a_token(api: Api) -> None:
    assert run_import(api, ndjson(line(1)), scopes=["subjects:read"]).status_code == 403
    response = api.client.post("/v1/subjects/import", content=ndjson(line(1)), headers=NDJSON)
    assert response.status_code == 401
    assert api.get("/v1/subjects/import").status_code == 405


def test_objection_survives_reimport_after_erasure(api: Api) -> None:
    assert run_import(api, ndjson(line(1))).json()["created"] == 1
    (first,) = find(api, "C-1")
    assert api.post(f"/v1/subjects/{first['id']}/marketing-objection").status_code == 200
    assert api.post(f"/v1/subjects/{first['id']}/erasure").status_code == 200

    # The same person comes back under another CRM id, in a batch with others.
    again = line(1, external_refs=[{"system": "crm", "id": "C-1-new"}])
    shares_phone = line(7, phones=["070-0000001"])
    result = run_import(api, ndjson(line(5), again, shares_phone)).json()
    assert result["created"] == 3
    (reimported,) = find(api, "C-1-new")
    assert reimported["marketing_objection"] is True
    # Sharing the objector's phone makes the other subject the same person.
    assert find(api, "C-7")[0]["marketing_objection"] is True
    assert find(api, "C-5")[0]["marketing_objection"] is False
    check = api.post(
        "/v1/marketing/check",
        json={"emails": ["person.1@example.se"], "subject_ids": [reimported["id"]]},
        scopes=["marketing:check"],
    ).json()
    assert [r["allowed"] for r in check["results"]] == [False, False]
    # Repeating the import does not undo the objection.
    assert run_import(api, ndjson(again)).json()["unchanged"] == 1
    assert find(api, "C-1-new")[0]["marketing_objection"] is True


def test_reimport_of_an_objecting_subject_keeps_the_objection(api: Api) -> None:
    assert run_import(api, ndjson(line(1))).json()["created"] == 1
    (subject,) = find(api, "C-1")
    assert api.post(f"/v1/subjects/{subject['id']}/marketing-objection").status_code == 200
    assert run_import(api, ndjson(line(1))).json()["unchanged"] == 1
    assert find(api, "C-1")[0]["marketing_objection"] is True


def test_erased_subject_with_kept_records_is_not_imported_again(api: Api) -> None:
    assert run_import(api, ndjson(line(1, records=[INVOICE_2024]))).json()["created"] == 1
    (subject,) = find(api, "C-1")
    assert api.post(f"/v1/subjects/{subject['id']}/erasure").status_code == 200
    result = run_import(api, ndjson(line(1, records=[INVOICE_2024]))).json()
    assert result["created"] == 0 and "erased" in result["failed"][0]["errors"][0]["msg"]


def test_tenants_are_isolated(api: Api, other_api: Api) -> None:
    assert run_import(api, ndjson(line(1))).json()["created"] == 1
    # The same reference in another tenant is another subject.
    assert run_import(other_api, ndjson(line(1))).json()["created"] == 1
    (mine,) = find(api, "C-1")
    (theirs,) = find(other_api, "C-1")
    assert mine["id"] != theirs["id"]
    assert other_api.get(f"/v1/subjects/{mine['id']}").status_code == 404
    with api.engine.connect() as conn:
        tenants = conn.execute(
            sa.text(
                "SELECT DISTINCT tenant_id FROM subject_identifier WHERE subject_id IN (:a, :b)"
            ),
            {"a": _db_id(api, mine["id"]), "b": _db_id(api, theirs["id"])},
        ).scalars()
        assert set(tenants) == {api.tenant, other_api.tenant}


def _db_id(api: Api, value: str) -> Any:
    import uuid

    sid = uuid.UUID(value)
    return sid.hex if api.engine.dialect.name == "sqlite" else sid


def test_many_lines_in_several_batches_audited_per_batch(api: Api) -> None:
    count = BATCH_LINES * 2 + 17
    body = ndjson(*(line(n) for n in range(count)))
    response = run_import(api, body)
    assert response.status_code == 200
    assert response.json()["created"] == count
    counts = api.row_counts()
    assert counts["subject"] == count and counts["external_ref"] == count
    assert counts["subject_identifier"] == 2 * count and counts["record"] == count
    events = api.get("/v1/audit-events?action=subject.import", scopes=["audit:read"]).json()
    assert sorted(e["items"] for e in events["items"]) == [17, BATCH_LINES, BATCH_LINES]
    text = json.dumps(events)
    assert not any(value in text for value in PERSONAL_VALUES)
    assert "person." not in text


@pytest.fixture
def small_app(settings: Any) -> Iterator[TestClient]:
    app: FastAPI = create_app(
        settings.model_copy(update={"max_import_body_bytes": 4096, "max_body_bytes": 1024})
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_body_over_the_import_limit_is_413(api: Api, small_app: TestClient) -> None:
    headers = {**api.headers(), **NDJSON}
    big = ndjson(*(line(n, records=[]) for n in range(100)))
    assert small_app.post("/v1/subjects/import", content=big, headers=headers).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is applied as it streams
        for n in range(100):
            yield ndjson(line(n, records=[]))

    response = small_app.post("/v1/subjects/import", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    # A line over the per-line limit (PRIVACY_MAX_BODY_BYTES) fails alone.
    body = ndjson(line(1), line(2, records=[NOTE_OF(300)]), line(3))
    result = small_app.post("/v1/subjects/import", content=body, headers=headers).json()
    assert result["created"] == 2
    assert result["failed"] == [
        {"line": 2, "errors": [{"loc": [], "msg": "the line exceeds 1024 bytes"}]}
    ]


def test_empty_body_imports_nothing(api: Api) -> None:
    response = run_import(api, b"")
    assert response.status_code == 200
    assert response.json() == {"created": 0, "unchanged": 0, "failed": [], "failed_count": 0}


def test_lines_split_across_chunks() -> None:
    pieces = (b"\xef\xbb", b'\xbf{"a"', b":1}\r\n\n{", b"}", b"\n" + b"x" * 50, b"y\n{}")

    async def chunks() -> Any:
        for piece in pieces:
            yield piece

    async def read() -> list[tuple[int, bytes | None]]:
        return [(ln.number, ln.raw) async for ln in ndjson_lines(chunks(), max_line_bytes=20)]

    assert asyncio.run(read()) == [(1, b'{"a":1}'), (3, b"{}"), (4, None), (5, b"{}")]


def test_a_batch_sees_what_the_batch_before_it_stored(api: Api) -> None:
    # Batch n+1 is validated while batch n is stored, but looked up only once batch n
    # is committed: a reference of batch n repeated in batch n+1 is already known.
    first = line(0)
    other = line(1, emails=["someone.else@example.se"])
    body = ndjson(*(line(n) for n in range(BATCH_LINES)), first, other)
    response = run_import(api, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["created"], answer["unchanged"], answer["failed_count"]) == (
        BATCH_LINES,
        1,
        1,
    )
    assert [f["line"] for f in answer["failed"]] == [BATCH_LINES + 2]
    assert api.row_counts()["subject"] == BATCH_LINES
