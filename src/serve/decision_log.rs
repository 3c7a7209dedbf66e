//! `--decision-log`: one JSON line per decision, written by a thread of its
//! own from a bounded queue, so answering never waits for the disk; a line
//! that finds the queue full is dropped and counted.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Lines waiting for the writer at most (about a second of a busy server).
pub const QUEUE: usize = 16 * 1024;

/// The sending end; the writer thread stops when it is dropped.
#[derive(Debug)]
pub struct DecisionLog {
    sender: SyncSender<String>,
}

impl DecisionLog {
    /// Opens `path` for appending (`-`: standard output) and starts the writer.
    pub fn open(path: &Path) -> std::io::Result<DecisionLog> {
        let out: Box<dyn Write + Send> = if path == Path::new("-") {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("rolecall-decision-log".to_string())
            .spawn(move || write_lines(out, &receiver))?;
        Ok(DecisionLog { sender })
    }

    /// Queues a line; `false` when the queue was full and the line dropped.
    pub fn send(&self, line: String) -> bool {
        match self.sender.try_send(line) {
            Ok(()) => true,
            // A writer that died (a full disk) drops lines the same way.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// Writes lines as they come, flushing whenever the queue is empty.
fn write_lines(out: Box<dyn Write + Send>, receiver: &Receiver<String>) {
    let mut out = std::io::BufWriter::new(out);
    while let Ok(line) = receiver.recv() {
        if writeln!(out, "{line}").is_err() {
            return;
        }
        while let Ok(line) = receiver.try_recv() {
            if writeln!(out, "{line}").is_err() {
                return;
            }
        }
        if out.flush().is_err() {
            return;
        }
    }
    let _ = out.flush();
}

/// Now, in RFC 3339 UTC with milliseconds: `2026-12-03T19:52:02.123Z`.
pub fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::civil;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_819), (2027, 1, 1));
    }
}
