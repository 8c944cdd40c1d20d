"""Marketing suppression: keyed hashes of the identifiers of subjects who objected.

An objection to direct marketing (Art 21(3)) must outlive the subject's data: a later
re-import of the same email or phone is still refused, also after erasure. So the
objection is kept as HMAC-SHA256 (key `PRIVACY_HASH_SECRET`) of the tenant, the kind
and the normalised identifier: enough to recognise the identifier again, useless to
recover it.
"""

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, col, select

from app.core.db import TenantScoped, id_field, timestamp_field


class MarketingSuppression(TenantScoped, table=True):
    """A keyed hash of an email or phone that must never receive direct marketing."""

    __tablename__ = "marketing_suppression"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "digest"),)

    id: uuid.UUID = id_field()
    kind: str = Field(max_length=16)
    digest: str = Field(max_length=64)
    created_at: datetime = timestamp_field()


def identifier_digest(secret: str, tenant_id: str, kind: str, value: str) -> str:
    """The keyed hash of a normalised identifier (hex)."""
    return digester(secret, tenant_id)(kind, value)


def digester(secret: str, tenant_id: str) -> Callable[[str, str], str]:
    """`identifier_digest` for one secret and tenant, for hashing many identifiers."""
    key = secret.encode()
    prefix = f"{tenant_id}\x1f"
    sha256 = hashlib.sha256

    def digest(kind: str, value: str) -> str:
        message = f"{prefix}{kind}\x1f{value}".encode()
        return hmac.digest(key, message, sha256).hex()

    return digest


def suppress(
    session: Session, *, secret: str, tenant_id: str, identifiers: Iterable[tuple[str, str]]
) -> int:
    """Record suppressions for (kind, normalised value) pairs; returns how many were new."""
    wanted = {
        identifier_digest(secret, tenant_id, kind, value): kind for kind, value in identifiers
    }
    if not wanted:
        return 0
    existing = set(
        session.exec(
            select(MarketingSuppression.digest).where(
                col(MarketingSuppression.digest).in_(list(wanted))
            )
        ).all()
    )
    new = [digest for digest in wanted if digest not in existing]
    for digest in new:
        session.add(MarketingSuppression(kind=wanted[digest], digest=digest))
    return len(new)
