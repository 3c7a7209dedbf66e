//! `--decision-log`: one JSON line per decision, written by a thread of its
//! own from a bounded queue, so answering never waits for the disk; a line
//! that finds the queue full is dropped and counted.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::json::write::{optional, string};

/// Lines waiting for the writer at most (about a second of a busy server).
pub const QUEUE: usize = 16 * 1024;

/// The sending end; dropping it lets the writer write what is queued, and
/// waits for it.
#[derive(Debug)]
pub struct DecisionLog {
    sender: Option<SyncSender<Vec<u8>>>,
    writer: Option<std::thread::JoinHandle<()>>,
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
        let writer = std::thread::Builder::new()
            .name("rolecall-decision-log".to_string())
            .spawn(move || write_lines(out, &receiver))?;
        Ok(DecisionLog {
            sender: Some(sender),
            writer: Some(writer),
        })
    }

    /// Queues a line (without its line end); `false` when the queue was
    /// full and the line dropped.
    pub fn send(&self, line: Vec<u8>) -> bool {
        let Some(sender) = &self.sender else {
            return false;
        };
        match sender.try_send(line) {
            Ok(()) => true,
            // A writer that died (a full disk) drops lines the same way.
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

impl Drop for DecisionLog {
    fn drop(&mut self) {
        // Disconnects the queue; the writer drains it and ends.
        self.sender = None;
        if let Some(writer) = self.writer.take() {
            // Cut its pause short.
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

/// How long the writer sleeps after writing what it found, before it looks
/// again: while it sleeps, queuing a line is a push, with no wake-up.
pub const PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// Writes lines in batches. Waiting in `recv` would make every `try_send`
/// wake the writer (a futex wake and two context switches per decision:
/// a third of the throughput, measured in docs/performance.md), so once
/// a line came the writer drains the queue, flushes, and pauses for
/// [`PAUSE`] while lines accumulate; it waits in `recv` again only when
/// it finds the queue empty. A line is on disk at most about `PAUSE` after
/// it was queued; the queue holds far more than `PAUSE` of decisions.
fn write_lines(out: Box<dyn Write + Send>, receiver: &Receiver<Vec<u8>>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    while let Ok(line) = receiver.recv() {
        let mut next = Some(line);
        while let Some(line) = next.take() {
            if write_line(&mut out, &line).is_err() {
                return;
            }
            loop {
                match receiver.try_recv() {
                    Ok(line) => {
                        if write_line(&mut out, &line).is_err() {
                            return;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        let _ = out.flush();
                        return;
                    }
                }
            }
            if out.flush().is_err() {
                return;
            }
            std::thread::park_timeout(PAUSE);
            match receiver.try_recv() {
                Ok(line) => next = Some(line),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => return,
            }
        }
    }
    let _ = out.flush();
}

fn write_line(out: &mut impl Write, line: &[u8]) -> std::io::Result<()> {
    out.write_all(line)?;
    out.write_all(b"\n")
}

/// One decision as the log writes it, fields in this order (docs/authzen.md,
/// "The decision log").
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The request's `X-Request-ID`, empty without one.
    pub request_id: &'a str,
    /// `subject.type` and `subject.id`.
    pub subject: (&'a str, &'a str),
    /// `action.name`.
    pub action: &'a str,
    /// `resource.type` and `resource.id`.
    pub resource: (&'a str, &'a str),
    /// Permit or deny.
    pub decision: bool,
    /// The deciding rule, `file:line`; `None` for a default decision.
    pub rule: Option<&'a str>,
    /// The terse error of a decision that could not be made.
    pub error: Option<&'a str>,
    /// The digest of the policy in service.
    pub policy_digest: &'a str,
}

impl Line<'_> {
    /// The line's JSON, stamped `now`, written straight into one buffer
    /// (no `serde_json::Value` tree), every text escaped by
    /// [`crate::json::write`].
    pub fn encode(self, now: SystemTime) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"time\":\"");
        write_rfc3339(&mut out, now);
        out.extend_from_slice(b"\",\"request_id\":");
        string(&mut out, self.request_id);
        out.extend_from_slice(b",\"subject\":{\"type\":");
        string(&mut out, self.subject.0);
        out.extend_from_slice(b",\"id\":");
        string(&mut out, self.subject.1);
        out.extend_from_slice(b"},\"action\":");
        string(&mut out, self.action);
        out.extend_from_slice(b",\"resource\":{\"type\":");
        string(&mut out, self.resource.0);
        out.extend_from_slice(b",\"id\":");
        string(&mut out, self.resource.1);
        out.extend_from_slice(match self.decision {
            true => b"},\"decision\":true,\"rule\":",
            false => b"},\"decision\":false,\"rule\":",
        });
        optional(&mut out, self.rule);
        out.extend_from_slice(b",\"error\":");
        optional(&mut out, self.error);
        out.extend_from_slice(b",\"policy_digest\":");
        string(&mut out, self.policy_digest);
        out.push(b'}');
        out
    }
}

/// `now` in RFC 3339 UTC with milliseconds: `2026-12-03T19:52:02.123Z`.
fn write_rfc3339(out: &mut Vec<u8>, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(i64::try_from(days).unwrap_or(0));
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    );
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
    use super::{Line, civil};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_line_is_one_json_object_with_every_text_escaped() {
        let line = Line {
            request_id: "r\"1\n",
            subject: ("user", "a\\b\u{1}é"),
            action: "read",
            resource: ("todo", "</script>"),
            decision: false,
            rule: None,
            error: Some("unknown action `x`"),
            policy_digest: "fnv1a64:00",
        };
        let time = UNIX_EPOCH + Duration::from_millis(1_796_500_000_123);
        let bytes = line.encode(time);
        assert!(!bytes.contains(&b'\n'));
        let value: Result<serde_json::Value, _> = serde_json::from_slice(&bytes);
        assert_eq!(
            value.ok(),
            Some(
                serde_json::json!({"time": "2026-12-05T19:46:40.123Z", "request_id": "r\"1\n",
                "subject": {"type": "user", "id": "a\\b\u{1}é"}, "action": "read",
                "resource": {"type": "todo", "id": "</script>"}, "decision": false,
                "rule": null, "error": "unknown action `x`", "policy_digest": "fnv1a64:00"})
            )
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_819), (2027, 1, 1));
    }
}
