"""Endpoints of the notice at collection (Art 13/14)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.collection import service
from app.collection.schemas import NoticeDue, NoticeGivenCreate, NoticeGivenPublic
from app.core.deps import ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, page_params

router = APIRouter(tags=["notice at collection"])


@router.post(
    "/subjects/{subject_id}/notice-given",
    status_code=201,
    response_model=NoticeGivenPublic,
    summary="Record that the notice at collection was given (Art 13/14)",
    operation_id="recordNoticeGiven",
    dependencies=[requires("subjects:write")],
    responses=problem_responses(400, 401, 403, 404, 410, 413, 415, 422),
    openapi_extra=audited("subject.notice_given"),
)
def record_notice_given(
    subject_id: uuid.UUID,
    body: NoticeGivenCreate,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    response: Response,
) -> NoticeGivenPublic:
    """Record that the person was given the tenant's privacy notice: by which `channel`,
    when (`given_at`, not in the future) and which published `notice_version`.

    Art 13(1)-(2) asks for the notice when data is obtained from the person, Art 14(3)(a)
    within a month when it is obtained from others. The subject's `notice_given_at` is
    the first notice given; each later one (e.g. a new version of the notice sent after
    it changed) is added to the subject's history
    (`GET /v1/subjects/{id}/notices-given`) and leaves `notice_given_at` as it was.
    Recording the same notice, channel and moment again (a retry) answers as the first
    call did, with the entry already recorded. An erased subject answers 410.

    Requires scope `subjects:write`.
    """
    entry = service.record_notice_given(uow.session, subject_id, body, actor=uow.actor, now=clock())
    uow.concerns(subject_id=entry.subject_id)
    response.headers["Location"] = f"/v1/subjects/{entry.subject_id}/notices-given"
    return NoticeGivenPublic.model_validate(entry)


@router.get(
    "/subjects/{subject_id}/notices-given",
    response_model=Page[NoticeGivenPublic],
    summary="The notices given to a subject",
    operation_id="listNoticesGiven",
    dependencies=[requires("rights:read")],
    responses=problem_responses(400, 401, 403, 404, 422),
)
def list_notices_given(
    subject_id: uuid.UUID,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[NoticeGivenPublic]:
    """Every notice given to the subject (Art 13/14), in the order they were recorded:
    the proof of what the person was told, when and how (Art 5(2)).

    Requires scope `rights:read`.
    """
    entries, next_cursor = service.notices_given(session, subject_id, page=page)
    return Page[NoticeGivenPublic](
        items=[NoticeGivenPublic.model_validate(e) for e in entries], next_cursor=next_cursor
    )


@router.get(
    "/notices/due",
    response_model=Page[NoticeDue],
    summary="Subjects still to be given the notice at collection (Art 14(3))",
    operation_id="listNoticesDue",
    dependencies=[requires("rights:read")],
    responses=problem_responses(400, 401, 403, 422),
)
def list_notices_due(
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[NoticeDue]:
    """The subjects whose notice at collection has not been recorded, oldest first (in
    the order they were created), a page at a time — the mailer's work list.

    `due_at` is the latest moment Art 14(3)(a) allows: one calendar month after the data
    was first obtained (`collected_at`: the subject's creation, or an earlier record of
    it), on the same day number, or the month's last day where that day does not exist
    (collected 2026-01-31 → due 2026-02-28). `overdue` says it has passed. Where the
    data came from the person, Art 13 asks for the notice at once. A subject leaves the
    list when its notice is recorded; erased subjects are not listed.

    Requires scope `rights:read`.
    """
    items, next_cursor = service.notices_due(session, page=page, now=clock())
    return Page[NoticeDue](items=items, next_cursor=next_cursor)
