//! The command line: every subcommand, its exit codes and its error paths.

use super::support::{cli, temp_file};

const LIVESTORM: &str = "policies/livestorm.policy";

#[test]
fn check_valid_and_invalid() {
    let run = cli(&["check", LIVESTORM, "policies/goto_webinar.policy"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let bad = temp_file(
        "bad.policy",
        "scope s {\n    role r : ghost\n    allow r to nothing\n}\n",
    );
    let run = cli(&["check", bad.to_str().expect("path")], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown role `ghost` in scope `s`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("unknown action `nothing` in scope `s`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("is invalid (2 errors)"),
        "{}",
        run.stderr
    );
    let run = cli(&["check", "no/such.policy"], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("cannot read no/such.policy: no such file"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let run = cli(&["check"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("required"), "{}", run.stderr);
    let run = cli(&["frobnicate"], "");
    assert_eq!(run.code, 2);
    let run = cli(&["--help"], "");
    assert_eq!(run.code, 0);
    for command in ["check", "table", "eval", "explain"] {
        assert!(
            run.stdout.contains(command),
            "{command} missing from --help"
        );
    }
    let run = cli(&["table", LIVESTORM, "--format", "yaml"], "");
    assert_eq!(run.code, 2);
    let run = cli(&["table", LIVESTORM, "--scope", "nowhere"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown scope `nowhere`"),
        "{}",
        run.stderr
    );
}

#[test]
fn table_formats() {
    let run = cli(
        &[
            "table",
            LIVESTORM,
            "--scope",
            "workspace",
            "--format",
            "csv",
        ],
        "",
    );
    assert_eq!(run.code, 0);
    // One row per cell, then the two targeted actions' grids: 3 acting roles
    // × (3 target roles + self).
    assert_eq!(run.stdout.lines().count(), 1 + 27 * 3 + 2 * 3 * 4);
    assert_eq!(
        run.stdout
            .lines()
            .skip(1)
            .filter(|l| l.ends_with(','))
            .count(),
        27 * 3
    );
    assert!(
        run.stdout
            .lines()
            .skip(1)
            .all(|l| l.starts_with("workspace,"))
    );
    for format in ["text", "markdown", "json"] {
        let run = cli(&["table", LIVESTORM, "--format", format], "");
        assert_eq!(run.code, 0, "{format}");
        assert!(!run.stdout.is_empty());
        assert!(!run.stdout.contains('\x1b'), "no color when not a terminal");
    }
}

#[test]
fn eval_answers_every_line_in_order() {
    let input = [
        r#"{"principal": {"workspace": "admin", "session": "viewer"}, "action": "session:start_end_session"}"#,
        "not json",
        "",
        r#"{"principal": {"session": "ghost"}, "action": "session:start_end_session"}"#,
        r#"{"principal": {"session": "viewer"}, "action": "session:send_emojis"}"#,
    ]
    .join("\n");
    let run = cli(&["eval", LIVESTORM], &input);
    assert_eq!(run.code, 1, "an error line makes the exit status 1");
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["roles"], serde_json::json!(["organizer"]));
    assert_eq!(lines[1]["line"], 2);
    assert!(
        lines[1]["error"]
            .as_str()
            .expect("error")
            .starts_with("invalid JSON")
    );
    assert_eq!(lines[2]["line"], 3);
    assert_eq!(lines[3]["line"], 4);
    assert!(
        lines[3]["error"]
            .as_str()
            .expect("error")
            .contains("unknown role `ghost`")
    );
    assert_eq!(lines[4]["decision"], "allow");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn eval_from_a_file_and_clean_exit() {
    let requests = temp_file(
        "requests.jsonl",
        "{\"principal\": {\"session\": \"viewer\"}, \"action\": \"session:start_end_session\"}\n",
    );
    let run = cli(
        &[
            "eval",
            LIVESTORM,
            "--requests",
            requests.to_str().expect("path"),
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"decision\":\"deny\""));
    let run = cli(&["eval", LIVESTORM, "--requests", "no/such.jsonl"], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("cannot read no/such.jsonl"));
}

#[test]
fn eval_survives_invalid_utf8() {
    let mut input = b"\xff\xfe\n".to_vec();
    input.extend_from_slice(
        br#"{"principal": {"session": "viewer"}, "action": "session:send_emojis"}"#,
    );
    let dir = temp_file("binary.jsonl", "");
    std::fs::write(&dir, &input).expect("write");
    let run = cli(
        &["eval", LIVESTORM, "--requests", dir.to_str().expect("path")],
        "",
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], r#"{"error":"invalid UTF-8","line":1}"#);
}

#[test]
fn explain_shows_the_whole_chain() {
    let request = r#"{"principal": {"workspace": "owner", "session": "viewer"}, "action": "session:start_end_session"}"#;
    let run = cli(&["explain", LIVESTORM, request], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let run = cli(
        &[
            "explain",
            "policies/goto_webinar.policy",
            r#"{"principal": {"session": "attendee"}, "action": "session:chat"}"#,
        ],
        "",
    );
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("explain_conditional", run.stdout);
    let run = cli(
        &[
            "explain",
            LIVESTORM,
            r#"{"principal": {}, "action": "session:nope"}"#,
        ],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("unknown action `nope`"));
}

/// `explain --format json` is the same explanation as the text: its answer
/// is what `eval` answers, and each role's outcome is the text's sentence.
#[test]
fn explain_json_is_the_explanation_for_tools() {
    for (policy, request) in [
        (
            "policies/goto_webinar.policy",
            r#"{"principal": {"session": "attendee"}, "action": "session:chat"}"#,
        ),
        (
            LIVESTORM,
            r#"{"principal": {"workspace": "owner", "session": "viewer"}, "action": "session:start_end_session"}"#,
        ),
    ] {
        let json = cli(&["explain", policy, request, "--format", "json"], "");
        assert_eq!(json.code, 0, "{}", json.stderr);
        let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let eval = cli(&["eval", policy], &format!("{request}\n"));
        let answer: serde_json::Value = serde_json::from_str(eval.stdout.trim()).unwrap();
        assert_eq!(doc["answer"], answer, "{policy}");
        let text = cli(&["explain", policy, request], "").stdout;
        let roles = doc["roles"].as_array().unwrap();
        assert!(!roles.is_empty());
        for role in roles {
            let outcome = format!("  outcome: {}", role["text"].as_str().unwrap());
            assert!(text.contains(&outcome), "{outcome} not in\n{text}");
            let decided = role["candidates"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["status"] == "decides")
                .count();
            assert!(decided <= 1, "{role}");
        }
    }
    let run = cli(
        &[
            "explain",
            "policies/goto_webinar.policy",
            r#"{"principal": {"session": "attendee"}, "action": "session:chat"}"#,
            "--format",
            "json",
        ],
        "",
    );
    insta::assert_snapshot!("explain_conditional_json", run.stdout);
    let run = cli(&["explain", LIVESTORM, "{}", "--format", "yaml"], "");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("possible values: text, json"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_binary_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["check", LIVESTORM])
        .output()
        .expect("run the binary");
    assert!(out.status.success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["check", "no/such.policy"])
        .output()
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(1));
}

/// Settings and kinds in conditions: a missing setting reads its default,
/// `would_change` names the value that would change the answer, `explain`
/// says which values were given and which defaulted, `fmt` keeps the block.
#[test]
fn settings_and_kinds_decide_through_the_table() {
    let policy = "policies/examples/settings.policy";
    let requests = concat!(
        r#"{"principal":{"session":"attendee"},"action":"session:present","context":{"who_can_present":"everyone"}}"#,
        "\n",
        r#"{"principal":{"session":"attendee"},"action":"session:present"}"#,
        "\n",
        r#"{"principal":{"session":"presenter"},"kind":"anonymous","action":"session:mute"}"#,
        "\n",
        r#"{"principal":{"session":"presenter"},"kind":"team_member","action":"session:mute"}"#,
        "\n",
    );
    let run = cli(&["eval", policy], requests);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answers: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<&str> = answers
        .iter()
        .map(|a| a["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allow", "deny", "deny", "allow"]);
    assert_eq!(
        answers[1]["would_change"],
        serde_json::json!(["who_can_present=everyone"])
    );
    assert_eq!(answers[3]["would_change"], serde_json::json!([]));

    let run = cli(
        &[
            "explain",
            policy,
            r#"{"principal":{"session":"attendee"},"action":"session:present"}"#,
        ],
        "",
    );
    assert!(
        run.stdout
            .contains("settings: who_can_present is only_me (default)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("would change with: who_can_present=everyone\n")
    );

    let run = cli(&["table", policy], "");
    assert!(
        run.stdout
            .contains("? present × attendee: allowed when who_can_present is everyone"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("? mute × presenter: allowed when not kind is anonymous")
    );

    let run = cli(&["fmt", "--check", policy], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
