"""Property-based fuzzing of the GDPR API as the OpenAPI document describes it, enabled.

Whatever the platform sends, the answer is documented, never a 500; errors are
problem+json, except the API's own `403` error list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    positive_data_acceptance,
    unsupported_method,
)

from tests.interop.oidc import DELETE_SCOPE, QUERY_SCOPE, GdprCaller

DOCUMENT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
schema = schemathesis.openapi.from_path(str(DOCUMENT)).include(path_regex="^/gdpr-api/")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_documented_answers(case: Any, gdpr: GdprCaller) -> None:
    token = gdpr.issuer.token([QUERY_SCOPE, DELETE_SCOPE])
    kwargs = case.as_transport_kwargs(
        base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
    )
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    response = gdpr.client.request(**kwargs)
    assert response.status_code < 500, response.text
    if response.status_code >= 400 and response.status_code != 403:
        assert response.headers["content-type"] == "application/problem+json"
    # The token is a real one (every bad token is tested in test_gdpr_api.py).
    case.validate_response(
        response, excluded_checks=[positive_data_acceptance, ignored_auth, unsupported_method]
    )
