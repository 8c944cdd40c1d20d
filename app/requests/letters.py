"""Letters to the person about their rights request (Art 12), rendered from the tenant's
published notice in Swedish or English, as HTML or plain text.

Art 12(1) asks for "concise, transparent, intelligible and easily accessible form, using
clear and plain language"; each letter says one thing. Which letter exists when (409
otherwise, saying why):

- `acknowledgement`: always (Art 12(3); awaiting verification, the month counts from
  then: EDPB Guidelines 01/2022 § 159);
- `identification`: while the request awaits verification of the person's identity or
  information asked of them (Art 12(2), 12(6); Recital 63; EDPB 01/2022 §§ 65-77, 159);
- `extension`: once the deadline was extended (Art 12(3) third sentence);
- `answer`: once completed `fulfilled` or `partially_fulfilled` (Art 12(3)-(4), 15-21);
- `refusal`: once completed `refused` (Art 12(4)-(5)).

Every letter speaks as the controller, so it needs the tenant's published notice (409
without): it is signed with the controller's name, address and contact and its data
protection officer or contact point, and it names the supervisory authority from the
notice's `complaint`. Every letter is dated (the instant it is rendered) and carries the
request's id as the reference. Dates are in words, on the request's calendar (the
tenant's time zone when it was received, the one its deadline is counted in).

A letter never holds the requester's email or phone: the desk addresses it. The answer
to an access request holds the person's data itself: the access report of every subject
the request covers, through `release.released_reports` (what the request releases, and
nothing before verification). The request's internal `note` is never in a letter.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.core.errors import Conflict
from app.notices.schemas import Lang, NoticeText, PublishedNotice
from app.notices.service import current_notice
from app.requests import service
from app.requests.letter_labels import (
    CHANNEL,
    DONE,
    GROUNDS,
    LETTER_TEXT,
    MONTHS_COUNT,
    REQUEST_TYPE,
    REQUEST_WHAT,
)
from app.requests.models import RightsRequest, RightsRequestLetter
from app.requests.release import covered_subjects, released_reports
from app.requests.schemas import (
    LetterAttachment,
    LetterFormat,
    LetterKind,
    LetterOverview,
    LetterSent,
    LetterSentPublic,
    Outcome,
    PauseReason,
    RequestStatus,
    RequestType,
)
from app.rights.render import Formatter, environment, labels, report_view
from app.rights.schemas import AccessReport

# The answer to these hands the person their data: the export of each covered subject is
# attached (Art 15(3), 20(1)).
RELEASES_DATA = frozenset({RequestType.access, RequestType.portability})
# Art 19: the recipients are told of these, and the person may ask who they are.
TELLS_RECIPIENTS = frozenset(
    {RequestType.rectification, RequestType.erasure, RequestType.restriction}
)
ANSWERED = frozenset({Outcome.fulfilled, Outcome.partially_fulfilled})

NO_NOTICE = (
    "Publish a privacy notice first: letters speak as the controller, with its identity, "
    "contact details and supervisory authority from the notice (Art 12(1), 13(1)(a))."
)


class LetterUnavailable(Conflict):
    """The letter does not exist for the request as it stands (409); `available` lists
    those that do."""

    def __init__(self, detail: str, *, available: Sequence[LetterKind]):
        super().__init__(detail)
        self.extensions = {"available": [kind.value for kind in available]}


def why_not(request: RightsRequest, kind: LetterKind) -> str | None:
    """Why the letter `kind` does not exist for the request now; `None`: it does."""
    status = RequestStatus(request.status)
    outcome = Outcome(request.outcome) if request.outcome else None
    if kind is LetterKind.acknowledgement:
        return None
    if kind is LetterKind.identification:
        if status is RequestStatus.awaiting_verification or (
            request.pause_reason == PauseReason.information
        ):
            return None
        return (
            "The identification letter is written while the request awaits verification of "
            "the person's identity or information asked of them (Art 12(6)); this request "
            "awaits neither."
        )
    if kind is LetterKind.extension:
        if request.extension_months > 0:
            return None
        return (
            "The extension letter is written once the deadline is extended (Art 12(3)); "
            "this request has not been extended."
        )
    if kind is LetterKind.answer:
        if status is RequestStatus.completed and outcome in ANSWERED:
            return None
        if outcome is Outcome.refused:
            return "The request was refused: its letter is the `refusal` (Art 12(4))."
        return (
            "The answer is written once the request is completed as `fulfilled` or "
            "`partially_fulfilled`; this request is not completed yet."
        )
    # LetterKind.refusal
    if outcome is Outcome.refused:
        return None
    if status is RequestStatus.completed:
        return "The request was not refused: its letter is the `answer`."
    return (
        "The refusal is written once the request is completed as `refused`; this request "
        "is not completed yet."
    )


def available_kinds(request: RightsRequest) -> list[LetterKind]:
    """The letters that exist for the request now (given a published notice)."""
    return [kind for kind in LetterKind if why_not(request, kind) is None]


def _ensure_exists(session: Session, request: RightsRequest, kind: LetterKind) -> PublishedNotice:
    """The notice the letter is written from; 409 if none is published or the letter
    does not exist for the request now."""
    notice = current_notice(session)
    if notice is None:
        raise LetterUnavailable(NO_NOTICE, available=[])
    reason = why_not(request, kind)
    if reason is not None:
        raise LetterUnavailable(reason, available=available_kinds(request))
    return notice


def attachments(request: RightsRequest, subject_ids: Sequence[uuid.UUID]) -> list[LetterAttachment]:
    """The files an answer that releases data lists: the export of each covered subject,
    fetched through the request so that what it releases applies."""
    if RequestType(request.type) not in RELEASES_DATA:
        return []
    return [
        LetterAttachment(
            subject_id=subject_id,
            filename=f"subject-{subject_id}.json",
            href=f"/v1/subjects/{subject_id}/export?rights_request_id={request.id}",
        )
        for subject_id in subject_ids
    ]


@dataclass(frozen=True)
class Letter:
    """Everything a letter says, ready for its template."""

    kind: LetterKind
    lang: Lang
    request: RightsRequest
    notice: NoticeText
    zone: ZoneInfo
    written_on: date
    received_on: date
    # The end of the first month (moved by paused days): what the acknowledgement says.
    first_due_on: date
    due_on: date
    asked_on: date | None
    # The answer's subjects (empty: no data held); the other letters name none.
    covered: list[uuid.UUID] = field(default_factory=list)
    reports: list[AccessReport] = field(default_factory=list)
    attachments: list[LetterAttachment] = field(default_factory=list)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def letter(
    session: Session,
    request: RightsRequest,
    kind: LetterKind,
    *,
    lang: Lang,
    now: datetime,
    hash_secret: str,
) -> Letter:
    """The letter `kind` for the request, in `lang`; 409 when the letter does not exist
    now (or no notice is published)."""
    notice = _ensure_exists(session, request, kind)
    zone = ZoneInfo(request.time_zone)
    covered: list[uuid.UUID] = []
    reports: list[AccessReport] = []
    if kind is LetterKind.answer:
        if request.type == RequestType.access:
            # What the request releases: the report of every covered subject (Art 15).
            reports = released_reports(
                session, request, lang=lang, now=now, hash_secret=hash_secret
            )
            covered = [report.subject.id for report in reports]
        else:
            covered = [subject.id for subject in covered_subjects(session, request)]
    return Letter(
        kind=kind,
        lang=lang,
        request=request,
        notice=notice.text(lang),
        zone=zone,
        written_on=_local_day(now, zone),
        received_on=_local_day(request.received_at, zone),
        first_due_on=_local_day(service.original_due_at(request), zone),
        due_on=_local_day(request.due_at, zone),
        asked_on=_local_day(request.paused_since, zone)
        if request.pause_reason == PauseReason.information and request.paused_since
        else None,
        covered=covered,
        reports=reports,
        attachments=attachments(request, covered) if kind is LetterKind.answer else [],
    )


TEMPLATE_SUFFIX = {LetterFormat.html: "html", LetterFormat.text: "txt"}


def render(letter: Letter, format: LetterFormat) -> str:
    """The letter as a complete HTML document or as plain text."""
    lang = letter.lang
    request_type = letter.request.type
    context: dict[str, Any] = {
        "letter": letter,
        "lang": lang,
        "lt": {key: words[lang] for key, words in LETTER_TEXT.items()},
        "t": labels(lang),
        "fmt": Formatter(lang=lang, zone=letter.zone),
        "zone_name": str(letter.zone.key),
        "controller": letter.notice.controller,
        "dpo": letter.notice.dpo,
        "complaint": letter.notice.complaint,
        "what": REQUEST_WHAT[request_type][lang],
        "type_name": REQUEST_TYPE[request_type][lang],
        "channel": CHANNEL[letter.request.channel][lang],
        "done": DONE[request_type][lang] if request_type in DONE else None,
        "recipients_told": DONE["recipients_told"][lang]
        if RequestType(request_type) in TELLS_RECIPIENTS
        else None,
        "grounds": GROUNDS[letter.request.refusal_grounds][lang]
        if letter.request.refusal_grounds
        else None,
        "months": MONTHS_COUNT[letter.request.extension_months][lang]
        if letter.request.extension_months in MONTHS_COUNT
        else str(letter.request.extension_months),
        "views": [
            report_view(report, anchor=f"report-{number}-")
            for number, report in enumerate(letter.reports, start=1)
        ],
    }
    name = f"letters/{letter.kind.value}.{TEMPLATE_SUFFIX[format]}"
    return environment().get_template(name).render(context)


def record_sent(
    session: Session,
    request: RightsRequest,
    kind: LetterKind,
    body: LetterSent,
    *,
    now: datetime,
    actor: str,
) -> RightsRequestLetter:
    """Record that the letter was sent. Only a letter that exists now (409, as for
    rendering it); `sent_at` not before the request was received nor in the future (422).
    The same letter sent again is a new entry."""
    _ensure_exists(session, request, kind)
    service._not_in_future(body.sent_at, now, "sent_at")
    service._not_before(body.sent_at, request.received_at, "sent_at", "the request was received")
    entry = RightsRequestLetter(
        rights_request_id=request.id,
        kind=kind.value,
        lang=body.lang,
        channel=body.channel.value,
        sent_at=body.sent_at.astimezone(UTC),
        recorded_at=now,
        recorded_by=actor,
    )
    session.add(entry)
    session.flush()
    return entry


def to_public(entry: RightsRequestLetter) -> LetterSentPublic:
    return LetterSentPublic.model_validate(entry)


def overview(session: Session, request_id: uuid.UUID) -> LetterOverview:
    """The letters that exist now for the request, the files its answer lists, and the
    letters recorded as sent, oldest first."""
    request = service.get_request(session, request_id)
    published = current_notice(session) is not None
    available = available_kinds(request) if published else []
    files: list[LetterAttachment] = []
    if LetterKind.answer in available:
        files = attachments(request, [s.id for s in covered_subjects(session, request)])
    sent = session.exec(
        select(RightsRequestLetter)
        .where(RightsRequestLetter.rights_request_id == request.id)
        .order_by(col(RightsRequestLetter.sent_at), col(RightsRequestLetter.id))
    ).all()
    return LetterOverview(
        rights_request_id=request.id,
        notice_published=published,
        available=available,
        attachments=files,
        sent=[to_public(entry) for entry in sent],
    )
