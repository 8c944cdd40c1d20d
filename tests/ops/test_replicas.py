"""Two `privacy-api serve` processes on one PostgreSQL database, calls alternating.

What one replica stored, the other acts on at once (nothing is cached per process but
the rate limit's counts); their purges share the work without doing any twice; and
two `privacy-api migrate` started together both succeed.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime

from app.core.ids import uuid7
from app.core.migrations import head_revisions
from tests.conftest import CONTACT, NOTE
from tests.ops.conftest import (
    RATE_LIMIT,
    Database,
    client,
    migrate,
    new_tenant,
    throwaway_database,
)


def test_two_migrates_at_once_both_succeed(database: Database) -> None:
    with throwaway_database(migrated=False) as fresh:
        runs = [migrate(fresh.url) for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
        assert all("database migrated to head" in out for out, _ in outputs)
        versions = fresh.scalar("SELECT array_agg(version_num) FROM alembic_version")
        assert set(versions) == head_revisions() and len(versions) == 1
        rules = "SELECT count(*) FROM retention_rule"
        assert fresh.scalar(rules) == database.scalar(rules)  # the built-in rules, once


def test_an_objection_through_one_replica_is_refused_through_the_other_at_once(
    replicas: tuple[str, str],
) -> None:
    tenant = new_tenant()
    with client(replicas[0], tenant) as one, client(replicas[1], tenant) as other:
        subject = one.post(
            "/v1/subjects",
            json={"emails": ["asa.oberg@example.se"], "phones": ["070-123 45 67"]},
        ).json()
        check = {"emails": ["ASA.OBERG@example.se"], "subject_ids": [subject["id"]]}
        before = other.post("/v1/marketing/check", json=check).json()["results"]
        assert [r["allowed"] for r in before] == [True, True]

        objected = one.post(f"/v1/subjects/{subject['id']}/marketing-objection")
        assert objected.status_code == 200, objected.text
        after = other.post("/v1/marketing/check", json=check).json()["results"]
        assert [(r["allowed"], r["reason"]) for r in after] == [
            (False, "objection"),
            (False, "objection"),
        ]
        # And back: the phone, checked through the first replica after the second read it.
        phone = one.post("/v1/marketing/check", json={"phones": ["+46701234567"]}).json()
        assert phone["results"][0]["allowed"] is False
        assert other.get(f"/v1/subjects/{subject['id']}").json()["marketing_objection"] is True


def test_an_erasure_through_one_replica_makes_writes_through_the_other_410(
    replicas: tuple[str, str],
) -> None:
    tenant = new_tenant()
    with client(replicas[0], tenant) as one, client(replicas[1], tenant) as other:
        subject = other.post(
            "/v1/subjects", json={"emails": ["per.persson@example.se"], "records": [CONTACT]}
        ).json()
        record = other.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
        erased = one.post(f"/v1/subjects/{subject['id']}/erasure")
        assert erased.status_code == 200, erased.text
        assert [e["id"] for e in erased.json()["erased"]] == [record["id"]]

        writes = [
            other.post(f"/v1/subjects/{subject['id']}/records", json=NOTE),
            other.post(f"/v1/subjects/{subject['id']}/restriction", json={"reason": "dispute"}),
            other.post(f"/v1/subjects/{subject['id']}/marketing-objection"),
        ]
        assert [w.status_code for w in writes] == [410, 410, 410], [w.text for w in writes]
        assert other.get(f"/v1/subjects/{subject['id']}").json()["status"] == "erased"
        assert other.get(f"/v1/records/{record['id']}").status_code == 404


def test_each_replica_counts_calls_against_the_rate_limit_on_its_own(
    replicas: tuple[str, str],
) -> None:
    tenant = new_tenant()
    with client(replicas[0], tenant, sub="mailer") as one:
        statuses = [one.get("/v1/audit-events?limit=1").status_code for _ in range(RATE_LIMIT)]
        assert statuses == [200] * RATE_LIMIT
        refused = one.get("/v1/audit-events?limit=1")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 61
    with client(replicas[1], tenant, sub="mailer") as other:
        assert other.get("/v1/audit-events?limit=1").status_code == 200


HELD_RECORDS = 12_000  # more than two of the purge's batches of 5,000


def test_two_replicas_purging_at_once_delete_each_record_exactly_once(
    replicas: tuple[str, str], database: Database
) -> None:
    tenant = new_tenant()
    with client(replicas[0], tenant) as one:
        subject = one.post("/v1/subjects", json={"emails": ["kept@example.se"]}).json()
        assert one.post(f"/v1/subjects/{subject['id']}/erasure").status_code == 200
    # Invoices of 2010, kept by Bokföringslagen until 2017-12-31: due for the purge now.
    data = json.dumps(
        {"kind": "invoice", "number": "F-2010-1", "date": "2010-05-01", "amount": "1.00",
         "currency": "SEK"}
    )  # fmt: skip
    stored = datetime(2011, 1, 1, tzinfo=UTC)
    with database.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO record (tenant_id, id, subject_id, category, data, source, origin, "
            "restricted, kept_until, version, created_at, updated_at) VALUES (%(t)s, %(id)s, "
            "%(s)s, 'sales_document', CAST(%(d)s AS JSONB), 'billing', 'provided', true, "
            "%(k)s, 1, %(at)s, %(at)s)",
            [
                {
                    "t": tenant,
                    "id": uuid7(),
                    "s": uuid.UUID(subject["id"]),
                    "d": data,
                    "k": date(2017, 12, 31),
                    "at": stored,
                }
                for _ in range(HELD_RECORDS)
            ],
        )

    deadline = time.monotonic() + 30
    count = "SELECT count(*) FROM record WHERE tenant_id = :t"
    while database.scalar(count, t=tenant) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert database.scalar(count, t=tenant) == 0
    # The audit counts add up to the records: none purged twice, none skipped.
    purged = database.scalar(
        "SELECT coalesce(sum(items), 0) FROM audit_event "
        "WHERE tenant_id = :t AND action = 'record.purge'",
        t=tenant,
    )
    assert purged == HELD_RECORDS
