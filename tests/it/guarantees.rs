//! The guarantees of docs/reliability.md that no other module states alone.

use rolecall::compile::CellDecision;
use rolecall::render::{Format, render};

use super::support::{ByPosition, ask, root, table};

#[test]
fn what_no_rule_allows_is_denied() {
    let t = table(
        "fact f\nscope s {\n role r\n role q\n action a\n action b\n allow r to a when f\n}\n",
    );
    // A cell no rule names: deny, decided by no rule.
    let cell = t.cell_by(0, 1, 0).unwrap();
    assert_eq!((cell.decision, cell.rule), (CellDecision::Deny, None));
    let cell = t.cell_by(0, 0, 1).unwrap();
    assert_eq!((cell.decision, cell.rule), (CellDecision::Deny, None));
    // A condition that does not hold, or a fact not given: deny.
    for context in [r#"{"f": false}"#, "{}"] {
        let json =
            format!(r#"{{"principal": {{"s": "r"}}, "action": "s:a", "context": {context}}}"#);
        let answer = ask(&t, &json);
        assert_eq!(answer.decision.as_str(), "deny", "{context}");
        assert_eq!(answer.rule, None);
    }
    // No role at all, and no default: deny.
    assert_eq!(
        ask(&t, r#"{"principal": {}, "action": "s:a"}"#)
            .decision
            .as_str(),
        "deny"
    );
}

#[test]
fn outputs_are_identical_across_compilations() {
    // Every compilation builds its hash maps with fresh random seeds; no
    // output may depend on them.
    for policy in ["policies/livestorm.policy", "policies/goto_webinar.policy"] {
        let outputs: Vec<String> = (0..3)
            .map(|_| {
                let t = rolecall::compile_file(&root().join(policy)).unwrap();
                let mut out = String::new();
                for format in [Format::Text, Format::Markdown, Format::Csv, Format::Json] {
                    out.push_str(&render(&t, format, None, false));
                }
                for (name, scope) in &t.policy().scopes {
                    for (action, declared) in &scope.actions {
                        for role in scope.roles.keys() {
                            // A targeted action is asked of a target holding the same role.
                            let target = if declared.targeted {
                                format!(r#", "target": {{"{name}": "{role}"}}"#)
                            } else {
                                String::new()
                            };
                            let json = format!(
                                r#"{{"principal": {{"{name}": "{role}"}}, "action": "{name}:{action}"{target}}}"#
                            );
                            out.push_str(&serde_json::to_string(&ask(&t, &json)).unwrap());
                        }
                    }
                }
                out
            })
            .collect();
        assert!(outputs[0].len() > 10_000);
        assert_eq!(outputs[0], outputs[1], "{policy}");
        assert_eq!(outputs[0], outputs[2], "{policy}");
    }
}

/// A rule's line, found once at resolution, is the line its location
/// starts on, in its own file (an included file's rules too).
#[test]
fn a_rules_stored_line_is_its_locations_line() {
    let dir = crate::support::root().join("policies");
    let mut files = vec![
        dir.join("livestorm.policy"),
        dir.join("goto_webinar.policy"),
    ];
    for entry in std::fs::read_dir(dir.join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "policy") {
            files.push(path);
        }
    }
    let mut checked = 0;
    for file in files {
        let Ok(table) = rolecall::compile_file(&file) else {
            continue;
        };
        for rule in &table.policy().rules {
            assert_eq!(rule.line, rule.loc.line(), "{}", rule.file_line());
            assert_eq!(rule.file_line(), rule.loc.file_line());
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} rules");
}
