//! Lowercase hex helpers.

/// `[0x78, 0x25]` → `"7825"`.
pub fn encode(bytes: &[u8]) -> String {
    fn digit(n: u8) -> char {
        char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
    }
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b & 0x0f));
    }
    s
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
