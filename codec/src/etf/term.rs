//! The lossless wire model of an external term: every variant is one tag,
//! and keeps what the bytes chose (STRING_EXT vs LIST_EXT, SMALL_BIG vs
//! LARGE_BIG, which atom form, raw bignum digits, the NEW_FUN Size field), so
//! [`Term::encode`](super::encode) gives back the exact bytes.

/// How an atom was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AtomEnc {
    /// ATOM_EXT (100): u16 length, Latin-1 (deprecated).
    Atom,
    /// SMALL_ATOM_EXT (115): u8 length, Latin-1 (deprecated).
    SmallAtom,
    /// ATOM_UTF8_EXT (118): u16 length, UTF-8.
    AtomUtf8,
    /// SMALL_ATOM_UTF8_EXT (119): u8 length, UTF-8.
    SmallAtomUtf8,
    /// ATOM_CACHE_REF (82): an index into the distribution header's atom refs.
    CacheRef(u8),
}

/// An atom and its encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Atom {
    /// How it was written.
    pub enc: AtomEnc,
    /// Its text; `None` for an ATOM_CACHE_REF that no cache resolved.
    pub name: Option<String>,
}

impl Atom {
    /// A SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT atom, as OTP writes it.
    pub fn utf8(name: &str) -> Atom {
        Atom {
            enc: if name.len() <= 255 {
                AtomEnc::SmallAtomUtf8
            } else {
                AtomEnc::AtomUtf8
            },
            name: Some(name.to_string()),
        }
    }

    /// The text, or `'$atom_cache_ref_N'` for an unresolved cache reference.
    pub fn text(&self) -> String {
        match (&self.name, self.enc) {
            (Some(n), _) => n.clone(),
            (None, AtomEnc::CacheRef(i)) => format!("$atom_cache_ref_{i}"),
            (None, _) => String::new(),
        }
    }
}

/// A pid: PID_EXT (103, 8-bit creation) or NEW_PID_EXT (88, 32-bit).
#[derive(Debug, Clone, PartialEq)]
pub struct Pid {
    /// True for NEW_PID_EXT.
    pub new: bool,
    /// The node (an atom term; NIL inside LOCAL_EXT means this node).
    pub node: Box<Term>,
    /// Process number.
    pub id: u32,
    /// Serial.
    pub serial: u32,
    /// Creation of the node incarnation.
    pub creation: u32,
}

/// Which port tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// PORT_EXT (102): u32 id, u8 creation.
    Port,
    /// NEW_PORT_EXT (89): u32 id, u32 creation.
    NewPort,
    /// V4_PORT_EXT (120): u64 id, u32 creation.
    V4Port,
}

/// A port.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// Which tag.
    pub kind: PortKind,
    /// The node.
    pub node: Box<Term>,
    /// Port number.
    pub id: u64,
    /// Creation.
    pub creation: u32,
}

/// Which reference tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// REFERENCE_EXT (101): one u32 id, u8 creation (deprecated).
    Reference,
    /// NEW_REFERENCE_EXT (114): u16 len, u8 creation, ids.
    NewReference,
    /// NEWER_REFERENCE_EXT (90): u16 len, u32 creation, ids.
    NewerReference,
}

/// A reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    /// Which tag.
    pub kind: RefKind,
    /// The node.
    pub node: Box<Term>,
    /// Creation.
    pub creation: u32,
    /// The id words, in wire order.
    pub ids: Vec<u32>,
}

/// NEW_FUN_EXT (112): a local fun.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFun {
    /// The Size field as sent (bytes from Size to the end; OTP ignores it).
    pub size: u32,
    /// Arity.
    pub arity: u8,
    /// MD5 of the module's code.
    pub uniq: [u8; 16],
    /// Index in the module's fun table.
    pub index: u32,
    /// Module (atom term).
    pub module: Term,
    /// OldIndex (integer term).
    pub old_index: Term,
    /// OldUniq (integer term).
    pub old_uniq: Term,
    /// The creating process (pid term).
    pub pid: Term,
    /// Free variables.
    pub free: Vec<Term>,
}

/// FUN_EXT (117): the removed pre-R8 fun.
#[derive(Debug, Clone, PartialEq)]
pub struct OldFun {
    /// The creating process.
    pub pid: Term,
    /// Module.
    pub module: Term,
    /// Index (integer term).
    pub index: Term,
    /// Uniq (integer term).
    pub uniq: Term,
    /// Free variables.
    pub free: Vec<Term>,
}

/// One external term, exactly as encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// SMALL_INTEGER_EXT (97): 0..=255.
    SmallInteger(u8),
    /// INTEGER_EXT (98): a signed 32-bit integer.
    Integer(i32),
    /// SMALL_BIG_EXT (110) / LARGE_BIG_EXT (111).
    Big {
        /// True for LARGE_BIG_EXT.
        large: bool,
        /// The sign byte as sent (non-zero = negative).
        sign: u8,
        /// Magnitude, little-endian base-256 digits, as sent.
        digits: Vec<u8>,
    },
    /// NEW_FLOAT_EXT (70): IEEE 754 double.
    Float(f64),
    /// FLOAT_EXT (99, obsolete): 31 bytes of `%.20e` text, NUL padded.
    OldFloat(Vec<u8>),
    /// Any atom form.
    Atom(Atom),
    /// PID_EXT / NEW_PID_EXT.
    Pid(Pid),
    /// PORT_EXT / NEW_PORT_EXT / V4_PORT_EXT.
    Port(Port),
    /// REFERENCE_EXT / NEW_REFERENCE_EXT / NEWER_REFERENCE_EXT.
    Ref(Ref),
    /// SMALL_TUPLE_EXT (104) / LARGE_TUPLE_EXT (105).
    Tuple {
        /// True for LARGE_TUPLE_EXT.
        large: bool,
        /// Elements.
        elems: Vec<Term>,
    },
    /// MAP_EXT (116): pairs in wire order.
    Map(Vec<(Term, Term)>),
    /// NIL_EXT (106): `[]`.
    Nil,
    /// STRING_EXT (107): a list of bytes.
    String(Vec<u8>),
    /// LIST_EXT (108): elements and a tail (NIL for a proper list).
    List {
        /// Elements.
        elems: Vec<Term>,
        /// The tail.
        tail: Box<Term>,
    },
    /// BINARY_EXT (109).
    Binary(Vec<u8>),
    /// BIT_BINARY_EXT (77): `bits` used bits (1..8) in the last byte.
    BitBinary {
        /// The bytes.
        data: Vec<u8>,
        /// Used bits of the last byte, counted from the MSB.
        bits: u8,
    },
    /// EXPORT_EXT (113): `fun M:F/A`.
    Export {
        /// Module atom.
        module: Box<Term>,
        /// Function atom.
        function: Box<Term>,
        /// Arity (a small integer term).
        arity: Box<Term>,
    },
    /// NEW_FUN_EXT (112).
    NewFun(Box<NewFun>),
    /// FUN_EXT (117), removed.
    OldFun(Box<OldFun>),
    /// COMPRESSED (80), top level only: the zlib stream as sent and the
    /// term it inflates to.
    Compressed {
        /// UncompressedSize as sent.
        size: u32,
        /// The zlib stream, byte for byte.
        zlib: Vec<u8>,
        /// The inflated term.
        term: Box<Term>,
    },
    /// LOCAL_EXT (121): a node-local encoding behind a hash.
    Local {
        /// The hash.
        hash: u32,
        /// The term after it.
        term: Box<Term>,
    },
}

impl Term {
    /// The terms directly inside this one, in wire order (node atoms,
    /// elements, keys and values, a list's tail, a fun's fields and free
    /// variables, a COMPRESSED or LOCAL_EXT term's content).
    pub fn children(&self) -> Vec<&Term> {
        match self {
            Term::Pid(p) => vec![&p.node],
            Term::Port(p) => vec![&p.node],
            Term::Ref(r) => vec![&r.node],
            Term::Tuple { elems, .. } => elems.iter().collect(),
            Term::List { elems, tail } => elems.iter().chain(std::iter::once(&**tail)).collect(),
            Term::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
            Term::Export {
                module,
                function,
                arity,
            } => vec![module, function, arity],
            Term::NewFun(f) => [&f.module, &f.old_index, &f.old_uniq, &f.pid]
                .into_iter()
                .chain(f.free.iter())
                .collect(),
            Term::OldFun(f) => [&f.pid, &f.module, &f.index, &f.uniq]
                .into_iter()
                .chain(f.free.iter())
                .collect(),
            Term::Compressed { term, .. } | Term::Local { term, .. } => vec![term],
            _ => Vec::new(),
        }
    }

    /// This term and every term inside it, depth first in wire order,
    /// without recursion (terms nest thousands deep).
    pub fn walk(&self) -> Walk<'_> {
        Walk { stack: vec![self] }
    }

    /// An atom written as OTP writes it (SMALL_ATOM_UTF8_EXT when it fits).
    pub fn atom(name: &str) -> Term {
        Term::Atom(Atom::utf8(name))
    }
}

/// The iterator of [`Term::walk`].
#[derive(Debug)]
pub struct Walk<'a> {
    stack: Vec<&'a Term>,
}

impl<'a> Iterator for Walk<'a> {
    type Item = &'a Term;

    fn next(&mut self) -> Option<&'a Term> {
        let t = self.stack.pop()?;
        self.stack.extend(t.children().into_iter().rev());
        Some(t)
    }
}
