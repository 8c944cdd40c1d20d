"""`POST /v1/subjects/import`: onboarding a tenant's contacts from NDJSON.

Included apart from the other `/v1` routers (see `app.main`): its body is a stream of
lines, never read whole, so the NUL check that reads a JSON body whole is made per
line here (`import_service.parse_line`) instead.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request, Security
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.audit.service import record_event
from app.core.clock import SESSION_CLOCK_KEY
from app.core.db import begin_write, is_unique_violation, new_tenant_session, write_turn
from app.core.deps import NUL_MESSAGE, audited, authenticate
from app.core.errors import (
    MethodNotAllowed,
    UnprocessableContent,
    UnsupportedMediaType,
    problem_responses,
)
from app.core.security import Principal
from app.subjects.import_body import NDJSON, ndjson_lines
from app.subjects.import_service import (
    BATCH_LINES,
    BatchResult,
    Line,
    ParsedBatch,
    import_parsed,
    parse_lines,
)
from app.subjects.schemas import (
    CONTACT_EXAMPLE,
    MAX_LISTED_IMPORT_FAILURES,
    ImportFailure,
    ImportReport,
)


async def reject_nul_in_headers(request: Request) -> None:
    """422 for a NUL character in a header (as `reject_nul_characters` does for every other
    operation; the body's lines are checked one by one as they are read)."""
    issues = [
        {"loc": ["header", name[:64]], "msg": NUL_MESSAGE}
        for name, value in request.headers.items()
        if "\x00" in value
    ]
    if issues:
        raise UnprocessableContent(
            "A string in the request contains a NUL character.", errors=issues
        )


router = APIRouter(tags=["subjects"], dependencies=[Depends(reject_nul_in_headers)])

AUDIT_ACTION = "subject.import"

_EXAMPLE_LINES = [
    {
        "emails": ["asa.oberg@example.se"],
        "phones": ["070-123 45 67"],
        "external_refs": [{"system": "crm", "id": "C-1001"}],
        "records": [CONTACT_EXAMPLE],
    },
    {"emails": ["per.lind@example.se"], "external_refs": [{"system": "crm", "id": "C-1002"}]},
]
_EXAMPLE_BODY = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in _EXAMPLE_LINES)


@router.api_route(
    "/subjects/import",
    methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def import_other_methods() -> None:
    """Only POST; without this route a GET would read "import" as a subject id."""
    raise MethodNotAllowed("POST")


@router.post(
    "/subjects/import",
    response_model=ImportReport,
    summary="Import subjects (NDJSON)",
    operation_id="importSubjects",
    responses=problem_responses(401, 403, 413, 415, 422),
    openapi_extra={
        **audited(AUDIT_ACTION),
        "requestBody": {
            "required": True,
            "description": "One subject create body (`SubjectCreate`) per line, each with at "
            "least one external reference.",
            "content": {
                NDJSON: {
                    "schema": {"$ref": "#/components/schemas/SubjectCreate"},
                    "example": _EXAMPLE_BODY,
                }
            },
        },
    },
)
async def import_subjects(
    request: Request,
    principal: Annotated[Principal, Security(authenticate, scopes=["subjects:write"])],
) -> ImportReport:
    """Create many subjects from NDJSON: one subject create body per line.

    Each line is validated exactly as the body of `POST /v1/subjects` (emails and phones
    to their canonical form, records by category) and must carry at least one external
    reference, which makes the line idempotent:

    - none of its external references is known: the subject is **created**;
    - they all belong to one subject that already holds everything the line says: the
      line is **unchanged** and nothing is written (so a repeated import changes
      nothing, and an import cut off half-way can simply be sent again);
    - otherwise the line **failed** (e.g. the reference belongs to a subject holding
      other data: an import never changes an existing subject; correct it with
      `PATCH /v1/records/{record_id}`, which keeps its history and holds).

    Valid lines are stored even when others fail. Failed lines are listed with their
    number (from 1; blank lines are skipped but counted) and the errors, never their
    content; the first 1,000 are listed, `failed_count` counts them all. A line over
    `PRIVACY_MAX_BODY_BYTES` fails; the body may be up to
    `PRIVACY_MAX_IMPORT_BODY_BYTES` (413). The body is read as a stream and stored
    1,000 lines per transaction, each audited as `subject.import` with the number of
    subjects created (no personal data). An email or phone someone objected with is
    imported objecting (Art 21(3)), also after the subject that objected was erased.

    Requires scope `subjects:write`.
    """
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != NDJSON:
        # (A body of another type was refused before it was read, `ImportBodyLimit`.)
        raise UnsupportedMediaType(f"Send the body as {NDJSON}: one JSON object per line.")
    settings = request.app.state.settings
    engine: Engine = request.app.state.engine
    report = ImportReport(created=0, unchanged=0, failed=[], failed_count=0)
    parse = partial(parse_lines, max_line_bytes=settings.max_body_bytes)

    def account(result: BatchResult) -> None:
        report.created += result.created
        report.unchanged += result.unchanged
        report.failed_count += len(result.failures)
        room = MAX_LISTED_IMPORT_FAILURES - len(report.failed)
        report.failed.extend(
            ImportFailure(line=f.line, errors=f.errors) for f in result.failures[:room]
        )

    # PostgreSQL: batch n is stored (its transaction mostly waits for the server) while
    # batch n+1 is read and validated, in a thread of its own; batch n+1 is stored only
    # once batch n is committed, so it sees what batch n stored. SQLite works in this
    # process: validating beside it would only contend for the GIL, so one at a time.
    overlap = engine.dialect.name != "sqlite"
    batch: list[Line] = []
    storing: asyncio.Future[BatchResult] | None = None
    try:
        async for line in ndjson_lines(request.stream(), max_line_bytes=settings.max_body_bytes):
            batch.append(line)
            if len(batch) < BATCH_LINES:
                continue
            parsed = await anyio.to_thread.run_sync(parse, batch)
            batch = []
            if storing is not None:
                account(await storing)
            storing = asyncio.ensure_future(_store(request, principal, engine, parsed))
            if not overlap:
                await asyncio.wait([storing])
        if batch or storing is None:  # (an empty body is audited too)
            parsed = await anyio.to_thread.run_sync(parse, batch)
            if storing is not None:
                account(await storing)
            storing = asyncio.ensure_future(_store(request, principal, engine, parsed))
        account(await storing)
    finally:
        if storing is not None:
            # The body broke off (or the client left) while a batch was being stored:
            # its transaction runs to its end either way; wait for it, and let the
            # error that broke the request off be the one answered.
            with anyio.CancelScope(shield=True):
                await asyncio.wait([storing])
            if not storing.cancelled():
                storing.exception()
    request.state.audited = True
    return report


async def _store(
    request: Request, principal: Principal, engine: Engine, batch: ParsedBatch
) -> BatchResult:
    """One batch in its own write transaction, committed with its audit event.

    Writers queue for their turn on the event loop (`write_turn`), batch by batch, so a
    long import lets other writes in between its batches.
    """
    settings = request.app.state.settings
    transaction = partial(
        _transaction,
        engine,
        principal,
        batch,
        clock=request.app.state.clock,
        hash_secret=settings.hash_secret,
        request_id=request.state.request_id,
    )
    async with write_turn(engine, timeout=settings.db_lock_timeout_seconds):
        try:
            return await anyio.to_thread.run_sync(transaction)
        except IntegrityError as exc:
            if not is_unique_violation(exc):
                raise
    # A concurrent import took one of the batch's external references between our
    # lookup and our insert: look again (those lines are now unchanged or failed).
    async with write_turn(engine, timeout=settings.db_lock_timeout_seconds):
        return await anyio.to_thread.run_sync(transaction)


def _transaction(
    engine: Engine,
    principal: Principal,
    batch: ParsedBatch,
    *,
    clock: object,
    hash_secret: str,
    request_id: str,
) -> BatchResult:
    with new_tenant_session(engine, principal.tenant) as session:
        session.info[SESSION_CLOCK_KEY] = clock
        begin_write(session)
        result = import_parsed(session, batch, hash_secret=hash_secret)
        record_event(
            session,
            actor=principal.actor,
            action=AUDIT_ACTION,
            request_id=request_id,
            status_code=200,
            items=result.created,
        )
        session.commit()
        return result
