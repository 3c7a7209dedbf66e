//! `rolecall serve` secure by default (issue 20, §3): claimed roles are not
//! trusted unless asked for.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::serve::{post, start, todo_config, webinar_config};

/// `subject` asks to delete todo 1, owned by Rick; the decision and the error message.
fn delete_ricks_todo(addr: SocketAddr, subject: Value) -> (bool, String) {
    let reply = post(
        addr,
        "/access/v1/evaluation",
        &json!({"subject": subject, "action": {"name": "can_delete_todo"},
                "resource": {"type": "todo", "id": "1",
                             "properties": {"ownerID": "rick@the-citadel.com"}}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    (
        json["decision"] == json!(true),
        json["context"]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Subjects the principals file does not list, each claiming `admin`: an
/// unknown id, a case variant of a listed id, a listed id under another type.
fn claimants() -> Vec<Value> {
    let admin = json!({"roles": ["admin"], "kind": null});
    vec![
        json!({"type": "user", "id": "mallory", "properties": admin}),
        json!({"type": "user", "id": "Rick@The-Citadel.com", "properties": admin}),
        json!({"type": "robot", "id": "rick@the-citadel.com", "properties": admin}),
        json!({"type": "user", "id": "mallory", "properties": {"roles": {"todo": "admin"}}}),
    ]
}

#[test]
fn unlisted_subjects_get_no_claimed_roles_by_default() {
    let server = start(todo_config());
    let addr = server.local_addr();
    for subject in claimants() {
        assert_eq!(
            delete_ricks_todo(addr, subject.clone()),
            (false, String::new()),
            "{subject}"
        );
    }
    // A claimed role the policy does not declare is not even read.
    let bogus = json!({"type": "user", "id": "mallory", "properties": {"roles": ["root"]}});
    assert_eq!(delete_ricks_todo(addr, bogus), (false, String::new()));
    // The listed subject keeps its roles from the file.
    let rick = json!({"type": "user", "id": "rick@the-citadel.com"});
    assert_eq!(delete_ricks_todo(addr, rick), (true, String::new()));
    // Jerry is listed as a viewer: claiming admin changes nothing.
    let jerry =
        json!({"type": "user", "id": "jerry@the-smiths.com", "properties": {"roles": ["admin"]}});
    assert_eq!(delete_ricks_todo(addr, jerry), (false, String::new()));
}

#[test]
fn trust_claimed_roles_reads_the_claims_of_unlisted_subjects() {
    let mut config = todo_config();
    config.trust_claimed_roles = true;
    let server = start(config);
    let addr = server.local_addr();
    for subject in claimants() {
        assert_eq!(
            delete_ricks_todo(addr, subject.clone()),
            (true, String::new()),
            "{subject}"
        );
    }
    // Trusted claims are checked: an undeclared role is an error.
    let bogus = json!({"type": "user", "id": "mallory", "properties": {"roles": ["root"]}});
    let (decision, error) = delete_ricks_todo(addr, bogus);
    assert!(!decision);
    assert!(error.contains("unknown role `root`"), "{error}");
    // A listed subject still gets the file's roles, not its claims.
    let jerry =
        json!({"type": "user", "id": "jerry@the-smiths.com", "properties": {"roles": ["admin"]}});
    assert_eq!(delete_ricks_todo(addr, jerry), (false, String::new()));
}

#[test]
fn without_a_principals_file_only_the_defaults_apply_unless_claims_are_trusted() {
    let ask = |trust: bool, roles: Value, action: &str| {
        let mut config = webinar_config();
        config.trust_claimed_roles = trust;
        let server = start(config);
        let reply = post(
            server.local_addr(),
            "/access/v1/evaluation",
            &json!({"subject": {"type": "user", "id": "ada", "properties": {"roles": roles}},
                    "action": {"name": action}, "resource": {"type": "session", "id": "s1"},
                    "context": {"organizer_permission": true}}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["decision"] == json!(true)
    };
    assert!(!ask(false, json!(["panelist"]), "present"));
    assert!(ask(true, json!(["panelist"]), "present"));
    // The scope default still applies to a subject with no trusted role.
    assert!(ask(false, json!(["panelist"]), "chat"));
}
