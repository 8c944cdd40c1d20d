#!/usr/bin/env bash
# The time-sensitive tests (pytest marker `clock`) with the machine's clock moved a year
# back and a year forward by libfaketime, on SQLite and PostgreSQL: no test may depend on
# the date it runs on. Needs `faketime` (Debian: apt-get install faketime) and the
# PostgreSQL that scripts/test.sh starts. Extra arguments go to pytest. CLOCK_SHIFTS
# (comma-separated faketime specs) sets other clocks, e.g. CLOCK_SHIFTS='@2028-02-29 12:00:00'.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null 2>&1; then
    echo "faketime is not installed (Debian/Ubuntu: apt-get install faketime)" >&2
    exit 1
fi
[ -x .venv/bin/pytest ] || scripts/bootstrap.sh dev

IFS=',' read -r -a shifts <<< "${CLOCK_SHIFTS:--365d,+365d}"
for shift in "${shifts[@]}"; do
    # A clock that did not move would pass for the wrong reason.
    real=$(date +%s)
    seen=$(faketime -f "$shift" .venv/bin/python -c 'import time; print(int(time.time()))')
    if [ "$(( seen > real ? seen - real : real - seen ))" -lt 3600 ]; then
        echo "faketime '$shift' did not move Python's clock (LD_PRELOAD refused?)" >&2
        exit 1
    fi
    echo "== pytest -m clock, clock at $(faketime -f "$shift" date -u '+%Y-%m-%d %H:%M UTC')"
    status=0
    faketime -f "$shift" .venv/bin/pytest -m clock -q "$@" || status=$?
    if [ "$status" -eq 5 ]; then
        echo "no test marked \`clock\` was collected: nothing ran on the shifted clock" >&2
        exit 1
    elif [ "$status" -ne 0 ]; then
        exit "$status"
    fi
done
