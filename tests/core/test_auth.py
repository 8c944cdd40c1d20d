"""The JWT attack set: every forged, stale or incomplete token answers 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from app.core.config import Settings
from app.core.security import TokenVerifier
from tests.conftest import ALL_SCOPES, TEST_JWT_SECRET, Api, Keys, hs256, make_claims

URL = "/v1/audit-events"


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def assert_401(api: Api, token: str | None, *, raw_header: str | None = None) -> None:
    headers = {}
    if raw_header is not None:
        headers["Authorization"] = raw_header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = api.client.get(URL, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_valid_token_is_accepted(api: Api) -> None:
    assert api.get(URL).status_code == 200


def test_no_token(api: Api) -> None:
    assert_401(api, None)


def test_not_a_bearer_scheme(api: Api) -> None:
    assert_401(api, None, raw_header="Basic dXNlcjpwYXNz")


def test_garbage_token(api: Api) -> None:
    assert_401(api, "not.a.jwt")
    assert_401(api, "garbage")


def test_alg_none(api: Api) -> None:
    claims = make_claims(tenant=api.tenant, scopes=ALL_SCOPES)
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert_401(api, unsigned)


def test_hs256_signed_with_rsa_public_key(api: Api, keys: Keys) -> None:
    """The classic key-confusion attack: the public key used as an HMAC secret."""
    claims = make_claims(tenant=api.tenant, scopes=ALL_SCOPES)
    header = b64({"alg": "HS256", "typ": "JWT"})
    payload = b64(claims)
    signature = hmac.new(keys.rsa_public_pem, f"{header}.{payload}".encode(), hashlib.sha256)
    forged = f"{header}.{payload}." + base64.urlsafe_b64encode(signature.digest()).decode().rstrip(
        "="
    )
    assert_401(api, forged)


def test_expired(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, exp_in=timedelta(minutes=-5))))


def test_not_yet_valid(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, nbf_in=timedelta(minutes=10))))


def test_wrong_issuer(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, iss="https://evil.example")))


def test_wrong_audience(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, aud="another-api")))


def test_missing_audience(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, aud=None)))


def test_missing_issuer(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, iss=None)))


def test_missing_expiry(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, exp_in=None)))


def test_missing_subject(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant, sub=None)))


def test_missing_tenant(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=None, scopes=ALL_SCOPES)))


def test_malformed_tenant(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant="../other tenant", scopes=ALL_SCOPES)))


def test_bad_signature(api: Api) -> None:
    assert_401(api, hs256(make_claims(tenant=api.tenant), secret="another-secret-" + "z" * 40))
    token = api.token()
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_401(api, tampered)


def test_algorithm_not_allowed(api: Api) -> None:
    claims = make_claims(tenant=api.tenant, scopes=ALL_SCOPES)
    assert_401(api, jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS512"))


def test_rs256_and_es256_with_configured_public_keys(api: Api, keys: Keys) -> None:
    claims = make_claims(tenant=api.tenant, scopes=["audit:read"])
    for key, alg in ((keys.rsa_private_pem, "RS256"), (keys.ec_private_pem, "ES256")):
        token = jwt.encode(claims, key.decode(), algorithm=alg)
        response = api.client.get(URL, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (alg, response.text)


def test_rs256_signed_by_unknown_key(api: Api) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    claims = make_claims(tenant=api.tenant, scopes=ALL_SCOPES)
    assert_401(api, jwt.encode(claims, other.decode(), algorithm="RS256"))


def test_missing_scope_is_403(api: Api) -> None:
    response = api.get(URL, scopes=["subjects:read"])
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "audit:read" in response.json()["detail"]


def test_jwks_file(tmp_path: Path, keys: Keys, settings: Settings) -> None:
    """RS256 keys from a JWKS document, picked by `kid`."""
    public = jwk.construct(keys.rsa_public_pem.decode(), "RS256").to_dict()
    public.update(kid="key-1", use="sig")
    jwks_path = tmp_path / "jwks.json"
    jwks_path.write_text(json.dumps({"keys": [public]}))
    jwks_settings = settings.model_copy(
        update={"jwt_algorithms": ["RS256"], "jwt_public_keys": [], "jwks_url": str(jwks_path)}
    )
    verifier = TokenVerifier(jwks_settings)
    claims = make_claims(tenant="t-jwks", scopes=["audit:read"])
    token = jwt.encode(
        claims, keys.rsa_private_pem.decode(), algorithm="RS256", headers={"kid": "key-1"}
    )
    principal = verifier.verify(token)
    assert principal.tenant == "t-jwks"
    assert principal.scopes == frozenset({"audit:read"})
    # An HS256 token is refused outright: HS256 is not in this deployment's allow-list.
    with pytest.raises(Exception, match="algorithm"):
        verifier.verify(hs256(claims))
