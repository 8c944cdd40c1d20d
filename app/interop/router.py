"""The Helsinki profile GDPR API: `GET` and `DELETE /gdpr-api/v1/profiles/{profile_id}`.

Its answers follow the City of Helsinki's specification (open-city-profile
`gdpr-api-openapi.yaml`): `200` with the tree, `204` for nothing held or deleted, `400`
for parameters that fail validation, `401` for a missing or invalid token, `403` with
`{"errors": [{"code", "message": {"fi", "sv", "en"}}]}` when the data cannot be removed
or the token does not allow the call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.core.deps import ClockDep, audited
from app.core.errors import (
    PROBLEM_JSON,
    BadRequest,
    UnprocessableContent,
    problem_responses,
    validation_issues,
)
from app.interop import service
from app.interop.auth import (
    GDPR_DELETE,
    GDPR_QUERY,
    GdprUnitOfWorkDep,
    ScopeMissing,
    requires_gdpr,
)
from app.interop.messages import insufficient_scope
from app.interop.schemas import GdprError, GdprErrorResponse, Node


class GdprApiRoute(APIRoute):
    """Answers as the GDPR API specifies: bad parameters are `400` (not `422`), a token
    without the scope is `403` with the API's error list."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def gdpr_api_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise BadRequest(
                    "The request's parameters did not validate; see `errors`.",
                    errors=validation_issues(exc.errors()),
                ) from None
            except UnprocessableContent as exc:
                raise BadRequest(exc.detail, errors=exc.errors) from None
            except ScopeMissing:
                return _errors(
                    [insufficient_scope()],
                    headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
                )

        return gdpr_api_handler


router = APIRouter(tags=["gdpr api"], route_class=GdprApiRoute)


def _errors(errors: list[GdprError], headers: dict[str, str] | None = None) -> JSONResponse:
    body = GdprErrorResponse(errors=errors).model_dump(mode="json")
    return JSONResponse(body, status_code=403, headers=headers)


def _forbidden(description: str) -> dict[int | str, dict[str, Any]]:
    return {403: {"model": GdprErrorResponse, "description": description}}


def _problem(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """A problem+json response as `problem_responses` documents it, in this API's words."""
    entry = problem_responses(status)[status]
    content = entry["content"][PROBLEM_JSON]
    example = {**content["example"], "detail": description}
    return {
        status: {
            **entry,
            "description": description,
            "content": {PROBLEM_JSON: {**content, "example": example}},
        }
    }


# Answered by every operation of the GDPR API.
COMMON_RESPONSES = {
    **_problem(
        400,
        "The parameters fail validation: a `profile_id` that is not a UUID, a `dry_run` "
        "that is not a boolean, an unknown query parameter, or a body.",
    ),
    **_problem(404, "The GDPR API is not configured (`PRIVACY_GDPR_API_ISSUER` is unset)."),
}


async def no_body(request: Request) -> None:
    """A `DELETE` carries no body: `dry_run` goes in the query string. (A body's
    `dry_run` that went unread would make a dry run delete.)"""
    if await request.body():
        raise BadRequest(
            "The GDPR delete takes no body: send `dry_run` as a query parameter.",
            errors=[{"loc": ["body"], "msg": "must be empty"}],
        )


@router.get(
    "/profiles/{profile_id}",
    response_model=Node,
    response_model_exclude_none=True,
    summary="GDPR query: everything held about a Helsinki profile",
    operation_id="gdprQueryProfile",
    dependencies=[requires_gdpr(GDPR_QUERY)],
    responses={
        204: {"description": "Nothing is held about the profile (or it is unknown)."},
        **COMMON_RESPONSES,
        **_forbidden("The token does not grant the query scope."),
    },
    openapi_extra=audited("gdpr_api.query"),
)
def gdpr_query(profile_id: uuid.UUID, uow: GdprUnitOfWorkDep, clock: ClockDep) -> Node | Response:
    """The access report (Art 15) of the subject whose external reference is
    `{"system": "helsinki-profile", "id": profile_id}`, as the Helsinki profile GDPR
    API's key/children tree: the subject (`ID`, `STATUS`, `EMAILS`, `PHONES`,
    `EXTERNAL_REFS`, ...) and its records by category (`CONTACTS` → `CONTACT` → `NAME`,
    `TITLE`, ...), every value as text. `204`: nothing is held about the profile.

    Each call is an access request of the person (channel `api`), identified by the
    platform's token (`signed_in_account`), answered by this call and completed
    `fulfilled`. Records that may carry other people's data (the tenant's
    `third_party_review_categories`) are not released before they are reviewed (Art
    15(4)): they are left out, `AWAITING_REVIEW` says how many, the rights request and
    its `due_at`, and the request stays open for the desk to answer the rest. Audited
    as `gdpr_api.query` (actor: the token's `sub`), linked to the request.

    Requires a token of `PRIVACY_GDPR_API_ISSUER` granting `gdprquery`
    (`PRIVACY_GDPR_API_QUERY_SCOPE`). `404` while the GDPR API is not configured.
    """
    answer = service.query(
        uow.session,
        profile_id=profile_id,
        now=clock(),
        hash_secret=uow.request.app.state.settings.hash_secret,
    )
    uow.concerns(subject_id=answer.subject_id, rights_request_id=answer.rights_request_id)
    if answer.tree is None:
        uow.answered(204)
        return Response(status_code=204)
    return answer.tree


@router.delete(
    "/profiles/{profile_id}",
    status_code=204,
    response_class=Response,
    summary="GDPR delete: erase a Helsinki profile's data, or check that it can be",
    operation_id="gdprDeleteProfile",
    dependencies=[requires_gdpr(GDPR_DELETE), Depends(no_body)],
    responses={
        204: {
            "description": "Nothing is held about the profile any more (or never was); "
            "with `dry_run=true`: it can be deleted, and nothing was changed."
        },
        **COMMON_RESPONSES,
        **_forbidden(
            "A statutory retention rule or a legal hold keeps some of the data: nothing "
            "was deleted; `errors` says why, in Finnish, Swedish and English. Or the token "
            "does not grant the delete scope."
        ),
    },
    openapi_extra=audited("gdpr_api.delete"),
)
def gdpr_delete(
    profile_id: uuid.UUID,
    uow: GdprUnitOfWorkDep,
    clock: ClockDep,
    dry_run: Annotated[
        bool, Query(description="`true`: check that the data can be deleted; change nothing.")
    ] = False,
) -> Response:
    """Erase everything held about the subject whose external reference is
    `{"system": "helsinki-profile", "id": profile_id}` (Art 17), as
    `POST /v1/rights-requests/{id}/erasure` erases it: records deleted, identifiers
    removed, the subject `erased`, recipients told. `204` also when nothing is held.

    All or nothing: the platform deletes a profile only when every service can delete
    all of it. When a statutory retention rule (e.g. Bokföringslagen 7 kap. 2 § for an
    invoice) or a legal hold keeps any record, nothing is erased and the answer is
    `403` with one error per hold — why, until when, and the right to complain and to a
    judicial remedy — in `fi`, `sv` and `en` (Art 12(4), 17(3)(b), 17(3)(e)).

    Each call is an erasure request of the person (channel `api`), identified by the
    platform's token (`signed_in_account`) and completed in the call: `fulfilled`, or
    `refused` with the holds as its reasons. `dry_run=true` answers the same without
    erasing and opens no request (the platform sends one before every delete). Audited
    as `gdpr_api.delete` (actor: the token's `sub`), linked to the request.

    Requires a token of `PRIVACY_GDPR_API_ISSUER` granting `gdprdelete`
    (`PRIVACY_GDPR_API_DELETE_SCOPE`). `404` while the GDPR API is not configured.
    """
    answer = service.delete(
        uow.session,
        profile_id=profile_id,
        dry_run=dry_run,
        actor=uow.actor,
        tenant_id=uow.tenant,
        now=clock(),
    )
    uow.concerns(
        subject_id=answer.subject_ids[0] if answer.subject_ids else None,
        rights_request_id=answer.rights_request_id,
    )
    if answer.errors:
        # Committed: the refused request is recorded, and so is this call.
        uow.answered(403)
        return _errors(answer.errors)
    return Response(status_code=204)
