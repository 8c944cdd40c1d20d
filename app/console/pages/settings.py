"""The tenant's settings in the console, for `admin`: the privacy notice, retention rules
with the purge preview, recipients and their deliveries, the tenant settings.

Every page reads and every form writes through the services the API uses
(`app.notices.service`, `app.retention.service`, `app.retention.settings`,
`app.notifications.service`, `app.erasure.service`), with the API's audit actions, so a
change made here reads in the audit log exactly as one made through `/v1`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from app.console.deps import ConsoleUser, ReadSessionDep, console_work, requires, verify_csrf
from app.console.errors import ConsoleNotFound
from app.console.forms import FormData, read_form
from app.console.i18n import translator
from app.console.notice_form import (
    FieldErrors,
    document_from_form,
    errors_from_issues,
    errors_from_validation,
    field_id,
    read_notice_form,
    right_description,
    row_count,
    value_at,
)
from app.console.render import flash, redirect, render
from app.console.routing import page_router
from app.core.errors import AppError, UnprocessableContent
from app.core.etag import etag_for
from app.core.pagination import DEFAULT_LIMIT, PageParams, decode_cursor
from app.erasure import service as erasure_service
from app.notices import service as notice_service
from app.notices.schemas import (
    LEGAL_BASIS_TEXT,
    LegalBasis,
    NoticeDocument,
    Right,
    TransferMechanism,
)
from app.notices.template import CARE_OF_NOTICE
from app.notifications import service as notification_service
from app.notifications.schemas import (
    DEFAULT_EVENT_TYPES,
    DeliveryStatus,
    EventType,
    RecipientCreate,
)
from app.retention import service as retention_service
from app.retention import settings as tenant_settings
from app.retention.rules import Action, Basis
from app.retention.service import RetentionRuleIn
from app.retention.settings import TenantSettingsIn
from app.subjects.categories import Category, SalesDocumentKind

router = page_router()

AdminUser = Annotated[ConsoleUser, Depends(requires("admin"))]
ReadSession = ReadSessionDep
Form = Annotated[FormData, Depends(read_form)]
CSRF = [Depends(verify_csrf)]


def _now(request: Request) -> datetime:
    """The service's clock (replaceable in tests), as the API's `ClockDep`."""
    now: datetime = request.app.state.clock()
    return now


def _message(user: ConsoleUser) -> Callable[[str, str], str]:
    """Words pydantic's error for the reader: the common kinds in the user's language,
    the domain's own explanations (`Value error, ...`) as they are written."""
    t = translator(user.lang)

    def word(kind: str, msg: str) -> str:
        if kind in ("missing", "string_too_short", "too_short"):
            return t("settings.form.error.required")
        if kind in ("enum", "literal_error", "bool_type", "bool_parsing"):
            return t("settings.form.error.choice")
        if kind in ("int_type", "int_parsing", "int_from_float"):
            return t("settings.form.error.integer")
        if kind in ("greater_than_equal", "less_than_equal", "too_long", "string_too_long"):
            return t("settings.form.error.range")
        if kind == "string_pattern_mismatch":
            return t("settings.form.error.pattern")
        return msg.removeprefix("Value error, ")

    return word


def _errors_from(user: ConsoleUser, exc: ValidationError) -> FieldErrors:
    """A flat form's errors by field: an error about one item of a multiple choice
    (`kinds.1`) belongs to the field that holds them all (`kinds`)."""
    word = _message(user)
    errors = FieldErrors()
    for error in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
        errors.add(name, word(error["type"], error["msg"]))
    return errors


def _form_error(exc: AppError, user: ConsoleUser) -> FieldErrors:
    """A service's refusal as form errors: each located issue by field, the detail on
    the form as a whole (`""`); a change made meanwhile by someone else (412, 428) in
    the reader's words."""
    errors = FieldErrors()
    if exc.status in (412, 428):
        errors.add("", _t(user, "settings.stale"))
        return errors
    for issue in exc.errors or []:
        loc = [p for p in issue.get("loc", []) if p not in ("body", "path")]
        errors.add(".".join(str(p) for p in loc), str(issue.get("msg", "")))
    if not exc.errors:
        errors.add("", exc.detail or exc.title)
    return errors


# --------------------------------------------------------------------------- overview


@router.get("/settings")
def overview(request: Request, user: AdminUser, session: ReadSession) -> Response:
    """What each settings page is for, with the state of each at a glance."""
    notice = notice_service.current_notice(session)
    rules = retention_service.all_rules(session)
    recipients, _ = notification_service.list_recipients(
        session, page=PageParams(limit=500, after=None)
    )
    settings = tenant_settings.tenant_settings(session)
    return _page(
        request,
        user,
        "console/settings/index.html",
        {
            "notice": notice,
            "own_rules": sum(1 for r in rules if not retention_service.rule_public(r).built_in),
            "recipients": sum(1 for r in recipients if r.active),
            "settings": settings,
        },
    )


# --------------------------------------------------------------------------- tenant settings


def _settings_form(public: Any) -> dict[str, Any]:
    return {
        "time_zone": public.time_zone,
        "financial_year_end": public.financial_year_end,
        "verification_required": public.verification_required,
        "rights_request_retention_months": str(public.rights_request_retention_months),
        "third_party_review_categories": [c.value for c in public.third_party_review_categories],
        "version": public.version,
    }


def _render_tenant(
    request: Request,
    user: ConsoleUser,
    form: dict[str, Any],
    *,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    is_default: bool = False,
) -> Response:
    return _page(
        request,
        user,
        "console/settings/tenant.html",
        {
            "form": form,
            "errors": errors or FieldErrors(),
            "categories": [c.value for c in Category],
            "is_default": is_default,
        },
        status_code=status_code,
    )


@router.get("/settings/tenant")
def tenant_page(request: Request, user: AdminUser, session: ReadSession) -> Response:
    """The tenant settings the API exposes (`GET /v1/tenant-settings`), in a form."""
    public = tenant_settings.to_public(tenant_settings.tenant_settings(session))
    return _render_tenant(request, user, _settings_form(public), is_default=public.is_default)


def _int_or_raw(value: str) -> int | str:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else value


@router.post("/settings/tenant", dependencies=CSRF)
def tenant_save(request: Request, user: AdminUser, session: ReadSession, posted: Form) -> Response:
    """Replace the settings (`PUT /v1/tenant-settings`), with the version read as
    `If-Match`: a change made meanwhile by someone else is not overwritten (412)."""
    form: dict[str, Any] = {
        "time_zone": str(posted.get("time_zone", "")).strip(),
        "financial_year_end": str(posted.get("financial_year_end", "")).strip(),
        "verification_required": posted.get("verification_required") == "true",
        "rights_request_retention_months": str(posted.get("rights_request_retention_months", "")),
        "third_party_review_categories": [
            str(c) for c in posted.getlist("third_party_review_categories")
        ],
        "version": str(posted.get("version", "0")),
    }
    try:
        # An empty field takes its default, as an omitted one does in the API.
        values = {
            **form,
            "rights_request_retention_months": _int_or_raw(form["rights_request_retention_months"]),
        }
        body = TenantSettingsIn.model_validate(
            {k: v for k, v in values.items() if k != "version" and v != ""}
        )
    except ValidationError as exc:
        return _render_tenant(request, user, form, errors=_errors_from(user, exc), status_code=422)
    version = form["version"]
    if_match = etag_for(int(version)) if version.isdigit() else "-"
    try:
        with console_work(request, user, "tenant_settings.replace") as work:
            tenant_settings.replace_settings(
                work.session, body, actor=work.actor, if_match=if_match, now=_now(request)
            )
    except AppError as exc:
        return _render_tenant(
            request, user, form, errors=_form_error(exc, user), status_code=exc.status
        )
    flash(request, "success", "settings.tenant.saved")
    return redirect("/console/settings/tenant")


# --------------------------------------------------------------------------- retention


def _rule_form(rule: Any | None = None) -> dict[str, Any]:
    if rule is None:
        return {
            "code": "",
            "reference": "",
            "title_sv": "",
            "title_en": "",
            "category": "",
            "kinds": [],
            "verification_kinds": [],
            "action": Action.delete_after.value,
            "basis": "",
            "years": "0",
            "months": "0",
            "active": True,
        }
    return {
        "code": rule.code,
        "reference": rule.reference,
        "title_sv": rule.title_sv,
        "title_en": rule.title_en,
        "category": rule.category,
        "kinds": list(rule.kinds),
        "verification_kinds": list(rule.verification_kinds),
        "action": rule.action,
        "basis": rule.basis,
        "years": str(rule.years),
        "months": str(rule.months),
        "active": rule.active,
    }


def _rule_choices() -> dict[str, list[str]]:
    return {
        "categories": [c.value for c in Category],
        "kinds": [k.value for k in SalesDocumentKind],
        "actions": [a.value for a in Action],
        "bases": [b.value for b in Basis],
    }


def _render_retention(
    request: Request,
    user: ConsoleUser,
    session: Session,
    *,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    rules = [retention_service.rule_public(r) for r in retention_service.all_rules(session)]
    preview = None
    if user.has("rights:read"):
        # The same decision the purge makes, as `GET /v1/purge-preview` (rights:read).
        now = _now(request)
        preview = erasure_service.preview_report(
            erasure_service.preview(session, now=now), now=now, limit=10
        )
    return _page(
        request,
        user,
        "console/settings/retention.html",
        {
            "rules": rules,
            "preview": preview,
            "form": form or _rule_form(),
            "errors": errors or FieldErrors(),
            "editing": False,
            **_rule_choices(),
        },
        status_code=status_code,
    )


@router.get("/settings/retention")
def retention_page(request: Request, user: AdminUser, session: ReadSession) -> Response:
    """The rules in force with their legal sources, a form to add one, and what the next
    purge would delete (`GET /v1/purge-preview`)."""
    return _render_retention(request, user, session)


def _find_rule(session: Session, code: str) -> Any:
    for rule in retention_service.all_rules(session):
        if rule.code == code:
            return rule
    return None


@router.get("/settings/retention/rules/{code}")
def retention_rule_page(
    request: Request, code: str, user: AdminUser, session: ReadSession
) -> Response:
    """One rule: the tenant's own to edit; a built-in one read-only, with a form that
    copies it under a code of the tenant's own (how a template is enabled)."""
    rule = _find_rule(session, code)
    if rule is None:
        raise ConsoleNotFound() from None
    public = retention_service.rule_public(rule)
    form = _rule_form(public)
    if public.built_in:
        form = {**form, "code": "", "active": True}
    return _page(
        request,
        user,
        "console/settings/retention_rule.html",
        {"rule": public, "form": form, "errors": FieldErrors(), **_rule_choices()},
    )


@router.post("/settings/retention/rules", dependencies=CSRF)
def retention_rule_save(
    request: Request, user: AdminUser, session: ReadSession, posted: Form
) -> Response:
    """Add a rule, or replace one of the tenant's own (`PUT /v1/retention-rules/{code}`)."""
    form: dict[str, Any] = {
        "code": str(posted.get("code", "")).strip(),
        "reference": str(posted.get("reference", "")),
        "title_sv": str(posted.get("title_sv", "")),
        "title_en": str(posted.get("title_en", "")),
        "category": str(posted.get("category", "")),
        "kinds": [str(k) for k in posted.getlist("kinds")],
        "verification_kinds": [str(k) for k in posted.getlist("verification_kinds")],
        "action": str(posted.get("action", "")),
        "basis": str(posted.get("basis", "")),
        "years": str(posted.get("years", "0")).strip() or "0",
        "months": str(posted.get("months", "0")).strip() or "0",
        "active": posted.get("active") == "true",
    }
    mode = posted.get("mode")
    errors = FieldErrors()
    body: RetentionRuleIn | None = None
    try:
        body = RetentionRuleIn.model_validate(
            {
                **{k: v for k, v in form.items() if k != "code" and v != ""},
                "years": _int_or_raw(str(form["years"])),
                "months": _int_or_raw(str(form["months"])),
            }
        )
    except ValidationError as exc:
        errors = _errors_from(user, exc)

    def again(errors: FieldErrors, status_code: int) -> Response:
        if mode == "edit":
            rule = _find_rule(session, form["code"])
            return _page(
                request,
                user,
                "console/settings/retention_rule.html",
                {
                    "rule": retention_service.rule_public(rule) if rule else None,
                    "form": form,
                    "errors": errors,
                    **_rule_choices(),
                },
                status_code=status_code,
            )
        return _render_retention(
            request, user, session, form=form, errors=errors, status_code=status_code
        )

    try:
        retention_service.check_rule_code(str(form["code"]))
    except AppError:
        errors.add("code", _message(user)("string_pattern_mismatch", ""))
    if errors or body is None:
        return again(errors, 422)
    try:
        with console_work(request, user, "retention_rule.put") as work:
            existing = _find_rule(work.session, form["code"])
            if (
                mode != "edit"
                and existing is not None
                and not retention_service.rule_public(existing).built_in
            ):
                # Adding must not silently replace an existing rule of the same code.
                raise UnprocessableContent(
                    errors=[{"loc": ["code"], "msg": _t(user, "settings.retention.code_taken")}]
                )
            retention_service.put_rule(work.session, str(form["code"]), body, actor=work.actor)
    except AppError as exc:
        return again(_form_error(exc, user), exc.status)
    flash(request, "success", "settings.retention.saved", code=form["code"])
    return redirect("/console/settings/retention")


@router.post("/settings/retention/rules/{code}/delete", dependencies=CSRF)
def retention_rule_delete(
    request: Request, code: str, user: AdminUser, session: ReadSession
) -> Response:
    """Remove one of the tenant's own rules (`DELETE /v1/retention-rules/{code}`)."""
    try:
        with console_work(request, user, "retention_rule.delete") as work:
            retention_service.delete_rule(work.session, code)
    except AppError as exc:
        if exc.status == 404:
            raise ConsoleNotFound() from None
        return _render_retention(
            request, user, session, errors=_form_error(exc, user), status_code=exc.status
        )
    flash(request, "success", "settings.retention.deleted", code=code)
    return redirect("/console/settings/retention")


# --------------------------------------------------------------------------- recipients


def _recipient_form() -> dict[str, Any]:
    return {"name": "", "url": "", "event_types": [e.value for e in DEFAULT_EVENT_TYPES]}


def _render_recipients(
    request: Request,
    user: ConsoleUser,
    session: Session,
    *,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    recipients, _ = notification_service.list_recipients(
        session, page=PageParams(limit=500, after=None)
    )
    return _page(
        request,
        user,
        "console/settings/recipients.html",
        {
            "recipients": recipients,
            "form": form or _recipient_form(),
            "errors": errors or FieldErrors(),
            "event_types": [e.value for e in EventType],
        },
        status_code=status_code,
    )


@router.get("/settings/recipients")
def recipients_page(request: Request, user: AdminUser, session: ReadSession) -> Response:
    """The tenant's recipients (webhooks, Art 19) and a form to register one."""
    return _render_recipients(request, user, session)


@router.post("/settings/recipients", dependencies=CSRF)
def recipient_create(
    request: Request, user: AdminUser, session: ReadSession, posted: Form
) -> Response:
    """Register a recipient (`POST /v1/recipients`). The signing secret is shown once,
    on the next page, and never again."""
    form: dict[str, Any] = {
        "name": str(posted.get("name", "")),
        "url": str(posted.get("url", "")).strip(),
        "event_types": [str(e) for e in posted.getlist("event_types")],
    }
    try:
        body = RecipientCreate.model_validate(form)
    except ValidationError as exc:
        return _render_recipients(
            request, user, session, form=form, errors=_errors_from(user, exc), status_code=422
        )
    allow_private = request.app.state.settings.webhook_allow_private
    try:
        with console_work(request, user, "recipient.create") as work:
            recipient = notification_service.create_recipient(
                work.session, body, allow_private=allow_private
            )
            recipient_id, secret = recipient.id, recipient.secret
    except AppError as exc:
        return _render_recipients(
            request, user, session, form=form, errors=_form_error(exc, user), status_code=exc.status
        )
    # The secret is shown once (as the API answers it once): kept in the server-side
    # session until the next page shows it.
    flash(request, "success", "settings.recipients.created_secret", secret=secret)
    return redirect(f"/console/settings/recipients/{recipient_id}")


@router.post("/settings/recipients/{recipient_id}/deactivate", dependencies=CSRF)
def recipient_deactivate(request: Request, recipient_id: uuid.UUID, user: AdminUser) -> Response:
    """Stop notifying a recipient (`DELETE /v1/recipients/{id}`); its deliveries stay."""
    try:
        with console_work(request, user, "recipient.deactivate") as work:
            notification_service.deactivate_recipient(work.session, recipient_id)
    except AppError as exc:
        if exc.status == 404:
            raise ConsoleNotFound() from None
        raise
    flash(request, "success", "settings.recipients.deactivated")
    return redirect(f"/console/settings/recipients/{recipient_id}")


@router.get("/settings/recipients/{recipient_id}")
def recipient_page(
    request: Request,
    recipient_id: uuid.UUID,
    user: AdminUser,
    session: ReadSession,
    status: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One recipient and its deliveries with their state and retries (`GET
    /v1/deliveries?recipient_id=`); payloads are not shown."""
    try:
        recipient = notification_service.get_recipient(session, recipient_id)
    except AppError:
        raise ConsoleNotFound() from None
    statuses = [s.value for s in DeliveryStatus]
    chosen = DeliveryStatus(status) if status in statuses else None
    try:
        after = decode_cursor(cursor) if cursor else None
    except AppError:
        after = None
    deliveries, next_cursor = notification_service.list_deliveries(
        session,
        page=PageParams(limit=DEFAULT_LIMIT, after=after),
        status=chosen,
        recipient_id=recipient.id,
    )
    return _page(
        request,
        user,
        "console/settings/recipient.html",
        {
            "recipient": recipient,
            "deliveries": deliveries,
            "next_cursor": next_cursor,
            "statuses": statuses,
            "status": chosen.value if chosen else "",
        },
    )


# --------------------------------------------------------------------------- notice


def _notice_context(user: ConsoleUser, session: Session) -> dict[str, Any]:
    rules = [retention_service.rule_public(r) for r in retention_service.active_rules(session)]
    lang = user.lang
    return {
        "langs": ("sv", "en"),
        "categories": [c.value for c in Category],
        "rights": [r.value for r in Right],
        "legal_bases": [(b.value, LEGAL_BASIS_TEXT[b][lang][0]) for b in LegalBasis],
        "mechanisms": [m.value for m in TransferMechanism],
        "rules_by_category": {
            c.value: [r.code for r in rules if r.category == c.value] for c in Category
        },
        "versions": notice_service.list_versions(session),
        "value_at": value_at,
        "right_description": right_description,
        "row_count": row_count,
        "field_id": field_id,
    }


def _render_notice(
    request: Request,
    user: ConsoleUser,
    session: Session,
    document: Any,
    *,
    errors: FieldErrors | None = None,
    version: int | None = None,
    preview: NoticeDocument | None = None,
    from_template: bool = False,
    status_code: int = 200,
) -> Response:
    return _page(
        request,
        user,
        "console/settings/notice.html",
        {
            **_notice_context(user, session),
            "doc": document,
            "errors": errors or FieldErrors(),
            "version": version,
            "preview": preview,
            "from_template": from_template,
        },
        status_code=status_code,
    )


@router.get("/settings/notice")
def notice_page(
    request: Request,
    user: AdminUser,
    session: ReadSession,
    start: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The notice in force, Swedish and English side by side, to edit and publish as the
    next version; its versions; `?start=template` fills the form with Care of's notice
    (`GET /v1/privacy-notice/template`) to adapt."""
    current = notice_service.current_notice(session)
    versions = notice_service.list_versions(session)
    latest = versions[0].version if versions else None
    if start == "template":
        document: Any = CARE_OF_NOTICE
    elif current is not None:
        document = current.model_dump(mode="json", include={"sv", "en"})
    else:
        document = {}
    return _render_notice(
        request,
        user,
        session,
        document,
        version=latest,
        preview=current,
        from_template=start == "template",
    )


@router.post("/settings/notice", dependencies=[Depends(read_notice_form), *CSRF])
def notice_submit(
    request: Request, user: AdminUser, session: ReadSession, posted: Form
) -> Response:
    """`action=preview` shows the notice as people would read it, changing nothing;
    `action=publish` publishes it (`PUT /v1/privacy-notice`) as the next version, with
    the version the form was read at as `If-Match`."""
    document = document_from_form(posted)
    read_version = str(posted.get("version", ""))
    version = int(read_version) if read_version.isdigit() else None
    publish = posted.get("action") == "publish"
    try:
        notice = NoticeDocument.model_validate(document)
    except ValidationError as exc:
        errors = errors_from_validation(document, exc, _message(user))
        return _render_notice(
            request, user, session, document, errors=errors, version=version, status_code=422
        )
    if not publish:
        try:
            notice_service.validate_notice(session, notice)
        except AppError as exc:
            errors = errors_from_issues(document, exc.errors or [])
            return _render_notice(
                request,
                user,
                session,
                document,
                errors=errors,
                version=version,
                status_code=exc.status,
            )
        return _render_notice(request, user, session, document, version=version, preview=notice)
    try:
        with console_work(request, user, "privacy_notice.publish") as work:
            published = notice_service.publish_notice(
                work.session,
                notice,
                actor=work.actor,
                now=_now(request),
                if_match=etag_for(version) if version is not None else None,
            )
            number = published.version
    except AppError as exc:
        errors = errors_from_issues(document, exc.errors or [])
        if not exc.errors:
            errors = _form_error(exc, user)
        return _render_notice(
            request,
            user,
            session,
            document,
            errors=errors,
            version=version,
            status_code=exc.status,
        )
    flash(request, "success", "settings.notice.published", version=number)
    return redirect("/console/settings/notice")


@router.get("/settings/notice/versions/{version}")
def notice_version_page(
    request: Request, version: int, user: AdminUser, session: ReadSession
) -> Response:
    """A published version as it was published, and which fields it changed."""
    summaries = {s.version: s for s in notice_service.list_versions(session)}
    try:
        notice = notice_service.get_version(session, version)
    except AppError:
        raise ConsoleNotFound() from None
    return _page(
        request,
        user,
        "console/settings/notice_version.html",
        {"notice": notice, "summary": summaries.get(version), "langs": ("sv", "en")},
    )


# --------------------------------------------------------------------------- shared by the pages


def _t(user: ConsoleUser, key: str, **params: Any) -> str:
    return str(translator(user.lang)(key, **params))


def _page(
    request: Request,
    user: ConsoleUser,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """`render`, with what the settings' form macros use (`field_id`)."""
    values = {"field_id": field_id, "t_in": translator, **(context or {})}
    return render(request, user, template, values, status_code=status_code)
