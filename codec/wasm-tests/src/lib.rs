//! Holds no code: the tests in `tests/limits.rs` check erldist-codec's ETF
//! decoder limits in wasm32 (1 MiB stack, 32-bit address space) in headless
//! Chromium. Run them with `scripts/test-wasm.sh`.
