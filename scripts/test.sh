#!/usr/bin/env bash
# The one command that runs every test (the README's quick start; .ci/run calls it).
# It installs what is missing first: Debian packages (erlang-base, chromium),
# the wasm32 target, trunk 0.21.14 and the matching wasm-bindgen-cli, cargo-fuzz.
#
#   1. cargo fmt --check and clippy -D warnings over the whole workspace
#   2. cargo test --workspace: unit, corpus-vector and CLI tests, doctests, and
#      the live suite against a real epmd + erl node (codec/tests/live_epmd.rs)
#   3. the playground built with trunk (offline) and driven in headless Chromium
#   4. the ETF decoder's limits in wasm32 under headless Chromium (scripts/test-wasm.sh)
#   5. a short smoke run of every fuzz target (the long runs: scripts/fuzz.sh)
#
# Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() { printf '\n==> %s\n' "$*"; }

step "installing what is missing"
scripts/ensure-system.sh
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/cargo-fuzz" ] || cargo install cargo-fuzz

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy --workspace --all-targets -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test --workspace (includes the live epmd + erl suite)"
cargo test --workspace -- --show-output 2>&1 | tee -a "$log"

step "playground in headless Chromium"
scripts/test-browser.sh 2>&1 | tee -a "$log"

step "ETF limits in wasm32, headless Chromium (wasm-bindgen-test)"
scripts/test-wasm.sh 2>&1 | tee -a "$log"

step "fuzz smoke (${FUZZ_SECONDS:=20} s per target)"
for t in $(cd codec/fuzz/fuzz_targets && ls ./*.rs | sed 's|^\./||; s|\.rs$||'); do
    # The last lines say `Done N runs`; a failed build or a crash shows more.
    if ! scripts/fuzz.sh "$t" "$FUZZ_SECONDS" > "$log.fuzz" 2>&1; then
        tail -n 40 "$log.fuzz" | tee -a "$log"
        echo "fuzz target $t FAILED" | tee -a "$log"
        exit 1
    fi
    tail -n 3 "$log.fuzz" | tee -a "$log"
done

passed=$(grep -hoE 'test result: [a-z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -hoE '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
node_pass=$(grep -hoE '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
node_fail=$(grep -hoE '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
fuzz_ok=$(grep -hcE 'Done [0-9]+ runs' "$log" || true)
echo
echo "summary: $((passed + node_pass + fuzz_ok)) passed, $((failed + node_fail)) failed"
