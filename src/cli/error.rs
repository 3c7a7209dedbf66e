//! The one-line errors commands print (`error: …`), as one typed enum: a
//! command reports through [`Io::error`](super::Io::error), which takes
//! nothing else, so every such line is a variant here and the tests can
//! check that each variant is printed by some command.

use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::eval::EvalError;

/// An error a command prints on one line, after the diagnostics if any.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A policy (or a file `serve` reads with it) has errors; they were printed above.
    #[error("{} is invalid ({errors} error{})", path.display(), plural(*errors))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// How many of its diagnostics are errors.
        errors: usize,
    },
    /// `lint` on a policy that does not compile.
    #[error("{} cannot be linted: it is invalid ({errors} error{})", path.display(), plural(*errors))]
    NotLintable {
        /// The file.
        path: PathBuf,
        /// How many of its diagnostics are errors.
        errors: usize,
    },
    /// A file named on the command line cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `fmt` on a file that is not UTF-8.
    #[error("{} is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// A file cannot be written (`fmt`, `snapshot`).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A `--set` that cannot be applied.
    #[error("--set: {error}{}", help_suffix(error))]
    Pin {
        /// What is wrong with it.
        error: crate::resolve::PinError,
    },
    /// Standard output cannot be written.
    #[error("cannot write standard output: {0}")]
    Stdout(io::Error),
    /// `fmt -` cannot read standard input.
    #[error("reading standard input: {0}")]
    FormatInput(io::Error),
    /// `eval` cannot read its requests (after answering the lines it read).
    #[error("reading requests: {0}")]
    Requests(io::Error),
    /// `repl` cannot read its script from standard input.
    #[error("cannot read standard input: {0}")]
    ReplInput(io::Error),
    /// `explain` on a request that cannot be answered.
    #[error(transparent)]
    Request(#[from] EvalError),
    /// `table --scope` names no scope of the policy.
    #[error("unknown scope `{name}`; {} declares: {}", file.display(), known.join(", "))]
    UnknownScope {
        /// As given.
        name: String,
        /// The policy file.
        file: PathBuf,
        /// The policy's scopes.
        known: Vec<String>,
    },
    /// `lint --explain` names no rule.
    #[error("unknown rule `{id}`: {help}")]
    UnknownRule {
        /// As given.
        id: String,
        /// The suggestion.
        help: String,
    },
    /// `test` finds no test file in its paths.
    #[error("no test files (`*.policy.test`) in {}", paths.join(", "))]
    NoTestFiles {
        /// The paths given.
        paths: Vec<String>,
    },
    /// `snapshot --check` without the stored snapshot.
    #[error(
        "cannot read snapshot {}: {source}; create it with `rolecall snapshot {} --update {}`",
        stored.display(),
        policy.display(),
        stored.display()
    )]
    NoSnapshot {
        /// The stored snapshot's path.
        stored: PathBuf,
        /// The policy file.
        policy: PathBuf,
        /// Why it cannot be read.
        source: io::Error,
    },
    /// The REPL's line editor cannot open the terminal.
    #[error("cannot open the terminal: {0}")]
    TerminalOpen(rustyline::error::ReadlineError),
    /// The REPL's line editor cannot read the terminal.
    #[error("cannot read the terminal: {0}")]
    TerminalRead(rustyline::error::ReadlineError),
    /// The REPL's history cannot be saved.
    #[error("cannot save the history to {}: {source}", path.display())]
    History {
        /// The history file.
        path: PathBuf,
        /// Why.
        source: rustyline::error::ReadlineError,
    },
    /// `serve --public-url` that is not a PDP identifier.
    #[cfg(feature = "serve")]
    #[error("--public-url `{url}`: {source}")]
    PublicUrl {
        /// As given.
        url: String,
        /// What is wrong with it.
        source: crate::serve::PublicUrlError,
    },
    /// The server cannot start (its files were loaded).
    #[cfg(feature = "serve")]
    #[error(transparent)]
    Start(crate::serve::StartError),
}

impl CommandError {
    /// [`CommandError::Invalid`] for `path`, counting the errors among `diagnostics`.
    pub fn invalid(path: &Path, diagnostics: &[Diagnostic]) -> Self {
        CommandError::Invalid {
            path: path.to_path_buf(),
            errors: error_count(diagnostics),
        }
    }
}

/// How many of `diagnostics` are errors.
pub(crate) fn error_count(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Prints `error` as the one line `error: …`.
pub(crate) fn report(stderr: &mut dyn io::Write, error: &CommandError) {
    let _ = writeln!(stderr, "error: {error}");
}

/// "; HELP" after a `--set` error, when it has one.
fn help_suffix(e: &crate::resolve::PinError) -> String {
    let help = e.help();
    if help.is_empty() {
        String::new()
    } else {
        format!("; {help}")
    }
}
