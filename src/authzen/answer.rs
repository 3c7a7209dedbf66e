//! The AuthZEN Decision object written straight into the answer's bytes: no
//! `serde_json::Value` tree per item, so an item that could not be decided
//! costs its message's bytes beside a good one, not three maps.

use crate::json::write::{boolean, string, strings};

/// One Decision object being written: `{"decision": …` then a `context`
/// opened at its first key, if any key comes.
pub struct DecisionWriter<'o> {
    out: &'o mut Vec<u8>,
    context_open: bool,
}

impl<'o> DecisionWriter<'o> {
    /// Starts `{"decision": decision`.
    pub fn new(out: &'o mut Vec<u8>, decision: bool) -> Self {
        out.extend_from_slice(b"{\"decision\":");
        boolean(out, decision);
        DecisionWriter {
            out,
            context_open: false,
        }
    }

    /// `"key":` inside `context`, opening it on the first key.
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        self.out.extend_from_slice(match self.context_open {
            false => b",\"context\":{",
            true => b",",
        });
        self.context_open = true;
        string(self.out, key);
        self.out.push(b':');
        self.out
    }

    /// `context.error`: `{"status": 400, "message": …}`.
    pub fn error(&mut self, message: &str) {
        let out = self.key("error");
        out.extend_from_slice(b"{\"status\":400,\"message\":");
        string(out, message);
        out.push(b'}');
    }

    /// `context.reason_admin`: `{"en": …}`.
    pub fn reason_admin(&mut self, reason: &str) {
        let out = self.key("reason_admin");
        out.extend_from_slice(b"{\"en\":");
        string(out, reason);
        out.push(b'}');
    }

    /// A string at `context.key`.
    pub fn text(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        string(out, value);
    }

    /// A list of strings at `context.key`.
    pub fn texts(&mut self, key: &str, values: &[String]) {
        let out = self.key(key);
        strings(out, values);
    }

    /// The spec's mark on the denial that ended a `deny_on_first_deny` batch.
    pub fn ended_batch(&mut self) {
        self.text("code", "200");
        self.text("reason", "deny_on_first_deny");
    }

    /// Closes the context (when opened) and the object.
    pub fn finish(self) {
        if self.context_open {
            self.out.push(b'}');
        }
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(f: impl FnOnce(&mut DecisionWriter<'_>)) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = DecisionWriter::new(&mut out, false);
        f(&mut w);
        w.finish();
        out
    }

    #[test]
    fn a_decision_without_context_has_no_context_key() {
        let out = written(|_| {});
        assert_eq!(
            serde_json::from_slice(&out).ok(),
            Some(json!({"decision": false}))
        );
    }

    #[test]
    fn context_keys_come_in_the_order_written() {
        let out = written(|w| {
            w.error("unknown action `x\"y`");
            w.ended_batch();
        });
        assert_eq!(
            String::from_utf8_lossy(&out),
            r#"{"decision":false,"context":{"error":{"status":400,"message":"unknown action `x\"y`"},"code":"200","reason":"deny_on_first_deny"}}"#
        );
    }
}
