//! The packets of a capture file, pcap or pcapng, read with `pcap-parser`
//! straight from the input slice (no copy of the file).
//!
//! * pcap: both byte orders, microsecond and nanosecond timestamps
//!   (magic `a1b2c3d4` / `a1b23c4d`, either way round);
//! * pcapng: section header, interface description, enhanced and simple
//!   packet blocks, any number of interfaces with different link types and
//!   timestamp resolutions, several sections; other blocks are skipped.
//!
//! [`Packets`] yields each packet with its number (1-based, as Wireshark's
//! `frame.number`), link type, time and bytes. A damaged or cut-short file
//! ends the iteration with one error saying where.

use super::net::LinkType;
use crate::reader::DecodeError;
use pcap_parser::nom;
use pcap_parser::pcapng::{self, Block};
use pcap_parser::{pcap, PcapError};

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap (`.pcap`).
    Pcap,
    /// pcapng (`.pcapng`).
    PcapNg,
}

impl CaptureFormat {
    /// `pcap` / `pcapng`.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::PcapNg => "pcapng",
        }
    }
}

/// Which capture format the bytes start with, by magic number.
pub fn detect(data: &[u8]) -> Option<CaptureFormat> {
    match data {
        [0xd4, 0xc3, 0xb2, 0xa1, ..]
        | [0xa1, 0xb2, 0xc3, 0xd4, ..]
        | [0x4d, 0x3c, 0xb2, 0xa1, ..]
        | [0xa1, 0xb2, 0x3c, 0x4d, ..] => Some(CaptureFormat::Pcap),
        [0x0a, 0x0d, 0x0d, 0x0a, ..] => Some(CaptureFormat::PcapNg),
        _ => None,
    }
}

/// A capture time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds.
    pub secs: u64,
    /// Nanoseconds (below 1 000 000 000).
    pub nanos: u32,
}

impl Timestamp {
    /// `self - earlier` as `seconds.micros` text (`2.018229`).
    pub fn since(self, earlier: Timestamp) -> String {
        let a = u128::from(self.secs) * 1_000_000_000 + u128::from(self.nanos);
        let b = u128::from(earlier.secs) * 1_000_000_000 + u128::from(earlier.nanos);
        let d = a.saturating_sub(b);
        format!("{}.{:06}", d / 1_000_000_000, (d % 1_000_000_000) / 1000)
    }
}

/// One packet of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPacket<'a> {
    /// 1-based packet number (Wireshark's `frame.number`).
    pub number: u64,
    /// Absolute offset of `data[0]` in the file.
    pub offset: usize,
    /// The link-layer header type of its interface.
    pub link: LinkType,
    /// When it was captured.
    pub time: Timestamp,
    /// The captured bytes (possibly fewer than `orig_len`).
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub orig_len: u32,
}

/// One pcapng interface: its link type and timestamp units.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second.
    units: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

#[derive(Debug)]
enum Kind {
    Legacy {
        big_endian: bool,
        nanos: bool,
        link: LinkType,
    },
    Ng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// The packets of a capture file, in file order. See the [module docs](self).
#[derive(Debug)]
pub struct Packets<'a> {
    data: &'a [u8],
    pos: usize,
    kind: Option<Kind>,
    number: u64,
    /// Time of the last packet that had one (simple packet blocks have none).
    last_time: Timestamp,
    done: bool,
    /// Blocks skipped (pcapng name resolution, statistics, ...), by name.
    skipped: Vec<(&'static str, usize)>,
}

fn err(offset: usize, field: &str, message: impl Into<String>) -> DecodeError {
    DecodeError {
        offset,
        field: field.to_string(),
        message: message.into(),
    }
}

/// Why pcap-parser stopped, in words.
fn why(e: &nom::Err<PcapError<&[u8]>>, have: usize) -> String {
    match e {
        nom::Err::Incomplete(nom::Needed::Size(n)) => {
            format!("cut short: {n} more bytes needed, {have} left in the file")
        }
        nom::Err::Incomplete(nom::Needed::Unknown) => {
            format!("cut short: {have} bytes left in the file")
        }
        nom::Err::Error(e) | nom::Err::Failure(e) => match e {
            PcapError::HeaderNotRecognized => "header not recognized".to_string(),
            PcapError::NomError(_, k) => format!("malformed ({})", k.description()),
            PcapError::OwnedNomError(_, k) => format!("malformed ({})", k.description()),
            other => format!("malformed ({other:?})"),
        },
    }
}

impl<'a> Packets<'a> {
    /// Reads the file header; fails when `data` is not a pcap or pcapng file.
    pub fn new(data: &'a [u8]) -> Result<Packets<'a>, DecodeError> {
        let mut p = Packets {
            data,
            pos: 0,
            kind: None,
            number: 0,
            last_time: Timestamp::default(),
            done: false,
            skipped: Vec::new(),
        };
        match detect(data) {
            Some(CaptureFormat::Pcap) => {
                let (rest, h) = pcap::parse_pcap_header(data)
                    .map_err(|e| err(0, "pcap.header", why(&e, data.len())))?;
                p.pos = data.len() - rest.len();
                p.kind = Some(Kind::Legacy {
                    big_endian: h.is_bigendian(),
                    nanos: h.is_nanosecond_precision(),
                    link: LinkType(u32::from_ne_bytes(h.network.0.to_ne_bytes())),
                });
            }
            Some(CaptureFormat::PcapNg) => {
                // The section header block sets the byte order; read by next().
                p.kind = Some(Kind::Ng {
                    big_endian: false,
                    interfaces: Vec::new(),
                });
            }
            None => {
                return Err(err(
                    0,
                    "capture.magic",
                    "not a pcap or pcapng file (no magic number)",
                ))
            }
        }
        Ok(p)
    }

    /// `pcap` or `pcapng`.
    pub fn format(&self) -> CaptureFormat {
        match self.kind {
            Some(Kind::Ng { .. }) => CaptureFormat::PcapNg,
            _ => CaptureFormat::Pcap,
        }
    }

    /// The link type of a pcap file (of the first interface for pcapng).
    pub fn link_types(&self) -> Vec<LinkType> {
        match &self.kind {
            Some(Kind::Legacy { link, .. }) => vec![*link],
            Some(Kind::Ng { interfaces, .. }) => interfaces.iter().map(|i| i.link).collect(),
            None => Vec::new(),
        }
    }

    /// Blocks that were skipped, by kind, with their counts.
    pub fn skipped(&self) -> &[(&'static str, usize)] {
        &self.skipped
    }

    fn skip(&mut self, what: &'static str) {
        match self.skipped.iter_mut().find(|(w, _)| *w == what) {
            Some((_, n)) => *n += 1,
            None => self.skipped.push((what, 1)),
        }
    }

    fn fail(&mut self, e: DecodeError) -> Option<Result<RawPacket<'a>, DecodeError>> {
        self.done = true;
        Some(Err(e))
    }

    fn next_legacy(
        &mut self,
        big_endian: bool,
        nanos: bool,
        link: LinkType,
    ) -> Option<Result<RawPacket<'a>, DecodeError>> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            return None;
        }
        let parsed = if big_endian {
            pcap::parse_pcap_frame_be(rest)
        } else {
            pcap::parse_pcap_frame(rest)
        };
        match parsed {
            Ok((after, b)) => {
                let at = self.pos;
                self.pos = self.data.len() - after.len();
                self.number += 1;
                let nanos = if nanos {
                    b.ts_usec
                } else {
                    b.ts_usec.saturating_mul(1000)
                };
                Some(Ok(RawPacket {
                    number: self.number,
                    offset: at + 16,
                    link,
                    time: Timestamp {
                        secs: u64::from(b.ts_sec),
                        nanos: nanos.min(999_999_999),
                    },
                    data: b.data,
                    orig_len: b.origlen,
                }))
            }
            Err(e) => {
                let at = self.pos;
                let n = self.number + 1;
                self.fail(err(
                    at,
                    "pcap.record",
                    format!("packet {n}: {}", why(&e, rest.len())),
                ))
            }
        }
    }

    fn next_ng(&mut self) -> Option<Result<RawPacket<'a>, DecodeError>> {
        loop {
            let rest = self.data.get(self.pos..).unwrap_or(&[]);
            if rest.is_empty() {
                return None;
            }
            let at = self.pos;
            let Some(Kind::Ng {
                big_endian,
                interfaces,
            }) = &mut self.kind
            else {
                return None;
            };
            let parsed = if rest.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
                pcapng::parse_sectionheaderblock(rest).map(|(r, b)| (r, Block::SectionHeader(b)))
            } else if *big_endian {
                pcapng::parse_block_be(rest)
            } else {
                pcapng::parse_block_le(rest)
            };
            let (after, block) = match parsed {
                Ok(x) => x,
                Err(e) => {
                    let msg = format!("block at byte {at}: {}", why(&e, rest.len()));
                    return self.fail(err(at, "pcapng.block", msg));
                }
            };
            let next_pos = self.data.len() - after.len();
            if next_pos <= at {
                return self.fail(err(at, "pcapng.block", "a block of length 0"));
            }
            self.pos = next_pos;
            let (if_id, ts, data, orig_len) = match block {
                Block::SectionHeader(shb) => {
                    *big_endian = shb.big_endian();
                    interfaces.clear();
                    continue;
                }
                Block::InterfaceDescription(idb) => {
                    let units = resolution(idb.if_tsresol);
                    interfaces.push(Interface {
                        link: LinkType(u32::from_ne_bytes(idb.linktype.0.to_ne_bytes())),
                        units,
                        offset: idb.if_tsoffset,
                    });
                    continue;
                }
                Block::EnhancedPacket(epb) => {
                    let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                    let cap = usize::try_from(epb.caplen).unwrap_or(usize::MAX);
                    let data = epb.data.get(..cap).unwrap_or(epb.data);
                    (epb.if_id, Some(ts), data, epb.origlen)
                }
                Block::SimplePacket(spb) => {
                    let cap = usize::try_from(spb.origlen).unwrap_or(usize::MAX);
                    let data = spb.data.get(..cap).unwrap_or(spb.data);
                    (0, None, data, spb.origlen)
                }
                Block::NameResolution(_) => {
                    self.skip("name resolution");
                    continue;
                }
                Block::InterfaceStatistics(_) => {
                    self.skip("interface statistics");
                    continue;
                }
                Block::DecryptionSecrets(_) => {
                    self.skip("decryption secrets");
                    continue;
                }
                Block::SystemdJournalExport(_) => {
                    self.skip("systemd journal export");
                    continue;
                }
                Block::ProcessInformation(_) => {
                    self.skip("process information");
                    continue;
                }
                Block::Custom(_) => {
                    self.skip("custom");
                    continue;
                }
                Block::Unknown(_) => {
                    self.skip("unknown");
                    continue;
                }
            };
            let Some(iface) = usize::try_from(if_id)
                .ok()
                .and_then(|i| interfaces.get(i))
                .copied()
            else {
                let n = interfaces.len();
                return self.fail(err(
                    at + 8,
                    "pcapng.EPB.interface_id",
                    format!("says {if_id}, {n} interfaces described before it"),
                ));
            };
            self.number += 1;
            // Packet data starts 28 bytes into an EPB, 12 into an SPB.
            let data_at = at + if ts.is_some() { 28 } else { 12 };
            // A simple packet block has no time: the last one known is used.
            let time = ts.map_or(self.last_time, |t| iface.time(t));
            self.last_time = time;
            return Some(Ok(RawPacket {
                number: self.number,
                offset: data_at,
                link: iface.link,
                time,
                data,
                orig_len,
            }));
        }
    }
}

/// pcapng `if_tsresol`: units per second (10^n, or 2^n with the top bit).
fn resolution(tsresol: u8) -> u64 {
    let n = u32::from(tsresol & 0x7f);
    let units = if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n)
    };
    units.unwrap_or(1_000_000).max(1)
}

impl Interface {
    fn time(&self, ts: u64) -> Timestamp {
        let secs = ts / self.units;
        let frac = u128::from(ts % self.units);
        let nanos = frac * 1_000_000_000 / u128::from(self.units);
        let secs = if self.offset >= 0 {
            secs.saturating_add(self.offset.unsigned_abs())
        } else {
            secs.saturating_sub(self.offset.unsigned_abs())
        };
        Timestamp {
            secs,
            nanos: u32::try_from(nanos).unwrap_or(0),
        }
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<RawPacket<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.kind {
            Some(Kind::Legacy {
                big_endian,
                nanos,
                link,
            }) => self.next_legacy(big_endian, nanos, link),
            Some(Kind::Ng { .. }) => self.next_ng(),
            None => None,
        }
    }
}
