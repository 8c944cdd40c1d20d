"""Bearer JWT authentication and scope checks.

python-jose's defaults are not safe to rely on: it does not require `aud` or `exp`
and will try any algorithm it is given. Here the algorithm comes from a configured
allow-list and must match the key type (an HMAC secret only for HS*, a public key
only for RS*/ES*), and `exp`, `iss`, `aud`, `sub` and our `tenant` claim are required.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.errors import Unauthorized

TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
ACTOR_MAX_LENGTH = 200

SCOPES: dict[str, str] = {
    "subjects:read": "Read subjects and records (processing reads).",
    "subjects:write": "Create subjects, add and change records (system-of-record writes).",
    "rights:read": "Access reports, exports, rights requests, rectification history.",
    "rights:write": "Open/extend/close rights requests; rectify, restrict, object, erase.",
    "marketing:check": "Ask whether a person may receive direct marketing.",
    "holds:write": "Place and release legal holds.",
    "audit:read": "Read audit events.",
    "admin": "Tenant configuration: privacy notice, recipients (webhooks), retention rules.",
}


@dataclass(frozen=True)
class Principal:
    """Who is calling (`actor`, the token's `sub`), for which tenant, with which scopes."""

    actor: str
    tenant: str
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


class KeyStore:
    """The verification keys: an HMAC secret and/or public keys (PEM or JWKS)."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._secret = settings.jwt_secret
        self._static_keys = [_load_pem(k) for k in settings.jwt_public_keys]
        self._jwks: list[dict[str, Any]] = []
        self._jwks_loaded_at = 0.0
        self._lock = threading.Lock()

    def keys_for(self, alg: str, kid: str | None) -> list[Any]:
        if alg.startswith("HS"):
            return [self._secret] if self._secret else []
        family = "RSA" if alg.startswith("RS") else "EC"
        keys: list[Any] = []
        keys.extend(pem for key_family, pem in self._static_keys if key_family == family)
        for entry in self._load_jwks():
            if entry.get("kty") != family:
                continue
            if kid is not None and entry.get("kid") not in (None, kid):
                continue
            if entry.get("alg") not in (None, alg):
                continue
            keys.append(entry)
        return keys

    def _load_jwks(self) -> list[dict[str, Any]]:
        source = self._settings.jwks_url
        if not source:
            return []
        with self._lock:
            fresh = time.monotonic() - self._jwks_loaded_at < self._settings.jwks_cache_seconds
            if self._jwks and fresh:
                return self._jwks
            try:
                if source.startswith(("https://", "http://")):
                    response = httpx.get(source, timeout=5.0)
                    response.raise_for_status()
                    document = response.json()
                else:
                    document = json.loads(Path(source.removeprefix("file://")).read_text())
                keys = [k for k in document.get("keys", []) if isinstance(k, dict)]
            except (httpx.HTTPError, OSError, ValueError):
                # Keep serving with the last good key set; an empty one rejects tokens.
                return self._jwks
            self._jwks = keys
            self._jwks_loaded_at = time.monotonic()
            return self._jwks


def _load_pem(value: str) -> tuple[str, str]:
    """(family, PEM) of a configured public key, given inline or as a file path."""
    text = value.strip()
    if not text.startswith("-----BEGIN"):
        text = Path(text).read_text().strip()
    key = serialization.load_pem_public_key(text.encode())
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", text
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", text
    raise ValueError("only RSA and EC public keys are supported")


VERIFIED_CACHE_SIZE = 4096
VERIFIED_CACHE_SECONDS = 60


class TokenVerifier:
    """Verifies bearer tokens against the configured keys and claims.

    A verified token is remembered for up to a minute (never past its `exp`), so that a
    system calling many times with one token pays for the signature check once.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.keys = KeyStore(settings)
        self.algorithms = list(settings.jwt_algorithms)
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._verified_lock = threading.Lock()
        # A JWKS URL may need fetching over the network: verify in a worker thread then.
        self.may_block = bool(settings.jwks_url and settings.jwks_url.startswith("http"))

    def verify(self, token: str) -> Principal:
        now = time.time()
        with self._verified_lock:
            cached = self._verified.get(token)
            if cached is not None and cached[0] > now:
                return cached[1]
        principal, expires = self._verify(token)
        keep_until = min(expires + self.settings.jwt_leeway_seconds, now + VERIFIED_CACHE_SECONDS)
        with self._verified_lock:
            self._verified[token] = (keep_until, principal)
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise Unauthorized("The token is not a well-formed JWT.") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise Unauthorized("The token's algorithm is not accepted.")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        keys = self.keys.keys_for(alg, kid)
        if not keys:
            raise Unauthorized("No key is configured for the token's algorithm.")
        options = {
            "verify_signature": True,
            "verify_aud": True,
            "verify_iss": True,
            "verify_exp": True,
            "verify_nbf": True,
            "verify_iat": True,
            "verify_sub": True,
            "require_exp": True,
            "require_aud": True,
            "require_iss": True,
            "require_sub": True,
            "verify_at_hash": False,
            "leeway": self.settings.jwt_leeway_seconds,
        }
        claims: dict[str, Any] | None = None
        last_error: Exception | None = None
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[alg],
                    audience=self.settings.jwt_audience,
                    issuer=self.settings.jwt_issuer,
                    options=options,
                )
                break
            except ExpiredSignatureError as exc:
                raise Unauthorized("The token has expired.") from exc
            except JWTClaimsError as exc:
                raise Unauthorized("The token's claims are not accepted.") from exc
            except JWTError as exc:
                last_error = exc
        if claims is None:
            raise Unauthorized("The token's signature does not verify.") from last_error
        return _principal_from(claims), float(claims["exp"])


def _principal_from(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > ACTOR_MAX_LENGTH:
        raise Unauthorized("The token's `sub` claim is missing or invalid.")
    tenant = claims.get("tenant")
    if not isinstance(tenant, str) or not TENANT_PATTERN.match(tenant):
        raise Unauthorized("The token's `tenant` claim is missing or invalid.")
    raw_scope = claims.get("scope", "")
    if isinstance(raw_scope, list):
        scopes = frozenset(str(s) for s in raw_scope)
    elif isinstance(raw_scope, str):
        scopes = frozenset(raw_scope.split())
    else:
        raise Unauthorized("The token's `scope` claim is invalid.")
    return Principal(actor=sub, tenant=tenant, scopes=scopes)


def mint_token(
    settings: Settings,
    *,
    tenant: str,
    sub: str,
    scopes: list[str],
    ttl: timedelta = timedelta(hours=1),
    algorithm: str = "HS256",
) -> str:
    """A token signed with the HMAC secret (development and tests)."""
    if not settings.jwt_secret:
        raise RuntimeError("PRIVACY_JWT_SECRET is not set; cannot mint a development token")
    now = utcnow()
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": sub,
        "tenant": tenant,
        "scope": " ".join(scopes),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=algorithm)
