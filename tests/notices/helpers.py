"""Publishing a tenant's notice in tests."""

from __future__ import annotations

import copy
from typing import Any

from app.notices.template import CARE_OF_NOTICE
from tests.conftest import Api


def template_document() -> dict[str, Any]:
    """A fresh copy of Care of's notice, in the shape PUT takes."""
    return copy.deepcopy(CARE_OF_NOTICE)


def publish(api: Api, document: dict[str, Any], if_match: str | None = None) -> Any:
    headers = api.headers(["admin"])
    if if_match is not None:
        headers["If-Match"] = if_match
    return api.client.put("/v1/privacy-notice", json=document, headers=headers)


def publish_template(api: Api) -> dict[str, Any]:
    """Publish Care of's template as the tenant's own first notice."""
    response = publish(api, template_document())
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
