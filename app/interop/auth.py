"""Who may call the GDPR API: tokens of the platform's OpenID Connect issuer.

The Helsinki profile calls a service's GDPR API with an access token its issuer
(Tunnistamo or Keycloak) minted for the person asking: `iss` the issuer, `aud` the
service's GDPR API client, `sub` the person's user id, and the API scopes in a claim of
their own rather than in `scope` — Tunnistamo lists them under `https://api.hel.fi/auth`
(`["<api>.gdprquery"]`), Keycloak under `authorization.permissions[].scopes`
(`["gdprquery"]`). The token is verified with the checks of every token
(`app.core.security.TokenVerifier`: signature, `exp`, `nbf`, `iat`, `iss`, `aud`),
against the keys the issuer publishes (its discovery document's `jwks_uri`, fetched and
cached as any JWKS). The tenant is not in the token: the GDPR API serves one controller,
`PRIVACY_GDPR_API_TENANT`. The token's `sub` is the actor of the call's audit event.

`loa` (the person's level of assurance) is not read: this register's data is not
collected through the platform's sign-in, so the level does not change what is held.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.engine import Engine

from app.core.config import Settings
from app.core.deps import UnitOfWork, get_engine, verified_caller, write_transaction
from app.core.errors import Forbidden, NotFound, Unauthorized
from app.core.security import KeyStore, Principal, TokenPolicy, TokenVerifier, actor_from

GDPR_QUERY = "gdprquery"
GDPR_DELETE = "gdprdelete"
# The issuer signs with its private key and publishes the public one: asymmetric only.
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384")

gdpr_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="gdprApi",
    bearerFormat="JWT",
    description=(
        "An access token of the OpenID Connect issuer `PRIVACY_GDPR_API_ISSUER` (verified "
        "through its discovery document's `jwks_uri`), for the audience "
        "`PRIVACY_GDPR_API_AUDIENCE`, with the GDPR API scopes in the claim "
        "`PRIVACY_GDPR_API_AUTHORIZATION_FIELD` (Tunnistamo; default "
        "`https://api.hel.fi/auth`) or in `authorization.permissions[].scopes` (Keycloak). "
        "`sub` (the person) is recorded as the actor."
    ),
)


class ScopeMissing(Forbidden):
    """The token does not grant this GDPR API operation (answered in the API's format)."""


def gdpr_verifier(settings: Settings) -> TokenVerifier | None:
    """The verifier of the GDPR API's tokens; None while no issuer is configured."""
    issuer = settings.gdpr_api_issuer
    if issuer is None:
        return None
    assert settings.gdpr_api_audience is not None  # the settings refuse an issuer without
    return TokenVerifier(
        settings,
        keys=KeyStore(settings, issuer=issuer),
        policy=TokenPolicy(
            issuer=issuer,
            audience=settings.gdpr_api_audience,
            algorithms=ALGORITHMS,
            principal=partial(principal_from, settings=settings),
        ),
    )


def principal_from(claims: dict[str, Any], *, settings: Settings) -> Principal:
    """The person (`sub`) calling for the configured tenant, with the GDPR scopes the
    token grants, named `gdprquery` and `gdprdelete` whatever the issuer calls them."""
    assert settings.gdpr_api_tenant is not None
    granted = granted_scopes(claims, settings.gdpr_api_authorization_field)
    scopes = {
        name
        for name, configured in (
            (GDPR_QUERY, settings.gdpr_api_query_scope),
            (GDPR_DELETE, settings.gdpr_api_delete_scope),
        )
        if configured in granted
    }
    return Principal(
        actor=actor_from(claims), tenant=settings.gdpr_api_tenant, scopes=frozenset(scopes)
    )


def granted_scopes(claims: dict[str, Any], field: str) -> set[str]:
    """The API scopes in the token: the list in `field` (Tunnistamo) and in
    `authorization.permissions[].scopes` (Keycloak). A list of another form is not a
    token of the issuer's: 401."""
    granted: set[str] = set()
    if field in claims:
        granted |= _scope_list(claims[field], field)
    authorization = claims.get("authorization")
    if authorization is not None:
        permissions = authorization.get("permissions") if isinstance(authorization, dict) else None
        if not isinstance(permissions, list) or not all(isinstance(p, dict) for p in permissions):
            raise Unauthorized("The token's `authorization` claim is not a list of permissions.")
        for permission in permissions:
            if "scopes" in permission:
                granted |= _scope_list(permission["scopes"], "authorization")
    return granted


def _scope_list(value: Any, claim: str) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return set(value)
    raise Unauthorized(f"The token's `{claim}` claim is not a list of scopes.")


async def gdpr_api_enabled(request: Request) -> None:
    """404 for every GDPR API call while no issuer is configured, as for a path that
    does not exist."""
    if request.app.state.gdpr_verifier is None:
        raise NotFound("No such resource.")


async def authenticate_gdpr(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(gdpr_bearer)],
) -> Principal:
    """The verified person; 401 without a valid token, 403 without the scopes asked for."""
    verifier: TokenVerifier | None = request.app.state.gdpr_verifier
    if verifier is None:
        raise NotFound("No such resource.")
    principal = await verified_caller(request, verifier, credentials)
    missing = [scope for scope in security_scopes.scopes if not principal.has(scope)]
    if missing:
        raise ScopeMissing(f"This operation needs the scope `{' '.join(missing)}`.")
    return principal


def requires_gdpr(scope: str) -> Any:
    """A dependency that authenticates a GDPR API call and demands `scope`."""
    return Security(authenticate_gdpr, scopes=[scope])


async def gdpr_unit_of_work(
    request: Request,
    principal: Annotated[Principal, Depends(authenticate_gdpr)],
    engine: Annotated[Engine, Depends(get_engine)],
) -> AsyncIterator[UnitOfWork]:
    """A write transaction of a GDPR API call (`app.core.deps.write_transaction`)."""
    async with write_transaction(request, principal, engine) as uow:
        yield uow


GdprUnitOfWorkDep = Annotated[UnitOfWork, Depends(gdpr_unit_of_work, scope="function")]
