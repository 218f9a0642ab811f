//! The example buttons: inputs worth looking at, one click away.

use erldist_codec::DirectionChoice;

/// One example input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// Button label.
    pub label: &'static str,
    /// Button tooltip: what the example shows.
    pub title: &'static str,
    /// The text put into the paste box.
    pub text: &'static str,
    /// The direction to decode it as (auto for most).
    pub direction: DirectionChoice,
}

/// A short `epmd -d -d -d` transcript: `epmd -names` asking, epmd answering.
pub const NAMES_LOG: &str = "\
epmd: Tue Nov 24 13:40:50 2026: Local peer connected
epmd: Tue Nov 24 13:40:50 2026: opening connection on file descriptor 6
epmd: Tue Nov 24 13:40:50 2026: got 3 bytes
***** 00000000  00 01 6e                                          |..n|
epmd: Tue Nov 24 13:40:50 2026: ** got NAMES_REQ
epmd: Tue Nov 24 13:40:50 2026: got 26 bytes
***** 00000000  00 00 11 11 6e 61 6d 65  20 66 6f 6f 20 61 74 20  |....name foo at |
***** 00000010  70 6f 72 74 20 35 35 35  35 0a                    |port 5555.|
epmd: Tue Nov 24 13:40:50 2026: closing connection on file descriptor 6
";

/// The examples, in button order.
pub const EXAMPLES: [Example; 7] = [
    Example {
        label: "ALIVE2_REQ",
        title: "A node registers: port 9506, normal node, versions 5..6, name \"node\"",
        text: "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00",
        direction: DirectionChoice::Auto,
    },
    Example {
        label: "NAMES_REQ",
        title: "`epmd -names`: list the registered nodes",
        text: "00 01 6e",
        direction: DirectionChoice::Auto,
    },
    Example {
        label: "PORT2_RESP",
        title: "epmd answers a look-up: node \"b\" listens on port 45811",
        text: "77 00 b2 f3 4d 00 00 06 00 05 00 01 62 00 00",
        direction: DirectionChoice::Auto,
    },
    Example {
        label: "NAMES_RESP",
        title: "epmd's answer to NAMES_REQ: its own port, then one text line per node",
        text: "0x00, 0x00, 0x11, 0x11,\n\
               0x6e, 0x61, 0x6d, 0x65, 0x20, 0x66, 0x6f, 0x6f, 0x20, 0x61, 0x74,\n\
               0x20, 0x70, 0x6f, 0x72, 0x74, 0x20, 0x35, 0x35, 0x35, 0x35, 0x0a",
        direction: DirectionChoice::Auto,
    },
    Example {
        label: "epmd -d -d -d log",
        title: "A debug log of `epmd -names`: request and reply, direction from the log",
        text: NAMES_LOG,
        direction: DirectionChoice::Auto,
    },
    Example {
        label: "bad name_len",
        title: "An ALIVE2_REQ whose Nlen (9) is larger than the frame leaves room for",
        text: "00 11 78 25 22 4d 00 00 06 00 05 00 09 6e 6f 64 65 00 00",
        direction: DirectionChoice::Auto,
    },
    Example {
        label: "ASCII \"1209506770554node0\"",
        title: "The classic mistake: a request written as ASCII text. \
                These are the bytes epmd receives, read as a request",
        text: "31 32 30 39 35 30 36 37 37 30 35 35 34 6e 6f 64 65 30",
        direction: DirectionChoice::Request,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::{decode_text, DecodeOptions};

    fn decode(e: &Example) -> erldist_codec::Report {
        decode_text(
            e.text,
            &DecodeOptions {
                direction: e.direction,
                ..DecodeOptions::default()
            },
        )
    }

    #[test]
    fn every_example_reads_without_an_input_error() {
        for e in &EXAMPLES {
            let r = decode(e);
            assert_eq!(r.input_error, None, "{}", e.label);
            assert!(!r.frames.is_empty(), "{}", e.label);
        }
    }

    #[test]
    fn examples_decode_as_their_labels_say() {
        let types = |i: usize| -> Vec<&'static str> {
            decode(&EXAMPLES[i])
                .frames
                .iter()
                .map(|f| f.type_name)
                .collect()
        };
        assert_eq!(types(0), ["ALIVE2_REQ"]);
        assert_eq!(types(1), ["NAMES_REQ"]);
        assert_eq!(types(2), ["PORT2_RESP"]);
        assert_eq!(types(3), ["NAMES_RESP"]);
        assert_eq!(types(4), ["NAMES_REQ", "NAMES_RESP"]);
        assert_eq!(decode(&EXAMPLES[4]).format, "epmd-log");
    }

    #[test]
    fn the_ascii_mistake_is_read_as_epmd_would() {
        let r = decode(&EXAMPLES[6]);
        let f = &r.frames[0];
        assert_eq!(
            f.spans[0].meaning,
            "length prefix 0x3132 = 12594 bytes follow"
        );
    }
}
