#!/usr/bin/env bash
# Regenerates the text-input vectors of this directory from real bytes (see
# README.md): runs the tools on two runs of ../dist/dist_hidden.streams.txt
# and on ../dist/dist_hidden.pcap, and writes MANIFEST.tsv.
# Needs: xxd, bsdextrautils (hexdump), coreutils (od, base64), erlang-base
# (erl), nodejs, python3, tshark, tcpdump.
set -euo pipefail
cd "$(dirname "$0")"
runs=../dist/dist_hidden.streams.txt
pcap=../dist/dist_hidden.pcap
alive=$(awk '/^run /{getline; print; exit}' "$runs")
big=$(awk '/ len=114 /{getline; print; exit}' "$runs")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s' "$alive" | xxd -r -p >"$tmp/alive.bin"
printf '%s' "$big" | xxd -r -p >"$tmp/big.bin"

xxd "$tmp/alive.bin" >alive2.xxd.txt
xxd -p "$tmp/big.bin" >frame114.xxd-p.txt
hexdump -C "$tmp/big.bin" >frame114.hexdump-C.txt
hexdump "$tmp/big.bin" >frame114.hexdump.txt
od -A x -t x1z "$tmp/big.bin" >frame114.od-x1z.txt
od "$tmp/big.bin" >frame114.od.txt
base64 "$tmp/big.bin" >frame114.base64.txt
erl -noshell -eval "{ok, B} = file:read_file(\"$tmp/big.bin\"), io:format(\"~w~n\", [B]), halt()." >frame114.erl-w.txt
erl -noshell -eval "{ok, B} = file:read_file(\"$tmp/big.bin\"), io:format(\"~p~n\", [B]), halt()." >frame114.erl-p.txt
node -e "console.log(Buffer.from('$big', 'hex'))" >frame114.node.txt
node -e "console.log(new Uint8Array(Buffer.from('$alive', 'hex')))" >alive2.node-uint8array.txt
python3 -c "print(bytes.fromhex('$big'))" >frame114.python.txt
tshark -r "$pcap" -x -c 5 2>/dev/null >dist_hidden-c5.tshark-x.txt
tcpdump -r "$pcap" -X -c 6 2>/dev/null >dist_hidden-c6.tcpdump-X.txt
tcpdump -r "$pcap" -n -xx -c 6 2>/dev/null >dist_hidden-c6.tcpdump-xx.txt

{
    printf '# file\tformat\texpected (hex | hex+missing=N | frames:TYPE,...)\tnotes allowed (substrings, |-separated)\n'
    printf 'alive2.xxd.txt\txxd\t%s\t\n' "$alive"
    printf 'frame114.xxd-p.txt\txxd-plain\t%s\t\n' "$big"
    printf 'frame114.hexdump-C.txt\thexdump-c\t%s\t\n' "$big"
    printf 'frame114.hexdump.txt\thexdump\t%s\tmulti-byte words\n' "$big"
    printf 'frame114.od-x1z.txt\tod\t%s\t\n' "$big"
    printf 'frame114.od.txt\tod\t%s\tmulti-byte words\n' "$big"
    printf 'frame114.base64.txt\tbase64\t%s\t\n' "$big"
    printf 'frame114.erl-w.txt\terlang-binary\t%s\t\n' "$big"
    printf 'frame114.erl-p.txt\terlang-binary\t%s\t\n' "$big"
    printf 'frame114.node.txt\tnode-buffer\t%s+missing=64\t\n' "${big:0:100}"
    printf 'alive2.node-uint8array.txt\tjs-array\t%s\t\n' "$alive"
    printf 'frame114.python.txt\tpython-bytes\t%s\t\n' "$big"
    printf 'alive2.iex.txt\telixir-binary\t%s\t\n' "$alive"
    printf 'dist_hidden-c5.tshark-x.txt\ttshark-x\tframes:ALIVE2_REQ\t\n'
    printf 'dist_hidden-c6.tcpdump-X.txt\ttcpdump-x\tframes:ALIVE2_REQ,ALIVE2_X_RESP\t\n'
    printf 'dist_hidden-c6.tcpdump-xx.txt\ttcpdump-xx\tframes:ALIVE2_REQ,ALIVE2_X_RESP\t\n'
} >MANIFEST.tsv
