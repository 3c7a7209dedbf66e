//! Issue 15, items 1 and 2: every line end is the same line end for every
//! stage, so the nesting limit cannot be bypassed, and the deepest condition
//! the limit allows runs through every command on a small thread stack.

use super::support::{ByPosition, cli, errors, table, temp_file};

/// A stack far smaller than any thread's default (Rust's 2 MiB, `serve`'s
/// reload thread, the main thread's 8 MiB): what passes here passes
/// everywhere. This is a debug build: pest keeps 64 KiB in reserve and its
/// unoptimized frames take about 3 KiB a level; the optimized fuzz targets
/// run on 256 KiB.
const SMALL_STACK: usize = 384 << 10;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    on_stack(SMALL_STACK, f)
}

fn on_stack<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|_| panic!("panicked (or overflowed) on a {SMALL_STACK}-byte stack"))
}

/// The issue's input: the comment on the line before the rule ends at a lone
/// `\r`, which the nesting scan used to skip past, hiding the rule from it.
fn nested_after_comment(line_end: &str, depth: usize) -> String {
    let e = line_end;
    format!(
        "fact f{e}scope s {{{e} role r{e} action a{e} # c{e} allow r to a when {}f{}{e}}}{e}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn the_nesting_limit_holds_after_a_comment_ended_by_any_line_end() {
    for line_end in ["\r", "\n", "\r\n"] {
        for depth in [65, 100, 5_000] {
            let text = nested_after_comment(line_end, depth);
            // On a small stack: 5,000 levels used to overflow `check` even on 8 MiB.
            let messages = on_small_stack(move || {
                errors(&text)
                    .iter()
                    .map(|d| d.message.clone())
                    .collect::<Vec<_>>()
            });
            assert_eq!(
                messages,
                ["condition nested more than 64 levels deep"],
                "line end {line_end:?}, depth {depth}"
            );
        }
        let t = table(&nested_after_comment(line_end, 64));
        let condition = t
            .cell_by(0, 0, 0)
            .and_then(|c| c.condition().map(str::to_string));
        assert_eq!(condition.as_deref(), Some("f"));
    }
}

#[test]
fn a_lone_carriage_return_ends_a_line_for_answers_and_diagnostics() {
    let path = temp_file(
        "lone-cr.policy",
        "fact f\rscope s {\r    role r\r    allow r to a\r}\r",
    );
    let path = path.to_str().unwrap();
    let run = cli(&["check", path], "");
    assert_eq!(run.code, 1);
    // The unknown action is on line 4, and the snippet shows line 4 alone.
    assert!(run.stderr.contains("lone-cr.policy:4:"), "{}", run.stderr);
    assert!(
        run.stderr.contains(" 4 │     allow r to a\n"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("role r    allow"), "{}", run.stderr);

    let path = temp_file(
        "lone-cr-ok.policy",
        "fact f\rscope s {\r    role r\r    action a\r    allow r to a\r}\r",
    );
    let path = path.to_str().unwrap();
    let run = cli(
        &["eval", path],
        "{\"principal\": {\"s\": \"r\"}, \"action\": \"s:a\"}\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("lone-cr-ok.policy:5"), "{}", run.stdout);
}

/// `(`, `not (` and `not` mixed to exactly the limit (64 levels).
fn deepest_condition() -> String {
    format!(
        "{}{}f{}{}",
        "not (".repeat(16),
        "(".repeat(31),
        ")".repeat(31),
        ")".repeat(16)
    )
    .replacen("f", "not f", 1)
}

#[test]
fn the_deepest_condition_allowed_runs_through_every_command_on_a_small_stack() {
    let condition = deepest_condition();
    let policy = format!(
        "fact f\nfact g\nscope s {{\n    role r\n    role boss : r\n    action a\n    action b\n    \
         allow r to a when {condition}\n    allow boss to b when {condition} or g\n    default r\n}}\n"
    );
    let path = temp_file("deepest.policy", &policy);
    let path = path.to_str().unwrap().to_string();
    let request = r#"{"principal": {"s": "boss"}, "action": "s:b", "context": {"f": true}}"#;
    let policy_text = policy.clone();
    let outputs = on_small_stack(move || {
        let policy = policy_text;
        let mut outputs = Vec::new();
        for args in [
            vec!["check", &path],
            vec!["table", &path],
            vec!["table", &path, "--format", "csv"],
            vec!["table", &path, "--format", "json"],
            vec!["table", &path, "--format", "markdown"],
            vec!["table", &path, "--format", "html"],
            vec!["graph", &path],
            vec!["snapshot", &path],
            vec!["diff", &path, &path],
            vec!["lint", &path],
            vec!["explain", &path, request],
        ] {
            let run = cli(&args, "");
            outputs.push((args.join(" "), run.code, run.stdout, run.stderr));
        }
        let run = cli(&["eval", &path], &format!("{request}\n"));
        outputs.push(("eval".to_string(), run.code, run.stdout, run.stderr));
        let run = cli(&["fmt", "-"], &policy);
        let formatted = run.stdout.clone();
        outputs.push(("fmt -".to_string(), run.code, run.stdout, run.stderr));
        let run = cli(&["fmt", "-"], &formatted);
        assert_eq!(run.stdout, formatted, "formatting is idempotent");
        outputs
    });
    for (command, code, stdout, stderr) in outputs {
        // lint may find something to say about such a condition; nothing may fail hard.
        assert!(
            code == 0 || command.starts_with("lint"),
            "{command}: exit {code}\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        if command == "eval" {
            assert!(stdout.contains("\"decision\":\"deny\""), "{stdout}");
        }
    }
}

#[test]
fn a_stack_too_small_for_the_parser_is_a_diagnostic_not_a_crash() {
    let text = format!(
        "fact f\nscope s {{\n role r\n action a\n allow r to a when {}\n}}\n",
        deepest_condition()
    );
    let diagnostics = on_stack(160 << 10, move || {
        errors(&text)
            .iter()
            .map(|d| (d.code.to_string(), d.message.clone()))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        diagnostics,
        [(
            "rolecall::syntax::out_of_stack".to_string(),
            "the parser ran out of stack space here".to_string()
        )]
    );
}
