//! `rolecall graph FILE [--format dot|mermaid]`

use std::path::PathBuf;

use super::{FAILURE, Io, OK, PolicyArgs, load};
use crate::render::{GraphFormat, render_graph};

/// Draw the roles: inheritance, overrides and default roles.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  rolecall graph policies/livestorm.policy | dot -Tsvg > roles.svg\n  rolecall graph policies/livestorm.policy --format mermaid"
)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Output format: Graphviz DOT, or a Mermaid flowchart (for Markdown).
    #[arg(long, value_enum, default_value_t = GraphArg::Dot)]
    format: GraphArg,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum GraphArg {
    Dot,
    Mermaid,
}

/// Prints the role graph.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let Some(table) = load(&args.file, &args.policy, io) else {
        return FAILURE;
    };
    let format = match args.format {
        GraphArg::Dot => GraphFormat::Dot,
        GraphArg::Mermaid => GraphFormat::Mermaid,
    };
    let _ = write!(io.stdout, "{}", render_graph(&table, format));
    OK
}
