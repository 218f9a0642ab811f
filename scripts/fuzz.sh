#!/usr/bin/env bash
# Runs one cargo-fuzz target of erldist-codec for a while.
#
#   scripts/fuzz.sh TARGET [SECONDS]      TARGET: epmd_decode | epmd_log | hex_input | etf_decode |
#                                          handshake_decode | dist_frame | session | pcap | text_inputs
#
# Runs `cargo +nightly fuzz run TARGET` from codec/ with the committed seeds
# (codec/fuzz/seeds/TARGET). libFuzzer writes the inputs it finds into the
# FIRST corpus directory, so a scratch corpus (codec/fuzz/corpus/TARGET,
# git-ignored) comes first and the committed seeds stay untouched.
# Crashes land in codec/fuzz/artifacts/TARGET/; minimize one with
#   (cd codec && cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...)
# Extra arguments after SECONDS go to libFuzzer (e.g. -jobs=2).
set -euo pipefail
cd "$(dirname "$0")/../codec"

target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS] [libFuzzer args...]}"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))

if [ ! -f "fuzz/fuzz_targets/$target.rs" ]; then
    echo "fuzz.sh: unknown target $target; one of: $(cd fuzz/fuzz_targets && ls *.rs | sed 's/\.rs$//' | tr '\n' ' ')" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs cargo-fuzz and a nightly toolchain: cargo install cargo-fuzz; rustup toolchain install nightly" >&2
    exit 2
fi

mkdir -p "fuzz/corpus/$target"
dict=()
if [ -f "fuzz/dict/$target.dict" ]; then
    dict=("-dict=fuzz/dict/$target.dict")
fi
exec cargo +nightly fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" "${dict[@]}" "$@"
