//! `rolecall snapshot FILE [-o OUT | --check OUT | --update OUT]`

use std::path::{Path, PathBuf};

use super::{CommandError, FAILURE, Io, OK, PinArgs, PolicyArgs, load, pin};
use crate::snapshot::compare_snapshots;

/// Write, check or update the snapshot of a compiled policy.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The snapshot is one `KEY = VALUE` line per cell, role, action, default, assignable list, limit, advice and override, sorted by name, without file names or line numbers: reformatting or reordering the policy does not change it. See docs/testing.md.\n\nExamples:\n  rolecall snapshot policies/livestorm.policy -o policies/livestorm.snapshot\n  rolecall snapshot policies/livestorm.policy --check policies/livestorm.snapshot\n  rolecall snapshot policies/livestorm.policy --update policies/livestorm.snapshot"
)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Write the snapshot to OUT instead of standard output.
    #[arg(short, long, value_name = "OUT", conflicts_with_all = ["check", "update"])]
    output: Option<PathBuf>,
    /// Compare with the snapshot stored in OUT: exit 0 when the policy still
    /// matches it; otherwise print every line that changed and exit 1.
    #[arg(long, value_name = "OUT", conflicts_with = "update")]
    check: Option<PathBuf>,
    /// Rewrite the snapshot stored in OUT (after review), printing what changed.
    #[arg(long, value_name = "OUT")]
    update: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    pins: PinArgs,
}

/// Writes, checks or updates; exit 1 when the check fails or a file cannot be used.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let Some(table) = load(&args.file, &args.policy, io) else {
        return FAILURE;
    };
    let Some(table) = pin(table, &args.pins, io) else {
        return FAILURE;
    };
    let snapshot = table.to_snapshot();
    if let Some(stored) = &args.check {
        return check(args, stored, &snapshot, io);
    }
    if let Some(stored) = &args.update {
        return update(stored, &snapshot, io);
    }
    match &args.output {
        Some(out) => write(out, &snapshot, io),
        None => {
            let _ = write!(io.stdout, "{snapshot}");
            OK
        }
    }
}

fn write(path: &Path, text: &str, io: &mut Io<'_>) -> i32 {
    match super::output::replace_file(path, text.as_bytes()) {
        Ok(()) => OK,
        Err(e) => {
            io.error(CommandError::Write {
                path: path.to_path_buf(),
                source: e,
            });
            FAILURE
        }
    }
}

fn check(args: &Args, stored: &Path, snapshot: &str, io: &mut Io<'_>) -> i32 {
    let old = match read_text(stored) {
        Ok(text) => text,
        Err(e) => {
            io.error(CommandError::NoSnapshot {
                stored: stored.to_path_buf(),
                policy: args.file.clone(),
                source: e,
            });
            return FAILURE;
        }
    };
    let changes = compare_snapshots(&old, snapshot);
    if changes.is_empty() {
        let _ = writeln!(
            io.stdout,
            "{} matches {}",
            args.file.display(),
            stored.display()
        );
        return OK;
    }
    let _ = writeln!(
        io.stdout,
        "{} no longer matches {} ({} line{} changed):",
        args.file.display(),
        stored.display(),
        changes.len(),
        if changes.len() == 1 { "" } else { "s" }
    );
    for change in &changes {
        let _ = writeln!(io.stdout, "{change}");
    }
    let _ = writeln!(
        io.stdout,
        "after review, accept with: rolecall snapshot {} --update {}",
        args.file.display(),
        stored.display()
    );
    FAILURE
}

fn update(stored: &Path, snapshot: &str, io: &mut Io<'_>) -> i32 {
    let old = read_text(stored).ok();
    if old.as_deref() == Some(snapshot) {
        let _ = writeln!(io.stdout, "{} is up to date", stored.display());
        return OK;
    }
    let changes = compare_snapshots(old.as_deref().unwrap_or(""), snapshot);
    if write(stored, snapshot, io) != OK {
        return FAILURE;
    }
    if old.is_some() {
        for change in &changes {
            let _ = writeln!(io.stdout, "{change}");
        }
        let _ = writeln!(
            io.stdout,
            "updated {} ({} line{} changed)",
            stored.display(),
            changes.len(),
            if changes.len() == 1 { "" } else { "s" }
        );
    } else {
        let _ = writeln!(io.stdout, "wrote {}", stored.display());
    }
    OK
}

/// A stored snapshot: a regular file of at most 64 MiB, as UTF-8.
fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = crate::syntax::read_limited(path)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8"))
}
