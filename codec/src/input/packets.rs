//! Packet dumps (`tshark -x`, Wireshark's "Copy as Hex Dump", `tcpdump
//! -X`, `-xx`) turned into a capture.
//!
//! [`super::dumps`] reads the rows of each packet; here the link-layer
//! header is recognised ([`guess_link`]: Ethernet, Linux cooked SLL and
//! SLL2, BSD loopback, or raw IP from the IP header, as `tcpdump -x` and
//! `-X` print), and the packets are laid into an in-memory pcap file
//! ([`to_pcap`]) for [`crate::capture`], which reads each packet's headers
//! with [`crate::capture::net::parse_packet`], puts every TCP connection
//! back together and decodes it, with the ports shown and the side that
//! connected decided as for a capture file (the SYN; else epmd's port 4369
//! or a node port epmd announced; else the bytes).

use super::dumps::PacketText;
use crate::capture::net::{parse_packet, Content, LinkType};

/// The link types tried, in order, for a dump that starts at the link
/// header (`tshark -x`, `tcpdump -xx`).
const LINK_FIRST: [LinkType; 5] = [
    LinkType::ETHERNET,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::RAW,
];

/// The link types tried for a dump that starts at the IP header (`tcpdump
/// -x`, `-X`).
const IP_FIRST: [LinkType; 5] = [
    LinkType::RAW,
    LinkType::ETHERNET,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
];

/// The link type under which `bytes` read as a TCP packet, trying the IP
/// header first when `ip_first`.
pub fn guess_link(bytes: &[u8], ip_first: bool) -> Option<LinkType> {
    let order = if ip_first { IP_FIRST } else { LINK_FIRST };
    order.into_iter().find(|&l| {
        matches!(
            parse_packet(l, bytes, 0),
            Ok(p) if matches!(p.content, Content::Tcp(_))
        )
    })
}

/// The link type of a dump: the one that reads the most packets as TCP
/// (ties: the earlier in the order), with how many it read.
pub fn dump_link(packets: &[PacketText], ip_first: bool) -> Option<(LinkType, usize)> {
    let order = if ip_first { IP_FIRST } else { LINK_FIRST };
    let mut best: Option<(LinkType, usize)> = None;
    for l in order {
        let n = packets
            .iter()
            .filter(|p| {
                matches!(
                    parse_packet(l, &p.bytes, 0),
                    Ok(pk) if matches!(pk.content, Content::Tcp(_))
                )
            })
            .count();
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((l, n));
        }
    }
    best
}

/// `13:42:25.083142` at the start of a tcpdump packet line (after an
/// optional date), as (seconds of the day, microseconds).
pub fn tcpdump_time(header: &str) -> Option<(u32, u32)> {
    header.split_whitespace().take(2).find_map(|w| {
        let (hms, frac) = match w.split_once('.') {
            Some((a, b)) => (a, b),
            None => (w, ""),
        };
        let mut it = hms.split(':');
        let (h, m, s) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || h.len() != 2 || m.len() != 2 || s.len() != 2 {
            return None;
        }
        let h: u32 = h.parse().ok()?;
        let m: u32 = m.parse().ok()?;
        let s: u32 = s.parse().ok()?;
        if !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        let us: u32 = digits.parse().ok()?;
        Some((h * 3600 + m * 60 + s, us))
    })
}

/// A pcap file (microsecond timestamps, little-endian) holding the packets
/// with link type `link`. Times come from tcpdump's packet lines when they
/// have them (the time of day; the date is not kept); otherwise 0.
pub fn to_pcap(packets: &[PacketText], link: LinkType) -> Vec<u8> {
    let total: usize = packets.iter().map(|p| p.bytes.len() + 16).sum();
    let mut out = Vec::with_capacity(24 + total);
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&link.0.to_le_bytes());
    for p in packets {
        let (secs, us) = p.header.as_deref().and_then(tcpdump_time).unwrap_or((0, 0));
        let len = u32::try_from(p.bytes.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&us.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&p.bytes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_and_time() {
        // Ethernet (zero MACs), IPv4, TCP 42972 -> 4399, no payload.
        let eth = crate::input::parse_hex(
            "000000000000000000000000080045000034bd1d40004006 7fa47f0000017f000001a7dc112f8f87ac9713c82224801000 40fe2800000101080abde78a0427191b24",
        )
        .unwrap()
        .bytes;
        assert_eq!(guess_link(&eth, false), Some(LinkType::ETHERNET));
        assert_eq!(
            guess_link(eth.get(14..).unwrap(), true),
            Some(LinkType::RAW)
        );
        assert_eq!(
            tcpdump_time("13:42:25.083142 IP a > b"),
            Some((49345, 83142))
        );
        assert_eq!(tcpdump_time("IP a > b"), None);
    }
}
