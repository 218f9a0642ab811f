//! The sequence view's lanes: who talks to whom.
//!
//! Every frame has a conversation (`stream`), a protocol and the side that
//! sent it; [`Sequence::observe`] learns, per conversation, which lane each
//! side is:
//!
//! - an EPMD conversation: the acceptor is **epmd**; the initiator is the
//!   node it registers when its request is an ALIVE2_REQ (a node keeps that
//!   socket open), else a **client** (a look-up, `epmd -names`...: the bytes
//!   do not say who asks);
//! - a node connection: each side is the **node** its handshake names
//!   (SEND_NAME for the initiator, the challenge for the acceptor); before
//!   (or without) a name, "node A" / "node B" of that conversation.
//!
//! Nodes are one lane per alive name (`b` registered with epmd and
//! `b@127.0.0.1` in a handshake are the same lane, labelled with the longer
//! name). Lanes are ordered client, epmd, then nodes as they appear; past
//! [`MAX_LANES`] the rest share a last "others" lane.

use erldist_codec::conn::Side;
use erldist_codec::session::{Phase, Protocol};
use erldist_codec::{Frame, Value};
use std::collections::BTreeMap;

/// Lanes drawn at most (the last one then gathers the others).
pub const MAX_LANES: usize = 8;

/// What a lane stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKey {
    /// Clients of epmd the bytes do not name.
    Client,
    /// epmd.
    Epmd,
    /// A node, by the order its name first appeared.
    Node(usize),
    /// A side of a node connection whose handshake named nobody (yet).
    Unnamed(Option<usize>, SideKey),
}

/// [`Side`] as an ordered key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SideKey {
    /// The side that connected.
    Initiator,
    /// The side that accepted.
    Acceptor,
}

impl From<Side> for SideKey {
    fn from(s: Side) -> SideKey {
        match s {
            Side::Initiator => SideKey::Initiator,
            Side::Acceptor => SideKey::Acceptor,
        }
    }
}

/// One lane, as drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// Its heading: `client`, `epmd`, `a@127.0.0.1`, `node A (stream 4)`.
    pub label: String,
    /// What it stands for, in a sentence.
    pub title: String,
}

/// The two ends of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Ends {
    initiator: Option<LaneKey>,
    acceptor: Option<LaneKey>,
}

/// The lanes of a decode and which lane each conversation's sides are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sequence {
    /// Per conversation (`None`: frames of no conversation).
    streams: BTreeMap<Option<usize>, Ends>,
    /// Node names by first appearance: (alive name, label).
    nodes: Vec<(String, String)>,
    /// How many conversation ends each lane is.
    uses: BTreeMap<LaneKey, usize>,
    /// The lanes drawn, in order.
    columns: Vec<LaneKey>,
}

/// The alive part of a node name (`b` of `b@127.0.0.1`).
fn alive(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

fn text_field<'a>(f: &'a Frame, key: &str) -> Option<&'a str> {
    f.fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| match v {
            Value::Text(s) if !s.is_empty() => Some(s.as_str()),
            _ => None,
        })
}

impl Sequence {
    /// Learns from one more frame (in decode order).
    pub fn observe(&mut self, f: &Frame) {
        let named = match (f.protocol, f.phase) {
            (Protocol::Epmd, _) if f.type_name == "ALIVE2_REQ" && f.side == Side::Initiator => {
                text_field(f, "name")
            }
            (Protocol::Dist, Phase::Handshake) => text_field(f, "name"),
            _ => None,
        };
        let node = named.map(|n| self.node(n));
        let ends = self.streams.get(&f.stream).cloned().unwrap_or_default();
        let mut new = ends.clone();
        match f.protocol {
            Protocol::Epmd => {
                new.acceptor = Some(LaneKey::Epmd);
                if new.initiator.is_none() {
                    // A node registering keeps its socket: in a conversation
                    // of its own, its first request says who it is. Frames of
                    // no conversation may be anybody's.
                    new.initiator = Some(match node {
                        Some(n) if f.stream.is_some() => LaneKey::Node(n),
                        _ => LaneKey::Client,
                    });
                }
            }
            Protocol::Dist => {
                let slot = match f.side {
                    Side::Initiator => &mut new.initiator,
                    Side::Acceptor => &mut new.acceptor,
                };
                match node {
                    Some(n) => *slot = Some(LaneKey::Node(n)),
                    None if slot.is_none() => {
                        *slot = Some(LaneKey::Unnamed(f.stream, f.side.into()));
                    }
                    None => {}
                }
                for (slot, side) in [
                    (&mut new.initiator, SideKey::Initiator),
                    (&mut new.acceptor, SideKey::Acceptor),
                ] {
                    if slot.is_none() {
                        *slot = Some(LaneKey::Unnamed(f.stream, side));
                    }
                }
            }
        }
        if new != ends {
            for k in [&ends.initiator, &ends.acceptor].into_iter().flatten() {
                if let Some(n) = self.uses.get_mut(k) {
                    *n = n.saturating_sub(1);
                }
            }
            for k in [&new.initiator, &new.acceptor].into_iter().flatten() {
                *self.uses.entry(k.clone()).or_insert(0) += 1;
            }
            self.uses.retain(|_, n| *n > 0);
            self.streams.insert(f.stream, new);
            let columns: Vec<LaneKey> = self.uses.keys().cloned().collect();
            if columns != self.columns {
                self.columns = columns;
            }
        }
    }

    /// The node lane of `name` (registered on first sight).
    fn node(&mut self, name: &str) -> usize {
        let a = alive(name);
        if let Some(i) = self.nodes.iter().position(|(k, _)| k == a) {
            if let Some((_, label)) = self.nodes.get_mut(i) {
                if name.len() > label.len() {
                    *label = name.to_string();
                }
            }
            return i;
        }
        self.nodes.push((a.to_string(), name.to_string()));
        self.nodes.len() - 1
    }

    /// How many lanes are drawn.
    pub fn lane_count(&self) -> usize {
        self.columns.len().min(MAX_LANES)
    }

    /// The lanes, in drawing order.
    pub fn lanes(&self) -> Vec<Lane> {
        let n = self.lane_count();
        let mut v: Vec<Lane> = self.columns.iter().take(n).map(|k| self.lane(k)).collect();
        if self.columns.len() > MAX_LANES {
            if let Some(last) = v.last_mut() {
                *last = Lane {
                    label: format!("{} others", self.columns.len() + 1 - MAX_LANES),
                    title: "more parties than the view has room for".to_string(),
                };
            }
        }
        v
    }

    fn lane(&self, k: &LaneKey) -> Lane {
        match k {
            LaneKey::Client => Lane {
                label: "client".into(),
                title: "clients of epmd (look-ups, epmd -names, ...): the bytes do not say who"
                    .into(),
            },
            LaneKey::Epmd => Lane {
                label: "epmd".into(),
                title: "the Erlang port mapper daemon".into(),
            },
            LaneKey::Node(i) => {
                let label = self
                    .nodes
                    .get(*i)
                    .map_or_else(|| "node".to_string(), |(_, l)| l.clone());
                Lane {
                    title: format!("the node {label}"),
                    label,
                }
            }
            LaneKey::Unnamed(stream, side) => {
                let who = match side {
                    SideKey::Initiator => "node A",
                    SideKey::Acceptor => "node B",
                };
                let label = match stream {
                    Some(s) => format!("{who} (stream {s})"),
                    None => who.to_string(),
                };
                Lane {
                    title: format!(
                        "the {} of a node connection whose handshake names nobody",
                        match side {
                            SideKey::Initiator => "side that connected",
                            SideKey::Acceptor => "side that accepted",
                        }
                    ),
                    label,
                }
            }
        }
    }

    /// The column of a lane key.
    fn column(&self, k: &LaneKey) -> Option<usize> {
        let i = self.columns.iter().position(|c| c == k)?;
        Some(i.min(MAX_LANES - 1))
    }

    /// Sender and receiver columns of a frame; `None` before it was observed.
    pub fn arrow(&self, f: &Frame) -> Option<(usize, usize)> {
        let ends = self.streams.get(&f.stream)?;
        let (from, to) = match f.side {
            Side::Initiator => (ends.initiator.as_ref()?, ends.acceptor.as_ref()?),
            Side::Acceptor => (ends.acceptor.as_ref()?, ends.initiator.as_ref()?),
        };
        Some((self.column(from)?, self.column(to)?))
    }

    /// Sender and receiver labels of a frame (`client`, `epmd`).
    pub fn parties(&self, f: &Frame) -> Option<(String, String)> {
        let ends = self.streams.get(&f.stream)?;
        let (from, to) = match f.side {
            Side::Initiator => (ends.initiator.as_ref()?, ends.acceptor.as_ref()?),
            Side::Acceptor => (ends.acceptor.as_ref()?, ends.initiator.as_ref()?),
        };
        Some((self.lane(from).label, self.lane(to).label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::{decode_bytes, decode_text, DecodeOptions};

    fn vector(rel: &str) -> Vec<u8> {
        let p = format!("{}/codec/tests/vectors/{rel}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    fn of(frames: &[Frame]) -> Sequence {
        let mut s = Sequence::default();
        for f in frames {
            s.observe(f);
        }
        s
    }

    fn labels(s: &Sequence) -> Vec<String> {
        s.lanes().into_iter().map(|l| l.label).collect()
    }

    #[test]
    fn a_capture_has_client_epmd_and_the_named_nodes() {
        let r = decode_bytes(&vector("dist/dist_hidden.pcap"), &DecodeOptions::default());
        let s = of(&r.frames);
        assert_eq!(labels(&s), ["client", "epmd", "b@127.0.0.1", "h@127.0.0.1"]);
        let by_type = |t: &str| {
            let f = r.frames.iter().find(|f| f.type_name == t).unwrap();
            (s.arrow(f).unwrap(), s.parties(f).unwrap())
        };
        // b registers itself (stream 0), h looks b up as a client, then h
        // connects to b.
        assert_eq!(by_type("ALIVE2_REQ").0, (2, 1));
        assert_eq!(by_type("ALIVE2_X_RESP").0, (1, 2));
        assert_eq!(
            by_type("PORT_PLEASE2_REQ").1,
            ("client".to_string(), "epmd".to_string())
        );
        assert_eq!(by_type("SEND_NAME").0, (3, 2));
        assert_eq!(by_type("CHALLENGE").0, (2, 3));
        // Every frame has an arrow between two different lanes.
        for f in &r.frames {
            let (a, b) = s.arrow(f).unwrap();
            assert_ne!(a, b, "{}", f.type_name);
        }
    }

    #[test]
    fn frames_of_no_conversation_are_client_and_epmd() {
        let r = decode_text(
            "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00",
            &DecodeOptions::default(),
        );
        let s = of(&r.frames);
        assert_eq!(labels(&s), ["client", "epmd"]);
        assert_eq!(s.arrow(&r.frames[0]), Some((0, 1)));
    }

    #[test]
    fn an_unnamed_node_connection_is_node_a_and_node_b() {
        // A connected-phase tick each way, no handshake: nobody is named.
        let r = decode_text(
            "00 00 00 00 00 00 00 00",
            &DecodeOptions {
                protocol: erldist_codec::session::ProtocolChoice::Dist,
                ..DecodeOptions::default()
            },
        );
        let s = of(&r.frames);
        assert_eq!(labels(&s), ["node A", "node B"]);
    }

    #[test]
    fn names_replace_placeholders_as_the_handshake_goes() {
        let r = decode_bytes(&vector("dist/dist_v5_name.pcap"), &DecodeOptions::default());
        let s = of(&r.frames);
        let l = labels(&s);
        assert!(l.iter().all(|l| !l.starts_with("node ")), "{l:?}");
        assert!(l.len() >= 3, "{l:?}");
    }

    #[test]
    fn too_many_parties_share_a_last_lane() {
        let mut s = Sequence::default();
        let r = decode_bytes(&vector("dist/dist_hidden.pcap"), &DecodeOptions::default());
        let send_name = r
            .frames
            .iter()
            .find(|f| f.type_name == "SEND_NAME")
            .unwrap();
        for i in 0..20 {
            let mut f = send_name.clone();
            f.stream = Some(100 + i);
            f.fields = vec![("name".into(), Value::Text(format!("n{i}@h")))];
            s.observe(&f);
        }
        assert_eq!(s.lane_count(), MAX_LANES);
        let lanes = s.lanes();
        assert!(lanes.last().unwrap().label.ends_with("others"), "{lanes:?}");
        let mut f = send_name.clone();
        f.stream = Some(119);
        let (from, _) = s.arrow(&f).unwrap();
        assert_eq!(from, MAX_LANES - 1);
    }
}
