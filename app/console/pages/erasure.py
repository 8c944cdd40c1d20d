"""The erasure of a subject (Art 17): the plan first — what goes, what stays, why and until
when, exactly as the erasure service plans it — then an explicit confirmation that runs
the very erasure the API runs, and the report of what was done.

The confirmation carries a fingerprint of the plan that was read; if the plan changed in
between (a hold placed, a record added), nothing is erased and the new plan is shown.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.console.deps import ConsoleUser, console_work, requires, verify_csrf
from app.console.errors import ConsoleNotFound, ConsoleRedirect
from app.console.forms import FormData, read_form
from app.console.i18n import Lang, translator
from app.console.pages.subjects import ReadSession, load_subject, reading
from app.console.render import flash, redirect, render
from app.console.routing import page_router
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams
from app.erasure import service as erasure
from app.erasure.schemas import ErasureReport
from app.rights.labels import VALUES
from app.subjects import service as subjects
from app.subjects.models import Record, Subject
from app.subjects.service import SubjectMerged

router = page_router()

RightsWriter = Annotated[ConsoleUser, Depends(requires("rights:write"))]
Form = Annotated[FormData, Depends(read_form)]


class PlanChanged(Conflict):
    """The plan is no longer the one the person read and confirmed."""


def current(
    session: Session, subject: Subject, user: ConsoleUser, request: Request
) -> ErasureReport:
    """The erasure service's answer for the subject now: its plan (a dry run, nothing
    changes) or, once erased, its report brought up to date."""
    return ErasureReport.model_validate(
        erasure.erase_or_report(
            session,
            subject,
            dry_run=True,
            actor=user.actor,
            tenant_id=user.tenant,
            now=request.app.state.clock(),
        )
    )


def fingerprint(report: ErasureReport) -> str:
    """What the person confirms: every record to erase, and every record to keep with each
    hold and its end."""
    parts = [f"e:{e.id}" for e in report.erased]
    for kept in report.kept:
        holds = ",".join(f"{h.kind}/{h.id}/{h.until}" for h in kept.holds)
        parts.append(f"k:{kept.id}:{kept.until}:{holds}")
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:32]


def describe(record: Record | None, lang: Lang) -> dict[str, Any]:
    """What a record is, for the person reading the plan: its category, source and date;
    a sales document's kind, number and date (what the bookkeeping rule reads)."""
    if record is None:
        return {"summary": "", "created_at": None, "source": ""}
    summary = ""
    if record.category == "sales_document":
        data = record.data or {}
        kind = VALUES["sales_document_kind"].get(str(data.get("kind")))
        parts = [kind[lang] if kind else "", str(data.get("number", "")), str(data.get("date", ""))]
        summary = " ".join(part for part in parts if part)
    return {"summary": summary, "created_at": record.created_at, "source": record.source}


def plan_context(
    request: Request, session: Session, user: ConsoleUser, subject: Subject
) -> dict[str, Any]:
    report = current(session, subject, user, request)
    records, _ = subjects.list_records(session, subject, page=PageParams(limit=500, after=None))
    by_id = {record.id: record for record in records}
    return {
        "subject_id": subject.id,
        "report": report,
        "erased_at": subject.erased_at,
        "about": {rid: describe(rec, user.lang) for rid, rec in by_id.items()},
        "fingerprint": fingerprint(report),
        "confirm_word": translator(user.lang)("erasure.confirm.word_value"),
        "problem": None,
        "errors": {},
    }


@router.get("/subjects/{subject_id}/erasure")
def plan_page(
    request: Request, subject_id: uuid.UUID, user: RightsWriter, session: ReadSession
) -> HTMLResponse:
    """The plan of the erasure and the confirmation form; once erased, the report."""
    subject = load_subject(session, subject_id)
    context = plan_context(request, session, user, subject)
    return render(request, user, "console/erasure/plan.html", context)


@router.post("/subjects/{subject_id}/erasure", dependencies=[Depends(verify_csrf)])
def confirm(request: Request, subject_id: uuid.UUID, user: RightsWriter, form: Form) -> Response:
    """Erase the subject (`subject.erase`) once the person ticked that they read the plan,
    typed the word shown, and the plan is still the one they read."""
    errors: dict[str, str] = {}
    if form.get("confirm_read") != "yes":
        errors["confirm_read"] = "erasure.confirm.missing_check"
    word = translator(user.lang)("erasure.confirm.word_value")
    if form.get("confirm_word").casefold() != word.casefold():
        errors["confirm_word"] = "erasure.confirm.wrong_word"
    problem: Conflict | None = None
    result: ErasureReport | None = None
    if not errors:
        try:
            with console_work(request, user, "subject.erase") as work:
                subject = subjects.get_locked_subject(work.session, subject_id)
                work.concerns(subject_id=subject.id)
                if subject.status != "erased":
                    if fingerprint(current(work.session, subject, user, request)) != form.get(
                        "plan"
                    ):
                        raise PlanChanged("The plan changed since it was read.")
                    result = ErasureReport.model_validate(
                        erasure.erase_or_report(
                            work.session,
                            subject,
                            dry_run=False,
                            actor=work.actor,
                            tenant_id=work.tenant,
                            now=request.app.state.clock(),
                        )
                    )
        except NotFound:
            raise ConsoleNotFound() from None
        except SubjectMerged as merged:
            raise ConsoleRedirect(f"/console/subjects/{merged.new_id}/erasure") from None
        except PlanChanged as changed:
            problem = changed
    if errors or problem is not None:
        with reading(request, user) as session:
            subject = load_subject(session, subject_id)
            context = plan_context(request, session, user, subject)
            context["errors"] = errors
            context["problem"] = {"key": "erasure.changed"} if problem else None
            status = 409 if problem else 422
            return render(request, user, "console/erasure/plan.html", context, status_code=status)
    if result is not None:
        flash(
            request,
            "success",
            "erasure.done",
            erased=result.counts.erased,
            kept=result.counts.kept,
        )
    return redirect(f"/console/subjects/{subject_id}/erasure")
