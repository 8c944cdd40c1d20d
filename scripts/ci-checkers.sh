#!/usr/bin/env bash
# The locked dependencies (constraints.txt) audited for known vulnerabilities: pip-audit
# on every pin, judged against vulnerabilities/accepted.toml (scripts/vulnerabilities.py
# says what fails). The generated-client scenario runs with the tests
# (tests/contract/test_generated_client.py), not here. Needs no server.
# Usage: scripts/ci-checkers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev >/dev/null

started=$SECONDS
echo "== pip-audit of the locked dependencies"
.venv/bin/python scripts/vulnerabilities.py
echo "pip-audit: done in $((SECONDS - started)) s"
