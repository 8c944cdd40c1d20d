"""The operations registered flat (`app.core.routing`): every `/v1` operation is guarded,
the guards answer in the inclusion's order, and routes are still tried in order."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from app.core.routing import FlatRoute
from tests.conftest import Api


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    paths: dict[str, Any] = app.openapi()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^/]+\}", str(uuid.uuid4()), path))
        for path, item in paths.items()
        if path.startswith("/v1/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_v1_operation_answers_401_without_a_token(api: Api) -> None:
    operations = _operations(api.client.app)  # type: ignore[arg-type]
    assert len(operations) > 50
    for method, url in operations:
        response = api.client.request(method, url, headers={"Content-Type": "application/json"})
        assert response.status_code == 401, (method, url, response.status_code)


def test_every_v1_route_is_a_guarded_flat_route(api: Api) -> None:
    routes = [r for r in api.client.app.routes if getattr(r, "path", "").startswith("/v1/")]  # type: ignore[attr-defined]
    assert routes
    for route in routes:
        assert isinstance(route, FlatRoute), route
        assert [g.__name__ for g in route.guards][:2] == ["authenticated", "known_query"]


@pytest.mark.parametrize(
    ("token", "query", "status"),
    [
        (None, "?nope=1", 401),  # no token: 401, whatever else is wrong
        ("other-scope", "?nope=1", 422),  # then an unknown query parameter
        ("other-scope", "", 403),  # then the operation's scope
        ("right-scope", "?nope=1", 422),
    ],
)
def test_refusals_come_in_the_inclusions_order(
    api: Api, token: str | None, query: str, status: int
) -> None:
    subject = api.create_subject(emails=["order@example.se"])
    headers = {}
    if token is not None:
        scopes = ["subjects:read"] if token == "right-scope" else ["audit:read"]
        headers = api.headers(scopes)
    response = api.client.get(f"/v1/subjects/{subject['id']}{query}", headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_literal_path_still_wins_over_a_template_registered_after_it(api: Api) -> None:
    # `/v1/subjects/search` and `/v1/subjects/import` come before `{subject_id}`.
    api.create_subject(emails=["literal@example.se"])
    found = api.post("/v1/subjects/search", json={"email": "literal@example.se"})
    assert found.status_code == 200 and found.json()["items"], found.text
    wrong = api.get("/v1/subjects/search")
    assert wrong.status_code == 405, wrong.text


def test_every_scoped_v1_operation_demands_its_scope_before_reading_its_parameters(
    api: Api,
) -> None:
    # The operation's `requires(scope)` runs as a guard after authentication: 403 naming
    # the scope the OpenAPI document declares, even with a malformed id in the path.
    paths: dict[str, Any] = api.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    checked = 0
    headers = api.headers(["none:none"])
    for path, item in paths.items():
        for method, operation in item.items():
            if not path.startswith("/v1/") or not isinstance(operation, dict):
                continue
            scopes = {s for requirement in operation.get("security", []) for s in
                      next(iter(requirement.values()), [])}  # fmt: skip
            if not scopes:
                continue
            url = re.sub(r"\{[^/]+\}", "not-an-id", path)
            response = api.client.request(method.upper(), url, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
            assert any(f"`{scope}`" in response.json()["detail"] for scope in scopes), path
            checked += 1
    assert checked > 50
