//! Packet captures (pcap, pcapng): link, IP and TCP headers of each packet,
//! TCP reassembly per connection, and whole-session decoding of what the
//! connections carried.

pub mod net;
