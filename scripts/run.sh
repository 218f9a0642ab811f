#!/usr/bin/env bash
# Builds the playground (installing the wasm32 target, trunk 0.21.14 and the
# matching wasm-bindgen-cli if missing) and serves it on http://127.0.0.1:8080
# (PORT=... to change). Offline: nothing is downloaded at build or run time
# beyond the crates and tools themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-app.sh
echo "erldist playground: http://127.0.0.1:${PORT:-8080}/" >&2
exec "$HOME/.cargo/bin/trunk" serve --release --offline --address 127.0.0.1 --port "${PORT:-8080}"
