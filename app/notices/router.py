"""Endpoints of the tenant's privacy notice: read, publish, and Care of's template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.etag import IfMatch, etag_for
from app.notices import service
from app.notices.schemas import Lang, NoticeDocument, NoticeTemplate, PublishedNotice
from app.notices.template import CARE_OF_NOTICE

router = APIRouter(tags=["privacy notice"])


@router.get(
    "/privacy-notice",
    response_model=PublishedNotice,
    summary="The tenant's privacy notice in force",
    operation_id="getPrivacyNotice",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 404, 422),
)
def get_privacy_notice(session: SessionDep, response: Response) -> PublishedNotice:
    """The latest published version of the tenant's notice (Art 13/14), in Swedish and
    English, with its `version` (also the `ETag`), when and by whom it was published.

    A tenant has no notice until it publishes one: until then this answers 404 — no
    default and no other controller's notice stands in. Access reports then say
    `notice_missing: true`.

    Requires scope `admin`.
    """
    notice = service.get_notice(session)
    response.headers["ETag"] = etag_for(notice.version)
    return notice


@router.get(
    "/privacy-notice/versions/{version}",
    response_model=PublishedNotice,
    summary="A published version of the tenant's privacy notice",
    operation_id="getPrivacyNoticeVersion",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 404, 422),
)
def get_privacy_notice_version(
    version: Annotated[int, Path(ge=1, le=1_000_000)], session: SessionDep
) -> PublishedNotice:
    """Version `version` exactly as it was published: what a person informed with that
    version (`notice_version`) was told (Art 5(2), accountability). Versions are never
    changed or removed.

    Requires scope `admin`.
    """
    return service.get_version(session, version)


@router.get(
    "/privacy-notice/template",
    response_model=NoticeTemplate,
    summary="Care of's notice, as a template to adapt",
    operation_id="getPrivacyNoticeTemplate",
    dependencies=[requires("admin")],
    responses=problem_responses(401, 403, 422),
)
def get_privacy_notice_template(
    lang: Annotated[Lang, Query(description="Language of `about`.")] = "sv",
) -> NoticeTemplate:
    """Care of's own privacy notice, rewritten in the notice model, as a starting point.

    It is **Care of's** notice, not the tenant's: the tenant is the controller of what it
    collects and must replace the controller, the contact point, and adapt purposes,
    legal bases, retention, recipients and transfers (`adapt` lists them; `about` says
    so in `lang`). `notice` is in the shape `PUT /v1/privacy-notice` accepts and passes
    its validation. Nothing is published by reading it.

    Requires scope `admin`.
    """
    return service.template(lang)


@router.put(
    "/privacy-notice",
    response_model=PublishedNotice,
    summary="Publish a new version of the tenant's privacy notice",
    operation_id="publishPrivacyNotice",
    dependencies=[requires("admin")],
    responses=problem_responses(400, 401, 403, 412, 413, 415, 422, 428),
    openapi_extra=audited("privacy_notice.publish"),
)
def publish_privacy_notice(
    body: Annotated[
        NoticeDocument,
        Body(
            openapi_examples={
                "care_of": {
                    "summary": "Care of's notice (a template: adapt it)",
                    "value": CARE_OF_NOTICE,
                }
            }
        ),
    ],
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
) -> PublishedNotice:
    """Publish the whole notice, Swedish and English, as the next version (1, 2, ...).

    The first publication is sent without `If-Match`; every later one needs
    `If-Match` with the current `ETag`: 428 without it, 412 when it is stale. Earlier
    versions are kept unchanged.

    Refused with 422 and `errors` naming each gap: the controller, the data protection
    officer or contact point (`dpo`), purposes with a `code` and a `legal_basis` (and
    the `legitimate_interest` pursued for `legitimate_interests`), every category with
    its purposes and retention (rules in force from `GET /v1/retention-rules`, or
    concrete criteria — not "as long as necessary"), recipients, transfers outside the
    EU/EEA per country (ISO 3166-1 alpha-2) with their mechanism and how to obtain a
    copy of the safeguard (or `transfers_outside_eea: false` and none), sources,
    automated decision-making, every right, the Art 21(1) objection stated separately
    (`objection_right`), the complaint authority. Both languages must describe the same
    purposes, bases, rules and transfers.

    Requires scope `admin`.
    """
    published = service.publish_notice(
        uow.session, body, actor=uow.actor, now=clock(), if_match=if_match
    )
    response.headers["ETag"] = etag_for(published.version)
    return published
