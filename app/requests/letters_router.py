"""Endpoints of the letters to the person about a rights request (Art 12)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.core.deps import AuditedReadDep, ClockDep, SessionDep, UnitOfWorkDep, audited, requires
from app.core.errors import problem_responses
from app.notices.schemas import Lang
from app.requests import letters, service
from app.requests.schemas import (
    LetterFormat,
    LetterKind,
    LetterOverview,
    LetterSent,
    LetterSentPublic,
)
from app.rights.render import HTML_SECURITY_HEADERS

router = APIRouter(tags=["rights requests"])

MEDIA_TYPES = {
    LetterFormat.html: "text/html; charset=utf-8",
    LetterFormat.text: "text/plain; charset=utf-8",
}

LETTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The letter: a complete HTML document (`format=html`) or plain text "
        "(`format=text`) in `lang`.",
        "headers": {
            "Content-Language": {
                "description": "The language of the letter (`sv` or `en`).",
                "schema": {"type": "string"},
            },
            "Link": {
                "description": "On an answer that releases data: where the desk downloads "
                'each attached export, `</v1/subjects/{id}/export?rights_request_id=…>; rel="'
                'enclosure"; title="subject-{id}.json"`.',
                "schema": {"type": "string"},
            },
        },
        "content": {
            "text/html": {
                "schema": {"type": "string"},
                "example": '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
                "<title>Vi har tagit emot din begäran \u2013 Care of</title>…",
            },
            "text/plain": {
                "schema": {"type": "string"},
                "example": "Care of\n\nVi har tagit emot din begäran\n"
                "=============================\n\nDatum: 4 mars 2026\n…",
            },
        },
    },
}


@router.get(
    "/rights-requests/{request_id}/letters",
    response_model=LetterOverview,
    summary="Letters of a rights request",
    operation_id="listRightsRequestLetters",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 404, 422),
)
def list_letters(request_id: uuid.UUID, session: SessionDep) -> LetterOverview:
    """What the privacy desk can write to the person now, and what it has sent.

    `available`: the letters that exist for the request as it stands (none without a
    published notice: letters speak as the controller). `attachments`: once the answer
    exists for an access or portability request, the export of every covered subject
    (`subject-{id}.json`), with the link the desk downloads it from. `sent`: the letters
    recorded as sent, oldest first.

    Requires scope `rights:read`.
    """
    return letters.overview(session, request_id)


@router.get(
    "/rights-requests/{request_id}/letters/{kind}",
    summary="Render a letter to the person",
    operation_id="getRightsRequestLetter",
    dependencies=[requires("rights:read")],
    response_class=Response,
    responses={**LETTER_RESPONSES, **problem_responses(401, 403, 404, 409, 422)},
    openapi_extra=audited("rights_request.letter"),
)
def get_letter(
    request_id: uuid.UUID,
    kind: LetterKind,
    uow: AuditedReadDep,
    clock: ClockDep,
    lang: Annotated[Lang, Query(description="The language of the letter.")] = "sv",
    format: Annotated[
        LetterFormat, Query(description="`html`: a complete HTML document; `text`: plain text.")
    ] = LetterFormat.html,
) -> Response:
    """A letter to the person about the request, written from the tenant's published
    notice in Swedish or English, in clear and plain language (Art 12(1)).

    - `acknowledgement` (always): what was received, when, our reference (the request
      id) and by when we answer; awaiting verification, that we first confirm who the
      person is and the month counts from then (EDPB Guidelines 01/2022 § 159).
    - `identification` (awaiting verification, or information asked of the person): why
      we ask (Art 12(6)), by proportionate means (EDPB 01/2022 §§ 65-77), or what we
      asked; the deadline waits for the reply.
    - `extension` (once extended): by how many months, why, and the new date (Art 12(3)).
    - `answer` (completed `fulfilled` or `partially_fulfilled`): for access, the access
      report of every subject the request covers (in text form a summary of categories
      and counts); for the other rights, what was done; no data held where no subject
      matched. An answer that releases data lists the exports attached, each
      `subject-{id}.json` (downloadable at `/v1/subjects/{id}/export?rights_request_id=`,
      also given in `Link` headers). Partly fulfilled: the reasons and the right to
      complain to the supervisory authority and to a judicial remedy (Art 12(4)).
    - `refusal` (completed `refused`): the reasons, the Art 12(5) grounds where set, the
      right to complain and to a judicial remedy (Art 12(4)).

    A letter that does not exist for the request now is 409, saying why (`available`
    lists those that do); without a published notice every letter is 409. Each letter is
    dated (now), signed by the controller (name, address, contact, data protection
    officer or contact point) and carries the reference; it never holds the requester's
    email or phone (the desk addresses it). HTML: no scripts, nothing loaded from
    elsewhere. The call is audited.

    Requires scope `rights:read`.
    """
    request = service.get_request(uow.session, request_id)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    letter = letters.letter(
        uow.session,
        request,
        kind,
        lang=lang,
        now=clock(),
        hash_secret=uow.request.app.state.settings.hash_secret,
    )
    headers = {"Content-Language": lang, "Cache-Control": "no-store", **HTML_SECURITY_HEADERS}
    if letter.attachments:
        headers["Link"] = ", ".join(
            f'<{file.href}>; rel="enclosure"; title="{file.filename}"'
            for file in letter.attachments
        )
    return Response(letters.render(letter, format), media_type=MEDIA_TYPES[format], headers=headers)


@router.post(
    "/rights-requests/{request_id}/letters/{kind}/sent",
    status_code=201,
    response_model=LetterSentPublic,
    summary="Record that a letter was sent",
    operation_id="recordRightsRequestLetterSent",
    dependencies=[requires("rights:write")],
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
    openapi_extra=audited("rights_request.letter_sent"),
)
def record_letter_sent(
    request_id: uuid.UUID,
    kind: LetterKind,
    body: LetterSent,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> LetterSentPublic:
    """Record that the letter was sent to the person: by which `channel`, when
    (`sent_at`) and in which `lang` (accountability, Art 5(2)).

    Only a letter that exists for the request now (409, by the same rules as rendering
    it); `sent_at` before the request was received or in the future is 422. The same
    letter sent again is recorded again; each entry is kept.

    Requires scope `rights:write`.
    """
    request = service.get_request(uow.session, request_id)
    uow.concerns(subject_id=request.subject_id, rights_request_id=request.id)
    entry = letters.record_sent(uow.session, request, kind, body, now=clock(), actor=uow.actor)
    return letters.to_public(entry)
