//! An Access Evaluation body read by both of `serve`'s readers (the typed
//! one and the general one): the same evaluation, the same decision.
//! The property is written in `fuzz/src/checks.rs`, shared with the replay
//! of saved inputs in `tests/it/regressions.rs`.
#![no_main]

#[allow(dead_code)]
#[path = "../src/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::on_small_stack(
    checks::FUZZ_STACK,
    checks::authzen,
    data
));
