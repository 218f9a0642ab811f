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

/// The largest block (pcap record, pcapng block) read: 256 MiB, far above
/// any snapshot length tools write (262 144 bytes).
pub const MAX_BLOCK: usize = 1 << 28;

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

/// What [`Reader::next`] found at the front of the bytes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next<'a> {
    /// A packet, and how many bytes of the input it took (with its header).
    Packet(RawPacket<'a>, usize),
    /// Bytes that held no packet (the file header, a pcapng interface or
    /// statistics block): skip them.
    Skip(usize),
    /// More bytes are needed to read the next block.
    More,
    /// The end of the file.
    End,
    /// The file is damaged (or cut short, at the end): nothing more can be
    /// read.
    Error(DecodeError),
}

/// A capture file reader that is handed the bytes, in pieces or whole:
/// sans-IO, so a file can be decoded as it is read, keeping only the block
/// being read. [`Packets`] runs it over a whole file in memory.
#[derive(Debug, Default)]
pub struct Reader {
    kind: Option<Kind>,
    /// Absolute file offset of the next byte to read.
    pos: usize,
    number: u64,
    /// Time of the last packet that had one (simple packet blocks have none).
    last_time: Timestamp,
    failed: bool,
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

impl Reader {
    /// A reader at the start of a file.
    pub fn new() -> Reader {
        Reader::default()
    }

    /// `pcap` or `pcapng`, once the file header was read.
    pub fn format(&self) -> Option<CaptureFormat> {
        match self.kind {
            Some(Kind::Ng { .. }) => Some(CaptureFormat::PcapNg),
            Some(Kind::Legacy { .. }) => Some(CaptureFormat::Pcap),
            None => None,
        }
    }

    /// True once the file header was read (a later error is not about
    /// the file as a whole).
    pub fn started(&self) -> bool {
        self.kind.is_some()
    }

    /// The link type of a pcap file, or of each pcapng interface so far.
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

    fn fail<'a>(&mut self, e: DecodeError) -> Next<'a> {
        self.failed = true;
        Next::Error(e)
    }

    /// Reads what starts `data`: the bytes of the file from where the last
    /// call stopped (the caller drops what [`Next::Packet`] and
    /// [`Next::Skip`] took, and keeps the rest). `eof`: no bytes follow
    /// `data`, so a block cut short is an error rather than [`Next::More`].
    pub fn next<'a>(&mut self, data: &'a [u8], eof: bool) -> Next<'a> {
        if self.failed {
            return Next::End;
        }
        let out = match self.kind {
            None => self.header(data, eof),
            Some(Kind::Legacy {
                big_endian,
                nanos,
                link,
            }) => self.next_legacy(data, eof, big_endian, nanos, link),
            Some(Kind::Ng { .. }) => self.next_ng(data, eof),
        };
        match &out {
            Next::Packet(_, n) | Next::Skip(n) => self.pos = self.pos.saturating_add(*n),
            _ => {}
        }
        out
    }

    fn incomplete<'a>(
        &mut self,
        data: &[u8],
        eof: bool,
        needed: &nom::Needed,
        what: String,
    ) -> Next<'a> {
        // A block declared larger than any real one is not waited for:
        // the bytes kept for it would grow with the rest of the file.
        let too_big = match needed {
            nom::Needed::Size(n) => data.len().saturating_add(n.get()) > MAX_BLOCK,
            nom::Needed::Unknown => false,
        };
        if too_big {
            let at = self.pos;
            return self.fail(err(
                at,
                "capture",
                format!("{what}: a block over {MAX_BLOCK} bytes"),
            ));
        }
        if !eof {
            return Next::More;
        }
        if data.is_empty() {
            return Next::End;
        }
        let at = self.pos;
        self.fail(err(at, "capture", what))
    }

    fn header<'a>(&mut self, data: &'a [u8], eof: bool) -> Next<'a> {
        match detect(data) {
            Some(CaptureFormat::Pcap) => match pcap::parse_pcap_header(data) {
                Ok((rest, h)) => {
                    self.kind = Some(Kind::Legacy {
                        big_endian: h.is_bigendian(),
                        nanos: h.is_nanosecond_precision(),
                        link: LinkType(u32::from_ne_bytes(h.network.0.to_ne_bytes())),
                    });
                    Next::Skip(data.len() - rest.len())
                }
                Err(nom::Err::Incomplete(_)) if !eof => Next::More,
                Err(e) => self.fail(err(0, "pcap.header", why(&e, data.len()))),
            },
            Some(CaptureFormat::PcapNg) => {
                // The section header block sets the byte order; read next.
                self.kind = Some(Kind::Ng {
                    big_endian: false,
                    interfaces: Vec::new(),
                });
                Next::Skip(0)
            }
            None if data.len() < 4 && !eof => Next::More,
            None => self.fail(err(
                0,
                "capture.magic",
                "not a pcap or pcapng file (no magic number)",
            )),
        }
    }

    fn next_legacy<'a>(
        &mut self,
        data: &'a [u8],
        eof: bool,
        big_endian: bool,
        nanos: bool,
        link: LinkType,
    ) -> Next<'a> {
        if data.is_empty() {
            return if eof { Next::End } else { Next::More };
        }
        let parsed = if big_endian {
            pcap::parse_pcap_frame_be(data)
        } else {
            pcap::parse_pcap_frame(data)
        };
        match parsed {
            Ok((after, b)) => {
                let at = self.pos;
                self.number += 1;
                let nanos = if nanos {
                    b.ts_usec
                } else {
                    b.ts_usec.saturating_mul(1000)
                };
                Next::Packet(
                    RawPacket {
                        number: self.number,
                        offset: at + 16,
                        link,
                        time: Timestamp {
                            secs: u64::from(b.ts_sec),
                            nanos: nanos.min(999_999_999),
                        },
                        data: b.data,
                        orig_len: b.origlen,
                    },
                    data.len() - after.len(),
                )
            }
            Err(e @ nom::Err::Incomplete(needed)) => {
                let n = self.number + 1;
                let msg = format!("pcap.record: packet {n}: {}", why(&e, data.len()));
                self.incomplete(data, eof, &needed, msg)
            }
            Err(e) => {
                let at = self.pos;
                let n = self.number + 1;
                self.fail(err(
                    at,
                    "pcap.record",
                    format!("packet {n}: {}", why(&e, data.len())),
                ))
            }
        }
    }

    fn next_ng<'a>(&mut self, data: &'a [u8], eof: bool) -> Next<'a> {
        if data.is_empty() {
            return if eof { Next::End } else { Next::More };
        }
        let at = self.pos;
        let Some(Kind::Ng {
            big_endian,
            interfaces,
        }) = &mut self.kind
        else {
            return Next::End;
        };
        let parsed = if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            pcapng::parse_sectionheaderblock(data).map(|(r, b)| (r, Block::SectionHeader(b)))
        } else if *big_endian {
            pcapng::parse_block_be(data)
        } else {
            pcapng::parse_block_le(data)
        };
        let (after, block) = match parsed {
            Ok(x) => x,
            Err(e @ nom::Err::Incomplete(needed)) => {
                let msg = format!("pcapng.block at byte {at}: {}", why(&e, data.len()));
                return self.incomplete(data, eof, &needed, msg);
            }
            Err(e) => {
                let msg = format!("block at byte {at}: {}", why(&e, data.len()));
                return self.fail(err(at, "pcapng.block", msg));
            }
        };
        let used = data.len() - after.len();
        if used == 0 {
            return self.fail(err(at, "pcapng.block", "a block of length 0"));
        }
        let (if_id, ts, pdata, orig_len) = match block {
            Block::SectionHeader(shb) => {
                *big_endian = shb.big_endian();
                interfaces.clear();
                return Next::Skip(used);
            }
            Block::InterfaceDescription(idb) => {
                interfaces.push(Interface {
                    link: LinkType(u32::from_ne_bytes(idb.linktype.0.to_ne_bytes())),
                    units: resolution(idb.if_tsresol),
                    offset: idb.if_tsoffset,
                });
                return Next::Skip(used);
            }
            Block::EnhancedPacket(epb) => {
                let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let cap = usize::try_from(epb.caplen).unwrap_or(usize::MAX);
                let d = epb.data.get(..cap).unwrap_or(epb.data);
                (epb.if_id, Some(ts), d, epb.origlen)
            }
            Block::SimplePacket(spb) => {
                let cap = usize::try_from(spb.origlen).unwrap_or(usize::MAX);
                let d = spb.data.get(..cap).unwrap_or(spb.data);
                (0, None, d, spb.origlen)
            }
            other => {
                self.skip(match other {
                    Block::NameResolution(_) => "name resolution",
                    Block::InterfaceStatistics(_) => "interface statistics",
                    Block::DecryptionSecrets(_) => "decryption secrets",
                    Block::SystemdJournalExport(_) => "systemd journal export",
                    Block::ProcessInformation(_) => "process information",
                    Block::Custom(_) => "custom",
                    _ => "unknown",
                });
                return Next::Skip(used);
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
        Next::Packet(
            RawPacket {
                number: self.number,
                offset: data_at,
                link: iface.link,
                time,
                data: pdata,
                orig_len,
            },
            used,
        )
    }
}

/// The packets of a capture file in memory, in file order. See the
/// [module docs](self).
#[derive(Debug)]
pub struct Packets<'a> {
    data: &'a [u8],
    reader: Reader,
}

impl<'a> Packets<'a> {
    /// Reads the file header; fails when `data` is not a pcap or pcapng file.
    pub fn new(data: &'a [u8]) -> Result<Packets<'a>, DecodeError> {
        let mut reader = Reader::new();
        match reader.next(data, true) {
            Next::Skip(n) => Ok(Packets {
                data: data.get(n..).unwrap_or(&[]),
                reader,
            }),
            Next::Error(e) => Err(e),
            _ => Err(err(0, "capture.header", "no file header")),
        }
    }

    /// `pcap` or `pcapng`.
    pub fn format(&self) -> CaptureFormat {
        self.reader.format().unwrap_or(CaptureFormat::Pcap)
    }

    /// The link type of a pcap file (of each interface so far for pcapng).
    pub fn link_types(&self) -> Vec<LinkType> {
        self.reader.link_types()
    }

    /// Blocks that were skipped, by kind, with their counts.
    pub fn skipped(&self) -> &[(&'static str, usize)] {
        self.reader.skipped()
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
        loop {
            match self.reader.next(self.data, true) {
                Next::Packet(p, n) => {
                    self.data = self.data.get(n..).unwrap_or(&[]);
                    return Some(Ok(p));
                }
                Next::Skip(n) => self.data = self.data.get(n..).unwrap_or(&[]),
                Next::Error(e) => return Some(Err(e)),
                Next::More | Next::End => return None,
            }
        }
    }
}
