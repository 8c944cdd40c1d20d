"""Audit the locked dependencies for known vulnerabilities, against the accepted findings.

pip-audit checks every pin of `constraints.txt` (runtime and dev tools alike, exactly the
versions pinned, no resolution) against PyPI's vulnerability data, or OSV's when PyPI's
does not answer. The run fails on:
- a finding not accepted in `vulnerabilities/accepted.toml` (id or alias, package, version);
- an accepted finding that no longer matches (upgraded or withdrawn: take it out);
- a locked package the service could not audit while others were audited;
- no service answering at all, unless `[unreachable]` in the accepted file says why that is
  accepted (then it passes with a NOT AUDITED banner);
- a package installed in `.venv` that the lock does not pin (it would float and go unaudited).

Usage: .venv/bin/python scripts/vulnerabilities.py   (scripts/ci-checkers.sh runs it)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"
ACCEPTED = ROOT / "vulnerabilities" / "accepted.toml"
# PyPI's data first (pip-audit's default); OSV's when PyPI's does not answer.
SERVICES = ("pypi", "osv")
# In .venv but not in the lock: the installer itself, and the project.
UNLOCKED_BY_DESIGN = {"pip", "setuptools", "privacy-api"}


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()

    @property
    def ids(self) -> set[str]:
        return {self.id, *self.aliases}


@dataclass
class Audit:
    """What one pip-audit run said about the locked packages."""

    service: str
    audited: list[str] = field(default_factory=list)
    unaudited: dict[str, str] = field(default_factory=dict)  # package -> why
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """The pinned versions, by canonical name."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonical(name)] = version.strip()
    return pins


def parse_report(service: str, report: dict[str, Any]) -> Audit:
    """pip-audit's JSON report as an `Audit`."""
    audit = Audit(service=service)
    for dependency in report.get("dependencies", []):
        name = canonical(dependency["name"])
        if "skip_reason" in dependency:
            audit.unaudited[name] = dependency["skip_reason"]
            continue
        audit.audited.append(name)
        for vuln in dependency.get("vulns", []):
            audit.findings.append(
                Finding(
                    package=name,
                    version=dependency["version"],
                    id=vuln["id"],
                    aliases=tuple(vuln.get("aliases", [])),
                    fix_versions=tuple(vuln.get("fix_versions", [])),
                )
            )
    return audit


def run_pip_audit(service: str, lock: Path = LOCK, osv_url: str | None = None) -> Audit:
    """One pip-audit run over the lock; its error, if it gave no report."""
    with tempfile.TemporaryDirectory() as work:
        output = Path(work) / "report.json"
        command = [
            str(Path(sys.executable).parent / "pip-audit"),
            "--requirement",
            str(lock),
            # Exactly the pinned versions: every package is pinned, nothing to resolve.
            "--no-deps",
            "--disable-pip",
            "--vulnerability-service",
            service,
            "--format",
            "json",
            "--output",
            str(output),
            "--progress-spinner",
            "off",
            *(["--osv-url", osv_url] if osv_url else []),
        ]
        # Exit status 1 means findings as well as failure: the report tells them apart.
        result = subprocess.run(  # noqa: S603 - pip-audit of this venv, fixed arguments
            command, capture_output=True, text=True, timeout=600, check=False
        )
        if not output.exists() or not output.read_text().strip():
            last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
            return Audit(service=service, error=last_line)
        return parse_report(service, json.loads(output.read_text()))


def audit_lock(lock: Path = LOCK) -> Audit:
    """The first service's audit that audited anything; else what went wrong with each."""
    errors = []
    for service in SERVICES:
        audit = run_pip_audit(service, lock)
        if audit.error is None and audit.audited:
            return audit
        if audit.error is not None:
            errors.append(f"{service}: {audit.error}")
        else:
            example = next(iter(audit.unaudited.values()), "an empty report")
            errors.append(f"{service}: audited none of {len(audit.unaudited)}, e.g. {example!r}")
    return Audit(
        service="none",
        unaudited={name: "no vulnerability service answered" for name in read_lock(lock)},
        error="; ".join(errors),
    )


def judge(
    audit: Audit, accepted: dict[str, Any], lock: dict[str, str]
) -> tuple[list[str], list[str]]:
    """(problems, notes): the run fails when there is a problem; notes are printed."""
    problems: list[str] = []
    notes: list[str] = []
    entries = []
    for entry in accepted.get("finding", []):
        missing = [key for key in ("id", "package", "version", "reason") if not entry.get(key)]
        if missing:
            # Incomplete, it accepts nothing.
            problems.append(f"accepted finding {entry} lacks {', '.join(missing)}")
        else:
            entries.append(entry)

    if not audit.audited:
        unreachable = accepted.get("unreachable", {})
        what = f"NOT AUDITED: none of the {len(lock)} locked packages ({audit.error})"
        if unreachable.get("reason"):
            notes.append(
                f"{what}\n  accepted in {ACCEPTED.relative_to(ROOT)} [unreachable]: "
                f"{unreachable['reason'].strip()}"
            )
        else:
            problems.append(f"{what}; no vulnerability database could be reached")
        return problems, notes

    for name, why in sorted(audit.unaudited.items()):
        problems.append(f"{name} {lock.get(name)} could not be audited ({audit.service}): {why}")

    matched: set[int] = set()
    for finding in audit.findings:
        index = next(
            (
                i
                for i, entry in enumerate(entries)
                if canonical(entry.get("package", "")) == finding.package
                and entry.get("version") == finding.version
                and entry.get("id") in finding.ids
            ),
            None,
        )
        fix = ", ".join(finding.fix_versions) or "none yet"
        if index is None:
            problems.append(
                f"{finding.id} ({', '.join(finding.aliases) or 'no aliases'}) in "
                f"{finding.package} {finding.version}, fixed in {fix}: upgrade the pin, or accept "
                f"it in {ACCEPTED.relative_to(ROOT)} with the reason it cannot harm us"
            )
        else:
            matched.add(index)
            notes.append(
                f"accepted: {finding.id} in {finding.package} {finding.version} "
                f"(fixed in {fix}): {entries[index]['reason'].strip()}"
            )
    for i, entry in enumerate(entries):
        package = canonical(entry.get("package", ""))
        if i not in matched and package not in audit.unaudited:
            problems.append(
                f"accepted {entry.get('id')} in {package} {entry.get('version')} matches no "
                f"finding (the lock pins {lock.get(package, 'nothing')}): take it out"
            )
    notes.append(
        f"audited {len(audit.audited)} locked packages against {audit.service}: "
        f"{len(audit.findings)} finding(s)"
    )
    return problems, notes


def unlocked_installs(lock: dict[str, str]) -> list[str]:
    """Packages in this environment that the lock does not pin at their installed version."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    drift = []
    for dist in json.loads(listed.stdout):
        name = canonical(dist["name"])
        if name in UNLOCKED_BY_DESIGN:
            continue
        if lock.get(name) != dist["version"]:
            drift.append(f"{name} {dist['version']} (the lock pins {lock.get(name, 'nothing')})")
    return drift


def main() -> int:
    lock = read_lock()
    accepted = tomllib.loads(ACCEPTED.read_text())
    problems = [
        f"installed but not locked: {item}: pin it in constraints.txt, or recreate .venv"
        for item in unlocked_installs(lock)
    ]
    more, notes = judge(audit_lock(), accepted, lock)
    problems += more
    for note in notes:
        print(note)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
