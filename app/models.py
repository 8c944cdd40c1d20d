"""Every table, imported in one place so that SQLModel.metadata is complete (Alembic)."""

from app.audit.models import AuditEvent
from app.subjects.models import ExternalRef, Record, Subject, SubjectIdentifier

__all__ = ["AuditEvent", "ExternalRef", "Record", "Subject", "SubjectIdentifier"]
