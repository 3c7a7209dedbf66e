//! `rolecall explain FILE 'REQUEST-JSON' [--format text|json]`

use std::path::PathBuf;

use super::{FAILURE, Io, OK, PolicyArgs, load};
use crate::Request;
use crate::eval::{render_explanation, render_explanation_json};

/// Explain one decision.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The request, as one JSON object (the same form `eval` reads).
    #[arg(value_name = "REQUEST-JSON")]
    request: String,
    /// Output format: `text` for people, `json` for tools (one document:
    /// the answer `eval` gives, the roles held, and each effective role's
    /// candidate rules with the part of the combination rule that decided).
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

/// Prints the chain of reasoning behind one decision.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let Some(table) = load(&args.file, &args.policy, io) else {
        return FAILURE;
    };
    let resolved = Request::from_json(&args.request).and_then(|r| table.resolve_request(&r));
    match resolved {
        Ok(request) => {
            let evaluation = table.evaluate_resolved(&request);
            let explanation = table.explanation(&request, &evaluation);
            match args.format {
                ExplainFormat::Text => {
                    let _ = write!(io.stdout, "{}", render_explanation(&table, &explanation));
                    OK
                }
                ExplainFormat::Json => {
                    let answer = table.answer(&request, &evaluation);
                    match render_explanation_json(&table, &explanation, &answer) {
                        Ok(json) => {
                            let _ = writeln!(io.stdout, "{json}");
                            OK
                        }
                        Err(e) => {
                            io.error(e);
                            FAILURE
                        }
                    }
                }
            }
        }
        Err(e) => {
            io.error(e);
            FAILURE
        }
    }
}
