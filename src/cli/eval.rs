//! `rolecall eval FILE [--requests F]`: JSON lines in, JSON lines out.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use super::{CommandError, FAILURE, Io, OK, PolicyArgs, load};
use crate::DecisionTable;
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
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Answers every line; exit 1 if any line was an error.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let Some(table) = load(&args.file, &args.policy, io) else {
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
                io.error(CommandError::Read {
                    path: path.clone(),
                    source: e,
                });
                return FAILURE;
            }
        },
    };
    answer_requests(&table, input, io.stdout, io.stderr)
}

/// Answers each line of `input` with one JSON line on `stdout`, in order: a
/// decision, or `{"error", "line"}`. Returns the exit code: 1 if any line
/// was an error or `input` failed (said on `stderr`), else 0. A write to
/// `stdout` that fails stops the answers: the status is then 1, or for a
/// closed pipe that of the lines answered (the command line reports a
/// failed standard output itself).
pub fn answer_requests(
    table: &DecisionTable,
    input: &mut dyn BufRead,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let mut failed = false;
    let mut evaluator = LineEvaluator::new(table);
    let mut line = Vec::new();
    let mut out = Vec::new();
    let mut number = 0usize;
    loop {
        // A line that lies whole in the reader's buffer is answered from
        // there: one search for its end, no copy. Any other (cut by the end
        // of the buffer, or at the end of the input without a newline) is
        // read into `line` below, which reads on from the same place.
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            // What `read_until` below does with the same errors.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                super::error::report(stderr, &CommandError::Requests(e));
                failed = true;
                break;
            }
        };
        if let Some(end) = memchr::memchr(b'\n', buf).filter(|&end| end <= MAX_LINE_BYTES) {
            number += 1;
            out.clear();
            let reply = answer_line(
                &mut evaluator,
                buf.get(..=end).unwrap_or_default(),
                &mut out,
            );
            input.consume(end + 1);
            failed |= reply.is_err();
            match write_reply(reply, number, &mut out, stdout) {
                Written::Yes => {}
                Written::BrokenPipe => break,
                Written::Failed => return FAILURE,
            }
            continue;
        }
        line.clear();
        let mut limited = (&mut *input).take(MAX_LINE_BYTES as u64 + 1);
        let read = limited.read_until(b'\n', &mut line);
        let too_long = line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n');
        let read = if too_long {
            skip_line(input).and(read)
        } else {
            read
        };
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                super::error::report(stderr, &CommandError::Requests(e));
                failed = true;
                break;
            }
        }
        number += 1;
        out.clear();
        let reply = if too_long {
            Err(format!("line longer than {} MiB", MAX_LINE_BYTES >> 20))
        } else {
            answer_line(&mut evaluator, &line, &mut out)
        };
        failed |= reply.is_err();
        match write_reply(reply, number, &mut out, stdout) {
            Written::Yes => {}
            Written::BrokenPipe => break,
            Written::Failed => return FAILURE,
        }
    }
    if failed { FAILURE } else { OK }
}

/// The answer to one line (its newline included) into `out`, or what is wrong with it.
fn answer_line(
    evaluator: &mut LineEvaluator<'_>,
    line: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match std::str::from_utf8(line) {
        Err(_) => Err("invalid UTF-8".to_string()),
        Ok(text) => evaluator.answer(text.trim_end_matches(['\n', '\r']), out),
    }
}

/// What became of one answer line.
enum Written {
    /// On `stdout`.
    Yes,
    BrokenPipe,
    Failed,
}

/// Writes line `number`'s answer (`out`, or on error `{"error", "line"}` in
/// its place) and its newline to `stdout`.
fn write_reply(
    reply: Result<(), String>,
    number: usize,
    out: &mut Vec<u8>,
    stdout: &mut dyn Write,
) -> Written {
    if let Err(message) = reply {
        out.clear();
        let error = serde_json::json!({"error": message, "line": number});
        let _ = serde_json::to_writer(&mut *out, &error);
    }
    out.push(b'\n');
    match stdout.write_all(out) {
        Ok(()) => Written::Yes,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Written::BrokenPipe,
        Err(_) => Written::Failed,
    }
}

/// Longest request line read, in bytes (16 MiB): a longer line is answered
/// with an error and skipped without being kept, so an endless line cannot
/// exhaust memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Reads past the end of the current line, keeping nothing.
fn skip_line(input: &mut dyn BufRead) -> std::io::Result<usize> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(0);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(i + 1);
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}
