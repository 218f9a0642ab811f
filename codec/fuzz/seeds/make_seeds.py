#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora in this directory (see README.md).

Usage: python3 codec/fuzz/seeds/make_seeds.py [/work/shared/corpus]
Real vectors are copied from the shared corpus capture (OTP 25.2.3); the rest
are hand-written from SPEC.md section 1/2 examples.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus"


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- epmd_decode: real frames (one per direction run of each TCP stream) ----
seen = set()
for cap in ("epmd_strict", "epmd_relaxed"):
    stream = None
    with open(os.path.join(CORPUS, cap + ".streams.txt")) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"=== stream (\d+)", line)
        if m:
            stream = m.group(1)
        m = re.match(r"run (\d+) .*(client->server|server->client)", line)
        if m and i + 1 < len(lines):
            h = lines[i + 1].strip()
            if h in seen or not re.fullmatch(r"[0-9a-f]+", h):
                continue
            seen.add(h)
            kind = "req" if m.group(2) == "client->server" else "reply"
            write("epmd_decode", f"{cap}-s{stream}-r{m.group(1)}-{kind}", bytes.fromhex(h))

# ---- epmd_decode: SPEC.md examples for frames the captures do not hold ----
spec = {
    "spec-alive2-req-foo-extra": "00 12 78 15 b3 4d 00 00 06 00 06 00 03 66 6f 6f 00 02 78 79",
    "spec-port2-resp-foo-extra": "77 00 15 b3 4d 00 00 06 00 06 00 03 66 6f 6f 00 02 78 79",
    "spec-port2-resp-miss": "77 01",
    "spec-alive2-resp-v5": "79 00 00 01",
    "spec-alive2-resp-error": "79 01 00 63",
    "spec-alive2-x-resp-error": "76 01 00 00 00 63",
    "spec-names-resp-two": "00 00 38 21" + " ".join(f"{b:02x}" for b in b"name bar at port 6666\nname foo at port 5555\n"),
    "spec-dump-req": "00 01 64",
    "spec-dump-resp": "00 00 11 11" + " ".join(f"{b:02x}" for b in
        b"active name     <b> at port 45002, fd = 5\n\0old/unused name <a>, port = 45001, fd = 7 \n\0"),
    "spec-kill-resp-no": "4e 4f",
    "spec-port-please2-nul": "00 05 7a 66 6f 6f 00",
    "spec-two-names-reqs": "00 01 6e 00 01 6e",
}
for name, h in spec.items():
    write("epmd_decode", name, bytes.fromhex(h.replace(" ", "")))

# ---- epmd_log: shortened real log excerpts + the SPEC.md 2.6 transcript ----
def excerpt(cap, start, end):
    with open(os.path.join(CORPUS, cap + ".epmd_debug.log"), "rb") as f:
        lines = f.read().split(b"\n")
    return b"\n".join(lines[start - 1:end]) + b"\n"

write("epmd_log", "epmd_strict-lines-1-52", excerpt("epmd_strict", 1, 52))
write("epmd_log", "epmd_relaxed-lines-60-146", excerpt("epmd_relaxed", 60, 146))
write("epmd_log", "spec-split-read",
      "epmd: Tue Nov 24 13:40:47 2026: opening connection on file descriptor 5\r\n"
      "epmd: Tue Nov 24 13:40:47 2026: got 4 bytes\r\n"
      "***** 00000000  00 04 7a 66                                       |..zf|\r\n"
      "epmd: Tue Nov 24 13:40:47 2026: got 2 bytes\r\n"
      "***** 00000000  00 04                                             |..|\r\n"
      "epmd: Tue Nov 24 13:40:47 2026: ** got PORT2_REQ\r\n")

# ---- hex_input: hex text in the spellings users paste ----
hexes = {
    "names-req-spaced": "00 01 6e",
    "alive2-req-compact": "0011782522" "4d00000600050004" "6e6f6465" "0000",
    "c-array": "0x00, 0x11, 0x78, 0x25,\n0x22, 0x4d",
    "multi-line-crlf": "77 00 15 b3 4d 00\r\n00 06 00 06 00 03\r\n66 6f 6f 00 02 78 79\r\n",
    "short-prefixed": "0x0 0x11 0x7825",
    "odd-digit-error": "00 1 78",
    "bad-digit-error": "00 11\n78 2g",
}
with open(os.path.join(CORPUS, "epmd_strict.payloads.txt")) as f:
    payload_lines = [l.strip() for l in f if re.fullmatch(r"[0-9a-f]+\n?", l)]
hexes["epmd_strict-payload-names-line"] = next(l for l in payload_lines if l.startswith("6e616d65"))
hexes["epmd_strict-payload-alive2-req"] = next(l for l in payload_lines if l.startswith("000e78"))
for name, text in hexes.items():
    write("hex_input", name, text)
