//! The shipped reference policies: cell for cell against independent
//! transcriptions of the sources, snapshots, and their cross-scope behaviour.

use std::collections::BTreeMap;

use rolecall::render::{Format, render};
use rolecall::{DecisionTable, compile_file};

use super::support::{ask, decide, root};

fn policy(name: &str) -> DecisionTable {
    match compile_file(&root().join("policies").join(name)) {
        Ok(t) => t,
        Err(e) => panic!("{}", super::support::render_all(&e)),
    }
}

type Key = (String, String, String);
type Value = (String, String);
type Cells = BTreeMap<Key, Value>;

/// The fixtures' five columns, or the table's six: its untargeted cells
/// (the `target` column empty) are what the sources' matrices say.
fn parse_csv(text: &str) -> Vec<(Key, Value)> {
    let mut lines = text.lines();
    let columns = match lines.next() {
        Some("scope,action,role,decision,condition") => 5,
        Some("scope,action,role,decision,condition,target") => 6,
        other => panic!("not a table's CSV header: {other:?}"),
    };
    lines
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), columns, "{line}");
            (columns == 5 || f[5].is_empty()).then(|| {
                (
                    (f[0].into(), f[1].into(), f[2].into()),
                    (f[3].into(), f[4].into()),
                )
            })
        })
        .collect()
}

fn compiled(table: &DecisionTable) -> Cells {
    parse_csv(&render(table, Format::Csv, None, false))
        .into_iter()
        .collect()
}

/// Every cell of the fixture equals the compiled cell.
fn assert_matches_fixture(table: &DecisionTable, fixture: &str, expected_rows: usize) {
    let text =
        std::fs::read_to_string(root().join("tests/fixtures").join(fixture)).expect("fixture");
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), expected_rows, "{fixture}");
    let cells = compiled(table);
    let mismatches: Vec<String> = rows
        .iter()
        .filter(|(key, want)| cells.get(key) != Some(want))
        .map(|(key, want)| format!("{key:?}: fixture {want:?}, compiled {:?}", cells.get(key)))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{fixture}:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn goto_webinar_matches_the_source_cell_for_cell() {
    let t = policy("goto_webinar.policy");
    assert_matches_fixture(&t, "goto_webinar_session.csv", 84);
    assert_matches_fixture(&t, "goto_webinar_presenter.csv", 3);
    assert_matches_fixture(&t, "goto_webinar_account.csv", 21);
}

#[test]
fn livestorm_matches_the_source_cell_for_cell() {
    let t = policy("livestorm.policy");
    assert_matches_fixture(&t, "livestorm_workspace.csv", 81);
    assert_matches_fixture(&t, "livestorm_session.csv", 124);
    // "Intervenant externe: mêmes permissions que les Speakers."
    let cells = compiled(&t);
    for ((scope, action, role), value) in &cells {
        if role == "external_speaker" {
            let speaker = &cells[&(scope.clone(), action.clone(), "speaker".to_string())];
            assert_eq!(value, speaker, "{action}");
        }
    }
}

/// Every identifier of the reference lists, and nothing else, is declared.
fn assert_ids(table: &DecisionTable, ids_csv: &str) {
    // A copy of shared/reference/*.ids.csv, so the test runs from any checkout.
    let text =
        std::fs::read_to_string(root().join("tests/fixtures").join(ids_csv)).expect("ids list");
    let mut want: Vec<String> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.splitn(4, ',').collect();
        want.push(format!("{}:{}:{}", f[0], f[1], f[2]));
    }
    let mut have = Vec::new();
    for (scope_name, scope) in &table.policy().scopes {
        have.extend(scope.roles.keys().map(|r| format!("{scope_name}:role:{r}")));
        have.extend(
            scope
                .actions
                .keys()
                .map(|a| format!("{scope_name}:action:{a}")),
        );
    }
    want.sort();
    have.sort();
    assert_eq!(have, want);
}

#[test]
fn identifiers_are_exactly_the_reference_ones() {
    assert_ids(&policy("goto_webinar.policy"), "goto-webinar.ids.csv");
    assert_ids(&policy("livestorm.policy"), "livestorm.ids.csv");
}

#[test]
fn goto_webinar_snapshots() {
    let t = policy("goto_webinar.policy");
    insta::assert_snapshot!("goto_webinar_text", render(&t, Format::Text, None, false));
    insta::assert_snapshot!(
        "goto_webinar_markdown",
        render(&t, Format::Markdown, None, false)
    );
}

#[test]
fn livestorm_snapshots() {
    let t = policy("livestorm.policy");
    insta::assert_snapshot!("livestorm_text", render(&t, Format::Text, None, false));
    insta::assert_snapshot!(
        "livestorm_markdown",
        render(&t, Format::Markdown, None, false)
    );
}

#[test]
fn livestorm_workspace_admin_assigned_viewer_runs_the_session() {
    let t = policy("livestorm.policy");
    let admin = r#"{"principal": {"workspace": "admin", "session": "viewer"}, "kind": "team_member", "action": "session:start_end_session"}"#;
    let answer = ask(&t, admin);
    assert_eq!(answer.decision.as_str(), "allow");
    assert_eq!(answer.roles, ["organizer"]);
    assert_eq!(
        answer.override_applied.map(|o| o.text).as_deref(),
        Some("workspace.admin joins session as organizer")
    );
    let owner = r#"{"principal": {"workspace": "owner", "session": "viewer"}, "action": "session:start_end_session"}"#;
    assert_eq!(decide(&t, owner), "allow");
    let member = r#"{"principal": {"workspace": "member", "session": "viewer"}, "kind": "team_member", "action": "session:start_end_session"}"#;
    assert_eq!(decide(&t, member), "deny");
    let event_owner = r#"{"principal": {"workspace": "member", "session": "viewer"}, "action": "session:start_end_session", "context": {"event_owner": true}}"#;
    assert_eq!(decide(&t, event_owner), "allow");
}

#[test]
fn livestorm_assignment_rules() {
    let t = policy("livestorm.policy");
    let registrant_organizer = r#"{"principal": {"session": "organizer"}, "kind": "registrant", "action": "session:start_end_session"}"#;
    let err = rolecall::Request::from_json(registrant_organizer)
        .and_then(|r| t.evaluate(&r))
        .expect_err("a registrant assigned organizer is an error");
    assert_eq!(
        err.to_string(),
        "a registrant cannot be assigned role `organizer` in scope `session` (assignable: external_speaker, viewer)"
    );
    let guest = r#"{"principal": {}, "kind": "external_guest", "action": "session:go_on_stage"}"#;
    let answer = ask(&t, guest);
    assert_eq!(
        (answer.decision.as_str(), answer.roles.as_slice()),
        ("allow", ["external_speaker".to_string()].as_slice())
    );
    let anyone = r#"{"principal": {}, "action": "session:send_chat_messages"}"#;
    assert_eq!(ask(&t, anyone).roles, ["viewer"]);
    let registrant_in_workspace = r#"{"principal": {"workspace": "member"}, "kind": "registrant", "action": "workspace:invite_member"}"#;
    assert!(
        rolecall::Request::from_json(registrant_in_workspace)
            .and_then(|r| t.evaluate(&r))
            .is_err()
    );
    let s = t.policy().scopes.get("session").expect("session");
    assert_eq!(s.advice.len(), 1);
    assert_eq!(
        (s.advice[0].count, s.advice[0].per_min, s.advice[0].per_max),
        (1, 50, 100)
    );
}

#[test]
fn goto_presenter_adds_to_any_role() {
    let t = policy("goto_webinar.policy");
    let both = r#"{"principal": {"session": ["attendee", "presenter"]}, "action": "session:share_screen"}"#;
    assert_eq!(decide(&t, both), "allow");
    let alone = r#"{"principal": {"session": "attendee"}, "action": "session:share_screen"}"#;
    assert_eq!(decide(&t, alone), "deny");
    let presenter_limit = &t.policy().scopes["session"].limits[0];
    assert_eq!(presenter_limit.cardinality.to_string(), "at most 1");
}

#[test]
fn goto_attendee_chat_needs_the_organizer_permission() {
    let t = policy("goto_webinar.policy");
    let without = r#"{"principal": {"session": "attendee"}, "action": "session:chat"}"#;
    let answer = ask(&t, without);
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.would_change, ["organizer_permission"]);
    let with = r#"{"principal": {"session": "attendee"}, "action": "session:chat", "context": {"organizer_permission": true}}"#;
    assert_eq!(decide(&t, with), "allow");
    let explicit_false = r#"{"principal": {"session": "attendee"}, "action": "session:chat", "context": {"organizer_permission": false}}"#;
    assert_eq!(decide(&t, explicit_false), "deny");
}

#[test]
fn goto_account_roles() {
    let t = policy("goto_webinar.policy");
    let billing = r#"{"principal": {"account": "billing_contact"}, "action": "account:add_and_manage_organizers", "target": {"account": "organizer"}}"#;
    let answer = ask(&t, billing);
    assert_eq!(answer.decision.as_str(), "allow");
    assert_eq!(
        answer.via,
        Some(vec![
            "billing_contact".to_string(),
            "account_admin".to_string()
        ])
    );
    let attendee = r#"{"principal": {"account": "organizer"}, "kind": "participant", "action": "account:account_required"}"#;
    assert!(
        rolecall::Request::from_json(attendee)
            .and_then(|r| t.evaluate(&r))
            .is_err(),
        "no out-of-session access"
    );
    let single = r#"{"principal": {"account": "organizer"}, "action": "account:modify_billing_information", "context": {"account_type": "single_user"}}"#;
    assert_eq!(decide(&t, single), "allow");
    let account = &t.policy().scopes["account"];
    assert_eq!(account.limits[0].cardinality.to_string(), "exactly 1");
    let licensed_only = r#"{"principal": {"session": "coorganizer"}, "kind": "participant", "action": "session:chat"}"#;
    assert!(
        rolecall::Request::from_json(licensed_only)
            .and_then(|r| t.evaluate(&r))
            .is_err(),
        "co-organizers must be licensed"
    );
}

#[test]
fn reference_policies_doc_shows_the_current_tables() {
    let doc = std::fs::read_to_string(root().join("docs/reference-policies.md")).expect("doc");
    for name in ["goto_webinar", "livestorm"] {
        let marker = format!("<!-- rolecall table policies/{name}.policy --format markdown -->\n");
        let start = doc.find(&marker).map(|i| i + marker.len()).expect("marker");
        let end = start + doc[start..].find("<!-- end -->").expect("end marker");
        let current = render(
            &policy(&format!("{name}.policy")),
            Format::Markdown,
            None,
            false,
        );
        assert_eq!(
            &doc[start..end],
            current,
            "docs/reference-policies.md is stale for {name}: paste `rolecall table policies/{name}.policy --format markdown` between its markers"
        );
    }
}
