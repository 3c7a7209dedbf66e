//! `forbid`: a denial that always wins (docs/language.md §4.11, §5.2, §5.5).

use rolecall::fmt::format_source;
use rolecall::source::SourceFile;

use crate::lines::agree;
use crate::support::{ask, cli, decide, table, temp_file};

const POLICY: &str = "\
fact recording_private \"The recording is private\"

scope session {
    role viewer
    role speaker : viewer
    role moderator
    role suspended
    role guest : speaker
    action chat
    action download
    allow viewer, moderator to chat, download
    allow speaker to download
    forbid suspended to chat, download
    forbid viewer to download when recording_private
}

scope workspace {
    role member
    role banned
    action join
    allow member to join
}

workspace.banned joins session as suspended
";

fn req(roles: &str, action: &str, context: &str) -> String {
    format!(
        r#"{{"principal": {{{roles}}}, "action": "session:{action}", "context": {{{context}}}}}"#
    )
}

#[test]
fn round_trips_through_fmt() {
    let formatted = format_source(&SourceFile::new("test.policy", POLICY)).unwrap();
    assert!(
        formatted.contains("forbid suspended to chat, download\n"),
        "{formatted}"
    );
    assert!(formatted.contains("forbid viewer to download when recording_private\n"));
    let again = format_source(&SourceFile::new("test.policy", &formatted)).unwrap();
    assert_eq!(formatted, again);
}

#[test]
fn forbid_is_a_reserved_keyword() {
    let errors = crate::support::errors("scope s {\n    role forbid\n}\n");
    let text = crate::support::render_all(&errors);
    assert!(text.contains("keyword `forbid`"), "{text}");
}

#[test]
fn a_forbid_wins_over_a_nearer_allow_in_its_cell() {
    // guest inherits speaker's allow at distance 1 and viewer's conditional
    // forbid at distance 2: the forbid is tried first.
    let t = table(POLICY);
    let guest = req(r#""session": "guest""#, "download", "");
    let private = req(
        r#""session": "guest""#,
        "download",
        r#""recording_private": true"#,
    );
    assert_eq!(decide(&t, &guest), "allow");
    assert_eq!(decide(&t, &private), "deny");
    let answer = ask(&t, &private);
    assert_eq!(answer.rule.as_deref(), Some("test.policy:14"));
}

#[test]
fn a_forbidden_role_is_denied_whatever_another_role_allows() {
    let t = table(POLICY);
    let both = req(r#""session": ["moderator", "suspended"]"#, "chat", "");
    let answer = ask(&t, &both);
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.rule.as_deref(), Some("test.policy:13"));
    assert!(
        answer.reason.contains("a forbid wins over every role"),
        "{}",
        answer.reason
    );
    // A refining deny would not have won: the moderator alone allows.
    let moderator = req(r#""session": "moderator""#, "chat", "");
    assert_eq!(decide(&t, &moderator), "allow");
}

#[test]
fn an_override_into_a_forbidden_role_is_denied() {
    let t = table(POLICY);
    let banned = r#"{"principal": {"workspace": "banned", "session": "moderator"}, "action": "session:chat"}"#;
    let answer = ask(&t, banned);
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.rule.as_deref(), Some("test.policy:13"));
}

#[test]
fn both_paths_agree() {
    let t = table(POLICY);
    let mut lines = Vec::new();
    for roles in [
        r#""session": "guest""#,
        r#""session": ["moderator", "suspended"]"#,
        r#""session": ["suspended", "viewer"]"#,
        r#""session": "moderator""#,
        r#""workspace": "banned""#,
        r#""workspace": "banned", "session": "moderator""#,
        r#""session": ["guest", "moderator"]"#,
    ] {
        for action in ["chat", "download"] {
            for context in ["", r#""recording_private": true"#] {
                lines.push(req(roles, action, context));
            }
        }
    }
    assert_eq!(agree(&t, &lines), lines.len());
}

#[test]
fn table_cells_are_deny_and_say_forbid() {
    let path = temp_file("forbid.policy", POLICY);
    let p = path.to_str().unwrap();
    let run = cli(&["table", p, "--format", "json"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let cells = doc["scopes"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "session"))
        .map(|s| s["cells"].as_array().unwrap().clone())
        .unwrap_or_else(|| panic!("{doc}"));
    let cell = |action: &str, role: &str| {
        cells
            .iter()
            .find(|c| c["action"] == action && c["role"] == role)
            .cloned()
            .unwrap()
    };
    let suspended = cell("chat", "suspended");
    assert_eq!(suspended["decision"], "deny", "{suspended}");
    assert_eq!(suspended["forbid"], true, "{suspended}");
    let guest = cell("download", "guest");
    assert_eq!(guest["decision"], "conditional", "{guest}");
    assert_eq!(guest["forbid"], true, "{guest}");
    let moderator = cell("chat", "moderator");
    assert_eq!(moderator["decision"], "allow");
    assert!(moderator.get("forbid").is_none(), "{moderator}");
    let csv = cli(&["table", p, "--format", "csv"], "");
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert!(!csv.stdout.contains("forbid"), "{}", csv.stdout);
}

#[test]
fn explain_says_the_forbid_wins_over_every_role() {
    let path = temp_file("forbid-explain.policy", POLICY);
    let request = req(r#""session": ["moderator", "suspended"]"#, "chat", "");
    let run = cli(&["explain", path.to_str().unwrap(), &request], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("a forbid wins over every role"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("forbid suspended to chat"),
        "{}",
        run.stdout
    );
}

#[test]
fn diff_shows_a_deny_becoming_a_forbid() {
    let refined = POLICY.replace("forbid suspended", "deny suspended");
    let d = rolecall::diff::diff(&table(&refined), &table(POLICY));
    let changed: Vec<(&str, &str)> = d
        .scopes
        .changed
        .iter()
        .flat_map(|s| &s.cells)
        .map(|c| (c.action.as_str(), c.role.as_str()))
        .collect();
    assert!(changed.contains(&("chat", "suspended")), "{changed:?}");
    assert!(changed.contains(&("download", "suspended")), "{changed:?}");
    assert!(!changed.contains(&("chat", "moderator")), "{changed:?}");
    // The same policy twice: nothing changes.
    let same = rolecall::diff::diff(&table(POLICY), &table(POLICY));
    assert!(same.scopes.changed.iter().all(|s| s.cells.is_empty()));
}

#[test]
fn lint_names_forbid_for_a_deny_meant_to_overrule_another_role() {
    let text = "\
scope session {
    role viewer
    role host
    role suspended
    action kick
    allow host to kick
    deny viewer to kick
    forbid suspended to kick
}
";
    let path = temp_file("forbid-lint.policy", text);
    let run = cli(&["lint", path.to_str().unwrap()], "");
    assert!(
        run.stdout.contains("deny-overrides-nothing")
            || run.stderr.contains("deny-overrides-nothing"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("write `forbid`"), "{all}");
    // The forbid itself is not idle: it denies a suspended host.
    assert!(!all.contains("to `suspended` overrides nothing"), "{all}");
}
