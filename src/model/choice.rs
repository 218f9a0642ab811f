//! The format and direction `<select>`s: codec choices ⇄ option values.

use erldist_codec::{DirectionChoice, FormatChoice};

/// The format options offered, as (option value, label).
pub const FORMAT_OPTIONS: [(&str, &str); 5] = [
    ("auto", "auto-detect"),
    ("hex", "hex"),
    ("epmd-log", "epmd -d -d -d log"),
    ("tcp-follow", "Wireshark Follow TCP Stream (hex)"),
    ("streams", "per-stream runs listing"),
];

/// The direction options offered, as (option value, label).
pub const DIRECTION_OPTIONS: [(&str, &str); 3] = [
    ("auto", "auto (infer per frame)"),
    ("request", "request (client → epmd)"),
    ("reply", "reply (epmd → client)"),
];

/// The option value of a format choice.
pub fn format_value(f: FormatChoice) -> &'static str {
    match f {
        FormatChoice::Auto | FormatChoice::Raw | FormatChoice::Pcap => "auto",
        FormatChoice::Hex => "hex",
        FormatChoice::EpmdLog => "epmd-log",
        FormatChoice::TcpFollow => "tcp-follow",
        FormatChoice::Streams => "streams",
        FormatChoice::Named(f) => f.as_str(),
    }
}

/// The format choice of an option value (anything unknown is auto).
pub fn format_from_value(v: &str) -> FormatChoice {
    match v {
        "hex" => FormatChoice::Hex,
        "epmd-log" => FormatChoice::EpmdLog,
        "tcp-follow" => FormatChoice::TcpFollow,
        "streams" => FormatChoice::Streams,
        other => match FormatChoice::from_name(other) {
            Some(f @ FormatChoice::Named(n)) if n != erldist_codec::input::Format::Raw => f,
            _ => FormatChoice::Auto,
        },
    }
}

/// The option value of a direction choice.
pub fn direction_value(d: DirectionChoice) -> &'static str {
    match d {
        DirectionChoice::Auto => "auto",
        DirectionChoice::Request => "request",
        DirectionChoice::Reply => "reply",
    }
}

/// The direction choice of an option value (anything unknown is auto).
pub fn direction_from_value(v: &str) -> DirectionChoice {
    match v {
        "request" => DirectionChoice::Request,
        "reply" => DirectionChoice::Reply,
        _ => DirectionChoice::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_value_round_trips() {
        for (v, _) in FORMAT_OPTIONS {
            assert_eq!(format_value(format_from_value(v)), v);
        }
        for (v, _) in DIRECTION_OPTIONS {
            assert_eq!(direction_value(direction_from_value(v)), v);
        }
    }

    #[test]
    fn unknown_values_mean_auto() {
        assert_eq!(format_from_value("nonsense"), FormatChoice::Auto);
        assert_eq!(direction_from_value(""), DirectionChoice::Auto);
    }
}
