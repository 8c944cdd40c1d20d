"""Alembic, driven from code: upgrade to head, and what the head and current revisions are."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

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
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revisions(database_url: str = "sqlite://") -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
