#!/usr/bin/env bash
# The playground in headless Chromium: builds dist/ (scripts/build-app.sh),
# makes sure /usr/bin/chromium and the e2e npm packages are there, then runs
# the browser test (e2e/playground.test.mjs) with node's test runner.
# Prints the node test summary; exits non-zero when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test-browser: %s\n' "$*" >&2; }

scripts/build-app.sh
# The live and tap tests drive the real bridge.
cargo build -p erldist-bridge >&2

if [ ! -x /usr/bin/chromium ]; then
    say "installing chromium"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

if ! command -v node >/dev/null 2>&1; then
    say "node is missing (scripts/ensure-system.sh installs it)"
    exit 1
fi

if [ ! -d e2e/node_modules ]; then
    say "npm ci in e2e/"
    (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

say "node --test e2e/"
# One file at a time: each starts its own Chromium (and the live and tap
# files real nodes and bridges); in parallel on 2 cores they starve each other.
exec node --test --test-concurrency=1 --test-reporter=tap e2e/
