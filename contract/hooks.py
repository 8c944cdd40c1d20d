"""Schemathesis hooks shared by the contract check (`scripts/ci-schemathesis.sh`, loaded
through SCHEMATHESIS_HOOKS) and the in-process fuzz test (`tests/core/test_fuzz.py`)."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(_context: Any, value: Any) -> bytes | None:
    """The import's body (`POST /v1/subjects/import`): the generated document as one
    NDJSON line; schemathesis knows no serializer of its own for NDJSON."""
    if value is None:
        return None
    return json.dumps(value).encode() + b"\n"
