//! Issue 17: a request costs the same whatever the size of the policy. What
//! is checked here is what makes it so (a request resolves to the scopes it
//! names, helps and paths kept from line to line), and that the answers stay
//! those of the general path byte for byte.

use rolecall::Request;
use rolecall::compile::{RoleId, ScopeId};
use rolecall::eval::{LineEvaluator, MAX_CACHED_HELPS};
use rolecall::generate::{Spec, generate, requests};

use crate::lines::{agree, general};
use crate::support::{root, table};

#[test]
fn a_request_resolves_to_the_scopes_it_names_only() {
    let spec = Spec::new(1_000, 2, 4);
    let t = table(&generate(&spec));
    let lines: Vec<String> = requests(&spec, 400).lines().map(String::from).collect();
    for line in &lines {
        let request = Request::from_json(line).unwrap();
        let resolved = t.resolve_request(&request).unwrap();
        // One entry per scope named, in scope order, whatever the 1,000 scopes.
        let named: Vec<ScopeId> = resolved.scopes().collect();
        let mut expected: Vec<ScopeId> = request
            .principal
            .keys()
            .map(|s| t.scope_id(s).unwrap())
            .collect();
        expected.sort_unstable();
        assert_eq!(named, expected, "{line}");
        for (scope, roles) in &request.principal {
            let s = t.scope_id(scope).unwrap();
            let mut want: Vec<RoleId> = roles.iter().map(|r| t.role_id_in(s, r).unwrap()).collect();
            want.dedup();
            assert_eq!(
                resolved.assigned_roles(s).collect::<Vec<_>>(),
                want,
                "{line}"
            );
            assert_eq!(t.held_roles(&resolved, s).0, want, "{line}");
        }
        // A scope not named: nothing assigned, a default held.
        let other = t.scopes().find(|s| !named.contains(s)).unwrap();
        assert_eq!(resolved.assigned_roles(other).count(), 0);
        let default = match request.kind {
            Some(_) => rolecall::eval::RoleSource::KindDefault,
            None => rolecall::eval::RoleSource::ScopeDefault,
        };
        assert_eq!(t.held_roles(&resolved, other).1, default, "{line}");
    }
    // The fast path, which keeps per-scope storage from line to line, reads
    // each line alone: the same bytes as the general path.
    let answered = agree(&t, &lines);
    assert_eq!(answered, lines.len());
}

#[test]
fn error_helps_are_kept_per_kind_scope_and_name_and_read_the_same() {
    let t = rolecall::compile_file(&root().join("policies/livestorm.policy")).unwrap();
    let long = "x".repeat(300);
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..3 {
        // The same typo in two scopes: two different helps.
        lines.push(
            r#"{"principal": {"session": "speakr"}, "action": "session:send_emojis"}"#.into(),
        );
        lines.push(
            r#"{"principal": {"workspace": "speakr"}, "action": "session:send_emojis"}"#.into(),
        );
        lines.push(
            r#"{"principal": {"session": "viewer"}, "action": "session:send_emojiz"}"#.into(),
        );
        lines.push(
            r#"{"principal": {"session": "viewer"}, "action": "workspace:send_emojiz"}"#.into(),
        );
        // The same name as an unknown scope, kind and fact.
        lines
            .push(r#"{"principal": {"speakr": "viewer"}, "action": "session:send_emojis"}"#.into());
        lines.push(r#"{"principal": {}, "action": "speakr:send_emojis"}"#.into());
        lines
            .push(r#"{"principal": {}, "kind": "speakr", "action": "session:send_emojis"}"#.into());
        lines.push(
            r#"{"principal": {}, "action": "session:send_emojis", "context": {"speakr": true}}"#
                .into(),
        );
        lines.push(format!(
            r#"{{"principal": {{"session": "{long}"}}, "action": "session:send_emojis"}}"#
        ));
    }
    // More distinct typos than are kept, then the first ones again.
    for i in 0..MAX_CACHED_HELPS + 50 {
        lines.push(format!(
            r#"{{"principal": {{"session": "viewer"}}, "action": "session:send_emoji{i}"}}"#
        ));
    }
    lines.extend(lines.clone().into_iter().take(9));
    assert_eq!(agree(&t, &lines), 0);
    // The typo of a declared name is still suggested.
    let help = general(&t, &lines[0]).unwrap_err();
    assert!(help.contains("did you mean"), "{help}");
}

#[test]
fn kept_inheritance_paths_read_the_same_when_many_are_met() {
    // Deep chains: many (role, rule) pairs with long paths, more than are kept.
    let spec = Spec::new(1, 400, 60);
    let t = table(&generate(&spec));
    let lines: Vec<String> = requests(&spec, 3_000).lines().map(String::from).collect();
    let answered = agree(&t, &lines);
    assert_eq!(answered, lines.len());
    // And the same lines again through one evaluator that met them all.
    let mut evaluator = LineEvaluator::new(&t);
    for line in lines.iter().chain(lines.iter()) {
        let mut out = Vec::new();
        evaluator.answer(line, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), general(&t, line).unwrap());
    }
}
