"""A non-editable install (the release image) carries its migrations and finds them.

The whole sequence — `pip install .` into a new environment, `privacy-api migrate` as a
step of its own, `privacy-api serve`, `/readyz` — runs in `scripts/ci-release.sh`.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from app.core import migrations
from app.core.migrations import MIGRATIONS_DIR, PROJECT_ROOT, migrations_home


def _installed_dist(site: Path, record: list[str]) -> metadata.Distribution:
    """A distribution as pip leaves it in `site`: a dist-info folder with its RECORD."""
    info = site / "privacy_api-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: privacy-api\nVersion: 0.1.0\n")
    (info / "RECORD").write_text("".join(f"{path},,\n" for path in record))
    return metadata.PathDistribution(info)


def test_every_migration_file_is_declared_as_installed_data() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    declared = {
        path.relative_to(PROJECT_ROOT)
        for patterns in pyproject["tool"]["setuptools"]["data-files"].values()
        for pattern in patterns
        for path in PROJECT_ROOT.glob(pattern)
    }
    needed = {Path("alembic.ini")} | {
        path.relative_to(PROJECT_ROOT)
        for path in MIGRATIONS_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert needed - declared == set(), "add these to [tool.setuptools.data-files]"
    assert Path("migrations/versions/2026_11_25_42b69344593d_subjects_records_audit.py") in declared


def test_the_source_tree_is_used_where_there_is_one() -> None:
    assert migrations_home() == PROJECT_ROOT
    assert (MIGRATIONS_DIR / "env.py").is_file()


def test_an_install_without_a_source_tree_finds_the_migrations_it_carries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pip records data files relative to site-packages: venv/lib/python3.11/site-packages
    # -> venv/share/privacy-api. The tree of the running module has no migrations/.
    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    home = venv / "share" / "privacy-api"
    (home / "migrations" / "versions").mkdir(parents=True)
    (home / "migrations" / "env.py").write_text("")
    (home / "alembic.ini").write_text("[alembic]\n")
    dist = _installed_dist(
        site,
        [
            "app/__init__.py",
            "../../../share/privacy-api/alembic.ini",
            "../../../share/privacy-api/migrations/env.py",
        ],
    )
    monkeypatch.setattr(migrations.metadata, "distribution", lambda name: dist)

    assert migrations_home(site) == home.resolve()


def test_an_install_that_lost_its_migrations_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(migrations.metadata, "distribution", missing)
    with pytest.raises(RuntimeError, match=r"no migrations in .* nor installed with privacy-api"):
        migrations_home(tmp_path)
