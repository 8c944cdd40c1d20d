"""Reading the retention rules in force."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.retention.models import RetentionRule


def active_rules(session: Session) -> Sequence[RetentionRule]:
    return session.exec(
        select(RetentionRule).where(col(RetentionRule.active)).order_by(col(RetentionRule.code))
    ).all()


def all_rules(session: Session) -> Sequence[RetentionRule]:
    return session.exec(select(RetentionRule).order_by(col(RetentionRule.code))).all()
