//! `rolecall test [PATH...] [--coverage] [--verbose] [--format text|json]`

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::{CommandError, FAILURE, Io, OK, PolicyArgs, USAGE};
use crate::DecisionTable;
use crate::diagnostic::{Diagnostic, Level};
use crate::testing::{Coverage, load, run_case};

/// The suffix that marks a test file when searching directories.
const SUFFIX: &str = ".policy.test";

/// Run policy tests: expected decisions and errors, one per line.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A test file names its policy, then one expectation per line:\n  policy \"livestorm.policy\"\n  allow session.viewer -> session:ask_questions, send_emojis\n  deny  session.viewer -> session:start_end_session\n  allow workspace.admin, session.viewer -> session:start_end_session\n  allow session.attendee -> session:chat with organizer_permission\n  error \"cannot be assigned\" registrant session.organizer -> session:chat\nSee docs/testing.md. Prints each failure with the rule that decided, then `N passed, N failed`; exit 1 on any failure, 2 when the paths name no test file."
)]
pub struct Args {
    /// Test files, or directories searched recursively for `*.policy.test` files.
    #[arg(value_name = "PATH", default_value = "policies")]
    paths: Vec<PathBuf>,
    /// Also report, per policy, the cells (scope, action, role) and the rules
    /// that no test exercised.
    #[arg(long)]
    coverage: bool,
    /// Print every test, not only the failures (text output only).
    #[arg(short, long)]
    verbose: bool,
    /// Output format: `text` for people, `json` for tools (one document:
    /// the counts, the failures, and with `--coverage` each policy's report).
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TestFormat {
    Text,
    Json,
}

/// A failure: where, the test (none for a file or policy that failed as a
/// whole), and why, line by line.
struct Failure {
    at: String,
    test: Option<String>,
    why: Vec<String>,
}

impl Failure {
    fn text(&self) -> String {
        let mut text = format!("FAIL {}", self.at);
        match &self.test {
            Some(test) => {
                text.push_str(&format!(": {test}"));
                for line in &self.why {
                    text.push_str(&format!("\n  {line}"));
                }
            }
            None => {
                for line in &self.why {
                    text.push_str(&format!(": {line}"));
                }
            }
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"at": self.at, "test": self.test, "why": self.why})
    }
}

struct PolicyRun {
    name: String,
    table: Option<DecisionTable>,
    coverage: Option<Coverage>,
}

/// Runs every test; exit 1 on any failure.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for path in &args.paths {
        if let Err(e) = collect(path, &mut seen, &mut files) {
            io.error(CommandError::Read {
                path: path.clone(),
                source: e,
            });
            return USAGE;
        }
    }
    if files.is_empty() {
        io.error(CommandError::NoTestFiles {
            paths: args.paths.iter().map(|p| p.display().to_string()).collect(),
        });
        return USAGE;
    }

    let mut policies: IndexMap<PathBuf, PolicyRun> = IndexMap::new();
    let json = args.format == TestFormat::Json;
    let mut passed = 0usize;
    let mut failures: Vec<Failure> = Vec::new();
    // Text is written as it comes; JSON is one document at the end.
    let mut fail = |io: &mut Io<'_>, failure: Failure| {
        if !json {
            let _ = writeln!(io.stdout, "{}", failure.text());
        }
        failures.push(failure);
    };
    for file in &files {
        let test_file = match load(file) {
            Ok(t) => t,
            Err(diagnostics) => {
                io.diagnostics(&diagnostics);
                let why = format!(
                    "not a valid test file ({} error{})",
                    diagnostics.len(),
                    if diagnostics.len() == 1 { "" } else { "s" }
                );
                fail(
                    io,
                    Failure {
                        at: file.display().to_string(),
                        test: None,
                        why: vec![why],
                    },
                );
                continue;
            }
        };
        let policy_path = test_file.policy_path();
        let key = std::fs::canonicalize(&policy_path).unwrap_or_else(|_| policy_path.clone());
        let run = policies.entry(key).or_insert_with(|| {
            if let Err(e) = std::fs::metadata(&policy_path) {
                let d = Diagnostic::new(
                    "rolecall::test::policy",
                    Level::Error,
                    format!("cannot read the policy {}: {e}", policy_path.display()),
                    &test_file.policy_loc,
                    "this policy",
                )
                .with_help("the path is relative to the directory of the test file");
                io.diagnostics(&[d]);
            }
            let table = match std::fs::metadata(&policy_path) {
                Err(_) => None,
                Ok(_) => match crate::Sources::disk()
                    .include_roots(&args.policy.include_root)
                    .compile_file(&policy_path)
                {
                    Ok(t) => Some(t),
                    Err(diagnostics) => {
                        io.diagnostics(&diagnostics);
                        None
                    }
                },
            };
            PolicyRun {
                name: policy_path.display().to_string(),
                coverage: table.as_ref().map(Coverage::new),
                table,
            }
        });
        let Some(table) = &run.table else {
            let why = format!("policy {} cannot be compiled", run.name);
            fail(
                io,
                Failure {
                    at: test_file.policy_loc.file_line(),
                    test: None,
                    why: vec![why],
                },
            );
            continue;
        };
        for case in &test_file.cases {
            let result = run_case(table, case, run.coverage.as_mut());
            let at = case.loc.file_line();
            if result.passed {
                passed += 1;
                if args.verbose && !json {
                    let _ = writeln!(io.stdout, "ok   {at}: {case}");
                }
            } else {
                let why = result.explain_failure(case);
                fail(
                    io,
                    Failure {
                        at,
                        test: Some(case.to_string()),
                        why: why.lines().map(|l| l.trim_start().to_string()).collect(),
                    },
                );
            }
        }
    }

    let failed = failures.len();
    let reports = policies
        .values()
        .filter(|_| args.coverage)
        .filter_map(|run| Some((run.table.as_ref()?, run.coverage.as_ref()?, &run.name)));
    if json {
        let mut document = serde_json::Map::new();
        document.insert("passed".into(), passed.into());
        document.insert("failed".into(), failed.into());
        document.insert(
            "failures".into(),
            failures.iter().map(Failure::json).collect(),
        );
        if args.coverage {
            let coverage = reports
                .map(|(table, coverage, name)| coverage.report_json(table, name))
                .collect();
            document.insert("coverage".into(), coverage);
        }
        let document = serde_json::Value::Object(document);
        // A `Value`'s alternate Display is its pretty JSON, with no error to lose.
        let _ = writeln!(io.stdout, "{document:#}");
    } else {
        for (table, coverage, name) in reports {
            let _ = write!(io.stdout, "{}", coverage.report(table, name));
        }
        let _ = writeln!(io.stdout, "{passed} passed, {failed} failed");
    }
    if failed == 0 { OK } else { FAILURE }
}

/// Adds `path` (a file) or the test files under it (a directory), sorted.
/// Each real directory is searched once, whatever the symbolic links that
/// lead to it (`self -> .`, `up -> ..`), so a loop ends.
fn collect(
    path: &Path,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    if !std::fs::metadata(path)?.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !seen.insert(std::fs::canonicalize(path)?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, seen, out)?;
        } else if entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(SUFFIX))
        {
            out.push(entry);
        }
    }
    Ok(())
}
