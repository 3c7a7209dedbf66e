//! The formatter round trip: formatted text parses, is stable, and compiles to the same table.
//! The property is written in `fuzz/src/checks.rs`, shared with the replay
//! of saved inputs in `tests/it/regressions.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../src/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::fmt_roundtrip(data));
