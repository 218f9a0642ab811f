//! ETF tag bytes, named as in the spec, and what each means.

/// 131: the version byte in front of a standalone term.
pub const VERSION_MAGIC: u8 = 131;
/// NEW_FLOAT_EXT.
pub const NEW_FLOAT_EXT: u8 = 70;
/// BIT_BINARY_EXT.
pub const BIT_BINARY_EXT: u8 = 77;
/// COMPRESSED.
pub const COMPRESSED: u8 = 80;
/// ATOM_CACHE_REF.
pub const ATOM_CACHE_REF: u8 = 82;
/// NEW_PID_EXT.
pub const NEW_PID_EXT: u8 = 88;
/// NEW_PORT_EXT.
pub const NEW_PORT_EXT: u8 = 89;
/// NEWER_REFERENCE_EXT.
pub const NEWER_REFERENCE_EXT: u8 = 90;
/// SMALL_INTEGER_EXT.
pub const SMALL_INTEGER_EXT: u8 = 97;
/// INTEGER_EXT.
pub const INTEGER_EXT: u8 = 98;
/// FLOAT_EXT.
pub const FLOAT_EXT: u8 = 99;
/// ATOM_EXT.
pub const ATOM_EXT: u8 = 100;
/// REFERENCE_EXT.
pub const REFERENCE_EXT: u8 = 101;
/// PORT_EXT.
pub const PORT_EXT: u8 = 102;
/// PID_EXT.
pub const PID_EXT: u8 = 103;
/// SMALL_TUPLE_EXT.
pub const SMALL_TUPLE_EXT: u8 = 104;
/// LARGE_TUPLE_EXT.
pub const LARGE_TUPLE_EXT: u8 = 105;
/// NIL_EXT.
pub const NIL_EXT: u8 = 106;
/// STRING_EXT.
pub const STRING_EXT: u8 = 107;
/// LIST_EXT.
pub const LIST_EXT: u8 = 108;
/// BINARY_EXT.
pub const BINARY_EXT: u8 = 109;
/// SMALL_BIG_EXT.
pub const SMALL_BIG_EXT: u8 = 110;
/// LARGE_BIG_EXT.
pub const LARGE_BIG_EXT: u8 = 111;
/// NEW_FUN_EXT.
pub const NEW_FUN_EXT: u8 = 112;
/// EXPORT_EXT.
pub const EXPORT_EXT: u8 = 113;
/// NEW_REFERENCE_EXT.
pub const NEW_REFERENCE_EXT: u8 = 114;
/// SMALL_ATOM_EXT.
pub const SMALL_ATOM_EXT: u8 = 115;
/// MAP_EXT.
pub const MAP_EXT: u8 = 116;
/// FUN_EXT.
pub const FUN_EXT: u8 = 117;
/// ATOM_UTF8_EXT.
pub const ATOM_UTF8_EXT: u8 = 118;
/// SMALL_ATOM_UTF8_EXT.
pub const SMALL_ATOM_UTF8_EXT: u8 = 119;
/// V4_PORT_EXT.
pub const V4_PORT_EXT: u8 = 120;
/// LOCAL_EXT.
pub const LOCAL_EXT: u8 = 121;

/// The spec's name of a tag, or `None`.
pub fn name(tag: u8) -> Option<&'static str> {
    Some(match tag {
        NEW_FLOAT_EXT => "NEW_FLOAT_EXT",
        BIT_BINARY_EXT => "BIT_BINARY_EXT",
        COMPRESSED => "COMPRESSED",
        ATOM_CACHE_REF => "ATOM_CACHE_REF",
        NEW_PID_EXT => "NEW_PID_EXT",
        NEW_PORT_EXT => "NEW_PORT_EXT",
        NEWER_REFERENCE_EXT => "NEWER_REFERENCE_EXT",
        SMALL_INTEGER_EXT => "SMALL_INTEGER_EXT",
        INTEGER_EXT => "INTEGER_EXT",
        FLOAT_EXT => "FLOAT_EXT",
        ATOM_EXT => "ATOM_EXT",
        REFERENCE_EXT => "REFERENCE_EXT",
        PORT_EXT => "PORT_EXT",
        PID_EXT => "PID_EXT",
        SMALL_TUPLE_EXT => "SMALL_TUPLE_EXT",
        LARGE_TUPLE_EXT => "LARGE_TUPLE_EXT",
        NIL_EXT => "NIL_EXT",
        STRING_EXT => "STRING_EXT",
        LIST_EXT => "LIST_EXT",
        BINARY_EXT => "BINARY_EXT",
        SMALL_BIG_EXT => "SMALL_BIG_EXT",
        LARGE_BIG_EXT => "LARGE_BIG_EXT",
        NEW_FUN_EXT => "NEW_FUN_EXT",
        EXPORT_EXT => "EXPORT_EXT",
        NEW_REFERENCE_EXT => "NEW_REFERENCE_EXT",
        SMALL_ATOM_EXT => "SMALL_ATOM_EXT",
        MAP_EXT => "MAP_EXT",
        FUN_EXT => "FUN_EXT",
        ATOM_UTF8_EXT => "ATOM_UTF8_EXT",
        SMALL_ATOM_UTF8_EXT => "SMALL_ATOM_UTF8_EXT",
        V4_PORT_EXT => "V4_PORT_EXT",
        LOCAL_EXT => "LOCAL_EXT",
        _ => return None,
    })
}

/// One line on what a tag is and why it matters (the tag span's meaning).
pub fn meaning(tag: u8) -> &'static str {
    match tag {
        SMALL_INTEGER_EXT => "tag 97 'a' = SMALL_INTEGER_EXT: an integer 0..255 in one unsigned byte",
        INTEGER_EXT => "tag 98 'b' = INTEGER_EXT: a signed 32-bit big-endian integer (what OTP uses outside 0..255)",
        SMALL_BIG_EXT => "tag 110 'n' = SMALL_BIG_EXT: a bignum of up to 255 little-endian digit bytes (OTP uses it beyond 32 bits)",
        LARGE_BIG_EXT => "tag 111 'o' = LARGE_BIG_EXT: a bignum with a 4-byte digit count (over 255 digit bytes)",
        NEW_FLOAT_EXT => "tag 70 'F' = NEW_FLOAT_EXT: an IEEE 754 double, 8 bytes big-endian",
        FLOAT_EXT => "tag 99 'c' = FLOAT_EXT (obsolete): a float as 31 bytes of \"%.20e\" text (minor_version 0)",
        ATOM_EXT => "tag 100 'd' = ATOM_EXT (deprecated): a Latin-1 atom with a 2-byte length (OTP 25's term_to_binary/1 default)",
        SMALL_ATOM_EXT => "tag 115 's' = SMALL_ATOM_EXT (deprecated): a Latin-1 atom with a 1-byte length",
        ATOM_UTF8_EXT => "tag 118 'v' = ATOM_UTF8_EXT: a UTF-8 atom with a 2-byte length (over 255 bytes)",
        SMALL_ATOM_UTF8_EXT => "tag 119 'w' = SMALL_ATOM_UTF8_EXT: a UTF-8 atom with a 1-byte length (what OTP writes for atoms up to 255 bytes)",
        ATOM_CACHE_REF => "tag 82 'R' = ATOM_CACHE_REF: an index into the distribution header's atom-cache refs",
        PID_EXT => "tag 103 'g' = PID_EXT (old): a pid with an 8-bit creation",
        NEW_PID_EXT => "tag 88 'X' = NEW_PID_EXT: a pid with a 32-bit creation (OTP 23+)",
        PORT_EXT => "tag 102 'f' = PORT_EXT (old): a port with an 8-bit creation",
        NEW_PORT_EXT => "tag 89 'Y' = NEW_PORT_EXT: a port with a 32-bit id and creation",
        V4_PORT_EXT => "tag 120 'x' = V4_PORT_EXT: a port with a 64-bit id (OTP 24+)",
        REFERENCE_EXT => "tag 101 'e' = REFERENCE_EXT (deprecated): a reference with one id word",
        NEW_REFERENCE_EXT => "tag 114 'r' = NEW_REFERENCE_EXT: a reference with an 8-bit creation",
        NEWER_REFERENCE_EXT => "tag 90 'Z' = NEWER_REFERENCE_EXT: a reference with a 32-bit creation and 1..5 id words",
        SMALL_TUPLE_EXT => "tag 104 'h' = SMALL_TUPLE_EXT: a tuple of up to 255 elements",
        LARGE_TUPLE_EXT => "tag 105 'i' = LARGE_TUPLE_EXT: a tuple with a 4-byte arity (over 255 elements)",
        MAP_EXT => "tag 116 't' = MAP_EXT: a map; key, value pairs follow",
        NIL_EXT => "tag 106 'j' = NIL_EXT: the empty list []",
        STRING_EXT => "tag 107 'k' = STRING_EXT: a list of bytes 0..255 packed one byte each (how OTP writes such lists up to 65535 long); it is a list, not a string type",
        LIST_EXT => "tag 108 'l' = LIST_EXT: a list; its elements follow, then its tail ([] for a proper list)",
        BINARY_EXT => "tag 109 'm' = BINARY_EXT: a binary with a 4-byte length",
        BIT_BINARY_EXT => "tag 77 'M' = BIT_BINARY_EXT: a bitstring whose last byte is partly used",
        EXPORT_EXT => "tag 113 'q' = EXPORT_EXT: fun Module:Function/Arity",
        NEW_FUN_EXT => "tag 112 'p' = NEW_FUN_EXT: a local fun with its environment",
        FUN_EXT => "tag 117 'u' = FUN_EXT (removed): the pre-R8 fun, rejected since OTP 23",
        LOCAL_EXT => "tag 121 'y' = LOCAL_EXT: a node-local encoding behind a hash (term_to_binary option `local`, OTP 26+; never in distribution)",
        COMPRESSED => "tag 80 'P' = COMPRESSED: the rest is a zlib stream of the term (top level only)",
        _ => "not an external term tag",
    }
}
