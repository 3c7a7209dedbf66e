//! `rolecall explain FILE 'REQUEST-JSON'`

use std::path::PathBuf;

use super::{FAILURE, Io, OK, PolicyArgs, load};
use crate::Request;
use crate::eval::explain;

/// Explain one decision.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The request, as one JSON object (the same form `eval` reads).
    #[arg(value_name = "REQUEST-JSON")]
    request: String,
    #[command(flatten)]
    policy: PolicyArgs,
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
            let _ = write!(io.stdout, "{}", explain(&table, &request, &evaluation));
            OK
        }
        Err(e) => {
            io.error(e);
            FAILURE
        }
    }
}
