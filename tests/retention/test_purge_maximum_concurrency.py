"""Two purge processes at once on PostgreSQL, applying a maximum: each record deleted
exactly once, the audit counts add up, and a held record survives both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.core.ids import uuid7
from tests.conftest import TEST_HASH_SECRET, TEST_JWT_SECRET, Api
from tests.retention.test_storage_limitation import IP_RULE, put_rule

RECORDS = 4_000


@pytest.mark.clock  # the command purges on the machine's clock
def test_two_purges_apply_a_maximum_exactly_once(api: Api, database_url: str) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("replica-safe purge is specified for PostgreSQL (SQLite: one process)")
    put_rule(api, "ip-12-months", IP_RULE)
    subjects = [api.create_subject() for _ in range(8)]
    held = subjects[0]["id"]
    assert (
        api.post("/v1/legal-holds", json={"subject_id": held, "reason": "Case"}).status_code == 201
    )
    now = datetime.now(UTC)
    data = json.dumps(
        {
            "ip": "192.0.2.9",
            "first_seen": "2020-01-01T00:00:00Z",
            "last_seen": "2020-01-02T00:00:00Z",
        }
    )
    rows = [
        {
            "t": api.tenant,
            "id": uuid7(),
            "s": uuid.UUID(subjects[i % 8]["id"]),
            "d": data,
            "now": now,
        }
        for i in range(RECORDS)
    ]
    with api.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO record (tenant_id, id, subject_id, category, data, source, origin, "
                "restricted, version, created_at, updated_at) VALUES (:t, :id, :s, 'network', "
                "CAST(:d AS JSONB), 'web', 'observed', false, 1, :now, :now)"
            ),
            rows,
        )
    env = {
        **os.environ,
        "PRIVACY_DATABASE_URL": database_url,
        "PRIVACY_ENVIRONMENT": "test",
        "PRIVACY_JWT_SECRET": TEST_JWT_SECRET,
        "PRIVACY_HASH_SECRET": TEST_HASH_SECRET,
    }
    command = [sys.executable, "-m", "app.cli", "purge", "--batch", "300", "--tenant", api.tenant]
    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    with api.engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT subject_id, count(*) FROM record WHERE tenant_id = :t GROUP BY 1"),
            {"t": api.tenant},
        ).all()
        expired = conn.execute(
            sa.text(
                "SELECT coalesce(sum(items), 0) FROM audit_event "
                "WHERE tenant_id = :t AND action = 'record.expire'"
            ),
            {"t": api.tenant},
        ).scalar_one()
    assert [(str(s), n) for s, n in left] == [(held, RECORDS // 8)]  # the legal hold wins
    assert expired == RECORDS - RECORDS // 8  # nothing twice, nothing skipped
