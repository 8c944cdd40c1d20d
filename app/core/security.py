"""Bearer JWT authentication and scope checks.

python-jose's claim checks are too lenient to rely on (it reads `"exp": "123"` as a
date and fails with a TypeError on `"exp": null`), so python-jose only checks the
signature here and everything else is checked strictly in this module: the token's
size and shape, a header whose `alg` is on the configured allow-list and matches the
key type (an HMAC secret only for HS*, a public key only for RS*/ES*) and that names
no critical extension, and claims that are JSON numbers (`exp` required, `nbf`,
`iat`) or strings (`iss`, `aud`, `sub`, `tenant`, `scope`) of the expected form.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import math
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jose.utils import is_pem_format, is_ssh_key

from app.core.clock import utcnow
from app.core.config import TENANT_PATTERN as TENANT_PATTERN  # the `tenant` claim's form
from app.core.config import ConfigurationError, Settings
from app.core.errors import Unauthorized

ACTOR_MAX_LENGTH = 200

SCOPES: dict[str, str] = {
    "subjects:read": "Read subjects and records (processing reads).",
    "subjects:write": "Create subjects, add and change records (system-of-record writes).",
    "rights:read": "Access reports, exports, rights requests, rectification history.",
    "rights:write": "Open/extend/close rights requests; rectify, restrict, object, erase.",
    "marketing:check": "Ask whether a person may receive direct marketing.",
    "holds:write": "Place and release legal holds.",
    "holds:read": "Read held records for the purpose they are kept for (Art 18(2)).",
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


MAX_TOKEN_LENGTH = 8 * 1024
"""The longest bearer token accepted; longer ones are refused before any parsing."""

# A numeric date (RFC 7519 §2) must be a JSON number within 1970-01-01 .. 9999-12-31, so
# that no arithmetic or date conversion on it can overflow.
MAX_NUMERIC_DATE = 253_402_300_799

JWKS_WAIT_SECONDS = 0.8  # the longest a caller waits for a key set that is being fetched
JWKS_MIN_REFETCH_SECONDS = 10.0  # at most one fetch this often (unknown `kid`s, outages)
JWKS_FETCH_TIMEOUT_SECONDS = 3.0
JWKS_MAX_BYTES = 512 * 1024

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})

logger = logging.getLogger("app.security")


class KeyStore:
    """The verification keys: an HMAC secret and/or public keys (PEM or JWKS).

    A JWKS document is fetched by one background thread at a time, never more often
    than every `JWKS_MIN_REFETCH_SECONDS`. The last good key set keeps serving while a
    refresh fails or stalls; a caller whose key is not (yet) known waits for a fetch in
    flight until at most `JWKS_WAIT_SECONDS` after it started, then gets its answer.

    With `issuer`, the keys are only those an OpenID Connect issuer publishes: its
    discovery document names the JWKS (`jwks_uri`), which is then fetched and cached
    the same way; no HMAC secret and no configured public key is used.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        issuer: str | None = None,
    ):
        self._settings = settings
        self._issuer = issuer
        self._secret = settings.hmac_secret() if issuer is None else None
        self._static_keys = (
            [_load_pem(k) for k in settings.jwt_public_keys] if issuer is None else []
        )
        self._jwks_uri: str | None = None  # found through the issuer's discovery document
        self._monotonic = monotonic
        self._jwks: list[dict[str, Any]] = []
        self._jwks_loaded_at: float | None = None
        self._fetch_started_at: float | None = None
        self._wait_until = 0.0  # real monotonic time until which callers wait for a fetch
        self._lock = threading.Lock()
        self._idle = threading.Event()  # set while no fetch is running
        self._idle.set()
        self.fetches = 0  # how many fetches were started (for tests and metrics)

    def keys_for(self, alg: str, kid: str | None) -> list[Any]:
        """The keys that may have signed a token with this `alg` and `kid`."""
        if alg.startswith("HS"):
            return [self._secret] if self._secret else []
        family = "RSA" if alg.startswith("RS") else "EC"
        keys: list[Any] = [pem for key_family, pem in self._static_keys if key_family == family]
        for entry in self._jwks_for(kid):
            if entry.get("kty") != family:
                continue
            if kid is not None and entry.get("kid") not in (None, kid):
                continue
            if entry.get("alg") not in (None, alg):
                continue
            keys.append(entry)
        return keys

    def _jwks_for(self, kid: str | None) -> list[dict[str, Any]]:
        if not (self._settings.jwks_url or self._issuer):
            return []
        keys = self._jwks
        loaded_at = self._jwks_loaded_at
        stale = (
            loaded_at is None or self._monotonic() - loaded_at >= self._settings.jwks_cache_seconds
        )
        known = bool(keys) and (kid is None or any(k.get("kid") == kid for k in keys))
        if stale or not known:
            self._start_fetch()
        if not known:
            # A new key (rotation) or no key set yet: wait for the fetch in flight, until
            # shortly after it started (callers queued behind others do not wait again).
            self._idle.wait(max(0.0, self._wait_until - time.monotonic()))
            keys = self._jwks
        return keys

    def _start_fetch(self) -> None:
        with self._lock:
            now = self._monotonic()
            if not self._idle.is_set():
                return  # one fetch at a time
            started = self._fetch_started_at
            if started is not None and now - started < JWKS_MIN_REFETCH_SECONDS:
                return
            self._fetch_started_at = now
            self._wait_until = time.monotonic() + JWKS_WAIT_SECONDS
            self._idle.clear()
            self.fetches += 1
        threading.Thread(target=self._fetch, name="jwks-fetch", daemon=True).start()

    def _fetch(self) -> None:
        try:
            if self._issuer is None:
                source = str(self._settings.jwks_url)
            else:
                source = self._jwks_uri or discover_jwks_uri(self._issuer)
            document = _read_json(source)
            keys = document.get("keys") if isinstance(document, dict) else None
            if not isinstance(keys, list):
                raise ValueError("not a JWKS document")
            self._jwks = [k for k in keys if isinstance(k, dict)]
            self._jwks_loaded_at = self._monotonic()
            if self._issuer is not None:
                self._jwks_uri = source
        except (_http_error(), OSError, ValueError) as exc:
            # Keep serving with the last good key set; the next fetch is rate-limited
            # (and asks the issuer's discovery document again: the JWKS may have moved).
            self._jwks_uri = None
            logger.warning("JWKS fetch failed", extra={"error_type": type(exc).__name__})
        finally:
            self._idle.set()


def _http_error() -> type[Exception]:
    import httpx  # loaded only where keys are fetched over http (not with HS256)

    return httpx.HTTPError


def discover_jwks_uri(issuer: str) -> str:
    """The `jwks_uri` of an OpenID Connect issuer, from its discovery document.

    OpenID Connect Discovery 1.0 §4: the document is at the issuer with any trailing `/`
    removed, followed by `/.well-known/openid-configuration`; §4.3: its `issuer` must be
    identical to the issuer asked (else the document is not that issuer's). The JWKS
    must be fetched as securely as the document was: an https issuer's `jwks_uri` is
    https too.
    """
    document = _read_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ValueError("the discovery document names another issuer")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
        raise ValueError("the discovery document has no http(s) `jwks_uri`")
    if issuer.startswith("https://") and not jwks_uri.startswith("https://"):
        raise ValueError("an https issuer's `jwks_uri` must be https")
    return jwks_uri


def _read_json(source: str) -> Any:
    """The JSON document (a JWKS, an issuer's discovery document) at an http(s) URL or a
    local path, within the time and size limits."""
    if not source.startswith(("https://", "http://")):
        return json.loads(Path(source.removeprefix("file://")).read_bytes()[:JWKS_MAX_BYTES])
    import httpx

    deadline = time.monotonic() + JWKS_FETCH_TIMEOUT_SECONDS
    body = bytearray()
    with httpx.stream("GET", source, timeout=JWKS_FETCH_TIMEOUT_SECONDS) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > JWKS_MAX_BYTES or time.monotonic() > deadline:
                raise ValueError("the document is too large or too slow")
    return json.loads(body)


def _load_pem(value: str) -> tuple[str, str]:
    """(family, PEM) of a configured public key, given inline or as a file path."""
    text = value.strip()
    if not text.startswith("-----BEGIN"):
        text = Path(text).read_text().strip()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = serialization.load_pem_public_key(text.encode())
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", text
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", text
    raise ValueError("only RSA and EC public keys are supported")


VERIFIED_CACHE_SIZE = 4096
VERIFIED_CACHE_SECONDS = 60
VERIFY_THREADS = 16  # most wait (for a key fetch), few compute: more than the cores


@dataclass(frozen=True)
class TokenPolicy:
    """What a verifier accepts: the issuer (`iss`), the audience (`aud`), the signing
    algorithms, and how the verified claims name the caller."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    principal: Callable[[dict[str, Any]], Principal]


class TokenVerifier:
    """Verifies bearer tokens against the configured keys and claims.

    A verified token is remembered for up to a minute (never past its `exp`), so that a
    system calling many times with one token pays for the signature check once. The
    check itself runs in a small pool of its own (`verify_off_loop`), so that neither
    the event loop nor the database threads wait for it.

    By default it verifies the tokens of `/v1` (`PRIVACY_JWT_*`); another `policy` and
    key store verify another issuer's tokens with the same checks.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        now: Callable[[], float] = time.time,
        keys: KeyStore | None = None,
        policy: TokenPolicy | None = None,
    ):
        self.settings = settings
        self.keys = keys or KeyStore(settings)
        self.policy = policy or TokenPolicy(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            algorithms=tuple(settings.jwt_algorithms),
            principal=_principal_from,
        )
        self.algorithms = list(self.policy.algorithms)
        self._now = now
        self._verified: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._verified_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=VERIFY_THREADS, thread_name_prefix="jwt")

    def cached(self, token: str) -> Principal | None:
        """The principal of a token verified within the last minute, else None (cheap)."""
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        with self._verified_lock:
            entry = self._verified.get(_digest(token))
        if entry is not None and entry[0] > self._now():
            return entry[1]
        return None

    async def verify_off_loop(self, token: str) -> Principal:
        """`verify`, answered from the cache on the event loop or else in the pool."""
        principal = self.cached(token)
        if principal is not None:
            return principal
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.verify, token)

    def verify(self, token: str) -> Principal:
        """The caller a token names; `Unauthorized` for any token not fully valid."""
        principal = self.cached(token)
        if principal is not None:
            return principal
        now = self._now()
        principal, expires = self._verify(token, now)
        keep_until = min(expires + self.settings.jwt_leeway_seconds, now + VERIFIED_CACHE_SECONDS)
        with self._verified_lock:
            self._verified[_digest(token)] = (keep_until, principal)
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str, now: float) -> tuple[Principal, float]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unauthorized("The token is too long.")
        if not _TOKEN_SHAPE.fullmatch(token):
            raise Unauthorized("The token is not a well-formed JWT.")
        header_segment, payload_segment, signature_segment = token.split(".")
        alg, kid = self._check_header(_json_segment(header_segment))
        keys = self.keys.keys_for(alg, kid)
        if not keys:
            raise Unauthorized("No key is configured for the token's algorithm and key id.")
        signing_input = f"{header_segment}.{payload_segment}".encode()
        signature = _b64decode(signature_segment)
        if not any(_signature_matches(key, alg, signing_input, signature) for key in keys):
            raise Unauthorized("The token's signature does not verify.")
        claims = _json_segment(payload_segment)
        expires = self._check_registered_claims(claims, now)
        return self.policy.principal(claims), expires

    def _check_header(self, header: dict[str, Any]) -> tuple[str, str | None]:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise Unauthorized("The token's algorithm is not accepted.")
        if "crit" in header:
            # RFC 7515 §4.1.11: a critical extension we do not understand must fail.
            raise Unauthorized("The token names critical header extensions (`crit`).")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Unauthorized("The token's `kid` header is not a string.")
        return alg, kid

    def _check_registered_claims(self, claims: dict[str, Any], now: float) -> float:
        """Checks `exp`, `nbf`, `iat`, `iss` and `aud`; returns `exp`."""
        leeway = self.settings.jwt_leeway_seconds
        expires = _numeric_date(claims, "exp")
        if expires is None:
            raise Unauthorized("The token has no `exp` claim.")
        not_before = _numeric_date(claims, "nbf")
        _numeric_date(claims, "iat")
        if expires <= now - leeway:
            raise Unauthorized("The token has expired.")
        if not_before is not None and not_before > now + leeway:
            raise Unauthorized("The token is not valid yet (`nbf`).")
        if claims.get("iss") != self.policy.issuer:
            raise Unauthorized("The token's issuer is not accepted.")
        audience = claims.get("aud")
        if isinstance(audience, str):
            audience = [audience]
        if not (
            isinstance(audience, list)
            and all(isinstance(a, str) for a in audience)
            and self.policy.audience in audience
        ):
            raise Unauthorized("The token's audience is not accepted.")
        return expires


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _b64decode(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise Unauthorized("The token is not a well-formed JWT.") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError("duplicate member name")
        out[key] = value
    return out


def _json_segment(segment: str) -> dict[str, Any]:
    """A JOSE header or claims set: one JSON object, no duplicate names, no NaN/Infinity."""
    try:
        value = json.loads(
            _b64decode(segment),
            object_pairs_hook=_unique_keys,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError) as exc:
        raise Unauthorized("The token is not a well-formed JWT.") from exc
    if not isinstance(value, dict):
        raise Unauthorized("The token is not a well-formed JWT.")
    return value


_HMAC_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _signature_matches(key: Any, alg: str, signing_input: bytes, signature: bytes) -> bool:
    digest = _HMAC_DIGESTS.get(alg)
    if digest is not None:
        # HS256/384/512 (RFC 7518 3.2) with the standard library's HMAC, as python-jose's
        # HMAC key computes it: python-jose loads `cryptography` (about 10 MB in every
        # serving process) for the RSA and EC keys only an RS*/ES* token needs.
        secret = key.encode() if isinstance(key, str) else key
        # What python-jose refuses as an HMAC secret: an asymmetric key or certificate.
        if not isinstance(secret, bytes) or is_pem_format(secret) or is_ssh_key(secret):
            return False
        return hmac.compare_digest(hmac.new(secret, signing_input, digest).digest(), signature)
    from jose import jwk
    from jose.exceptions import JOSEError

    try:
        return bool(jwk.construct(key, alg).verify(signing_input, signature))
    except (JOSEError, ValueError, TypeError):
        # A key that cannot be used with this algorithm.
        return False


def _numeric_date(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate claim: absent (None), or a finite JSON number in range."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized(f"The token's `{name}` claim is not a number.")
    if not (isinstance(value, int) or math.isfinite(value)) or not (0 <= value <= MAX_NUMERIC_DATE):
        raise Unauthorized(f"The token's `{name}` claim is out of range.")
    return float(value)


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text)


def actor_from(claims: dict[str, Any]) -> str:
    """The token's `sub`: the calling system or user (the actor of audit events)."""
    sub = claims.get("sub")
    if (
        not isinstance(sub, str)
        or not sub.strip()
        or len(sub) > ACTOR_MAX_LENGTH
        or _has_control_characters(sub)
    ):
        raise Unauthorized("The token's `sub` claim is missing or invalid.")
    return sub


def _principal_from(claims: dict[str, Any]) -> Principal:
    sub = actor_from(claims)
    tenant = claims.get("tenant")
    if not isinstance(tenant, str) or not TENANT_PATTERN.fullmatch(tenant):
        raise Unauthorized("The token's `tenant` claim is missing or invalid.")
    raw_scope = claims.get("scope", "")
    if not isinstance(raw_scope, str):
        raise Unauthorized("The token's `scope` claim must be a space-separated string.")
    return Principal(actor=sub, tenant=tenant, scopes=frozenset(raw_scope.split()))


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
    secret = settings.hmac_secret()
    if not secret:
        raise ConfigurationError("no HMAC secret (PRIVACY_JWT_SECRET); cannot mint a token")
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
    from jose import jwt

    return jwt.encode(claims, secret, algorithm=algorithm)
