//! Lowercase hex helpers.

/// `[0x78, 0x25]` → `"7825"`.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut v = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        // Both indexes are < 16: the fallbacks are never taken.
        v.push(DIGITS.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
        v.push(DIGITS.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'));
    }
    // Only ASCII digits were written.
    String::from_utf8(v).unwrap_or_default()
}

/// The value of one hex digit.
pub(crate) fn digit_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `[0x78, 0x25]` → `"78 25"`.
pub fn spaced(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&encode(&[b]));
    }
    s
}
