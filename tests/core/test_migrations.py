"""Alembic owns the schema: up, down and up again on both databases, and no drift."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.core.db import create_db_engine
from app.core.migrations import (
    MIGRATIONS_DIR,
    alembic_head_revisions,
    current_revisions,
    downgrade,
    head_revisions,
    upgrade,
)
from tests.conftest import child_env


def _tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = blank_database(backend, tmp_path_factory.mktemp("migrations"))
    upgrade(url)
    expected = set(SQLModel.metadata.tables)
    assert _tables(url) == expected
    downgrade(url, "base")
    assert _tables(url) == set()
    upgrade(url)
    assert _tables(url) == expected


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_one_head_and_date_prefixed_files() -> None:
    assert len(head_revisions()) == 1
    for path in Path(MIGRATIONS_DIR / "versions").glob("*.py"):
        assert path.name[:11].replace("_", "").isdigit(), path.name


def test_idn_emails_stored_in_punycode_take_their_canonical_form(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = blank_database(backend, tmp_path_factory.mktemp("idn"))
    upgrade(url, "e4bc182228e6")
    engine = create_db_engine(url)
    subject, rows = uuid.uuid4(), [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    values = ["kund@xn--exmple-cua.se", "kund@exämple.se", "x@xn--bcher-kva.de"]
    key = (lambda u: u.hex) if backend == "sqlite" else (lambda u: u)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO subject (tenant_id, id, status, restricted, marketing_objection,"
                    " version, created_at, updated_at) VALUES ('t', :id, 'active', false, false,"
                    " 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": key(subject)},
            )
            for row, value in zip(rows, values, strict=True):
                conn.execute(
                    sa.text(
                        "INSERT INTO subject_identifier (tenant_id, id, subject_id, kind, value,"
                        " created_at) VALUES ('t', :id, :s, 'email', :v, CURRENT_TIMESTAMP)"
                    ),
                    {"id": key(row), "s": key(subject), "v": value},
                )
        upgrade(url)
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT value FROM subject_identifier")).scalars()
            assert sorted(stored) == ["kund@exämple.se", "x@bücher.de"]
    finally:
        engine.dispose()


def test_existing_retention_rules_become_holds(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Rules stored before maximum retention keep their behaviour: `keep`, 0 months."""
    url = blank_database(backend, tmp_path_factory.mktemp("maximum"))
    upgrade(url, "7a1c3e9d2b10")
    engine = create_db_engine(url)
    key = (lambda u: u.hex) if backend == "sqlite" else (lambda u: u)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO tenant_retention_rule (tenant_id, id, code, reference, title_sv,"
                    " title_en, category, kinds, verification_kinds, basis, years, active,"
                    " created_at, updated_by) VALUES ('t', :id, 'contract-orders', 'Contract',"
                    " 'Order', 'Orders', 'sales_document', '[\"order\"]', '[]',"
                    " 'financial_year_end', 10, true, CURRENT_TIMESTAMP, 'admin')"
                ),
                {"id": key(uuid.uuid4())},
            )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT code, action, basis, years, months, active FROM retention_rule"
                    " UNION ALL SELECT code, action, basis, years, months, active"
                    " FROM tenant_retention_rule ORDER BY code"
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("contract-orders", "keep", "financial_year_end", 10, 0, True),
            ("se-bfl-7-2", "keep", "financial_year_end", 7, 0, True),
            ("se-preskription-2", "keep", "document_date", 10, 0, False),
        ]
    finally:
        engine.dispose()


def test_heads_and_current_revisions_without_alembic_agree_with_alembic(
    engine: sa.Engine, tmp_path: Path
) -> None:
    """The serving process reads the heads from the revision files and the current
    revisions from `alembic_version` itself; both must say what alembic says."""
    assert head_revisions() == alembic_head_revisions()
    with engine.connect() as connection:
        expected = set(MigrationContext.configure(connection).get_current_heads())
    assert current_revisions(engine) == expected == head_revisions()
    empty = create_db_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        assert current_revisions(empty) == set()
    finally:
        empty.dispose()


def _run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with a SQLite service configured (and `env`)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(HOME=str(tmp_path), PRIVACY_DATABASE_URL=f"sqlite:///{tmp_path}/x.db", **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_the_serving_process_imports_no_migration_or_http_client_tooling(tmp_path: Path) -> None:
    """Memory: alembic (with Mako), httpx (with click, rich, pygments), Jinja2 and the
    holiday calendars are loaded only by what needs them, not by starting the app."""
    code = (
        "import sys\n"
        "from app.main import create_app\n"
        "create_app()\n"
        "loaded = [m for m in ('alembic', 'mako', 'httpx', 'click', 'rich', 'jinja2', "
        "'holidays', 'psycopg') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    done = _run_python(code, tmp_path)
    assert done.stdout.strip() == ""


def test_the_serving_process_without_a_rate_limit_imports_no_rate_limiter(tmp_path: Path) -> None:
    """Memory: pyrate-limiter (with sqlite3 and multiprocessing) is loaded by a process
    that limits calls, not by one whose limit is off (a gateway in front limits)."""
    code = (
        "import sys\n"
        "from app.main import create_app\n"
        "create_app()\n"
        "print('pyrate_limiter' in sys.modules)\n"
    )
    for limit, loaded in (("off", "False"), ("600/minute", "True")):
        done = _run_python(code, tmp_path, PRIVACY_RATE_LIMIT=limit)
        assert done.stdout.strip() == loaded, limit


def test_hs256_tokens_are_verified_without_loading_cryptography(tmp_path: Path) -> None:
    """Memory: HMAC signatures are checked with the standard library; python-jose's key
    classes (and `cryptography`, about 10 MB) load only for RS*/ES* keys."""
    code = (
        "import sys\n"
        "from app.core.config import get_settings\n"
        "from app.core.security import TokenVerifier, mint_token\n"
        "from app.main import create_app\n"
        "create_app()\n"
        "settings = get_settings()\n"
        "token = mint_token(settings, tenant='t', sub='s', scopes=['subjects:read'])\n"
        "for name in [m for m in sys.modules if m.startswith(('jose', 'cryptography'))]:\n"
        "    del sys.modules[name]  # minting loaded them; verifying must not\n"
        "principal = TokenVerifier(settings).verify(token)\n"
        "print(principal.tenant, 'jose.jwk' in sys.modules,\n"
        "      'cryptography.hazmat.bindings._rust' in sys.modules)\n"
    )
    done = _run_python(code, tmp_path)
    assert done.stdout.split() == ["t", "False", "False"], done.stderr[-2000:]
