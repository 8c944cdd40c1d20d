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
