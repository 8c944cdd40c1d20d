"""Signing in to the console with OpenID Connect: the authorization-code flow with PKCE.

1. `start`: a pending sign-in is stored server-side (a console session without a person:
   its `state`, `nonce` and PKCE `code_verifier`, and where to return), its id goes in
   the cookie, and the browser is sent to the issuer's `authorization_endpoint` with
   `code_challenge_method=S256` (RFC 7636 §4.2).
2. `finish` (the callback): the pending sign-in is taken (once: it is deleted), the
   `state` must match (RFC 6749 §10.12), the code is exchanged at the `token_endpoint`
   with the verifier, and the ID token is validated (OpenID Connect Core §3.1.3.7): its
   signature by a key of the issuer's JWKS, `iss`, `aud` (and `azp` with several
   audiences), `exp`/`iat` on the service's clock, and the `nonce` of this sign-in.
3. The person's scopes come from their roles (`PRIVACY_CONSOLE_OIDC_ROLES`, read from
   the claim `PRIVACY_CONSOLE_OIDC_ROLES_CLAIM`) and the tenant from
   `PRIVACY_CONSOLE_OIDC_TENANT_CLAIM`.

Authlib does the OAuth 2 and PKCE parts (the authorization URL, the state check, the
token request) and joserfc, Authlib's JOSE implementation, the ID token's signature and
claims. The endpoints and keys are found through the issuer's discovery document,
which must name the configured issuer (Discovery 1.0 §4.3); both are cached.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import Request, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from starlette.concurrency import run_in_threadpool

from app.console import sessions
from app.console.deps import get_engine, run_write
from app.core.config import TENANT_PATTERN, Settings
from app.core.security import _read_json

logger = logging.getLogger("app.console.oidc")

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
METADATA_SECONDS = 3600
TOKEN_TIMEOUT_SECONDS = 5.0
LEEWAY_SECONDS = 60
MAX_NAME = 200


@dataclass(frozen=True)
class Identity:
    """Who signed in, as the console keeps them."""

    actor: str
    display_name: str
    tenant: str
    scopes: frozenset[str]
    next_path: str


class SignInFailed(Exception):
    """The sign-in cannot complete; the reason is logged (without personal data)."""


class Provider:
    """The issuer's endpoints and keys, from its discovery document (cached)."""

    def __init__(self, issuer: str):
        self.issuer = issuer
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._loaded_at = 0.0

    def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        with self._lock:
            fresh = time.monotonic() - self._loaded_at < METADATA_SECONDS
            if self._metadata is None or refresh or not fresh:
                document = _read_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
                if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                    raise SignInFailed("the discovery document names another issuer")
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    value = document.get(name)
                    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                        raise SignInFailed(f"the discovery document has no {name}")
                    if self.issuer.startswith("https://") and not value.startswith("https://"):
                        raise SignInFailed(f"an https issuer's {name} must be https")
                self._metadata = document
                self._keys = None
                self._loaded_at = time.monotonic()
            return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        metadata = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                document = _read_json(metadata["jwks_uri"])
                if not isinstance(document, dict):
                    raise SignInFailed("the JWKS is not a JSON object")
                self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            return self._keys


def provider(request: Request) -> Provider:
    settings: Settings = request.app.state.settings
    assert settings.console_oidc_issuer is not None
    current: Provider | None = getattr(request.app.state, "console_oidc", None)
    if current is None or current.issuer != settings.console_oidc_issuer:
        current = Provider(settings.console_oidc_issuer)
        request.app.state.console_oidc = current
    return current


def redirect_uri(request: Request) -> str:
    """Where the issuer sends the person back: `PRIVACY_CONSOLE_OIDC_REDIRECT_URI`, else
    this service's address as the request reached it."""
    configured: str | None = request.app.state.settings.console_oidc_redirect_uri
    return configured or str(request.base_url).rstrip("/") + "/console/callback"


async def start(request: Request, *, next_path: str) -> Response:
    """Send the browser to the issuer, with a new pending sign-in in the cookie."""
    settings: Settings = request.app.state.settings
    try:
        metadata = await run_in_threadpool(provider(request).metadata)
    except (SignInFailed, httpx.HTTPError, ValueError) as error:
        logger.error("issuer discovery failed", extra={"error_type": type(error).__name__})
        return Response(status_code=303, headers={"Location": "/console/sign-in?failed=1"})
    state = generate_token(32)
    nonce = generate_token(32)
    verifier = generate_token(64)  # RFC 7636 §4.1: 43-128 characters
    location = prepare_grant_uri(
        metadata["authorization_endpoint"],
        client_id=settings.console_oidc_client_id,
        response_type="code",
        redirect_uri=redirect_uri(request),
        scope=settings.console_oidc_scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    from app.console.auth import open_session  # auth loads this module on first use

    return await open_session(
        request,
        Response(status_code=303, headers={"Location": location}),
        cookie_seconds=sessions.PENDING_SECONDS,
        pending={"state": state, "nonce": nonce, "verifier": verifier, "next": next_path},
    )


async def finish(request: Request) -> Identity | None:
    """The person the issuer vouches for; None when the sign-in fails (logged). Their
    scopes are empty when no role of theirs is mapped (the caller answers 403)."""
    engine = get_engine(request)
    settings: Settings = request.app.state.settings
    row = await run_in_threadpool(sessions.find, engine, request.cookies.get(sessions.COOKIE_NAME))
    if row is None or row.actor is not None or not row.pending:
        logger.warning("sign-in callback without a pending sign-in")
        return None
    # One use: the pending sign-in is gone whatever happens next.
    await run_write(request, lambda: sessions.delete_session(engine, row.id_hash))
    now = request.app.state.clock()
    if sessions.is_expired(row, settings, now):
        logger.warning("sign-in callback after the pending sign-in expired")
        return None
    pending = row.pending
    try:
        claims = await run_in_threadpool(_complete, request, settings, pending, now.timestamp())
        return _identity(claims, settings, next_path=str(pending.get("next") or "/console"))
    except (SignInFailed, OAuth2Error, JoseError, httpx.HTTPError, ValueError) as error:
        logger.warning(
            "sign-in failed",
            extra={"error_type": type(error).__name__, "reason": _reason(error)},
        )
        return None


def _reason(error: Exception) -> str:
    """What went wrong, in our words or the library's error code (never a claim's value)."""
    if isinstance(error, SignInFailed):
        return str(error)
    code = getattr(error, "error", None)
    return str(code) if isinstance(code, str) else type(error).__name__


def _complete(
    request: Request, settings: Settings, pending: dict[str, Any], now: float
) -> dict[str, Any]:
    """Check the callback's state, exchange the code, validate the ID token; its claims."""
    if request.query_params.get("error"):
        raise SignInFailed("the issuer answered with an error")
    # RFC 6749 §4.1.2 and §10.12: the state must be the one this sign-in sent.
    params = parse_authorization_code_response(str(request.url), state=pending["state"])
    issuer = provider(request)
    metadata = issuer.metadata()
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": redirect_uri(request),
        "client_id": settings.console_oidc_client_id,
        "code_verifier": pending["verifier"],
    }
    auth = None
    if settings.console_oidc_client_secret:
        auth = httpx.BasicAuth(
            str(settings.console_oidc_client_id), settings.console_oidc_client_secret
        )
    answer = httpx.post(
        metadata["token_endpoint"],
        data=form,
        auth=auth,
        headers={"Accept": "application/json"},
        timeout=TOKEN_TIMEOUT_SECONDS,
    )
    if answer.status_code != 200:
        raise SignInFailed(f"the token endpoint answered {answer.status_code}")
    document = answer.json()
    id_token = document.get("id_token") if isinstance(document, dict) else None
    if not isinstance(id_token, str):
        raise SignInFailed("the token response holds no id_token")
    return _validate(issuer, id_token, settings, nonce=pending["nonce"], now=now)


def _validate(
    issuer: Provider, id_token: str, settings: Settings, *, nonce: str, now: float
) -> dict[str, Any]:
    """OpenID Connect Core §3.1.3.7: signature, iss, aud/azp, exp, iat, nonce."""
    try:
        token = jwt.decode(id_token, issuer.keys(), algorithms=ALGORITHMS)
    except JoseError:
        # A key the cached set does not have (the issuer rotated): fetch the set once more.
        token = jwt.decode(id_token, issuer.keys(refresh=True), algorithms=ALGORITHMS)
    claims: dict[str, Any] = dict(token.claims)
    registry = JWTClaimsRegistry(
        now=int(now),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer.issuer},
        aud={"essential": True, "value": str(settings.console_oidc_client_id)},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    registry.validate(claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.console_oidc_client_id:
        raise SignInFailed("an ID token for several audiences must name the console as azp")
    return claims


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    if path in claims:
        return claims[path]
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def roles_of(claims: dict[str, Any], claim: str) -> list[str]:
    value = _claim(claims, claim)
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _identity(claims: dict[str, Any], settings: Settings, *, next_path: str) -> Identity:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > MAX_NAME:
        raise SignInFailed("the ID token's sub is unusable")
    tenant = _claim(claims, settings.console_oidc_tenant_claim)
    if not isinstance(tenant, str) or not TENANT_PATTERN.fullmatch(tenant):
        raise SignInFailed("the ID token names no usable tenant")
    scopes: set[str] = set()
    for role in roles_of(claims, settings.console_oidc_roles_claim):
        scopes.update(settings.console_oidc_roles.get(role, []))
    name = claims.get("name") or claims.get("preferred_username") or sub
    return Identity(
        actor=sub,
        display_name=str(name)[:MAX_NAME],
        tenant=tenant,
        scopes=frozenset(scopes),
        next_path=next_path,
    )
