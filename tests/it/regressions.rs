//! Saved fuzz inputs, replayed through the fuzz targets' own checks.
//!
//! `tests/fixtures/fuzz/<target>/` holds inputs the fuzzers found (crash
//! reproducers) or that exercise a fixed bug; each is run through the same
//! function as its target (`fuzz/src/checks.rs`, included below), on stable
//! Rust, in every `cargo test`, on a small stack as the fuzzers run it. To keep a new reproducer: copy the file from
//! `fuzz/artifacts/<target>/` into the target's folder here.

use std::path::Path;

// The fuzz targets use what the replay does not (`FUZZ_STACK`).
#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
        .collect();
    paths.sort();
    for path in &paths {
        let data = std::fs::read(path).unwrap();
        let outcome =
            std::panic::catch_unwind(|| checks::on_small_stack(checks::REPLAY_STACK, check, &data));
        assert!(outcome.is_ok(), "{} fails its check again", path.display());
    }
    paths.len()
}

#[test]
fn compile_inputs() {
    assert!(replay("compile", checks::compile) > 0);
}

#[test]
fn eval_inputs() {
    assert!(replay("eval", checks::eval) > 0);
}

#[test]
fn fmt_roundtrip_inputs() {
    assert!(replay("fmt_roundtrip", checks::fmt_roundtrip) > 0);
}

/// Found by `fmt_roundtrip` (`crash-613a…`): an inheritance cycle through a
/// parent list that continues on the next line was reported at the role's
/// name, not at the parent reference, because the reference was looked for
/// in the text of the declaration's first line; formatting the list onto one
/// line moved the diagnostic, and so changed the order of the errors.
#[test]
fn a_cycle_through_a_parent_list_on_two_lines_points_at_the_parent() {
    let text = "scope s {\n    role viewer\n    role speaker :\n        viewer, organizer\n    role organizer : speaker\n}\n";
    let diagnostics = super::support::errors(text);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].message,
        "inheritance cycle: speaker → organizer → speaker"
    );
    let labels: Vec<(usize, &str)> = diagnostics[0]
        .labels
        .iter()
        .map(|(loc, _)| (loc.line(), loc.text()))
        .collect();
    assert_eq!(labels, [(4, "organizer"), (5, "speaker")]);
}

#[test]
fn authzen_inputs() {
    assert!(replay("authzen", checks::authzen) > 0);
}

#[test]
fn repl_inputs() {
    assert!(replay("repl", checks::repl) > 0);
}
