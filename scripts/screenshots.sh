#!/usr/bin/env bash
# The README's screenshots of the console (the queue, a request, an erasure plan), taken
# by the browser tests as they go (tests/console/browser/) at 1280x800 and saved in
# docs/screenshots/. Needs Debian's Chromium (scripts/ensure-chromium.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh dev
scripts/ensure-chromium.sh
mkdir -p docs/screenshots
PRIVACY_TEST_BACKENDS=sqlite PRIVACY_SCREENSHOTS=docs/screenshots \
    .venv/bin/pytest tests/console/browser -q \
    -k "access_request_from_receipt_to_answer or erase_a_subject_after_reading_the_plan"
ls -l docs/screenshots/*.png
