#!/usr/bin/env bash
# Builds a large capture of real-shaped traffic for the tshark comparison
# (scripts/bench-tshark.sh) WITHOUT committing it: the real dist_full
# capture (tests/vectors/dist/dist_full.pcap: OTP 25.2.3 nodes a and b, the
# epmd registrations and look-ups, the v6 handshake, 126 connected-phase
# frames with 100 000- and 300 000-byte fragmented messages, ticks) replayed
# back to back until the file reaches the target size.
#
#   scripts/make-big-capture.sh [OUT] [MEGABYTES]     (default: target/big.pcap, 50)
#
# Copy k (k = 0, 1, ...) is the original with
#   * addresses moved: IPv4 127.0.0.1 -> 127.(k / 250).(k % 250 + 1).1,
#     IPv6 ::1 -> ::(k + 1):1, so each copy's connections are new 4-tuples
#     (ports are kept: epmd on 4399, nodes on 45001-45005, so epmd port
#     configuration and node-port learning work as in the original);
#   * sequence and acknowledgment numbers shifted by k * 0x01000193 (mod 2^32,
#     so some copies wrap around);
#   * timestamps shifted by k * (the capture's duration + 1 s).
# Checksums are not recomputed (neither erldist nor tshark checks them by
# default). Every copy decodes to the same frames as the original.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/big.pcap}"
mb="${2:-50}"
mkdir -p "$(dirname "$out")"
python3 - "codec/tests/vectors/dist/dist_full.pcap" "$out" "$mb" <<'PY'
import struct, sys
src, out, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = open(src, 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
assert magic == 0xa1b2c3d4, "expects a little-endian microsecond pcap"
link = struct.unpack('<I', data[20:24])[0]
assert link == 1, "expects Ethernet"
packets = []
pos = 24
while pos + 16 <= len(data):
    sec, usec, cap, orig = struct.unpack('<IIII', data[pos:pos + 16])
    packets.append((sec, usec, orig, data[pos + 16:pos + 16 + cap]))
    pos += 16 + cap
duration = packets[-1][0] - packets[0][0] + 1
target = int(mb * 1024 * 1024)
with open(out, 'wb') as f:
    f.write(data[:24])
    size, k = 24, 0
    while size < target:
        shift = (k * 0x01000193) & 0xffffffff
        for sec, usec, orig, p in packets:
            p = bytearray(p)
            et = p[12:14]
            tcp = None
            if et == b'\x08\x00':
                a = bytes([127, k // 250, k % 250 + 1, 1])
                p[26:30] = a
                p[30:34] = a
                if p[23] == 6:
                    tcp = 14 + (p[14] & 0x0f) * 4
            elif et == b'\x86\xdd':
                a = bytes(12) + struct.pack('>HH', k + 1, 1)
                p[22:38] = a
                p[38:54] = a
                if p[20] == 6:
                    tcp = 54
            if tcp is not None:
                seq, ack = struct.unpack('>II', p[tcp + 4:tcp + 12])
                p[tcp + 4:tcp + 12] = struct.pack('>II', (seq + shift) & 0xffffffff, (ack + shift) & 0xffffffff)
            rec = struct.pack('<IIII', sec + k * duration, usec, len(p), orig) + bytes(p)
            f.write(rec)
            size += len(rec)
        k += 1
print(f"{out}: {size} bytes, {k} copies of {src} ({len(packets)} packets each, {k * len(packets)} packets)")
PY
