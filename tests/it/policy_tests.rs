//! Policy tests (`rolecall test`): the shipped test files, failures,
//! coverage, and the test-file syntax.

use std::path::Path;

use rolecall::source::SourceFile;
use rolecall::testing::{Coverage, Expect, load, parse, run_case};

use super::support::{cli, render_all, root};

/// The shipped test files pass: CI runs them through `cargo test`.
#[test]
fn shipped_policy_tests_pass() {
    let run = cli(&["test", "policies"], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!(run.stdout, @"769 passed, 0 failed");
    // `policies/` is the default path.
    assert_eq!(cli(&["test"], "").stdout, run.stdout);
}

/// Together, the test files of each reference policy exercise every cell and
/// every rule.
#[test]
fn reference_tests_cover_every_cell_and_rule() {
    for (test_file, cells) in [
        ("policies/goto_webinar.policy.test", 140),
        ("policies/livestorm.policy.test", 236),
        ("policies/examples/webinar.policy.test", 9),
        ("policies/examples/product.policy.test", 39),
    ] {
        let file = load(&root().join(test_file)).unwrap_or_else(|e| panic!("{}", render_all(&e)));
        let table = rolecall::compile_file(&file.policy_path()).unwrap();
        let mut coverage = Coverage::new(&table);
        for case in &file.cases {
            let result = run_case(&table, case, Some(&mut coverage));
            assert!(
                result.passed,
                "{test_file}: {case}\n{}",
                result.explain_failure(case)
            );
        }
        assert_eq!(coverage.cell_count(), (cells, cells), "{test_file}");
        assert_eq!(coverage.uncovered_cells(), vec![], "{test_file}");
        assert_eq!(coverage.unused_rules(), Vec::<usize>::new(), "{test_file}");
        assert_eq!(
            coverage.facts_never_given(),
            Vec::<usize>::new(),
            "{test_file}"
        );
        let (used, rules) = coverage.rule_count();
        assert_eq!(used, rules);
        assert_eq!(rules, table.policy().rules.len());
    }
    let run = cli(&["test", "policies", "--coverage"], "");
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout, @r"
    coverage of policies/examples/moderation.policy: 7/24 cells, 16/126 targeted cells, 7/8 rules, 1/1 facts
      cells no test exercised:
        session:chat: everyone, viewer, speaker, moderator, co_organizer, organizer
        session:remove: everyone, viewer, speaker
        session:mute: everyone, speaker, co_organizer, organizer
        session:promote: everyone, viewer, moderator, co_organizer
      targeted cells no test exercised (acting role -> target):
        session:remove: everyone -> everyone, viewer -> everyone, speaker -> everyone, moderator -> everyone, co_organizer -> everyone, organizer -> everyone, everyone -> viewer, viewer -> viewer, speaker -> viewer, moderator -> viewer, co_organizer -> viewer, organizer -> viewer, everyone -> speaker, viewer -> speaker, speaker -> speaker, co_organizer -> speaker, organizer -> speaker, everyone -> moderator, viewer -> moderator, speaker -> moderator, co_organizer -> moderator, everyone -> co_organizer, viewer -> co_organizer, speaker -> co_organizer, moderator -> co_organizer, co_organizer -> co_organizer, everyone -> organizer, viewer -> organizer, speaker -> organizer, organizer -> organizer, everyone -> self, viewer -> self, speaker -> self, moderator -> self, co_organizer -> self
        session:mute: everyone -> everyone, viewer -> everyone, speaker -> everyone, moderator -> everyone, co_organizer -> everyone, organizer -> everyone, everyone -> viewer, speaker -> viewer, moderator -> viewer, co_organizer -> viewer, organizer -> viewer, everyone -> speaker, viewer -> speaker, speaker -> speaker, moderator -> speaker, co_organizer -> speaker, organizer -> speaker, everyone -> moderator, viewer -> moderator, speaker -> moderator, co_organizer -> moderator, organizer -> moderator, everyone -> co_organizer, viewer -> co_organizer, speaker -> co_organizer, moderator -> co_organizer, co_organizer -> co_organizer, organizer -> co_organizer, everyone -> organizer, viewer -> organizer, speaker -> organizer, co_organizer -> organizer, organizer -> organizer, everyone -> self, speaker -> self, moderator -> self, co_organizer -> self, organizer -> self
        session:promote: everyone -> everyone, viewer -> everyone, speaker -> everyone, moderator -> everyone, co_organizer -> everyone, organizer -> everyone, everyone -> viewer, viewer -> viewer, moderator -> viewer, co_organizer -> viewer, organizer -> viewer, everyone -> speaker, viewer -> speaker, moderator -> speaker, co_organizer -> speaker, everyone -> moderator, viewer -> moderator, speaker -> moderator, moderator -> moderator, co_organizer -> moderator, organizer -> moderator, everyone -> co_organizer, viewer -> co_organizer, speaker -> co_organizer, moderator -> co_organizer, co_organizer -> co_organizer, organizer -> co_organizer, everyone -> organizer, viewer -> organizer, moderator -> organizer, co_organizer -> organizer, everyone -> self, viewer -> self, speaker -> self, moderator -> self, co_organizer -> self, organizer -> self
      rules that decided no tested request:
        policies/examples/moderation.policy:20: allow viewer to chat
    coverage of policies/examples/product.policy: 39/39 cells, 11/11 rules, 0/0 facts
    coverage of policies/examples/webinar.policy: 9/9 cells, 3/3 rules, 1/1 facts
    coverage of policies/goto_webinar.policy: 140/140 cells, 12/12 targeted cells, 12/12 rules, 3/3 facts
    coverage of policies/livestorm.policy: 236/236 cells, 234/234 targeted cells, 11/11 rules, 1/1 facts
    769 passed, 0 failed
    ");
}

#[test]
fn failures_show_the_rule_that_decided() {
    let run = cli(&["test", "tests/fixtures/testing/failing.policy.test"], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.ends_with("\n1 passed, 7 failed\n"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn coverage_lists_cells_and_rules_no_test_exercised() {
    let run = cli(
        &[
            "test",
            "--coverage",
            "tests/fixtures/testing/partial.policy.test",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    insta::assert_snapshot!(run.stdout);
}

/// Every cell and rule exercised, and two facts never given: one read by a
/// condition that another fact satisfies in every test, one that triggers an
/// override. A request that cannot be evaluated gives nothing.
#[test]
fn coverage_lists_facts_no_test_gives() {
    let file = "tests/fixtures/testing/facts.policy.test";
    let run = cli(&["test", "--coverage", file], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout, @r"
    coverage of tests/fixtures/testing/facts.policy: 4/4 cells, 2/2 rules, 1/3 facts
      facts no test gives:
        tests/fixtures/testing/facts.policy:4: organizer_permission
        tests/fixtures/testing/facts.policy:5: event_owner
    5 passed, 0 failed
    ");

    let loaded = load(&root().join(file)).unwrap_or_else(|e| panic!("{}", render_all(&e)));
    let table = rolecall::compile_file(&loaded.policy_path()).unwrap();
    let mut coverage = Coverage::new(&table);
    for case in &loaded.cases {
        assert!(run_case(&table, case, Some(&mut coverage)).passed, "{case}");
    }
    assert_eq!(coverage.fact_count(), (1, 3));
    assert_eq!(coverage.facts_never_given(), [1, 2]);
    // Merging another run adds what it gave.
    let mut other = Coverage::new(&table);
    let case = parse(&SourceFile::new(
        "more.policy.test",
        "policy \"facts.policy\"\nallow session.attendee -> session:chat with organizer_permission\n",
    ))
    .unwrap();
    assert!(run_case(&table, &case.cases[0], Some(&mut other)).passed);
    coverage.merge(&other);
    assert_eq!(coverage.facts_never_given(), [2]);
}

/// `--format json`: one document with the counts, the failures (a file
/// that fails as a whole has no test) and, with `--coverage`, each policy's
/// report, the same as the text's.
#[test]
fn test_results_and_coverage_as_json() {
    let args = [
        "test",
        "--coverage",
        "--format",
        "json",
        "tests/fixtures/testing/facts.policy.test",
        "tests/fixtures/testing/failing.policy.test",
        "tests/fixtures/testing/broken.policy.test",
    ];
    let run = cli(&args, "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["passed", "failed", "failures", "coverage"]);
    let text = cli(&["test", "--coverage", args[4], args[5], args[6]], "");
    assert!(
        text.stdout.ends_with(&format!(
            "\n{} passed, {} failed\n",
            doc["passed"], doc["failed"]
        )),
        "{}",
        text.stdout
    );
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len() as u64, doc["failed"].as_u64().unwrap());
    assert_eq!(
        failures[2],
        serde_json::json!({
            "at": "tests/fixtures/testing/failing.policy.test:5",
            "test": "deny session.panelist -> session:present",
            "why": [
                "expected deny, got allow by the rule at tests/fixtures/testing/webinar.policy:15",
                "allowed: panelist matches `allow panelist to present, …` at tests/fixtures/testing/webinar.policy:15"
            ]
        })
    );
    assert_eq!(
        failures.last().unwrap(),
        &serde_json::json!({
            "at": "tests/fixtures/testing/broken.policy.test",
            "test": null,
            "why": ["not a valid test file (5 errors)"]
        })
    );
    let coverage = doc["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 2);
    assert_eq!(
        coverage[0]["facts"],
        serde_json::json!({
            "given": 1,
            "total": 3,
            "never_given": [
                {"fact": "organizer_permission", "at": "tests/fixtures/testing/facts.policy:4"},
                {"fact": "event_owner", "at": "tests/fixtures/testing/facts.policy:5"}
            ]
        })
    );
    let webinar = &coverage[1];
    assert_eq!(webinar["policy"], "tests/fixtures/testing/webinar.policy");
    assert_eq!(webinar["cells"]["total"], 9);
    assert_eq!(
        webinar["cells"]["not_exercised"][0],
        serde_json::json!({"scope": "session", "action": "chat", "role": "panelist"})
    );
    assert_eq!(webinar["rules"]["not_exercised"], serde_json::json!([]));
    // Without --coverage there is no coverage key; --verbose changes nothing.
    let run = cli(&["test", "--format", "json", "--verbose", args[4]], "");
    assert_eq!(run.code, 0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"passed": 5, "failed": 0, "failures": []})
    );
}

#[test]
fn syntax_errors_point_at_line_and_column() {
    let errors = load(Path::new("tests/fixtures/testing/broken.policy.test")).unwrap_err();
    assert_eq!(errors.len(), 5);
    insta::assert_snapshot!(render_all(&errors));
    let run = cli(&["test", "tests/fixtures/testing/broken.policy.test"], "");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "FAIL tests/fixtures/testing/broken.policy.test: not a valid test file (5 errors)\n0 passed, 1 failed\n"
    );
    assert!(
        run.stderr.contains("broken.policy.test:4:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_or_invalid_policy_fails_its_test_file() {
    let run = cli(
        &["test", "tests/fixtures/testing/missing_policy.policy.test"],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("cannot read the policy tests/fixtures/testing/no_such.policy"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("relative to the directory of the test file")
    );
    assert!(
        run.stdout.ends_with("0 passed, 1 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn paths_that_name_no_test_file_are_usage_errors() {
    let run = cli(&["test", "no/such/dir"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read no/such/dir"),
        "{}",
        run.stderr
    );
    let run = cli(&["test", "tests/fixtures/diff"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no test files (`*.policy.test`) in tests/fixtures/diff"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_statement_form() {
    let src = SourceFile::new(
        "forms.policy.test",
        r#"# a comment
policy "x.policy"   # the policy
allow session.viewer -> session:chat
deny  workspace.admin, session.viewer -> session:start, stop,
    workspace:billing
allow registrant session.viewer -> session:chat with a, b
allow registrant -> session:chat
    with a
deny nobody -> session:chat
error registrant session.organizer -> session:chat
error "cannot be \"assigned\"" registrant session.organizer -> session:chat
"#,
    );
    let file = parse(&src).unwrap_or_else(|e| panic!("{}", render_all(&e)));
    assert_eq!(file.policy, "x.policy");
    assert_eq!(file.policy_path(), Path::new("x.policy"));
    let lines: Vec<String> = file
        .cases
        .iter()
        .map(|c| format!("{}: {c}", c.line()))
        .collect();
    assert_eq!(
        lines,
        [
            "3: allow session.viewer -> session:chat",
            "4: deny workspace.admin, session.viewer -> session:start",
            "4: deny workspace.admin, session.viewer -> session:stop",
            "4: deny workspace.admin, session.viewer -> workspace:billing",
            "6: allow registrant session.viewer -> session:chat with a, b",
            "7: allow registrant -> session:chat with a",
            "9: deny nobody -> session:chat",
            "10: error registrant session.organizer -> session:chat",
            "11: error \"cannot be \\\"assigned\\\"\" registrant session.organizer -> session:chat",
        ]
    );
    let Some(last) = file.cases.last() else {
        panic!("no cases")
    };
    assert_eq!(
        last.expect,
        Expect::Error(Some("cannot be \"assigned\"".to_string()))
    );
    let request = file.cases[4].request();
    assert_eq!(request.kind.as_deref(), Some("registrant"));
    assert_eq!(request.principal["session"], ["viewer"]);
    assert_eq!(request.context.len(), 2);
    assert!(request.context["a"] && request.context["b"]);
}

#[test]
fn header_and_lexical_errors() {
    let first = |text: &str| {
        let errors = parse(&SourceFile::new("t.policy.test", text)).unwrap_err();
        errors[0].message.clone()
    };
    assert_eq!(first(""), "empty test file");
    assert_eq!(
        first("allow session.a -> session:b\n"),
        "expected `policy \"FILE\"` first"
    );
    assert_eq!(first("policy \"x\nallow"), "unterminated string");
    assert_eq!(
        first("policy \"x\"\nallow s.a -> s:b; deny\n"),
        "unexpected character `;`"
    );
    assert_eq!(
        first("policy \"x\"\nallow s.a -> s:b s:c\n"),
        "unexpected `s:c` after the actions"
    );
    assert_eq!(
        first("policy \"x\"\nallow nobody s.a -> s:b\n"),
        "expected `->` after `nobody`"
    );
    assert_eq!(
        first("policy \"x\"\nallow s:a -> s:b\n"),
        "`s:a` is not a role"
    );
    assert_eq!(
        first("policy \"x\"\nallow s.a\n"),
        "expected `->` and the action"
    );
}
