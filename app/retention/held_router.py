"""Endpoints for reading held records for the purpose they are held for (Art 18(2)).

A path of their own, not a scope-dependent answer of `GET /v1/records/{id}`: the
processing read keeps one meaning (restricted data is never served to processing),
this one answers with the holds that justify the read, and each read is audited under
its own action.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from app.core.deps import ClockDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.core.pagination import Page, PageParams, page_params
from app.retention import held_records
from app.retention.held_records import HeldRecord

router = APIRouter(tags=["retention"])


@router.get(
    "/held-records/{record_id}",
    response_model=HeldRecord,
    summary="Read a held record (Art 18(2))",
    operation_id="getHeldRecord",
    dependencies=[requires("holds:read")],
    responses=problem_responses(401, 403, 404, 422),
    openapi_extra=audited("record.held_read"),
)
def get_held_record(record_id: uuid.UUID, uow: UnitOfWorkDep, clock: ClockDep) -> HeldRecord:
    """A record that a hold keeps, with its data and every hold that keeps it, for the
    purpose it is kept for: legal claims (a legal hold, Art 17(3)(e), 18(2)) or a legal
    obligation such as bookkeeping (a statutory rule, e.g. Bokföringslagen 7 kap. 2 §,
    under which räkenskapsinformation must stay accessible).

    Served here: records kept when their subject was erased, while a hold still covers
    them, and records under a legal hold in force. Processing reads of the same record
    (`GET /v1/records/{id}`, `subjects:read`) still answer 423. A record no hold keeps
    answers 404 here. Every read is audited (action `record.held_read`).

    Requires scope `holds:read`.
    """
    held = held_records.get_held_record(uow.session, record_id, now=clock())
    uow.concerns(subject_id=held.record.subject_id, record_id=held.record.id)
    return held


@router.get(
    "/subjects/{subject_id}/held-records",
    response_model=Page[HeldRecord],
    summary="List a subject's held records (Art 18(2))",
    operation_id="listHeldRecords",
    dependencies=[requires("holds:read")],
    responses=problem_responses(400, 401, 403, 404, 422),
    openapi_extra=audited("subject.held_records_read"),
)
def list_held_records(
    subject_id: uuid.UUID,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[HeldRecord]:
    """The subject's held records (see `GET /v1/held-records/{id}`), oldest first, a page
    at a time; a page can hold fewer than `limit` items. Also for an erased subject,
    whose kept records are listed until the purge removes them. Every call is audited
    (action `subject.held_records_read`).

    Requires scope `holds:read`.
    """
    items, next_cursor = held_records.list_held_records(
        uow.session, subject_id, page=page, now=clock()
    )
    uow.concerns(subject_id=subject_id)
    return Page[HeldRecord](items=items, next_cursor=next_cursor)
