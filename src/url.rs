//! All of the page's state lives in the URL's query string, so every view is
//! a permalink (CyberChef-style):
//!
//! - `?decode=<input>` opens the decoder on that input (hex, a log, any text
//!   format the codec reads), with `format`, `protocol`, `direction` and
//!   `cookie` as options;
//! - `?build=<TYPE>&<field>=<value>...` opens the builder on that message
//!   (`?build=ALIVE2_REQ&port=9506&name=node`);
//! - `?tab=gallery` / `?tab=live` open those tabs;
//! - `embed=1` on any of them gives the compact view for iframes.
//!
//! Pure and host-tested: [`Route::from_query`] and [`Route::to_query`]
//! round-trip.

/// The page's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Paste or drop anything; see every byte.
    #[default]
    Decode,
    /// Build a frame field by field.
    Build,
    /// Worked examples.
    Gallery,
    /// Talk to a real epmd and real nodes through the bridge.
    Live,
    /// Watch and lint a program's traffic through the bridge's taps.
    Tap,
}

impl Tab {
    /// Every tab, in the order the page shows them.
    pub const ALL: [Tab; 5] = [Tab::Decode, Tab::Build, Tab::Gallery, Tab::Live, Tab::Tap];

    /// The `tab=` value (and the element id suffix).
    pub fn as_str(self) -> &'static str {
        match self {
            Tab::Decode => "decode",
            Tab::Build => "build",
            Tab::Gallery => "gallery",
            Tab::Live => "live",
            Tab::Tap => "tap",
        }
    }

    /// The tab's label.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Decode => "Decode",
            Tab::Build => "Build",
            Tab::Gallery => "Learn",
            Tab::Live => "Live",
            Tab::Tap => "Tap",
        }
    }

    /// The tab named by a `tab=` value.
    pub fn from_str(s: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The decoder's state: the input text and the options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecodeQuery {
    /// The paste box (hex, a log, a dump, a literal...).
    pub input: String,
    /// The format select's value (`auto`, `hex`, `epmd-log`, `xxd`...); empty = auto.
    pub format: String,
    /// `auto`, `epmd` or `dist`; empty = auto.
    pub protocol: String,
    /// `auto`, `request` or `reply`; empty = auto.
    pub direction: String,
    /// The cookie, to check handshake digests.
    pub cookie: String,
}

/// The builder's state: a message type and the fields the user set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildQuery {
    /// The message type (`ALIVE2_REQ`, `SEND_NAME`, `REG_SEND`...); empty =
    /// the builder's default.
    pub message: String,
    /// Field values the user set, by snake_case name, in URL order. A
    /// derived field listed here is overridden.
    pub fields: Vec<(String, String)>,
}

/// Everything the URL says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    /// The open tab.
    pub tab: Tab,
    /// Compact view for iframes.
    pub embed: bool,
    /// The decoder's state.
    pub decode: DecodeQuery,
    /// The builder's state.
    pub build: BuildQuery,
    /// The gallery example open (`example=first-mistake`).
    pub example: String,
}

/// Keys that are not builder fields.
const RESERVED: [&str; 9] = [
    "tab",
    "embed",
    "decode",
    "format",
    "protocol",
    "direction",
    "cookie",
    "build",
    "example",
];

impl Route {
    /// The route a query string (with or without its `?`) describes.
    /// Unknown keys are builder fields when `build` is present, and ignored
    /// otherwise; the tab is implied by `decode=` / `build=` unless given.
    pub fn from_query(query: &str) -> Route {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut r = Route::default();
        let mut tab = None;
        let mut has_build = false;
        let mut has_decode = false;
        let mut extra = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let v = v.into_owned();
            match &*k {
                "tab" => tab = Tab::from_str(&v),
                "embed" => r.embed = v != "0" && v != "false",
                "decode" => {
                    has_decode = true;
                    r.decode.input = v;
                }
                "format" => r.decode.format = v,
                "protocol" => r.decode.protocol = v,
                "direction" => r.decode.direction = v,
                "cookie" => r.decode.cookie = v,
                "build" => {
                    has_build = true;
                    r.build.message = v;
                }
                "example" => r.example = v,
                _ => extra.push((k.into_owned(), v)),
            }
        }
        if has_build {
            r.build.fields = extra;
        }
        r.tab = tab.unwrap_or(if has_build {
            Tab::Build
        } else if !has_decode && !r.example.is_empty() {
            Tab::Gallery
        } else {
            Tab::Decode
        });
        r
    }

    /// The query string (with its `?`) for this route: only what differs
    /// from the defaults, and only the open tab's state.
    pub fn to_query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        match self.tab {
            Tab::Decode => {
                q.append_pair("decode", &self.decode.input);
                for (k, v) in [
                    ("format", &self.decode.format),
                    ("protocol", &self.decode.protocol),
                    ("direction", &self.decode.direction),
                    ("cookie", &self.decode.cookie),
                ] {
                    if !v.is_empty() && v != "auto" {
                        q.append_pair(k, v);
                    }
                }
            }
            Tab::Build => {
                q.append_pair("build", &self.build.message);
                for (k, v) in &self.build.fields {
                    if !RESERVED.contains(&k.as_str()) {
                        q.append_pair(k, v);
                    }
                }
            }
            Tab::Gallery => {
                q.append_pair("tab", "gallery");
            }
            Tab::Live => {
                q.append_pair("tab", "live");
            }
            Tab::Tap => {
                q.append_pair("tab", "tap");
            }
        }
        if !self.example.is_empty() && !matches!(self.tab, Tab::Live | Tab::Tap) {
            q.append_pair("example", &self.example);
        }
        if self.embed {
            q.append_pair("embed", "1");
        }
        let s = q.finish();
        if s.is_empty() {
            String::new()
        } else {
            format!("?{s}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_permalinks_round_trip() {
        let r = Route::from_query("?decode=00+01+6e&format=hex&cookie=secret");
        assert_eq!(r.tab, Tab::Decode);
        assert_eq!(r.decode.input, "00 01 6e");
        assert_eq!(r.decode.format, "hex");
        assert_eq!(r.decode.cookie, "secret");
        assert_eq!(Route::from_query(&r.to_query()), r);
    }

    #[test]
    fn build_permalinks_keep_field_order_and_imply_the_tab() {
        let r = Route::from_query("build=ALIVE2_REQ&port=9506&name=node&name_len=1");
        assert_eq!(r.tab, Tab::Build);
        assert_eq!(r.build.message, "ALIVE2_REQ");
        assert_eq!(
            r.build.fields,
            vec![
                ("port".to_string(), "9506".to_string()),
                ("name".to_string(), "node".to_string()),
                ("name_len".to_string(), "1".to_string()),
            ]
        );
        assert_eq!(
            r.to_query(),
            "?build=ALIVE2_REQ&port=9506&name=node&name_len=1"
        );
    }

    #[test]
    fn multi_line_inputs_and_symbols_survive() {
        let mut r = Route::default();
        r.decode.input = "epmd: got 3 bytes\n***** 00000000  00 01 6e  |..n|\n&=?#%".into();
        r.embed = true;
        let back = Route::from_query(&r.to_query());
        assert_eq!(back, r);
    }

    #[test]
    fn tabs_and_embed() {
        assert_eq!(Route::from_query("?tab=gallery").tab, Tab::Gallery);
        assert_eq!(Route::from_query("?tab=live").tab, Tab::Live);
        assert_eq!(Route::from_query("?tab=tap").tab, Tab::Tap);
        assert_eq!(Route::from_query("?tab=tap").to_query(), "?tab=tap");
        assert_eq!(Route::from_query("?tab=nonsense").tab, Tab::Decode);
        assert_eq!(Route::from_query("").tab, Tab::Decode);
        assert!(Route::from_query("?decode=00&embed=1").embed);
        assert!(!Route::from_query("?decode=00&embed=0").embed);
        let r = Route::from_query("?example=first-mistake");
        assert_eq!((r.tab, r.example.as_str()), (Tab::Gallery, "first-mistake"));
        assert_eq!(Route::from_query(&r.to_query()), r);
    }

    #[test]
    fn an_example_opened_in_the_decoder_stays_in_its_permalink() {
        let r = Route::from_query("?decode=00+01+6e&example=missing-prefix");
        assert_eq!((r.tab, r.example.as_str()), (Tab::Decode, "missing-prefix"));
        assert_eq!(Route::from_query(&r.to_query()), r);
        let r = Route::from_query("?build=ALIVE2_REQ&example=hidden-node&node_type=72");
        assert_eq!(r.tab, Tab::Build);
        assert_eq!(r.build.fields, vec![("node_type".into(), "72".into())]);
        assert_eq!(Route::from_query(&r.to_query()), r);
    }

    #[test]
    fn unknown_keys_are_ignored_outside_the_builder() {
        let r = Route::from_query("?decode=00&port=1");
        assert!(r.build.fields.is_empty());
    }
}
