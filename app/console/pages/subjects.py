"""The subject pages: find a person, see everything held about them and the state of
their rights, and act on it — rectify (Art 16), restrict and lift (Art 18), record an
objection (Art 21), place and release a legal hold — and read the access report and the
export as the person receives them.

Every read and every action calls the service the API calls, with the API operation's
scope and audit action name, so the audit log reads the same for both. Identifiers to
search for go in a POST body, never in the URL.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.collection import service as collection
from app.console.deps import (
    ConsoleUser,
    console_work,
    get_engine,
    read_session,
    requires,
    run_write,
    verify_csrf,
)
from app.console.errors import ConsoleNotFound, ConsoleRedirect
from app.console.forms import FormData, read_form
from app.console.i18n import Translator, translator
from app.console.render import flash, redirect, render
from app.console.routing import page_router
from app.core.errors import AppError, Conflict, Gone, NotFound, UnprocessableContent
from app.core.pagination import PageParams
from app.notices.service import current_notice
from app.notifications.service import deliveries_about
from app.objections import service as objections
from app.objections.schemas import ObjectionCreate
from app.retention import legal_holds
from app.retention.models import LegalHold
from app.retention.settings import tenant_settings
from app.rights import marketing, rectification, restriction
from app.rights.access import access_report
from app.rights.export import started, stream_csv, stream_json
from app.rights.labels import FIELD_VALUES, FIELDS, VALUES
from app.rights.render import HTML_SECURITY_HEADERS, access_report_html
from app.rights.schemas import HistoryEntry, RestrictionCreate
from app.subjects import service as subjects
from app.subjects.categories import DATA_MODELS, Category
from app.subjects.models import Record, Subject
from app.subjects.schemas import SubjectSearch
from app.subjects.service import SubjectMerged

router = page_router()

Reader = Annotated[ConsoleUser, Depends(requires("subjects:read"))]
RightsReader = Annotated[ConsoleUser, Depends(requires("rights:read"))]
RightsWriter = Annotated[ConsoleUser, Depends(requires("rights:write"))]
HoldsWriter = Annotated[ConsoleUser, Depends(requires("holds:write"))]
ReadSession = Annotated[Session, Depends(read_session)]
Form = Annotated[FormData, Depends(read_form)]
CSRF = [Depends(verify_csrf)]

ALL = PageParams(limit=500, after=None)
# Objections to a purpose are possible where its basis is Art 6(1)(e) or (f) (Art 21(1)).
OBJECTABLE = objections.OBJECTABLE_BASES


def hash_secret(request: Request) -> str:
    secret: str = request.app.state.settings.hash_secret
    return secret


@contextmanager
def reading(request: Request, user: ConsoleUser) -> Iterator[Session]:
    """A read session of the person's tenant outside a dependency (to show a page again
    after a refused change, whose own transaction was rolled back)."""
    with contextmanager(read_session)(user, request) as session:
        yield session


def load_subject(session: Session, subject_id: uuid.UUID) -> Subject:
    """The subject of the page: a 404 page for an unknown (or another tenant's) id; a
    merged duplicate leads to the subject it was merged into."""
    try:
        return subjects.get_subject(session, subject_id)
    except NotFound:
        raise ConsoleNotFound() from None
    except SubjectMerged as merged:
        raise ConsoleRedirect(f"/console/subjects/{merged.new_id}") from None


# Search ---------------------------------------------------------------------------------


@router.get("/subjects")
def search_form(request: Request, user: Reader) -> HTMLResponse:
    """The search form (email, phone or external reference)."""
    return render(
        request, user, "console/subjects/search.html", {"form": {}, "errors": {}, "results": None}
    )


@router.post("/subjects/search", dependencies=CSRF)
def search(request: Request, user: Reader, form: Form, session: ReadSession) -> Response:
    """Find subjects by one identifier, given in the POSTed form (never in the URL).
    Exactly one match goes to its page; otherwise the matches (or none) are listed."""
    values = {
        "email": form.get("email"),
        "phone": form.get("phone"),
        "ref_system": form.get("ref_system"),
        "ref_id": form.get("ref_id"),
    }
    query: dict[str, Any] = {}
    if values["email"]:
        query["email"] = values["email"]
    if values["phone"]:
        query["phone"] = values["phone"]
    if values["ref_system"] or values["ref_id"]:
        query["external_ref"] = {"system": values["ref_system"], "id": values["ref_id"]}
    errors: dict[str, str] = {}
    found: list[Any] = []
    if len(query) != 1:
        errors["search"] = "subjects.search.one_of"
    else:
        try:
            found = list(subjects.search_subjects(session, SubjectSearch(**query)))
        except ValidationError as exc:
            for issue in exc.errors():
                loc = [str(part) for part in issue.get("loc", ())]
                name = {"email": "email", "phone": "phone"}.get(loc[0] if loc else "", "ref_id")
                if name == "ref_id" and "system" in loc:
                    name = "ref_system"
                errors[name] = "form.invalid"
    if errors:
        page = {"form": values, "errors": errors, "results": None}
        return render(request, user, "console/subjects/search.html", page, status_code=422)
    if len(found) == 1:
        return redirect(f"/console/subjects/{found[0].id}")
    views = subjects.subject_views(session, found, hash_secret=hash_secret(request))
    context: dict[str, Any] = {"form": values, "errors": {}, "results": views}
    return render(request, user, "console/subjects/search.html", context)


# The subject ----------------------------------------------------------------------------


@dataclass
class FieldRow:
    name: str
    label: str
    value: str


@dataclass
class RecordView:
    record: Record
    rows: list[FieldRow]
    history: list[HistoryEntry] = field(default_factory=list)


def field_label(category: str, name: str, lang: str) -> str:
    """A data field's name in the person's language, as the access report writes it."""
    words = FIELDS.get(category, {}).get(name)
    return words[lang] if words else name  # type: ignore[index]


def coded_value(category: str, name: str, value: Any, lang: str) -> Any:
    """A coded value (a sales document's kind) in words, as the access report writes it."""
    values = FIELD_VALUES.get((category, name))
    words = VALUES.get(values, {}).get(str(value)) if values else None
    return words[lang] if words else value  # type: ignore[index]


def show_value(value: Any, t: Translator) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    return "" if value is None else str(value)


def record_views(
    session: Session, subject: Subject, user: ConsoleUser
) -> list[tuple[str, list[RecordView]]]:
    """The subject's records by category (in the categories' order). A restricted record
    shows no content, as a processing read would not (Art 18); its history still shows."""
    records, _ = subjects.list_records(session, subject, page=ALL)
    t = translator(user.lang)
    groups: dict[str, list[RecordView]] = {}
    for record in records:
        shown = subjects.record_for_processing(record)
        rows = [
            FieldRow(
                name,
                field_label(record.category, name, user.lang),
                show_value(coded_value(record.category, name, value, user.lang), t),
            )
            for name, value in (shown.data or {}).items()
        ]
        view = RecordView(record=record, rows=rows)
        if user.has("rights:read"):
            entries, _ = rectification.history(session, record, page=ALL)
            view.history = [HistoryEntry.model_validate(e) for e in entries]
        groups.setdefault(record.category, []).append(view)
    return [(c.value, groups[c.value]) for c in Category if c.value in groups]


def objectable_purposes(session: Session, lang: str) -> list[tuple[str, str]]:
    """The purposes of the published notice a person may object to (Art 21(1)): code and
    name in the person's language."""
    notice = current_notice(session)
    if notice is None:
        return []
    text = notice.text(lang)  # type: ignore[arg-type]
    return [(p.code, p.title) for p in text.purposes if p.legal_basis in OBJECTABLE]


def subject_context(
    request: Request, session: Session, user: ConsoleUser, subject: Subject
) -> dict[str, Any]:
    """Everything the subject page shows, each part read through its service and shown
    only to those whose scopes the API asks for it."""
    now = request.app.state.clock()
    t = translator(user.lang)
    context: dict[str, Any] = {
        "subject": subjects.subject_view(session, subject, hash_secret=hash_secret(request)),
        "erased_at": subject.erased_at,
        "groups": record_views(session, subject, user),
        "restriction": None,
        "objections": [],
        "purposes": [],
        "notice_due": None,
        "notices_given": [],
        "holds": [],
        "deliveries": [],
    }
    context["hold_options"] = [
        (str(view.record.id), f"{t(f'category.{category}')} {str(view.record.id)[-8:]}")
        for category, views in context["groups"]
        for view in views
    ]
    if user.has("rights:read"):
        context["restriction"] = restriction.state(session, subject)
        context["objections"] = [
            objections.public(o) for o in objections.list_for_subject(session, subject.id)
        ]
        context["notice_due"] = collection.notice_due(session, subject, now=now)
        context["notices_given"] = list(collection.notices_given(session, subject.id, page=ALL)[0])
    if user.has("rights:write"):
        context["purposes"] = objectable_purposes(session, user.lang)
    if user.has("holds:write"):
        holds, _ = legal_holds.list_holds(session, page=ALL, subject_id=subject.id)
        context["holds"] = [legal_holds.to_public(h, now) for h in holds]
    if user.has("admin"):
        context["deliveries"] = deliveries_about(session, subject.id)
    return context


def render_subject(
    request: Request,
    user: ConsoleUser,
    subject_id: uuid.UUID,
    *,
    status_code: int = 200,
    problem: AppError | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    with reading(request, user) as session:
        subject = load_subject(session, subject_id)
        context = subject_context(request, session, user, subject)
        context.update(problem_context(problem), errors=errors or {}, form=form or {})
        return render(request, user, "console/subjects/show.html", context, status_code=status_code)


def problem_context(problem: AppError | None) -> dict[str, Any]:
    """A refused change, as the page shows it: a message in the person's language and the
    service's own explanation (which names fields and rules, never personal data)."""
    if problem is None:
        return {"problem": None}
    if isinstance(problem, Gone):
        key = "subjects.error.gone"
    elif isinstance(problem, Conflict):
        key = "subjects.error.conflict"
    else:
        key = "subjects.error.invalid"
    return {"problem": {"key": key, "detail": problem.detail, "status": problem.status}}


@router.get("/subjects/{subject_id}")
def show(
    request: Request, subject_id: uuid.UUID, user: Reader, session: ReadSession
) -> HTMLResponse:
    """Everything held about the subject and the state of its rights, with the actions
    the person's scopes allow."""
    subject = load_subject(session, subject_id)
    context = subject_context(request, session, user, subject)
    context.update(problem=None, errors={}, form={})
    return render(request, user, "console/subjects/show.html", context)


def refused(
    request: Request,
    user: ConsoleUser,
    subject_id: uuid.UUID,
    problem: AppError,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The subject page again, with what was refused and why (nothing changed)."""
    if isinstance(problem, NotFound):
        raise ConsoleNotFound() from None
    if isinstance(problem, SubjectMerged):
        raise ConsoleRedirect(f"/console/subjects/{problem.new_id}") from None
    return render_subject(
        request,
        user,
        subject_id,
        status_code=problem.status if 400 <= problem.status < 500 else 409,
        problem=problem,
        errors=errors,
        form=form,
    )


# Restriction (Art 18) -------------------------------------------------------------------


@router.post("/subjects/{subject_id}/restriction", dependencies=CSRF)
def restrict(request: Request, subject_id: uuid.UUID, user: RightsWriter, form: Form) -> Response:
    """Restrict processing of the whole subject, with a reason (`subject.restrict`)."""
    reason = form.get("reason")
    try:
        body = RestrictionCreate(reason=reason)
    except ValidationError:
        problem = UnprocessableContent("The reason is missing or too long.")
        return refused(request, user, subject_id, problem, errors={"reason": "form.invalid"})
    try:
        with console_work(request, user, "subject.restrict") as work:
            subject = subjects.get_writable_subject(work.session, subject_id)
            work.concerns(subject_id=subject.id)
            restriction.restrict(
                work.session,
                subject,
                body,
                actor=work.actor,
                tenant_id=work.tenant,
                now=request.app.state.clock(),
                rights_request_id=None,
            )
    except AppError as problem:
        return refused(request, user, subject_id, problem, form={"reason": reason})
    flash(request, "success", "subjects.restrict.done")
    return redirect(f"/console/subjects/{subject_id}")


@router.post("/subjects/{subject_id}/restriction/lift", dependencies=CSRF)
def lift(request: Request, subject_id: uuid.UUID, user: RightsWriter) -> Response:
    """Lift every restriction of the subject (`subject.lift_restriction`)."""
    try:
        with console_work(request, user, "subject.lift_restriction") as work:
            subject = subjects.get_writable_subject(work.session, subject_id)
            work.concerns(subject_id=subject.id)
            restriction.lift(
                work.session, subject, tenant_id=work.tenant, now=request.app.state.clock()
            )
    except AppError as problem:
        return refused(request, user, subject_id, problem)
    flash(request, "success", "subjects.lift.done")
    return redirect(f"/console/subjects/{subject_id}")


# Objections (Art 21) --------------------------------------------------------------------


@router.post("/subjects/{subject_id}/marketing-objection", dependencies=CSRF)
def object_to_marketing(request: Request, subject_id: uuid.UUID, user: RightsWriter) -> Response:
    """Record the objection to direct marketing: absolute and immediate
    (`subject.object_marketing`)."""
    try:
        with console_work(request, user, "subject.object_marketing") as work:
            subject = subjects.get_writable_subject(work.session, subject_id)
            work.concerns(subject_id=subject.id)
            marketing.object_to_marketing(
                work.session, subject, secret=hash_secret(request), now=request.app.state.clock()
            )
    except AppError as problem:
        return refused(request, user, subject_id, problem)
    flash(request, "success", "subjects.marketing.done")
    return redirect(f"/console/subjects/{subject_id}")


@router.post("/subjects/{subject_id}/objections", dependencies=CSRF)
def object_to_purpose(
    request: Request, subject_id: uuid.UUID, user: RightsWriter, form: Form
) -> Response:
    """Record an objection to one purpose of the notice (`subject.object`)."""
    values = {"purpose": form.get("purpose"), "grounds": form.get("grounds")}
    try:
        body = ObjectionCreate(purpose=values["purpose"], grounds=values["grounds"])
    except ValidationError as exc:
        errors = {
            str(issue["loc"][0]): "form.invalid" for issue in exc.errors() if issue.get("loc")
        }
        problem = UnprocessableContent("The objection is incomplete.")
        return refused(request, user, subject_id, problem, form=values, errors=errors)
    try:
        with console_work(request, user, "subject.object") as work:
            subject = subjects.get_writable_subject(work.session, subject_id)
            work.concerns(subject_id=subject.id)
            objections.object_to_purpose(
                work.session, subject, body, actor=work.actor, now=request.app.state.clock()
            )
    except AppError as problem:
        return refused(request, user, subject_id, problem, form=values)
    flash(request, "success", "subjects.objection.done")
    return redirect(f"/console/subjects/{subject_id}")


# Legal holds (Art 17(3)(e)) ---------------------------------------------------------------


def end_of_day(day: date, request: Request, session: Session) -> datetime:
    """A hold's last day, as the end of that day in the tenant's time zone."""
    zone = tenant_settings(session).zone
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


@router.post("/subjects/{subject_id}/holds", dependencies=CSRF)
def place_hold(request: Request, subject_id: uuid.UUID, user: HoldsWriter, form: Form) -> Response:
    """Place a legal hold on the subject or one of its records (`legal_hold.place`)."""
    values = {
        "hold_reason": form.get("hold_reason"),
        "hold_record": form.get("hold_record"),
        "hold_ends_on": form.get("hold_ends_on"),
    }
    errors: dict[str, str] = {}
    record_id: uuid.UUID | None = None
    ends_on: date | None = None
    if values["hold_record"]:
        try:
            record_id = uuid.UUID(values["hold_record"])
        except ValueError:
            errors["hold_record"] = "form.invalid"
    if values["hold_ends_on"]:
        try:
            ends_on = date.fromisoformat(values["hold_ends_on"])
        except ValueError:
            errors["hold_ends_on"] = "subjects.hold.bad_date"
    if not values["hold_reason"] or len(values["hold_reason"]) > 1000:
        errors["hold_reason"] = "form.invalid"
    if errors:
        problem = UnprocessableContent("The hold is incomplete.")
        return refused(request, user, subject_id, problem, form=values, errors=errors)
    try:
        with console_work(request, user, "legal_hold.place") as work:
            subject = subjects.get_subject(work.session, subject_id)
            if record_id is not None:
                record = subjects.get_record(work.session, record_id)
                if record.subject_id != subject.id:
                    raise UnprocessableContent("The record is not this subject's.")
            body = legal_holds.LegalHoldCreate(
                subject_id=None if record_id else subject.id,
                record_id=record_id,
                reason=values["hold_reason"],
                ends_at=end_of_day(ends_on, request, work.session) if ends_on else None,
            )
            hold = legal_holds.place(
                work.session, body, actor=work.actor, now=request.app.state.clock()
            )
            work.concerns(subject_id=hold.subject_id, record_id=hold.record_id)
    except AppError as problem:
        if isinstance(problem, NotFound) and record_id is not None:
            problem = UnprocessableContent("The record is not this subject's.")
            errors = {"hold_record": "form.invalid"}
        return refused(request, user, subject_id, problem, form=values, errors=errors)
    flash(request, "success", "subjects.hold.placed")
    return redirect(f"/console/subjects/{subject_id}")


@router.post("/subjects/{subject_id}/holds/{hold_id}/release", dependencies=CSRF)
def release_hold(
    request: Request, subject_id: uuid.UUID, hold_id: uuid.UUID, user: HoldsWriter
) -> Response:
    """Release one of the subject's legal holds (`legal_hold.release`)."""
    try:
        with console_work(request, user, "legal_hold.release") as work:
            held = work.session.get(LegalHold, hold_id)
            if held is None or held.subject_id != subject_id:
                raise NotFound("No legal hold with this id on this subject.")
            hold = legal_holds.release(
                work.session, hold_id, actor=work.actor, now=request.app.state.clock()
            )
            work.concerns(subject_id=hold.subject_id, record_id=hold.record_id)
    except AppError as problem:
        return refused(request, user, subject_id, problem)
    flash(request, "success", "subjects.hold.released_done")
    return redirect(f"/console/subjects/{subject_id}")


# Rectification (Art 16) -----------------------------------------------------------------


@dataclass
class FormField:
    name: str
    label: str
    kind: str  # "text", "list" (one value a line) or "bool"
    value: str


def _kind(annotation: Any) -> str:
    kinds = set()
    stack = [annotation]
    while stack:
        item = stack.pop()
        if typing.get_origin(item) is list:
            kinds.add("list")
        if item is bool:
            kinds.add("bool")
        stack.extend(typing.get_args(item))
    return "list" if "list" in kinds else "bool" if "bool" in kinds else "text"


def form_fields(record: Record, lang: str) -> list[FormField]:
    """The record's data fields as form fields, with their current values."""
    model = DATA_MODELS[Category(record.category)]
    fields = []
    for name, info in model.model_fields.items():
        kind = _kind(info.annotation)
        current = record.data.get(name)
        if kind == "list":
            value = "\n".join(str(v) for v in current or [])
        elif kind == "bool":
            value = "" if current is None else ("true" if current else "false")
        else:
            value = "" if current is None else str(current)
        fields.append(FormField(name, field_label(record.category, name, lang), kind, value))
    return fields


def merge_patch_from(form: FormData, fields: list[FormField]) -> dict[str, Any]:
    """The JSON Merge Patch of the fields the person changed; an emptied field is removed."""
    patch: dict[str, Any] = {}
    for item in fields:
        raw = form.get(f"data.{item.name}") if f"data.{item.name}" in form else item.value
        if item.kind == "text":
            raw = raw.strip()
        if raw == item.value:
            continue
        if item.kind == "list":
            patch[item.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif item.kind == "bool":
            patch[item.name] = None if raw == "" else raw == "true"
        else:
            patch[item.name] = raw or None
    return patch


def load_record(session: Session, subject: Subject, record_id: uuid.UUID) -> Record:
    try:
        record = subjects.get_record(session, record_id)
    except NotFound:
        raise ConsoleNotFound() from None
    if record.subject_id != subject.id:
        raise ConsoleNotFound()
    return record


@router.get("/subjects/{subject_id}/records/{record_id}/rectify")
def rectify_form(
    request: Request,
    subject_id: uuid.UUID,
    record_id: uuid.UUID,
    user: RightsWriter,
    session: ReadSession,
) -> HTMLResponse:
    """The record's fields, to correct or complete."""
    subject = load_subject(session, subject_id)
    record = load_record(session, subject, record_id)
    context = {
        "subject_id": subject.id,
        "record": record,
        "fields": form_fields(record, user.lang),
        "problem": None,
        "errors": {},
    }
    return render(request, user, "console/subjects/rectify.html", context)


@router.post("/subjects/{subject_id}/records/{record_id}/rectify", dependencies=CSRF)
def rectify(
    request: Request, subject_id: uuid.UUID, record_id: uuid.UUID, user: RightsWriter, form: Form
) -> Response:
    """Apply the changed fields as a merge patch (`record.rectify`), validated by the
    service as a whole; a refusal shows the form again with what was typed."""
    changed: list[str] = []
    try:
        with console_work(request, user, "record.rectify") as work:
            subject, record = subjects.get_writable_record(work.session, record_id)
            if subject.id != subject_id:
                raise NotFound("No record with this id on this subject.")
            work.concerns(subject_id=subject.id, record_id=record.id)
            patch = merge_patch_from(form, form_fields(record, user.lang))
            if patch:
                changed = rectification.rectify(
                    work.session,
                    subject,
                    record,
                    patch,
                    actor=work.actor,
                    now=request.app.state.clock(),
                    tenant_id=work.tenant,
                    hash_secret=hash_secret(request),
                    rights_request_id=None,
                )
    except AppError as problem:
        if isinstance(problem, NotFound):
            raise ConsoleNotFound() from None
        with reading(request, user) as session:
            subject = load_subject(session, subject_id)
            record = load_record(session, subject, record_id)
            fields = form_fields(record, user.lang)
            for item in fields:  # what the person typed, to correct it
                if f"data.{item.name}" in form:
                    item.value = form.get(f"data.{item.name}")
            errors = {
                str(issue["loc"][2]): "form.invalid"
                for issue in problem.errors or []
                if len(issue.get("loc", [])) > 2
            }
            context = {
                "subject_id": subject.id,
                "record": record,
                "fields": fields,
                "errors": errors,
                **problem_context(problem),
            }
            status = problem.status if 400 <= problem.status < 500 else 409
            return render(
                request, user, "console/subjects/rectify.html", context, status_code=status
            )
    if changed:
        labels = ", ".join(field_label_for(record_id, name, user, request) for name in changed)
        flash(request, "success", "subjects.rectify.done", fields=labels)
    else:
        flash(request, "info", "subjects.rectify.unchanged")
    return redirect(f"/console/subjects/{subject_id}")


def field_label_for(record_id: uuid.UUID, name: str, user: ConsoleUser, request: Request) -> str:
    with reading(request, user) as session:
        record = session.get(Record, record_id)
        return field_label(record.category if record else "", name, user.lang)


# The access report (Art 15) and the export (Art 20) ----------------------------------------


@router.get("/subjects/{subject_id}/access-report")
async def readable_access_report(
    request: Request,
    subject_id: uuid.UUID,
    user: RightsReader,
    lang: Annotated[typing.Literal["sv", "en"], Query()] = "sv",
) -> HTMLResponse:
    """The access report exactly as the person receives it: the API's readable HTML
    document (`app.rights.render`), audited as `subject.access_report`."""

    def build() -> str:
        with console_work(request, user, "subject.access_report") as work:
            subject = audited_subject(work.session, subject_id, "access-report")
            work.concerns(subject_id=subject.id)
            report = access_report(
                work.session,
                subject,
                lang=lang,
                now=request.app.state.clock(),
                hash_secret=hash_secret(request),
            )
            return access_report_html(report, zone=tenant_settings(work.session).zone)

    html: str = await run_write(request, build)
    headers = {"Content-Language": lang, "Cache-Control": "no-store", **HTML_SECURITY_HEADERS}
    return HTMLResponse(html, headers=headers)


def audited_subject(session: Session, subject_id: uuid.UUID, page: str) -> Subject:
    try:
        return subjects.get_subject(session, subject_id)
    except NotFound:
        raise ConsoleNotFound() from None
    except SubjectMerged as merged:
        raise ConsoleRedirect(f"/console/subjects/{merged.new_id}/{page}") from None


@router.get("/subjects/{subject_id}/export.{fmt}")
async def export(
    request: Request, subject_id: uuid.UUID, fmt: str, user: RightsReader
) -> StreamingResponse:
    """The export download, as the API streams it (JSON or CSV), audited as
    `subject.export` before the first byte leaves."""
    if fmt not in ("json", "csv"):
        raise ConsoleNotFound()

    def audit() -> None:
        with console_work(request, user, "subject.export") as work:
            subject = audited_subject(work.session, subject_id, f"export.{fmt}")
            work.concerns(subject_id=subject.id)

    await run_write(request, audit)
    engine = get_engine(request)
    now = request.app.state.clock()
    if fmt == "csv":
        body, media_type = (
            stream_csv(engine, user.tenant, subject_id, now),
            "text/csv; charset=utf-8",
        )
    else:
        body, media_type = stream_json(engine, user.tenant, subject_id, now), "application/json"
    return StreamingResponse(
        await run_in_threadpool(started, body),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="subject-{subject_id}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )
