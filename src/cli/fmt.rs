//! `rolecall fmt FILE... [--check]`, `rolecall fmt -`

use std::path::PathBuf;

use super::{CommandError, FAILURE, Io, OK, USAGE};
use crate::fmt::format_source;
use crate::source::SourceFile;

/// Format policy files in the one canonical layout.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Rewrites each FILE in place. With --check, changes nothing: prints a diff for each file that would change and exits 1 if any would. `-` reads standard input and writes the formatted text to standard output."
)]
pub struct Args {
    /// Policy files, or `-` for standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Change nothing; exit 1 and print a diff when a file is not formatted.
    #[arg(long)]
    check: bool,
}

/// Formats each file; see [`Args`].
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let mut code = OK;
    for path in &args.files {
        let from_stdin = path.as_os_str() == "-";
        let text = if from_stdin {
            let mut text = String::new();
            if let Err(e) = io.stdin.read_to_string(&mut text) {
                io.error(CommandError::FormatInput(e));
                return FAILURE;
            }
            text
        } else {
            match crate::syntax::read_limited(path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => {
                        io.error(CommandError::NotUtf8 { path: path.clone() });
                        code = FAILURE;
                        continue;
                    }
                },
                Err(e) => {
                    io.error(CommandError::Read {
                        path: path.clone(),
                        source: e,
                    });
                    code = FAILURE;
                    continue;
                }
            }
        };
        let name = if from_stdin {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        // `SourceFile` keeps a byte-order mark out of the tree; the formatted file has none.
        let src = SourceFile::new(name.clone(), text.as_str());
        let formatted = match format_source(&src) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                io.diagnostics(&diagnostics);
                code = USAGE.max(code);
                continue;
            }
        };
        if from_stdin && !args.check {
            // A failed write is reported by `run`.
            let _ = write!(io.stdout, "{formatted}");
            continue;
        }
        if formatted == text {
            continue;
        }
        if args.check {
            let diff = similar::TextDiff::from_lines(text.as_str(), formatted.as_str());
            let _ = write!(
                io.stdout,
                "{}",
                diff.unified_diff()
                    .context_radius(2)
                    .header(&name, &format!("{name} (formatted)"))
            );
            code = code.max(FAILURE);
        } else if let Err(e) = super::output::replace_file(path, formatted.as_bytes()) {
            io.error(CommandError::Write {
                path: path.clone(),
                source: e,
            });
            code = code.max(FAILURE);
        }
    }
    code
}
