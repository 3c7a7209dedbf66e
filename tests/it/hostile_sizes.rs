//! Hostile sizes within the size limits (issue 15, items 8 and 9): repeated
//! mistakes, long cycles, many rules per action, many flat roles, deep
//! chains in JSON. Each test builds its input and asserts a bounded result;
//! timings are recorded in docs/reliability.md, never asserted.

use super::support::ByPosition;
use miette::{SourceCode, SourceSpan};
use rolecall::resolve::{MAX_CYCLE_EDGES_SHOWN, MAX_PER_CODE};
use rolecall::source::SourceFile;

use crate::support::{errors, render_all, root, table};

#[test]
fn a_mistake_repeated_thousands_of_times_is_reported_a_thousand_times_then_counted() {
    let n = 3 * MAX_PER_CODE;
    let mut text = String::from("scope s {\n    role r\n    action a\n");
    for _ in 0..n {
        text.push_str("    role r\n");
    }
    for _ in 0..n {
        text.push_str("    allow nobody to a\n");
    }
    text.push_str("}\n");
    let diagnostics = errors(&text);
    let of = |code: &str| {
        diagnostics
            .iter()
            .filter(|d| d.code == code)
            .collect::<Vec<_>>()
    };
    for (code, noun, first_line) in [
        ("rolecall::resolve::duplicate", "duplicate declarations", 4),
        ("rolecall::resolve::unknown_role", "unknown roles", 4 + n),
    ] {
        let found = of(code);
        assert_eq!(found.len(), MAX_PER_CODE + 1, "{code}");
        // Second in position order, at the first error of its code, so
        // `check` prints it among its first hundred.
        let summary = found[1];
        assert_eq!(
            summary.message,
            format!(
                "{n} {noun} in all: 1000 are reported, {} more are not",
                n - MAX_PER_CODE
            )
        );
        let lines: Vec<usize> = summary.labels.iter().map(|(l, _)| l.line()).collect();
        assert_eq!(lines, [first_line, first_line + MAX_PER_CODE]);
        assert!(summary.help.as_deref().unwrap().contains("at most 1000"));
        assert_eq!(found[0].primary().unwrap().line(), first_line);
        assert_eq!(found[2].primary().unwrap().line(), first_line + 1);
    }
    assert_eq!(diagnostics.len(), 2 * (MAX_PER_CODE + 1));
    // What `check` prints: the count is among the first diagnostics shown.
    let path = crate::support::temp_file("hostile-repeated.policy", &text);
    let run = crate::support::cli(&["check", path.to_str().unwrap()], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("3000 duplicate declarations in all: 1000 are reported, 2000 more are not"),
        "{}",
        run.stderr.get(..2000).unwrap_or(&run.stderr)
    );
}

#[test]
fn under_the_cap_nothing_is_summarised() {
    let mut text = String::from("scope s {\n    role r\n    action a\n");
    for _ in 0..MAX_PER_CODE {
        text.push_str("    role r\n");
    }
    text.push_str("}\n");
    let diagnostics = errors(&text);
    assert_eq!(diagnostics.len(), MAX_PER_CODE);
    assert!(
        diagnostics
            .iter()
            .all(|d| d.message == "role `r` is declared twice")
    );
}

fn cycle(n: usize) -> String {
    let mut text = String::from("scope s {\n    action a\n");
    for i in 0..n {
        text.push_str(&format!("    role r{i} : r{}\n", (i + 1) % n));
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_long_cycle_is_shown_by_its_first_and_last_edges_and_its_length() {
    let mut sizes = Vec::new();
    for n in [1_000, 4_000] {
        let diagnostics = errors(&cycle(n));
        assert_eq!(diagnostics.len(), 1);
        let d = &diagnostics[0];
        assert_eq!(
            d.message,
            format!(
                "inheritance cycle of {n} roles: r0 → r1 → r2 → r3 → … → r{} → r{} → r{} → r{} → r0",
                n - 4,
                n - 3,
                n - 2,
                n - 1
            )
        );
        assert_eq!(d.labels.len(), MAX_CYCLE_EDGES_SHOWN);
        // The last edge shown closes the cycle: `r{n-1} : r0`.
        assert_eq!(d.labels.last().unwrap().0.text(), "r0");
        sizes.push(render_all(&diagnostics).len());
    }
    // The same drawing whatever the length, but for the digits of the names.
    assert!(sizes[1] < sizes[0] + 100, "{sizes:?}");
    assert!(sizes[1] < 3_000, "{sizes:?}");
}

#[test]
fn a_short_cycle_is_shown_whole() {
    let diagnostics = errors(&cycle(MAX_CYCLE_EDGES_SHOWN));
    assert_eq!(
        diagnostics[0].message,
        "inheritance cycle: r0 → r1 → r2 → r3 → r4 → r5 → r6 → r7 → r0"
    );
    assert_eq!(diagnostics[0].labels.len(), MAX_CYCLE_EDGES_SHOWN);
}

#[test]
fn many_cycles_through_one_role_are_capped() {
    // r{i} inherits r{i+1} and r0: a cycle closes at every role, the i-th
    // through i + 1 roles. Listing each in full was quadratic in the roles.
    let n = 1_500;
    let mut text = String::from("scope s {\n    action a\n    role r0 : r1\n");
    for i in 1..n {
        text.push_str(&format!("    role r{i} : r{}, r0\n", (i + 1) % n));
    }
    text.push_str("}\n");
    let diagnostics = errors(&text);
    assert_eq!(diagnostics.len(), MAX_PER_CODE + 1);
    assert!(diagnostics.iter().all(|d| d.message.len() < 200));
    // Every cycle starts at r0's edge: the summary, at that place too, sorts after them.
    assert_eq!(
        diagnostics.last().unwrap().message,
        format!(
            "{n} inheritance cycles in all: 1000 are reported, {} more are not",
            n - MAX_PER_CODE
        )
    );
}

#[test]
fn many_rules_per_action_combine_as_before() {
    // One rule per role on one action (the roles × rules scan), and many
    // conditional rules on one role (the fold that inserted at the front).
    let n = 2_000;
    let mut text = String::from("fact f\nfact g\nscope s {\n    action a\n    role top\n");
    for i in 0..n {
        text.push_str(&format!("    role r{i} : top\n"));
    }
    for i in 0..n {
        let effect = if i % 2 == 0 { "allow" } else { "deny" };
        text.push_str(&format!("    {effect} r{i} to a\n"));
    }
    for i in 0..n {
        let fact = if i % 2 == 0 { "f" } else { "g" };
        text.push_str(&format!("    allow top to a when {fact}\n"));
    }
    text.push_str("}\n");
    let t = table(&text);
    for i in [0, 1, n - 2, n - 1] {
        let cell = t.cell_by(0, 0, i + 1).unwrap();
        let expected = if i % 2 == 0 { "allow" } else { "deny" };
        assert_eq!(cell.decision.as_str(), expected, "r{i}");
        assert_eq!(cell.rule.map(|r| r.index()), Some(i));
    }
    // top: 2,000 conditional allows fold into one flat `or`, in rule order.
    let top = t.cell_by(0, 0, 0).unwrap().conditional.unwrap();
    assert_eq!(top.candidates.len(), n);
    assert_eq!(top.text, ["f", "g"].repeat(n / 2).join(" or "));
    match &top.allow_when {
        rolecall::resolve::Cond::Or(items) => assert_eq!(items.len(), n),
        other => panic!("{other:?}"),
    }
}

#[test]
fn identical_roles_among_thousands_are_found_by_meaning() {
    // 3,000 roles allowed under 3,000 different facts: no pair alike, which
    // made the rule compare every pair. Two roles alike in meaning but not
    // in writing (an irrelevant fact, another order) are still found.
    let n = 3_000;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("fact f{i}\n"));
    }
    text.push_str("scope s {\n    action a\n");
    for i in 0..n {
        text.push_str(&format!("    role r{i}\n    allow r{i} to a when f{i}\n"));
    }
    text.push_str("    role twin_a\n    allow twin_a to a when f0 and f1\n");
    text.push_str(
        "    role twin_b\n    allow twin_b to a when (f1 and f0) or (f1 and f0 and f2)\n",
    );
    text.push_str("}\n");
    let report = rolecall::lint::lint_str("test.policy", &text).unwrap();
    let identical: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule.id == "identical-roles")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        identical,
        ["roles `twin_a` and `twin_b` are allowed exactly the same actions"]
    );
}

#[test]
fn rendering_a_span_from_its_line_gives_what_miette_gives_from_the_file() {
    // `SourceFile` starts miette's scan at the first line shown instead of at
    // the top of the file; the result must be the same for every span.
    let text = "scope s {\n    role r\n\n    action a \"A\"\n    allow r to a\n}\nx";
    let file = SourceFile::new("t.policy", text);
    for start in 0..=text.len() {
        for len in 0..=(text.len() - start).min(12) {
            for (before, after) in [(0, 0), (1, 1), (2, 3), (5, 5)] {
                let span = SourceSpan::new(start.into(), len);
                let ours = file.read_span(&span, before, after).unwrap();
                let theirs = text.read_span(&span, before, after).unwrap();
                let at = format!("{start}+{len} ({before}, {after})");
                assert_eq!(ours.data(), theirs.data(), "{at}");
                assert_eq!(ours.span(), theirs.span(), "{at}");
                assert_eq!(ours.line(), theirs.line(), "{at}");
                assert_eq!(ours.column(), theirs.column(), "{at}");
                assert_eq!(ours.line_count(), theirs.line_count(), "{at}");
            }
        }
    }
}

fn chain(n: usize) -> String {
    let mut text = String::from("scope s {\n    action a\n    action b\n    role r0\n");
    for i in 1..n {
        text.push_str(&format!("    role r{i} : r{}\n", i - 1));
    }
    text.push_str("    allow r0 to a, b\n}\n");
    text
}

#[test]
fn json_of_a_deep_chain_grows_with_the_cells_not_with_their_paths() {
    let json = |n: usize| rolecall::render::to_json(&table(&chain(n)), None);
    let (small, large) = (json(500), json(1_000));
    // Twice the cells: about twice the bytes. A path per cell made it four times.
    let ratio = large.len() as f64 / small.len() as f64;
    assert!(ratio < 2.2, "{} then {} bytes", small.len(), large.len());
    let value: serde_json::Value = serde_json::from_str(&large).unwrap();
    let cell = &value["scopes"][0]["cells"][999];
    assert_eq!(cell["role"], "r999");
    assert_eq!(cell["from"], "r0");
    assert_eq!(cell["distance"], 999);
    assert_eq!(cell["through"], "r998");
}

#[test]
fn json_paths_followed_cell_to_cell_are_the_inheritance_paths() {
    // The reference policies, and generated ones whose roles form a DAG
    // (several parents, paths of equal length to choose among).
    let mut policies: Vec<(String, String)> = [
        "policies/livestorm.policy",
        "policies/goto_webinar.policy",
        "policies/examples/webinar.policy",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            std::fs::read_to_string(root().join(p)).unwrap(),
        )
    })
    .collect();
    for seed in 1..=20 {
        let spec = rolecall::generate::Spec::new(2, 12, 6).with_seed(seed);
        policies.push((
            format!("generated {seed}"),
            rolecall::generate::generate(&spec),
        ));
    }
    let mut followed = 0;
    for (path, text) in &policies {
        let path = path.as_str();
        let t = rolecall::compile_str(path, text).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&rolecall::render::to_json(&t, None)).unwrap();
        for (s, scope) in t.policy().scopes.values().enumerate() {
            let cells = value["scopes"][s]["cells"].as_array().unwrap();
            let roles = scope.roles.len();
            let at = |a: usize, role: &str| {
                let r = scope.roles.get_index_of(role).unwrap();
                &cells[a * roles + r]
            };
            for a in 0..scope.actions.len() {
                for r in 0..roles {
                    let Some(rule) = t.cell_by(s, a, r).unwrap().rule else {
                        continue;
                    };
                    let expected: Vec<String> = t
                        .path_by(s, r, rule.index())
                        .into_iter()
                        .map(|x| scope.role_name(x))
                        .collect();
                    let mut walked = vec![scope.role_name(r)];
                    let mut cell = &cells[a * roles + r];
                    while let Some(next) = cell["through"].as_str() {
                        walked.push(next.to_string());
                        cell = at(a, next);
                        assert_eq!(cell["rule"], cells[a * roles + r]["rule"], "{path}");
                    }
                    assert_eq!(walked, expected, "{path}: {a} {r}");
                    let first = &cells[a * roles + r];
                    assert_eq!(first["from"], *expected.last().unwrap());
                    assert_eq!(first["distance"], expected.len() - 1);
                    followed += usize::from(expected.len() > 1);
                }
            }
        }
    }
    assert!(followed > 500, "only {followed} inherited cells");
}

/// miette pads a label to its column with a format width, which panicked
/// past column 65,535 (a one-line JSON principals file, a policy with a very
/// long line); such a label is now shown in a window of its line.
#[test]
fn a_label_past_column_65535_is_shown_in_a_window_of_its_line() {
    let pad = " ".repeat(70_000);
    let text = format!("scope s {{ role r\n{pad}allow q to a }}");
    let diagnostics = errors(&text);
    let rendered = render_all(&diagnostics);
    assert!(
        rendered.contains("unknown role `q`"),
        "{}",
        &rendered[..rendered.len().min(2000)]
    );
    assert!(
        rendered.contains("(line 2, column 70007: a line of 70014 bytes, shown around the label)"),
        "{rendered}"
    );
    assert!(rendered.contains("…"), "{rendered}");
    assert!(rendered.contains("allow q to a"), "{rendered}");
    // The window, not the line: the report stays short.
    assert!(rendered.len() < 5_000, "{} bytes", rendered.len());
    // Through the binary too: an error exit, no panic.
    let path = crate::support::temp_file("long-line.policy", &text);
    let run = crate::support::cli(&["check", path.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("unknown role `q`"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}
