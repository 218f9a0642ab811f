//! The worked examples of the "Learn" tab: each is a short explanation and
//! the builder or decoder state that shows it. Inputs taken from real OTP 25
//! traffic are excerpts of the captures in `codec/tests/vectors/` (see its
//! README for provenance): `dist_hidden` (a hidden node `h` talking to `b`,
//! cookie `corpuscookie`).

use crate::url::{BuildQuery, DecodeQuery, Route, Tab};

/// What an example opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The builder on this message and these fields (a derived field listed
    /// here is overridden).
    Build(&'static str, &'static [(&'static str, &'static str)]),
    /// The decoder on this input.
    Decode {
        /// The paste box.
        input: &'static str,
        /// `auto`, `epmd` or `dist`.
        protocol: &'static str,
        /// `auto`, `request` or `reply`.
        direction: &'static str,
        /// The cookie to check digests with.
        cookie: &'static str,
    },
}

/// One worked example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GalleryItem {
    /// Stable id (`?example=<id>`, element ids).
    pub id: &'static str,
    /// Card title.
    pub title: &'static str,
    /// What happens, in a few sentences.
    pub text: &'static str,
    /// What to take away (the rule behind it).
    pub lesson: &'static str,
    /// What it opens.
    pub target: Target,
}

impl GalleryItem {
    /// The route that opens it.
    pub fn route(&self) -> Route {
        let mut r = Route {
            example: self.id.to_string(),
            ..Route::default()
        };
        match self.target {
            Target::Build(message, fields) => {
                r.tab = Tab::Build;
                r.build = BuildQuery {
                    message: message.to_string(),
                    fields: fields
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                };
            }
            Target::Decode {
                input,
                protocol,
                direction,
                cookie,
            } => {
                r.tab = Tab::Decode;
                r.decode = DecodeQuery {
                    input: input.to_string(),
                    protocol: protocol.to_string(),
                    direction: direction.to_string(),
                    cookie: cookie.to_string(),
                    ..DecodeQuery::default()
                };
            }
        }
        r
    }

    /// The button's label.
    pub fn opens_in(&self) -> &'static str {
        match self.target {
            Target::Build(..) => "Open in the builder",
            Target::Decode { .. } => "Open in the decoder",
        }
    }

    /// The example with this id.
    pub fn find(id: &str) -> Option<&'static GalleryItem> {
        GALLERY.iter().find(|e| e.id == id)
    }
}

const fn decode(input: &'static str) -> Target {
    Target::Decode {
        input,
        protocol: "",
        direction: "",
        cookie: "",
    }
}

/// `epmd -d -d -d` excerpt (dist_hidden): `h` registers, its registration
/// socket closes, epmd forgets the name.
const REGISTRATION_CLOSED_LOG: &str = r#"epmd: Tue Nov 24 13:42:27 2026: Local peer connected
epmd: Tue Nov 24 13:42:27 2026: time in seconds: 1795527747
epmd: Tue Nov 24 13:42:27 2026: opening connection on file descriptor 6
epmd: Tue Nov 24 13:42:27 2026: time in seconds: 1795527747
epmd: Tue Nov 24 13:42:27 2026: got 16 bytes
***** 00000000  00 0e 78 af cc 4d 00 00  06 00 05 00 01 68 00 00  |..x..M.......h..|
epmd: Tue Nov 24 13:42:27 2026: time in seconds: 1795527747
epmd: Tue Nov 24 13:42:27 2026: ** got ALIVE2_REQ
epmd: Tue Nov 24 13:42:27 2026: time in seconds: 1795527747
epmd: Tue Nov 24 13:42:27 2026: registering 'h:1795527748', port 45004
epmd: Tue Nov 24 13:42:27 2026: type 77 proto 0 highvsn 6 lowvsn 5
*****     active name     "h#1795527748" at port 45004, fd = 6
*****     reg calculated count  : 2
*****     unreg counter         : 0
*****     unreg calculated count: 0
epmd: Tue Nov 24 13:42:27 2026: got 6 bytes
***** 00000000  76 00 6b 05 94 44                                 |v.k..D|
epmd: Tue Nov 24 13:42:27 2026: ** sent ALIVE2_RESP for "h"
epmd: Tue Nov 24 13:42:28 2026: time in seconds: 1795527748
epmd: Tue Nov 24 13:42:28 2026: unregistering 'h:1795527748', port 45004
*****     reg calculated count  : 1
*****     old/unused name "h#1795527748"
*****     unreg counter         : 1
*****     unreg calculated count: 1
epmd: Tue Nov 24 13:42:28 2026: closing connection on file descriptor 6
"#;

/// The handshake of `h` (hidden) connecting to `b`, from dist_hidden's
/// per-stream listing (stream 3, runs 1 to 4).
macro_rules! handshake_streams {
    () => {
        r#"=== stream 3  client 127.0.0.1:58774  server 127.0.0.1:45002(b)
run 1 t=2.018229 client->server len=28 frames=28
001a4e0000000d07df7fbc6b059444000b68403132372e302e302e31
run 2 t=2.038786 server->client len=37 frames=30,32
0003736f6b001e4e0000000d07df7fbdee8467556b059442000b62403132372e302e302e31
run 3 t=2.039305 client->server len=23 frames=34
00157205b97ea446e55d006a84bde8919021b86f257f84
run 4 t=2.039391 server->client len=19 frames=35
00116151232d7e1c95825532c292c8fddb536f
"#
    };
}
const HANDSHAKE_STREAMS: &str = handshake_streams!();

/// The same connection through its first connected-phase messages (runs 1
/// to 7): REG_SEND and SEND_SENDER with atom-cache headers.
const CONNECTED_STREAMS: &str = concat!(
    handshake_streams!(),
    r#"run 5 t=2.039778 client->server len=241 frames=36,37
0000004d8344006804611358770b68403132372e302e302e3100000009000000006b059444770a6e65745f6b65726e656c5a0003770b68403132372e302e302e316b0594440000ce08f5590001b30049a90000009c8344006804610658770b68403132372e302e302e3100000009000000006b0594447700770a6e65745f6b65726e656c680377092467656e5f63616c6c680258770b68403132372e302e302e3100000009000000006b0594446c000000017705616c6961735a0003770b68403132372e302e302e316b0594440000ce08f5590001b30049a96802770769735f61757468770b68403132372e302e302e31
run 6 t=2.040008 server->client len=114 frames=39
0000006e834404cfa8009b0b62403132372e302e302e31bb0b68403132372e302e302e311f05616c696173cc03796573680361165852000000003d000000006b05944258520100000009000000006b05944468026c0000000152025a000352016b0594440000ce08f5590001b30049a95203
run 7 t=2.040268 client->server len=155 frames=40,42
000000488344029f009b0b68403132372e302e302e31af0a6e65745f6b65726e656c6804611458520000000009000000006b05944452015a000352006b0594440000ce08f5590001b30049a90000004b83440487aa009b05006a03726567971168656c6c6f5f66726f6d5f68696464656e6804610658520000000009000000006b05944452015202680258520000000009000000006b0594445203
"#
);

/// The examples, in the order the tab shows them.
pub const GALLERY: &[GalleryItem] = &[
    GalleryItem {
        id: "first-mistake",
        title: "The classic first mistake: the numbers as text",
        text: "Someone reads \"120, port 9506, type 77, protocol 0, versions 5 and 5, name length 4, \
               node, extra length 0\" and writes the ASCII text 1209506770554node0 to epmd. \
               epmd reads the first two characters, '1' '2' (0x31 0x32), as the length prefix: \
               12594 bytes follow, more than the 3057 it ever accepts: it logs \"invalid \
               packet size\" and closes the connection. Nothing is registered, yet the \
               write \"succeeded\".",
        lesson: "Every field is a fixed-width big-endian binary integer: port 9506 is the two \
                 bytes 25 22, not the four characters 9 5 0 6.",
        target: Target::Decode {
            input: "31 32 30 39 35 30 36 37 37 30 35 35 34 6e 6f 64 65 30",
            protocol: "epmd",
            direction: "request",
            cookie: "",
        },
    },
    GalleryItem {
        id: "alive2-req",
        title: "ALIVE2_REQ, field by field",
        text: "A node registers its name and distribution port with epmd: a 2-byte length \
               prefix, tag 120 'x', port, node type, protocol, highest and lowest version, \
               Nlen, the name, Elen, extra. Change any field and watch the bytes.",
        lesson: "Lengths (the prefix, Nlen, Elen) are derived: the builder computes them, and \
                 you can override one to see what a wrong value does.",
        target: Target::Build("ALIVE2_REQ", &[("port", "9506"), ("name", "node")]),
    },
    GalleryItem {
        id: "one-byte-nlen",
        title: "Nlen written as one byte",
        text: "Nlen is two bytes. Written as the single byte 04, epmd reads 04 6e (1134) as \
               the name length, finds fewer bytes than that before the end of the request, \
               and refuses it (\"Node name size error\").",
        lesson: "Lengths inside EPMD messages are 2 bytes, big-endian, always.",
        target: decode("00 10 78 25 22 4d 00 00 06 00 05 04 6e 6f 64 65 00 00"),
    },
    GalleryItem {
        id: "missing-prefix",
        title: "The missing length prefix",
        text: "The ALIVE2_REQ body without its 2-byte length prefix: epmd reads 78 25 as a \
               length of 30757 bytes, more than it accepts, and closes the connection.",
        lesson: "Every request to epmd starts with the 2-byte length of what follows \
                 (replies do not have one).",
        target: decode("78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00"),
    },
    GalleryItem {
        id: "registration-closed",
        title: "Close the socket, lose the name",
        text: "A node registers (ALIVE2_REQ, ALIVE2_RESP) on a TCP connection to epmd. The \
               registration lives exactly as long as that connection: when it closes, epmd \
               logs \"unregistering\" and the name is gone from epmd -names. A script that \
               registers and then exits has registered nothing.",
        lesson: "Keep the registration socket open for as long as the node should be \
                 reachable; do not send anything else on it.",
        target: decode(REGISTRATION_CLOSED_LOG),
    },
    GalleryItem {
        id: "epmd-is-not-the-node",
        title: "Talking to epmd instead of the node",
        text: "A handshake send_name ('N', from h@127.0.0.1) written to epmd's port 4369. \
               epmd does not know tag 78 'N', logs \"got garbage\" and closes. epmd only \
               tells you where the node listens (PORT_PLEASE2_REQ); the handshake goes to \
               that port.",
        lesson: "epmd is a name server, not the node: ask it for the port, then connect to \
                 the port.",
        target: Target::Decode {
            input: "00 1a 4e 00 00 00 0d 07 df 7f bc 6b 05 94 44 00 0b 68 40 31 32 37 2e 30 2e 30 2e 31",
            protocol: "epmd",
            direction: "request",
            cookie: "",
        },
    },
    GalleryItem {
        id: "alive2-x-resp",
        title: "ALIVE2_RESP or ALIVE2_X_RESP?",
        text: "epmd answers a registration with ALIVE2_X_RESP (tag 118 'v', 4-byte creation) \
               when the node's HighestVersion is 6 or more, and with the old ALIVE2_RESP \
               (tag 121 'y', 2-byte creation) otherwise. OTP 25 nodes send HighestVersion 6, \
               so they get the 4-byte form.",
        lesson: "Read the reply's tag before its fields: the creation is 2 or 4 bytes.",
        target: Target::Build("ALIVE2_X_RESP", &[("creation", "1795527748")]),
    },
    GalleryItem {
        id: "hidden-node",
        title: "Hidden or normal node",
        text: "Node type 77 'M' registers a normal node; 72 'H' a hidden one (what erl \
               -hidden and most tools use). Hidden nodes do not join the global mesh: \
               nodes() does not list them, only nodes(hidden).",
        lesson: "The node type byte only tells epmd; the handshake flags (PUBLISHED) tell the \
                 peer.",
        target: Target::Build(
            "ALIVE2_REQ",
            &[("port", "45004"), ("node_type", "72"), ("name", "h")],
        ),
    },
    GalleryItem {
        id: "handshake",
        title: "The handshake, step by step",
        text: "h@127.0.0.1 connects to b@127.0.0.1: send_name (N, flags, creation, name), \
               status ok, the challenge (b's flags, a 32-bit challenge, its name), the \
               challenge reply (h's challenge and md5(cookie ++ challenge)), the challenge \
               ack (b's digest). With the cookie corpuscookie both digests check out.",
        lesson: "The digest is md5 of the cookie followed by the peer's challenge as decimal \
                 text; a wrong cookie shows as a digest mismatch.",
        target: Target::Decode {
            input: HANDSHAKE_STREAMS,
            protocol: "",
            direction: "",
            cookie: "corpuscookie",
        },
    },
    GalleryItem {
        id: "atom-cache",
        title: "REG_SEND with an atom-cache header",
        text: "After the handshake, every message is a 4-byte length, 131 68 and the \
               distribution header: its atom-cache references (new entries carry the atom \
               text, old ones just an index), then the control tuple {6, From, '', ToName} \
               and the message. Later messages reuse the cached atoms by index.",
        lesson: "Atom-cache references are per connection and per direction: decode a \
                 capture from its first packet or the references cannot be resolved.",
        target: Target::Decode {
            input: CONNECTED_STREAMS,
            protocol: "",
            direction: "",
            cookie: "corpuscookie",
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::session::ProtocolChoice;
    use erldist_codec::{decode_text, DecodeOptions};

    fn decoded(input: &str, protocol: &str) -> erldist_codec::Report {
        let protocol = match protocol {
            "epmd" => ProtocolChoice::Epmd,
            "dist" => ProtocolChoice::Dist,
            _ => ProtocolChoice::Auto,
        };
        decode_text(
            input,
            &DecodeOptions {
                protocol,
                cookie: Some(b"corpuscookie".to_vec()),
                ..DecodeOptions::default()
            },
        )
    }

    #[test]
    fn ids_are_unique_and_found() {
        for (i, e) in GALLERY.iter().enumerate() {
            assert!(GALLERY[..i].iter().all(|o| o.id != e.id), "{}", e.id);
            assert_eq!(GalleryItem::find(e.id), Some(e));
            let r = e.route();
            assert_eq!(r.example, e.id);
        }
    }

    #[test]
    fn every_decoder_example_decodes_to_what_its_text_says() {
        let lint_of = |id: &str| {
            let e = GalleryItem::find(id).unwrap();
            let Target::Decode {
                input, protocol, ..
            } = e.target
            else {
                panic!("{id} is not a decoder example")
            };
            let r = decoded(input, protocol);
            assert!(r.input_error.is_none(), "{id}: {:?}", r.input_error);
            r.lint
                .iter()
                .chain(r.frames.iter().flat_map(|f| f.lint.iter()))
                .map(|l| l.id)
                .collect::<Vec<_>>()
        };
        assert!(lint_of("first-mistake").contains(&"ascii-decimal"));
        assert!(lint_of("one-byte-nlen").contains(&"one-byte-nlen"));
        assert!(lint_of("missing-prefix").contains(&"missing-length-prefix"));
        assert!(lint_of("epmd-is-not-the-node").contains(&"handshake-to-epmd"));
    }

    #[test]
    fn the_session_examples_decode_whole_with_valid_digests() {
        let r = decoded(HANDSHAKE_STREAMS, "");
        let types: Vec<_> = r.frames.iter().map(|f| f.type_name).collect();
        assert_eq!(
            types,
            [
                "SEND_NAME",
                "STATUS",
                "CHALLENGE",
                "CHALLENGE_REPLY",
                "CHALLENGE_ACK"
            ]
        );
        let r = decoded(CONNECTED_STREAMS, "");
        assert!(r.frames.iter().all(|f| f.status.is_complete()));
        assert!(r.frames.iter().any(|f| f.type_name == "REG_SEND"));
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"digest_ok\":true"), "digests checked");
        assert!(!json.contains("\"digest_ok\":false"));
    }

    #[test]
    fn the_registration_log_shows_register_then_unregister() {
        let r = decoded(REGISTRATION_CLOSED_LOG, "");
        assert_eq!(r.format, "epmd-log");
        let types: Vec<_> = r.frames.iter().map(|f| f.type_name).collect();
        assert_eq!(types, ["ALIVE2_REQ", "ALIVE2_X_RESP"]);
        assert!(REGISTRATION_CLOSED_LOG.contains("unregistering 'h"));
    }
}
