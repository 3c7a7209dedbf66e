//! Semantic diff (`rolecall diff`): decisions compared by name and meaning.

use rolecall::diff::{DiffFormat, diff};

use super::support::{cli, root, table};

const BASE: &str = "tests/fixtures/diff/base.policy";
const MODIFIED: &str = "tests/fixtures/diff/modified.policy";
const REORDERED: &str = "tests/fixtures/diff/reordered.policy";
const SETTINGS: &str = "tests/fixtures/diff/settings.policy";

/// A role added, a deny added and an inheritance edge removed, in each format.
#[test]
fn role_added_deny_added_edge_removed() {
    let text = cli(&["diff", BASE, MODIFIED], "");
    assert_eq!(text.code, 1, "{}", text.stderr);
    insta::assert_snapshot!("modified_text", text.stdout);
    let markdown = cli(&["diff", BASE, MODIFIED, "--format", "markdown"], "");
    assert_eq!(markdown.code, 1);
    insta::assert_snapshot!("modified_markdown", markdown.stdout);
    let json = cli(&["diff", BASE, MODIFIED, "--format", "json"], "");
    assert_eq!(json.code, 1);
    insta::assert_snapshot!("modified_json", json.stdout);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["differences"], 5);
    assert_eq!(
        value["scopes"]["changed"][1]["roles"]["added"][0]["name"],
        "moderator"
    );
}

#[test]
fn reformatting_and_reordering_show_no_difference() {
    for format in ["text", "markdown", "json"] {
        let run = cli(&["diff", BASE, REORDERED, "--format", format], "");
        assert_eq!(run.code, 0, "{format}: {}", run.stdout);
    }
    let run = cli(&["diff", BASE, REORDERED], "");
    assert_eq!(
        run.stdout,
        format!("--- {BASE}\n+++ {REORDERED}\nno differences\n")
    );
    let old = rolecall::compile_file(&root().join(BASE)).unwrap();
    let new = rolecall::compile_file(&root().join(REORDERED)).unwrap();
    assert!(diff(&old, &new).is_empty());
    assert!(diff(&new, &old).is_empty());
    assert!(diff(&old, &old).is_empty());
}

/// Facts, kinds, scopes, actions, conditions, defaults, assignable roles,
/// limits, advice and overrides.
#[test]
fn everything_but_the_cells() {
    let run = cli(&["diff", BASE, SETTINGS], "");
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
    let run = cli(&["diff", SETTINGS, BASE, "--format", "markdown"], "");
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn conditions_are_compared_by_meaning() {
    let policy = |condition: &str| {
        table(&format!(
            "fact a\nfact b\nscope s {{ role r  action x  allow r to x when {condition} }}"
        ))
    };
    let same = |x: &str, y: &str| diff(&policy(x), &policy(y)).is_empty();
    assert!(same("a or b", "b or a"));
    assert!(same("not (a and b)", "not a or not b"));
    assert!(same("a and (b or true)", "a"));
    assert!(!same("a or b", "a and b"));
    assert!(!same("a", "b"));
    let d = diff(&policy("a"), &policy("a and b"));
    let cell = &d.scopes.changed[0].cells[0];
    assert_eq!(cell.old.condition.as_deref(), Some("a"));
    assert_eq!(cell.new.condition.as_deref(), Some("a and b"));
}

#[test]
fn override_order_matters_only_between_different_roles() {
    let policy = |overrides: &str| {
        table(&format!(
            "fact a\nfact b\nscope s {{ role x  role y  action go  allow x to go }}\n{overrides}"
        ))
    };
    let same_role = diff(
        &policy("a joins s as x\nb joins s as x"),
        &policy("b joins s as x\na joins s as x"),
    );
    assert!(same_role.is_empty(), "{same_role:?}");
    let d = diff(
        &policy("a joins s as x\nb joins s as y"),
        &policy("b joins s as y\na joins s as x"),
    );
    assert_eq!(d.len(), 1);
    insta::assert_snapshot!(d.render(DiffFormat::Text, "old", "new"), @r"
    --- old
    +++ new

    overrides
      reordered into s: a joins s as x; b joins s as y → b joins s as y; a joins s as x

    1 difference
    ");
}

#[test]
fn invalid_or_missing_policies_exit_2() {
    let run = cli(&["diff", BASE, "no/such.policy"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no/such.policy is invalid"),
        "{}",
        run.stderr
    );
    let run = cli(&["diff", BASE], "");
    assert_eq!(run.code, 2);
    let run = cli(&["diff", BASE, BASE, "--format", "yaml"], "");
    assert_eq!(run.code, 2);
}

#[test]
fn help_lists_snapshot_diff_and_test() {
    let run = cli(&["--help"], "");
    for command in ["snapshot", "diff", "test"] {
        assert!(
            run.stdout.contains(command),
            "{command} missing from --help"
        );
        let help = cli(&[command, "--help"], "");
        assert_eq!(help.code, 0, "{command}");
        assert!(help.stdout.contains("Usage: rolecall"), "{}", help.stdout);
    }
}
