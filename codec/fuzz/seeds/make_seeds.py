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

# ---- etf_decode: every term_to_binary output of tests/vectors/terms.tsv ----
# (real OTP 25 output; all five hex columns, those of at most 4 KiB, one file
# per distinct byte string) plus hand-written terms for the tags OTP 25's
# term_to_binary no longer writes.
TERMS = os.path.join(HERE, "..", "..", "tests", "vectors", "terms.tsv")
COLS = ["default", "minor0", "minor2", "compressed", "deterministic"]
etf_seen = set()
with open(TERMS) as f:
    for line in f.read().splitlines():
        if line.startswith("#term_w") or line.startswith("#generated"):
            continue
        cells = line.split("\t")
        term_id = cells[6]
        for col, h in zip(COLS, cells[1:6]):
            b = bytes.fromhex(h)
            if len(b) > 4096 or b in etf_seen:
                continue
            etf_seen.add(b)
            write("etf_decode", f"terms-{int(term_id):03d}-{col}", b)

NODE = "77 0d" + b"nonode@nohost".hex()  # SMALL_ATOM_UTF8_EXT 'nonode@nohost'
etf_hand = {
    # ATOM_CACHE_REF (only inside distribution messages; the target resolves
    # indexes 0..3 through an atom_refs table)
    "hand-cache-refs": "83 68 03 52 00 52 02 52 09",
    # LOCAL_EXT around an atom
    "hand-local-ext": "83 79 01 02 03 04 77 01 61",
    # deprecated Latin-1 atoms (ATOM_EXT, SMALL_ATOM_EXT with a byte > 127)
    "hand-atom-ext": "83 68 02 64 00 03 61 62 63 73 02 e9 74",
    # PID_EXT, PORT_EXT, V4_PORT_EXT, REFERENCE_EXT, NEW_REFERENCE_EXT (8-bit creations)
    "hand-old-pid": "83 67" + NODE + "00 00 00 51 00 00 00 00 02",
    "hand-old-port": "83 66" + NODE + "00 00 00 07 01",
    "hand-v4-port": "83 78" + NODE + "00 00 00 01 00 00 00 02 00 00 00 03",
    "hand-old-ref": "83 65" + NODE + "00 00 00 2a 01",
    "hand-new-ref": "83 72 00 03" + NODE + "02 00 00 00 01 00 00 00 02 00 00 00 03",
    # FUN_EXT (pre-R8): 1 free variable
    "hand-old-fun": "83 75 00 00 00 01 58" + NODE + "00 00 00 51 00 00 00 00 00 00 00 01"
                    "77 01 6d 61 00 61 07 68 00",
    # FLOAT_EXT 1.5 written as %.20e
    "hand-old-float": "83 63" + b"1.50000000000000000000e+00".ljust(31, b"\0").hex(),
    # a nested improper list, a map inside a tuple, a bitstring
    "hand-improper": "83 6c 00 00 00 02 61 01 6c 00 00 00 01 61 02 61 03 61 04",
    "hand-map-in-tuple": "83 68 01 74 00 00 00 01 77 01 6b 6a",
    "hand-bitstring": "83 4d 00 00 00 02 03 ff e0",
    # [[[...]]] 12 deep: over the target's small depth limit (8)
    "hand-deep-12": "83" + "6c 00 00 00 01" * 12 + "6a" * 13,
    # a bare term (no 131): what decode_term reads inside a message
    "hand-bare-tuple": "68 02 77 02 6f 6b 61 01",
}
for name, h in etf_hand.items():
    write("etf_decode", name, bytes.fromhex(h.replace(" ", "")))


# ---- session: whole real conversations (the repo's copies of the captures) ----
# Format of the target: mode byte, then chunks `len:u8 side:u8 bytes`.
DIST = os.path.join(HERE, "..", "..", "tests", "vectors", "dist")


def conversations(path):
    convs, cur, side = [], None, None
    with open(path) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"=== stream (\d+)", line)
        if m:
            cur = (m.group(1), [])
            convs.append(cur)
        m = re.match(r"run (\d+) .*(client->server|server->client)", line)
        if m and cur is not None and i + 1 < len(lines):
            h = lines[i + 1].strip()
            cur[1].append((0 if m.group(2) == "client->server" else 1, bytes.fromhex(h)))
    return convs


for cap in ("dist_hidden", "dist_wrong_cookie", "dist_v5_name"):
    for stream, runs in conversations(os.path.join(DIST, cap + ".streams.txt")):
        out = bytearray([4])  # auto-detect, cookie given
        for side, data in runs:
            for k in range(0, len(data), 255):
                piece = data[k:k + 255]
                out += bytes([len(piece), side]) + piece
        if len(out) < 8192:
            write("session", f"{cap}-s{stream}", bytes(out))


# ---- handshake_decode / dist_frame: real frames of the same conversations ----
for cap in ("dist_hidden", "dist_wrong_cookie", "dist_v5_name", "dist_rawclient"):
    for stream, runs in conversations(os.path.join(DIST, cap + ".streams.txt")):
        # Per side: handshake frames (2-byte length) until r / a, then the rest.
        for side in (0, 1):
            data = b"".join(d for s, d in runs if s == side)
            if not data or data[:3] in (b"\x00\x0e\x78",) or len(data) < 3:
                continue
            if data[2:3] not in (b"N", b"n", b"s"):
                continue
            pos, k, last = 0, 0, (b"r" if side == 0 else b"a")
            while pos + 3 <= len(data):
                n = 2 + int.from_bytes(data[pos:pos + 2], "big")
                frame = data[pos:pos + n]
                write("handshake_decode", f"{cap}-s{stream}-{side}-{k}", frame)
                k += 1
                pos += n
                if frame[2:3] == last:
                    break
            rest = data[pos:]
            if rest:
                write("dist_frame", f"{cap}-s{stream}-{side}", rest[:16384])


# ---- epmd_server: scripts (see fuzz_targets/epmd_server.rs) ----
# mode byte, then ops: 0x08 open local, 0x00 open remote, 0x03 c len req
# (framed with its right length), 0x01 c len raw, 0x05 c peer closes,
# 0x06 tick.
def framed(conn, req):
    return bytes([0x03, conn, len(req)]) + req


def alive2(name, port=4711, high=6):
    n = name.encode()
    return (bytes([0x78]) + port.to_bytes(2, "big") + bytes([0x4D, 0])
            + high.to_bytes(2, "big") + (5).to_bytes(2, "big")
            + len(n).to_bytes(2, "big") + n + b"\0\0")


def port_please(name):
    return b"\x7a" + name.encode()


server = {
    # b registers; another connection asks NAMES, PORT_PLEASE2 b, DUMP;
    # b's peer closes; b registers again (creation + 1).
    "register-names-lookup-dump": b"\x00" + b"\x08" + framed(0, alive2("b"))
        + b"\x08" + framed(1, b"\x6e") + b"\x08" + framed(2, port_please("b"))
        + b"\x08" + framed(3, b"\x64") + b"\x05\x00"
        + b"\x08" + framed(4, alive2("b", 4712, 5)),
    # Relaxed: STOP b, STOP nosuch, KILL.
    "relaxed-stop-kill": b"\x01" + b"\x08" + framed(0, alive2("b"))
        + b"\x08" + framed(1, b"\x73b") + b"\x08" + framed(2, b"\x73nosuch")
        + b"\x08" + framed(3, b"\x6b") + b"\x08",
    # Strict KILL while registered (NO); a remote ALIVE2 and DUMP (refused).
    "strict-kill-remote": b"\x00" + b"\x08" + framed(0, alive2("a"))
        + b"\x08" + framed(1, b"\x6b") + b"\x00" + framed(2, alive2("r"))
        + b"\x00" + framed(3, b"\x64"),
    # Split reads, pipelined requests, bytes on an ALIVE socket, a timeout.
    "split-pipelined-timeout": b"\x0c" + b"\x08" + b"\x0b\x00\x01\x6e"
        + b"\x08" + b"\x01\x01\x06\x00\x01\x6e\x00\x01\x6e"
        + b"\x08" + framed(2, alive2("c")) + b"\x01\x02\x01\x00"
        + b"\x08" + b"\x01\x03\x01\x00" + b"\xf6\xf6\xf6",
    # The unused list full (debug size 5): names take over slots.
    "unused-slots": b"\x02" + b"".join(
        b"\x08" + framed(i, alive2(f"n{i}")) + bytes([0x05, i]) for i in range(8)),
}
for name, data in server.items():
    write("epmd_server", name, data)


# ---- live_client: scripts (see fuzz_targets/live_client.rs) ----
# mode byte (bits 0-1 epmd request, 2 alive-only peer, 3 real handshake,
# 4 wrong cookie), then ops: 0x00 len bytes to epmd, 0x03 epmd closes,
# 0x05 len bytes to the node, 0x08 node closes, 0x0a dt timeout,
# 0x0c len rpc text, 0x0d a b send_reg, 0x0e k len reply term.
def chunk(op, data):
    return bytes([op, len(data)]) + data


def rpc(text):
    return chunk(0x0C, text.encode())


def reply(k, text):
    return bytes([0x0E, k, len(text)]) + text.encode()


live = {
    "names-connected-rpc-reply": b"\x28" + chunk(0x00, b"\x00\x00\x11\x11")
        + chunk(0x00, b"name b at port 40000\n") + b"\x03"
        + rpc("erlang:node()") + reply(1, "'b@127.0.0.1'")
        + rpc("lists:seq(1, 3)") + chunk(0x05, b"\x00\x00\x00\x00")
        + b"\x0a\x14" + reply(2, "[1,2,3]") + b"\x0d\x04\x05echo{a,1}" + b"\x09",
    "alive2-x-resp-alive-only-peer": b"\x0e" + chunk(0x00, b"\x76\x00\x00\x00\x00\x05")
        + rpc("erlang:system_info(otp_release)") + reply(1, '"25"') + b"\x08",
    "port-please-v5-resp": b"\x09" + chunk(0x00, b"\x77\x00\x9c\x40\x4d\x00\x00\x06\x00\x05\x00\x01b\x00\x00")
        + b"\x03" + rpc("bad(") + reply(9, "{badrpc,nodedown}"),
    "wrong-cookie": b"\x38" + chunk(0x00, b"\x79\x00\x00\x01") + rpc("erlang:node()") + b"\x08",
    "raw-handshake-bytes": b"\x03" + chunk(0x05, b"\x00\x03sok")
        + chunk(0x05, b"\x00\x1bN\x00\x00\x00\x0d\x07\xdf\x7f\xbd\x12\x34\x56\x78\x00\x00\x00\x01\x00\x0bb@127.0.0.1")
        + b"\x0a\xff" + chunk(0x00, b"\x00\x00") + b"\x04",
}
for name, data in live.items():
    write("live_client", name, data)

# ---- builder: forms (see fuzz_targets/builder.rs): type byte, then one
# selector per field (0 absent, 1 default, 2 example, 3 number, 4 hex,
# 5 choice, else text), then the bytes received. ----
for t in range(48):
    write("builder", f"defaults-{t}", bytes([t]) + b"\x01" * 24)
    write("builder", f"examples-{t}", bytes([t]) + b"\x02" * 24 + b"\x00\x01\x6e")
write("builder", "alive2-nlen-override", b"\x00\x01\x01\x01\x01\x01\x01\x01\x09\x011\x01\x01\x01")
