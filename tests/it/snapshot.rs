//! Snapshots (`DecisionTable::to_snapshot`, `rolecall snapshot`): stable
//! under reformatting and reordering, changed exactly where meaning changes.

use rolecall::compile_file;
use rolecall::snapshot::compare_snapshots;

use super::support::{cli, root, table, temp_file};

fn snapshot_of(path: &str) -> String {
    compile_file(&root().join(path)).unwrap().to_snapshot()
}

/// The reference policies' tables, as Rust users would snapshot theirs.
#[test]
fn reference_policy_snapshots() {
    insta::assert_snapshot!("goto_webinar", snapshot_of("policies/goto_webinar.policy"));
    insta::assert_snapshot!("livestorm", snapshot_of("policies/livestorm.policy"));
}

#[test]
fn reordering_and_reformatting_leave_the_snapshot_unchanged() {
    let base = snapshot_of("tests/fixtures/diff/base.policy");
    assert_eq!(base, snapshot_of("tests/fixtures/diff/reordered.policy"));
    assert_ne!(base, snapshot_of("tests/fixtures/diff/modified.policy"));
    insta::assert_snapshot!(base);
}

#[test]
fn override_order_counts_only_between_different_roles() {
    let policy = |overrides: &str| {
        table(&format!(
            "fact a\nfact b\nscope s {{ role x  role y  action go  allow x to go }}\n{overrides}"
        ))
        .to_snapshot()
    };
    // Same target role: the order cannot change a decision.
    assert_eq!(
        policy("a joins s as x\nb joins s as x"),
        policy("b joins s as x\na joins s as x")
    );
    // Different target roles: the first that applies wins.
    let ab = policy("a joins s as x\nb joins s as y");
    let ba = policy("b joins s as y\na joins s as x");
    assert_ne!(ab, ba);
    assert!(
        ab.contains("override s 1 = a joins s as x\noverride s 2 = b joins s as y\n"),
        "{ab}"
    );
}

#[test]
fn cell_lines_say_where_the_decision_comes_from() {
    let snapshot = table(
        "fact f\nfact g\n\
         scope s {\n\
           role a\n role b : a\n role c : b\n\
           action own\n action inherited\n action denied\n action never\n action sometimes\n action always\n\
           allow a to own, inherited\n allow b to own\n deny b to denied\n allow a to denied\n\
           allow a to sometimes when g or f\n\
           allow a to always when f\n allow a to always when not f\n\
         }",
    )
    .to_snapshot();
    let cells: Vec<&str> = snapshot.lines().filter(|l| l.starts_with("s:")).collect();
    insta::assert_snapshot!(cells.join("\n"), @r"
    s:always a = allow whatever the facts
    s:always b = allow whatever the facts
    s:always c = allow whatever the facts
    s:denied a = allow
    s:denied b = deny
    s:denied c = deny from b
    s:inherited a = allow
    s:inherited b = allow from a
    s:inherited c = allow from a
    s:never a = deny by default
    s:never b = deny by default
    s:never c = deny by default
    s:own a = allow
    s:own b = allow
    s:own c = allow from b
    s:sometimes a = conditional when f or g
    s:sometimes b = conditional when f or g
    s:sometimes c = conditional when f or g
    ");
}

#[test]
fn comparing_snapshots_ignores_order_and_comments() {
    let old =
        "# old\nscope s\ns:a x = allow\ns:a y = deny by default\nrole s.z = inherits nothing\n";
    let new = "s:a y = deny by default\n\n# new\ns:a x = deny by default\nscope s\naction s:b\n";
    let changes: Vec<String> = compare_snapshots(old, new)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        changes,
        [
            "~ s:a x: allow → deny by default",
            "+ action s:b",
            "- role s.z = inherits nothing",
        ]
    );
    assert!(compare_snapshots(old, old).is_empty());
}

#[test]
fn write_check_and_update_from_the_command_line() {
    let stored = temp_file("base.snapshot", "");
    let stored_arg = stored.to_str().unwrap();
    let base = "tests/fixtures/diff/base.policy";
    let modified = "tests/fixtures/diff/modified.policy";

    let run = cli(&["snapshot", base, "-o", stored_arg], "");
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), snapshot_of(base));
    assert_eq!(cli(&["snapshot", base], "").stdout, snapshot_of(base));

    let run = cli(
        &[
            "snapshot",
            "tests/fixtures/diff/reordered.policy",
            "--check",
            stored_arg,
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with(" matches STORED\n".replace("STORED", stored_arg).as_str())
    );

    let run = cli(&["snapshot", modified, "--check", stored_arg], "");
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout.replace(stored_arg, "STORED"));

    let run = cli(&["snapshot", modified, "--update", stored_arg], "");
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.ends_with("(8 lines changed)\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        cli(&["snapshot", modified, "--check", stored_arg], "").code,
        0
    );
    let run = cli(&["snapshot", modified, "--update", stored_arg], "");
    assert_eq!(run.code, 0);
    assert!(run.stdout.ends_with("is up to date\n"), "{}", run.stdout);
}

#[test]
fn snapshot_errors() {
    let run = cli(
        &[
            "snapshot",
            "tests/fixtures/diff/base.policy",
            "--check",
            "no/such.snapshot",
        ],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read snapshot no/such.snapshot"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--update no/such.snapshot"),
        "{}",
        run.stderr
    );
    let run = cli(
        &[
            "snapshot",
            "tests/fixtures/diff/base.policy",
            "-o",
            "x",
            "--check",
            "y",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    let run = cli(&["snapshot", "no/such.policy"], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is invalid"), "{}", run.stderr);
}
