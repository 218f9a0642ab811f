#!/usr/bin/env bash
# Size and speed of the playground, measured in headless Chromium
# (e2e/perf.mjs): what the first load downloads (gzip -9), navigation to
# interactive over cold loads, and the time to decode and render captures
# through the decoder's file input: the largest corpus capture
# (dist_full.pcap) and a 10 MB capture made by scripts/make-big-capture.sh.
#
#   scripts/app-perf.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-app.sh >&2
[ -d e2e/node_modules ] || (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2)
big=target/big-10mb.pcap
[ -f "$big" ] || scripts/make-big-capture.sh "$big" 10 >&2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
exec node e2e/perf.mjs "$@" --capture codec/tests/vectors/dist/dist_full.pcap --capture "$big"
