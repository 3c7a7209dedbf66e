//! `rolecall lsp`: the language server, on the process's standard input
//! and output (an editor starts it; see docs/editors.md).

use super::{FAILURE, Io, OK};

/// Run the language server over stdio.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Accepted for clients that pass it (VS Code's `--stdio`); stdio is the only transport.
    #[arg(long)]
    stdio: bool,
}

/// Serves until the client says `exit`; 1 when the connection broke first.
pub fn run(_args: &Args, io: &mut Io<'_>) -> i32 {
    match crate::lsp::run_stdio() {
        Ok(()) => OK,
        Err(e) => {
            // Standard output is the protocol's: the error goes to standard error.
            let _ = writeln!(io.stderr, "error: {e}");
            FAILURE
        }
    }
}
