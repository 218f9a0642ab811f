//! The node-to-node handshake (SPEC §3) and the capability flags (SPEC §4).
//!
//! Every handshake message is `Length:u16` followed by `Length` bytes whose
//! first byte is the tag; after the initiator's `r` (its direction) and the
//! acceptor's `a` (its direction) frames have a 4-byte length instead.
//! [`decode_frame`] reads one message from the front of a byte slice; which
//! message an `N`/`n` is (send_name or challenge) is decided by who sent it,
//! never guessed from the bytes. Every message [`HandshakeMessage::encode`]s
//! back to the same bytes.
//!
//! * [`flags`](DistFlags): the `DFLAG_*` word, mandatory sets per release,
//!   [`explain`].
//! * [`digest`]: MD5(cookie ++ decimal(challenge)).
//! * [`HandshakeTracker`]: follows a captured connection frame by frame.
//! * [`Initiator`] / [`Acceptor`]: sans-IO state machines that do the
//!   handshake.
//!
//! ```
//! use erldist_codec::conn::Side;
//! use erldist_codec::handshake::{decode_frame, DistFlags, HandshakeMessage};
//! // SPEC §3.5: the initiator's send_name for "py@vm".
//! let bytes = erldist_codec::input::parse_hex(
//!     "00 14 4e 00 00 00 2d 07 df 7f bc 12 34 56 78 00 05 70 79 40 76 6d",
//! ).unwrap().bytes;
//! let f = decode_frame(&bytes, 0, Side::Initiator);
//! assert!(f.frame.status.is_complete());
//! assert_eq!(f.frame.type_name, "SEND_NAME");
//! match &f.message {
//!     Some(HandshakeMessage::SendName(m)) => {
//!         assert_eq!(m.name, b"py@vm");
//!         assert_eq!(m.creation, 0x1234_5678);
//!         assert!(m.flags.contains(DistFlags::V4_NC));
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert_eq!(f.message.unwrap().encode().unwrap(), bytes);
//! ```

mod digest;
mod fields;
pub mod flags;
mod machine;
mod messages;
mod tracker;

pub use digest::digest;
pub use fields::{encode_fields, field_schema, message_from_fields, message_types};
pub use flags::{
    bit_name, connected_phase_lines, explain, flag_by_name, flag_info, mandatory_flags_message,
    mandatory_for, missing_for, DistFlags, Explanation, FlagInfo, NodeProfile, Rejection,
    FLAG_TABLE,
};
pub use machine::{Acceptor, Config, Connection, Initiator, Outcome};
pub use messages::{
    name_ok, Challenge, ChallengeAck, ChallengeReply, ChallengeV5, Complement, HandshakeMessage,
    SendName, SendNameV5, Status, UnknownMessage,
};
pub use tracker::{HandshakeTracker, Phase, SideInfo};

use crate::conn::{FrameDecoded, Side};

/// `n` (110): send_name or challenge, version 5 (the sender decides which).
pub const TAG_V5: u8 = b'n';
/// `N` (78): send_name or challenge, version 6 (the sender decides which).
pub const TAG_V6: u8 = b'N';
/// `s` (115): status.
pub const TAG_STATUS: u8 = b's';
/// `c` (99): complement (after a version 5 send_name).
pub const TAG_COMPLEMENT: u8 = b'c';
/// `r` (114): challenge_reply.
pub const TAG_CHALLENGE_REPLY: u8 = b'r';
/// `a` (97): challenge_ack.
pub const TAG_CHALLENGE_ACK: u8 = b'a';

/// One decoded handshake frame: what the session decoder shows, plus the
/// typed message when the frame is complete and valid.
#[derive(Debug, Clone, PartialEq)]
pub struct HandshakeFrame {
    /// Spans, status, notes and fields, shared with the connected phase.
    pub frame: FrameDecoded,
    /// The typed message (complete frames only).
    pub message: Option<HandshakeMessage>,
}

/// Decodes one 2-byte-length-framed handshake message from the front of
/// `data`; `base` is the absolute offset of `data[0]`, `sender` the side
/// that sent the bytes (it decides whether `N`/`n` is a send_name or a
/// challenge).
///
/// A valid prefix is [`Incomplete`](crate::reader::Status::Incomplete) with
/// the number of bytes still needed; a wrong size is invalid with the
/// offset, the field path and the numbers; an unknown tag is invalid at the
/// tag byte but `consumed` still covers the frame's declared length so
/// decoding can go on.
pub fn decode_frame(data: &[u8], base: usize, sender: Side) -> HandshakeFrame {
    let read = messages::read_frame(data, base, sender);
    let fields = read
        .message
        .as_ref()
        .map(HandshakeMessage::fields)
        .unwrap_or_default();
    HandshakeFrame {
        frame: FrameDecoded {
            type_name: read.type_name,
            spans: read.spans,
            consumed: read.consumed,
            status: read.status,
            notes: read.notes,
            fields,
        },
        message: read.message,
    }
}
