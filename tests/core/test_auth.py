"""The JWT attack set: every forged, stale or incomplete token answers 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from app.core.config import Settings
from app.core.security import TokenVerifier
from tests.conftest import (
    ALL_SCOPES,
    AUDIENCE,
    TEST_JWT_SECRET,
    Api,
    Keys,
    hs256,
    make_claims,
)

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


# --- Strict claims and header: every odd token is a 401, never a 500 -----------------


def raw_hs256(payload: str, header: str = '{"alg": "HS256", "typ": "JWT"}') -> str:
    """A correctly signed token with exactly this header and claims text."""

    def seg(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    signing_input = f"{seg(header)}.{seg(payload)}"
    mac = hmac.new(TEST_JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def claims_with(api: Api, **changes: Any) -> dict[str, Any]:
    claims = make_claims(tenant=api.tenant, scopes=ALL_SCOPES)
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not DROP}


DROP = object()
IN_AN_HOUR = int(time.time()) + 3600


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": None},
        {"exp": str(IN_AN_HOUR)},
        {"exp": True},
        {"exp": [IN_AN_HOUR]},
        {"exp": 10**30},
        {"exp": 1e300},
        {"exp": -1},
        {"nbf": str(IN_AN_HOUR - 7200)},
        {"nbf": None},
        {"iat": "yesterday"},
        {"iat": 10**30},
        {"tenant": "acme\n"},
        {"tenant": "acme\x00"},
        {"tenant": ["acme"]},
        {"sub": "crm\nadmin"},
        {"sub": "crm\u202e"},
        {"sub": "   "},
        {"scope": ["admin"]},
        {"scope": 1},
        {"scope": None},
        {"aud": [AUDIENCE, 1]},
        {"aud": {"value": AUDIENCE}},
        {"iss": None},
    ],
    ids=repr,
)
def test_claims_of_the_wrong_type_or_form_are_401(api: Api, changes: dict[str, Any]) -> None:
    assert_401(api, raw_hs256(json.dumps(claims_with(api, **changes))))


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "NaN", "Infinity"])
def test_exp_that_is_not_a_finite_number_is_401(api: Api, literal: str) -> None:
    payload = json.dumps(claims_with(api, exp=DROP))[:-1] + f', "exp": {literal}}}'
    assert_401(api, raw_hs256(payload))


def test_exp_far_in_the_future_is_accepted_and_cached_without_overflow(api: Api) -> None:
    token = raw_hs256(json.dumps(claims_with(api, exp=253_402_300_799)))
    for _ in range(2):  # the second answer comes from the verified-token cache
        response = api.client.get(URL, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


def test_audience_list_naming_us_is_accepted(api: Api) -> None:
    token = raw_hs256(json.dumps(claims_with(api, aud=["another-api", "privacy-api-test"])))
    assert api.client.get(URL, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_duplicate_claim_names_are_401(api: Api) -> None:
    """Parsers disagree on which duplicate wins; a token that relies on it is refused."""
    payload = json.dumps(claims_with(api))[:-1] + ', "tenant": "someone-else"}'
    assert_401(api, raw_hs256(payload))


@pytest.mark.parametrize(
    "header",
    [
        '{"alg": "HS256", "crit": ["exp"], "exp": 1}',
        '{"alg": "HS256", "crit": []}',
        '{"alg": "HS256", "b64": false, "crit": ["b64"]}',
        '{"alg": "HS256", "kid": 7}',
        '{"alg": "HS256", "alg": "HS256"}',
        '["HS256"]',
    ],
)
def test_unknown_critical_headers_and_odd_headers_are_401(api: Api, header: str) -> None:
    assert_401(api, raw_hs256(json.dumps(claims_with(api)), header=header))


def test_authorization_header_over_8_kib_is_refused_without_verifying(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    verifier = api.client.app.state.verifier  # type: ignore[attr-defined]
    monkeypatch.setattr(verifier, "verify", lambda token: verified.append(token))
    for size in (8 * 1024 + 1, 10 * 1024 * 1024):
        header = "Bearer " + "A" * (size - len("Bearer "))
        started = time.perf_counter()
        response = api.client.post("/v1/subjects", json={}, headers={"Authorization": header})
        assert response.status_code == 431, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert time.perf_counter() - started < 2
    assert verified == []
    monkeypatch.undo()
    assert api.get(URL).status_code == 200  # a token of ordinary size is verified as before


def test_a_new_token_is_verified_off_the_event_loop(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = api.client.app.state.verifier  # type: ignore[attr-defined]
    threads: list[str] = []
    original = verifier._verify

    def spy(token: str, now: float) -> Any:
        threads.append(threading.current_thread().name)
        return original(token, now)

    monkeypatch.setattr(verifier, "_verify", spy)
    token = raw_hs256(json.dumps(claims_with(api, jti=str(time.time()))))
    for _ in range(3):
        assert api.client.get(URL, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert len(threads) == 1  # then answered from the cache
    assert threads[0].startswith("jwt")
