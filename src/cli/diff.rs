//! `rolecall diff OLD NEW [--format text|markdown|json]`

use std::path::PathBuf;

use super::{FAILURE, Io, OK, PinArgs, PolicyArgs, USAGE, load, pin};
use crate::diff::{DiffFormat, diff};

/// Show what changed in meaning between two policies.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Compares the compiled tables by name: every (scope, action, role) whose decision changed, with the rule responsible on each side; facts, kinds, scopes, roles and actions added or removed; inheritance edges; defaults, assignable roles, limits, advice and overrides. A reformatted or reordered policy shows no difference. Conditions are compared exactly; two too large to compare are shown as \"could not decide\", not as a change.\n\nExit status: 0 no differences (and nothing undecided), 1 differences or undecided comparisons, 2 a usage error or an invalid policy (like diff)."
)]
pub struct Args {
    /// The policy before.
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The policy after.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Pinned on both sides.
    #[command(flatten)]
    pins: PinArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

/// Prints the differences; exit 0 when none, 1 when any, 2 on trouble.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let old = load(&args.old, &args.policy, io);
    let new = load(&args.new, &args.policy, io);
    let (Some(old), Some(new)) = (old, new) else {
        return USAGE;
    };
    let (Some(old), Some(new)) = (pin(old, &args.pins, io), pin(new, &args.pins, io)) else {
        return USAGE;
    };
    let format = match args.format {
        Format::Text => DiffFormat::Text,
        Format::Markdown => DiffFormat::Markdown,
        Format::Json => DiffFormat::Json,
    };
    let d = diff(&old, &new);
    let _ = write!(
        io.stdout,
        "{}",
        d.render(
            format,
            &args.old.display().to_string(),
            &args.new.display().to_string()
        )
    );
    if d.is_empty() { OK } else { FAILURE }
}
