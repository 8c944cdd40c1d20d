"""Two purge processes at once on PostgreSQL: every record deleted exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.core.ids import uuid7
from tests.conftest import TEST_HASH_SECRET, TEST_JWT_SECRET, Api

RECORDS = 10_000


@pytest.mark.clock  # the command purges on the machine's clock
def test_two_purges_at_once_delete_each_record_exactly_once(api: Api, database_url: str) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("replica-safe purge is specified for PostgreSQL (SQLite: one process)")
    subject = api.create_subject()
    api.post(f"/v1/subjects/{subject['id']}/erasure")
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    data = json.dumps(
        {
            "kind": "invoice",
            "number": "F-2010-1",
            "date": "2010-05-01",
            "amount": "1.00",
            "currency": "SEK",
        }
    )
    rows = [
        {
            "t": api.tenant,
            "id": uuid7(),
            "s": uuid.UUID(subject["id"]),
            "d": data,
            "now": now,
            "k": date(2017, 12, 31),
        }
        for _ in range(RECORDS)
    ]
    with api.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO record (tenant_id, id, subject_id, category, data, source, origin, "
                "restricted, kept_until, version, created_at, updated_at) VALUES (:t, :id, :s, "
                "'sales_document', CAST(:d AS JSONB), 'billing', 'provided', true, :k, 1, "
                ":now, :now)"
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
    # Only this test's tenant: what other tests left is not this test's business.
    command = [sys.executable, "-m", "app.cli", "purge", "--batch", "500", "--tenant", api.tenant]
    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    with api.engine.connect() as conn:
        left = conn.execute(
            sa.text("SELECT count(*) FROM record WHERE tenant_id = :t"), {"t": api.tenant}
        ).scalar_one()
        purged = conn.execute(
            sa.text(
                "SELECT coalesce(sum(items), 0), count(DISTINCT request_id) FROM audit_event "
                "WHERE tenant_id = :t AND action = 'record.purge'"
            ),
            {"t": api.tenant},
        ).one()
    assert left == 0
    assert purged[0] == RECORDS  # the audit counts add up: nothing twice, nothing skipped
    assert all("purged" in out for out in outputs)
