"""Settings from `PRIVACY_*` environment variables (and an optional `.env`)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The suppression-hash key of development; never accepted outside it.
DEV_HASH_SECRET = "dev-only-hash-secret-change-me-0123456789"  # noqa: S105
# Values that must never protect anything, including the JWT secret that development
# used to fall back to before it generated its own.
PLACEHOLDER_SECRETS = frozenset(
    {
        "dev-only-jwt-secret-change-me-0123456789",
        DEV_HASH_SECRET,
        "changeme",
        "change-me",
        "secret",
        "placeholder",
        "test",
        "dev",
        "development",
    }
)
MIN_SECRET_LENGTH = 32
# Where development keeps the HS256 secret it generates, inside `data_dir`.
DEV_JWT_SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name

# `PRIVACY_RATE_LIMIT`: "600/minute", several joined by ";" ("10/second; 600/minute"),
# or "off". The notation is the one of the `limits` package and of most API gateways.
RATE_LIMIT_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE_LIMIT_PART = re.compile(r"^\s*(\d+)\s*(?:/|per)\s*(second|minute|hour|day)s?\s*$", re.I)
RATE_LIMIT_OFF = frozenset({"", "off", "none", "0"})
# A tenant id (used with fullmatch): the `tenant` claim, `PRIVACY_GDPR_API_TENANT`.
TENANT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

ALLOWED_ALGORITHMS = frozenset(
    {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"}
)


# The scopes a console user can hold (those of `app.core.security.SCOPES`).
CONSOLE_SCOPES = (
    "subjects:read",
    "subjects:write",
    "rights:read",
    "rights:write",
    "marketing:check",
    "holds:write",
    "holds:read",
    "audit:read",
    "admin",
)
_DESK_SCOPES = ["subjects:read", "subjects:write", "rights:read", "rights:write"]
# The IdP roles the console understands unless `PRIVACY_CONSOLE_OIDC_ROLES` says otherwise.
DEFAULT_CONSOLE_ROLES: dict[str, list[str]] = {
    "privacy-desk": _DESK_SCOPES,
    "privacy-admin": [*_DESK_SCOPES, "holds:read", "holds:write", "audit:read", "admin"],
}


class ConfigurationError(RuntimeError):
    """The service cannot start with these settings."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(",", " ").split() if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting of the service. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="PRIVACY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path('data/privacy.db').absolute()}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    database_echo: bool = False

    jwt_issuer: str = "https://auth.cirrus.local"
    jwt_audience: str = "privacy-api"
    jwt_algorithms: Annotated[list[str], NoDecode] = ["HS256"]
    jwt_secret: str | None = None
    jwt_public_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="PEM public keys, or paths to PEM files, separated by ';;'",
    )
    jwks_url: str | None = Field(
        default=None, description="A JWKS document: an https:// URL or a local file path"
    )
    jwks_cache_seconds: int = Field(default=300, ge=0)
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    data_dir: Path = Field(
        default=Path("data"),
        description="Local state (next to the default SQLite database): in development, "
        "the generated HS256 secret `jwt-secret` that `serve` and `token` share",
    )

    hash_secret: str | None = None

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_bulk_body_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="Body limit of bulk operations (marketing check of 10,000 items)",
    )
    max_import_body_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024,
        description="Body limit of `POST /v1/subjects/import` (NDJSON, read as a stream; "
        "each line is held to PRIVACY_MAX_BODY_BYTES)",
    )

    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback/private addresses and plain http "
        "(development and tests only)",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=10, ge=1, le=50)
    webhook_backoff_seconds: float = Field(default=30.0, ge=0)
    purge_interval_seconds: float = Field(
        default=0, ge=0, description="Run the purge inside the service this often; 0: off"
    )
    dispatch_interval_seconds: float = Field(
        default=5.0, ge=0, description="How often the service sends webhooks; 0 turns it off"
    )
    log_level: str = "INFO"
    worker_threads: int = Field(
        default=0,
        ge=0,
        le=200,
        description="Threads for blocking work (database calls); 0: 4 on SQLite, 40 otherwise",
    )
    rate_limit: str = Field(
        default="600/minute",
        description="Calls each token (its tenant and sub) may make, counted in each worker "
        'process: "600/minute", several joined by ";" ("10/second; 600/minute"), or "off". '
        "Over it: 429 with Retry-After",
    )
    db_lock_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a call waits for the database (a write lock, a pooled "
        "connection, a new connection) before it answers 503 with Retry-After",
    )

    # The Helsinki profile GDPR API (`app.interop`): off until an issuer is configured.
    gdpr_api_issuer: str | None = Field(
        default=None,
        description="The OpenID Connect issuer of the GDPR API's tokens (its `iss`); its "
        "keys are found through `/.well-known/openid-configuration`. Unset: the GDPR API "
        "answers 404",
    )
    gdpr_api_audience: str | None = Field(
        default=None, description="The `aud` the GDPR API's tokens must carry"
    )
    gdpr_api_tenant: str | None = Field(
        default=None, description="The tenant (controller) whose data the GDPR API serves"
    )
    gdpr_api_authorization_field: str = Field(
        default="https://api.hel.fi/auth",
        description="The claim that lists the token's API scopes (Tunnistamo's form); "
        "Keycloak's `authorization.permissions[].scopes` is read as well",
    )
    gdpr_api_query_scope: str = Field(
        default="gdprquery", min_length=1, description="The scope the GDPR query needs"
    )
    gdpr_api_delete_scope: str = Field(
        default="gdprdelete", min_length=1, description="The scope the GDPR delete needs"
    )

    # The console (`/console`): people at the privacy desk sign in with OpenID Connect.
    console_enabled: bool = Field(
        default=True, description="Serve the web console under /console; off: `/` leads to /docs"
    )
    console_oidc_issuer: str | None = Field(
        default=None,
        description="The OpenID Connect issuer people sign in to the console with; its "
        "endpoints and keys are found through `/.well-known/openid-configuration`. Unset: "
        "only the development sign-in (in development)",
    )
    console_oidc_client_id: str | None = Field(
        default=None, description="The console's client id at the issuer"
    )
    console_oidc_client_secret: str | None = Field(
        default=None,
        description="The client secret; unset for a public client (PKCE protects the code)",
    )
    console_oidc_redirect_uri: str | None = Field(
        default=None,
        description="The callback registered at the issuer; default: the address the "
        "request came to + /console/callback (set it behind a proxy that rewrites the host "
        "or scheme)",
    )
    console_oidc_roles: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_CONSOLE_ROLES),
        description="JSON: each IdP role and the scopes it gives in the console",
    )
    console_oidc_roles_claim: str = Field(
        default="roles",
        description="The id token claim that lists the person's roles (a dotted path "
        "such as `realm_access.roles` reaches into an object)",
    )
    console_oidc_tenant_claim: str = Field(
        default="tenant", description="The id token claim that names the person's tenant"
    )
    console_oidc_scopes: str = Field(
        default="openid profile", description="The scopes the console asks the issuer for"
    )
    console_idle_timeout_seconds: int = Field(
        default=30 * 60, ge=60, le=24 * 3600, description="A console session idle this long ends"
    )
    console_session_lifetime_seconds: int = Field(
        default=12 * 3600,
        ge=300,
        le=7 * 24 * 3600,
        description="A console session ends this long after sign-in, however active",
    )

    @field_validator("console_oidc_roles", mode="before")
    @classmethod
    def _parse_console_roles(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(
                    'PRIVACY_CONSOLE_OIDC_ROLES must be JSON like {"privacy-desk": '
                    '["rights:read", "rights:write"]}'
                ) from None
        return value

    @field_validator("console_oidc_roles")
    @classmethod
    def _check_console_roles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = set(CONSOLE_SCOPES)
        for role, scopes in value.items():
            unknown = sorted(set(scopes) - known)
            if unknown:
                raise ValueError(f"role {role!r} names unknown scopes {unknown}")
        return value

    @model_validator(mode="after")
    def _console_oidc_complete(self) -> Settings:
        if self.console_oidc_issuer is None:
            return self
        issuer = self.console_oidc_issuer
        schemes = ("https://",) if self.environment != "development" else ("https://", "http://")
        problems = []
        if not issuer.startswith(schemes) or len(issuer) > 2000 or any(c.isspace() for c in issuer):
            problems.append(
                "PRIVACY_CONSOLE_OIDC_ISSUER must be an https:// URL (http:// in development only)"
            )
        if not self.console_oidc_client_id:
            problems.append("PRIVACY_CONSOLE_OIDC_CLIENT_ID is missing")
        if problems:
            raise ConfigurationError(
                "the console's sign-in is misconfigured: " + "; ".join(problems)
            )
        return self

    @field_validator("jwt_algorithms", mode="before")
    @classmethod
    def _parse_algorithms(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("jwt_public_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(";;") if part.strip()]
        return value

    @field_validator("rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate_limit(value)  # refuses what it cannot read
        return value.strip()

    @field_validator("jwt_algorithms")
    @classmethod
    def _check_algorithms(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one JWT algorithm is required")
        for alg in value:
            if alg not in ALLOWED_ALGORITHMS:
                raise ValueError(
                    f"algorithm {alg!r} is not supported; choose from {sorted(ALLOWED_ALGORITHMS)}"
                )
        return value

    @model_validator(mode="after")
    def _gdpr_api_complete(self) -> Settings:
        if self.gdpr_api_issuer is None:
            return self
        problems = []
        issuer = self.gdpr_api_issuer
        # Keys fetched over plain http could be anyone's: only development may use it.
        schemes = ("https://",) if self.environment != "development" else ("https://", "http://")
        if not issuer.startswith(schemes) or len(issuer) > 2000 or any(c.isspace() for c in issuer):
            problems.append(
                "PRIVACY_GDPR_API_ISSUER must be an https:// URL (http:// in development only)"
            )
        if not self.gdpr_api_audience:
            problems.append("PRIVACY_GDPR_API_AUDIENCE is missing")
        if not self.gdpr_api_tenant or not TENANT_PATTERN.fullmatch(self.gdpr_api_tenant):
            problems.append(
                "PRIVACY_GDPR_API_TENANT must be a tenant id (1-64 letters, digits or . _ : -)"
            )
        if self.gdpr_api_query_scope == self.gdpr_api_delete_scope:
            problems.append("the GDPR query and delete scopes must differ")
        if problems:
            raise ConfigurationError("the GDPR API is misconfigured: " + "; ".join(problems))
        return self

    @model_validator(mode="after")
    def _secrets_fit_environment(self) -> Settings:
        if self.environment == "development":
            if self.jwt_secret is not None and _is_placeholder(self.jwt_secret):
                raise ConfigurationError(
                    "PRIVACY_JWT_SECRET is a published placeholder; unset it to have a "
                    f"secret generated in {self.data_dir / DEV_JWT_SECRET_FILE}"
                )
            if self.hash_secret is None:
                self.hash_secret = DEV_HASH_SECRET
            return self
        problems = []
        if any(a.startswith("HS") for a in self.jwt_algorithms):
            problems += _weak_secret("PRIVACY_JWT_SECRET", self.jwt_secret)
        if any(a[:2] in ("RS", "ES") for a in self.jwt_algorithms) and not (
            self.jwt_public_keys or self.jwks_url
        ):
            problems.append("RS/ES algorithms need PRIVACY_JWT_PUBLIC_KEYS or PRIVACY_JWKS_URL")
        problems += _weak_secret("PRIVACY_HASH_SECRET", self.hash_secret)
        if problems:
            raise ConfigurationError(
                f"refusing to start in {self.environment!r}: " + "; ".join(problems)
            )
        return self

    @property
    def rate_limits(self) -> list[tuple[int, int]]:
        """`rate_limit` as (calls, seconds) pairs; empty when it is off."""
        return parse_rate_limit(self.rate_limit)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def hmac_secret(self) -> str | None:
        """The HS* signing secret: `PRIVACY_JWT_SECRET`, or in development without it a
        random one generated on first use in `data_dir` (mode 0600) and kept there, so
        that `privacy-api serve` and `privacy-api token` share it. None: no HS* tokens."""
        if self.jwt_secret is not None:
            return self.jwt_secret
        if self.environment != "development" or not any(
            alg.startswith("HS") for alg in self.jwt_algorithms
        ):
            return None
        return development_secret(self.data_dir / DEV_JWT_SECRET_FILE)


def parse_rate_limit(text: str) -> list[tuple[int, int]]:
    """ "600/minute" -> [(600, 60)]; "10/second; 600/minute" -> [(10, 1), (600, 60)];
    "off" -> []. Raises ValueError for anything else and for limits that contradict
    each other."""
    if text.strip().lower() in RATE_LIMIT_OFF:
        return []
    limits = []
    for part in text.split(";"):
        match = _RATE_LIMIT_PART.match(part)
        if match is None or int(match.group(1)) < 1:
            raise ValueError(
                f"rate limit {part.strip()!r} is not like 600/minute "
                f"(a positive number per {', '.join(RATE_LIMIT_UNITS)}), or off"
            )
        limits.append((int(match.group(1)), RATE_LIMIT_UNITS[match.group(2).lower()]))
    limits.sort(key=lambda limit: limit[1])
    for (calls, seconds), (longer_calls, longer_seconds) in itertools.pairwise(limits):
        # A longer period that allowed a higher average rate could never be reached.
        if (
            seconds == longer_seconds
            or calls >= longer_calls
            or longer_calls * seconds > calls * longer_seconds
        ):
            raise ValueError(
                "rate limits must be over different periods, each longer one allowing "
                'more calls but not more per second on average (e.g. "10/second; 600/minute")'
            )
    return limits


def development_secret(path: Path) -> str:
    """The secret kept in `path`, created (random, mode 0600) if it does not exist.

    Creation is atomic: the secret is written to a private temporary file that is then
    linked into place, so processes starting together (uvicorn workers, `token`) all
    end up with the one that was linked first and never read a half-written file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use its
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_SECRET_LENGTH or _is_placeholder(value):
        raise ConfigurationError(f"{path} holds no usable secret; delete it to generate one")
    return value


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS or value in PLACEHOLDER_SECRETS


def _weak_secret(name: str, value: str | None) -> list[str]:
    if not value:
        return [f"{name} is missing"]
    if _is_placeholder(value):
        return [f"{name} is a placeholder"]
    if len(value) < MIN_SECRET_LENGTH:
        return [f"{name} must be at least {MIN_SECRET_LENGTH} characters"]
    return []


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
