#!/usr/bin/env bash
# The browser tests (tests/console/browser/) drive Debian's Chromium through Playwright;
# Playwright's own browser download is never used (the CI network is closed). Installs
# the `chromium` package with apt when /usr/bin/chromium is missing, as root or with sudo.
# Quiet unless it fails; then the whole apt output explains why.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
echo "installing chromium"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! apt_log=$(
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Retries=3 update 2>&1 &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Retries=3 \
            install -y --no-install-recommends chromium 2>&1
); then
    echo "$apt_log" >&2
    echo "could not install chromium" >&2
    exit 1
fi
