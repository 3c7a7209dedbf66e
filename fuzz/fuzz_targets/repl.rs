//! The REPL's question language, completion and session on arbitrary lines.
//! The property is written in `fuzz/src/checks.rs`, shared with the replay
//! of saved inputs in `tests/it/regressions.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../src/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::repl(data));
