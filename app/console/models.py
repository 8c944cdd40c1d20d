"""Console sessions, kept server-side: the cookie carries only a random id, stored hashed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.db import JSONType, UTCDateTime


class ConsoleSession(SQLModel, table=True):
    """A browser's session with the console.

    Before sign-in a row may exist only while an OpenID Connect sign-in is under way
    (`pending`: its state, nonce and PKCE verifier). Signed in, it names the person by
    the issuer's `sub`, their display name, tenant, scopes and language — nothing more
    about them. Not tenant-scoped: it is found by its id before the tenant is known.
    """

    __tablename__ = "console_session"

    # sha256 of the cookie's random value (hex): a leaked table opens no session.
    id_hash: str = Field(primary_key=True, max_length=64)
    actor: str | None = Field(default=None, max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    tenant: str | None = Field(default=None, max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_type=JSONType)
    lang: str = Field(default="sv", max_length=2)
    csrf_token: str = Field(max_length=64)
    # Message keys (and non-personal parameters) shown once on the next page.
    flashes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    pending: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
