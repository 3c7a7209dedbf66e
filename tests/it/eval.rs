//! Evaluation semantics: the combination rule, several roles, defaults,
//! overrides, assignability, facts, errors.

use rolecall::{EvalError, Request};

use super::support::{ByPosition, ask, decide, table};

const HIERARCHY: &str = r#"
fact risky_allowed
scope session {
    role viewer
    role speaker : viewer
    role external_speaker : speaker
    role moderator : speaker
    role organizer : moderator
    action chat
    action block
    action layout
    action start
    allow viewer to chat
    allow speaker to layout
    allow moderator to block, start
    deny external_speaker to layout, chat when not risky_allowed
    deny moderator to chat
    allow organizer to chat
}
"#;

fn req(role: &str, action: &str) -> String {
    format!(r#"{{"principal": {{"session": "{role}"}}, "action": "session:{action}"}}"#)
}

#[test]
fn nearest_rule_wins_and_deny_refines_inheritance() {
    let t = table(HIERARCHY);
    assert_eq!(decide(&t, &req("viewer", "chat")), "allow");
    assert_eq!(
        decide(&t, &req("speaker", "chat")),
        "allow",
        "inherited from viewer"
    );
    // moderator's own deny beats the allow inherited from viewer.
    assert_eq!(decide(&t, &req("moderator", "chat")), "deny");
    // organizer's own allow beats the deny inherited from moderator.
    assert_eq!(decide(&t, &req("organizer", "chat")), "allow");
    assert_eq!(decide(&t, &req("organizer", "block")), "allow");
    assert_eq!(decide(&t, &req("speaker", "block")), "deny");
}

#[test]
fn a_false_condition_lets_the_inherited_rule_decide() {
    let t = table(HIERARCHY);
    assert_eq!(decide(&t, &req("external_speaker", "layout")), "deny");
    let with_fact = r#"{"principal": {"session": "external_speaker"}, "action": "session:layout", "context": {"risky_allowed": true}}"#;
    let answer = ask(&t, with_fact);
    assert_eq!(answer.decision.as_str(), "allow");
    assert_eq!(answer.rule.as_deref(), Some("test.policy:14"));
    assert_eq!(
        answer.via,
        Some(vec!["external_speaker".to_string(), "speaker".to_string()])
    );
}

#[test]
fn missing_facts_that_would_change_the_answer_are_named() {
    let t = table(HIERARCHY);
    let answer = ask(&t, &req("external_speaker", "chat"));
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.would_change, ["risky_allowed"]);
    assert!(ask(&t, &req("viewer", "chat")).would_change.is_empty());
}

#[test]
fn equal_distance_deny_beats_allow() {
    let t = table(
        "scope s {\n role a\n role b\n role c : a, b\n action x\n allow a to x\n deny b to x\n}\n",
    );
    let answer = ask(&t, &req_scope("s", "c", "x"));
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.rule.as_deref(), Some("test.policy:7"));
}

fn req_scope(scope: &str, role: &str, action: &str) -> String {
    format!(r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{scope}:{action}"}}"#)
}

#[test]
fn several_roles_combine_by_union() {
    let t = table(
        "scope session {\n role attendee\n role presenter\n action share_screen\n action chat\n allow presenter to share_screen\n allow attendee to chat\n}\n",
    );
    let both = r#"{"principal": {"session": ["attendee", "presenter"]}, "action": "session:share_screen"}"#;
    assert_eq!(decide(&t, both), "allow");
    assert_eq!(decide(&t, &req("attendee", "share_screen")), "deny");
    let chat = r#"{"principal": {"session": ["presenter", "attendee"]}, "action": "session:chat"}"#;
    let answer = ask(&t, chat);
    assert_eq!(answer.decision.as_str(), "allow");
    assert_eq!(
        answer.roles,
        ["attendee", "presenter"],
        "declaration order, whatever the request order"
    );
}

const OVERRIDES: &str = r#"
fact event_owner
kind team_member
kind registrant
scope workspace {
    role member
    role admin : member
    role owner : admin
}
scope session {
    role viewer
    role speaker : viewer
    role organizer : speaker
    action start
    action watch
    allow organizer to start
    allow viewer to watch
    default viewer
    default team_member: speaker
    assignable registrant: speaker, viewer
}
workspace.admin joins session as organizer
event_owner joins session as organizer
"#;

#[test]
fn overrides_replace_the_assigned_role() {
    let t = table(OVERRIDES);
    let admin_viewer =
        r#"{"principal": {"workspace": "admin", "session": "viewer"}, "action": "session:start"}"#;
    let answer = ask(&t, admin_viewer);
    assert_eq!(answer.decision.as_str(), "allow");
    assert_eq!(answer.roles, ["organizer"]);
    assert_eq!(answer.assigned, ["viewer"]);
    let o = answer.override_applied.expect("override");
    assert_eq!(o.text, "workspace.admin joins session as organizer");
    assert_eq!(o.at, "test.policy:22");
    // The owner inherits admin, so the override applies to it too.
    let owner = r#"{"principal": {"workspace": "owner"}, "action": "session:start"}"#;
    assert_eq!(decide(&t, owner), "allow");
    let member =
        r#"{"principal": {"workspace": "member", "session": "viewer"}, "action": "session:start"}"#;
    assert_eq!(decide(&t, member), "deny");
    let event_owner = r#"{"principal": {"session": "viewer"}, "action": "session:start", "context": {"event_owner": true}}"#;
    assert_eq!(decide(&t, event_owner), "allow");
    assert_eq!(ask(&t, member).would_change, ["event_owner"]);
}

#[test]
fn defaults_by_kind_and_by_scope() {
    let t = table(OVERRIDES);
    let nobody = r#"{"principal": {}, "action": "session:watch"}"#;
    let answer = ask(&t, nobody);
    assert_eq!(
        (answer.decision.as_str(), answer.default.as_deref()),
        ("allow", Some("viewer"))
    );
    let team = r#"{"principal": {}, "kind": "team_member", "action": "session:watch"}"#;
    assert_eq!(ask(&t, team).roles, ["speaker"]);
    let no_role_in_workspace = r#"{"principal": {}, "action": "session:start"}"#;
    assert_eq!(decide(&t, no_role_in_workspace), "deny");
}

#[test]
fn default_none_means_no_access() {
    let t = table(
        "kind guest\nscope s {\n role r\n action a\n allow r to a\n default r\n default guest: none\n}\n",
    );
    let answer = ask(&t, r#"{"principal": {}, "kind": "guest", "action": "s:a"}"#);
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.default.as_deref(), Some("none"));
    assert!(answer.reason.contains("no role"), "{}", answer.reason);
    assert_eq!(decide(&t, r#"{"principal": {}, "action": "s:a"}"#), "allow");
}

fn error(t: &rolecall::DecisionTable, json: &str) -> EvalError {
    match Request::from_json(json).and_then(|r| t.evaluate(&r)) {
        Ok(a) => panic!("expected an error, got {a:?}"),
        Err(e) => e,
    }
}

#[test]
fn unknown_names_and_unassignable_roles_are_errors() {
    let t = table(OVERRIDES);
    let cases = [
        (
            r#"{"principal": {"session": "organizer"}, "kind": "registrant", "action": "session:start"}"#,
            "a registrant cannot be assigned role `organizer` in scope `session` (assignable: speaker, viewer)",
        ),
        (
            r#"{"principal": {"sesion": "viewer"}, "action": "session:start"}"#,
            "unknown scope `sesion` (did you mean `session`?)",
        ),
        (
            r#"{"principal": {"session": "viewr"}, "action": "session:start"}"#,
            "unknown role `viewr` in scope `session` (did you mean `viewer`?)",
        ),
        (
            r#"{"principal": {}, "action": "session:stat"}"#,
            "unknown action `stat` in scope `session` (did you mean `start`?)",
        ),
        (
            r#"{"principal": {}, "action": "start"}"#,
            "action `start` is not of the form `scope:action`",
        ),
        (
            r#"{"principal": {}, "action": "session:start", "context": {"owner": true}}"#,
            "unknown fact `owner` (did you mean `event_owner`?)",
        ),
        (
            r#"{"principal": {}, "kind": "staff", "action": "session:start"}"#,
            "unknown kind `staff` (the policy declares: `team_member`, `registrant`)",
        ),
        (
            r#"{"principal": {}, "action": "session:start", "context": {"event_owner": "yes"}}"#,
            "invalid request: context.event_owner: a fact is true or false, a setting a string",
        ),
        (
            r#"{"principal": {"session": 3}, "action": "session:start"}"#,
            "invalid request: principal.session: a role name or an array of role names",
        ),
        (
            r#"{"action": "session:start"}"#,
            "invalid request: missing field `principal`",
        ),
        (
            r#"{"principal": {}, "action": "session:start", "extra": 1}"#,
            "invalid request: unknown field `extra`; a request has `principal`, `action`, and optionally `kind`, `context`, `target` and `target_kind`",
        ),
        (r#"[1]"#, "invalid request: a request is a JSON object"),
    ];
    for (json, expected) in cases {
        assert_eq!(error(&t, json).to_string(), expected, "for {json}");
    }
    assert!(
        error(&t, "{not json")
            .to_string()
            .starts_with("invalid JSON: ")
    );
}

/// A request wrong in several ways gets one error, wherever each fault is:
/// JSON first (a syntax error or a key given twice, even after a shape
/// error), then an unknown field, `principal`, `kind`, `action`, `context`,
/// then unknown names; the first in the document among equals. The fast
/// path leaves each to the general one, so `eval` prints the same.
#[test]
fn of_several_faults_the_same_one_is_reported_wherever_it_is() {
    let t = table(OVERRIDES);
    let cases = [
        (
            r#"{"principal": 1, "context": {"a": {"b": 1, "b": 2}}, "action": "s:x"}"#,
            r#"invalid request: duplicate key "b" at line 1 column 46"#,
        ),
        (
            r#"{"kind": 1, "who": [{"x": 1, "x": 1}], "action": "s:x"}"#,
            r#"invalid request: duplicate key "x" at line 1 column 32"#,
        ),
        (
            r#"{"context": 1, "who": 1, "who": 2}"#,
            r#"invalid request: duplicate key "who" at line 1 column 30"#,
        ),
        (
            r#"{"principal": 1, "action": 2} x"#,
            "invalid JSON: trailing characters at line 1 column 31",
        ),
        (
            r#"{"context": [], "action": 1, "kind": 2, "principal": 3, "who": 4, "what": 5}"#,
            "invalid request: unknown field `who`; a request has `principal`, `action`, and optionally `kind`, `context`, `target` and `target_kind`",
        ),
        (
            r#"{"context": [], "action": 1, "kind": 2, "principal": {"a": 1, "b": [1]}}"#,
            "invalid request: principal.a: a role name or an array of role names",
        ),
        (
            r#"{"context": [], "action": 1, "kind": 2}"#,
            "invalid request: missing field `principal`",
        ),
        (
            r#"{"context": {"x": 1, "y": null}, "action": 1, "kind": 2, "principal": {}}"#,
            "invalid request: `kind` is a string",
        ),
        (
            r#"{"context": {"x": 1, "y": null}, "principal": {"ghost": "nobody"}}"#,
            "invalid request: missing field `action`",
        ),
        (
            r#"{"context": {"x": 1, "y": null}, "principal": {"ghost": "nobody"}, "action": "s:x"}"#,
            "invalid request: context.x: a fact is true or false, a setting a string",
        ),
    ];
    for (json, expected) in cases {
        assert_eq!(error(&t, json).to_string(), expected, "for {json}");
        let mut out = Vec::new();
        let fast = rolecall::eval::LineEvaluator::new(&t).answer(json, &mut out);
        assert_eq!(fast, Err(expected.to_string()), "for {json}");
        // A parsed value reads the same (it cannot hold a key twice).
        if let Ok(value) = rolecall::json::from_str(json) {
            assert_eq!(
                Request::from_value(&value),
                Request::from_json(json),
                "for {json}"
            );
        }
    }
}

#[test]
fn fast_path_from_ids_agrees_with_names() {
    let t = table(HIERARCHY);
    let facts = rolecall::compile::FactSet::new();
    let scope = t.policy().scopes.get("session").expect("scope");
    for action in scope.actions.keys() {
        let a = t.action_id("session", action).expect("action");
        for role in scope.roles.keys() {
            let r = t.role_id("session", role).expect("role");
            let by_ids = t.allows(a, r, &facts);
            let by_names = decide(&t, &req(role, action)) == "allow";
            assert_eq!(by_ids, by_names, "{role} {action}");
        }
    }
}

/// `allows` answers a conditional cell from a truth table when its condition
/// reads at most six facts, and by trying the rules past that: both agree with
/// `decide` for every assignment of the facts.
#[test]
fn conditional_cells_agree_on_both_paths_for_every_assignment() {
    let facts: Vec<String> = (0..8).map(|i| format!("f{i}")).collect();
    let mut text: String = facts.iter().map(|f| format!("fact {f}\n")).collect();
    text.push_str(
        "scope s {\n  role base\n  role top : base\n  action few\n  action many\n  action mixed\n\
         allow base to few when f0 and not f1\n\
         deny top to few when f2\n\
         allow top to many when (f0 or f1) and (f2 or not f3) and (f4 or f5 or f6) and not f7\n\
         allow base to mixed when f0 or f1 or f2 or f3 or f4 or f5 or f6\n\
         deny top to mixed when f7 and f0\n}\n",
    );
    let t = table(&text);
    for mask in 0u32..256 {
        let mut set = rolecall::compile::FactSet::new();
        for (i, f) in facts.iter().enumerate() {
            if mask & (1 << i) != 0 {
                set.insert(t.fact_id(f).expect("fact"));
            }
        }
        for action in ["few", "many", "mixed"] {
            let a = t.action_id("s", action).expect("action");
            for role in ["base", "top"] {
                let r = t.role_id("s", role).expect("role");
                let decided = t.decide(a, r, &set).effect == rolecall::Effect::Allow;
                assert_eq!(t.allows(a, r, &set), decided, "{role} {action} {mask:08b}");
            }
        }
    }
}

#[test]
fn conditional_cells_show_the_effective_condition() {
    let t = table(HIERARCHY);
    let s = t.scope_id("session").expect("scope").index();
    let layout = t.policy().scopes.get_index(s).expect("scope").1;
    let a = layout.actions.get_index_of("layout").expect("action");
    let r = layout.roles.get_index_of("external_speaker").expect("role");
    let cell = t.cell_by(s, a, r).expect("cell");
    assert_eq!(cell.decision, rolecall::compile::CellDecision::Conditional);
    assert_eq!(cell.condition(), Some("risky_allowed"));
}

#[test]
fn a_condition_that_cannot_change_the_outcome_is_not_conditional() {
    let t = table(
        "fact f\nscope s {\n role r\n action a\n deny r to a when f\n allow r to a when f or not f\n}\n",
    );
    let cell = t.cell_by(0, 0, 0).expect("cell");
    // allowed when (not f) and (f or not f) = not f: still conditional.
    assert_eq!(cell.decision, rolecall::compile::CellDecision::Conditional);
    let t = table("fact f\nscope s {\n role r\n action a\n allow r to a when f or not f\n}\n");
    assert_eq!(
        t.cell_by(0, 0, 0).expect("cell").decision,
        rolecall::compile::CellDecision::Allow
    );
}
