//! The decoder's `<select>`s: codec choices ⇄ option values (the values are
//! the codec's names, so a permalink's `format=hexdump-c` is what the CLI's
//! `--format hexdump-c` says).

use erldist_codec::input::Format;
use erldist_codec::session::ProtocolChoice;
use erldist_codec::{DirectionChoice, FormatChoice};

/// One `<option>`: value, label, tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    /// The option's value (the codec's name).
    pub value: &'static str,
    /// What the user reads.
    pub label: String,
    /// Longer explanation.
    pub title: &'static str,
}

/// The format options: auto, then every text format the codec reads (in
/// the codec's order); with a file loaded, also `raw` (the file's bytes are
/// one stream) and `pcap` (a capture file).
pub fn format_options(file: bool) -> Vec<SelectOption> {
    let mut v = vec![SelectOption {
        value: "auto",
        label: "auto-detect".to_string(),
        title: "detect the format from the input",
    }];
    if file {
        v.push(SelectOption {
            value: "pcap",
            label: "pcap / pcapng capture".to_string(),
            title: "a packet capture: every TCP connection reassembled and decoded",
        });
    }
    for f in Format::ALL {
        if f == Format::Raw && !file {
            continue;
        }
        v.push(SelectOption {
            value: f.as_str(),
            label: format!("{}: {}", f.as_str(), short(f.description())),
            title: f.description(),
        });
    }
    v
}

/// A description cut at a sensible length for a `<select>`.
fn short(d: &'static str) -> &'static str {
    const MAX: usize = 48;
    if d.len() <= MAX {
        return d;
    }
    let cut = d
        .char_indices()
        .take_while(|(i, _)| *i <= MAX)
        .filter(|(_, c)| matches!(c, ' ' | ':' | '(' | ','))
        .map(|(i, _)| i)
        .last()
        .unwrap_or(d.len());
    d.get(..cut).unwrap_or(d).trim_end_matches([' ', ':', ','])
}

/// The protocol options, as (option value, label).
pub const PROTOCOL_OPTIONS: [(&str, &str); 3] = [
    ("auto", "auto (detect per conversation)"),
    ("epmd", "EPMD"),
    ("dist", "node connection (handshake, connected)"),
];

/// The direction options, as (option value, label).
pub const DIRECTION_OPTIONS: [(&str, &str); 3] = [
    ("auto", "auto (infer per frame)"),
    ("request", "request (client → epmd, initiator)"),
    ("reply", "reply (epmd → client, acceptor)"),
];

/// The option value of a format choice.
pub fn format_value(f: FormatChoice) -> &'static str {
    match f {
        FormatChoice::Named(Format::Hex) => "hex",
        other => other.name(),
    }
}

/// The format choice of an option value (anything unknown is auto).
pub fn format_from_value(v: &str) -> FormatChoice {
    match FormatChoice::from_name(v) {
        Some(FormatChoice::Named(Format::Hex)) => FormatChoice::Hex,
        Some(FormatChoice::Named(Format::EpmdLog)) => FormatChoice::EpmdLog,
        Some(FormatChoice::Named(Format::TcpFollow)) => FormatChoice::TcpFollow,
        Some(FormatChoice::Named(Format::Streams)) => FormatChoice::Streams,
        Some(FormatChoice::Named(Format::Raw)) => FormatChoice::Raw,
        Some(f) => f,
        None => FormatChoice::Auto,
    }
}

/// The option value of a protocol choice.
pub fn protocol_value(p: ProtocolChoice) -> &'static str {
    match p {
        ProtocolChoice::Auto => "auto",
        ProtocolChoice::Epmd => "epmd",
        ProtocolChoice::Dist => "dist",
    }
}

/// The protocol choice of an option value (anything unknown is auto).
pub fn protocol_from_value(v: &str) -> ProtocolChoice {
    match v {
        "epmd" => ProtocolChoice::Epmd,
        "dist" => ProtocolChoice::Dist,
        _ => ProtocolChoice::Auto,
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
        for o in format_options(true) {
            assert_eq!(format_value(format_from_value(o.value)), o.value);
        }
        for (v, _) in PROTOCOL_OPTIONS {
            assert_eq!(protocol_value(protocol_from_value(v)), v);
        }
        for (v, _) in DIRECTION_OPTIONS {
            assert_eq!(direction_value(direction_from_value(v)), v);
        }
    }

    #[test]
    fn every_text_format_is_offered_and_files_add_raw_and_pcap() {
        let text: Vec<&str> = format_options(false).iter().map(|o| o.value).collect();
        for f in Format::ALL {
            assert_eq!(text.contains(&f.as_str()), f != Format::Raw, "{f:?}");
        }
        assert!(!text.contains(&"pcap"));
        let file: Vec<&str> = format_options(true).iter().map(|o| o.value).collect();
        assert!(file.contains(&"pcap") && file.contains(&"raw"));
        assert_eq!(file.len(), text.len() + 2);
    }

    #[test]
    fn the_codec_names_are_the_values() {
        assert_eq!(
            format_from_value("hexdump-c"),
            FormatChoice::Named(Format::HexdumpC)
        );
        assert_eq!(format_from_value("epmd-log"), FormatChoice::EpmdLog);
        assert_eq!(format_from_value("pcap"), FormatChoice::Pcap);
        assert_eq!(format_value(FormatChoice::Named(Format::Base64)), "base64");
    }

    #[test]
    fn labels_stay_short() {
        for o in format_options(true) {
            assert!(o.label.len() <= 64, "{}", o.label);
            assert!(o.label.starts_with(o.value) || o.value == "auto" || o.value == "pcap");
        }
    }

    #[test]
    fn unknown_values_mean_auto() {
        assert_eq!(format_from_value("nonsense"), FormatChoice::Auto);
        assert_eq!(protocol_from_value(""), ProtocolChoice::Auto);
        assert_eq!(direction_from_value(""), DirectionChoice::Auto);
    }
}
