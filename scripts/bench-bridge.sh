#!/usr/bin/env bash
# Benchmark of erldist-bridge's relay (bridge/benches/relay.rs), release build:
#   1. added round-trip latency of a websocket through the bridge versus a
#      direct TCP connection, both to a TCP echo server on 127.0.0.1
#      (ROUNDS round trips of 32 bytes; p50 / p99 / p99.9 and the difference);
#   2. the bridge's resident memory with SESSIONS websocket sessions held open.
# Targets (issue 7): under 0.5 ms added at p99; 500 sessions in under 50 MB.
#
#   scripts/bench-bridge.sh                 ROUNDS=20000 SESSIONS=500
#   ROUNDS=50000 SESSIONS=1000 scripts/bench-bridge.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -q -p erldist-bridge --bench relay
