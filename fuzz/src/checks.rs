//! The properties the fuzz targets check, one function per target.
//!
//! Shared by the targets (`fuzz/fuzz_targets/`) and by the regression test
//! that replays saved inputs on stable Rust (`tests/it/regressions.rs`
//! includes this file), so a reproducer is checked exactly as it was found.
//! Each function panics when a property fails.

use std::path::Path;
use std::sync::OnceLock;

use rolecall::cli::answer_requests;
use rolecall::diagnostic::render;
use rolecall::eval::explain;
use rolecall::render::Format;
use rolecall::repl::Session;
use rolecall::repl::complete::{complete, hint};
use rolecall::repl::query::{self, Input};
use rolecall::source::SourceFile;
use rolecall::syntax::{MemoryFiles, parse_file};
use rolecall::{DecisionTable, Diagnostic, Request};

// ------------------------------------------------------------------ stack

/// The stack the fuzz targets run each input on: far smaller than any thread
/// rolecall itself runs on (2 MiB and more), so a bug whose depth grows with
/// the input overflows here, where the fuzzer sees it, long before it could
/// overflow in production. The targets are optimized builds.
pub const FUZZ_STACK: usize = 256 << 10;

/// The stack the replay in `cargo test` uses: a debug build, whose frames are
/// larger (pest alone keeps 64 KiB in reserve and takes about 3 KiB a level
/// of nesting there).
pub const REPLAY_STACK: usize = 384 << 10;

/// Runs `check` on `data` on a thread with a stack of `bytes`, passing on its
/// panic. An overflow aborts the process, which the fuzzer reports as a crash.
pub fn on_small_stack(bytes: usize, check: fn(&[u8]), data: &[u8]) {
    let data = data.to_vec();
    let outcome = std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(move || check(&data))
        .map(std::thread::JoinHandle::join);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => panic!("cannot start a thread: {e}"),
    }
}

// ------------------------------------------------------------------ compile

/// Parse, resolve and compile arbitrary bytes, and render whatever comes out.
///
/// The input is split on NUL bytes into files `main.policy`, `1.policy`,
/// `2.policy`, … held in memory, so `include "1.policy"` reaches the second
/// part and include cycles and missing files are exercised too. The result
/// must be a table or diagnostics with at least one error, and every
/// diagnostic and every rendering must be produced without a panic.
pub fn compile(data: &[u8]) {
    let mut files = MemoryFiles::new();
    for (i, part) in data.split(|&b| b == 0).enumerate() {
        let name = if i == 0 {
            "main.policy".to_string()
        } else {
            format!("{i}.policy")
        };
        files = files.with(name, part.to_vec());
    }
    match rolecall::compile_with(&files, Path::new("main.policy")) {
        Ok(table) => {
            for format in [Format::Text, Format::Markdown, Format::Csv, Format::Json] {
                let _ = rolecall::render::render(&table, format, None, false);
            }
            let _ = rolecall::render::render(&table, Format::Text, table.scope_at(0), true);
        }
        Err(diagnostics) => {
            assert!(
                diagnostics.iter().any(Diagnostic::is_error),
                "a failure without an error: {diagnostics:?}"
            );
            for d in &diagnostics {
                let _ = d.render_plain();
                let _ = render(d, true, 40);
            }
        }
    }
}

// ------------------------------------------------------------------ eval

const POLICIES: [(&str, &str); 2] = [
    (
        "goto_webinar.policy",
        include_str!("../../policies/goto_webinar.policy"),
    ),
    (
        "livestorm.policy",
        include_str!("../../policies/livestorm.policy"),
    ),
];

/// The reference policies, compiled once.
fn tables() -> &'static [DecisionTable] {
    static TABLES: OnceLock<Vec<DecisionTable>> = OnceLock::new();
    TABLES.get_or_init(|| {
        POLICIES
            .iter()
            .map(|(name, text)| {
                let files = MemoryFiles::new().with(*name, text.as_bytes().to_vec());
                rolecall::compile_with(&files, Path::new(name)).expect("reference policy compiles")
            })
            .collect()
    })
}

/// `rolecall eval` on arbitrary request lines, against both reference policies.
///
/// The lines go through `rolecall::cli::answer_requests`, the loop of the
/// `eval` command, with each policy compiled once (compiling for every input
/// would cost ten times the rest; `batch::a_batch_of_n_lines_prints_n_lines`
/// runs the whole command). Whatever the bytes, it must print one JSON line
/// per input line (a decision, or `{"error", "line"}` with the right line
/// number), in order, nothing on standard error, and exit 1 exactly when a
/// line was an error.
/// Each line that is a valid request is also explained, as `rolecall
/// explain` does.
pub fn eval(data: &[u8]) {
    // What `read_until(b'\n')` sees: a last line without its newline still counts.
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    for table in tables() {
        let mut input = data;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let code = answer_requests(table, &mut input, &mut stdout, &mut stderr);
        assert!(code == 0 || code == 1, "exit code {code}");
        assert!(
            stderr.is_empty(),
            "eval wrote to stderr: {}",
            String::from_utf8_lossy(&stderr)
        );
        let stdout = String::from_utf8(stdout).expect("eval prints UTF-8");
        let out: Vec<&str> = stdout.lines().collect();
        assert_eq!(out.len(), lines.len(), "one answer per line");
        assert!(stdout.is_empty() || stdout.ends_with('\n'));
        let mut errors = 0;
        for (n, line) in out.iter().enumerate() {
            let value: serde_json::Value = serde_json::from_str(line).expect("each answer is JSON");
            if let Some(at) = value.get("line") {
                assert_eq!(at.as_u64(), Some(n as u64 + 1), "error line number");
                assert!(value.get("error").is_some_and(|e| e.is_string()));
                errors += 1;
            } else {
                let decision = value.get("decision").and_then(|d| d.as_str());
                assert!(matches!(decision, Some("allow" | "deny")), "{line}");
            }
        }
        assert_eq!(
            code == 1,
            errors > 0,
            "exit 1 exactly when a line was an error"
        );
    }
    // `explain` through the calls its command makes, with the policies
    // compiled once (compiling dominates the time).
    for table in tables() {
        for line in &lines {
            let Ok(text) = std::str::from_utf8(line) else {
                continue;
            };
            let text = text.trim_end_matches(['\n', '\r']);
            if let Ok(request) = Request::from_json(text).and_then(|r| table.resolve_request(&r)) {
                let evaluation = table.evaluate_resolved(&request);
                assert!(!explain(table, &request, &evaluation).is_empty());
            }
        }
    }
}

// ------------------------------------------------------------------ fmt

const NAME: &str = "fuzz.policy";

fn compile_text(text: &str) -> Result<DecisionTable, Vec<Diagnostic>> {
    let files = MemoryFiles::new().with(NAME, text.as_bytes().to_vec());
    rolecall::compile_with(&files, Path::new(NAME))
        .map_err(rolecall::CompileError::into_diagnostics)
}

fn messages(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(|d| d.message.clone()).collect()
}

/// The formatter round trip on arbitrary text.
///
/// For every input that parses, `format_source` must succeed, its output
/// must parse, formatting it again must change nothing, and it must mean the
/// same: it compiles exactly when the input does, to the same table (CSV
/// rendering), or fails with the same messages. Inputs that do not parse
/// must not format.
pub fn fmt_roundtrip(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // As `rolecall fmt` does: a byte-order mark is not part of the policy.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let src = SourceFile::new(NAME, text);
    if parse_file(&src).is_err() {
        assert!(rolecall::fmt::format_source(&src).is_err());
        return;
    }
    let formatted = match rolecall::fmt::format_source(&src) {
        Ok(formatted) => formatted,
        Err(e) => panic!("parsed but did not format: {e:?}"),
    };
    let again_src = SourceFile::new(NAME, formatted.as_str());
    if let Err(e) = parse_file(&again_src) {
        panic!(
            "formatted text does not parse:\n{formatted}\n{}",
            e.iter().map(Diagnostic::render_plain).collect::<String>()
        );
    }
    let again = rolecall::fmt::format_source(&again_src).expect("formatted text formats");
    assert_eq!(formatted, again, "formatting is not idempotent");
    match (compile_text(text), compile_text(&formatted)) {
        (Ok(before), Ok(after)) => {
            let before = rolecall::render::render(&before, Format::Csv, None, false);
            let after = rolecall::render::render(&after, Format::Csv, None, false);
            assert_eq!(before, after, "formatting changed the table");
        }
        (Err(before), Err(after)) => {
            assert_eq!(
                messages(&before),
                messages(&after),
                "formatting changed the errors"
            );
        }
        (Ok(_), Err(after)) => panic!("formatted text no longer compiles: {:?}", messages(&after)),
        (Err(before), Ok(_)) => panic!(
            "formatted text compiles, the input did not: {:?}",
            messages(&before)
        ),
    }
}

// ------------------------------------------------------------------ repl

/// A REPL session with both reference policies, built once.
fn reference_session() -> &'static Session {
    static SESSION: OnceLock<Session> = OnceLock::new();
    SESSION.get_or_init(Session::with_reference_policies)
}

/// The REPL's question language and session on arbitrary lines.
///
/// Each line of the input is parsed (`repl::query::parse`), completed at
/// every byte offset up to 64 (`repl::complete::complete` and `hint`),
/// and run in one session on both reference policies (`Session::run_line`).
/// Nothing may panic; a completion starts at or before its cursor; every
/// line that does not parse is reported as one `error: …` line. `:load` and
/// `:reload`, which read the disk, are parsed but not run or completed.
pub fn repl(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut session = reference_session().clone();
    for line in text.lines() {
        let parsed = query::parse(line);
        let reads_disk = match &parsed {
            Ok(Input::Command { name, .. }) => matches!(name.as_str(), "load" | "reload"),
            _ => line.contains("load"),
        };
        if reads_disk {
            continue;
        }
        for cursor in 0..=line.len().min(64) {
            let completion = complete(line, cursor, &session);
            // An editor's cursor is at a character boundary; elsewhere only
            // the absence of a panic is asked.
            if line.is_char_boundary(cursor) {
                assert!(completion.start <= cursor, "{line:?} at {cursor}");
            }
            let _ = hint(line, cursor, &session);
        }
        let mut out = String::new();
        let _ = session.run_line(line, &mut out);
        if parsed.is_err() {
            assert!(
                out.starts_with("error: ") && out.lines().count() == 1,
                "{line:?} printed {out:?}"
            );
        }
    }
}

// ------------------------------------------------------------------ authzen

fn todo_pdp() -> &'static rolecall::authzen::Pdp {
    static PDP: OnceLock<rolecall::authzen::Pdp> = OnceLock::new();
    PDP.get_or_init(|| {
        let policy = include_str!("../../policies/examples/authzen_todo.policy");
        let principals = include_str!("../../policies/examples/authzen_todo.principals.json");
        let table = compile_text(policy).unwrap_or_else(|e| panic!("{:?}", messages(&e)));
        let principals = rolecall::authzen::Principals::parse("todo.principals.json", principals)
            .unwrap_or_else(|e| panic!("{:?}", messages(&e)));
        rolecall::authzen::Pdp::new(table, &principals)
            .unwrap_or_else(|e| panic!("{:?}", messages(&e)))
    })
}

/// An Access Evaluation body, read by both readers of `serve`: the typed
/// one (`authzen::typed`) takes only what the general one
/// (`authzen::parse_evaluation`) reads as an evaluation, reads the same
/// five names, and the Todo policy decides both alike (reason, rule and
/// roles included). The general reader and the decision never panic.
pub fn authzen(data: &[u8]) {
    use rolecall::authzen::{Details, parse_evaluation, typed::read_evaluation};
    let pdp = todo_pdp();
    let general = rolecall::json::from_slice(data).ok();
    let general = general.as_ref().map(parse_evaluation);
    if let Some(Ok(e)) = &general {
        let _ = pdp.decide(e, Details::Full);
    }
    let Some(typed) = read_evaluation(data) else {
        return;
    };
    let t = typed.evaluation();
    let Some(Ok(g)) = general else {
        panic!("the typed reader took a body the general one refuses: {general:?}");
    };
    assert_eq!(
        (
            t.subject_type,
            t.subject_id,
            t.action_name,
            t.resource_type,
            t.resource_id
        ),
        (
            g.subject_type,
            g.subject_id,
            g.action_name,
            g.resource_type,
            g.resource_id
        )
    );
    assert_eq!(t.context, g.context);
    assert_eq!(pdp.decide(&t, Details::Full), pdp.decide(&g, Details::Full));
}
