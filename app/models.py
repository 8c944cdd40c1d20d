"""Every table, imported in one place so that SQLModel.metadata is complete (Alembic),
and the invariants that every session enforces at flush, whatever the write path."""

import app.retention.guard  # noqa: F401  (held records cannot be changed or deleted)
from app.audit.models import AuditEvent
from app.collection.models import NoticeGiven
from app.console.models import ConsoleSession
from app.erasure.models import Erasure
from app.notices.models import PrivacyNoticeVersion
from app.notifications.models import Delivery, DeliveryAttempt, Recipient
from app.objections.models import Objection
from app.requests.models import ReviewDecision, RightsRequest, RightsRequestLetter
from app.retention.models import (
    LegalHold,
    RelationshipEnd,
    RetentionRule,
    StoredTenantSettings,
    TenantRetentionRule,
)
from app.rights.models import RecordHistory, Restriction
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier
from app.subjects.suppression import MarketingSuppression

__all__ = [
    "AuditEvent",
    "ConsoleSession",
    "Delivery",
    "DeliveryAttempt",
    "Erasure",
    "ExternalRef",
    "LegalHold",
    "MarketingSuppression",
    "NoticeGiven",
    "Objection",
    "PrivacyNoticeVersion",
    "Recipient",
    "Record",
    "RecordHistory",
    "RelationshipEnd",
    "Restriction",
    "RetentionRule",
    "ReviewDecision",
    "RightsRequest",
    "RightsRequestLetter",
    "StoredTenantSettings",
    "Subject",
    "SubjectIdentifier",
    "TenantRetentionRule",
]
