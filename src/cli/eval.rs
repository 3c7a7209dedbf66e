//! `rolecall eval FILE [--requests F]`: JSON lines in, JSON lines out.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use super::{FAILURE, Io, OK, load};
use crate::eval::LineEvaluator;

/// Answer JSON-lines requests.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Request: {\"principal\": {\"<scope>\": \"<role>\" | [\"<role>\", ...]}, \"kind\": \"<kind>\", \"action\": \"<scope>:<action>\", \"context\": {\"<fact>\": true|false}}\n(kind and context are optional). One answer line per request line, in order; a bad line is answered {\"error\": \"...\", \"line\": N}; exit 1 if any line was an error."
)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Read requests from this file instead of standard input.
    #[arg(long, value_name = "F")]
    requests: Option<PathBuf>,
}

/// Answers every line; exit 1 if any line was an error.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let Some(table) = load(&args.file, io) else {
        return FAILURE;
    };
    let mut file_reader;
    let input: &mut dyn BufRead = match &args.requests {
        None => &mut *io.stdin,
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => {
                file_reader = BufReader::with_capacity(1 << 16, f);
                &mut file_reader
            }
            Err(e) => {
                io.error(format!("cannot read {}: {e}", path.display()));
                return FAILURE;
            }
        },
    };
    let mut failed = false;
    let mut evaluator = LineEvaluator::new(&table);
    let mut line = Vec::new();
    let mut out = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(io.stderr, "error: reading requests: {e}");
                failed = true;
                break;
            }
        }
        number += 1;
        out.clear();
        let reply = match std::str::from_utf8(&line) {
            Err(_) => Err("invalid UTF-8".to_string()),
            Ok(text) => evaluator.answer(text.trim_end_matches(['\n', '\r']), &mut out),
        };
        if let Err(message) = reply {
            failed = true;
            out.clear();
            let error = serde_json::json!({"error": message, "line": number});
            let _ = serde_json::to_writer(&mut out, &error);
        }
        out.push(b'\n');
        if io.stdout.write_all(&out).is_err() {
            return FAILURE;
        }
    }
    if failed { FAILURE } else { OK }
}
