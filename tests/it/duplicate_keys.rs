//! A request naming a key twice is refused by every reader (issue 17, item
//! 5), never answered for one of the two values: `eval`'s fast path and its
//! general path, `explain`, the library, the AuthZEN model and the
//! principals file. (`serve` over HTTP: `serve::bad_requests_get_the_spec_error_codes_with_a_message`.)

use rolecall::Request;
use rolecall::authzen::{Principals, parse_evaluation};

use super::support::{cli, render_all};

const POLICY: &str = "fact open\nscope session {\n    role viewer\n    role host : viewer\n    action chat\n    action start\n    allow viewer to chat when open\n    allow host to start\n}\n";

fn policy_file() -> String {
    let dir = std::env::temp_dir().join(format!("rolecall-duplicate-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.policy");
    std::fs::write(&path, POLICY).unwrap();
    path.display().to_string()
}

/// Requests with a key twice, each of which some reader would allow and
/// another deny, and the key named in the error.
const DUPLICATES: &[(&str, &str)] = &[
    (
        r#"{"principal": {"session": "host"}, "action": "session:start", "action": "session:chat"}"#,
        "action",
    ),
    (
        r#"{"principal": {"session": "viewer", "session": "host"}, "action": "session:start"}"#,
        "session",
    ),
    (
        r#"{"principal": {"session": "viewer"}, "action": "session:chat", "context": {"open": true, "open": false}}"#,
        "open",
    ),
    (
        r#"{"principal": {"session": "viewer"}, "kind": null, "kind": null, "action": "session:chat"}"#,
        "kind",
    ),
];

#[test]
fn eval_and_explain_refuse_a_key_given_twice() {
    let policy = policy_file();
    // Each alone (the fast path reads it first), then all in one batch
    // between good lines, which are still answered.
    for (request, key) in DUPLICATES {
        let message = format!("invalid request: duplicate key \"{key}\" at line 1 column");
        let run = cli(&["eval", &policy], &format!("{request}\n"));
        assert_eq!(run.code, 1, "{request}: {}", run.stdout);
        let answer: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(&message), "{request}: {error}");
        assert_eq!(answer["line"], 1);
        let run = cli(&["explain", &policy, request], "");
        assert_eq!(run.code, 1, "{request}: {}", run.stdout);
        assert!(
            run.stderr.starts_with(&format!("error: {message}")),
            "{request}: {}",
            run.stderr
        );
        let error = Request::from_json(request).unwrap_err().to_string();
        assert!(error.starts_with(&message), "{error}");
    }
    let good = r#"{"principal": {"session": "host"}, "action": "session:start"}"#;
    let mut input = format!("{good}\n");
    for (request, _) in DUPLICATES {
        input.push_str(&format!("{request}\n{good}\n"));
    }
    let run = cli(&["eval", &policy], &input);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * DUPLICATES.len());
    for (i, line) in lines.iter().enumerate() {
        let answer: serde_json::Value = serde_json::from_str(line).unwrap();
        if i % 2 == 0 {
            assert_eq!(answer["decision"], "allow", "{line}");
        } else {
            assert!(
                answer["error"].as_str().unwrap().contains("duplicate key"),
                "{line}"
            );
            assert_eq!(answer["line"], i + 1);
        }
    }
}

#[test]
fn the_authzen_reader_refuses_a_key_given_twice() {
    for (body, key) in [
        (
            r#"{"subject": {"type": "user", "id": "a"}, "action": {"name": "chat"}, "resource": {"type": "session", "id": "1"}, "action": {"name": "start"}}"#,
            "action",
        ),
        (
            r#"{"subject": {"type": "user", "id": "a", "id": "b"}, "action": {"name": "chat"}, "resource": {"type": "session", "id": "1"}}"#,
            "id",
        ),
        (
            r#"{"subject": {"type": "user", "id": "a", "properties": {"x": 1, "x": 2}}, "action": {"name": "chat"}, "resource": {"type": "session", "id": "1"}}"#,
            "x",
        ),
    ] {
        let error = rolecall::json::from_str(body).unwrap_err();
        assert_eq!(error.classify(), serde_json::error::Category::Data);
        assert!(
            error
                .to_string()
                .starts_with(&format!("duplicate key \"{key}\" at line 1 column")),
            "{error}"
        );
        // Without the duplicate the same reader accepts it, and the model reads it.
        let once = body.replacen(&format!("\"{key}\""), "\"other\"", 1);
        let value = rolecall::json::from_str(&once).unwrap();
        assert_eq!(
            value,
            serde_json::from_str::<serde_json::Value>(&once).unwrap()
        );
        let _ = parse_evaluation(&value);
    }
    // Numbers, nesting and order are read as serde_json reads them.
    let text = r#"{"b": [1, -2, 3.5, 1e300, null, true, "s", {"z": {}, "a": []}], "a": 18446744073709551615}"#;
    assert_eq!(
        rolecall::json::from_str(text).unwrap(),
        serde_json::from_str::<serde_json::Value>(text).unwrap_or(serde_json::Value::Null)
    );
}

#[test]
fn the_principals_file_refuses_a_key_given_twice() {
    let text = "{\n  \"user:a\": {\"roles\": {\"session\": \"viewer\"}},\n  \"user:a\": {\"roles\": {\"session\": \"host\"}}\n}\n";
    let diagnostics = Principals::parse("people.json", text).unwrap_err();
    let shown = render_all(&diagnostics);
    assert!(shown.contains("duplicate key \"user:a\""), "{shown}");
    assert!(shown.contains("people.json:3:"), "{shown}");
}
