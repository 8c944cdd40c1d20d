"""A notice stored before versions becomes version 1 of its tenant, and comes back down."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.db import create_db_engine, tenant_session
from app.core.migrations import downgrade, upgrade
from app.notices.service import current_notice, published_version_exists

BEFORE = "7a1c3e9d2b10"


def test_stored_notices_become_version_1_and_come_back_on_downgrade(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = blank_database(backend, tmp_path_factory.mktemp("notice-versions"))
    upgrade(url, BEFORE)
    engine = create_db_engine(url)
    row_id = uuid.uuid4()
    document = {"sv": {"controller": {"name": "Kund AB"}}, "en": {}}
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO privacy_notice (tenant_id, id, document, version, updated_at,"
                    " updated_by) VALUES ('t', :id, :doc, 3, CURRENT_TIMESTAMP, 'admin')"
                ),
                {"id": row_id.hex if backend == "sqlite" else row_id, "doc": json.dumps(document)},
            )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT tenant_id, version, format, published_by FROM privacy_notice_version"
                )
            ).all()
        assert [tuple(r) for r in rows] == [("t", 1, 1, "admin")]
        with tenant_session(engine, "t") as session:
            assert current_notice(session) is None  # free texts: not a complete notice
            assert published_version_exists(session, 1)

        downgrade(url, BEFORE)
        with engine.connect() as conn:
            restored = conn.execute(
                sa.text("SELECT tenant_id, version, document FROM privacy_notice")
            ).one()
        stored = restored[2] if isinstance(restored[2], dict) else json.loads(restored[2])
        assert (restored[0], restored[1], stored) == ("t", 1, document)
    finally:
        engine.dispose()
