"""A local OpenID Connect issuer, as the Helsinki profile's (and the GDPR API tester's):
a discovery document naming its JWKS, the JWKS, and tokens signed with its RSA key; and,
for the console's sign-in, a token endpoint that answers what a test queued.

It runs in-process on a loopback port; `GdprCaller` calls the GDPR API with its tokens.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwk, jwt

AUTHORIZATION_FIELD = "https://api.hel.fi/auth"
QUERY_SCOPE = "privacyapi.gdprquery"
DELETE_SCOPE = "privacyapi.gdprdelete"
AUDIENCE = "https://api.hel.fi/auth/privacyapi"
KID = "issuer-key-1"


def rsa_pair(kid: str) -> tuple[str, dict[str, Any]]:
    """(private PEM, public JWK) of a new RSA key named `kid`."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    entry = jwk.construct(public.decode(), "RS256").to_dict()
    entry.update(kid=kid, use="sig")
    return pem, entry


@dataclass
class Issuer:
    """What the issuer serves; `discovery_issuer` may be set to name another issuer."""

    url: str = ""
    private_pem: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    discovery_issuer: str | None = None
    requests: list[str] = field(default_factory=list)
    # The token endpoint (the console's sign-in): the forms it was sent, and the answers
    # it gives, first queued first (none queued: 400 `invalid_grant`).
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.discovery_issuer or self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def token(
        self,
        scopes: list[str] | None = None,
        *,
        sub: str = "9e14df7c-81f6-4c41-8578-6aa7b9d0e5c0",
        pem: str | None = None,
        kid: str = KID,
        algorithm: str = "RS256",
        **overrides: Any,
    ) -> str:
        """A token as the platform sends it: the person's `sub`, the GDPR API's
        audience, the scopes in Tunnistamo's claim; `overrides` replace or (None)
        remove claims."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": sub,
            "aud": AUDIENCE,
            "iat": int((now - timedelta(minutes=5)).timestamp()),
            "auth_time": int((now - timedelta(minutes=5)).timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            "sid": "00000000-0000-4000-9000-000000000001",
            "loa": "substantial",
        }
        if scopes is not None:
            claims[AUTHORIZATION_FIELD] = scopes
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(
            claims, pem or self.private_pem, algorithm=algorithm, headers={"kid": kid}
        )


def serve_issuer() -> Iterator[Issuer]:
    """Run an issuer on a loopback port until the generator is closed."""
    state = Issuer()
    state.private_pem, public = rsa_pair(KID)
    state.keys = [public]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path == "/.well-known/openid-configuration":
                body = json.dumps(state.discovery()).encode()
            elif self.path == "/jwks":
                body = json.dumps({"keys": state.keys}).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            state.requests.append(self.path)
            if self.path != "/token":
                self.send_response(404)
                self.end_headers()
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.headers.get("Authorization"):
                form["authorization"] = self.headers["Authorization"]
            state.token_requests.append(form)
            status, answer = (
                state.token_answers.pop(0)
                if state.token_answers
                else (400, {"error": "invalid_grant"})
            )
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class GdprCaller:
    """The platform calling the GDPR API with the issuer's tokens."""

    client: TestClient
    issuer: Issuer

    def query(self, profile_id: str, token: str | None = None) -> Any:
        token = token if token is not None else self.issuer.token([QUERY_SCOPE])
        return self.client.get(
            f"/gdpr-api/v1/profiles/{profile_id}", headers={"Authorization": f"Bearer {token}"}
        )

    def delete(
        self, profile_id: str, *, dry_run: bool | None = None, token: str | None = None
    ) -> Any:
        token = token if token is not None else self.issuer.token([DELETE_SCOPE])
        params = {} if dry_run is None else {"dry_run": "true" if dry_run else "false"}
        return self.client.delete(
            f"/gdpr-api/v1/profiles/{profile_id}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )


def new_profile_id() -> str:
    return str(uuid.uuid4())
