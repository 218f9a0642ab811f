//! The rows of tests/vectors/terms.tsv (real OTP 25 term_to_binary output;
//! see tests/vectors/README.md).

/// The five encodings of each term, in column order.
pub const COLS: [&str; 5] = ["default", "minor0", "minor2", "compressed", "deterministic"];

/// One term of the corpus.
pub struct TermRow {
    /// The generator's id (column 7).
    pub id: usize,
    /// `io_lib:format("~w", [T])` (column 1).
    pub w: String,
    /// term_to_binary(T) with the options of [`COLS`], in that order.
    pub cols: [Vec<u8>; 5],
}

impl TermRow {
    /// `term_to_binary(T, [{minor_version, 2}])`.
    pub fn minor2(&self) -> &[u8] {
        &self.cols[2]
    }
}

/// Every row. The two header lines start with `#term_w` and `#generated`;
/// data lines may start with `#` too (`#{...}`, `#Ref<...>`).
pub fn term_rows() -> Vec<TermRow> {
    let p = format!("{}/tests/vectors/terms.tsv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let rows: Vec<TermRow> = text
        .lines()
        .filter(|l| !l.starts_with("#term_w") && !l.starts_with("#generated"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 8, "{l}");
            let hex = |s: &str| {
                erldist_codec::input::parse_hex(s)
                    .expect("hex column")
                    .bytes
            };
            TermRow {
                id: f[6].parse().expect("id column"),
                w: f[0].to_string(),
                cols: [hex(f[1]), hex(f[2]), hex(f[3]), hex(f[4]), hex(f[5])],
            }
        })
        .collect();
    assert_eq!(rows.len(), 197);
    rows
}
