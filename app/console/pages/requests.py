"""A rights request: its timeline, its deadline in words and date, the actions the
workflow allows now (from `app.requests.service.allowed_actions`), the third-party
review, and the letters as they will be sent; and the form that records a new request.

Every change goes through the same service function as the API's operation and is
audited under the same action name, with the signed-in person as actor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, func, select

from app.console.deps import (
    ConsoleUser,
    ConsoleWork,
    console_work,
    get_engine,
    requires,
    verify_csrf,
)
from app.console.errors import ConsoleNotFound
from app.console.forms import FormData, read_form
from app.console.render import flash, redirect, render
from app.console.routing import page_router, writes
from app.core.clock import SESSION_CLOCK_KEY
from app.core.db import tenant_session
from app.core.errors import AppError, NotFound
from app.core.pagination import PageParams
from app.notices.schemas import Lang
from app.requests import deadlines, letters, review, service
from app.requests.models import ReviewDecision, RightsRequest
from app.requests.queue import DUE_SOON_WORKING_DAYS
from app.requests.schemas import (
    Channel,
    LetterFormat,
    LetterKind,
    LetterSent,
    Outcome,
    RefusalGrounds,
    RequestType,
    ReviewDecisionCreate,
    ReviewDecisionKind,
    RightsRequestAskInformation,
    RightsRequestComplete,
    RightsRequestCreate,
    RightsRequestExtend,
    RightsRequestInformationReceived,
    RightsRequestVerify,
    VerificationMethod,
)
from app.retention.settings import tenant_settings
from app.subjects.categories import DATA_MODELS, Category

router = page_router()
M = TypeVar("M", bound=BaseModel)

READ = "rights:read"
WRITE = "rights:write"
REVIEW_PAGE = 200
LOCAL_INPUT = "%Y-%m-%dT%H:%M"

Reader = Annotated[ConsoleUser, Depends(requires(READ))]
Writer = Annotated[ConsoleUser, Depends(requires(WRITE))]
Form = Annotated[FormData, Depends(read_form)]
CSRF = [Depends(verify_csrf)]


class FormProblem(Exception):
    """The form's input is invalid: field name -> message (never the value)."""

    def __init__(self, errors: dict[str, str], status_code: int = 422):
        super().__init__("invalid form")
        self.errors = errors
        self.status_code = status_code


def _local_input(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(LOCAL_INPUT)


def _parse_local(value: str, zone: ZoneInfo, name: str) -> datetime:
    """A `datetime-local` input, read in the tenant's time zone."""
    try:
        parsed = datetime.strptime(value[:16], LOCAL_INPUT)
    except ValueError:
        raise FormProblem({name: "form.invalid"}) from None
    return parsed.replace(tzinfo=zone)


def _model(model: type[M], values: dict[str, Any]) -> M:
    """Validate the form's values with the API's schema; errors by field, no values."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for issue in error.errors(include_input=False, include_url=False):
            loc = [str(part) for part in issue["loc"]]
            problems.setdefault(loc[0] if loc else "_form", str(issue["msg"]))
        raise FormProblem(problems) from None


def _zone(session: Session) -> ZoneInfo:
    return tenant_settings(session).zone


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the timeline: a message key and its parameters; a parameter named in
    `labels` is itself shown through a message key (`labels[name] + value`)."""

    at: datetime | None
    key: str
    params: dict[str, Any]
    detail: str | None = None
    labels: dict[str, str] | None = None

    def words(self, t: Callable[..., str]) -> str:
        params = dict(self.params)
        for name, prefix in (self.labels or {}).items():
            params[name] = t(prefix + str(params[name]))
        return t(self.key, **params)


def _timeline(session: Session, request: RightsRequest, sent: list[Any]) -> list[TimelineEntry]:
    """What happened to the request, in order."""
    entries = [
        TimelineEntry(
            request.received_at,
            "requests.tl.received",
            {"channel": request.channel},
            labels={"channel": "channel."},
        )
    ]
    if request.verified_at is not None:
        entries.append(
            TimelineEntry(
                request.verified_at,
                "requests.tl.verified",
                {"method": request.verification_method or ""},
                labels={"method": "method."},
            )
        )
    if request.information_asked:
        entries.append(
            TimelineEntry(
                request.paused_since if request.pause_reason == "information" else None,
                "requests.tl.information_asked",
                {},
                detail=request.information_asked,
            )
        )
    if request.extension_months:
        entries.append(
            TimelineEntry(
                request.extension_informed_at,
                "requests.tl.extended",
                {"months": request.extension_months},
                detail=request.extension_reason,
            )
        )
    for letter in sent:
        entries.append(
            TimelineEntry(
                letter.sent_at,
                "requests.tl.letter_sent",
                {"kind": letter.kind, "lang": letter.lang, "channel": letter.channel},
                labels={"kind": "letters.kind.", "lang": "lang.", "channel": "channel."},
            )
        )
    decided = session.exec(
        select(func.count())
        .select_from(ReviewDecision)
        .where(col(ReviewDecision.rights_request_id) == request.id)
    ).one()
    if decided:
        entries.append(TimelineEntry(None, "requests.tl.review", {"count": int(decided)}))
    if request.completed_at is not None:
        entries.append(
            TimelineEntry(
                request.completed_at,
                "requests.tl.completed",
                {"outcome": request.outcome or ""},
                detail=request.reasons,
                labels={"outcome": "outcome."},
            )
        )
    dated = sorted((e for e in entries if e.at is not None), key=lambda e: e.at)  # type: ignore[arg-type, return-value]
    return dated + [e for e in entries if e.at is None]


def _deadline(request: RightsRequest, now: datetime, zone: ZoneInfo) -> tuple[str, dict[str, Any]]:
    """The deadline in words: a message key and its parameters."""
    if request.status == "completed":
        return "requests.deadline.completed", {}
    if request.paused_since is not None:
        return "requests.deadline.paused", {}
    if deadlines.has_passed(request.due_at, now):
        days = (now.astimezone(zone).date() - request.due_at.astimezone(zone).date()).days
        return "requests.deadline.overdue", {"days": days}
    left = deadlines.working_days_until(request.due_at, now, tz=zone)
    if left == 0:
        return "requests.deadline.today", {}
    key = "requests.deadline.soon" if left <= DUE_SOON_WORKING_DAYS else "requests.deadline.left"
    return key, {"days": left}


def _detail_context(
    request: Request, session: Session, user: ConsoleUser, request_id: uuid.UUID
) -> dict[str, Any]:
    rights_request = service.get_request(session, request_id)
    now = request.app.state.clock()
    zone = ZoneInfo(rights_request.time_zone)
    public = service.to_public(rights_request, now=now)
    overview = letters.overview(session, request_id)
    actions = service.allowed_actions(rights_request)
    review_state = None
    if service.can_review(rights_request) or rights_request.type in service.RELEASING:
        review_state = review.review_state(
            session, request_id, page=PageParams(limit=REVIEW_PAGE, after=None)
        )
    deadline_key, deadline_params = _deadline(rights_request, now, zone)
    return {
        "req": public,
        "timeline": _timeline(session, rights_request, overview.sent),
        "deadline_key": deadline_key,
        "deadline_params": deadline_params,
        "actions": [action.value for action in actions] if user.has(WRITE) else [],
        "extension_steps": [
            m
            for m in deadlines.ART_12_3.extension_steps
            if m <= service.extension_months_left(rights_request)
        ],
        "outcomes": [o.value for o in service.completion_outcomes(rights_request)],
        "letters": overview,
        "review": review_state,
        "review_fields": {
            item.record.id: list(DATA_MODELS[Category(item.record.category)].model_fields)
            for item in (review_state.items if review_state else [])
        },
        "now_input": _local_input(now, zone),
        "methods": [m.value for m in VerificationMethod],
        "grounds": [g.value for g in RefusalGrounds],
        "channels": [c.value for c in Channel],
        "decisions": [d.value for d in ReviewDecisionKind],
        "errors": {},
        "form_action": None,
        "values": {},
        "legal_reference": deadlines.ART_12_3.reference,
    }


def _detail_page(
    request: Request,
    user: ConsoleUser,
    request_id: uuid.UUID,
    *,
    status_code: int = 200,
    form_action: str | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    with tenant_session(get_engine(request), user.tenant) as session:
        session.info[SESSION_CLOCK_KEY] = request.app.state.clock
        try:
            context = _detail_context(request, session, user, request_id)
        except NotFound:
            raise ConsoleNotFound() from None
    context.update(
        form_action=form_action, errors=errors or {}, problem=problem, values=values or {}
    )
    return render(request, user, "console/requests/detail.html", context, status_code=status_code)


@router.get("/requests/new")
def new_request_form(request: Request, user: Writer) -> Response:
    """The form that records a request received by mail, phone, at the desk..."""
    return _new_form(request, user)


def _new_form(
    request: Request,
    user: ConsoleUser,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    with tenant_session(get_engine(request), user.tenant) as session:
        zone = _zone(session)
    now = request.app.state.clock()
    return render(
        request,
        user,
        "console/requests/new.html",
        {
            "types": [t.value for t in RequestType],
            "channels": [c.value for c in Channel if c != Channel.api],
            "errors": errors or {},
            "values": {
                "received_at": _local_input(now, zone),
                "channel": "email",
                **(values or {}),
            },
        },
        status_code=status_code,
    )


@router.post("/requests/new", dependencies=CSRF)
def open_request(request: Request, user: Writer, form: Form) -> Response:
    """Open the request as the API's `openRightsRequest` does (same audit action)."""
    values = {
        name: form.get(name)
        for name in ("type", "channel", "received_at", "subject_id", "emails", "phones")
    }
    try:
        with console_work(request, user, "rights_request.open") as work:
            zone = _zone(work.session)
            body: dict[str, Any] = {
                "type": values["type"],
                "channel": values["channel"],
                "received_at": _parse_local(values["received_at"], zone, "received_at"),
            }
            if values["subject_id"]:
                body["subject_id"] = values["subject_id"]
            else:
                emails = [v for v in values["emails"].replace(",", "\n").split() if v]
                phones = [v.strip() for v in values["phones"].replace(",", "\n").splitlines()]
                body["requester"] = {"emails": emails, "phones": [p for p in phones if p]}
            created = service.open_request(
                work.session,
                _model(RightsRequestCreate, body),
                now=request.app.state.clock(),
            )
            work.concerns(subject_id=created.subject_id, rights_request_id=created.id)
            new_id = created.id
    except FormProblem as problem:
        errors = {_new_field(k): v for k, v in problem.errors.items()}
        return _new_form(request, user, status_code=422, errors=errors, values=values)
    except AppError as error:
        if error.status >= 500:
            raise
        errors = {"_form": error.detail or error.title}
        return _new_form(request, user, status_code=error.status, errors=errors, values=values)
    flash(request, "success", "requests.flash.opened")
    return redirect(f"/console/requests/{new_id}")


def _new_field(name: str) -> str:
    """The form field a schema error is about (the requester's lists are two fields)."""
    if name == "requester":
        return "emails"
    if name in {"type", "channel", "received_at", "subject_id", "emails", "phones"}:
        return name
    return "_form"


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: uuid.UUID, user: Reader) -> Response:
    """The request: timeline, deadline, allowed actions, review and letters."""
    return _detail_page(request, user, request_id)


def _act(
    request: Request,
    user: ConsoleUser,
    request_id: uuid.UUID,
    *,
    action: str,
    audit_action: str,
    form: FormData,
    change: Callable[[ConsoleWork, ZoneInfo, datetime], RightsRequest | None],
    done: str,
) -> Response:
    """Run one workflow action: the change and its audit event in one transaction, then
    303 to the request with a flash; a refusal re-renders the page with the message."""
    now = request.app.state.clock()
    try:
        with console_work(request, user, audit_action) as work:
            try:
                service.get_request(work.session, request_id)
            except NotFound:
                raise ConsoleNotFound() from None
            work.concerns(rights_request_id=request_id)
            changed = change(work, _zone(work.session), now)
            if changed is not None and work.subject_id is None:
                work.concerns(subject_id=changed.subject_id)
    except FormProblem as problem:
        return _detail_page(
            request,
            user,
            request_id,
            status_code=problem.status_code,
            form_action=action,
            errors=problem.errors,
            values=dict(form.items),
        )
    except AppError as error:
        if error.status >= 500 or error.status == 404:
            raise
        return _detail_page(
            request,
            user,
            request_id,
            status_code=error.status,
            form_action=action,
            problem=error.detail or error.title,
            values=dict(form.items),
        )
    flash(request, "success", done)
    return redirect(f"/console/requests/{request_id}")


@router.post("/requests/{request_id}/verify", dependencies=CSRF)
def verify(request: Request, request_id: uuid.UUID, user: Writer, form: Form) -> Response:
    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        body = _model(
            RightsRequestVerify,
            {
                "method": form.get("method"),
                "verified_at": _parse_local(form.get("verified_at"), zone, "verified_at"),
            },
        )
        return service.verify(work.session, request_id, body, now=now)

    return _act(
        request, user, request_id, action="verify", audit_action="rights_request.verify",
        form=form, change=change, done="requests.flash.verified",
    )  # fmt: skip


@router.post("/requests/{request_id}/request-information", dependencies=CSRF)
def ask_information(request: Request, request_id: uuid.UUID, user: Writer, form: Form) -> Response:
    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        body = _model(
            RightsRequestAskInformation,
            {
                "asked": form.get("asked"),
                "asked_at": _parse_local(form.get("asked_at"), zone, "asked_at"),
            },
        )
        return service.ask_information(work.session, request_id, body, now=now)

    return _act(
        request, user, request_id, action="ask_information",
        audit_action="rights_request.request_information", form=form, change=change,
        done="requests.flash.information_asked",
    )  # fmt: skip


@router.post("/requests/{request_id}/information-received", dependencies=CSRF)
def information_received(
    request: Request, request_id: uuid.UUID, user: Writer, form: Form
) -> Response:
    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        body = _model(
            RightsRequestInformationReceived,
            {"received_at": _parse_local(form.get("received_at"), zone, "received_at")},
        )
        return service.information_received(work.session, request_id, body, now=now)

    return _act(
        request, user, request_id, action="information_received",
        audit_action="rights_request.information_received", form=form, change=change,
        done="requests.flash.information_received",
    )  # fmt: skip


@router.post("/requests/{request_id}/extend", dependencies=CSRF)
def extend(request: Request, request_id: uuid.UUID, user: Writer, form: Form) -> Response:
    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        months = form.get("months")
        body = _model(
            RightsRequestExtend,
            {
                "months": int(months) if months.isdigit() else months,
                "reason": form.get("reason"),
                "informed_at": _parse_local(form.get("informed_at"), zone, "informed_at"),
            },
        )
        return service.extend(work.session, request_id, body, now=now)

    return _act(
        request, user, request_id, action="extend", audit_action="rights_request.extend",
        form=form, change=change, done="requests.flash.extended",
    )  # fmt: skip


@router.post("/requests/{request_id}/complete", dependencies=CSRF)
def complete(request: Request, request_id: uuid.UUID, user: Writer, form: Form) -> Response:
    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        body = _model(
            RightsRequestComplete,
            {
                "outcome": form.get("outcome"),
                "reasons": form.get("reasons") or None,
                "refusal_grounds": form.get("refusal_grounds") or None,
                "note": form.get("note") or None,
            },
        )
        return service.complete(work.session, request_id, body, now=now)

    return _act(
        request, user, request_id, action="complete", audit_action="rights_request.complete",
        form=form, change=change, done="requests.flash.completed",
    )  # fmt: skip


@router.post("/requests/{request_id}/review", dependencies=CSRF)
def decide_review(request: Request, request_id: uuid.UUID, user: Writer, form: Form) -> Response:
    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        decision = form.get("decision")
        body = _model(
            ReviewDecisionCreate,
            {
                "record_id": form.get("record_id"),
                "decision": decision,
                "fields": form.getlist("fields") if decision == "redact" else [],
            },
        )
        item, decided = review.decide(work.session, request_id, body, actor=user.actor, now=now)
        work.concerns(record_id=item.record.id, subject_id=item.record.subject_id)
        return decided

    response = _act(
        request, user, request_id, action="review", audit_action="rights_request.review",
        form=form, change=change, done="requests.flash.reviewed",
    )  # fmt: skip
    return response


@router.get("/requests/{request_id}/letters/{kind}")
@writes
def letter_preview(
    request: Request,
    request_id: uuid.UUID,
    kind: LetterKind,
    user: Reader,
    lang: Annotated[Lang, Query()] = "sv",
) -> Response:
    """The letter as it will be sent (its text form, shown as is). Reading it is audited
    as the API's `getRightsRequestLetter` is: an answer holds the person's data."""
    try:
        with console_work(request, user, "rights_request.letter") as work:
            try:
                rights_request = service.get_request(work.session, request_id)
            except NotFound:
                raise ConsoleNotFound() from None
            work.concerns(subject_id=rights_request.subject_id, rights_request_id=request_id)
            letter = letters.letter(
                work.session,
                rights_request,
                kind,
                lang=lang,
                now=request.app.state.clock(),
                hash_secret=request.app.state.settings.hash_secret,
            )
            text = letters.render(letter, LetterFormat.text)
    except letters.LetterUnavailable as error:
        return _detail_page(
            request,
            user,
            request_id,
            status_code=409,
            form_action="letters",
            problem=error.detail,
        )
    return render(
        request,
        user,
        "console/requests/letter.html",
        {
            "request_id": request_id,
            "kind": kind.value,
            "letter_lang": lang,
            "text": text,
            "can_record": user.has(WRITE),
            "channels": [c.value for c in Channel if c != Channel.api],
            "now_input": _local_input(request.app.state.clock(), letter.zone),
            "errors": {},
        },
    )


@router.post("/requests/{request_id}/letters/{kind}/sent", dependencies=CSRF)
def record_letter_sent(
    request: Request, request_id: uuid.UUID, kind: LetterKind, user: Writer, form: Form
) -> Response:
    """Record that the letter was sent (the API's `recordRightsRequestLetterSent`)."""

    def change(work: ConsoleWork, zone: ZoneInfo, now: datetime) -> RightsRequest:
        rights_request = service.get_request(work.session, request_id)
        body = _model(
            LetterSent,
            {
                "channel": form.get("channel"),
                "lang": form.get("lang"),
                "sent_at": _parse_local(form.get("sent_at"), zone, "sent_at"),
            },
        )
        letters.record_sent(work.session, rights_request, kind, body, now=now, actor=user.actor)
        return rights_request

    return _act(
        request, user, request_id, action="letters", audit_action="rights_request.letter_sent",
        form=form, change=change, done="requests.flash.letter_sent",
    )  # fmt: skip


__all__ = ["Outcome", "router"]
