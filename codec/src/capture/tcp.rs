//! TCP reassembly of one direction of a connection: segments in, the byte
//! stream out, in order.
//!
//! Sequence numbers are unwrapped into 64-bit stream positions (position 0 is
//! the byte after the SYN, or the first byte seen when the SYN was not
//! captured), so a connection may wrap around 2^32. Segments that arrive
//! early are kept until the bytes before them come; retransmissions are
//! dropped and overlaps trimmed (both counted). When bytes never come (the
//! capture missed them) a [`Piece::Gap`] says how many, and the stream goes
//! on after it: when the peer acknowledges data past the hole, when more
//! than [`MAX_PENDING`] bytes wait behind it, at a FIN or RST, or at the end
//! of the capture.

use std::collections::BTreeMap;

/// Out-of-order bytes kept per direction before a hole is declared a gap.
pub const MAX_PENDING: usize = 8 << 20;

/// What reassembly hands on, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// The next bytes of the stream, starting at `at`.
    Data {
        /// Stream position of the first byte.
        at: u64,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// Bytes that were never captured.
    Gap {
        /// Stream position of the first missing byte.
        at: u64,
        /// How many bytes are missing.
        len: u64,
    },
    /// The sender closed its direction (FIN, or RST).
    End {
        /// True for a RST.
        reset: bool,
    },
}

/// What happened to one direction's segments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Segments carrying payload.
    pub segments: u64,
    /// Payload bytes delivered in order.
    pub bytes: u64,
    /// Segments wholly seen before (dropped).
    pub retransmitted: u64,
    /// Their bytes.
    pub retransmitted_bytes: u64,
    /// Bytes of partly new segments that had been seen before (trimmed).
    pub overlap_bytes: u64,
    /// Segments that came before the bytes preceding them (put back in order).
    pub out_of_order: u64,
    /// Holes never filled.
    pub gaps: u64,
    /// Bytes in them.
    pub gap_bytes: u64,
}

/// One direction of a TCP connection. See the [module docs](self).
#[derive(Debug, Default)]
pub struct Reassembler {
    /// (sequence number, stream position) of a known byte, once started.
    origin: Option<(u32, u64)>,
    /// The initial sequence number, when the SYN was seen.
    isn: Option<u32>,
    /// Stream position of the next byte to deliver.
    next: u64,
    /// Stream position of the FIN, once seen.
    fin: Option<u64>,
    ended: bool,
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// Counters.
    pub stats: Stats,
}

impl Reassembler {
    /// A direction that has seen nothing.
    pub fn new() -> Reassembler {
        Reassembler::default()
    }

    /// The SYN's sequence number, if the SYN was seen.
    pub fn isn(&self) -> Option<u32> {
        self.isn
    }

    /// True once a FIN was delivered in order, or a RST seen.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Stream position of the next byte to be delivered.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Bytes waiting for a hole to be filled.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Stream position of sequence number `seq` (negative: before the start).
    fn pos_of(&self, seq: u32) -> i128 {
        let (s0, p0) = self.origin.unwrap_or((seq, 0));
        // The sequence number expected next, then the signed distance to it.
        let next_low = self.next.wrapping_sub(p0) & 0xffff_ffff;
        let expected = s0.wrapping_add(u32::try_from(next_low).unwrap_or(0));
        let diff = i32::from_ne_bytes(seq.wrapping_sub(expected).to_ne_bytes());
        i128::from(self.next) + i128::from(diff)
    }

    /// One segment of this direction: `seq`, SYN/FIN/RST, the payload.
    /// Calls `out` with what it makes deliverable, in order.
    pub fn segment<'p>(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        rst: bool,
        payload: &'p [u8],
        out: &mut dyn FnMut(Piece<'_>),
    ) {
        if self.ended {
            if !payload.is_empty() {
                self.stats.segments += 1;
                self.stats.retransmitted += 1;
                self.stats.retransmitted_bytes += len64(payload);
            }
            return;
        }
        let mut seq = seq;
        if syn {
            if self.origin.is_none() {
                self.isn = Some(seq);
                self.origin = Some((seq.wrapping_add(1), 0));
            }
            seq = seq.wrapping_add(1);
        } else if self.origin.is_none() {
            // No SYN seen: the first byte seen is position 0.
            self.origin = Some((seq, 0));
        }
        let p = self.pos_of(seq);
        let n = payload.len();
        if n > 0 {
            self.stats.segments += 1;
        }
        let end = p + i128::from(len64(payload));
        if fin {
            if let Ok(f) = u64::try_from(end) {
                self.fin.get_or_insert(f);
            }
        }
        if n > 0 {
            let next = i128::from(self.next);
            if end <= next {
                self.stats.retransmitted += 1;
                self.stats.retransmitted_bytes += len64(payload);
            } else if p <= next {
                let skip = usize::try_from(next - p).unwrap_or(0);
                self.stats.overlap_bytes += u64::try_from(skip).unwrap_or(0);
                self.deliver(payload.get(skip..).unwrap_or(&[]), out);
                self.drain(out);
            } else if let Ok(at) = u64::try_from(p) {
                self.stats.out_of_order += 1;
                match self.pending.get_mut(&at) {
                    Some(old) if old.len() >= n => {
                        self.stats.retransmitted += 1;
                        self.stats.retransmitted_bytes += len64(payload);
                    }
                    Some(old) => {
                        self.pending_bytes += n - old.len();
                        *old = payload.to_vec();
                    }
                    None => {
                        self.pending_bytes += n;
                        self.pending.insert(at, payload.to_vec());
                    }
                }
                if self.pending_bytes > MAX_PENDING {
                    self.skip_hole(out);
                }
            }
        }
        if rst {
            self.close(true, out);
        } else {
            self.check_fin(out);
        }
    }

    /// The peer acknowledged `ack`: a hole before acknowledged data will not
    /// be filled (the receiver has those bytes; the capture does not).
    pub fn acked(&mut self, ack: u32, out: &mut dyn FnMut(Piece<'_>)) {
        if self.origin.is_none() || self.ended {
            return;
        }
        let a = self.pos_of(ack);
        while let Some((&first, _)) = self.pending.first_key_value() {
            if i128::from(first) > a || first <= self.next {
                break;
            }
            self.skip_hole(out);
        }
        self.check_fin(out);
    }

    /// The capture ended (or the connection was reset): every hole is a gap.
    pub fn finish(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        while !self.pending.is_empty() {
            self.skip_hole(out);
        }
        if let Some(f) = self.fin {
            if f > self.next && !self.ended {
                self.gap(f - self.next, out);
            }
        }
        self.check_fin(out);
    }

    fn close(&mut self, reset: bool, out: &mut dyn FnMut(Piece<'_>)) {
        if self.ended {
            return;
        }
        while !self.pending.is_empty() {
            self.skip_hole(out);
        }
        self.ended = true;
        out(Piece::End { reset });
    }

    fn check_fin(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if !self.ended && self.fin.is_some_and(|f| self.next >= f) {
            self.ended = true;
            out(Piece::End { reset: false });
        }
    }

    fn gap(&mut self, len: u64, out: &mut dyn FnMut(Piece<'_>)) {
        self.stats.gaps += 1;
        self.stats.gap_bytes += len;
        out(Piece::Gap { at: self.next, len });
        self.next += len;
    }

    /// Declares the first hole a gap and delivers what follows it.
    fn skip_hole(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        if let Some((&first, _)) = self.pending.first_key_value() {
            if first > self.next {
                self.gap(first - self.next, out);
            }
        }
        self.drain(out);
    }

    fn deliver(&mut self, bytes: &[u8], out: &mut dyn FnMut(Piece<'_>)) {
        if bytes.is_empty() {
            return;
        }
        out(Piece::Data {
            at: self.next,
            bytes,
        });
        self.next += len64(bytes);
        self.stats.bytes += len64(bytes);
    }

    /// Delivers buffered segments that now follow on.
    fn drain(&mut self, out: &mut dyn FnMut(Piece<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            let at = *entry.key();
            if at > self.next {
                break;
            }
            let data = entry.remove();
            self.pending_bytes = self.pending_bytes.saturating_sub(data.len());
            let end = at + len64(&data);
            if end <= self.next {
                self.stats.retransmitted += 1;
                self.stats.retransmitted_bytes += len64(&data);
                continue;
            }
            let skip = usize::try_from(self.next - at).unwrap_or(0);
            self.stats.overlap_bytes += self.next - at;
            self.deliver(data.get(skip..).unwrap_or(&[]), out);
        }
    }
}

fn len64(b: &[u8]) -> u64 {
    u64::try_from(b.len()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs segments (seq, syn, fin, payload) and returns the stream with
    /// gaps as `?` bytes, and whether it ended.
    fn run(segs: &[(u32, bool, bool, &[u8])]) -> (Vec<u8>, bool, Stats) {
        let mut r = Reassembler::new();
        let mut out = Vec::new();
        let mut ended = false;
        let mut f = |p: Piece<'_>| match p {
            Piece::Data { at, bytes } => {
                assert_eq!(at, out.len() as u64);
                out.extend_from_slice(bytes)
            }
            Piece::Gap { len, .. } => {
                out.extend(std::iter::repeat_n(b'?', usize::try_from(len).unwrap()))
            }
            Piece::End { .. } => ended = true,
        };
        for &(seq, syn, fin, payload) in segs {
            r.segment(seq, syn, fin, false, payload, &mut f);
        }
        r.finish(&mut f);
        (out, ended, r.stats)
    }

    #[test]
    fn in_order_out_of_order_retransmission_overlap() {
        let (s, ended, st) = run(&[
            (100, true, false, b""),
            (101, false, false, b"abc"),
            (107, false, false, b"ghi"),
            (104, false, false, b"def"),
            (101, false, false, b"abc"),
            (105, false, false, b"efghij"),
            (111, false, true, b""),
        ]);
        assert_eq!(s, b"abcdefghij");
        assert!(ended);
        assert_eq!(st.out_of_order, 1);
        assert_eq!(st.retransmitted, 1);
        assert_eq!(st.overlap_bytes, 5);
    }

    #[test]
    fn wrap_around() {
        let isn = u32::MAX - 2;
        let (s, ended, _) = run(&[
            (isn, true, false, b""),
            (isn.wrapping_add(5), false, false, b"efg"),
            (isn.wrapping_add(1), false, false, b"abcd"),
            (isn.wrapping_add(8), false, true, b"h"),
        ]);
        assert_eq!(s, b"abcdefgh");
        assert!(ended);
    }

    #[test]
    fn gaps_at_the_end_and_when_acked() {
        let (s, ended, st) = run(&[(0, false, false, b"ab"), (5, false, true, b"fg")]);
        assert_eq!(s, b"ab???fg");
        assert!(ended);
        assert_eq!((st.gaps, st.gap_bytes), (1, 3));
        let mut r = Reassembler::new();
        let mut got = Vec::new();
        let mut f = |p: Piece<'_>| got.push(format!("{p:?}"));
        r.segment(10, false, false, false, b"ab", &mut f);
        r.segment(15, false, false, false, b"fg", &mut f);
        r.acked(14, &mut f); // acknowledges up to before the buffered data: wait
        r.acked(17, &mut f);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[1].contains("Gap { at: 2, len: 3 }"), "{got:?}");
    }
}
