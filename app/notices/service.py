"""The tenant's privacy notice: publish a version, read the current one, the template.

A tenant has no notice until it publishes one; no default and no other controller's
text ever stands in for it (each Cirrus customer is the controller of what it collects,
Art 4(7)). Other domains use:

- `current_notice(session)`: the published notice in force, or `None`;
- `purpose_legal_basis(session, code)`: the legal basis of a purpose of that notice;
- `published_version_exists(session, version)`: whether a `notice_version` is real.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableContent,
)
from app.core.etag import check_if_match, etag_for
from app.notices.models import FORMAT_STRUCTURED, PrivacyNoticeVersion
from app.notices.schemas import Lang, NoticeDocument, NoticeTemplate, PublishedNotice
from app.notices.template import ABOUT, ADAPT, TEMPLATE
from app.notices.validation import check_document
from app.retention.service import active_rules


def _latest(session: Session) -> PrivacyNoticeVersion | None:
    return session.exec(
        select(PrivacyNoticeVersion).order_by(col(PrivacyNoticeVersion.version).desc()).limit(1)
    ).first()


def _published(row: PrivacyNoticeVersion) -> PublishedNotice:
    return PublishedNotice(
        **NoticeDocument.model_validate(row.document).model_dump(),
        version=row.version,
        published_at=row.published_at,
        published_by=row.published_by,
    )


def current_notice(session: Session) -> PublishedNotice | None:
    """The tenant's notice in force: its latest published version, or `None` when it has
    published none (or only a notice from before the structured model)."""
    row = _latest(session)
    if row is None or row.format != FORMAT_STRUCTURED:
        return None
    return _published(row)


def get_notice(session: Session) -> PublishedNotice:
    """The notice in force; 404 when there is none."""
    row = _latest(session)
    if row is None:
        raise NotFound(
            "This tenant has not published a privacy notice. Publish one with "
            "PUT /v1/privacy-notice (GET /v1/privacy-notice/template offers a starting point)."
        )
    if row.format != FORMAT_STRUCTURED:
        raise NotFound(
            f"Version {row.version} of this tenant's notice predates the complete model "
            "(Art 13/14) and is not served. Publish a complete notice with "
            f"PUT /v1/privacy-notice and `If-Match: {etag_for(row.version)}`."
        )
    return _published(row)


def get_version(session: Session, version: int) -> PublishedNotice:
    """A published version, as it was published; 404 for none (or one that predates the
    complete model, which has no place in it)."""
    row = session.exec(
        select(PrivacyNoticeVersion).where(PrivacyNoticeVersion.version == version)
    ).first()
    if row is None or row.format != FORMAT_STRUCTURED:
        raise NotFound("No published version of this tenant's notice with this number.")
    return _published(row)


@dataclass(frozen=True)
class VersionSummary:
    """A published version in the notice's history: its number, when and by whom, and
    which fields it changed from the version before it (paths such as
    `sv.purposes.0.title`; empty for the first)."""

    version: int
    published_at: datetime
    published_by: str
    structured: bool
    changed: tuple[str, ...]


def list_versions(session: Session) -> list[VersionSummary]:
    """Every published version, newest first, with what each changed (Art 5(2): what a
    person was told, and when, stays readable)."""
    rows = session.exec(
        select(PrivacyNoticeVersion).order_by(col(PrivacyNoticeVersion.version))
    ).all()
    summaries: list[VersionSummary] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        summaries.append(
            VersionSummary(
                version=row.version,
                published_at=row.published_at,
                published_by=row.published_by,
                structured=row.format == FORMAT_STRUCTURED,
                changed=tuple(changed_fields(previous, row.document)) if previous else (),
            )
        )
        previous = row.document
    summaries.reverse()
    return summaries


def changed_fields(before: Any, after: Any, path: str = "") -> list[str]:
    """The paths (`sv.controller.name`, `en.purposes.1`) where two notice documents
    differ; a list that grew or shrank is named once, by its path."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changed += changed_fields(before.get(key), after.get(key), sub)
        return changed
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        changed = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            changed += changed_fields(old, new, f"{path}.{index}")
        return changed
    return [] if before == after else [path]


def purpose_legal_basis(session: Session, code: str) -> str | None:
    """The legal basis (`legitimate_interests`, ...) of purpose `code` in the notice in
    force; `None` without a notice or without such a purpose."""
    notice = current_notice(session)
    if notice is None:
        return None
    for purpose in notice.sv.purposes:
        if purpose.code == code:
            return purpose.legal_basis.value
    return None


def category_purposes(session: Session) -> dict[str, list[str]]:
    """Per category, the purpose codes the notice in force names for it (Art 13(1)(c));
    empty without a notice."""
    notice = current_notice(session)
    if notice is None:
        return {}
    return {category.value: list(text.purposes) for category, text in notice.sv.categories.items()}


def published_version_exists(session: Session, version: int) -> bool:
    """Whether the tenant published a notice with this version number."""
    return (
        session.exec(
            select(PrivacyNoticeVersion.id).where(PrivacyNoticeVersion.version == version)
        ).first()
        is not None
    )


def validate_notice(session: Session, document: NoticeDocument) -> None:
    """422 listing every gap (`errors`) unless the notice is complete for this tenant."""
    issues = check_document(document, active_rules(session))
    if issues:
        raise UnprocessableContent(
            "The notice is incomplete or inconsistent; see `errors`.", errors=issues
        )


def _check_precondition(latest: PrivacyNoticeVersion | None, if_match: str | None) -> None:
    """The first publication needs no `If-Match`; every later one does (RFC 6585 §3), so
    that no publication overwrites one its author has not read."""
    if latest is None:
        if if_match is not None:
            # RFC 9110 §13.1.1: If-Match is false when there is no current representation.
            raise PreconditionFailed(
                "No notice has been published yet; publish the first one without `If-Match`."
            )
        return
    if if_match is None:
        raise PreconditionRequired(
            f"A notice is published (version {latest.version}); read it and send "
            f"`If-Match: {etag_for(latest.version)}` to publish a new version."
        )
    check_if_match(if_match, latest.version)


def publish_notice(
    session: Session,
    document: NoticeDocument,
    *,
    actor: str,
    now: datetime,
    if_match: str | None,
) -> PublishedNotice:
    """Publish `document` as the tenant's next version (1, 2, ...)."""
    latest = _latest(session)
    _check_precondition(latest, if_match)
    validate_notice(session, document)
    row = PrivacyNoticeVersion(
        version=(latest.version if latest is not None else 0) + 1,
        document=document.model_dump(mode="json"),
        published_at=now,
        published_by=actor,
    )
    try:
        # Two publications from the same state at the same moment: both try the same
        # version number; the unique key lets one in. The other, inside its savepoint,
        # sees the winner and is answered as if it had come second: 428 without
        # `If-Match` (it has not read the new version), 412 with a now stale one.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        latest = _latest(session)
        _check_precondition(latest, if_match)
        raise PreconditionFailed(
            "Another version was published at the same time; nothing was changed."
        ) from None
    return _published(row)


def template(lang: Lang) -> NoticeTemplate:
    """Care of's notice, to copy: in the shape PUT takes, with what must be adapted."""
    return NoticeTemplate(about=ABOUT[lang], adapt=ADAPT, lang=lang, notice=TEMPLATE)
