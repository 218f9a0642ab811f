//! The handshake digest (SPEC §3.4): `MD5(cookie ++ decimal(challenge))`,
//! cookie first, the challenge as unsigned decimal ASCII without padding or
//! sign, exactly as `dist_util:gen_digest/2` does
//! (`erlang:md5([atom_to_list(Cookie)|integer_to_list(Challenge)])`).

use md5::{Digest, Md5};

/// The 16-byte digest a node sends for the peer's `challenge`.
///
/// The initiator's `challenge_reply` carries `digest(cookie, acceptor's
/// challenge)`; the acceptor's `challenge_ack` carries `digest(cookie,
/// initiator's challenge)`.
///
/// ```
/// use erldist_codec::handshake::digest;
/// // SPEC §3.4, verified against OTP 25: cookie `secret`, challenge 123456789.
/// assert_eq!(
///     erldist_codec::hex::encode(&digest(b"secret", 123_456_789)),
///     "b2dc76a3530cd91962ba572d5c52f476"
/// );
/// ```
pub fn digest(cookie: &[u8], challenge: u32) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(cookie);
    h.update(challenge.to_string().as_bytes());
    h.finalize().into()
}
