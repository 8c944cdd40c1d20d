"""Retention rules as data: which records a law requires to be kept, and until when."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import JSONType, timestamp_field


class RetentionRule(SQLModel, table=True):
    """A statutory retention rule. Built-in rules are seeded by a migration."""

    __tablename__ = "retention_rule"

    code: str = Field(primary_key=True, max_length=64)
    reference: str = Field(max_length=300)
    title_sv: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    category: str = Field(max_length=32)
    kinds: list[str] = Field(sa_type=JSONType)
    verification_kinds: list[str] = Field(sa_type=JSONType)
    basis: str = Field(max_length=32)
    years: int
    active: bool = Field(default=True)
    created_at: datetime = timestamp_field()
