//! `DecisionTable::check`, the library's ordinary path: the same decision
//! and deciding rule as `evaluate`, and the same errors, for every request.

use rolecall::{Request, compile_file};

use super::support::root;

/// Every cell of both reference policies, with and without each kind, every
/// fact set to true once: `check` agrees with `evaluate`.
#[test]
fn check_agrees_with_evaluate_on_the_reference_policies() {
    for name in ["livestorm", "goto_webinar"] {
        let table = compile_file(&root().join(format!("policies/{name}.policy"))).unwrap();
        let policy = &table.policy();
        let kinds: Vec<Option<String>> = std::iter::once(None)
            .chain(policy.kinds.keys().map(|k| Some(k.clone())))
            .collect();
        let facts: Vec<Option<&String>> = std::iter::once(None)
            .chain(policy.facts.keys().map(Some))
            .collect();
        let mut compared = 0;
        for (scope_name, scope) in &policy.scopes {
            for action in scope.actions.keys() {
                for role in scope.roles.keys() {
                    for kind in &kinds {
                        for fact in &facts {
                            let request = Request {
                                principal: [(scope_name.clone(), vec![role.clone()])]
                                    .into_iter()
                                    .collect(),
                                kind: kind.clone(),
                                action: format!("{scope_name}:{action}"),
                                context: fact.map(|f| (f.clone(), true)).into_iter().collect(),
                                settings: Default::default(),
                                target: None,
                            };
                            let verdict = table.check(&request);
                            match table.evaluate(&request) {
                                Ok(answer) => {
                                    let verdict = verdict.unwrap();
                                    assert_eq!(verdict.decision(), answer.decision, "{request:?}");
                                    assert_eq!(
                                        verdict.rule().and_then(|r| table.rule_at(r)),
                                        answer.rule,
                                        "{request:?}"
                                    );
                                }
                                Err(e) => assert_eq!(verdict.unwrap_err(), e, "{request:?}"),
                            }
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 1000, "{name}: {compared}");
    }
}

#[test]
fn check_reports_every_kind_of_unknown_name() {
    let table = compile_file(&root().join("policies/livestorm.policy")).unwrap();
    for json in [
        r#"{"principal": {"session": "viewer"}, "action": "nope"}"#,
        r#"{"principal": {"session": "viewer"}, "action": "sesion:send_emojis"}"#,
        r#"{"principal": {"session": "viewer"}, "action": "session:send_emoji"}"#,
        r#"{"principal": {"sesion": "viewer"}, "action": "session:send_emojis"}"#,
        r#"{"principal": {"session": "viewr"}, "action": "session:send_emojis"}"#,
        r#"{"principal": {"session": "viewer"}, "action": "session:send_emojis", "kind": "alien"}"#,
        r#"{"principal": {"session": "viewer"}, "action": "session:send_emojis", "context": {"nope": true}}"#,
    ] {
        let request = Request::from_json(json).unwrap();
        let expected = table.evaluate(&request).unwrap_err();
        assert_eq!(table.check(&request).unwrap_err(), expected, "{json}");
    }
}
