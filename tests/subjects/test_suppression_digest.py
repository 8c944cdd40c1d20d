"""The suppression digest never changes: stored digests must keep matching."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from app.subjects.suppression import digester, identifier_digest


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "asa.oberg@example.se"), ("phone", "+46701234567"), ("email", "åsa@exempel.se")],
)
def test_digest_is_hmac_sha256_of_tenant_kind_and_value(kind: str, value: str) -> None:
    secret, tenant = "s" * 40, "tenant-1"
    expected = hmac.new(
        secret.encode(), f"{tenant}\x1f{kind}\x1f{value}".encode(), hashlib.sha256
    ).hexdigest()
    digest = digester(secret, tenant)
    assert digest(kind, value) == expected
    assert digest(kind, value) == expected  # the keyed state is not used up
    assert identifier_digest(secret, tenant, kind, value) == expected
    assert digester(secret, "tenant-2")(kind, value) != expected
