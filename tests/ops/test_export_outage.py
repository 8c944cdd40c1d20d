"""An export whose records cannot be read answers 503, not a 200 that breaks off."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.rights import export
from tests.conftest import CONTACT, Api


@pytest.mark.parametrize("export_format", ["json", "csv"])
def test_an_export_the_database_cannot_serve_answers_503(
    api: Api, monkeypatch: pytest.MonkeyPatch, export_format: str
) -> None:
    subject = api.create_subject(records=[CONTACT])

    def connection_lost(*_args: Any, **_kwargs: Any) -> Any:
        raise sa.exc.OperationalError(
            "SELECT", {}, Exception("server closed the connection unexpectedly")
        )

    monkeypatch.setattr(export, "_read", connection_lost)
    answer = api.get(f"/v1/subjects/{subject['id']}/export?format={export_format}")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) >= 1

    monkeypatch.undo()
    again = api.get(f"/v1/subjects/{subject['id']}/export?format={export_format}")
    assert again.status_code == 200
    assert "Storgatan" in again.text
