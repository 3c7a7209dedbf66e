//! The `rolecall` command line: one file per subcommand, each an `Args`
//! struct and a `run` returning the exit code, callable from tests.

mod check;
mod diff;
mod error;
mod eval;
mod explain;
mod fmt;
mod graph;
mod lint;
#[cfg(feature = "lsp")]
mod lsp;
mod output;
mod repl;
#[cfg(feature = "serve")]
mod serve;
mod snapshot;
mod table;
mod test;

pub use error::CommandError;
pub use eval::{MAX_LINE_BYTES, answer_requests};

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::DecisionTable;
use crate::diagnostic::{Diagnostic, render};

/// Exit code: success.
pub const OK: i32 = 0;
/// Exit code: the policy or the input is wrong, or a check failed.
pub const FAILURE: i32 = 1;
/// Exit code: the command line is wrong, or a file cannot be parsed.
pub const USAGE: i32 = 2;
/// Exit code: standard output could not be written (a full disk, a closed
/// file): 74, `EX_IOERR` of sysexits.h. A closed pipe (`| head -1`) is not
/// an error: the command stops quietly with the status it had.
pub const OUTPUT_FAILED: i32 = 74;

/// The options of every command that loads a policy.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct PolicyArgs {
    /// Also let `include` read files under DIR (repeatable). By default an
    /// include may only read inside the root policy's directory.
    #[arg(long = "include-root", value_name = "DIR")]
    pub(crate) include_root: Vec<PathBuf>,
}

/// `--set NAME=VALUE`, for the commands that show a table.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PinArgs {
    /// Pin a setting (`who_can_present=everyone`), a fact
    /// (`organizer_permission=true`) or the principal's kind (`kind=guest`,
    /// `kind=none`) before compiling: cells that only depended on it become
    /// plain allow or deny (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub(crate) set: Vec<String>,
}

/// The table with `pins` applied (itself when there are none); `None`
/// after printing the error.
pub(crate) fn pin(table: DecisionTable, pins: &PinArgs, io: &mut Io<'_>) -> Option<DecisionTable> {
    if pins.set.is_empty() {
        return Some(table);
    }
    match crate::resolve::Pins::parse(&table.policy, &pins.set) {
        Ok(p) => Some(table.pinned(&p)),
        Err(e) => {
            io.error(CommandError::Pin { error: e });
            None
        }
    }
}

/// rolecall: role-and-permission policies compiled to decision tables.
#[derive(Debug, Parser)]
#[command(name = "rolecall", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  rolecall check policies/livestorm.policy\n  rolecall table policies/livestorm.policy --scope session\n  echo '{\"principal\":{\"session\":\"viewer\"},\"action\":\"session:send_emojis\"}' | rolecall eval policies/livestorm.policy"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policy files: exit 0 when valid, else print every diagnostic and exit 1.
    Check(check::Args),
    /// Print the compiled decision table.
    Table(table::Args),
    /// Answer JSON-lines requests: one JSON line out per line in.
    Eval(eval::Args),
    /// Explain one decision: roles, override, matching rules, and why one won.
    Explain(explain::Args),
    /// Format policy files in the one canonical layout.
    Fmt(fmt::Args),
    /// Draw the roles per scope: inheritance, overrides and default roles (DOT or Mermaid).
    Graph(graph::Args),
    /// Ask a policy questions interactively, or from a script on standard input.
    Repl(repl::Args),
    /// Write, check or update a policy's decision-table snapshot.
    Snapshot(snapshot::Args),
    /// Show what changed in meaning between two policies (exit 1 when anything did).
    Diff(diff::Args),
    /// Run policy tests (expected decisions and errors); `--coverage` shows what they miss.
    Test(test::Args),
    /// Lint policies: likely mistakes in valid policies (exit 1 on an error-level finding).
    Lint(lint::Args),
    /// Serve decisions over HTTP (OpenID AuthZEN Authorization API 1.0).
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Run the language server (LSP 3.17 over stdio) for editors.
    #[cfg(feature = "lsp")]
    Lsp(lsp::Args),
}

/// Most diagnostics printed at once: each is rendered with its source
/// lines, which costs a scan of the file, so printing every one of
/// hundreds of thousands would take hours (compilers cap them too).
pub const MAX_SHOWN: usize = 100;

/// Where a command writes, and whether it may use color.
pub struct Io<'a> {
    /// Standard input.
    pub stdin: &'a mut dyn BufRead,
    /// Standard output.
    pub stdout: &'a mut dyn Write,
    /// Standard error.
    pub stderr: &'a mut dyn Write,
    /// Color on standard output (a terminal, and NO_COLOR unset).
    pub color_out: bool,
    /// Color on standard error.
    pub color_err: bool,
}

impl Io<'_> {
    /// Prints diagnostics to standard error, at most [`MAX_SHOWN`] of them.
    pub fn diagnostics(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics.iter().take(MAX_SHOWN) {
            let _ = write!(self.stderr, "{}", render(d, self.color_err, 100));
        }
        if let Some(hidden) = diagnostics.len().checked_sub(MAX_SHOWN).filter(|&n| n > 0) {
            let _ = writeln!(
                self.stderr,
                "note: {hidden} more diagnostic{} not shown; fix these first",
                if hidden == 1 { "" } else { "s" }
            );
        }
    }

    /// Prints a one-line error to standard error: `error: …`.
    pub fn error(&mut self, error: impl Into<CommandError>) {
        error::report(self.stderr, &error.into());
    }
}

/// Whether color is wanted on a stream: a terminal, and `NO_COLOR` unset or empty.
pub fn color_wanted(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Set by [`main`]: the `Io` streams are the process's own, so a command may
/// use the terminal directly (the REPL's line editor).
static PROCESS_STREAMS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether [`run`] was called by [`main`] with the process's own streams.
pub(crate) fn process_streams() -> bool {
    PROCESS_STREAMS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs the command line with the process's streams; returns the exit code.
pub fn main() -> i32 {
    PROCESS_STREAMS.store(true, std::sync::atomic::Ordering::Relaxed);
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color_out = color_wanted(stdout.is_terminal());
    let color_err = color_wanted(stderr.is_terminal());
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Not locked for the whole run: `serve` logs to standard error from other threads.
    let mut err = stderr;
    let code = run(
        std::env::args_os(),
        &mut Io {
            stdin: &mut stdin,
            stdout: &mut out,
            stderr: &mut err,
            color_out,
            color_err,
        },
    );
    // `run` flushed `out` already and reported a failure; this catches one
    // it could not see.
    match out.flush() {
        Err(e) if code != OUTPUT_FAILED && e.kind() != std::io::ErrorKind::BrokenPipe => {
            error::report(&mut err, &CommandError::Stdout(e));
            OUTPUT_FAILED
        }
        _ => code,
    }
}

/// Runs the command line `args` (program name first) against `io`. Standard
/// output is flushed at the end; if a write to it failed, the error is
/// printed once and the exit code is [`OUTPUT_FAILED`] (a closed pipe
/// excepted: quiet, the command's own code).
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>, io: &mut Io<'_>) -> i32 {
    let Io {
        stdin,
        stdout,
        stderr,
        color_out,
        color_err,
    } = io;
    let mut checked = output::Checked::new(&mut **stdout);
    let code = run_checked(
        args,
        &mut Io {
            stdin: &mut **stdin,
            stdout: &mut checked,
            stderr: &mut **stderr,
            color_out: *color_out,
            color_err: *color_err,
        },
    );
    match checked.finish() {
        None => code,
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Some(e) => {
            error::report(&mut **stderr, &CommandError::Stdout(e));
            OUTPUT_FAILED
        }
    }
}

fn run_checked(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    io: &mut Io<'_>,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let text = if io.color_err {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = write!(io.stdout, "{}", e.render());
                    OK
                }
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = write!(io.stderr, "{text}");
                    USAGE
                }
                _ => {
                    let _ = write!(io.stderr, "{text}");
                    USAGE
                }
            };
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args, io),
        Command::Table(args) => table::run(&args, io),
        Command::Eval(args) => eval::run(&args, io),
        Command::Explain(args) => explain::run(&args, io),
        Command::Fmt(args) => fmt::run(&args, io),
        Command::Graph(args) => graph::run(&args, io),
        Command::Repl(args) => repl::run(&args, io),
        Command::Snapshot(args) => snapshot::run(&args, io),
        Command::Diff(args) => diff::run(&args, io),
        Command::Test(args) => test::run(&args, io),
        Command::Lint(args) => lint::run(&args, io),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(&args, io),
        #[cfg(feature = "lsp")]
        Command::Lsp(args) => lsp::run(&args, io),
    }
}

/// Compiles a policy file, printing its diagnostics on failure.
pub(crate) fn load(path: &Path, policy: &PolicyArgs, io: &mut Io<'_>) -> Option<DecisionTable> {
    match crate::Sources::disk()
        .include_roots(&policy.include_root)
        .compile_file(path)
    {
        Ok(table) => Some(table),
        Err(diagnostics) => {
            io.diagnostics(&diagnostics);
            io.error(CommandError::invalid(path, &diagnostics));
            None
        }
    }
}
