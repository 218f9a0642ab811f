//! Built or decoded frames as a capture file: each conversation wrapped in a
//! synthetic TCP connection over IPv4 127.0.0.1, written as pcapng, so it
//! opens in Wireshark (and `tshark`) with the `epmd` and `erldp` dissectors.
//!
//! Each conversation gets a SYN, SYN-ACK, ACK handshake before its first
//! byte, one PSH-ACK segment per frame (split at [`PcapngOptions::mss`]),
//! with sequence and acknowledgement numbers that follow the bytes, and a
//! FIN from each side (then the last ACK) at the end. EPMD conversations go
//! from a client port to 4369; node connections from a client port to the
//! node's port (the input's, else [`PcapngOptions::node_port`], else the
//! port a PORT2_RESP or ALIVE2_REQ of the same input names, else 9506).
//! Timestamps are passed in ([`PcapngOptions::start_ns`], `step_ns`): no
//! clock is read.
//!
//! The file: a Section Header Block (little-endian, version 1.0, user
//! application `erldist`), one Interface Description Block (link type
//! `LINKTYPE_RAW` 101: each packet starts with its IPv4 header; `if_tsresol`
//! 9, nanosecond timestamps), and an Enhanced Packet Block per packet (with
//! an `opt_comment` naming the frame it carries). The blocks are written by
//! the `pcap-file` crate; the IPv4 and TCP headers (20 bytes each, no
//! options; IPv4 header checksum always right, TCP checksum unless
//! [`PcapngOptions::tcp_checksums`] is off) here.
//!
//! ```
//! use erldist_codec::export::pcapng::{write_report, PcapngOptions};
//! use erldist_codec::{decode_text, DecodeOptions};
//! let r = decode_text("00 01 6e", &DecodeOptions::default());
//! let file = write_report(&r, &PcapngOptions::default()).unwrap();
//! assert_eq!(&file[..4], &[0x0a, 0x0d, 0x0d, 0x0a]); // a pcapng Section Header Block
//! ```

use crate::conn::Side;
use crate::report::{Connection, Frame, Report};
use crate::session::Protocol;
use crate::span::Value;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// epmd's well-known port.
pub const EPMD_PORT: u16 = 4369;
/// The node port used when nothing in the input names one.
pub const DEFAULT_NODE_PORT: u16 = 9506;
/// The largest TCP payload an IPv4 packet can carry (65535 - 20 - 20).
pub const MAX_MSS: usize = 65495;
/// Linux loopback's MSS, the default segment size.
pub const LOOPBACK_MSS: usize = 65483;
/// The first client port for conversations whose port the input does not give.
const FIRST_CLIENT_PORT: u16 = 50000;

/// Options for the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapngOptions {
    /// Timestamp of the first packet, nanoseconds since the Unix epoch.
    pub start_ns: u64,
    /// Time from one packet to the next, nanoseconds.
    pub step_ns: u64,
    /// Compute TCP checksums (IPv4 header checksums are always computed).
    /// Off: the TCP checksum field is 0, as with checksum offloading.
    pub tcp_checksums: bool,
    /// Largest TCP payload per segment (1..=65495); longer frames are split.
    pub mss: usize,
    /// The node's port for node connections whose port the input does not give.
    pub node_port: Option<u16>,
    /// An `opt_comment` on each packet naming the frame it carries.
    pub comments: bool,
}

impl Default for PcapngOptions {
    fn default() -> PcapngOptions {
        PcapngOptions {
            // 2024-01-01T00:00:00Z: a fixed, recognisable date.
            start_ns: 1_704_067_200_000_000_000,
            step_ns: 1_000_000,
            tcp_checksums: true,
            mss: LOOPBACK_MSS,
            node_port: None,
            comments: true,
        }
    }
}

/// Why a capture could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapngError(pub String);

impl fmt::Display for PcapngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PcapngError {}

/// One TCP connection: the client's and the server's port (both on 127.0.0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConversation {
    /// The side that connects (the initiator).
    pub client_port: u16,
    /// The side that accepts (epmd, or the node).
    pub server_port: u16,
}

/// Bytes one side of a conversation sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload<'a> {
    /// Index into the conversations.
    pub conversation: usize,
    /// Who sends them.
    pub side: Side,
    /// The bytes (split into segments of at most `mss`).
    pub bytes: &'a [u8],
    /// A packet comment (`#1 ALIVE2_REQ`), when comments are on.
    pub comment: Option<String>,
}

/// Every frame of a report, each conversation on its own TCP connection.
pub fn write_report(report: &Report, opts: &PcapngOptions) -> Result<Vec<u8>, PcapngError> {
    let all: Vec<(usize, &Frame)> = report.frames.iter().enumerate().collect();
    write_frames(&all, &report.connections, &report.frames, opts)
}

/// The given frames (numbered, as `(index in the report, frame)`), each
/// conversation (a frame's `stream`) on its own TCP connection; ports from
/// `connections` where they name them. `context` is where node ports are
/// looked for when nothing else names one (the whole report).
pub fn write_frames(
    frames: &[(usize, &Frame)],
    connections: &[Connection],
    context: &[Frame],
    opts: &PcapngOptions,
) -> Result<Vec<u8>, PcapngError> {
    let learned = learned_node_port(context);
    let mut keys: Vec<Option<usize>> = Vec::new();
    let mut convs: Vec<TcpConversation> = Vec::new();
    let mut payloads = Vec::with_capacity(frames.len());
    for (i, f) in frames {
        let k = match keys.iter().position(|s| *s == f.stream) {
            Some(k) => k,
            None => {
                let conn = f.stream.and_then(|s| connections.get(s));
                let port_of = |a: Option<&String>| a.and_then(|a| parse_port(a));
                let server_port = match f.protocol {
                    Protocol::Epmd => EPMD_PORT,
                    Protocol::Dist => port_of(conn.and_then(|c| c.acceptor.as_ref()))
                        .or(opts.node_port)
                        .or(learned)
                        .unwrap_or(DEFAULT_NODE_PORT),
                };
                let n = u16::try_from(convs.len()).unwrap_or(u16::MAX);
                let mut client_port = port_of(conn.and_then(|c| c.initiator.as_ref()))
                    .unwrap_or_else(|| FIRST_CLIENT_PORT.saturating_add(n));
                if client_port == server_port {
                    client_port = client_port.wrapping_add(1);
                }
                keys.push(f.stream);
                convs.push(TcpConversation {
                    client_port,
                    server_port,
                });
                convs.len() - 1
            }
        };
        payloads.push(Payload {
            conversation: k,
            side: f.side,
            bytes: &f.bytes,
            comment: opts.comments.then(|| {
                format!(
                    "#{} {} ({} bytes) from the {}",
                    i + 1,
                    f.type_name,
                    f.bytes.len(),
                    f.side.as_str()
                )
            }),
        });
    }
    write_conversations(&convs, &payloads, opts)
}

/// `127.0.0.1:4369`, `[::1]:38432` → the port.
fn parse_port(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.trim().parse().ok())
}

/// The node port a PORT2_RESP (else an ALIVE2_REQ) of the input names.
fn learned_node_port(frames: &[Frame]) -> Option<u16> {
    let port = |name: &str| {
        frames.iter().filter(|f| f.type_name == name).find_map(|f| {
            f.fields
                .iter()
                .find(|(k, _)| k == "port")
                .and_then(|(_, v)| match v {
                    Value::UInt(p) => u16::try_from(*p).ok(),
                    _ => None,
                })
        })
    };
    port("PORT2_RESP").or_else(|| port("ALIVE2_REQ"))
}

/// TCP state of one conversation.
struct Tcp {
    conv: TcpConversation,
    open: bool,
    /// Next sequence number of the client and of the server.
    seq: [u32; 2],
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

fn idx(side: Side) -> usize {
    match side {
        Side::Initiator => 0,
        Side::Acceptor => 1,
    }
}

/// Writes the conversations' payloads, in the order given, as a pcapng file.
pub fn write_conversations(
    convs: &[TcpConversation],
    payloads: &[Payload<'_>],
    opts: &PcapngOptions,
) -> Result<Vec<u8>, PcapngError> {
    write_conversations_at(convs, payloads, &[], opts)
}

/// [`write_conversations`] with each payload's own timestamp
/// (`times_ns[i]` for `payloads[i]`, nanoseconds since the Unix epoch; a
/// connection's SYN takes its first payload's time, the FINs the last
/// one's), as live mode records them. Payloads beyond `times_ns` are
/// timed from [`PcapngOptions::start_ns`] and `step_ns`.
pub fn write_conversations_at(
    convs: &[TcpConversation],
    payloads: &[Payload<'_>],
    times_ns: &[u64],
    opts: &PcapngOptions,
) -> Result<Vec<u8>, PcapngError> {
    let mss = opts.mss.clamp(1, MAX_MSS);
    let mut out = Out::new(opts)?;
    let mut tcp: Vec<Tcp> = convs
        .iter()
        .enumerate()
        .map(|(k, c)| {
            // Distinct, fixed initial sequence numbers per conversation and side.
            let k = u32::try_from(k).unwrap_or(0);
            Tcp {
                conv: *c,
                open: false,
                seq: [
                    0x1000_0000u32.wrapping_add(k.wrapping_mul(0x0100_0000)),
                    0x8000_0000u32.wrapping_add(k.wrapping_mul(0x0100_0000)),
                ],
            }
        })
        .collect();
    let mut opened: Vec<usize> = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        if let Some(&ns) = times_ns.get(i) {
            out.at_ns = Some(ns);
        }
        let t = tcp.get_mut(p.conversation).ok_or_else(|| {
            PcapngError(format!(
                "a payload names conversation {}, there are {}",
                p.conversation,
                convs.len()
            ))
        })?;
        if !t.open {
            t.open = true;
            opened.push(p.conversation);
            out.handshake(t)?;
        }
        let chunks: Vec<&[u8]> = p.bytes.chunks(mss).collect();
        let n = chunks.len();
        for (j, chunk) in chunks.into_iter().enumerate() {
            let comment = p.comment.as_ref().map(|c| {
                if n > 1 {
                    format!("{c}, segment {} of {n}", j + 1)
                } else {
                    c.clone()
                }
            });
            out.segment(t, p.side, PSH | ACK, chunk, comment)?;
        }
    }
    for k in opened {
        if let Some(t) = tcp.get_mut(k) {
            out.segment(t, Side::Initiator, FIN | ACK, &[], None)?;
            out.segment(t, Side::Acceptor, FIN | ACK, &[], None)?;
            out.segment(t, Side::Initiator, ACK, &[], None)?;
        }
    }
    Ok(out.finish())
}

/// The writer and the per-packet counters.
struct Out {
    w: PcapNgWriter<Vec<u8>>,
    packets: u64,
    ip_id: u16,
    start_ns: u64,
    step_ns: u64,
    tcp_checksums: bool,
    /// The timestamp of the packets being written, when given.
    at_ns: Option<u64>,
}

fn err(e: impl fmt::Display) -> PcapngError {
    PcapngError(format!("pcapng: {e}"))
}

impl Out {
    fn new(opts: &PcapngOptions) -> Result<Out, PcapngError> {
        let shb = SectionHeaderBlock {
            endianness: Endianness::Little,
            major_version: 1,
            minor_version: 0,
            section_length: -1,
            options: vec![SectionHeaderOption::UserApplication(Cow::Borrowed(
                "erldist",
            ))],
        };
        let mut w = PcapNgWriter::with_section_header(Vec::new(), shb).map_err(err)?;
        w.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::RAW,
            snaplen: 0,
            // pcap-file 2 writes EPB timestamps in nanoseconds: say so.
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("lo")),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })
        .map_err(err)?;
        Ok(Out {
            w,
            packets: 0,
            ip_id: 1,
            start_ns: opts.start_ns,
            step_ns: opts.step_ns,
            tcp_checksums: opts.tcp_checksums,
            at_ns: None,
        })
    }

    fn handshake(&mut self, t: &mut Tcp) -> Result<(), PcapngError> {
        self.segment(t, Side::Initiator, SYN, &[], None)?;
        self.segment(t, Side::Acceptor, SYN | ACK, &[], None)?;
        self.segment(t, Side::Initiator, ACK, &[], None)
    }

    /// One packet from `side`; advances its sequence number by the payload
    /// (and by one for SYN and FIN).
    fn segment(
        &mut self,
        t: &mut Tcp,
        side: Side,
        flags: u8,
        payload: &[u8],
        comment: Option<String>,
    ) -> Result<(), PcapngError> {
        let me = idx(side);
        let seq = t.seq.get(me).copied().unwrap_or(0);
        let ack = if flags & ACK != 0 {
            t.seq.get(idx(side.peer())).copied().unwrap_or(0)
        } else {
            0
        };
        let (src, dst) = match side {
            Side::Initiator => (t.conv.client_port, t.conv.server_port),
            Side::Acceptor => (t.conv.server_port, t.conv.client_port),
        };
        let packet = ipv4_tcp(&Segment {
            src_port: src,
            dst_port: dst,
            seq,
            ack,
            flags,
            payload,
            ip_id: self.ip_id,
            tcp_checksum: self.tcp_checksums,
        })?;
        let len = u32::try_from(payload.len()).map_err(err)?;
        let advance = len.wrapping_add(u32::from(flags & (SYN | FIN) != 0));
        if let Some(s) = t.seq.get_mut(me) {
            *s = s.wrapping_add(advance);
        }
        self.ip_id = self.ip_id.wrapping_add(1);
        let ts = self.at_ns.unwrap_or_else(|| {
            self.start_ns
                .saturating_add(self.packets.saturating_mul(self.step_ns))
        });
        self.packets = self.packets.saturating_add(1);
        let original_len = u32::try_from(packet.len()).map_err(err)?;
        self.w
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: Duration::from_nanos(ts),
                original_len,
                data: Cow::Owned(packet),
                options: comment
                    .map(|c| vec![EnhancedPacketOption::Comment(Cow::Owned(c))])
                    .unwrap_or_default(),
            })
            .map_err(err)?;
        Ok(())
    }

    fn finish(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

/// What one IPv4 + TCP packet carries.
struct Segment<'a> {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &'a [u8],
    ip_id: u16,
    tcp_checksum: bool,
}

const LOCALHOST: [u8; 4] = [127, 0, 0, 1];

/// An IPv4 header (20 bytes: version 4, IHL 5, DF, TTL 64, protocol 6,
/// 127.0.0.1 → 127.0.0.1, header checksum), a TCP header (20 bytes: ports,
/// seq, ack, data offset 5, flags, window 65535, checksum over the
/// pseudo-header, header and payload) and the payload.
fn ipv4_tcp(s: &Segment<'_>) -> Result<Vec<u8>, PcapngError> {
    let total = s.payload.len().saturating_add(40);
    let total16 = u16::try_from(total).map_err(|_| {
        PcapngError(format!(
            "a segment of {} bytes does not fit an IPv4 packet",
            s.payload.len()
        ))
    })?;
    let mut p = Vec::with_capacity(total);
    // IPv4
    p.extend_from_slice(&[0x45, 0x00]);
    p.extend_from_slice(&total16.to_be_bytes());
    p.extend_from_slice(&s.ip_id.to_be_bytes());
    p.extend_from_slice(&[0x40, 0x00, 64, 6, 0, 0]);
    p.extend_from_slice(&LOCALHOST);
    p.extend_from_slice(&LOCALHOST);
    let ip_sum = checksum(p.get(..20).unwrap_or(&[]), 0);
    if let Some(c) = p.get_mut(10..12) {
        c.copy_from_slice(&ip_sum.to_be_bytes());
    }
    // TCP
    p.extend_from_slice(&s.src_port.to_be_bytes());
    p.extend_from_slice(&s.dst_port.to_be_bytes());
    p.extend_from_slice(&s.seq.to_be_bytes());
    p.extend_from_slice(&s.ack.to_be_bytes());
    p.extend_from_slice(&[0x50, s.flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(s.payload);
    if s.tcp_checksum {
        let tcp_len = total16.saturating_sub(20);
        let mut pseudo = 0u32;
        for w in [
            u16::from_be_bytes([127, 0]),
            u16::from_be_bytes([0, 1]),
            u16::from_be_bytes([127, 0]),
            u16::from_be_bytes([0, 1]),
            6,
            tcp_len,
        ] {
            pseudo = pseudo.wrapping_add(u32::from(w));
        }
        let sum = checksum(p.get(20..).unwrap_or(&[]), pseudo);
        if let Some(c) = p.get_mut(36..38) {
            c.copy_from_slice(&sum.to_be_bytes());
        }
    }
    Ok(p)
}

/// The Internet checksum (RFC 1071) of `data`, starting from `initial`.
fn checksum(data: &[u8], initial: u32) -> u16 {
    let mut sum = u64::from(initial);
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        if let [a, b] = c {
            sum += u64::from(u16::from_be_bytes([*a, *b]));
        }
    }
    if let [a] = chunks.remainder() {
        sum += u64::from(u16::from_be_bytes([*a, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // `sum` is at most 0xffff here.
    !u16::try_from(sum).unwrap_or(0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_known_header() {
        // RFC 1071 / Wikipedia's example IPv4 header: checksum 0xb861.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&h, 0), 0xb861);
    }

    #[test]
    fn sequence_numbers_follow_the_bytes() {
        let convs = [TcpConversation {
            client_port: 50000,
            server_port: 4369,
        }];
        let payloads = [
            Payload {
                conversation: 0,
                side: Side::Initiator,
                bytes: &[0, 1, 110],
                comment: None,
            },
            Payload {
                conversation: 0,
                side: Side::Acceptor,
                bytes: &[0, 0, 17, 17],
                comment: None,
            },
        ];
        let file = write_conversations(&convs, &payloads, &PcapngOptions::default()).unwrap();
        // SHB + IDB + 3 handshake + 2 data + 3 close packets.
        assert!(file.len() > 8 * 60);
        assert!(write_conversations(
            &convs,
            &[Payload {
                conversation: 1,
                ..payloads[0].clone()
            }],
            &PcapngOptions::default()
        )
        .is_err());
    }
}
