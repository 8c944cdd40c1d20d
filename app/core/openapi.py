"""The OpenAPI document: one bearer scheme with per-operation scopes, problem+json errors."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app.core.errors import PROBLEM_JSON, problem_responses
from app.core.security import SCOPES

DESCRIPTION = """
The Privacy Rights API is the system of record for personal data about customers'
contact persons in Cirrus, and keeps the GDPR rights of Care of's privacy policy in
code: access (Art 15), portability (Art 20), rectification (Art 16), restriction
(Art 18), objection to direct marketing (Art 21) and erasure checked against
retention holds (Art 17).

## Authentication
Every `/v1` call needs `Authorization: Bearer <JWT>`. The token must carry `iss`,
`aud`, `exp` and `sub` (the calling system or user), a `tenant` claim (the
controller the call acts for) and `scope` (space-separated). Without a valid token
the answer is `401` with `WWW-Authenticate: Bearer`; without the operation's scope,
`403`. Scopes: {scopes}

The Helsinki profile GDPR API (`/gdpr-api/v1/profiles/{{profile_id}}`) is outside
`/v1`: its tokens come from the OpenID Connect issuer `PRIVACY_GDPR_API_ISSUER`, it
serves one tenant (`PRIVACY_GDPR_API_TENANT`) and answers `404` until configured.

## Tenants
Each tenant is one controller and is fully isolated: an id that belongs to another
tenant answers `404`, exactly like an id that does not exist.

## Errors
Errors are RFC 9457 problem details (`application/problem+json`) with `type`,
`title`, `status`, `detail`, `instance` (the request id) and, for validation errors,
`errors: [{{loc, msg}}]`. Messages never repeat submitted values.

## Rate limits and outages
Each caller (the token's `tenant` and `sub`) may make a number of calls per period,
by default 600 a minute, counted by each service process. Over it the answer is `429`
with `Retry-After` (seconds) and nothing is done. When the database cannot be reached,
or the call's connection to it is lost, the answer is `503` with `Retry-After` and
nothing is changed.

## Lists, concurrency, requests
Lists take `?limit=` (1-500, default 50) and `?cursor=` and answer
`{{"items": [...], "next_cursor": ...}}`. Subjects and records carry an `ETag`
(their version); a write with a stale `If-Match` answers `412` and changes nothing.
Every response has an `X-Request-ID`; send your own (8-64 characters of
`A-Za-z0-9._-`) to correlate. Personal data never goes in a URL: lookups by
email or phone are POST bodies.
"""


def _scope_list() -> str:
    return "".join(f"\n- `{name}`: {text}" for name, text in SCOPES.items())


def build_openapi(app: FastAPI, extra_models: tuple[type[BaseModel], ...] = ()) -> dict[str, Any]:
    """The document the app serves at /openapi.json and `privacy-api openapi` writes.

    `extra_models` are request bodies an operation reads itself (declared through
    `openapi_extra`), whose schemas FastAPI would otherwise not list.
    """
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION.format(scopes=_scope_list()),
        routes=app.routes,
        tags=[
            {"name": "subjects", "description": "The system of record: subjects and records."},
            {
                "name": "rights",
                "description": "Access (Art 15), portability (Art 20), rectification (Art 16), "
                "restriction (Art 18), objection to direct marketing (Art 21).",
            },
            {
                "name": "rights requests",
                "description": "Each request of a subject, with its Art 12(3) deadline.",
            },
            {
                "name": "erasure",
                "description": "Erasure checked against retention holds (Art 17).",
            },
            {"name": "retention", "description": "Statutory retention rules and legal holds."},
            {
                "name": "recipients",
                "description": "Webhooks told of rectifications, restrictions and erasures "
                "(Art 19), and their deliveries.",
            },
            {"name": "audit", "description": "The append-only audit trail."},
            {
                "name": "gdpr api",
                "description": "The Helsinki profile GDPR API (query and delete a profile's "
                "data), with tokens of its own OpenID Connect issuer.",
            },
            {"name": "operations", "description": "Health, readiness and metrics (no token)."},
        ],
    )
    schema["info"]["license"] = {"name": "Proprietary"}
    # Relative: the document is served by the service it describes, wherever it runs.
    schema["servers"] = [{"url": "/", "description": "The service serving this document"}]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in extra_models:
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(extra.pop("$defs", {}))
        components[model.__name__] = extra
    _restore_null_examples(components)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                _merge_security(operation)
                # The operations without a token (health, readiness, metrics) say so.
                operation.setdefault("security", [])
                _malformed_if_match(operation)
                _declare_headers(operation)
                _declare_links(operation)
                _problem_content(operation)
                _optional_parameters_without_null(operation)
                _no_default_validation_error(operation)
    if "HTTPValidationError" not in json.dumps(schema["paths"]):
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
    app.openapi_schema = schema
    return schema


def operation_paths(app: FastAPI) -> dict[str, dict[str, str]]:
    """The document's `paths` reduced to `{path: {method: operationId}}`, read off the
    routes the way FastAPI lists them, without building the document."""
    paths: dict[str, dict[str, str]] = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            operation_id = route.operation_id or route.unique_id
            item = paths.setdefault(str(route.path_format), {})
            for method in route.methods or ():
                item[method.lower()] = operation_id
    return paths


_ETAG = {"description": 'The version now (`"3"`): send it as `If-Match` to change it.'}
_LOCATION = {"description": "Where the new resource is read."}
# The headers operations send beside their body, by operation id and status: declared so
# that generated clients expose them (`If-Match` takes the `ETag`).
RESPONSE_HEADERS: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "createSubject": {"201": {"Location": _LOCATION, "ETag": _ETAG}},
    "getSubject": {"200": {"ETag": _ETAG}},
    "mergeSubjects": {"200": {"ETag": _ETAG}},
    "addRecord": {"201": {"Location": _LOCATION, "ETag": _ETAG}},
    "getRecord": {"200": {"ETag": _ETAG}},
    "rectifyRecord": {"200": {"ETag": _ETAG}},
    "restrictSubject": {"201": {"ETag": _ETAG}, "200": {"ETag": _ETAG}},
    "liftRestriction": {"200": {"ETag": _ETAG}},
    "getTenantSettings": {"200": {"ETag": _ETAG}},
    "replaceTenantSettings": {"200": {"ETag": _ETAG}},
    "getPrivacyNotice": {"200": {"ETag": _ETAG}},
    "publishPrivacyNotice": {"200": {"ETag": _ETAG}},
    "recordNoticeGiven": {"201": {"Location": _LOCATION}},
    "placeLegalHold": {"201": {"Location": _LOCATION}},
    "createRecipient": {"201": {"Location": _LOCATION}},
    "objectToPurpose": {"201": {"Location": _LOCATION}},
    "openRightsRequest": {"201": {"Location": _LOCATION}},
    "exportSubject": {
        "200": {
            "Content-Disposition": {
                "description": 'A file to save: `attachment; filename="subject-{id}.json"` '
                "(or `.csv`)."
            }
        }
    },
}


def _subject(op: str, description: str, **more: str) -> dict[str, Any]:
    return {
        "operationId": op,
        "parameters": {"subject_id": "$response.body#/id", **more},
        "description": description,
    }


def _record(op: str, description: str, **more: str) -> dict[str, Any]:
    return {
        "operationId": op,
        "parameters": {"record_id": "$response.body#/id", **more},
        "description": description,
    }


def _request(op: str, description: str) -> dict[str, Any]:
    return {
        "operationId": op,
        "parameters": {"request_id": "$response.body#/id"},
        "description": description,
    }


_IF_MATCH = {"header.If-Match": "$response.header.ETag"}
# OpenAPI links: what a client (and schemathesis' stateful phase) can do next with what
# an answer returns — a subject created, read, changed with its ETag, erased.
LINKS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "createSubject": {
        "201": {
            "GetSubject": _subject("getSubject", "Read it."),
            "AddRecord": _subject("addRecord", "Add a record, guarded by its ETag.", **_IF_MATCH),
            "Restrict": _subject("restrictSubject", "Restrict it (Art 18).", **_IF_MATCH),
            "ObjectToMarketing": _subject("objectToMarketing", "Object to direct marketing."),
            "AccessReport": _subject("getAccessReport", "Its access report (Art 15)."),
            "Export": _subject("exportSubject", "Its export (Art 20)."),
            "Erase": _subject("eraseSubject", "Erase it (Art 17)."),
        }
    },
    "getSubject": {
        "200": {
            "AddRecord": _subject("addRecord", "Add a record, guarded by its ETag.", **_IF_MATCH),
            "Erase": _subject("eraseSubject", "Erase it (Art 17)."),
        }
    },
    "addRecord": {
        "201": {
            "GetRecord": _record("getRecord", "Read it."),
            "Rectify": _record("rectifyRecord", "Rectify it with its ETag (Art 16).", **_IF_MATCH),
            "History": _record("getRecordHistory", "Its rectification history."),
            "Delete": _record("deleteRecord", "Delete it with its ETag.", **_IF_MATCH),
        }
    },
    "getRecord": {
        "200": {
            "Rectify": _record("rectifyRecord", "Rectify it with its ETag (Art 16).", **_IF_MATCH),
        }
    },
    "rectifyRecord": {
        "200": {
            "Rectify": _record("rectifyRecord", "Rectify it again with the new ETag.", **_IF_MATCH),
            "History": _record("getRecordHistory", "Its rectification history."),
        }
    },
    "openRightsRequest": {
        "201": {
            "Get": _request("getRightsRequest", "Read it."),
            "Verify": _request("verifyRightsRequest", "Record the person's identification."),
            "Extend": _request("extendRightsRequest", "Extend its deadline (Art 12(3))."),
            "Review": _request("getRightsRequestReview", "Its third-party review."),
            "Letters": _request("listRightsRequestLetters", "Its letters."),
            "Complete": _request("completeRightsRequest", "Complete it."),
        }
    },
    "objectToPurpose": {
        "201": {
            "Decide": {
                "operationId": "decideObjection",
                "parameters": {"objection_id": "$response.body#/id"},
                "description": "Decide it (Art 21(1)).",
            }
        }
    },
    "placeLegalHold": {
        "201": {
            "Release": {
                "operationId": "releaseLegalHold",
                "parameters": {"hold_id": "$response.body#/id"},
                "description": "Release it.",
            }
        }
    },
}


def _declare_links(operation: dict[str, Any]) -> None:
    for status, links in LINKS.get(operation.get("operationId", ""), {}).items():
        response = operation.get("responses", {}).get(status)
        if response is not None:
            response.setdefault("links", {}).update(links)


def _declare_headers(operation: dict[str, Any]) -> None:
    for status, headers in RESPONSE_HEADERS.get(operation.get("operationId", ""), {}).items():
        response = operation.get("responses", {}).get(status)
        if response is None:
            continue
        declared = response.setdefault("headers", {})
        for name, header in headers.items():
            declared.setdefault(name, {**header, "schema": {"type": "string"}})


def _app_models() -> dict[str, type[BaseModel]]:
    """The service's own pydantic models by name."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("app."):
                found.setdefault(sub.__name__, sub)
    return found


def _restore_null_examples(components: dict[str, Any]) -> None:
    """FastAPI writes the document without `null`s (`exclude_none`), which also strips
    them from examples: an example of a required nullable field then lacks it and no
    longer validates. The examples are put back as the models state them."""
    models = _app_models()
    for name, component in components.items():
        model = models.get(name)
        if model is None or not ({"example", "examples"} & component.keys()):
            continue
        own = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for key in ("example", "examples"):
            if key in own and key in component:
                component[key] = own[key]


def _malformed_if_match(operation: dict[str, Any]) -> None:
    """An operation that reads `If-Match` answers 400 to a malformed one
    (`app.core.etag.if_match_header`)."""
    names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "header"}
    responses = operation.setdefault("responses", {})
    if "If-Match" in names and "400" not in responses:
        entry = problem_responses(400)[400]
        content = {
            media: {**body, "schema": {"$ref": "#/components/schemas/Problem"}}
            for media, body in entry["content"].items()
        }
        responses["400"] = {"description": entry["description"], "content": content}


def _optional_parameters_without_null(operation: dict[str, Any]) -> None:
    """An optional query or header parameter is left out, never sent as null: its schema
    is the value's own (`{"type": "string", "pattern": ...}`), not `anyOf [string,
    null]`, which tools read as licence to send the text "null" (in a header, e.g.
    `If-Match: null`). Keywords beside the `anyOf` (description, pattern) are kept."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        options = schema.get("anyOf")
        if parameter.get("required") or not isinstance(options, list):
            continue
        values = [option for option in options if option != {"type": "null"}]
        if len(values) == 1 and len(options) == 2:
            rest = {key: value for key, value in schema.items() if key != "anyOf"}
            parameter["schema"] = {**values[0], **rest}


def _merge_security(operation: dict[str, Any]) -> None:
    """One requirement listing every scope the operation needs of its scheme (`bearer`
    for /v1, `gdprApi` for the GDPR API): FastAPI emits one per dependency, which would
    read as alternatives."""
    requirements = operation.get("security")
    if not requirements:
        return
    merged: dict[str, list[str]] = {}
    for requirement in requirements:
        for scheme, needed in requirement.items():
            scopes = merged.setdefault(scheme, [])
            scopes += [scope for scope in needed if scope not in scopes]
    operation["security"] = [merged]
    every = [scope for scopes in merged.values() for scope in scopes]
    if every:
        operation["x-required-scopes"] = every


PROBLEM_REF = "#/components/schemas/Problem"


def _no_default_validation_error(operation: dict[str, Any]) -> None:
    """FastAPI documents a `422` with its own body for an operation that lists none; no
    operation answers it (validation errors are problem+json, and the GDPR API's are
    `400`)."""
    responses = operation.get("responses", {})
    schema = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema == {"$ref": "#/components/schemas/HTTPValidationError"}:
        del responses["422"]


def _problem_content(operation: dict[str, Any]) -> None:
    """Error responses are problem+json only — except an error body another protocol
    defines (the GDPR API's `GdprErrorResponse`), which stays `application/json`."""
    for status, response in operation.get("responses", {}).items():
        content = response.get("content")
        if (
            not content
            or not status.isdigit()
            or (int(status) < 400 and PROBLEM_JSON not in content)
        ):
            continue
        schema = content.get("application/json", {}).get("schema", {})
        if schema.get("$ref", PROBLEM_REF) != PROBLEM_REF:
            continue
        plain = content.pop("application/json", None)
        problem = content.setdefault(PROBLEM_JSON, {})
        if plain and "schema" in plain:
            problem["schema"] = plain["schema"]
        problem.setdefault("schema", {"$ref": "#/components/schemas/Problem"})
