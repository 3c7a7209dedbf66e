//! Limits: huge, deep and odd inputs get an answer or a diagnostic, never a
//! crash, a hang or unbounded memory.

use rolecall::{Request, compile_str};

use super::support::{ByPosition, ask, errors, table};

#[test]
fn ten_thousand_level_inheritance_chain() {
    let mut text = String::from("scope s {\n    role r0\n");
    for i in 1..10_000 {
        text.push_str(&format!("    role r{i} : r{}\n", i - 1));
    }
    text.push_str("    action a\n    allow r0 to a\n    deny r5000 to a\n}\n");
    let t = table(&text);
    let top = ask(&t, r#"{"principal": {"s": "r9999"}, "action": "s:a"}"#);
    assert_eq!(top.decision.as_str(), "deny");
    assert_eq!(top.via.as_ref().map(Vec::len), Some(5000));
    assert!(
        top.reason.contains("(4992 more)"),
        "long paths are shortened in the reason: {}",
        top.reason
    );
    assert_eq!(
        ask(&t, r#"{"principal": {"s": "r4999"}, "action": "s:a"}"#)
            .decision
            .as_str(),
        "allow"
    );
}

#[test]
fn ten_thousand_role_cycle_is_reported_not_overflowed() {
    let mut text = String::from("scope s {\n    role r0 : r9999\n");
    for i in 1..10_000 {
        text.push_str(&format!("    role r{i} : r{}\n", i - 1));
    }
    text.push_str("}\n");
    let diagnostics = errors(&text);
    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0]
            .message
            .starts_with("inheritance cycle of 10000 roles: r0 → r9999 → r9998")
    );
}

#[test]
fn ten_megabyte_policy() {
    let label = "x".repeat(1000);
    let mut text = String::from("scope s {\n    role r\n");
    let mut i = 0;
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&format!("    action a{i} \"{label}\"\n"));
        i += 1;
    }
    text.push_str("    allow r to a0\n}\n");
    let t = table(&text);
    assert_eq!(t.cell_count(), i);
    assert_eq!(
        ask(&t, r#"{"principal": {"s": "r"}, "action": "s:a0"}"#)
            .decision
            .as_str(),
        "allow"
    );
}

#[test]
fn deeply_nested_conditions_are_a_diagnostic() {
    for condition in [
        format!("{}f{}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("{}f", "not ".repeat(100_000)),
        format!("{}f{}", "not (".repeat(40), ")".repeat(40)),
    ] {
        let text = format!(
            "fact f\nscope s {{\n    role r\n    action a\n    allow r to a when {condition}\n}}\n"
        );
        let diagnostics = errors(&text);
        assert_eq!(
            diagnostics[0].message,
            "condition nested more than 64 levels deep"
        );
    }
    // Just under the limit is fine.
    let ok = format!(
        "fact f\nscope s {{\n role r\n action a\n allow r to a when {}f{}\n}}\n",
        "(".repeat(60),
        ")".repeat(60)
    );
    let t = table(&ok);
    assert_eq!(
        t.cell_by(0, 0, 0)
            .and_then(|c| c.condition().map(str::to_string))
            .as_deref(),
        Some("f")
    );
}

#[test]
fn very_long_identifiers_and_labels() {
    let name = "r".repeat(100_000);
    let text = format!(
        "scope s {{\n    role {name} \"{}\"\n    action a\n    allow {name} to a\n}}\n",
        "é".repeat(50_000)
    );
    let t = table(&text);
    let request = format!(r#"{{"principal": {{"s": "{name}"}}, "action": "s:a"}}"#);
    assert_eq!(ask(&t, &request).decision.as_str(), "allow");
}

#[test]
fn wide_conditions_and_many_facts() {
    let facts: Vec<String> = (0..200).map(|i| format!("f{i}")).collect();
    let mut text = String::new();
    for f in &facts {
        text.push_str(&format!("fact {f}\n"));
    }
    text.push_str(&format!(
        "scope s {{\n role r\n action a\n allow r to a when {}\n}}\n",
        facts.join(" and ")
    ));
    let t = table(&text);
    let all_true: Vec<String> = facts.iter().map(|f| format!("\"{f}\": true")).collect();
    let request = format!(
        r#"{{"principal": {{"s": "r"}}, "action": "s:a", "context": {{{}}}}}"#,
        all_true.join(", ")
    );
    assert_eq!(ask(&t, &request).decision.as_str(), "allow");
    assert_eq!(
        ask(&t, r#"{"principal": {"s": "r"}, "action": "s:a"}"#)
            .decision
            .as_str(),
        "deny"
    );
}

#[test]
fn hostile_requests_get_errors() {
    let t = table("scope s {\n role r\n action a\n}\n");
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_roles = format!(
        r#"{{"principal": {{"s": [{}]}}, "action": "s:a"}}"#,
        vec!["\"r\""; 100_000].join(",")
    );
    for json in [
        deep_json.as_str(),
        "",
        "null",
        "\u{feff}{}",
        huge_roles.as_str(),
    ] {
        let _ = Request::from_json(json).and_then(|r| t.evaluate(&r));
    }
    assert_eq!(
        ask(&t, &huge_roles).roles,
        ["r"],
        "duplicate roles count once"
    );
}

#[test]
fn empty_and_comment_only_policies() {
    for text in ["", "# only a comment\n", "\n\n\n", "policy \"Empty\"\n"] {
        let t = compile_str("empty.policy", text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert_eq!(t.cell_count(), 0);
    }
}

#[test]
fn many_unknown_names_among_many_declared_ones() {
    // Suggesting the closest of 20,000 roles for each of 20,000 unknown
    // names compared 400 million pairs (hours); suggestions now stop after a
    // fixed amount of work and the help lists names instead.
    let n = 20_000;
    let mut text = String::from("scope s {\n action a\n");
    for i in 0..n {
        text.push_str(&format!(" role r{i}\n"));
    }
    for i in 0..n {
        text.push_str(&format!(" allow x{i} to a\n"));
    }
    text.push_str("}\n");
    let diagnostics = errors(&text);
    // The first `MAX_PER_CODE` are reported, then one diagnostic counts the rest.
    let kept = rolecall::resolve::MAX_PER_CODE;
    assert_eq!(diagnostics.len(), kept + 1);
    assert_eq!(diagnostics[0].message, "unknown role `x0` in scope `s`");
    assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `r0`?"));
    assert_eq!(
        diagnostics[1].message,
        format!(
            "{n} unknown roles in all: {kept} are reported, {} more are not",
            n - kept
        )
    );
    let last = diagnostics[kept].help.as_deref().unwrap_or_default();
    assert!(
        last.starts_with("scope `s` declares: `r0`, `r1`,") && last.ends_with(", …"),
        "{last}"
    );
}

#[test]
fn a_table_past_thirty_bit_indexes_is_a_diagnostic() {
    // 32,768 roles × 32,769 actions = 2^30 + 32,768 cells: an 800 KB policy
    // that would need 4 GiB of cells and indexes the table cannot hold.
    let mut text = String::from("scope small {\n role r\n action a\n}\nscope big {\n");
    for i in 0..32_768 {
        text.push_str(&format!(" role r{i}\n"));
    }
    for i in 0..32_769 {
        text.push_str(&format!(" action a{i}\n"));
    }
    text.push_str("}\n");
    let diagnostics = errors(&text);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].message,
        format!(
            "the decision table would have more than {} cells",
            rolecall::compile::MAX_INDEX
        )
    );
    assert_eq!(
        super::support::underlined(&diagnostics),
        ["big"],
        "points at the scope that passes the limit"
    );
}
