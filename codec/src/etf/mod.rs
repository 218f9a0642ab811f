//! The external term format (SPEC.md §6): every tag, lossless.
//!
//! [`decode_external`] reads `131, Tag, Data` (compressed or not) and
//! [`decode_term`] a bare term (as inside distribution messages); both give
//! the lossless [`Term`] and its span tree. [`Term::encode`] writes the exact
//! bytes back.
//!
//! Both are built on a zero-copy decode, [`decode_external_view`] /
//! [`decode_term_view`]: one validating pass writes one 16-byte node per
//! term into a [`SpanArena`] and nothing else. The resulting [`TermView`]
//! borrows the input: atoms, strings, binaries and bignum digits are slices
//! of it, containers are ranges of nodes ([`TermRef::kind`] reads any value
//! in place); the same arena renders the span tree ([`TermView::spans`]) and
//! builds the owned term ([`TermView::to_owned_term`]). Use the view when
//! you only read the term; the owned [`Term`] when you keep or change it.
//!
//! ```
//! use erldist_codec::etf::{decode_external, Term, TermOptions};
//! // term_to_binary({a,1}) on OTP 26+
//! let bytes = [0x83, 0x68, 0x02, 0x77, 0x01, b'a', 0x61, 0x01];
//! let d = decode_external(&bytes, 0, &TermOptions::default());
//! let term = d.term.unwrap();
//! assert_eq!(term, Term::Tuple { large: false, elems: vec![Term::atom("a"), Term::SmallInteger(1)] });
//! assert_eq!(term.encode_external().unwrap(), bytes);
//! ```

mod arena;
mod decode;
mod encode;
pub mod otp;
pub mod tags;
mod term;
pub mod text;
mod view;

pub use arena::SpanArena;
pub use decode::{
    decode_external, decode_external_view, decode_term, decode_term_view, Inflated, Limits,
    TermDecoded, TermOptions,
};
pub use term::*;
pub use view::{AtomRef, IdWords, NewFunRef, OldFunRef, Pairs, TermKind, TermRef, TermView, Terms};

use num_bigint::BigUint;

/// A bignum's decimal text from its sign byte and little-endian digits.
pub fn big_decimal(sign: u8, digits: &[u8]) -> String {
    let n = BigUint::from_bytes_le(digits);
    let zero = n == BigUint::default();
    if sign != 0 && !zero {
        format!("-{n}")
    } else {
        n.to_string()
    }
}

/// [`big_decimal`] for display: past 256 digit bytes (over 600 decimal
/// digits) only the size, since converting huge bignums to decimal costs
/// more than decoding them.
pub fn big_decimal_short(sign: u8, digits: &[u8]) -> String {
    if digits.len() > 256 {
        let sign = if sign != 0 { "negative" } else { "positive" };
        format!("a {sign} integer of {} digit bytes", digits.len())
    } else {
        big_decimal(sign, digits)
    }
}

/// A float as Erlang's `~w` / `float_to_list(F, [short])` writes it: the
/// shortest digits that read back to the same double, in plain notation or
/// with an exponent, whichever is shorter (plain on a tie), and always with
/// an exponent from 2^53 up (`1.0e300`, `0.1`, `-0.0`, `9.007199254740992e15`).
pub fn float_text(f: f64) -> String {
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let a = f.abs();
    if a == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde-x".
    let e = format!("{a:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let sci = format!("{first}.{}e{exp}", if rest.is_empty() { "0" } else { rest });
    let fixed = if exp >= 0 {
        let int_len = usize::try_from(exp).unwrap_or(0) + 1;
        if digits.len() <= int_len {
            format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
        } else {
            let (i, frac) = digits.split_at(int_len);
            format!("{i}.{frac}")
        }
    } else {
        let zeros = usize::try_from(-exp - 1).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    };
    let use_sci = a >= 9_007_199_254_740_992.0 || sci.len() < fixed.len();
    format!("{sign}{}", if use_sci { sci } else { fixed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_erlang_does() {
        // Observed with OTP 25 `io:format("~w", [F])`.
        for (f, want) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1.0e300, "1.0e300"),
            (1.0e-300, "1.0e-300"),
            (5.0e-324, "5.0e-324"),
            (9_007_199_254_740_992.0, "9.007199254740992e15"),
            (9_007_199_254_740_991.0, "9007199254740991.0"),
            (123_456_789.125, "123456789.125"),
            (1.0e14, "1.0e14"),
            (123_456_789_012_345.0, "123456789012345.0"),
            (0.0001, "0.0001"),
            (1.0e-5, "1.0e-5"),
            (0.00012345, "1.2345e-4"),
            (100.0, "100.0"),
            (0.0025, "0.0025"),
            (1.23e22, "1.23e22"),
            (1.7976931348623157e308, "1.7976931348623157e308"),
        ] {
            assert_eq!(float_text(f), want, "{f:e}");
        }
    }

    #[test]
    fn bignums_in_decimal() {
        assert_eq!(big_decimal(0, &[0, 0, 0, 0x80]), "2147483648");
        assert_eq!(big_decimal(1, &[1, 0, 0, 0x80]), "-2147483649");
        assert_eq!(big_decimal(1, &[0, 0]), "0");
    }
}
