"""Fixtures of the GDPR API: a local OIDC issuer, and the API enabled for a test's tenant."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.interop.auth import gdpr_verifier
from tests.conftest import Api
from tests.interop.oidc import (
    AUDIENCE,
    DELETE_SCOPE,
    KID,
    QUERY_SCOPE,
    GdprCaller,
    Issuer,
    serve_issuer,
)


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    yield from serve_issuer()


def gdpr_settings(settings: Settings, issuer: Issuer, tenant: str, **extra: Any) -> Settings:
    """The test settings with the GDPR API configured for `tenant` and the issuer."""
    return settings.model_copy(
        update={
            "gdpr_api_issuer": issuer.url,
            "gdpr_api_audience": AUDIENCE,
            "gdpr_api_tenant": tenant,
            "gdpr_api_query_scope": QUERY_SCOPE,
            "gdpr_api_delete_scope": DELETE_SCOPE,
            **extra,
        }
    )


@pytest.fixture
def enable(app: FastAPI, settings: Settings, issuer: Issuer) -> Iterator[Any]:
    """`enable(tenant, **settings)`: serve the GDPR API for that tenant (a new verifier,
    whose keys are fetched from the issuer before it serves, unless `fetch_keys=False`);
    disabled again after the test."""

    def on(tenant: str, *, fetch_keys: bool = True, **extra: Any) -> None:
        verifier = gdpr_verifier(gdpr_settings(settings, issuer, tenant, **extra))
        assert verifier is not None
        if fetch_keys:
            # A first call waits for the keys only so long (JWKS_WAIT_SECONDS): on a busy
            # machine the test would depend on how fast the issuer answers.
            deadline = time.monotonic() + 10
            while not verifier.keys.keys_for("RS256", KID):
                assert time.monotonic() < deadline, "the issuer's keys were not fetched"
                time.sleep(0.02)
        app.state.gdpr_verifier = verifier

    yield on
    app.state.gdpr_verifier = None
    issuer.discovery_issuer = None


@pytest.fixture
def gdpr(api: Api, client: TestClient, issuer: Issuer, enable: Any) -> GdprCaller:
    """The platform calling the GDPR API, which serves `api`'s tenant."""
    enable(api.tenant)
    return GdprCaller(client=client, issuer=issuer)
