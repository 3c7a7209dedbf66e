//! Parse, resolve and compile arbitrary bytes; render the table or every diagnostic.
//! The property is written in `fuzz/src/checks.rs`, shared with the replay
//! of saved inputs in `tests/it/regressions.rs`. Each input runs on a small stack
//! (`checks::FUZZ_STACK`), so depth bugs are within reach.
#![no_main]

#[allow(dead_code)]
#[path = "../src/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::on_small_stack(
    checks::FUZZ_STACK,
    checks::compile,
    data
));
