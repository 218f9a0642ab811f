#!/usr/bin/env bash
# Builds the playground (the Yew app in src/) into dist/ with Trunk, offline.
#
# Idempotent: installs only what is missing, then builds.
#   - the rustup target wasm32-unknown-unknown
#   - trunk 0.21.14                  (cargo install --locked trunk@0.21.14)
#   - wasm-bindgen-cli at exactly the version of the wasm-bindgen crate in
#     Cargo.lock (the CLI and the crate must match; Trunk reads the version
#     from Cargo.lock and, offline, uses the `wasm-bindgen` on PATH)
# Then runs `trunk build --release --offline` (config: Trunk.toml, index.html)
# and prints the size of the wasm bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14

say() { printf 'build-app: %s\n' "$*" >&2; }

# The version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version() {
    [ -f Cargo.lock ] || cargo generate-lockfile >&2
    local versions
    versions=$(awk '
        /^\[\[package\]\]/ { name = "" }
        /^name = "wasm-bindgen"$/ { name = "wasm-bindgen"; next }
        name == "wasm-bindgen" && /^version = / {
            gsub(/^version = "|"$/, ""); print; name = ""
        }' Cargo.lock | sort -u)
    if [ -z "$versions" ]; then
        say "no wasm-bindgen package in Cargo.lock"
        return 1
    fi
    if [ "$(printf '%s\n' "$versions" | wc -l)" -ne 1 ]; then
        say "several wasm-bindgen versions in Cargo.lock: $(echo $versions); expected one"
        return 1
    fi
    printf '%s\n' "$versions"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION"
    cargo install --locked "trunk@$TRUNK_VERSION"
fi

WASM_BINDGEN_VERSION=$(wasm_bindgen_version)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (the version in Cargo.lock)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

say "trunk build --release --offline (wasm-bindgen $WASM_BINDGEN_VERSION)"
trunk build --release --offline

shopt -s nullglob
wasm=(dist/*.wasm)
if [ ${#wasm[@]} -ne 1 ] || [ ! -f dist/index.html ]; then
    say "expected dist/index.html and one dist/*.wasm"
    exit 1
fi
say "dist/: ${wasm[0]} is $(wc -c <"${wasm[0]}") bytes ($(gzip -9 -c "${wasm[0]}" | wc -c) gzip -9)"
