//! The library's facade as a Rust service uses it: names resolved once to
//! typed ids, then decisions, rows, columns and explanations by id.

use rolecall::compile::{Access, CellDecision, FactSet};
use rolecall::{Effect, Request};

const POLICY: &str = "\
fact live
scope session {
    role viewer
    role host : viewer
    action chat
    action mute
    allow host to mute
    allow viewer to chat when live
    deny viewer to mute
}
";

#[test]
fn names_resolve_to_typed_ids_and_back() {
    let t = rolecall::compile_str("p.policy", POLICY).unwrap();
    let session = t.scope_id("session").unwrap();
    assert_eq!(t.scope_name(session), Some("session"));
    assert_eq!(t.scopes().collect::<Vec<_>>(), [session]);
    let chat = t.action_id_in(session, "chat").unwrap();
    assert_eq!(t.action_id("session", "chat"), Some(chat));
    assert_eq!(chat.scope_id(), session);
    assert_eq!(t.action_name(chat), Some("chat"));
    let host = t.role_id_in(session, "host").unwrap();
    assert_eq!(t.role_name(host), Some("host"));
    let roles: Vec<_> = t.roles(session).filter_map(|r| t.role_name(r)).collect();
    assert_eq!(roles, ["viewer", "host"]);
    let actions: Vec<_> = t
        .actions(session)
        .filter_map(|a| t.action_name(a))
        .collect();
    assert_eq!(actions, ["chat", "mute"]);
    let live = t.fact_id("live").unwrap();
    assert_eq!(t.fact_name(live), Some("live"));
    // Unknown names are `None`, never a default id.
    assert_eq!(t.scope_id("webinar"), None);
    assert_eq!(t.action_id_in(session, "kick"), None);
    assert_eq!(t.fact_id("dead"), None);
    assert_eq!(t.scope_at(1), None);
    // Every rule has an id, and its location.
    let at: Vec<String> = t.rule_ids().filter_map(|r| t.rule_at(r)).collect();
    assert_eq!(at, ["p.policy:7", "p.policy:8", "p.policy:9"]);
}

#[test]
fn decisions_by_id_cite_rules_by_id() {
    let t = rolecall::compile_str("p.policy", POLICY).unwrap();
    let chat = t.action_id("session", "chat").unwrap();
    let mute = t.action_id("session", "mute").unwrap();
    let viewer = t.role_id("session", "viewer").unwrap();
    let host = t.role_id("session", "host").unwrap();
    let mut facts = FactSet::new();
    assert!(!t.allows(chat, viewer, &facts));
    facts.insert(t.fact_id("live").unwrap());
    assert!(t.allows(chat, viewer, &facts));
    assert!(facts.contains(t.fact_id("live").unwrap()));
    facts.remove(t.fact_id("live").unwrap());
    assert!(!t.allows(chat, viewer, &facts));

    let outcome = t.decide(mute, host, &facts);
    assert_eq!(outcome.effect, Effect::Allow);
    let rule = outcome.rule.unwrap();
    assert_eq!(t.rule_at(rule).as_deref(), Some("p.policy:7"));
    assert_eq!(t.cell(mute, host).unwrap().rule, Some(rule));
    assert_eq!(t.cell(mute, viewer).unwrap().decision, CellDecision::Deny);
    // The host inherits viewer's conditional chat: the path names both.
    let chat_rule = t.rule_ids().nth(1).unwrap();
    let path: Vec<_> = t
        .inheritance_path(host, chat_rule)
        .into_iter()
        .filter_map(|r| t.role_name(r))
        .collect();
    assert_eq!(path, ["host", "viewer"]);
    // A verdict names its rule by the same id.
    let request =
        Request::from_json(r#"{"principal": {"session": "host"}, "action": "session:mute"}"#)
            .unwrap();
    assert_eq!(t.check(&request).unwrap().rule(), Some(rule));
}

#[test]
fn who_can_and_what_can_read_a_row_and_a_column() {
    let t = rolecall::compile_str("p.policy", POLICY).unwrap();
    let name = |r| t.role_name(r).unwrap();
    let chat = t.action_id("session", "chat").unwrap();
    let who: Vec<_> = t.who_can(chat).map(|(r, a)| (name(r), a)).collect();
    assert_eq!(
        who,
        [
            ("viewer", Access::When("live")),
            ("host", Access::When("live"))
        ]
    );
    let mute = t.action_id("session", "mute").unwrap();
    let rule = t.rule_ids().next();
    let who: Vec<_> = t.who_can(mute).map(|(r, a)| (name(r), a)).collect();
    assert_eq!(who, [("host", Access::Always { rule })]);
    let viewer = t.role_id("session", "viewer").unwrap();
    let what: Vec<_> = t
        .what_can(viewer)
        .map(|(a, access)| (t.action_name(a).unwrap(), access))
        .collect();
    assert_eq!(what, [("chat", Access::When("live"))]);
    // A role of another scope may do nothing here.
    assert_eq!(t.access(mute, viewer), None);
}

#[test]
fn an_evaluation_is_typed_and_explains_itself() {
    let t = rolecall::compile_str("p.policy", POLICY).unwrap();
    let request =
        Request::from_json(r#"{"principal": {"session": "host"}, "action": "session:chat"}"#)
            .unwrap();
    let resolved = t.resolve_request(&request).unwrap();
    let e = t.evaluate_resolved(&resolved);
    let session = t.scope_id("session").unwrap();
    let host = t.role_id("session", "host").unwrap();
    assert_eq!(e.scope, session);
    assert_eq!(e.roles, [host]);
    assert_eq!(e.effect, Effect::Deny);
    assert_eq!(resolved.assigned_roles(session).collect::<Vec<_>>(), [host]);
    assert_eq!(t.held_roles(&resolved, session).0, [host]);
    let would: Vec<_> = t
        .facts_that_would_change(&resolved, e.effect)
        .into_iter()
        .filter_map(|f| t.fact_name(f))
        .collect();
    assert_eq!(would, ["live"]);
    let text = rolecall::eval::explain(&t, &resolved, &e);
    assert!(text.starts_with("action: session:chat\n"), "{text}");
}

#[test]
fn an_explanation_is_ids_and_the_part_of_the_rule_that_decided() {
    use rolecall::eval::{Status, Why};
    let t = rolecall::compile_str(
        "p.policy",
        "fact live\nscope session {\n role viewer\n role host : viewer\n action chat\n \
         allow viewer to chat\n deny viewer to chat when live\n allow host to chat when live\n}\n",
    )
    .unwrap();
    let request =
        Request::from_json(r#"{"principal": {"session": "host"}, "action": "session:chat"}"#)
            .unwrap();
    let resolved = t.resolve_request(&request).unwrap();
    let x = t.explanation(&resolved, &t.evaluate_resolved(&resolved));
    let host = t.role_id("session", "host").unwrap();
    let viewer = t.role_id("session", "viewer").unwrap();
    assert_eq!(x.evaluation.roles, [host]);
    assert_eq!(x.evaluation.effect, Effect::Allow);
    let account = &x.roles[0];
    // host's own conditional allow (false: live is missing), then viewer's
    // deny before its allow at distance 1.
    let seen: Vec<_> = account
        .candidates
        .iter()
        .map(|c| (t.rule_at(c.rule).unwrap(), c.distance, c.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("p.policy:8".to_string(), 0, Status::ConditionFalse),
            ("p.policy:7".to_string(), 1, Status::ConditionFalse),
            ("p.policy:6".to_string(), 1, Status::Decides),
        ]
    );
    assert_eq!(account.candidates[2].path, [host, viewer]);
    assert_eq!(account.why, Why::NearestHolding(Effect::Allow, 1));
    let live = t.fact_id("live").unwrap();
    assert_eq!(x.would_change, Vec::<rolecall::compile::FactId>::new());
    // With live true, host's own allow decides at distance 0.
    let request = Request::from_json(
        r#"{"principal": {"session": "host"}, "action": "session:chat", "context": {"live": true}}"#,
    )
    .unwrap();
    let resolved = t.resolve_request(&request).unwrap();
    let x = t.explanation(&resolved, &t.evaluate_resolved(&resolved));
    assert_eq!(x.true_facts, [live]);
    assert_eq!(x.roles[0].why, Why::Nearest(Effect::Allow, 0));
    let text = rolecall::eval::render_explanation(&t, &x);
    assert!(text.contains("<- decides"), "{text}");
}
