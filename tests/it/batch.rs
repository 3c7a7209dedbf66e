//! A batch `eval` of N lines prints N lines, whatever they contain.

use proptest::collection::vec;
use proptest::prelude::*;

use rolecall::cli::{Io, run};

const POLICY: &str = "policies/livestorm.policy";

/// Lines as `read_until(b'\n')` cuts them: a last line without a newline counts.
fn line_count(input: &[u8]) -> usize {
    input.split_inclusive(|&b| b == b'\n').count()
}

/// One line's bytes (no `\n`): noise, near-requests, and requests.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let noise = vec(
        any::<u8>().prop_filter("no newline", |&b| b != b'\n'),
        0..60,
    );
    let pieces = vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("\"principal\": ".to_string()),
            Just("{\"session\": \"viewer\"}".to_string()),
            Just("\"action\": \"session:send_emojis\"".to_string()),
            Just("\"context\": {\"event_owner\": true}".to_string()),
            Just("\"kind\": \"registrant\"".to_string()),
            Just(", ".to_string()),
            Just("\r".to_string()),
            Just("\u{feff}".to_string()),
            Just("\\u0000".to_string()),
            Just("[".repeat(200)),
            "[a-z:_ \"]{0,12}",
        ],
        0..12,
    )
    .prop_map(|p| p.concat().into_bytes());
    let request = (
        prop_oneof![
            Just("viewer"),
            Just("organizer"),
            Just("ghost"),
            Just("speaker")
        ],
        prop_oneof![
            Just("session:send_emojis"),
            Just("session:start_end_session"),
            Just("workspace:nope"),
            Just("nope")
        ],
    )
        .prop_map(|(role, action)| {
            format!(r#"{{"principal": {{"session": "{role}"}}, "action": "{action}"}}"#)
                .into_bytes()
        });
    prop_oneof![noise, pieces, request]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_batch_of_n_lines_prints_n_lines(lines in vec(line(), 0..20), newline_at_end in any::<bool>()) {
        let mut input = lines.join(&b'\n');
        if newline_at_end && !lines.is_empty() {
            input.push(b'\n');
        }
        let mut stdin = input.as_slice();
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let code = run(
            ["rolecall", "eval", POLICY],
            &mut Io {
                stdin: &mut stdin,
                stdout: &mut stdout,
                stderr: &mut stderr,
                color_out: false,
                color_err: false,
            },
        );
        prop_assert!(stderr.is_empty(), "{}", String::from_utf8_lossy(&stderr));
        let stdout = String::from_utf8(stdout).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out: Vec<&str> = stdout.lines().collect();
        prop_assert_eq!(out.len(), line_count(&input));
        let mut errors = 0;
        for (i, text) in out.iter().enumerate() {
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            if let Some(at) = value.get("line") {
                prop_assert_eq!(at.as_u64(), Some(i as u64 + 1));
                errors += 1;
            } else {
                prop_assert!(value.get("decision").is_some(), "{}", text);
            }
        }
        prop_assert_eq!(code, if errors > 0 { 1 } else { 0 });
    }
}

#[test]
fn line_count_follows_read_until() {
    assert_eq!(line_count(b""), 0);
    assert_eq!(line_count(b"\n"), 1);
    assert_eq!(line_count(b"a"), 1);
    assert_eq!(line_count(b"a\nb"), 2);
    assert_eq!(line_count(b"a\nb\n"), 2);
    assert_eq!(line_count(b"\r\n\r\n"), 2);
}
