#!/usr/bin/env bash
# Whole-capture decode: `erldist decode` against Wireshark's dissectors
# (`tshark -V`) on the same real capture, measured the same way: whole
# process wall time (median of N runs) and peak RSS (/usr/bin/time -f %M).
#
#   scripts/bench-tshark.sh [RUNS]
#
# Input: the largest corpus capture, dist_full (OTP 25.2.3 nodes a and b,
# tests/vectors/dist). tshark reads the pcap with the epmd and erldp
# dissectors forced on the capture's ports (as the corpus's own decode was
# made); erldist reads the same TCP payloads as the capture's per-stream
# runs listing (pcap import arrives with the input-formats issue) and prints
# the full JSON report (every span of every frame).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
dir=codec/tests/vectors/dist
command -v tshark >/dev/null || { echo "bench-tshark.sh: needs tshark (apt-get install tshark)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-tshark.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
cargo build --release -q -p erldist-cli
erldist=target/release/erldist

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

frames=$("$erldist" decode --json --cookie corpuscookie "$dir/dist_full.streams.txt" | grep -c '"type":' || true)
echo "input: $dir/dist_full.pcap ($(stat -c %s "$dir/dist_full.pcap") bytes), $(tshark -r "$dir/dist_full.pcap" 2>/dev/null | wc -l) packets; erldist decodes $frames frames"
measure erldist "$erldist" decode --json --cookie corpuscookie "$dir/dist_full.streams.txt"
measure tshark tshark -r "$dir/dist_full.pcap" -d tcp.port==4399,epmd -d tcp.port==45001-45005,erldp -V
read -r ew er < /tmp/bench-tshark.erldist
read -r tw tr < /tmp/bench-tshark.tshark
echo "tshark/erldist: wall $(echo "scale=1; $tw/$ew" | bc -l)x, peak memory $(echo "scale=1; $tr/$er" | bc -l)x"
