#!/usr/bin/env bash
# erldist-codec's ETF limits in wasm32, in headless Chromium
# (codec/wasm-tests/tests/limits.rs, wasm-bindgen-test).
#
# Installs what is missing: chromium + chromium-driver (Debian), the wasm32
# target, and wasm-bindgen-cli at the version of wasm-bindgen in Cargo.lock
# (wasm-bindgen-test-runner must match it exactly). Chromium gets the flags of
# codec/wasm-tests/webdriver.json plus a fresh --user-data-dir, and needs no
# network. Ends with the runner's line "test result: ok. N passed; ...";
# exits non-zero when a test fails.
#
#   WASM_BINDGEN_TEST_TIMEOUT   seconds per test run in the browser (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test-wasm: %s\n' "$*" >&2; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then
    say "installing chromium and chromium-driver"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium chromium-driver
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# The runner's version must be the wasm-bindgen of the lock file.
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
runner="$HOME/.cargo/bin/wasm-bindgen-test-runner"
command -v wasm-bindgen-test-runner >/dev/null 2>&1 && runner=$(command -v wasm-bindgen-test-runner)
have=$("$runner" --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (found: ${have:-none})"
    cargo install --locked wasm-bindgen-cli --version "$want"
    runner="$HOME/.cargo/bin/wasm-bindgen-test-runner"
fi

# webdriver.json with a fresh profile directory for this run.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profile"
python3 - codec/wasm-tests/webdriver.json "$tmp/profile" > "$tmp/webdriver.json" <<'PY'
import json, sys
caps = json.load(open(sys.argv[1]))
caps["goog:chromeOptions"]["args"].append("--user-data-dir=" + sys.argv[2])
json.dump(caps, sys.stdout, indent=2)
PY

export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$tmp/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$runner"

say "cargo test -p erldist-codec-wasm-tests --target wasm32-unknown-unknown (headless Chromium)"
set +e
cargo test -p erldist-codec-wasm-tests --target wasm32-unknown-unknown 2>&1 | tee "$tmp/out"
rc=${PIPESTATUS[0]}
set -e
# The runner's own "test result:" line (above) is what scripts/test.sh counts;
# this recap says the same without repeating that phrase.
res=$(grep -E '^test result: ' "$tmp/out" | tail -n 1 | grep -oE '[a-zA-Z]+\. [0-9]+ passed' || true)
say "headless Chromium: ${res:-no test result line} (exit $rc)"
exit "$rc"
