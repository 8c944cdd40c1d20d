"""A failure halfway through an erasure rolls all of it back; the retry then succeeds.

The failure is injected in the database under a running service: a trigger that fails
the erasure's second record deletion, by raising an error or by killing the service's
connection there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.conftest import CONTACT, INVOICE_2024, MEETING, NETWORK, NOTE
from tests.ops.conftest import Database, client, new_tenant

FAULTS = {
    "error": "RAISE EXCEPTION 'injected failure halfway through the erasure'",
    "connection killed": "PERFORM pg_terminate_backend(pg_backend_pid())",
}
TABLES = [
    "subject",
    "subject_identifier",
    "record",
    "restriction",
    "marketing_suppression",
    "delivery",
    "erasure",
]


@contextlib.contextmanager
def fault_on_second_deletion(database: Database, fault: str) -> Iterator[str]:
    """A new tenant whose second record deletion within a transaction fails by `fault`."""
    tenant = new_tenant()
    database.execute(
        f"""
        CREATE FUNCTION fail_halfway() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            deleted int := coalesce(nullif(current_setting('ops.deleted', true), ''), '0')::int;
        BEGIN
            PERFORM set_config('ops.deleted', (deleted + 1)::text, true);
            IF deleted + 1 = 2 THEN {FAULTS[fault]}; END IF;
            RETURN OLD;
        END $$;
        CREATE TRIGGER fail_halfway BEFORE DELETE ON record FOR EACH ROW
            WHEN (OLD.tenant_id = '{tenant}') EXECUTE FUNCTION fail_halfway();
        """
    )
    try:
        yield tenant
    finally:
        database.execute(
            "DROP TRIGGER IF EXISTS fail_halfway ON record; DROP FUNCTION IF EXISTS fail_halfway()"
        )


@pytest.mark.parametrize(("fault", "status"), [("error", 500), ("connection killed", 503)])
def test_a_failure_halfway_through_an_erasure_leaves_everything_as_it_was(
    replicas: tuple[str, str], database: Database, fault: str, status: int
) -> None:
    with (
        fault_on_second_deletion(database, fault) as tenant,
        client(replicas[0], tenant) as desk,
    ):
        recipient = {"name": "crm", "url": "http://127.0.0.1:9/hook",
                     "event_types": ["subject.erased"]}  # fmt: skip
        assert desk.post("/v1/recipients", json=recipient).status_code == 201
        subject = desk.post(
            "/v1/subjects",
            json={"emails": ["asa.oberg@example.se"],
                  "records": [CONTACT, NOTE, MEETING, NETWORK, INVOICE_2024]},
        ).json()  # fmt: skip
        rows = _rows(database, tenant)

        failed = desk.post(f"/v1/subjects/{subject['id']}/erasure")
        assert failed.status_code == status, failed.text
        assert failed.headers["content-type"] == "application/problem+json"

        assert _rows(database, tenant) == rows  # not one record, hash or delivery changed
        assert desk.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"
        check = desk.post("/v1/marketing/check", json={"emails": ["asa.oberg@example.se"]})
        assert check.json()["results"][0]["allowed"] is True

        database.execute("DROP TRIGGER fail_halfway ON record")
        retried = desk.post(f"/v1/subjects/{subject['id']}/erasure")
        assert retried.status_code == 200, retried.text
        report = retried.json()
        erased = sorted(e["category"] for e in report["erased"])
        assert erased == ["contact", "meeting", "network", "note"]
        assert [k["category"] for k in report["kept"]] == ["sales_document"]
        assert _rows(database, tenant)["record"] == 1


def _rows(database: Database, tenant: str) -> dict[str, int]:
    return {
        table: database.scalar(f"SELECT count(*) FROM {table} WHERE tenant_id = :t", t=tenant)
        for table in TABLES
    }
