//! The distribution capability flags (`DFLAG_*`, SPEC §4): a 64-bit word
//! each node sends in its `send_name` / `challenge`, the mandatory sets per
//! OTP release, and an explainer that says whether two nodes can connect.
//!
//! Sources, read for this module:
//!
//! * Bit values: `erts/emulator/beam/dist.h` (OTP 28: `DFLAG_ALTACT_SIG`
//!   `0x20 << 32`, `DFLAG_LOCAL_EXT` `0x10 << 32` internal, bits 27..31
//!   `DFLAG_RESERVED 0xf8000000`) and `lib/kernel/include/dist.hrl`.
//! * OTP 22 and older (checked in an OTP 22 `dist.h`):
//!   `DFLAG_DIST_MANDATORY = EXTENDED_REFERENCES | EXTENDED_PIDS_PORTS |
//!   UTF8_ATOMS | NEW_FUN_TAGS` = `0x10184`.
//! * OTP 23 and 24: the same plus `BIG_CREATION` = `0x50184`, as SPEC §4 has
//!   it ("yes (since 23)"). No OTP 23/24 `dist.h` was reachable from this
//!   workspace's source index, so this set is the spec's, not re-read; the
//!   `MANDATORY_25_DIGEST` shorthand does not exist before OTP 25, so a 23/24
//!   receiver does not expand it.
//! * OTP 25: `DFLAG_DIST_MANDATORY = DFLAG_DIST_MANDATORY_25` =
//!   `0x01070F94` (an OTP 25.0-era `dist.h`; confirmed at run time on
//!   OTP 25.2.3: `erts_internal:get_dflags()` reports mandatory
//!   `16#1070F94` and default `16#D07DF7FBC`).
//! * OTP 26, 27, 28: `DFLAG_DIST_MANDATORY_25 | DFLAG_DIST_MANDATORY_26`
//!   (`V4_NC | UNLINK_ID`) = `0x4_0307_0F94` (OTP 26-28 `dist.h`).
//!   `MANDATORY_25_DIGEST` is *not* in it, although OTP 25's `dist.hrl`
//!   comment says "OTP 27 will make ?DFLAG_MANDATORY_25_DIGEST mandatory".
//! * The expansion rule: `dist_util:expand_mandatory_25_flag/1` (OTP 25.2.3,
//!   read back from the installed `dist_util.beam`, and OTP 28): a received
//!   word with `MANDATORY_25_DIGEST` set gets `MANDATORY_DFLAGS_25` ORed in
//!   before any check. Both sides apply it to the *peer's* word.
//! * The checks: `dist_util:check_dflags/2`. The acceptor checks the peer's
//!   (expanded) word right after `send_name`, answers `snot_allowed` and logs
//!   `** ~w: Connection attempt from node ~w rejected since it cannot handle
//!   ~p.**`; the initiator checks the AND of its own word and the peer's
//!   expanded word after the challenge and logs `... to node ~w aborted ...`.
//!   The missing list holds `dflag2str/1` strings, highest bit first.

use std::fmt;
use std::ops::{BitAnd, BitOr, Not};

/// A 64-bit distribution capability word. Unknown bits are kept and shown as
/// `bit N (unknown)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DistFlags(pub u64);

/// One row of the flag table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagInfo {
    /// Bit number (0..=63).
    pub bit: u32,
    /// The spec's name without `DFLAG_` (`EXTENDED_REFERENCES`).
    pub name: &'static str,
    /// The release that introduced it.
    pub since: &'static str,
    /// What it means, in one line.
    pub meaning: &'static str,
    /// Used inside the VM only; a node never sends it.
    pub internal: bool,
}

impl FlagInfo {
    /// The flag as a word.
    pub fn flag(&self) -> DistFlags {
        DistFlags(bit_value(self.bit))
    }
}

const fn row(bit: u32, name: &'static str, since: &'static str, meaning: &'static str) -> FlagInfo {
    FlagInfo {
        bit,
        name,
        since,
        meaning,
        internal: false,
    }
}

const fn internal(
    bit: u32,
    name: &'static str,
    since: &'static str,
    meaning: &'static str,
) -> FlagInfo {
    FlagInfo {
        bit,
        name,
        since,
        meaning,
        internal: true,
    }
}

/// Every named flag, by bit (SPEC §4). Bits 27..=31 are reserved and absent.
pub const FLAG_TABLE: &[FlagInfo] = &[
    row(
        0,
        "PUBLISHED",
        "ancient",
        "the node is published (visible); without it in both words the connection is hidden",
    ),
    row(
        1,
        "ATOM_CACHE",
        "ancient",
        "obsolete atom cache (reused inside the VM as DETERMINISTIC for term_to_binary)",
    ),
    row(
        2,
        "EXTENDED_REFERENCES",
        "ancient",
        "extended (3 x 32-bit) references; mandatory",
    ),
    row(
        3,
        "DIST_MONITOR",
        "ancient",
        "distributed process monitoring (MONITOR_P/DEMONITOR_P)",
    ),
    row(
        4,
        "FUN_TAGS",
        "ancient",
        "funs have their own tags; mandatory since OTP 25",
    ),
    row(
        5,
        "DIST_MONITOR_NAME",
        "ancient",
        "monitoring of registered names",
    ),
    row(
        6,
        "HIDDEN_ATOM_CACHE",
        "ancient",
        "obsolete atom cache for hidden nodes",
    ),
    row(7, "NEW_FUN_TAGS", "~R8", "NEW_FUN_EXT; mandatory"),
    row(
        8,
        "EXTENDED_PIDS_PORTS",
        "ancient",
        "extended pids and ports; mandatory",
    ),
    row(
        9,
        "EXPORT_PTR_TAG",
        "~R12",
        "EXPORT_EXT (fun M:F/A); mandatory since OTP 25",
    ),
    row(
        10,
        "BIT_BINARIES",
        "~R12",
        "BIT_BINARY_EXT (bitstrings); mandatory since OTP 25",
    ),
    row(
        11,
        "NEW_FLOATS",
        "~R11",
        "NEW_FLOAT_EXT (8-byte IEEE floats); mandatory since OTP 25",
    ),
    row(12, "UNICODE_IO", "~R13", "Unicode I/O"),
    row(
        13,
        "DIST_HDR_ATOM_CACHE",
        "R13B",
        "the distribution header with atom-cache refs (131,68)",
    ),
    row(14, "SMALL_ATOM_TAGS", "R13B", "SMALL_ATOM_EXT"),
    internal(
        15,
        "ETS_COMPRESSED",
        "-",
        "internal: ETS compressed tables, never on the wire",
    ),
    row(16, "UTF8_ATOMS", "~R16B", "UTF-8 atoms; mandatory"),
    row(
        17,
        "MAP_TAG",
        "OTP 17",
        "maps (MAP_EXT); mandatory since OTP 25",
    ),
    row(
        18,
        "BIG_CREATION",
        "OTP 19",
        "32-bit creations: NEW_PID_EXT, NEW_PORT_EXT, NEWER_REFERENCE_EXT; mandatory since OTP 23",
    ),
    row(
        19,
        "SEND_SENDER",
        "OTP 21",
        "SEND_SENDER(_TT) control messages",
    ),
    row(
        20,
        "BIG_SEQTRACE_LABELS",
        "OTP 21",
        "any term as a seq_trace label",
    ),
    internal(
        21,
        "PENDING_CONNECT",
        "-",
        "internal (also called NO_MAGIC): a connection being set up, never on the wire",
    ),
    row(
        22,
        "EXIT_PAYLOAD",
        "OTP 22",
        "PAYLOAD_EXIT/EXIT2/MONITOR_P_EXIT control messages",
    ),
    row(
        23,
        "FRAGMENTS",
        "OTP 22",
        "fragmented messages (131,69 / 131,70)",
    ),
    row(
        24,
        "HANDSHAKE_23",
        "OTP 23",
        "the version 6 handshake (`N` messages); mandatory since OTP 25",
    ),
    row(
        25,
        "UNLINK_ID",
        "OTP 23.3",
        "the new link protocol (UNLINK_ID/UNLINK_ID_ACK); mandatory since OTP 26",
    ),
    row(
        26,
        "MANDATORY_25_DIGEST",
        "OTP 25",
        "shorthand for all OTP 25 mandatory flags: a receiver (OTP 25+) ORs in 0x01070F94",
    ),
    row(32, "SPAWN", "OTP 23", "SPAWN_REQUEST/SPAWN_REPLY"),
    row(
        33,
        "NAME_ME",
        "OTP 23",
        "asks the acceptor for a dynamic node name (not a capability)",
    ),
    row(
        34,
        "V4_NC",
        "OTP 24",
        "32-bit pid ID/serial, 64-bit port IDs, up to 5 reference words; mandatory since OTP 26",
    ),
    row(35, "ALIAS", "OTP 24", "ALIAS_SEND(_TT) (process aliases)"),
    internal(
        36,
        "LOCAL_EXT",
        "OTP 26",
        "internal: term_to_binary's `local` option, never on the wire",
    ),
    row(
        37,
        "ALTACT_SIG",
        "OTP 28",
        "ALTACT_SIG_SEND (alternate action signals)",
    ),
];

const fn bit_value(bit: u32) -> u64 {
    match 1u64.checked_shl(bit) {
        Some(v) => v,
        None => 0,
    }
}

/// The table row of a bit, if the bit has a name.
pub fn flag_info(bit: u32) -> Option<&'static FlagInfo> {
    FLAG_TABLE.iter().find(|f| f.bit == bit)
}

/// The table row of a flag name (with or without `DFLAG_`, any case).
pub fn flag_by_name(name: &str) -> Option<&'static FlagInfo> {
    let n = name.trim();
    let n = n
        .strip_prefix("DFLAG_")
        .or_else(|| n.strip_prefix("dflag_"))
        .unwrap_or(n);
    FLAG_TABLE.iter().find(|f| f.name.eq_ignore_ascii_case(n))
}

impl DistFlags {
    /// No flags.
    pub const EMPTY: DistFlags = DistFlags(0);
    /// Bit 0: the node is published (visible).
    pub const PUBLISHED: DistFlags = DistFlags(0x1);
    /// Bit 1: obsolete atom cache.
    pub const ATOM_CACHE: DistFlags = DistFlags(0x2);
    /// Bit 2: extended references (mandatory).
    pub const EXTENDED_REFERENCES: DistFlags = DistFlags(0x4);
    /// Bit 3: distributed process monitoring.
    pub const DIST_MONITOR: DistFlags = DistFlags(0x8);
    /// Bit 4: fun tags (mandatory since OTP 25).
    pub const FUN_TAGS: DistFlags = DistFlags(0x10);
    /// Bit 5: monitoring of registered names.
    pub const DIST_MONITOR_NAME: DistFlags = DistFlags(0x20);
    /// Bit 6: obsolete hidden-node atom cache.
    pub const HIDDEN_ATOM_CACHE: DistFlags = DistFlags(0x40);
    /// Bit 7: NEW_FUN_EXT (mandatory).
    pub const NEW_FUN_TAGS: DistFlags = DistFlags(0x80);
    /// Bit 8: extended pids and ports (mandatory).
    pub const EXTENDED_PIDS_PORTS: DistFlags = DistFlags(0x100);
    /// Bit 9: EXPORT_EXT (mandatory since OTP 25).
    pub const EXPORT_PTR_TAG: DistFlags = DistFlags(0x200);
    /// Bit 10: bitstrings (mandatory since OTP 25).
    pub const BIT_BINARIES: DistFlags = DistFlags(0x400);
    /// Bit 11: NEW_FLOAT_EXT (mandatory since OTP 25).
    pub const NEW_FLOATS: DistFlags = DistFlags(0x800);
    /// Bit 12: Unicode I/O.
    pub const UNICODE_IO: DistFlags = DistFlags(0x1000);
    /// Bit 13: distribution header with atom cache.
    pub const DIST_HDR_ATOM_CACHE: DistFlags = DistFlags(0x2000);
    /// Bit 14: SMALL_ATOM_EXT.
    pub const SMALL_ATOM_TAGS: DistFlags = DistFlags(0x4000);
    /// Bit 15: internal only (ETS compressed).
    pub const ETS_COMPRESSED: DistFlags = DistFlags(0x8000);
    /// Bit 16: UTF-8 atoms (mandatory).
    pub const UTF8_ATOMS: DistFlags = DistFlags(0x1_0000);
    /// Bit 17: maps (mandatory since OTP 25).
    pub const MAP_TAG: DistFlags = DistFlags(0x2_0000);
    /// Bit 18: 32-bit creations (mandatory since OTP 23).
    pub const BIG_CREATION: DistFlags = DistFlags(0x4_0000);
    /// Bit 19: SEND_SENDER.
    pub const SEND_SENDER: DistFlags = DistFlags(0x8_0000);
    /// Bit 20: any term as seq_trace label.
    pub const BIG_SEQTRACE_LABELS: DistFlags = DistFlags(0x10_0000);
    /// Bit 21: internal only (pending connection, "NO_MAGIC").
    pub const PENDING_CONNECT: DistFlags = DistFlags(0x20_0000);
    /// Bit 22: PAYLOAD_* exit control messages.
    pub const EXIT_PAYLOAD: DistFlags = DistFlags(0x40_0000);
    /// Bit 23: fragmented messages.
    pub const FRAGMENTS: DistFlags = DistFlags(0x80_0000);
    /// Bit 24: the version 6 handshake (mandatory since OTP 25).
    pub const HANDSHAKE_23: DistFlags = DistFlags(0x100_0000);
    /// Bit 25: the new link protocol (mandatory since OTP 26).
    pub const UNLINK_ID: DistFlags = DistFlags(0x200_0000);
    /// Bit 26: shorthand for the 11 OTP 25 mandatory flags.
    pub const MANDATORY_25_DIGEST: DistFlags = DistFlags(0x400_0000);
    /// Bits 27..=31: reserved.
    pub const RESERVED: DistFlags = DistFlags(0xf800_0000);
    /// Bit 32: SPAWN_REQUEST/SPAWN_REPLY.
    pub const SPAWN: DistFlags = DistFlags(0x1_0000_0000);
    /// Bit 33: asks for a dynamic node name.
    pub const NAME_ME: DistFlags = DistFlags(0x2_0000_0000);
    /// Bit 34: new node-container encodings (mandatory since OTP 26).
    pub const V4_NC: DistFlags = DistFlags(0x4_0000_0000);
    /// Bit 35: process aliases.
    pub const ALIAS: DistFlags = DistFlags(0x8_0000_0000);
    /// Bit 36: internal only (term_to_binary `local`).
    pub const LOCAL_EXT: DistFlags = DistFlags(0x10_0000_0000);
    /// Bit 37: alternate action signals.
    pub const ALTACT_SIG: DistFlags = DistFlags(0x20_0000_0000);

    /// `MANDATORY_DFLAGS_25` = 0x01070F94: what bit 26 stands for.
    pub const MANDATORY_DFLAGS_25: DistFlags = DistFlags(0x0107_0F94);
    /// `DFLAG_DIST_MANDATORY_26` = V4_NC | UNLINK_ID.
    pub const MANDATORY_DFLAGS_26: DistFlags = DistFlags(0x4_0200_0000);
    /// OTP 26–28 `DFLAG_DIST_MANDATORY` = 0x4_0307_0F94.
    pub const DIST_MANDATORY: DistFlags = DistFlags(0x4_0307_0F94);
    /// What OTP 25.2.3 advertises (observed on the wire): 0x0D_07DF7FBD,
    /// PUBLISHED included. A hidden node sends it without PUBLISHED.
    pub const OTP25_DEFAULT: DistFlags = DistFlags(0x0D_07DF_7FBD);
    /// OTP 28's `DFLAG_DIST_DEFAULT` plus PUBLISHED: 0x2D_07DF7FBD.
    pub const OTP28_DEFAULT: DistFlags = DistFlags(0x2D_07DF_7FBD);

    /// The raw word.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// All bits of `other` are set.
    pub const fn contains(self, other: DistFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Any bit of `other` is set.
    pub const fn intersects(self, other: DistFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// This word with `other`'s bits cleared.
    pub const fn without(self, other: DistFlags) -> DistFlags {
        DistFlags(self.0 & !other.0)
    }

    /// This word with `other`'s bits set.
    pub const fn with(self, other: DistFlags) -> DistFlags {
        DistFlags(self.0 | other.0)
    }

    /// The low 32 bits (what a version 5 `n` message carries).
    pub fn low(self) -> u32 {
        u32::try_from(self.0 & 0xffff_ffff).unwrap_or(0)
    }

    /// The high 32 bits (what a `c` complement carries).
    pub fn high(self) -> u32 {
        u32::try_from(self.0 >> 32).unwrap_or(0)
    }

    /// What an OTP 25+ receiver makes of a received word: with
    /// MANDATORY_25_DIGEST set, the 11 flags it stands for are ORed in
    /// (`dist_util:expand_mandatory_25_flag/1`).
    pub const fn expand_mandatory_25(self) -> DistFlags {
        if self.0 & Self::MANDATORY_25_DIGEST.0 != 0 {
            DistFlags(self.0 | Self::MANDATORY_DFLAGS_25.0)
        } else {
            self
        }
    }

    /// The set bit numbers, lowest first.
    pub fn set_bits(self) -> Vec<u32> {
        (0..64u32).filter(|b| self.0 & bit_value(*b) != 0).collect()
    }

    /// Names of the set bits, lowest first: the spec's name for known bits,
    /// `bit 27 (reserved)` for 27..=31, `bit 45 (unknown)` for the rest.
    pub fn names(self) -> Vec<String> {
        self.set_bits().into_iter().map(bit_name).collect()
    }

    /// `PUBLISHED | EXTENDED_REFERENCES | ...`, or `none`.
    pub fn describe(self) -> String {
        if self.0 == 0 {
            return "none".to_string();
        }
        self.names().join(" | ")
    }

    /// Names as OTP's `dflag2str/1` lists them in a mandatory-flag error:
    /// highest bit first (`["V4_NC","UNLINK_ID"]`).
    pub fn otp_missing_names(self) -> Vec<String> {
        let mut v: Vec<String> = self
            .set_bits()
            .into_iter()
            .map(|b| match flag_info(b) {
                Some(f) => f.name.to_string(),
                None => format!("UNKNOWN<{:X}>", bit_value(b)),
            })
            .collect();
        v.reverse();
        v
    }

    /// Parses a number (decimal, `0x` hex, `16#` hex) or flag names joined
    /// by `|` (`PUBLISHED|EXTENDED_REFERENCES`, `DFLAG_` optional); parts
    /// may mix names and numbers (`0x0D07DF7FBC|PUBLISHED`).
    pub fn parse(text: &str) -> Result<DistFlags, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty: give a number or flag names joined by |".to_string());
        }
        let mut v = 0u64;
        for part in t.split('|').map(str::trim) {
            if part.is_empty() {
                return Err(format!("{text:?}: an empty part between `|`"));
            }
            v |= parse_part(part)?;
        }
        Ok(DistFlags(v))
    }
}

fn parse_part(part: &str) -> Result<u64, String> {
    let hex = part
        .strip_prefix("0x")
        .or_else(|| part.strip_prefix("0X"))
        .or_else(|| part.strip_prefix("16#"));
    if let Some(h) = hex {
        let h: String = h.chars().filter(|c| *c != '_').collect();
        return u64::from_str_radix(&h, 16).map_err(|_| format!("{part:?} is not a hex number"));
    }
    if part.chars().all(|c| c.is_ascii_digit() || c == '_') {
        let d: String = part.chars().filter(|c| *c != '_').collect();
        return d
            .parse::<u64>()
            .map_err(|_| format!("{part:?} does not fit 64 bits"));
    }
    if let Some(f) = flag_by_name(part) {
        return Ok(bit_value(f.bit));
    }
    if let Some(b) = part
        .strip_prefix("bit ")
        .or_else(|| part.strip_prefix("bit"))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .filter(|b| *b < 64)
    {
        return Ok(bit_value(b));
    }
    Err(format!(
        "{part:?} is neither a number nor a flag name (e.g. PUBLISHED, V4_NC)"
    ))
}

/// The name shown for one bit.
pub fn bit_name(bit: u32) -> String {
    match flag_info(bit) {
        Some(f) => f.name.to_string(),
        None if (27..=31).contains(&bit) => format!("bit {bit} (reserved)"),
        None => format!("bit {bit} (unknown)"),
    }
}

impl fmt::Display for DistFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

impl std::str::FromStr for DistFlags {
    type Err = String;
    fn from_str(s: &str) -> Result<DistFlags, String> {
        DistFlags::parse(s)
    }
}

impl BitOr for DistFlags {
    type Output = DistFlags;
    fn bitor(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 | rhs.0)
    }
}

impl BitAnd for DistFlags {
    type Output = DistFlags;
    fn bitand(self, rhs: DistFlags) -> DistFlags {
        DistFlags(self.0 & rhs.0)
    }
}

impl Not for DistFlags {
    type Output = DistFlags;
    fn not(self) -> DistFlags {
        DistFlags(!self.0)
    }
}

impl From<u64> for DistFlags {
    fn from(v: u64) -> DistFlags {
        DistFlags(v)
    }
}

/// The flags an OTP release refuses to connect without
/// (`DFLAG_DIST_MANDATORY`; see the module docs for the sources).
///
/// | release | set |
/// |---|---|
/// | ≤ 22 | `0x10184` EXTENDED_REFERENCES, NEW_FUN_TAGS, EXTENDED_PIDS_PORTS, UTF8_ATOMS |
/// | 23, 24 | `0x50184`: the above + BIG_CREATION (per SPEC §4) |
/// | 25 | `0x01070F94` = MANDATORY_DFLAGS_25 |
/// | 26, 27, 28, later | `0x4_0307_0F94` = MANDATORY_DFLAGS_25 + V4_NC + UNLINK_ID |
///
/// ```
/// use erldist_codec::handshake::{mandatory_for, DistFlags};
/// assert_eq!(mandatory_for(25), DistFlags(0x0107_0F94));
/// assert!(mandatory_for(26).contains(DistFlags::V4_NC));
/// ```
pub fn mandatory_for(release: u32) -> DistFlags {
    match release {
        0..=22 => DistFlags(0x1_0184),
        23 | 24 => DistFlags(0x5_0184),
        25 => DistFlags::MANDATORY_DFLAGS_25,
        _ => DistFlags::DIST_MANDATORY,
    }
}

/// Whether a release applies the MANDATORY_25_DIGEST expansion to received
/// flags (OTP 25 and later).
pub fn expands_digest(release: u32) -> bool {
    release >= 25
}

/// The flags a node of `release` finds missing in a received word: the
/// word is expanded first when the release knows MANDATORY_25_DIGEST.
pub fn missing_for(release: u32, received: DistFlags) -> DistFlags {
    let seen = if expands_digest(release) {
        received.expand_mandatory_25()
    } else {
        received
    };
    mandatory_for(release).without(seen)
}

/// `["V4_NC","UNLINK_ID"]` as `io_lib:format("~p", ...)` prints a list of
/// strings that starts at `column`: on one line when it fits (column +
/// width ≤ 78, measured against OTP 25), otherwise one element per line,
/// aligned under the first.
pub fn otp_string_list(items: &[String], column: usize) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    let one_line = format!("[{}]", quoted.join(","));
    if quoted.len() <= 1 || column.saturating_add(one_line.chars().count()) <= 78 {
        return one_line;
    }
    let indent = " ".repeat(column.saturating_add(1));
    format!("[{}]", quoted.join(&format!(",\n{indent}")))
}

/// A node name as `~w` writes the atom (`a@vm`, `'b@127.0.0.1'`).
pub fn node_atom(name: &str) -> String {
    crate::etf::text::to_erlang(&crate::etf::Term::atom(name))
}

/// The line OTP logs when a mandatory-flag check fails
/// (`dist_util:check_dflags/2`). `side` is the side that logs it: the
/// acceptor "rejected" a connection *from* the peer, the initiator
/// "aborted" one *to* it.
///
/// ```
/// use erldist_codec::handshake::{mandatory_flags_message, DistFlags};
/// use erldist_codec::conn::Side;
/// let m = mandatory_flags_message(Side::Acceptor, "b@vm", "a@vm", DistFlags::V4_NC);
/// assert_eq!(m, r#"** b@vm: Connection attempt from node a@vm rejected since it cannot handle ["V4_NC"].**"#);
/// ```
pub fn mandatory_flags_message(
    side: crate::conn::Side,
    me: &str,
    peer: &str,
    missing: DistFlags,
) -> String {
    let (dir, how) = match side {
        crate::conn::Side::Acceptor => ("from", "rejected"),
        crate::conn::Side::Initiator => ("to", "aborted"),
    };
    let prefix = format!(
        "** {}: Connection attempt {dir} node {} {how} since it cannot handle ",
        node_atom(me),
        node_atom(peer)
    );
    let list = otp_string_list(&missing.otp_missing_names(), prefix.chars().count());
    format!("{prefix}{list}.**")
}

/// One node as the explainer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeProfile {
    /// Full node name (`a@host`).
    pub name: String,
    /// The flag word it sends.
    pub flags: DistFlags,
    /// Its OTP release, when known (its mandatory checks run only then).
    pub release: Option<u32>,
}

impl NodeProfile {
    /// A node with a known release.
    pub fn new(name: &str, flags: DistFlags, release: u32) -> NodeProfile {
        NodeProfile {
            name: name.to_string(),
            flags,
            release: Some(release),
        }
    }

    /// A node whose release is unknown.
    pub fn unknown_release(name: &str, flags: DistFlags) -> NodeProfile {
        NodeProfile {
            name: name.to_string(),
            flags,
            release: None,
        }
    }
}

/// A failed mandatory-flag check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The side whose check failed (and that logs the line).
    pub by: crate::conn::Side,
    /// The flags it found missing.
    pub missing: DistFlags,
    /// What OTP logs.
    pub log: String,
    /// What goes on the wire: `snot_allowed` from the acceptor; nothing
    /// from the initiator (it closes after the challenge).
    pub wire: &'static str,
}

/// What [`explain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// No check failed (checks of unknown releases are skipped).
    pub can_connect: bool,
    /// The AND of both words, each expanded as its receiver would
    /// (the connected phase's capabilities).
    pub negotiated: DistFlags,
    /// PUBLISHED is not in both words: the connection is hidden.
    pub hidden: bool,
    /// Failed checks, in the order OTP runs them (acceptor first).
    pub rejections: Vec<Rejection>,
    /// Human-readable lines, one fact each.
    pub lines: Vec<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        Ok(())
    }
}

/// Explains a connection attempt from `initiator` to `acceptor`: the
/// acceptor's check of the initiator's word (after `send_name`), then the
/// initiator's check of the AND (after the challenge), the negotiated flags
/// and hidden or visible.
///
/// ```
/// use erldist_codec::handshake::{explain, DistFlags, NodeProfile};
/// let peer = NodeProfile::unknown_release("x@h", DistFlags::OTP25_DEFAULT.without(DistFlags::V4_NC));
/// let me = NodeProfile::new("b@h", DistFlags::OTP28_DEFAULT, 26);
/// let e = explain(&peer, &me);
/// assert!(!e.can_connect);
/// assert!(e.rejections[0].log.contains("[\"V4_NC\"]"));
/// ```
pub fn explain(initiator: &NodeProfile, acceptor: &NodeProfile) -> Explanation {
    use crate::conn::Side;
    let mut lines = Vec::new();
    let mut rejections = Vec::new();
    lines.push(format!(
        "{} (initiator, {}) sends {} = {}",
        initiator.name,
        release_text(initiator.release),
        initiator.flags,
        initiator.flags.describe()
    ));
    lines.push(format!(
        "{} (acceptor, {}) sends {} = {}",
        acceptor.name,
        release_text(acceptor.release),
        acceptor.flags,
        acceptor.flags.describe()
    ));
    // What each side stores for the peer (the expansion is the receiver's).
    let init_seen_by_acc = expand_as(acceptor.release, initiator.flags);
    let acc_seen_by_init = expand_as(initiator.release, acceptor.flags);
    if initiator.flags.contains(DistFlags::MANDATORY_25_DIGEST) {
        lines.push(format!(
            "{} sets MANDATORY_25_DIGEST: an OTP 25+ receiver ORs in 0x01070f94 before checking",
            initiator.name
        ));
    }
    if acceptor.flags.contains(DistFlags::MANDATORY_25_DIGEST) {
        lines.push(format!(
            "{} sets MANDATORY_25_DIGEST: an OTP 25+ receiver ORs in 0x01070f94 before checking",
            acceptor.name
        ));
    }
    match acceptor.release {
        Some(rel) => {
            let missing = mandatory_for(rel).without(init_seen_by_acc);
            if missing.0 == 0 {
                lines.push(format!(
                    "{} (OTP {rel}) finds every mandatory flag ({}) in the send_name",
                    acceptor.name,
                    mandatory_for(rel)
                ));
            } else {
                let log = mandatory_flags_message(
                    Side::Acceptor,
                    &acceptor.name,
                    &initiator.name,
                    missing,
                );
                lines.push(format!(
                    "{} (OTP {rel}) answers snot_allowed and logs: {log}",
                    acceptor.name
                ));
                rejections.push(Rejection {
                    by: Side::Acceptor,
                    missing,
                    log,
                    wire: "snot_allowed",
                });
            }
        }
        None => lines.push(format!(
            "{}'s release is unknown: its mandatory-flag check is not evaluated",
            acceptor.name
        )),
    }
    let init_and = initiator.flags & acc_seen_by_init;
    if rejections.is_empty() {
        match initiator.release {
            Some(rel) => {
                let missing = mandatory_for(rel).without(init_and);
                if missing.0 == 0 {
                    lines.push(format!(
                        "{} (OTP {rel}) finds every mandatory flag in the AND of both words",
                        initiator.name
                    ));
                } else {
                    let log = mandatory_flags_message(
                        Side::Initiator,
                        &initiator.name,
                        &acceptor.name,
                        missing,
                    );
                    lines.push(format!(
                        "{} (OTP {rel}) closes after the challenge and logs: {log}",
                        initiator.name
                    ));
                    rejections.push(Rejection {
                        by: Side::Initiator,
                        missing,
                        log,
                        wire: "(connection closed, no challenge_reply)",
                    });
                }
            }
            None => lines.push(format!(
                "{}'s release is unknown: its mandatory-flag check is not evaluated",
                initiator.name
            )),
        }
    }
    let negotiated = init_seen_by_acc & acc_seen_by_init;
    let hidden = !negotiated.contains(DistFlags::PUBLISHED);
    let can_connect = rejections.is_empty();
    if can_connect {
        lines.push(format!(
            "they can connect; negotiated flags (AND) {} = {}",
            negotiated,
            negotiated.describe()
        ));
        lines.push(if hidden {
            "the connection is hidden: PUBLISHED is not in both words".to_string()
        } else {
            "the connection is visible: both words have PUBLISHED".to_string()
        });
        lines.extend(connected_phase_lines(negotiated));
    } else {
        lines.push("they cannot connect".to_string());
    }
    Explanation {
        can_connect,
        negotiated,
        hidden,
        rejections,
        lines,
    }
}

fn expand_as(receiver: Option<u32>, flags: DistFlags) -> DistFlags {
    match receiver {
        Some(r) if !expands_digest(r) => flags,
        _ => flags.expand_mandatory_25(),
    }
}

fn release_text(r: Option<u32>) -> String {
    match r {
        Some(r) => format!("OTP {r}"),
        None => "release unknown".to_string(),
    }
}

/// What negotiated flags mean for the connected phase: which frame shapes
/// to expect.
pub fn connected_phase_lines(negotiated: DistFlags) -> Vec<String> {
    let mut v = Vec::new();
    if negotiated.contains(DistFlags::DIST_HDR_ATOM_CACHE) {
        v.push("DIST_HDR_ATOM_CACHE negotiated: messages carry the distribution header (131,68) with atom-cache refs".to_string());
    } else {
        v.push("DIST_HDR_ATOM_CACHE not negotiated: messages are pass-through (112), each term with its own 131".to_string());
    }
    if negotiated.contains(DistFlags::FRAGMENTS) {
        v.push("FRAGMENTS negotiated: large messages may be split (131,69 first fragment, 131,70 continuations)".to_string());
    } else {
        v.push("FRAGMENTS not negotiated: every message is sent whole".to_string());
    }
    v
}
