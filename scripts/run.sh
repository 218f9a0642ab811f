#!/usr/bin/env bash
# The one run command: builds the playground and serves it, with the live
# mode's websocket bridge, on http://127.0.0.1:8080.
#
#   scripts/run.sh [erldist-bridge options...]
#
# Installs only what is missing: erlang-base (a real epmd for the live
# mode; Debian package), then what scripts/build-app.sh needs (the wasm32
# target, trunk 0.21.14, the matching wasm-bindgen-cli). Builds the app into
# dist/, starts `epmd -daemon` unless an epmd already answers on its port
# (ERL_EPMD_PORT, default 4369), builds erldist-bridge (release) and runs
#
#   erldist-bridge --serve dist [your options]
#
# which listens on 127.0.0.1:8080 (change it with --listen ADDR:PORT, or
# PORT=N), relays /ws/epmd to that epmd and /ws/node/<name> to its nodes.
# Every option: erldist-bridge --help (scripts/run.sh --help prints it).
# Offline at run time: nothing is fetched beyond the packages and crates.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'run: %s\n' "$*" >&2; }

if ! command -v epmd >/dev/null 2>&1; then
    say "epmd not found: installing erlang-base (Debian)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends erlang-base >/dev/null
fi

scripts/build-app.sh

epmd_port="${ERL_EPMD_PORT:-4369}"
if epmd -port "$epmd_port" -names >/dev/null 2>&1; then
    say "epmd already running on port $epmd_port"
else
    say "starting epmd -daemon on port $epmd_port"
    epmd -daemon -port "$epmd_port"
    for _ in $(seq 50); do
        epmd -port "$epmd_port" -names >/dev/null 2>&1 && break
        sleep 0.1
    done
fi

say "building erldist-bridge (release)"
cargo build --release --quiet -p erldist-bridge
bridge="${CARGO_TARGET_DIR:-target}/release/erldist-bridge"

args=(--serve dist --epmd "127.0.0.1:$epmd_port")
[ -n "${PORT:-}" ] && args+=(--listen "127.0.0.1:$PORT")
say "erldist playground: http://127.0.0.1:${PORT:-8080}/ (unless --listen says otherwise); Ctrl-C stops it"
exec "$bridge" "${args[@]}" "$@"
