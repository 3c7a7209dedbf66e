//! `rolecall test [PATH...] [--coverage] [--verbose]`

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
    /// Print every test, not only the failures.
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    policy: PolicyArgs,
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
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let test_file = match load(file) {
            Ok(t) => t,
            Err(diagnostics) => {
                io.diagnostics(&diagnostics);
                let _ = writeln!(
                    io.stdout,
                    "FAIL {}: not a valid test file ({} error{})",
                    file.display(),
                    diagnostics.len(),
                    if diagnostics.len() == 1 { "" } else { "s" }
                );
                failed += 1;
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
            let _ = writeln!(
                io.stdout,
                "FAIL {}: policy {} cannot be compiled",
                test_file.policy_loc.file_line(),
                run.name
            );
            failed += 1;
            continue;
        };
        for case in &test_file.cases {
            let result = run_case(table, case, run.coverage.as_mut());
            let at = case.loc.file_line();
            if result.passed {
                passed += 1;
                if args.verbose {
                    let _ = writeln!(io.stdout, "ok   {at}: {case}");
                }
            } else {
                failed += 1;
                let _ = writeln!(
                    io.stdout,
                    "FAIL {at}: {case}\n{}",
                    result.explain_failure(case)
                );
            }
        }
    }

    if args.coverage {
        for run in policies.values() {
            if let (Some(table), Some(coverage)) = (&run.table, &run.coverage) {
                let _ = write!(io.stdout, "{}", coverage.report(table, &run.name));
            }
        }
    }
    let _ = writeln!(io.stdout, "{passed} passed, {failed} failed");
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
