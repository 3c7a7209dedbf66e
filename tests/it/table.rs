//! Compiled example tables, as text and CSV.

use rolecall::render::{Format, render};

use super::support::{ByPosition, table};

const EXAMPLE: &str = r#"
policy "Example"
fact granted "si accordé"
scope session "Session" {
    role viewer "Spectateur"
    role speaker "Intervenant" : viewer
    role moderator "Modérateur" : speaker
    section "Général" {
        action chat "Chat"
        action present "Présenter"
    }
    section "Scène" {
        action mute "Couper le micro, de tous"
    }
    allow viewer to chat
    allow speaker to present when granted
    allow moderator to present, mute
}
"#;

#[test]
fn text_grid() {
    insta::assert_snapshot!(render(&table(EXAMPLE), Format::Text, None, false));
}

#[test]
fn text_grid_in_color_keeps_symbols() {
    let colored = render(&table(EXAMPLE), Format::Text, None, true);
    assert!(colored.contains("\x1b[32m✓\x1b[0m"));
    assert!(colored.contains("\x1b[33m?\x1b[0m"));
}

#[test]
fn csv_contract() {
    let csv = render(&table(EXAMPLE), Format::Csv, None, false);
    assert!(csv.starts_with("scope,action,role,decision,condition,target\n"));
    assert_eq!(csv.lines().count(), 1 + 3 * 3);
    insta::assert_snapshot!(csv);
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render(&table(EXAMPLE), Format::Markdown, None, false));
}

#[test]
fn json_is_valid_and_complete() {
    let json = render(&table(EXAMPLE), Format::Json, None, false);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let cells = value["scopes"][0]["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 9);
    let moderator_chat = &cells[2];
    assert_eq!(moderator_chat["decision"], "allow");
    assert_eq!(moderator_chat["rule"], "test.policy:15");
    // Where the rule comes from: the role it names, how far, and the next
    // role of the path (`moderator` → `speaker` → `viewer`).
    assert_eq!(moderator_chat["from"], "viewer");
    assert_eq!(moderator_chat["distance"], 2);
    assert_eq!(moderator_chat["through"], "speaker");
    assert!(moderator_chat.get("via").is_none());
    let speaker_present = &cells[4];
    assert_eq!(speaker_present["decision"], "conditional");
    assert_eq!(speaker_present["condition"], "granted");
}

#[test]
fn every_cell_carries_its_rule_and_path() {
    let t = table(EXAMPLE);
    let cell = t.cell_by(0, 0, 2).expect("moderator chat");
    let rule = cell.rule.expect("rule");
    assert_eq!(
        t.policy().rules[rule.index()].loc.file_line(),
        "test.policy:15"
    );
    assert_eq!(t.path_by(0, 2, rule.index()), [2, 1, 0]);
}
