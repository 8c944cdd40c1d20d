"""The OpenAPI document is a product: complete, valid, and checked in up to date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from openapi_spec_validator import validate

from app.core.config import Settings
from app.core.openapi import operation_paths
from app.main import create_app

CHECKED_IN = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
OPEN_PATHS = {"/healthz", "/readyz", "/metrics"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_checked_in_document_is_current(app: FastAPI) -> None:
    served = app.openapi()
    assert CHECKED_IN.exists(), "run `privacy-api openapi` and commit openapi/openapi.json"
    assert json.loads(CHECKED_IN.read_text()) == served, (
        "openapi/openapi.json is stale: run `privacy-api openapi` and commit it"
    )


def test_path_templates_read_off_the_routes_are_the_documents(settings: Settings) -> None:
    """The app reads its path templates (logs, metrics, `Allow`) off the routes without
    building the document: they are the document's paths, methods and operation ids."""
    app = create_app(settings)
    app.state.engine.dispose()
    assert app.openapi_schema is None  # not built by starting the app (memory)
    documented = {
        path: {method: op["operationId"] for method, op in item.items()}
        for path, item in app.openapi()["paths"].items()
    }
    read = operation_paths(app)
    assert read == documented
    assert list(read) == list(documented)  # in order: the first matching template wins
    assert app.state.route_templates == {
        op_id: path for path, item in documented.items() for op_id in item.values()
    }
    assert [entry[3] for entry in app.state.path_methods] == list(documented)


def test_document_is_valid_openapi(app: FastAPI) -> None:
    validate(app.openapi())


def test_every_operation_is_documented(app: FastAPI) -> None:
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearer"]["description"],
    }
    for path, method, op in operations(document):
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("description"), where
        assert op.get("operationId"), where
        if path in OPEN_PATHS:
            assert op["security"] == [], where  # no token: stated, not left out
            continue
        if path.startswith("/gdpr-api/"):
            check_gdpr_api_operation(where, op)
            continue
        assert path.startswith("/v1/"), where
        (requirement,) = op["security"]
        assert requirement["bearer"], f"{where} names no scope"
        assert f"`{requirement['bearer'][0]}`" in op["description"], where
        responses = op["responses"]
        for status in ("401", "403", "422"):
            assert status in responses, f"{where} lacks {status}"
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (where, status)
                assert response["content"]["application/problem+json"].get("example"), where


def check_gdpr_api_operation(where: str, op: dict[str, Any]) -> None:
    """The Helsinki profile GDPR API: its own token scheme and scopes; its `403` is the
    API's error list (`application/json`), every other error problem+json."""
    (requirement,) = op["security"]
    assert list(requirement) == ["gdprApi"], where
    (scope,) = requirement["gdprApi"]
    assert f"`{scope}`" in op["description"], where
    responses = op["responses"]
    for status in ("204", "400", "401", "403", "404"):
        assert status in responses, f"{where} lacks {status}"
    assert "422" not in responses, where  # parameters failing validation are 400
    forbidden = responses["403"]["content"]
    assert forbidden == {
        "application/json": {"schema": {"$ref": "#/components/schemas/GdprErrorResponse"}}
    }, where
    for status, response in responses.items():
        if int(status) >= 400 and status != "403":
            assert list(response["content"]) == ["application/problem+json"], (where, status)


def test_request_bodies_have_examples(app: FastAPI) -> None:
    document = app.openapi()
    schemas = document["components"]["schemas"]
    for path, method, op in operations(document):
        body = op.get("requestBody")
        if not body:
            continue
        # JSON, or NDJSON (the import: one JSON document per line).
        media_type = next(
            t for t in ("application/json", "application/x-ndjson") if t in body["content"]
        )
        content = body["content"][media_type]
        ref = content["schema"].get("$ref", "")
        named = schemas.get(ref.rsplit("/", 1)[-1], {})
        given = content.get("examples") or content.get("example")
        assert given or named.get("examples") or named.get("example"), (
            f"{method.upper()} {path} has no request example"
        )
