"""Endpoints of the rights: access, portability, rectification, restriction, objection."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from app.core.db import Reader, run_blocking
from app.core.deps import (
    AuditedReadDep,
    ClockDep,
    SessionDep,
    UnitOfWorkDep,
    audited,
    caller_reader,
    requires,
    run_read,
)
from app.core.errors import BadRequest, UnprocessableContent, problem_responses, validation_issues
from app.core.etag import IfMatch, check_if_match, etag_for
from app.core.negotiation import negotiate
from app.core.pagination import Page, PageParams, page_params
from app.requests import review
from app.requests import service as requests
from app.retention.settings import tenant_settings
from app.rights import marketing, rectification, restriction
from app.rights.access import access_report
from app.rights.export import started, stream_csv, stream_json
from app.rights.render import HTML_SECURITY_HEADERS, access_report_html
from app.rights.schemas import (
    AccessReport,
    HistoryEntry,
    MarketingCheckRequest,
    MarketingCheckResult,
    ObjectionResult,
    RecordPatch,
    RestrictionCreate,
    RestrictionState,
)
from app.subjects import service as subjects
from app.subjects.schemas import RecordPublic

router = APIRouter(tags=["rights"])

RightsRequestId = Annotated[
    uuid.UUID | None,
    Query(
        description="The rights request this call serves; its audit event is linked to it. "
        "It must be about the same subject."
    ),
]


def _settings(request: Request) -> Any:
    return request.app.state.settings


ACCESS_REPORT_MEDIA = ("application/json", "text/html")


def access_report_media(request: Request) -> str:
    """The media type `Accept` asks the access report in; 406 if neither."""
    return negotiate(request.headers.get("accept"), ACCESS_REPORT_MEDIA)


@router.get(
    "/subjects/{subject_id}/access-report",
    response_model=AccessReport,
    summary="Access report (Art 15)",
    operation_id="getAccessReport",
    dependencies=[requires("rights:read")],
    responses={
        200: {
            "description": "The access report: JSON, or with `Accept: text/html` a complete "
            "HTML document for the person, with the same content.",
            "headers": {
                "Vary": {
                    "description": "`Accept`: the answer depends on it.",
                    "schema": {"type": "string"},
                },
                "Content-Language": {
                    "description": "The language of the texts (`sv` or `en`).",
                    "schema": {"type": "string"},
                },
            },
            "content": {
                "text/html": {
                    "schema": {"type": "string"},
                    "example": '<!DOCTYPE html>\n<html lang="sv">\n<head>\n'
                    '<meta charset="utf-8">\n<title>Registerutdrag från Care of</title>…',
                }
            },
        },
        **problem_responses(401, 403, 404, 406, 409, 422),
    },
    openapi_extra=audited("subject.access_report"),
)
def get_access_report(
    subject_id: uuid.UUID,
    media: Annotated[str, Depends(access_report_media)],
    uow: AuditedReadDep,
    response: Response,
    clock: ClockDep,
    lang: Annotated[Literal["sv", "en"], Query(description="Language of the texts.")] = "sv",
    rights_request_id: RightsRequestId = None,
) -> AccessReport | Response:
    """Everything held about the subject, and everything Art 15 says the subject may know.

    Every record, restricted ones included, plus, from the tenant's own published notice
    (`notice_version`) and narrowed to the subject's actual data: the controller and its
    data protection officer or contact point, the purposes of the categories held with
    their legal bases (and the legitimate interest pursued), the categories held, the
    recipients — the categories from the notice and, by name, the tenant's registered
    recipients (webhooks) that were sent events about this subject (CJEU C-154/21) —,
    the retention per category (rules and criteria) with the concrete date per held
    record (e.g. an invoice kept under Bokföringslagen 7 kap. 2 §), the sources,
    transfers per third country with their mechanism and how to obtain the safeguard,
    the rights, the Art 21(1) objection stated separately (Art 21(4)), the right to
    complain to IMY, and whether automated decision-making is used; in Swedish or
    English (`lang`).

    Without a published notice every record is still listed (Art 15(3)),
    `notice_missing` is `true` and what only a notice can say is `null`; another
    controller's notice never stands in. The call is audited.

    With `rights_request_id` — the report as released to the person through that
    request — the request must be verified (409 before) and its third-party review
    complete (409 `review-pending` while a note or meeting record is undecided, Art
    15(4)): withheld records are left out of `records`, redacted fields taken out of
    their `data`, and `third_party_review` says what was left out and why.

    `Accept: application/json` (the default; also `*/*`) answers JSON. `Accept:
    text/html` answers the same report as a complete HTML document a person can read
    (Art 12(1)): headings, tables, labels and dates in `lang`, times in the tenant's
    time zone, no scripts and nothing loaded from elsewhere. Any other `Accept` is 406.

    Requires scope `rights:read`.
    """
    subject = subjects.get_subject(uow.session, subject_id)
    linked = requests.link_call(uow, subject.id, rights_request_id)
    report = access_report(
        uow.session,
        subject,
        lang=lang,
        now=clock(),
        hash_secret=_settings(uow.request).hash_secret,
        release=review.release_for(uow.session, linked, [subject.id]) if linked else None,
    )
    headers = {"Vary": "Accept", "Content-Language": lang, "Cache-Control": "no-store"}
    if media == "text/html":
        html = access_report_html(report, zone=tenant_settings(uow.session).zone)
        return HTMLResponse(html, headers={**headers, **HTML_SECURITY_HEADERS})
    response.headers.update(headers)
    return report


@router.get(
    "/subjects/{subject_id}/export",
    summary="Export the subject's data (Art 20)",
    operation_id="exportSubject",
    dependencies=[requires("rights:read")],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The data, streamed, as a file.",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/SubjectExport"},
                    "example": {
                        "subject_id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70",
                        "generated_at": "2026-11-25T09:30:00Z",
                        "identifiers": {
                            "emails": ["asa.oberg@example.se"],
                            "phones": ["+46701234567"],
                            "external_refs": [{"system": "crm", "id": "C-1001"}],
                        },
                        "records": [
                            {
                                "id": "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71",
                                "category": "contact",
                                "origin": "provided",
                                "source": "crm",
                                "created_at": "2026-11-25T09:30:00Z",
                                "updated_at": "2026-11-25T09:30:00Z",
                                "data": {"name": "Åsa Öberg", "title": "CFO"},
                            }
                        ],
                    },
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "record_id,category,field,value,source,origin,created_at\r\n"
                    "019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a71,contact,name,Åsa Öberg,crm,provided,"
                    "2026-11-25T09:30:00Z\r\n",
                },
            },
        },
        **problem_responses(401, 403, 404, 409, 422),
    },
    openapi_extra=audited("subject.export"),
)
def export_subject(
    subject_id: uuid.UUID,
    uow: AuditedReadDep,
    clock: ClockDep,
    request: Request,
    format: Annotated[Literal["json", "csv"], Query(description="`json` or `csv`.")] = "json",
    rights_request_id: RightsRequestId = None,
) -> StreamingResponse:
    """The data the subject provided or that was observed about it (not derived data),
    streamed as one JSON document or as CSV, for download.

    JSON: `{"subject_id", "generated_at", "identifiers", "records": [...]}`. CSV: a
    header row, then one row per field value: `record_id, category, field, value,
    source, origin, created_at` (identifiers first, with category `identifier`; list
    values as `field.0`, `field.1`, ...). A CSV cell that starts with `=`, `+`, `-`, `@`,
    tab or carriage return is prefixed with `'` so that spreadsheets show it as text and
    never run it as a formula (OWASP "CSV injection"): a phone number reads
    `'+46701234567`. JSON gives every value unchanged. Restricted records are included.
    The call is audited.

    With `rights_request_id`, the export as released through that request: verified
    (409 before), its third-party review complete (409 `review-pending` otherwise, Art
    15(4)); withheld records and redacted fields are left out, and the JSON says so in
    `third_party_review` (`{"rights_request_id", "withheld_records", "redacted":
    [{"record_id", "fields"}]}`).

    Requires scope `rights:read`.
    """
    subject = subjects.get_subject(uow.session, subject_id)
    linked = requests.link_call(uow, subject.id, rights_request_id)
    release = review.release_for(uow.session, linked, [subject.id]) if linked else None
    engine = request.app.state.engine
    now = clock()
    if format == "csv":
        body, media_type = (
            stream_csv(engine, uow.tenant, subject.id, now, release=release),
            "text/csv; charset=utf-8",
        )
    else:
        body, media_type = (
            stream_json(engine, uow.tenant, subject.id, now, release=release),
            "application/json",
        )
    filename = f"subject-{subject.id}.{format}"
    return StreamingResponse(
        started(body),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.patch(
    "/records/{record_id}",
    response_model=RecordPublic,
    summary="Rectify a record (Art 16)",
    operation_id="rectifyRecord",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 410, 412, 413, 415, 422),
    openapi_extra={
        **audited("record.rectify"),
        "requestBody": {
            "required": True,
            "content": {
                "application/merge-patch+json": {
                    "schema": {"$ref": "#/components/schemas/RecordPatch"},
                    "example": {"data": {"title": "CEO", "address": None}},
                },
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/RecordPatch"},
                    "example": {"data": {"title": "CEO"}},
                },
            },
        },
    },
)
def rectify_record(
    record_id: uuid.UUID,
    body: Annotated[RecordPatch, Body()],
    uow: UnitOfWorkDep,
    clock: ClockDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
    rights_request_id: RightsRequestId = None,
) -> RecordPublic:
    """Correct or complete a record with a JSON Merge Patch (RFC 7396) of its `data`.

    Send `{"data": {"title": "CEO"}}` as `application/merge-patch+json` (or
    `application/json`); `null` removes an optional field; only `data` may change. The
    result is validated against the category's schema as a whole. With `If-Match`, a
    stale ETag answers 412 and nothing changes. A change bumps the version (new
    `ETag`), writes a history entry naming the changed fields (never their values) and
    notifies every recipient (Art 19), all in one transaction. Restricted records may
    be rectified. An erased subject answers 410. A record under a legal hold cannot
    change, and a field a retention rule reads (for sales documents `kind`, `date`,
    `financial_year_end`, `is_verification`) cannot change while the rule holds the
    record: 409, listing the holds (`holds`).

    Requires scope `rights:write`.
    """
    subject, record = subjects.get_writable_record(uow.session, record_id)
    requests.link_call(uow, subject.id, rights_request_id)
    uow.concerns(record_id=record.id)
    check_if_match(if_match, record.version)
    rectification.rectify(
        uow.session,
        subject,
        record,
        body.data,
        actor=uow.actor,
        now=clock(),
        tenant_id=uow.tenant,
        hash_secret=_settings(request).hash_secret,
        rights_request_id=getattr(request.state, "audit_rights_request_id", None),
    )
    response.headers["ETag"] = etag_for(record.version)
    return RecordPublic.model_validate(record)


@router.get(
    "/records/{record_id}/history",
    response_model=Page[HistoryEntry],
    summary="Rectification history of a record",
    operation_id="getRecordHistory",
    dependencies=[requires("rights:read")],
    responses=problem_responses(400, 401, 403, 404, 422),
)
def get_record_history(
    record_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Page[HistoryEntry]:
    """Every rectification of the record, oldest first: the changed field names, the
    actor, the time and the rights request, never the old or new values.

    Requires scope `rights:read`.
    """
    record = subjects.get_record(session, record_id)
    entries, next_cursor = rectification.history(session, record, page=page)
    return Page[HistoryEntry](
        items=[HistoryEntry.model_validate(e) for e in entries], next_cursor=next_cursor
    )


@router.post(
    "/subjects/{subject_id}/restriction",
    response_model=RestrictionState,
    summary="Restrict processing (Art 18)",
    operation_id="restrictSubject",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 410, 412, 413, 415, 422),
    openapi_extra=audited("subject.restrict"),
)
def restrict_subject(
    subject_id: uuid.UUID,
    body: RestrictionCreate,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
    rights_request_id: RightsRequestId = None,
) -> RestrictionState:
    """Restrict the whole subject, or only the records in `record_ids`, with a reason.

    While restricted the data is stored but not used: `GET /v1/records/{id}` answers
    423, record lists show `restricted: true` with `data: null`, marketing checks answer
    `allowed: false` (reason `restricted`) for a restricted subject, and records added
    later to a restricted subject are stored restricted. The access report and export
    still include everything. Recipients are notified (Art 19).

    Requires scope `rights:write`.
    """
    subject = subjects.get_writable_subject(uow.session, subject_id)
    requests.link_call(uow, subject.id, rights_request_id)
    check_if_match(if_match, subject.version)
    restriction.restrict(
        uow.session,
        subject,
        body,
        actor=uow.actor,
        tenant_id=uow.tenant,
        now=clock(),
        rights_request_id=getattr(uow.request.state, "audit_rights_request_id", None),
    )
    response.headers["ETag"] = etag_for(subject.version)
    return restriction.state(uow.session, subject)


@router.delete(
    "/subjects/{subject_id}/restriction",
    response_model=RestrictionState,
    summary="Lift the restriction (Art 18)",
    operation_id="liftRestriction",
    dependencies=[requires("rights:write")],
    responses=problem_responses(401, 403, 404, 410, 412, 422),
    openapi_extra=audited("subject.lift_restriction"),
)
def lift_restriction(
    subject_id: uuid.UUID,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
    if_match: IfMatch = None,
    rights_request_id: RightsRequestId = None,
) -> RestrictionState:
    """Lift every restriction of the subject and its records. Lifting is explicit: the
    subject must be told before it happens (Art 18(3)). Recipients are notified.

    Requires scope `rights:write`.
    """
    subject = subjects.get_writable_subject(uow.session, subject_id)
    requests.link_call(uow, subject.id, rights_request_id)
    check_if_match(if_match, subject.version)
    restriction.lift(uow.session, subject, tenant_id=uow.tenant, now=clock())
    response.headers["ETag"] = etag_for(subject.version)
    return restriction.state(uow.session, subject)


@router.get(
    "/subjects/{subject_id}/restriction",
    response_model=RestrictionState,
    summary="What is restricted",
    operation_id="getRestriction",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 404, 422),
)
def get_restriction(subject_id: uuid.UUID, session: SessionDep) -> RestrictionState:
    """The restrictions in force for the subject and its records.

    Requires scope `rights:read`.
    """
    return restriction.state(session, subjects.get_subject(session, subject_id))


@router.post(
    "/subjects/{subject_id}/marketing-objection",
    response_model=ObjectionResult,
    summary="Object to direct marketing (Art 21)",
    operation_id="objectToMarketing",
    dependencies=[requires("rights:write")],
    responses=problem_responses(401, 403, 404, 410, 422),
    openapi_extra=audited("subject.object_marketing"),
)
def object_to_marketing(
    subject_id: uuid.UUID,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    request: Request,
    rights_request_id: RightsRequestId = None,
) -> ObjectionResult:
    """Record the subject's objection to direct marketing: absolute and immediate.

    From this moment every marketing check for the subject, and for each of its emails
    and phones, answers `allowed: false` (reason `objection`) — also for emails and
    phones added later, and after the subject is erased and the same email or phone is
    imported again as a new subject. The objection is kept as keyed hashes of the
    normalised identifiers, not in clear text. Repeating it changes nothing.

    Requires scope `rights:write`.
    """
    subject = subjects.get_writable_subject(uow.session, subject_id)
    requests.link_call(uow, subject.id, rights_request_id)
    count = marketing.object_to_marketing(
        uow.session,
        subject,
        secret=_settings(request).hash_secret,
        now=clock(),
    )
    return ObjectionResult(
        subject=subjects.subject_view(
            uow.session, subject, hash_secret=_settings(request).hash_secret
        ),
        suppressed_identifiers=count,
    )


_CHECK_BODY = TypeAdapter(MarketingCheckRequest)


@router.post(
    "/marketing/check",
    response_model=MarketingCheckResult,
    summary="May these people receive direct marketing?",
    operation_id="checkMarketing",
    dependencies=[requires("marketing:check")],
    responses=problem_responses(400, 401, 403, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/MarketingCheckRequest"},
                    "example": {
                        "emails": ["asa.oberg@example.se"],
                        "phones": ["070-123 45 67"],
                        "subject_ids": ["019ab2c4-5d6e-7f00-8a1b-2c3d4e5f6a70"],
                    },
                }
            },
        }
    },
)
async def check_marketing(request: Request) -> Response:
    """A verdict for each email, phone and subject id (up to 10,000 in all), in the order
    emails, phones, subject_ids.

    `allowed: false` with `reason`: `objection` (the person objected, also under an
    earlier, erased subject), `restricted` (processing is restricted), `erased` or
    `unknown_subject` (for subject ids). An item that is not a valid email, phone or id
    gets `error` and `allowed: false`; the rest of the batch is answered normally.
    Identifiers are normalised as on create (`070-123 45 67` is `+46701234567`).

    Requires scope `marketing:check`.
    """
    # The hot path: the body is validated straight from bytes and the answer serialised
    # once. A small batch is a short read (`run_read`: awaited on the event loop on
    # PostgreSQL, in a read thread on SQLite); a large one runs in the general pool, so
    # that lookups of thousands of identifiers do not hold up the short reads. Neither
    # blocks the event loop (/healthz never waits).
    try:
        body = _CHECK_BODY.validate_json(await request.body())
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise BadRequest("The request body is not valid JSON.") from None
        errors = validation_issues(exc.errors())
        for issue in errors:
            issue["loc"] = ["body", *issue["loc"]]
        raise UnprocessableContent(
            "The request did not pass validation; see `errors`.", errors=errors
        ) from None
    secret = _settings(request).hash_secret

    async def answer(reader: Reader) -> bytes:
        results = await marketing.check(reader, body, secret=secret)
        # pydantic-core's serializer: 7 ms for 10,000 verdicts against 26 ms for the
        # json module's (the body's JSON parser refuses lone surrogates, so every
        # value encodes as UTF-8).
        return to_json({"results": results})

    items = len(body.emails) + len(body.phones) + len(body.subject_ids)
    if items <= marketing.SMALL_LIST:
        payload = await run_read(request, answer)
    else:

        def large() -> bytes:
            with caller_reader(request) as reader:
                return run_blocking(answer(reader))

        payload = await anyio.to_thread.run_sync(large)
    return Response(payload, media_type="application/json")
