#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those that are missing:
# erlang-base (a real epmd and erl, OTP 25), chromium (headless browser tests),
# and the tools whose output the text-input tests read (tcpdump, tshark, xxd,
# hexdump from bsdextrautils).
# Runs `apt-get update` once, and only when something has to be installed.
set -euo pipefail

need=()
command -v epmd >/dev/null 2>&1 && command -v erl >/dev/null 2>&1 || need+=(erlang-base)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
# The export tests (codec/tests/export.rs, cli/tests/export.rs) run the
# snippets with python3 and cc (node, escript and rustc are there already)
# and read the pcapng back with tshark.
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
# The text-input tests (codec/tests/inputs.rs) run the real tools.
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v xxd >/dev/null 2>&1 || need+=(xxd)
command -v hexdump >/dev/null 2>&1 || need+=(bsdextrautils)

if [ ${#need[@]} -gt 0 ]; then
    echo "ensure-system: installing ${need[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
