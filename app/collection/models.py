"""The history of notices given at collection (Art 13/14): one row per notice given."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import TenantScoped, UTCDateTime, id_field, timestamp_field


class NoticeGiven(TenantScoped, table=True):
    """The privacy notice was given to a subject: when, how, which version, who recorded it.

    Accountability (Art 5(2)): the proof that the person was informed. It holds no
    personal data beyond the link to the subject, and stays after an erasure.
    """

    __tablename__ = "notice_given"
    __table_args__ = (
        sa.Index("ix_notice_given_subject_id_id", "subject_id", "id"),
        # The same notice given the same way at the same moment is one event: a retried
        # call answers the entry already recorded.
        sa.UniqueConstraint("subject_id", "notice_version", "channel", "given_at"),
    )

    id: uuid.UUID = id_field()
    subject_id: uuid.UUID = Field(foreign_key="subject.id", ondelete="CASCADE")
    channel: str = Field(max_length=16)
    given_at: datetime = Field(sa_type=UTCDateTime)
    notice_version: int
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = timestamp_field()
