"""The OpenAPI document as a tool reads it: its examples are valid instances of their
schemas (redocly and spectral flag the ones that are not), the operations without a
token say so, and it names where the service is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi" / "openapi.json").read_text())
COMPONENTS = DOCUMENT["components"]["schemas"]


def _examples(schema: dict[str, Any]) -> list[Any]:
    found = [schema["example"]] if "example" in schema else []
    return found + list(schema.get("examples", []))


@pytest.mark.parametrize("name", sorted(n for n, s in COMPONENTS.items() if _examples(s)))
def test_every_schema_example_is_valid(name: str) -> None:
    schema = {k: v for k, v in COMPONENTS[name].items() if k not in {"example", "examples"}}
    validator = jsonschema.Draft202012Validator({**schema, "components": DOCUMENT["components"]})
    for example in _examples(COMPONENTS[name]):
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]
        assert errors == [], errors


def test_the_operations_without_a_token_say_so() -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert DOCUMENT["paths"][path]["get"]["security"] == []


def test_the_document_names_its_server() -> None:
    assert DOCUMENT["servers"] and all("url" in s for s in DOCUMENT["servers"])


def test_declared_headers_belong_to_real_operations_and_are_sent(api: Any) -> None:
    from app.core.openapi import RESPONSE_HEADERS

    ids = {
        op["operationId"]
        for item in DOCUMENT["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert set(RESPONSE_HEADERS) <= ids
    created = api.post("/v1/subjects", json={"emails": ["header.check@example.se"]})
    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/subjects/{created.json()['id']}"
    assert created.headers["ETag"] == '"1"'
    sid = created.json()["id"]
    record = api.post(
        f"/v1/subjects/{sid}/records",
        json={"category": "note", "origin": "provided", "source": "crm", "data": {"text": "x"}},
    )
    assert record.headers["Location"] == f"/v1/records/{record.json()['id']}"
    assert api.get(f"/v1/records/{record.json()['id']}").headers["ETag"] == '"1"'
    export = api.get(f"/v1/subjects/{sid}/export")
    assert export.headers["Content-Disposition"] == f'attachment; filename="subject-{sid}.json"'
    exported = export.json()
    schema = DOCUMENT["paths"]["/v1/subjects/{subject_id}/export"]["get"]["responses"]["200"]
    json_schema = schema["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator(
        {**json_schema, "components": DOCUMENT["components"]}
    )
    assert [e.message for e in validator.iter_errors(exported)] == []


def test_links_lead_to_real_operations_with_their_parameters() -> None:
    by_id = {
        op["operationId"]: op
        for item in DOCUMENT["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    links = [
        link
        for op in by_id.values()
        for response in op["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) >= 20
    for link in links:
        target = by_id[link["operationId"]]
        names = {(p["in"], p["name"]) for p in target.get("parameters", [])}
        for name in link["parameters"]:
            where, _, param = name.partition(".") if "." in name else ("path", "", name)
            assert (where, param) in names, (link["operationId"], name)
