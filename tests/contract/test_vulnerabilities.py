"""The audit of the locked dependencies fails on every finding nobody accepted with a reason.

`scripts/vulnerabilities.py` (run by scripts/ci-checkers.sh) judges pip-audit's report
against `vulnerabilities/accepted.toml`. These tests judge made-up reports, and run the
real pip-audit against a stand-in OSV service on the loopback, so that what the script
reads is what pip-audit writes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "vulnerabilities", ROOT / "scripts" / "vulnerabilities.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vulnerabilities"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


v = load_script()

LOCK = {"jinja2": "3.1.4", "idna": "3.20"}
FINDING = v.Finding(
    package="jinja2",
    version="3.1.4",
    id="GHSA-test-0000-0001",
    aliases=("CVE-0000-0001",),
    fix_versions=("3.1.5",),
)
ACCEPTANCE = {
    "id": "CVE-0000-0001",
    "package": "Jinja2",
    "version": "3.1.4",
    "reason": "Only the sandboxed environment is affected; we render our own templates only.",
}


def audit(*findings: Any, unaudited: dict[str, str] | None = None) -> Any:
    skipped = unaudited or {}
    return v.Audit(
        service="pypi",
        audited=[name for name in LOCK if name not in skipped],
        unaudited=skipped,
        findings=list(findings),
    )


def test_the_accepted_findings_are_complete_and_for_the_locked_versions() -> None:
    accepted = tomllib.loads(v.ACCEPTED.read_text())
    lock = v.read_lock()
    for entry in accepted.get("finding", []):
        assert {"id", "package", "version", "reason"} <= set(entry), entry
        assert len(entry["reason"]) > 40, entry
        assert lock.get(v.canonical(entry["package"])) == entry["version"], entry
    unreachable = accepted.get("unreachable")
    assert unreachable is None or len(unreachable["reason"]) > 40


def test_the_lock_pins_every_package_to_one_version() -> None:
    lines = [line for line in v.LOCK.read_text().splitlines() if line.strip()]
    assert all("==" in line for line in lines)
    assert len(v.read_lock()) == len(lines)  # no package pinned twice under two spellings


def test_a_finding_nobody_accepted_fails_with_its_fix() -> None:
    problems, _ = v.judge(audit(FINDING), {}, LOCK)
    assert len(problems) == 1
    assert "GHSA-test-0000-0001" in problems[0] and "jinja2 3.1.4" in problems[0]
    assert "fixed in 3.1.5" in problems[0]


def test_an_accepted_finding_passes_and_its_reason_is_printed() -> None:
    problems, notes = v.judge(audit(FINDING), {"finding": [ACCEPTANCE]}, LOCK)
    assert problems == []
    assert any("we render our own templates only" in note for note in notes)


def test_an_acceptance_for_another_version_does_not_cover_the_new_pin() -> None:
    upgraded = v.Finding(package="jinja2", version="3.1.5", id="GHSA-test-0000-0001")
    problems, _ = v.judge(audit(upgraded), {"finding": [ACCEPTANCE]}, {**LOCK, "jinja2": "3.1.5"})
    assert len(problems) == 2
    assert "GHSA-test-0000-0001 (no aliases) in jinja2 3.1.5" in problems[0]
    assert "matches no finding (the lock pins 3.1.5): take it out" in problems[1]


def test_an_acceptance_that_matches_no_finding_fails() -> None:
    problems, _ = v.judge(audit(), {"finding": [ACCEPTANCE]}, LOCK)
    assert problems == [
        "accepted CVE-0000-0001 in jinja2 3.1.4 matches no finding (the lock pins 3.1.4): "
        "take it out"
    ]


def test_an_acceptance_without_a_reason_fails() -> None:
    bare = {key: value for key, value in ACCEPTANCE.items() if key != "reason"}
    problems, _ = v.judge(audit(FINDING), {"finding": [bare]}, LOCK)
    assert problems[0].endswith("lacks reason")
    assert "GHSA-test-0000-0001" in problems[1]  # and it accepts nothing


def test_no_database_reached_fails_unless_accepted_and_then_says_not_audited() -> None:
    nothing = v.Audit(service="none", unaudited=dict.fromkeys(LOCK, "no answer"), error="DNS")
    problems, _ = v.judge(nothing, {}, LOCK)
    assert problems == [
        "NOT AUDITED: none of the 2 locked packages (DNS); "
        "no vulnerability database could be reached"
    ]
    problems, notes = v.judge(nothing, {"unreachable": {"reason": "CI has no route."}}, LOCK)
    assert problems == []
    assert notes[0].startswith("NOT AUDITED: none of the 2 locked packages")


def test_one_package_not_audited_among_audited_ones_fails_even_with_unreachable_accepted() -> None:
    partly = audit(unaudited={"idna": "Dependency not found on PyPI"})
    problems, _ = v.judge(partly, {"unreachable": {"reason": "CI has no route."}}, LOCK)
    assert problems == ["idna 3.20 could not be audited (pypi): Dependency not found on PyPI"]


class StandInOsv(BaseHTTPRequestHandler):
    """OSV's query API (POST /v1/query) knowing one advisory: jinja2 3.1.4."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer: dict[str, Any] = {}
        if query == {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "3.1.4"}:
            affected = {
                "package": {"name": "jinja2", "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.5"}]}
                ],
            }
            answer = {
                "vulns": [
                    {
                        "id": "GHSA-test-0000-0001",
                        "aliases": ["CVE-0000-0001"],
                        "summary": "A stand-in advisory",
                        "affected": [affected],
                    }
                ]
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInOsv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()
    server.server_close()


def test_pip_audit_s_report_is_read_as_judged(osv_url: str, tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "pip-audit").exists():
        pytest.skip("pip-audit is not installed: scripts/bootstrap.sh dev installs it")
    lock = tmp_path / "constraints.txt"
    lock.write_text("Jinja2==3.1.4\nidna==3.20\n")
    report = v.run_pip_audit("osv", lock, osv_url=osv_url)
    assert report.error is None
    assert sorted(report.audited) == ["idna", "jinja2"]
    # pip-audit names an advisory by the id it prefers (here the CVE): either one matches.
    [finding] = report.findings
    assert (finding.package, finding.version, finding.ids, finding.fix_versions) == (
        "jinja2",
        "3.1.4",
        {"GHSA-test-0000-0001", "CVE-0000-0001"},
        ("3.1.5",),
    )
    assert v.judge(report, {"finding": [ACCEPTANCE]}, v.read_lock(lock)) == (
        [],
        [
            "accepted: CVE-0000-0001 in jinja2 3.1.4 (fixed in 3.1.5): " + ACCEPTANCE["reason"],
            "audited 2 locked packages against osv: 1 finding(s)",
        ],
    )
