//! The fast JSON-lines path answers exactly as the general path does.

use rolecall::eval::LineEvaluator;
use rolecall::generate::{Spec, generate, requests};
use rolecall::{DecisionTable, Request};

use crate::support::{root, table};

/// What the general path says for a line: the answer's JSON or the error.
pub(crate) fn general(table: &DecisionTable, line: &str) -> Result<String, String> {
    if line.trim().is_empty() {
        return Err("empty line: expected a JSON request".to_string());
    }
    let request = Request::from_json(line).map_err(|e| e.to_string())?;
    let answer = table.evaluate(&request).map_err(|e| e.to_string())?;
    Ok(serde_json::to_string(&answer).unwrap())
}

/// Checks every line; returns how many were answered (not errors).
pub(crate) fn agree(table: &DecisionTable, lines: &[String]) -> usize {
    let mut evaluator = LineEvaluator::new(table);
    let mut answered = 0;
    for line in lines {
        let mut out = b"kept".to_vec();
        let fast = evaluator
            .answer(line, &mut out)
            .map(|()| String::from_utf8(out[4..].to_vec()).unwrap());
        if fast.is_err() {
            assert_eq!(out, b"kept", "an error leaves the buffer as it was");
        }
        assert_eq!(fast, general(table, line), "{line}");
        answered += usize::from(fast.is_ok());
    }
    answered
}

/// Requests over every cell of a table, in many shapes.
fn shapes(table: &DecisionTable) -> Vec<String> {
    let policy = &table.policy();
    let scopes: Vec<&String> = policy.scopes.keys().collect();
    let kinds: Vec<String> = policy.kinds.keys().map(|k| format!(r#""{k}""#)).collect();
    let facts: Vec<&String> = policy.facts.keys().collect();
    let mut out = Vec::new();
    for (s, (scope, sc)) in policy.scopes.iter().enumerate() {
        let roles: Vec<&String> = sc.roles.keys().collect();
        for (a, action) in sc.actions.keys().enumerate() {
            for (r, role) in roles.iter().enumerate() {
                let other = roles[(r + a + 1) % roles.len()];
                let kind = kinds
                    .get((r + a) % (kinds.len() + 1))
                    .map(String::as_str)
                    .unwrap_or("null");
                let fact = facts
                    .get((r + 2 * a) % facts.len().max(1))
                    .map(|f| f.as_str())
                    .unwrap_or("none");
                let elsewhere = scopes[(s + 1) % scopes.len()];
                let elsewhere_role = policy.scopes[(s + 1) % scopes.len()]
                    .roles
                    .keys()
                    .next()
                    .unwrap();
                out.extend([
                    format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{scope}:{action}"}}"#),
                    format!(r#"{{"principal": {{"{scope}": ["{role}", "{other}", "{role}"]}}, "action": "{scope}:{action}"}}"#),
                    format!(r#"{{"principal": {{}}, "kind": {kind}, "action": "{scope}:{action}"}}"#),
                    format!(r#"{{"action": "{scope}:{action}", "principal": {{"{elsewhere}": "{elsewhere_role}"}}, "context": {{"{fact}": true}}}}"#),
                    format!(r#"{{"principal": {{"{scope}": "{role}", "{elsewhere}": ["{elsewhere_role}"]}}, "kind": {kind}, "action": "{scope}:{action}", "context": {{"{fact}": false}}}}"#),
                    format!(r#"{{"principal": {{"{scope}": []}}, "action": "{scope}:{action}", "context": null}}"#),
                ]);
            }
        }
    }
    out
}

/// Lines the fast path leaves to the general one, and lines it must read the same.
fn unusual(scope: &str, role: &str, action: &str) -> Vec<String> {
    let a = format!("{scope}:{action}");
    [
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{a}", "extra": 1}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}", "{scope}": []}}, "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{a}", "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "\u0067host"}}, "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{a}"}} trailing"#),
        format!(r#"{{"principal": {{"{scope}": 3}}, "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": [null]}}, "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{scope}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "nowhere:{action}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "kind": "alien", "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "kind": 7, "action": "{a}"}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{a}", "context": {{"nope": true}}}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{a}", "context": {{"x": 1}}}}"#),
        format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{a}", "context": []}}"#),
        format!(r#"{{"principal": "{role}", "action": "{a}"}}"#),
        format!(r#"{{"action": "{a}"}}"#),
        r#"{"principal": {}}"#.to_string(),
        format!(r#"[{{"principal": {{}}, "action": "{a}"}}]"#),
        format!(r#"  {{ "principal" : {{ "{scope}" : "{role}" }} , "action" : "{a}" }}  "#),
        "not json".to_string(),
        "   ".to_string(),
        String::new(),
    ]
    .into()
}

#[test]
fn reference_policies_answer_the_same_on_both_paths() {
    for path in ["policies/livestorm.policy", "policies/goto_webinar.policy"] {
        let t = rolecall::compile_file(&root().join(path)).unwrap();
        let mut lines = shapes(&t);
        let (scope, sc) = t.policy().scopes.first().unwrap();
        lines.extend(unusual(
            scope,
            sc.roles.keys().next().unwrap(),
            sc.actions.keys().next().unwrap(),
        ));
        let answered = agree(&t, &lines);
        assert!(
            answered > lines.len() / 2,
            "{path}: {answered} of {}",
            lines.len()
        );
    }
}

#[test]
fn livestorm_assignability_and_overrides_answer_the_same() {
    let t = rolecall::compile_file(&root().join("policies/livestorm.policy")).unwrap();
    let lines: Vec<String> = [
        r#"{"principal": {"session": "organizer"}, "kind": "registrant", "action": "session:send_emojis"}"#,
        r#"{"principal": {"workspace": "owner"}, "kind": "registrant", "action": "session:send_emojis"}"#,
        r#"{"principal": {"session": "external_speaker"}, "kind": "external_guest", "action": "session:go_on_stage"}"#,
        r#"{"principal": {"workspace": "owner", "session": "viewer"}, "action": "session:access_event_settings"}"#,
        r#"{"principal": {}, "kind": "external_guest", "action": "session:go_on_stage"}"#,
        r#"{"principal": {}, "kind": "registrant", "action": "workspace:view_workspace_profile"}"#,
        r#"{"principal": {"session": "viewer"}, "action": "session:start_end_session", "context": {"event_owner": true}}"#,
        r#"{"principal": {"session": "viewer"}, "action": "session:start_end_session", "context": {"event_owner": true, "event_owner": false}}"#,
    ]
    .map(String::from)
    .into();
    agree(&t, &lines);
}

#[test]
fn generated_policies_answer_the_same_on_both_paths() {
    for spec in [Spec::new(1, 12, 12), Spec::new(3, 40, 30).with_seed(7)] {
        let t = table(&generate(&spec));
        let mut lines: Vec<String> = requests(&spec, 2000).lines().map(String::from).collect();
        lines.extend(shapes(&t).into_iter().step_by(7));
        let answered = agree(&t, &lines);
        assert!(
            answered > lines.len() * 9 / 10,
            "{spec:?}: {answered} of {}",
            lines.len()
        );
    }
}

#[test]
fn escaping_in_file_names_matches_serde_json() {
    let dir = crate::support::temp_file("quote\"back\\slash\ttab.policy", "");
    let text = "scope s {\n role a\n role b : a\n action x\n allow a to x\n}\n";
    std::fs::write(&dir, text).unwrap();
    let t = rolecall::compile_file(&dir).unwrap();
    let lines = vec![r#"{"principal": {"s": "b"}, "action": "s:x"}"#.to_string()];
    assert_eq!(agree(&t, &lines), 1);
}

#[test]
fn line_numbers_are_the_newlines_before_plus_one() {
    let text = std::fs::read_to_string(root().join("policies/livestorm.policy")).unwrap();
    for extra in ["", "\n", "\n\nlast line without newline"] {
        let text = format!("{text}{extra}");
        let file = rolecall::source::SourceFile::new("f", text.as_str());
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let newlines = text[..offset].matches('\n').count();
            assert_eq!(file.line_col(offset).0, newlines + 1, "offset {offset}");
        }
        assert_eq!(
            file.line_col(text.len() + 10).0,
            text.matches('\n').count() + 1
        );
    }
}

#[test]
fn long_inheritance_paths_are_shortened_alike() {
    let mut text = String::from("scope s {\n    role r0\n");
    for i in 1..30 {
        text.push_str(&format!("    role r{i} : r{}\n", i - 1));
    }
    text.push_str("    action a\n    allow r0 to a\n}\n");
    let t = table(&text);
    let lines: Vec<String> = (0..30)
        .map(|i| format!(r#"{{"principal": {{"s": "r{i}"}}, "action": "s:a"}}"#))
        .collect();
    assert_eq!(agree(&t, &lines), 30);
    let answer = general(&t, &lines[29]).unwrap();
    assert!(
        answer.contains("r29 → r28 → r27 → r26 → … (22 more) → r3 → r2 → r1 → r0"),
        "{answer}"
    );
}

/// Settings, kinds in conditions, everyone, conditional defaults and
/// assignable lines, adding and everyone overrides: the fast path answers
/// what it can and leaves the rest, with the same bytes either way.
#[test]
fn product_settings_and_kinds_answer_the_same() {
    let t = rolecall::compile_file(&root().join("policies/examples/product.policy")).unwrap();
    let mut lines: Vec<String> = Vec::new();
    let settings = [
        "",
        r#""who_can_present": "everyone""#,
        r#""who_can_present": "organization", "account": "single_user""#,
        r#""who_can_present": "only_me""#,
        r#""who_can_present": "nobody""#,
        r#""who_can_present": true"#,
        r#""who_can_present": "everyone", "who_can_present": "only_me""#,
        r#""account": "multi_user""#,
    ];
    for principal in [
        "{}",
        r#"{"session": "presenter"}"#,
        r#"{"session": ["attendee", "organizer"]}"#,
        r#"{"workspace": "auditor", "session": "attendee"}"#,
        r#"{"session": "everyone"}"#,
    ] {
        for kind in ["", r#""kind": "anonymous", "#, r#""kind": "team_member", "#] {
            for action in ["mute", "present", "export", "see_agenda"] {
                for context in settings {
                    lines.push(format!(
                        r#"{{"principal": {principal}, {kind}"action": "session:{action}", "context": {{{context}}}}}"#
                    ));
                }
            }
        }
    }
    let answered = agree(&t, &lines);
    // Most errors are the `everyone` principal, unknown values and
    // anonymous presenters; the rest are answered.
    assert!(answered >= 200, "{answered} of {}", lines.len());
    let s = rolecall::compile_file(&root().join("policies/examples/settings.policy")).unwrap();
    let line = r#"{"principal": {"session": "attendee"}, "action": "session:present", "context": {"who_can_present": "everyone"}}"#;
    agree(&s, &[line.to_string()]);
}
