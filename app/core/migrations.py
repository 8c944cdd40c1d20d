"""Alembic, driven from code: upgrade to head, and what the head and current revisions are.

Alembic is imported only to migrate. The serving process needs just the head revisions
(read from the revision files' `revision` / `down_revision` assignments) and the
database's current ones (the `alembic_version` table): that keeps alembic and Mako
(several MB) out of its memory. A test holds both answers equal to alembic's.
"""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

DISTRIBUTION = "privacy-api"
INSTALLED_HOME = "share/privacy-api"  # pyproject.toml's [tool.setuptools.data-files]


def migrations_home(source_root: Path = Path(__file__).resolve().parents[2]) -> Path:
    """The folder holding `alembic.ini` and `migrations/`.

    In a source tree (an editable install, the tests) that is the tree itself. A
    non-editable install, as in the release image, has no tree: the migrations are
    installed as data files beside the package, wherever the install scheme put them.
    """
    if (source_root / "migrations" / "env.py").is_file():
        return source_root
    try:
        files = metadata.distribution(DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.as_posix().endswith(f"{INSTALLED_HOME}/migrations/env.py"):
            return Path(str(file.locate())).resolve().parents[1]
    raise RuntimeError(
        f"no migrations in {source_root} nor installed with {DISTRIBUTION}; "
        "reinstall the package (pip install .)"
    )


PROJECT_ROOT = migrations_home()
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def alembic_head_revisions(database_url: str = "sqlite://") -> set[str]:
    """The heads as alembic computes them (imports alembic)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def head_revisions(versions: Path | None = None) -> set[str]:
    """The revisions no other revision names as its `down_revision`."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((versions or MIGRATIONS_DIR / "versions").glob("*.py")):
        assigned = _assignments(path)
        if "revision" not in assigned:
            continue
        revisions.add(str(assigned["revision"]))
        down = assigned.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(d) for d in down)
    return revisions - parents


def _assignments(path: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if not isinstance(target, ast.Name):
                continue
            name, value = target.id, node.value
        else:
            continue
        if name in ("revision", "down_revision"):
            found[name] = ast.literal_eval(value)
    return found


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (none before the first migration)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return set()
        rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        return {str(row[0]) for row in rows}
