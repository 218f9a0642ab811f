#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those that are missing:
# erlang-base (a real epmd and erl, OTP 25) and chromium (headless browser tests).
# Runs `apt-get update` once, and only when something has to be installed.
set -euo pipefail

need=()
command -v epmd >/dev/null 2>&1 && command -v erl >/dev/null 2>&1 || need+=(erlang-base)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)

if [ ${#need[@]} -gt 0 ]; then
    echo "ensure-system: installing ${need[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
