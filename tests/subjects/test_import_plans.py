"""The lookups of an import batch probe an index by each value looked up (PostgreSQL).

The regression: `external_ref.ref = ANY(:refs)` with the tenant filter was planned from
the statistics of a table that grows during the import. Until the next ANALYZE they say
"empty", so the planner took the tenant's part of the (tenant, system, ref) index as
one row, read all of it and filtered it against the array: seconds per batch against a
large tenant, growing with every batch. Here the tables hold a few thousand rows that
no ANALYZE has seen, and every statement of a batch that reads a tenant table must look
its rows up by the value asked for (`wanted.value`, `import_service._matching`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.core.db import begin_write, create_db_engine, new_tenant_session
from app.core.migrations import upgrade
from app.subjects.import_service import Line, import_lines
from tests.conftest import BACKENDS, TEST_HASH_SECRET

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="a PostgreSQL plan")

TENANT = "plans"
LOOKED_UP = {"external_ref", "marketing_suppression", "subject_identifier", "subject", "record"}


def lines(start: int, count: int) -> list[Line]:
    made = []
    for n in range(start, start + count):
        body = {
            "emails": [f"plan.{n}@example.se"],
            "phones": [f"+4670{n:07d}"],
            "external_refs": [{"system": "crm", "id": f"C-{n}"}],
            "records": [
                {
                    "category": "contact",
                    "origin": "provided",
                    "source": "crm",
                    "data": {"name": f"Person {n}", "email": f"plan.{n}@example.se"},
                }
            ],
        }
        made.append(Line(n + 1, json.dumps(body).encode()))
    return made


def run(engine: sa.Engine, batch: list[Line]) -> Any:
    with new_tenant_session(engine, TENANT) as session:
        begin_write(session)
        result = import_lines(
            session, batch, hash_secret=TEST_HASH_SECRET, max_line_bytes=64 * 1024
        )
        session.commit()
        return result


@pytest.fixture(scope="module")
def engine(blank_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    url = blank_database("postgresql", Path(tmp_path_factory.mktemp("plans")))
    upgrade(url)
    engine = create_db_engine(url)
    for start in range(0, 3000, 1000):
        assert run(engine, lines(start, 1000)).created == 1000
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO marketing_suppression (tenant_id, id, kind, digest, created_at) "
            f"SELECT '{TENANT}', gen_random_uuid(), 'email', md5(g::text) || md5(g::text), "
            "now() FROM generate_series(1, 3000) AS g"
        )
    yield engine
    engine.dispose()


def scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from scans(child)


def test_every_lookup_of_a_batch_probes_an_index_by_the_value(engine: sa.Engine) -> None:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        # Half the lines are known (unchanged: the owners' data is looked up), half new.
        result = run(engine, lines(2500, 1000))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert (result.unchanged, result.created, result.failures) == (500, 500, [])

    probed: set[str] = set()
    with engine.connect() as conn:
        for statement, parameters in statements:
            (plan,) = conn.exec_driver_sql(
                f"EXPLAIN (FORMAT JSON) {statement}", parameters
            ).scalar_one()
            for node in scans(plan["Plan"]):
                table = node.get("Relation Name")
                if table not in LOOKED_UP:
                    continue
                # (A bitmap heap scan rechecks what its bitmap index scan looked up.)
                condition = node.get("Index Cond") or node.get("Recheck Cond") or ""
                assert "Seq Scan" not in node["Node Type"], (table, node)
                assert "wanted.value" in condition, (table, node)
                probed.add(table)
    assert probed == LOOKED_UP
