//! One captured packet, from its link-layer header down to the TCP payload.
//!
//! [`parse_packet`] reads the link-layer header named by a [`LinkType`]
//! (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, BSD
//! loopback, raw IP), then IPv4 (options skipped by IHL, fragments flagged)
//! or IPv6 (simple extension headers skipped), then TCP (options skipped by
//! the data offset). It yields a [`Packet`]: a span tree of the headers (leaf
//! names such as `ethernet.dst`, `ip.src`, `tcp.dst_port`; the leaves tile the
//! captured bytes) and, for a TCP segment, a [`TcpSegment`] with the payload's
//! range. Packets that are not TCP (ARP, UDP, ICMP, IP fragments) are not
//! errors: [`Content::Other`] says what they are.
//!
//! Errors name the byte offset and the layer's field
//! (`IPv4.total_length: says 1500, 60 bytes captured`).
//!
//! ```
//! use erldist_codec::capture::net::{parse_packet, Content, LinkType};
//! // raw IPv4 + TCP 127.0.0.1:50000 -> 127.0.0.1:4369, 3 payload bytes
//! let mut p = vec![0x45, 0, 0, 43, 0, 1, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
//! p.extend_from_slice(&[0xc3, 0x50, 0x11, 0x11, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 1, 0, 0, 0, 0, 0]);
//! p.extend_from_slice(&[0, 1, 0x6e]);
//! let packet = parse_packet(LinkType::RAW, &p, 0).unwrap();
//! let Content::Tcp(seg) = packet.content else { panic!() };
//! assert_eq!(seg.dst.port(), 4369);
//! assert_eq!(&p[seg.payload], &[0, 1, 0x6e]);
//! ```

use crate::reader::DecodeError;
use crate::span::{Span, Text, Value};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;

/// A pcap/pcapng link-layer header type (`LINKTYPE_*` from tcpdump.org).
/// Open: any number can be held; unknown ones are reported by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet (IEEE 802.3), with optional 802.1Q / 802.1ad tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP as `DLT_RAW` is numbered on most systems (12).
    pub const RAW_12: LinkType = LinkType(12);
    /// Raw IP as `DLT_RAW` is numbered on OpenBSD (14).
    pub const RAW_14: LinkType = LinkType(14);
    /// Raw IP, version taken from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like [`LinkType::NULL`], family in network byte order
    /// (either byte order is accepted).
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The tcpdump.org name (`ETHERNET`, `LINUX_SLL`), or `None` if unknown.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW_12 | LinkType::RAW_14 | LinkType::RAW => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// True when [`parse_packet`] can read this link type.
    pub fn is_supported(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.0),
            None => write!(f, "{} (unknown)", self.0),
        }
    }
}

/// TCP header flags (the low 8 bits of the flags field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push function.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// The acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// The urgent pointer is significant.
    pub const URG: TcpFlags = TcpFlags(0x20);
    /// ECN echo.
    pub const ECE: TcpFlags = TcpFlags(0x40);
    /// Congestion window reduced.
    pub const CWR: TcpFlags = TcpFlags(0x80);

    const NAMES: [(TcpFlags, &'static str); 8] = [
        (TcpFlags::CWR, "CWR"),
        (TcpFlags::ECE, "ECE"),
        (TcpFlags::URG, "URG"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::FIN, "FIN"),
    ];

    /// True when every bit of `other` is set.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl fmt::Display for TcpFlags {
    /// `SYN,ACK`; `none` when no flag is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (flag, name) in TcpFlags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// One TCP segment found in a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSegment {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when ACK is set).
    pub ack: u32,
    /// Header flags.
    pub flags: TcpFlags,
    /// Receive window (unscaled).
    pub window: u16,
    /// The payload's range within the `data` given to [`parse_packet`]
    /// (relative to `data`, not offset by `base`).
    pub payload: Range<usize>,
}

/// What a packet carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A TCP segment (possibly with an empty payload).
    Tcp(TcpSegment),
    /// Anything else, with what it is (`ARP (ethertype 0x0806)`, `UDP`,
    /// `IPv4 fragment (offset 1480)`): counted by the caller, not an error.
    Other(String),
}

/// One parsed packet: the header span tree and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// One group span per layer (`ethernet`, `ipv4`, `tcp`, ...) with leaf
    /// spans such as `ethernet.dst`, `ip.src`, `tcp.dst_port`, then
    /// `tcp.payload` and any link-layer `trailer`. Offsets are absolute
    /// (`base` added); the leaves tile the captured bytes.
    pub spans: Vec<Span>,
    /// The TCP segment, or what else the packet is.
    pub content: Content,
}

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of an IEEE 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// EtherType of an IEEE 802.1ad (QinQ) service tag.
pub const ETHERTYPE_QINQ: u16 = 0x88a8;
/// Old pre-standard QinQ EtherType.
pub const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;
/// IP protocol number of ICMP.
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;

/// Reads one captured packet of link type `link`. `base` is the absolute
/// offset of `data[0]` (in the capture file) used for spans and errors.
///
/// A packet that is not TCP is [`Content::Other`]; an error means the headers
/// are cut short or inconsistent (with the offset and the field).
pub fn parse_packet(link: LinkType, data: &[u8], base: usize) -> Result<Packet, DecodeError> {
    parse(link, data, base, true)
}

/// [`parse_packet`] without the span tree (`spans` is empty): what a
/// whole-capture decode needs, at a fraction of the cost.
pub fn parse_packet_content(
    link: LinkType,
    data: &[u8],
    base: usize,
) -> Result<Content, DecodeError> {
    parse(link, data, base, false).map(|p| p.content)
}

fn parse(link: LinkType, data: &[u8], base: usize, spans: bool) -> Result<Packet, DecodeError> {
    let mut c = Cur {
        data,
        base,
        record: spans,
        spans: Vec::new(),
        group: Vec::new(),
    };
    let content = match link {
        LinkType::ETHERNET => ethernet(&mut c)?,
        LinkType::LINUX_SLL => sll(&mut c)?,
        LinkType::LINUX_SLL2 => sll2(&mut c)?,
        LinkType::NULL | LinkType::LOOP => loopback(&mut c)?,
        LinkType::RAW | LinkType::RAW_12 | LinkType::RAW_14 => raw_ip(&mut c, 0)?,
        LinkType::IPV4 => ipv4(&mut c, 0)?,
        LinkType::IPV6 => ipv6(&mut c, 0)?,
        other => {
            return Err(c.err(0, "link", format!("link type {other} is not supported")));
        }
    };
    Ok(Packet {
        spans: c.spans,
        content,
    })
}

/// Where parsing is: the packet, and the spans of the layer being read.
struct Cur<'a> {
    data: &'a [u8],
    base: usize,
    /// False: no spans are made.
    record: bool,
    spans: Vec<Span>,
    group: Vec<Span>,
}

impl<'a> Cur<'a> {
    fn err(&self, at: usize, field: &str, message: String) -> DecodeError {
        DecodeError {
            offset: self.base.saturating_add(at),
            field: field.to_string(),
            message,
        }
    }

    /// `n` bytes at `at` for `field` (`IPv4.total_length`), or an error
    /// naming how many bytes were captured.
    fn get(&self, at: usize, n: usize, field: &str) -> Result<&'a [u8], DecodeError> {
        at.checked_add(n)
            .and_then(|end| self.data.get(at..end))
            .ok_or_else(|| {
                let have = self.data.len().saturating_sub(at);
                self.err(at, field, format!("needs {n} bytes, {have} captured"))
            })
    }

    fn u8(&self, at: usize, field: &str) -> Result<u8, DecodeError> {
        match self.get(at, 1, field)? {
            [a] => Ok(*a),
            _ => Err(self.err(at, field, "needs 1 byte".to_string())),
        }
    }

    fn u16(&self, at: usize, field: &str) -> Result<u16, DecodeError> {
        match self.get(at, 2, field)? {
            [a, b] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(self.err(at, field, "needs 2 bytes".to_string())),
        }
    }

    fn u32(&self, at: usize, field: &str) -> Result<u32, DecodeError> {
        match self.get(at, 4, field)? {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(self.err(at, field, "needs 4 bytes".to_string())),
        }
    }

    /// A leaf of the current layer.
    fn leaf(
        &mut self,
        field: &'static str,
        at: usize,
        len: usize,
        value: Value,
        meaning: impl Into<Text>,
    ) {
        if !self.record {
            return;
        }
        if len > 0 {
            self.group.push(Span::leaf(
                field,
                self.base.saturating_add(at),
                len,
                value,
                meaning,
            ));
        }
    }

    /// Closes the current layer into a group span `name` covering `at..end`.
    fn close(&mut self, name: &'static str, at: usize, end: usize, meaning: impl Into<Text>) {
        if !self.record {
            return;
        }
        let children = std::mem::take(&mut self.group);
        if children.is_empty() {
            return;
        }
        self.spans.push(Span {
            field: Text::Borrowed(name),
            offset: self.base.saturating_add(at),
            length: end.saturating_sub(at),
            value: Value::Null,
            meaning: meaning.into(),
            children,
        });
    }

    /// A top-level leaf (payload, trailer, unparsed rest).
    fn top(&mut self, field: &'static str, at: usize, end: usize, meaning: impl Into<Text>) {
        if !self.record {
            return;
        }
        if end > at {
            let bytes = self.data.get(at..end).unwrap_or(&[]);
            self.spans.push(Span::leaf(
                field,
                self.base.saturating_add(at),
                end - at,
                Value::Bytes(bytes.to_vec()),
                meaning,
            ));
        }
    }
}

fn mac(b: &[u8]) -> String {
    let parts: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    parts.join(":")
}

fn ethertype_name(t: u16) -> &'static str {
    match t {
        ETHERTYPE_IPV4 => "IPv4",
        ETHERTYPE_IPV6 => "IPv6",
        ETHERTYPE_ARP => "ARP",
        ETHERTYPE_VLAN => "802.1Q VLAN tag",
        ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => "802.1ad service tag",
        0x8035 => "RARP",
        0x88cc => "LLDP",
        0x8863 | 0x8864 => "PPPoE",
        0x8847 | 0x8848 => "MPLS",
        _ => "unknown",
    }
}

/// After a link header: IPv4, IPv6 or something else by EtherType.
fn by_ethertype(c: &mut Cur<'_>, t: u16, at: usize) -> Result<Content, DecodeError> {
    match t {
        ETHERTYPE_IPV4 => ipv4(c, at),
        ETHERTYPE_IPV6 => ipv6(c, at),
        _ => {
            c.top("data", at, c.data.len(), "not IP");
            Ok(Content::Other(format!(
                "{} (ethertype 0x{t:04x})",
                ethertype_name(t)
            )))
        }
    }
}

fn ethernet(c: &mut Cur<'_>) -> Result<Content, DecodeError> {
    let dst = c.get(0, 6, "Ethernet.dst")?;
    c.leaf(
        "ethernet.dst",
        0,
        6,
        Value::Text(mac(dst)),
        "destination MAC",
    );
    let src = c.get(6, 6, "Ethernet.src")?;
    c.leaf("ethernet.src", 6, 6, Value::Text(mac(src)), "source MAC");
    let mut at = 12;
    let mut t = c.u16(at, "Ethernet.type")?;
    while matches!(t, ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD) {
        c.leaf(
            "ethernet.type",
            at,
            2,
            Value::UInt(u64::from(t)),
            ethertype_name(t),
        );
        let tci = c.u16(at + 2, "802.1Q.tci")?;
        c.leaf(
            "vlan.tci",
            at + 2,
            2,
            Value::UInt(u64::from(tci)),
            format!(
                "priority {}, DEI {}, VLAN id {}",
                tci >> 13,
                (tci >> 12) & 1,
                tci & 0x0fff
            ),
        );
        at += 4;
        t = c.u16(at, "802.1Q.type")?;
    }
    if t <= 1500 {
        c.leaf(
            "ethernet.length",
            at,
            2,
            Value::UInt(u64::from(t)),
            "IEEE 802.3 length (an LLC frame, not IP)",
        );
        c.close("ethernet", 0, at + 2, "Ethernet II header");
        c.top("data", at + 2, c.data.len(), "802.3 LLC data");
        return Ok(Content::Other(format!("IEEE 802.3 frame (length {t})")));
    }
    c.leaf(
        "ethernet.type",
        at,
        2,
        Value::UInt(u64::from(t)),
        ethertype_name(t),
    );
    c.close("ethernet", 0, at + 2, "Ethernet II header");
    by_ethertype(c, t, at + 2)
}

fn sll_packet_type(t: u16) -> &'static str {
    match t {
        0 => "to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "to another host",
        4 => "sent by us",
        _ => "unknown",
    }
}

fn sll(c: &mut Cur<'_>) -> Result<Content, DecodeError> {
    let pt = c.u16(0, "SLL.packet_type")?;
    c.leaf(
        "sll.packet_type",
        0,
        2,
        Value::UInt(u64::from(pt)),
        sll_packet_type(pt),
    );
    let hw = c.u16(2, "SLL.arphrd_type")?;
    c.leaf(
        "sll.arphrd_type",
        2,
        2,
        Value::UInt(u64::from(hw)),
        "link-layer device type (ARPHRD_*)",
    );
    let alen = c.u16(4, "SLL.addr_len")?;
    c.leaf(
        "sll.addr_len",
        4,
        2,
        Value::UInt(u64::from(alen)),
        "link-layer address length",
    );
    let addr = c.get(6, 8, "SLL.addr")?;
    let used = addr.get(..usize::from(alen).min(8)).unwrap_or(addr);
    c.leaf(
        "sll.addr",
        6,
        8,
        Value::Text(mac(used)),
        "link-layer source address (padded to 8 bytes)",
    );
    let proto = c.u16(14, "SLL.protocol")?;
    c.leaf(
        "sll.protocol",
        14,
        2,
        Value::UInt(u64::from(proto)),
        ethertype_name(proto),
    );
    c.close("sll", 0, 16, "Linux cooked capture v1 header");
    by_ethertype(c, proto, 16)
}

fn sll2(c: &mut Cur<'_>) -> Result<Content, DecodeError> {
    let proto = c.u16(0, "SLL2.protocol")?;
    c.leaf(
        "sll.protocol",
        0,
        2,
        Value::UInt(u64::from(proto)),
        ethertype_name(proto),
    );
    let r = c.u16(2, "SLL2.reserved")?;
    c.leaf("sll.reserved", 2, 2, Value::UInt(u64::from(r)), "reserved");
    let ifi = c.u32(4, "SLL2.if_index")?;
    c.leaf(
        "sll.if_index",
        4,
        4,
        Value::UInt(u64::from(ifi)),
        "interface index",
    );
    let hw = c.u16(8, "SLL2.arphrd_type")?;
    c.leaf(
        "sll.arphrd_type",
        8,
        2,
        Value::UInt(u64::from(hw)),
        "link-layer device type (ARPHRD_*)",
    );
    let pt = c.u8(10, "SLL2.packet_type")?;
    c.leaf(
        "sll.packet_type",
        10,
        1,
        Value::UInt(u64::from(pt)),
        sll_packet_type(u16::from(pt)),
    );
    let alen = c.u8(11, "SLL2.addr_len")?;
    c.leaf(
        "sll.addr_len",
        11,
        1,
        Value::UInt(u64::from(alen)),
        "link-layer address length",
    );
    let addr = c.get(12, 8, "SLL2.addr")?;
    let used = addr.get(..usize::from(alen).min(8)).unwrap_or(addr);
    c.leaf(
        "sll.addr",
        12,
        8,
        Value::Text(mac(used)),
        "link-layer source address (padded to 8 bytes)",
    );
    c.close("sll2", 0, 20, "Linux cooked capture v2 header");
    by_ethertype(c, proto, 20)
}

/// BSD address families seen in loopback captures.
fn family_name(f: u32) -> Option<bool> {
    // Some(false) = IPv4, Some(true) = IPv6
    match f {
        2 => Some(false),
        10 | 24 | 28 | 30 => Some(true),
        _ => None,
    }
}

fn loopback(c: &mut Cur<'_>) -> Result<Content, DecodeError> {
    let b = c.get(0, 4, "Loopback.family")?;
    let (le, be) = match b {
        [a, b2, c2, d] => (
            u32::from_le_bytes([*a, *b2, *c2, *d]),
            u32::from_be_bytes([*a, *b2, *c2, *d]),
        ),
        _ => (0, 0),
    };
    let (family, v6, order) = match (family_name(le), family_name(be)) {
        (Some(v6), _) => (le, Some(v6), "little-endian"),
        (None, Some(v6)) => (be, Some(v6), "big-endian"),
        (None, None) => (be, None, "unknown"),
    };
    let meaning = match v6 {
        Some(false) => format!("address family {family} (AF_INET, {order})"),
        Some(true) => format!("address family {family} (AF_INET6, {order})"),
        None => format!("address family {family} (not IP)"),
    };
    c.leaf(
        "loopback.family",
        0,
        4,
        Value::UInt(u64::from(family)),
        meaning,
    );
    c.close("loopback", 0, 4, "BSD loopback header");
    match v6 {
        Some(false) => ipv4(c, 4),
        Some(true) => ipv6(c, 4),
        None => {
            c.top("data", 4, c.data.len(), "not IP");
            Ok(Content::Other(format!("loopback address family {family}")))
        }
    }
}

fn raw_ip(c: &mut Cur<'_>, at: usize) -> Result<Content, DecodeError> {
    let v = c.u8(at, "IP.version")? >> 4;
    match v {
        4 => ipv4(c, at),
        6 => ipv6(c, at),
        _ => Err(c.err(at, "IP.version", format!("version {v}: neither 4 nor 6"))),
    }
}

fn proto_name(p: u8) -> &'static str {
    match p {
        IPPROTO_TCP => "TCP",
        IPPROTO_UDP => "UDP",
        IPPROTO_ICMP => "ICMP",
        IPPROTO_ICMPV6 => "ICMPv6",
        2 => "IGMP",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        132 => "SCTP",
        _ => "unknown",
    }
}

fn ipv4(c: &mut Cur<'_>, at: usize) -> Result<Content, DecodeError> {
    let vihl = c.u8(at, "IPv4.version")?;
    let (version, ihl) = (vihl >> 4, vihl & 0x0f);
    if version != 4 {
        return Err(c.err(at, "IPv4.version", format!("says {version}, expected 4")));
    }
    let hlen = usize::from(ihl) * 4;
    if hlen < 20 {
        return Err(c.err(
            at,
            "IPv4.ihl",
            format!("says {ihl} ({hlen} bytes), at least 5 (20 bytes) required"),
        ));
    }
    c.leaf(
        "ip.version_ihl",
        at,
        1,
        Value::UInt(u64::from(vihl)),
        format!("version 4, header length {hlen} bytes"),
    );
    let tos = c.u8(at + 1, "IPv4.dscp_ecn")?;
    c.leaf(
        "ip.dscp_ecn",
        at + 1,
        1,
        Value::UInt(u64::from(tos)),
        format!("DSCP {}, ECN {}", tos >> 2, tos & 3),
    );
    let total = c.u16(at + 2, "IPv4.total_length")?;
    let captured = c.data.len().saturating_sub(at);
    // A total length of 0 is what TCP segmentation offload leaves in captures
    // taken on the sending host: the rest of the capture is the datagram.
    let (end, total_meaning) = if total == 0 {
        (
            c.data.len(),
            "0: segmentation offload, the captured length is used".to_string(),
        )
    } else {
        let t = usize::from(total);
        if t < hlen {
            return Err(c.err(
                at + 2,
                "IPv4.total_length",
                format!("says {total}, less than the {hlen}-byte header"),
            ));
        }
        if t > captured {
            return Err(c.err(
                at + 2,
                "IPv4.total_length",
                format!("says {total}, {captured} bytes captured"),
            ));
        }
        (at + t, format!("{total} bytes of header and data"))
    };
    c.leaf(
        "ip.total_length",
        at + 2,
        2,
        Value::UInt(u64::from(total)),
        total_meaning,
    );
    if hlen > end - at {
        return Err(c.err(
            at,
            "IPv4.ihl",
            format!("header of {hlen} bytes, {} bytes in the datagram", end - at),
        ));
    }
    let id = c.u16(at + 4, "IPv4.id")?;
    c.leaf(
        "ip.id",
        at + 4,
        2,
        Value::UInt(u64::from(id)),
        "identification",
    );
    let ff = c.u16(at + 6, "IPv4.flags")?;
    let df = ff & 0x4000 != 0;
    let mf = ff & 0x2000 != 0;
    let frag_off = usize::from(ff & 0x1fff) * 8;
    c.leaf(
        "ip.flags_fragment",
        at + 6,
        2,
        Value::UInt(u64::from(ff)),
        format!(
            "{}{}fragment offset {frag_off}",
            if df { "don't fragment, " } else { "" },
            if mf { "more fragments, " } else { "" },
        ),
    );
    let ttl = c.u8(at + 8, "IPv4.ttl")?;
    c.leaf(
        "ip.ttl",
        at + 8,
        1,
        Value::UInt(u64::from(ttl)),
        "time to live",
    );
    let proto = c.u8(at + 9, "IPv4.protocol")?;
    c.leaf(
        "ip.protocol",
        at + 9,
        1,
        Value::UInt(u64::from(proto)),
        proto_name(proto),
    );
    let sum = c.u16(at + 10, "IPv4.checksum")?;
    c.leaf(
        "ip.checksum",
        at + 10,
        2,
        Value::UInt(u64::from(sum)),
        "header checksum (not verified)",
    );
    let s = c.get(at + 12, 4, "IPv4.src")?;
    let src = Ipv4Addr::new(
        s.first().copied().unwrap_or(0),
        s.get(1).copied().unwrap_or(0),
        s.get(2).copied().unwrap_or(0),
        s.get(3).copied().unwrap_or(0),
    );
    c.leaf(
        "ip.src",
        at + 12,
        4,
        Value::Text(src.to_string()),
        "source address",
    );
    let d = c.get(at + 16, 4, "IPv4.dst")?;
    let dst = Ipv4Addr::new(
        d.first().copied().unwrap_or(0),
        d.get(1).copied().unwrap_or(0),
        d.get(2).copied().unwrap_or(0),
        d.get(3).copied().unwrap_or(0),
    );
    c.leaf(
        "ip.dst",
        at + 16,
        4,
        Value::Text(dst.to_string()),
        "destination address",
    );
    if hlen > 20 {
        let opts = c.get(at + 20, hlen - 20, "IPv4.options")?;
        c.leaf(
            "ip.options",
            at + 20,
            hlen - 20,
            Value::Bytes(opts.to_vec()),
            "options (skipped)",
        );
    }
    c.close(
        "ipv4",
        at,
        at + hlen,
        format!("IPv4 {src} -> {dst}, {}", proto_name(proto)),
    );
    let body = at + hlen;
    let trailer = |c: &mut Cur<'_>| c.top("trailer", end, c.data.len(), "link-layer padding");
    if mf || frag_off != 0 {
        c.top("data", body, end, "IP fragment (not reassembled)");
        trailer(c);
        return Ok(Content::Other(format!(
            "IPv4 fragment ({} at offset {frag_off}, id {id}; not reassembled)",
            proto_name(proto)
        )));
    }
    let content = transport(c, proto, IpAddr::V4(src), IpAddr::V4(dst), body, end)?;
    trailer(c);
    Ok(content)
}

/// IPv6 extension headers skipped on the way to TCP.
fn ipv6(c: &mut Cur<'_>, at: usize) -> Result<Content, DecodeError> {
    let first = c.u32(at, "IPv6.version")?;
    let version = first >> 28;
    if version != 6 {
        return Err(c.err(at, "IPv6.version", format!("says {version}, expected 6")));
    }
    c.leaf(
        "ip.version_class_flow",
        at,
        4,
        Value::UInt(u64::from(first)),
        format!(
            "version 6, traffic class {}, flow label {}",
            (first >> 20) & 0xff,
            first & 0xfffff
        ),
    );
    let plen = c.u16(at + 4, "IPv6.payload_length")?;
    let captured = c.data.len().saturating_sub(at + 40);
    let end = if plen == 0 {
        // jumbogram or segmentation offload: use what was captured
        c.data.len().max(at + 40)
    } else {
        let p = usize::from(plen);
        if p > captured {
            return Err(c.err(
                at + 4,
                "IPv6.payload_length",
                format!("says {plen}, {captured} bytes captured"),
            ));
        }
        at + 40 + p
    };
    c.leaf(
        "ip.payload_length",
        at + 4,
        2,
        Value::UInt(u64::from(plen)),
        format!("{plen} bytes after the fixed header"),
    );
    let mut next = c.u8(at + 6, "IPv6.next_header")?;
    c.leaf(
        "ip.next_header",
        at + 6,
        1,
        Value::UInt(u64::from(next)),
        proto_name(next),
    );
    let hop = c.u8(at + 7, "IPv6.hop_limit")?;
    c.leaf(
        "ip.hop_limit",
        at + 7,
        1,
        Value::UInt(u64::from(hop)),
        "hop limit",
    );
    let mut addr = [0u8; 16];
    addr.copy_from_slice(c.get(at + 8, 16, "IPv6.src")?);
    let src = Ipv6Addr::from(addr);
    c.leaf(
        "ip.src",
        at + 8,
        16,
        Value::Text(src.to_string()),
        "source address",
    );
    addr.copy_from_slice(c.get(at + 24, 16, "IPv6.dst")?);
    let dst = Ipv6Addr::from(addr);
    c.leaf(
        "ip.dst",
        at + 24,
        16,
        Value::Text(dst.to_string()),
        "destination address",
    );
    let mut pos = at + 40;
    let mut fragment: Option<String> = None;
    // Each extension header is at least 8 bytes, so this loop ends.
    loop {
        let len = match next {
            // hop-by-hop, routing, destination options: (len + 1) * 8
            0 | 43 | 60 => {
                let l = c.u8(pos + 1, "IPv6.ext.length")?;
                (usize::from(l) + 1) * 8
            }
            44 => {
                let ff = c.u16(pos + 2, "IPv6.fragment.offset")?;
                let off = usize::from(ff >> 3) * 8;
                if off != 0 || ff & 1 != 0 {
                    fragment = Some(format!("IPv6 fragment (offset {off}; not reassembled)"));
                }
                8
            }
            // authentication header: (len + 2) * 4
            51 => {
                let l = c.u8(pos + 1, "IPv6.ah.length")?;
                (usize::from(l) + 2) * 4
            }
            _ => break,
        };
        let hdr = next;
        if pos + len > end {
            return Err(c.err(
                pos,
                "IPv6.ext.length",
                format!(
                    "extension header of {len} bytes, {} bytes left in the packet",
                    end.saturating_sub(pos)
                ),
            ));
        }
        next = c.u8(pos, "IPv6.ext.next_header")?;
        let bytes = c.get(pos, len, "IPv6.ext")?;
        c.leaf(
            "ip.extension_header",
            pos,
            len,
            Value::Bytes(bytes.to_vec()),
            format!(
                "extension header {hdr} ({}), next header {next} (skipped)",
                match hdr {
                    0 => "hop-by-hop options",
                    43 => "routing",
                    44 => "fragment",
                    60 => "destination options",
                    _ => "authentication",
                }
            ),
        );
        pos += len;
        if fragment.is_some() {
            break;
        }
    }
    c.close(
        "ipv6",
        at,
        pos,
        format!("IPv6 {src} -> {dst}, {}", proto_name(next)),
    );
    let trailer = |c: &mut Cur<'_>| c.top("trailer", end, c.data.len(), "link-layer padding");
    if let Some(f) = fragment {
        c.top("data", pos, end, "IP fragment (not reassembled)");
        trailer(c);
        return Ok(Content::Other(f));
    }
    let content = transport(c, next, IpAddr::V6(src), IpAddr::V6(dst), pos, end)?;
    trailer(c);
    Ok(content)
}

/// TCP, or the datagram's data as an opaque leaf when it is not TCP.
fn transport(
    c: &mut Cur<'_>,
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    at: usize,
    end: usize,
) -> Result<Content, DecodeError> {
    if proto != IPPROTO_TCP {
        c.top("data", at, end, proto_name(proto));
        return Ok(Content::Other(format!(
            "{} (IP protocol {proto})",
            proto_name(proto)
        )));
    }
    let seg_len = end.saturating_sub(at);
    let sport = c.u16(at, "TCP.src_port")?;
    c.leaf(
        "tcp.src_port",
        at,
        2,
        Value::UInt(u64::from(sport)),
        "source port",
    );
    let dport = c.u16(at + 2, "TCP.dst_port")?;
    c.leaf(
        "tcp.dst_port",
        at + 2,
        2,
        Value::UInt(u64::from(dport)),
        "destination port",
    );
    let seq = c.u32(at + 4, "TCP.seq")?;
    c.leaf(
        "tcp.seq",
        at + 4,
        4,
        Value::UInt(u64::from(seq)),
        "sequence number",
    );
    let ack = c.u32(at + 8, "TCP.ack")?;
    c.leaf(
        "tcp.ack",
        at + 8,
        4,
        Value::UInt(u64::from(ack)),
        "acknowledgment number",
    );
    let off_flags = c.u16(at + 12, "TCP.data_offset")?;
    let hlen = usize::from(off_flags >> 12) * 4;
    let [_, flag_bits] = off_flags.to_be_bytes();
    let flags = TcpFlags(flag_bits);
    if hlen < 20 {
        return Err(c.err(
            at + 12,
            "TCP.data_offset",
            format!(
                "says {} ({hlen} bytes), at least 5 (20 bytes) required",
                hlen / 4
            ),
        ));
    }
    if hlen > seg_len {
        return Err(c.err(
            at + 12,
            "TCP.data_offset",
            format!("header of {hlen} bytes, {seg_len} bytes in the segment"),
        ));
    }
    c.leaf(
        "tcp.offset_flags",
        at + 12,
        2,
        Value::UInt(u64::from(off_flags)),
        format!("header length {hlen} bytes, flags {flags}"),
    );
    let window = c.u16(at + 14, "TCP.window")?;
    c.leaf(
        "tcp.window",
        at + 14,
        2,
        Value::UInt(u64::from(window)),
        "receive window (unscaled)",
    );
    let sum = c.u16(at + 16, "TCP.checksum")?;
    c.leaf(
        "tcp.checksum",
        at + 16,
        2,
        Value::UInt(u64::from(sum)),
        "checksum (not verified)",
    );
    let urg = c.u16(at + 18, "TCP.urgent")?;
    c.leaf(
        "tcp.urgent",
        at + 18,
        2,
        Value::UInt(u64::from(urg)),
        "urgent pointer",
    );
    if hlen > 20 {
        let opts = c.get(at + 20, hlen - 20, "TCP.options")?;
        c.leaf(
            "tcp.options",
            at + 20,
            hlen - 20,
            Value::Bytes(opts.to_vec()),
            "options (skipped)",
        );
    }
    c.close(
        "tcp",
        at,
        at + hlen,
        format!("TCP {sport} -> {dport} [{flags}] seq {seq}"),
    );
    let payload = at + hlen..end;
    c.top(
        "tcp.payload",
        payload.start,
        payload.end,
        format!(
            "{} of TCP payload",
            crate::reader::bytes_word(payload.len())
        ),
    );
    Ok(Content::Tcp(TcpSegment {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        seq,
        ack,
        flags,
        window,
        payload,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::check_tiling;

    fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&7u32.to_be_bytes());
        // data offset 6 (one 4-byte option: NOPs)
        t.extend_from_slice(&[0x60, flags, 0x01, 0x00, 0, 0, 0, 0, 1, 1, 1, 1]);
        t.extend_from_slice(payload);
        t
    }

    fn ipv4(t: &[u8]) -> Vec<u8> {
        let total = u16::try_from(24 + t.len()).unwrap();
        let mut p = vec![0x46, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(&[1, 1, 1, 0]); // options: NOP NOP NOP EOL
        p.extend_from_slice(t);
        p
    }

    fn ipv6(t: &[u8]) -> Vec<u8> {
        // fixed header + an 8-byte hop-by-hop header
        let plen = u16::try_from(8 + t.len()).unwrap();
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&plen.to_be_bytes());
        p.extend_from_slice(&[0, 64]);
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(t);
        p
    }

    fn check(link: LinkType, data: &[u8]) -> TcpSegment {
        let p = parse_packet(link, data, 100).unwrap();
        check_tiling(&p.spans, 100, data.len()).unwrap();
        match p.content {
            Content::Tcp(s) => {
                assert_eq!(data.get(s.payload.clone()).unwrap(), b"hello");
                s
            }
            Content::Other(o) => panic!("not TCP: {o}"),
        }
    }

    #[test]
    fn every_link_type() {
        let t = tcp(50000, 4369, 0xffff_fff0, 0x18, b"hello");
        let v4 = ipv4(&t);
        let v6 = ipv6(&t);
        let mut eth = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0, 0, 5, 0x08, 0];
        eth.extend_from_slice(&v4);
        eth.extend_from_slice(&[0; 6]); // padding
        let s = check(LinkType::ETHERNET, &eth);
        assert_eq!(s.src.to_string(), "10.0.0.1:50000");
        assert_eq!(s.dst.to_string(), "10.0.0.2:4369");
        assert_eq!(s.seq, 0xffff_fff0);
        assert!(s.flags.contains(TcpFlags::PSH));
        assert_eq!(s.flags.to_string(), "ACK,PSH");
        let mut sll = vec![0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd];
        sll.extend_from_slice(&v6);
        let s = check(LinkType::LINUX_SLL, &sll);
        assert_eq!(s.src.to_string(), "[::1]:50000");
        let mut sll2 = vec![
            0x08, 0, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(&v4);
        check(LinkType::LINUX_SLL2, &sll2);
        for fam in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let mut lo = fam.to_vec();
            lo.extend_from_slice(&v4);
            check(LinkType::NULL, &lo);
            check(LinkType::LOOP, &lo);
        }
        for fam in [[30, 0, 0, 0], [0, 0, 0, 24], [10, 0, 0, 0]] {
            let mut lo = fam.to_vec();
            lo.extend_from_slice(&v6);
            check(LinkType::NULL, &lo);
        }
        for l in [LinkType::RAW, LinkType::RAW_12, LinkType::RAW_14] {
            check(l, &v4);
            check(l, &v6);
        }
        check(LinkType::IPV4, &v4);
        check(LinkType::IPV6, &v6);
    }

    #[test]
    fn errors_name_layer_and_offset() {
        let t = tcp(1, 2, 3, 0x18, b"hello");
        let mut v4 = ipv4(&t);
        v4[2..4].copy_from_slice(&1500u16.to_be_bytes());
        let e = parse_packet(LinkType::RAW, &v4, 10).unwrap_err();
        assert_eq!(e.field, "IPv4.total_length");
        assert_eq!(e.offset, 12);
        assert_eq!(e.message, format!("says 1500, {} bytes captured", v4.len()));
        let e = parse_packet(LinkType::ETHERNET, &[0; 13], 0).unwrap_err();
        assert_eq!((e.field.as_str(), e.offset), ("Ethernet.type", 12));
        let e = parse_packet(LinkType(147), &[0; 13], 0).unwrap_err();
        assert!(e.message.contains("147 (unknown)"), "{e}");
        // every prefix of a packet either errors or (never) panics
        let mut eth = vec![0; 12];
        eth.extend_from_slice(&[0x86, 0xdd]);
        eth.extend_from_slice(&ipv6(&t));
        for n in 0..eth.len() {
            assert!(
                parse_packet(LinkType::ETHERNET, &eth[..n], 0).is_err(),
                "{n}"
            );
        }
    }

    #[test]
    fn not_tcp_is_other() {
        let mut arp = vec![0xff; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        let p = parse_packet(LinkType::ETHERNET, &arp, 0).unwrap();
        assert_eq!(p.content, Content::Other("ARP (ethertype 0x0806)".into()));
        check_tiling(&p.spans, 0, arp.len()).unwrap();
        let mut udp = ipv4(&[0; 12]);
        udp[9] = IPPROTO_UDP;
        let p = parse_packet(LinkType::RAW, &udp, 0).unwrap();
        assert_eq!(p.content, Content::Other("UDP (IP protocol 17)".into()));
        let mut frag = ipv4(&tcp(1, 2, 3, 0x18, b"hello"));
        frag[6] = 0x20; // more fragments
        let p = parse_packet(LinkType::RAW, &frag, 0).unwrap();
        assert!(matches!(p.content, Content::Other(ref s) if s.starts_with("IPv4 fragment")));
        check_tiling(&p.spans, 0, frag.len()).unwrap();
    }
}
