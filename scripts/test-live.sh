#!/usr/bin/env bash
# Runs the codec against a REAL epmd and a REAL erl node (codec/tests/live_epmd.rs).
# Installs Debian's erlang-base (OTP 25) first if `erl` or `epmd` is missing.
# All traffic stays on 127.0.0.1; the test starts and stops its own epmd and node
# on free ports, so a system epmd on 4369 is neither needed nor touched.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v erl >/dev/null 2>&1 || ! command -v epmd >/dev/null 2>&1; then
    echo "test-live: erl/epmd not found; installing erlang-base with apt-get" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends erlang-base
fi
echo "test-live: using $(command -v epmd) and $(command -v erl)" >&2

exec cargo test -p erldist-codec --test live_epmd --test live_client --test live_dist -- --nocapture --test-threads=1 "$@"
