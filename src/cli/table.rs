//! `rolecall table FILE [--scope S] [--format …]`

use std::path::PathBuf;

use super::{CommandError, FAILURE, Io, OK, PinArgs, PolicyArgs, USAGE, load, pin};
use crate::render::{Format, render};

/// Print the compiled decision table.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Only this scope.
    #[arg(long, value_name = "SCOPE")]
    scope: Option<String>,
    /// Output format. `csv` is a stable contract: header
    /// `scope,action,role,decision,condition,target`, one row per cell. `html` is one
    /// self-contained page (no external requests) to open in a browser.
    #[arg(long, value_enum, default_value_t = TableFormat::Text)]
    format: TableFormat,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    pins: PinArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TableFormat {
    Text,
    Markdown,
    Csv,
    Json,
    Html,
}

/// Prints the table.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let Some(table) = load(&args.file, &args.policy, io) else {
        return FAILURE;
    };
    let Some(table) = pin(table, &args.pins, io) else {
        return USAGE;
    };
    let scope = match &args.scope {
        None => None,
        Some(name) => match table.scope_id(name) {
            Some(s) => Some(s),
            None => {
                io.error(CommandError::UnknownScope {
                    name: name.clone(),
                    file: args.file.clone(),
                    known: table.policy.scopes.keys().cloned().collect(),
                });
                return USAGE;
            }
        },
    };
    let format = match args.format {
        TableFormat::Text => Format::Text,
        TableFormat::Markdown => Format::Markdown,
        TableFormat::Csv => Format::Csv,
        TableFormat::Json => Format::Json,
        TableFormat::Html => Format::Html,
    };
    let _ = write!(io.stdout, "{}", render(&table, format, scope, io.color_out));
    OK
}
