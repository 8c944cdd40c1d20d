"""Rectification (Art 16) with its history, and notice to recipients (Art 19).

A rectification is a JSON Merge Patch (RFC 7396) of a record's `data`, validated
against the category's schema as a whole, so a phone stays E.164 and an email stays
valid. It bumps the record's version, writes a history entry naming the changed
fields (never their old or new values) and queues a notice to every recipient, all
in the caller's one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.core.errors import UnprocessableContent, validation_issues
from app.core.pagination import PageParams, paginate
from app.notifications.schemas import EventType
from app.notifications.service import notify
from app.rights.models import RecordHistory
from app.subjects.categories import Category, validate_data
from app.subjects.models import Record, Subject
from app.subjects.service import register_contact_identifiers


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def rectify(
    session: Session,
    subject: Subject,
    record: Record,
    patch: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    tenant_id: str,
    hash_secret: str,
    rights_request_id: uuid.UUID | None,
) -> list[str]:
    """Apply the patch to the record's data; returns the changed field names (sorted)."""
    candidate = merge_patch(record.data, patch)
    try:
        new_data = validate_data(Category(record.category), candidate)
    except ValidationError as exc:
        errors = validation_issues(exc.errors())
        for issue in errors:
            issue["loc"] = ["body", "data", *issue["loc"]]
        raise UnprocessableContent(
            "The rectified record does not pass validation; nothing was changed.", errors=errors
        ) from None
    changed = sorted(
        key for key in set(record.data) | set(new_data) if record.data.get(key) != new_data.get(key)
    )
    if not changed:
        return []
    record.data = new_data
    record.updated_at = now
    session.flush()  # the held-record guard runs, and the version is bumped (ETag)
    session.add(
        RecordHistory(
            record_id=record.id,
            subject_id=record.subject_id,
            fields=changed,
            actor=actor,
            rights_request_id=rights_request_id,
            version=record.version,
            at=now,
        )
    )
    register_contact_identifiers(session, subject, record, hash_secret=hash_secret)
    notify(
        session,
        event_type=EventType.record_rectified,
        tenant_id=tenant_id,
        now=now,
        subject_id=record.subject_id,
        record_id=record.id,
        fields=changed,
    )
    session.flush()
    return changed


def history(
    session: Session, record: Record, *, page: PageParams
) -> tuple[Sequence[RecordHistory], str | None]:
    return paginate(
        session,
        select(RecordHistory).where(col(RecordHistory.record_id) == record.id),
        RecordHistory.id,
        page,
    )
