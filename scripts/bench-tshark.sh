#!/usr/bin/env bash
# Whole-capture decode: `erldist decode` against Wireshark's dissectors
# (`tshark -V`) on the same real capture, measured the same way: whole
# process wall time (median of N runs) and peak RSS (/usr/bin/time -f %M).
#
#   scripts/bench-tshark.sh [RUNS]
#
# Inputs: the largest corpus capture, dist_full (OTP 25.2.3 nodes a and b,
# tests/vectors/dist), then a ~50 MB capture made from it by
# scripts/make-big-capture.sh (not committed; built into target/ on first
# use). tshark reads each pcap with the epmd and erldp dissectors forced on
# the capture's ports (as the corpus's own decode was made) and prints every
# packet's tree (-V); erldist reads the same pcap (and, for dist_full, its
# per-stream runs listing too) and prints the full JSON report (every span
# of every frame).
#
#   BIG_MB=0 scripts/bench-tshark.sh   skips the large capture.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
dir=codec/tests/vectors/dist
command -v tshark >/dev/null || { echo "bench-tshark.sh: needs tshark (apt-get install tshark)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-tshark.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release -q -p erldist-cli
erldist="${CARGO_TARGET_DIR:-target}/release/erldist"

measure() { # label, command...
    local label="$1"; shift
    local walls=() rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o /tmp/bench-tshark.time "$@" > /dev/null 2>/tmp/bench-tshark.err
        read -r w m < /tmp/bench-tshark.time
        walls+=("$w"); (( m > rss )) && rss=$m
    done
    local median
    median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-8s median wall %6.3f s  peak RSS %7.1f MB  (%s runs)\n' "$label" "$median" "$(echo "$rss/1024" | bc -l)" "$runs"
    echo "$median $rss" > "/tmp/bench-tshark.$label"
}

compare() { # erldist label, tshark label
    read -r ew er < "/tmp/bench-tshark.$1"
    read -r tw tr < "/tmp/bench-tshark.$2"
    echo "tshark/$1: wall $(echo "scale=1; $tw/$ew" | bc -l)x, peak memory $(echo "scale=1; $tr/$er" | bc -l)x"
}

frames=$("$erldist" decode --json --cookie corpuscookie "$dir/dist_full.streams.txt" | grep -c '"type":' || true)
echo "input: $dir/dist_full.pcap ($(stat -c %s "$dir/dist_full.pcap") bytes), $(tshark -r "$dir/dist_full.pcap" 2>/dev/null | wc -l) packets; erldist decodes $frames frames"
measure erldist "$erldist" decode --json --cookie corpuscookie "$dir/dist_full.streams.txt"
measure pcap "$erldist" decode --json --epmd-port 4399 --cookie corpuscookie "$dir/dist_full.pcap"
measure tshark tshark -r "$dir/dist_full.pcap" -d tcp.port==4399,epmd -d tcp.port==45001-45005,erldp -V
compare erldist tshark
compare pcap tshark

big_mb="${BIG_MB:-50}"
if [ "$big_mb" != 0 ]; then
    big=target/big-${big_mb}mb.pcap
    [ -f "$big" ] || scripts/make-big-capture.sh "$big" "$big_mb"
    big_runs="${BIG_RUNS:-3}"
    frames=$("$erldist" decode --json --epmd-port 4399 --cookie corpuscookie "$big" | grep -c '"type":' || true)
    echo "input: $big ($(stat -c %s "$big") bytes); erldist decodes $frames frames"
    runs=$big_runs measure bigpcap "$erldist" decode --json --epmd-port 4399 --cookie corpuscookie "$big"
    runs=$big_runs measure bigtshark tshark -r "$big" -d tcp.port==4399,epmd -d tcp.port==45001-45005,erldp -V
    compare bigpcap bigtshark
fi
