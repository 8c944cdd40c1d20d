"""Endpoints of the system of record: subjects and their records."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel

from app.audit.service import record_event
from app.core.clock import session_now
from app.core.deps import (
    SessionDep,
    UnitOfWork,
    UnitOfWorkDep,
    audited,
    requires,
    run_read,
)
from app.core.errors import MethodNotAllowed, problem_responses
from app.core.etag import IfMatch, check_if_match, etag_for
from app.core.pagination import Page, PageParams, page_params
from app.subjects import merge, reads, service
from app.subjects.categories import Category
from app.subjects.schemas import (
    CONTACT_EXAMPLE,
    INVOICE_EXAMPLE,
    MergeReport,
    RecordCreate,
    RecordPublic,
    SubjectCreate,
    SubjectList,
    SubjectMerge,
    SubjectPublic,
    SubjectSearch,
)

router = APIRouter(tags=["subjects"])


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.hash_secret
    return secret


def _hash_secret(uow: UnitOfWork) -> str:
    return _secret(uow.request)


@router.post(
    "/subjects",
    status_code=201,
    response_model=SubjectPublic,
    summary="Create a subject",
    operation_id="createSubject",
    dependencies=[requires("subjects:write")],
    responses=problem_responses(400, 401, 403, 409, 413, 415, 422),
    openapi_extra=audited("subject.create"),
)
def create_subject(body: SubjectCreate, uow: UnitOfWorkDep, response: Response) -> SubjectPublic:
    """Create a data subject with its identifiers and, optionally, its first records.

    Emails are validated and lower-cased; phones are validated and stored in E.164
    (numbers without a country code are read as Swedish). The email and phone of a
    `contact` record also become identifiers of the subject. An external reference
    (`system` + `id`) belongs to one subject per tenant: reusing it answers 409.

    Requires scope `subjects:write`.
    """
    subject = service.create_subject(uow.session, body, hash_secret=_hash_secret(uow))
    uow.concerns(subject_id=subject.id)
    response.headers["Location"] = f"/v1/subjects/{subject.id}"
    response.headers["ETag"] = etag_for(subject.version)
    return service.subject_view(uow.session, subject, hash_secret=_hash_secret(uow))


@router.api_route(
    "/subjects/search",
    methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def search_subjects_other_methods() -> None:
    """Search takes a POST (identifiers go in the body, never in the URL); without this
    route a GET would fall into `/subjects/{subject_id}` and read "search" as an id."""
    raise MethodNotAllowed("POST")


@router.post(
    "/subjects/search",
    response_model=SubjectList,
    summary="Find subjects by email, phone or external reference",
    operation_id="searchSubjects",
    dependencies=[requires("subjects:read")],
    responses=problem_responses(400, 401, 403, 413, 415, 422),
)
def search_subjects(body: SubjectSearch, session: SessionDep, request: Request) -> SubjectList:
    """Find the subjects that have an email, a phone or an external reference.

    The identifier goes in the body, never in the URL, so that it does not end up in
    access logs. The email and phone are normalised as on create, so `070-123 45 67`
    finds `+46701234567`. At most 100 subjects are returned.

    Requires scope `subjects:read`.
    """
    subjects = service.search_subjects(session, body)
    return SubjectList(items=service.subject_views(session, subjects, hash_secret=_secret(request)))


@router.get(
    "/subjects/{subject_id}",
    response_model=SubjectPublic,
    summary="Get a subject",
    operation_id="getSubject",
    dependencies=[requires("subjects:read")],
    responses=problem_responses(308, 401, 403, 404, 422),
)
async def get_subject(subject_id: uuid.UUID, request: Request) -> Response:
    """A subject with its identifiers, status (`active`, `restricted`, `erased`) and flags.

    The `ETag` header carries its version, for `If-Match` on later writes. The id of a
    subject merged into another answers 308 with `Location` on that subject; so does
    every path under it, for reads and writes alike.

    Requires scope `subjects:read`.
    """
    secret = _secret(request)
    view = await run_read(request, lambda r: reads.read_subject(r, subject_id, hash_secret=secret))
    return _json(view, etag=etag_for(view.version))


@router.post(
    "/subjects/{subject_id}/records",
    status_code=201,
    response_model=RecordPublic,
    summary="Add a record to a subject",
    operation_id="addRecord",
    dependencies=[requires("subjects:write")],
    responses=problem_responses(308, 400, 401, 403, 404, 410, 412, 413, 415, 422),
    openapi_extra=audited("record.create"),
)
def add_record(
    subject_id: uuid.UUID,
    body: Annotated[
        RecordCreate,
        Body(
            openapi_examples={
                "contact": {"summary": "Contact details", "value": CONTACT_EXAMPLE},
                "invoice": {"summary": "An invoice", "value": INVOICE_EXAMPLE},
            }
        ),
    ],
    uow: UnitOfWorkDep,
    response: Response,
    if_match: IfMatch = None,
) -> RecordPublic:
    """Store a record of one category for the subject.

    `data` is validated against the category's schema (see `ContactData`,
    `SalesDocumentData`, ...). A record added while the subject is restricted is
    stored restricted. An erased subject answers 410. `If-Match` is checked against
    the subject's ETag when sent.

    Requires scope `subjects:write`.
    """
    subject = service.get_writable_subject(uow.session, subject_id)
    uow.concerns(subject_id=subject.id)
    check_if_match(if_match, subject.version)
    record = service.add_record(uow.session, subject, body, hash_secret=_hash_secret(uow))
    uow.concerns(record_id=record.id)
    response.headers["Location"] = f"/v1/records/{record.id}"
    response.headers["ETag"] = etag_for(record.version)
    return RecordPublic.model_validate(record)


@router.get(
    "/subjects/{subject_id}/records",
    response_model=Page[RecordPublic],
    summary="List a subject's records",
    operation_id="listRecords",
    dependencies=[requires("subjects:read")],
    responses=problem_responses(308, 400, 401, 403, 404, 422),
)
def list_records(
    subject_id: uuid.UUID,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    category: Annotated[Category | None, Query(description="Only this category.")] = None,
) -> Page[RecordPublic]:
    """The subject's records, oldest first, a page at a time.

    A restricted record (Art 18) is listed with `restricted: true` and `data: null`:
    it is stored but may not be used. The subject's access report and export show it.

    Requires scope `subjects:read`.
    """
    subject = service.get_subject(session, subject_id)
    records, next_cursor = service.list_records(session, subject, page=page, category=category)
    return Page[RecordPublic](
        items=[service.record_for_processing(r) for r in records], next_cursor=next_cursor
    )


@router.get(
    "/records/{record_id}",
    response_model=RecordPublic,
    summary="Get a record",
    operation_id="getRecord",
    dependencies=[requires("subjects:read")],
    responses=problem_responses(401, 403, 404, 422, 423),
)
async def get_record(record_id: uuid.UUID, request: Request) -> Response:
    """One record. The `ETag` header carries its version.

    A restricted record (Art 18) answers 423 Locked: it is stored but may not be used.

    Requires scope `subjects:read`.
    """
    record = await run_read(request, lambda r: reads.read_record(r, record_id))
    return _json(record, etag=etag_for(record.version))


def _json(model: BaseModel, *, etag: str) -> Response:
    """The model as the answer, serialised once (FastAPI would validate it again first)."""
    return Response(
        model.model_dump_json(by_alias=True),
        media_type="application/json",
        headers={"ETag": etag},
    )


@router.delete(
    "/records/{record_id}",
    status_code=204,
    summary="Delete a record",
    operation_id="deleteRecord",
    dependencies=[requires("subjects:write")],
    responses=problem_responses(401, 403, 404, 409, 410, 412, 422),
    openapi_extra=audited("record.delete"),
)
def delete_record(record_id: uuid.UUID, uow: UnitOfWorkDep, if_match: IfMatch = None) -> Response:
    """Delete one record (and its rectification history) from the system of record.

    A record that a hold covers — a statutory retention rule or a legal hold — cannot
    be deleted: 409, naming the holds (`holds`). An erased subject answers 410. Of two
    concurrent deletions one answers 204 and the other 404.

    Requires scope `subjects:write`.
    """
    subject, record = service.get_writable_record(uow.session, record_id)
    uow.concerns(subject_id=subject.id, record_id=record.id)
    check_if_match(if_match, record.version)
    service.delete_record(uow.session, record)
    return Response(status_code=204)


@router.post(
    "/subjects/{subject_id}/merge",
    response_model=MergeReport,
    summary="Merge duplicates into a subject",
    operation_id="mergeSubjects",
    dependencies=[requires("rights:write")],
    responses=problem_responses(308, 400, 401, 403, 404, 409, 412, 413, 415, 422),
    openapi_extra=audited("subject.merge"),
)
def merge_subjects(
    subject_id: uuid.UUID,
    body: SubjectMerge,
    uow: UnitOfWorkDep,
    response: Response,
    if_match: IfMatch = None,
) -> MergeReport:
    """Join duplicates of the same person (`subject_ids`, 1 to 50) into this subject.

    Moves their emails and phones (deduplicated), external references, records with
    their rectification history, restrictions, legal holds, general objections, notices
    given and rights requests into this subject, in one transaction under the locks of
    all of them. A duplicate that objected to direct marketing makes the person
    objecting (Art 21(3)). A duplicate restricted as a whole keeps the records it brings
    restricted (Art 18). Legal holds move with their ids: a hold placed on a duplicate
    subject holds this subject. The relationship lasts if it lasts for any of them,
    else it ended on the latest day recorded; the earliest notice given counts.

    The duplicates become `merged` (`merged_into` this subject) with no identifiers and
    no records; their ids answer 308 to the same path under this subject from then on.
    An unknown (or another tenant's) id answers 404; an erased subject, or a duplicate
    already merged into another subject, 409; this subject among `subject_ids`, 422.
    Repeating a merge is harmless. `If-Match` is checked against this subject's ETag
    when sent. Audited as `subject.merge` for this subject and for each duplicate;
    recipients subscribed to `subject.merged` are told (ids only).

    Requires scope `rights:write`.
    """
    uow.concerns(subject_id=subject_id)
    result = merge.merge_subjects(
        uow.session,
        subject_id,
        body.subject_ids,
        if_match=if_match,
        hash_secret=_hash_secret(uow),
        now=session_now(uow.session),
    )
    for merged_id in result.merged_ids:
        # The merged ids stay findable in the audit trail (one event each, ids only).
        record_event(
            uow.session,
            actor=uow.actor,
            action="subject.merge",
            request_id=uow.request.state.request_id,
            status_code=200,
            subject_id=merged_id,
        )
    response.headers["ETag"] = etag_for(result.target.version)
    return MergeReport(
        subject=service.subject_view(uow.session, result.target, hash_secret=_hash_secret(uow)),
        merged_subject_ids=result.merged_ids,
        moved=result.moved,
    )
