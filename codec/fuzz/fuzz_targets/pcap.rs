//! Capture import on arbitrary files: `decode_capture` with the corpus's
//! epmd port and with none, the same bytes pushed into a `CaptureDecoder`
//! in pieces (of a size the first byte picks), and `net::parse_packet` of
//! them under the link type the first byte picks. Asserts no panic; pieces
//! decode like the whole; every frame names a connection and complete
//! frames' leaf spans tile them; a parsed packet's header spans tile it and
//! its payload lies inside it.
#![no_main]

use erldist_codec::capture::net::{parse_packet, Content, LinkType};
use erldist_codec::capture::{decode_capture, CaptureDecoder, CaptureOptions};
use erldist_codec::span::check_tiling;
use libfuzzer_sys::fuzz_target;

const LINKS: [LinkType; 10] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::RAW_12,
    LinkType::RAW_14,
    LinkType::RAW,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::LINUX_SLL2,
];

fuzz_target!(|data: &[u8]| {
    for ports in [vec![4399], vec![]] {
        let opts = CaptureOptions {
            epmd_ports: ports,
            cookie: Some(b"corpuscookie".to_vec()),
            ..CaptureOptions::default()
        };
        let r = decode_capture(data, &opts);
        for f in &r.frames {
            let s = f.stream.expect("a capture's frames name their connection");
            assert!(s < r.connections.len(), "stream {s} has a connection");
            if f.status.is_complete() {
                if let Err(e) = check_tiling(&f.spans, f.offset, f.bytes.len()) {
                    panic!("{} does not tile: {e}", f.type_name);
                }
            }
        }
    }
    // Pushed in pieces, the same frames as in one slice.
    if let Some(&pick) = data.first() {
        let opts = CaptureOptions::default();
        let whole = decode_capture(data, &opts);
        let mut d = CaptureDecoder::new(opts);
        let mut frames = Vec::new();
        for chunk in data.chunks(usize::from(pick % 97) + 1) {
            d.push(chunk, &mut |f| frames.push(f));
        }
        let s = d.finish(&mut |f| frames.push(f));
        assert_eq!(frames, whole.frames, "pieces decode like the whole");
        assert_eq!(s.connections, whole.connections);
    }
    if let Some((&pick, rest)) = data.split_first() {
        let link = LINKS[usize::from(pick) % LINKS.len()];
        if let Ok(p) = parse_packet(link, rest, 7) {
            check_tiling(&p.spans, 7, rest.len()).expect("header spans tile the packet");
            if let Content::Tcp(seg) = p.content {
                assert!(seg.payload.start <= seg.payload.end && seg.payload.end <= rest.len());
            }
        }
    }
});
