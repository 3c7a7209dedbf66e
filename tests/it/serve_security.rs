//! `rolecall serve` secure by default (issue 20, §3): claimed roles are not
//! trusted unless asked for, error contexts do not map the policy, bearer
//! tokens, TLS. Servers listen on 127.0.0.1, port 0.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::serve::{
    Reply, parse_reply, post, request, scratch, scratch_config, start, todo_config, webinar_config,
};

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
    assert_eq!(
        delete_ricks_todo(addr, jerry.clone()),
        (false, String::new())
    );
    // An action search reports the same error, with no results, in the request's terms.
    let search = |subject: Value| {
        let reply = post(
            addr,
            "/access/v1/search/action",
            &json!({"subject": subject, "resource": {"type": "todo", "id": "1"}}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    let bogus = json!({"type": "user", "id": "mallory", "properties": {"roles": ["admn"]}});
    assert_eq!(
        search(bogus),
        json!({"page": {"next_token": "", "count": 0, "total": 0}, "results": [],
               "context": {"error": {"status": 400, "message": "unknown role `admn`"}}})
    );
    let claimed = search(claimants().remove(0));
    // Admin: all but updating a todo it does not own.
    assert_eq!(claimed["page"]["total"], 4, "{claimed}");
    assert_eq!(search(jerry)["page"]["total"], 2);
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

/// A policy with a scope default and a kind default, and a principals file
/// listing ada (a `staff`, no role) and bob (an `owner`), in a fresh directory.
fn defaults_config(name: &str) -> rolecall::serve::Config {
    let dir = scratch(name);
    std::fs::write(
        dir.join("docs.policy"),
        "policy \"Docs\"\nkind staff \"Staff\"\n\nscope doc \"Document\" {\n    role reader \"Reader\"\n    role editor \"Editor\" : reader\n    role owner \"Owner\" : editor\n\n    action read \"Read\"\n    action edit \"Edit\"\n    action destroy \"Destroy\"\n\n    allow reader to read\n    allow editor to edit\n    allow owner to destroy\n    default reader\n    default staff: editor\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("docs.principals.json"),
        r#"{"subjects": {"ada": {"type": "user", "kind": "staff"},
                         "bob": {"type": "user", "roles": {"doc": "owner"}}}}"#,
    )
    .unwrap();
    let mut config = todo_config();
    config.policy = dir.join("docs.policy");
    config.principals = Some(dir.join("docs.principals.json"));
    config
}

/// Which of read, edit, destroy `subject` may do on a doc.
fn may(addr: SocketAddr, subject: &Value) -> Vec<&'static str> {
    ["read", "edit", "destroy"]
        .into_iter()
        .filter(|action| {
            let reply = post(
                addr,
                "/access/v1/evaluation",
                &json!({"subject": subject, "action": {"name": action},
                        "resource": {"type": "doc", "id": "1"}}),
            );
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(
                reply.json().get("context"),
                None,
                "{subject}: {}",
                reply.body
            );
            reply.json()["decision"] == json!(true)
        })
        .collect()
}

#[test]
fn an_unlisted_subject_gets_the_defaults_and_neither_its_claimed_roles_nor_its_claimed_kind() {
    let claims = json!({"roles": ["owner"], "kind": "staff"});
    let unlisted = [
        json!({"type": "user", "id": "mallory", "properties": claims}),
        // A case variant of a listed id, a listed id under another type.
        json!({"type": "user", "id": "Ada", "properties": claims}),
        json!({"type": "User", "id": "ada", "properties": claims}),
        json!({"type": "robot", "id": "bob", "properties": claims}),
        json!({"type": "user", "id": "ada ", "properties": claims}),
        json!({"type": "user", "id": "mallory", "properties": {"roles": {"doc": ["owner"]}}}),
    ];
    let server = start(defaults_config("defaults"));
    let addr = server.local_addr();
    for subject in &unlisted {
        // The scope's default only: not the owner it claims, nor the
        // editor its claimed kind's default would give.
        assert_eq!(may(addr, subject), ["read"], "{subject}");
    }
    // Listed subjects: the kind's default for ada, bob's own role; claims change nothing.
    let ada = json!({"type": "user", "id": "ada", "properties": claims});
    assert_eq!(may(addr, &ada), ["read", "edit"]);
    let bob = json!({"type": "user", "id": "bob", "properties": {"roles": ["reader"]}});
    assert_eq!(may(addr, &bob), ["read", "edit", "destroy"]);

    // Trusted, the same claims count for the unlisted (the listed keep the file's).
    let mut config = defaults_config("defaults-trusted");
    config.trust_claimed_roles = true;
    let trusting = start(config);
    let addr = trusting.local_addr();
    for subject in &unlisted {
        assert_eq!(may(addr, subject), ["read", "edit", "destroy"], "{subject}");
    }
    let kind_only = json!({"type": "user", "id": "mallory", "properties": {"kind": "staff"}});
    assert_eq!(may(addr, &kind_only), ["read", "edit"]);
    assert_eq!(may(addr, &bob), ["read", "edit", "destroy"]);
    assert_eq!(may(addr, &ada), ["read", "edit"]);
}

#[test]
fn the_help_of_serve_states_the_risk_of_trusting_claimed_roles() {
    let run = crate::support::cli(&["serve", "--help"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let help: String = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("--trust-claimed-roles Trust `subject.properties.roles` and `.kind` of a subject the principals file does not list: any caller that reaches the PDP can then claim any role"),
        "{}",
        run.stdout
    );
}

// ------------------------------------------------------------ error contexts

/// The error message of a denial `subject` gets for `action` on `resource_type`.
fn error_of(addr: SocketAddr, subject: &Value, action: &str, resource_type: &str) -> String {
    let reply = post(
        addr,
        "/access/v1/evaluation",
        &json!({"subject": subject, "action": {"name": action},
                "resource": {"type": resource_type, "id": "1"}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["context"]["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn error_contexts_list_the_policys_names_only_with_explain() {
    let rick = json!({"type": "user", "id": "rick@the-citadel.com"});
    let claimant = json!({"type": "user", "id": "mallory", "properties": {"roles": ["admn"]}});
    let mut config = todo_config();
    config.trust_claimed_roles = true;
    let quiet = start(config.clone());
    config.explain = true;
    let explained = start(config);
    let cases = [
        (&rick, "can_read_todo", "todo"),
        (&rick, "can_read_todos", "todos"),
        (&claimant, "can_read_todos", "todo"),
    ];
    // Every name the policy and the principals file declare.
    let declared = [
        "can_read_user",
        "can_read_todos",
        "can_create_todo",
        "can_update_todo",
        "can_delete_todo",
        "viewer",
        "editor",
        "admin",
        "evil_genius",
        "todo",
        "user",
    ];
    for (subject, action, resource_type) in cases {
        let terse = error_of(quiet.local_addr(), subject, action, resource_type);
        assert!(!terse.is_empty(), "{action} {resource_type}");
        // Names the request itself wrote may be echoed; no other.
        for name in declared
            .iter()
            .filter(|n| ![action, resource_type].contains(n))
        {
            assert!(
                !terse.contains(&format!("`{name}`")),
                "{terse} names `{name}`"
            );
        }
        let full = error_of(explained.local_addr(), subject, action, resource_type);
        assert!(full.starts_with(&terse[..terse.len().min(20)]), "{full}");
        assert!(
            declared
                .iter()
                .any(|name| full.contains(&format!("`{name}`"))),
            "{full}"
        );
    }
    assert!(
        error_of(explained.local_addr(), &rick, "can_read_todo", "todo")
            .contains("did you mean `can_read_todos`?")
    );
}

#[test]
fn a_setting_given_an_unknown_value_is_answered_without_the_values_unless_explain() {
    let ask = |explain: bool| {
        let mut config = todo_config();
        config.policy = crate::support::root().join("policies/examples/settings.policy");
        config.principals = None;
        config.explain = explain;
        let server = start(config);
        let reply = post(
            server.local_addr(),
            "/access/v1/evaluation",
            &json!({"subject": {"type": "user", "id": "ada"}, "action": {"name": "present"},
                    "resource": {"type": "session", "id": "1"},
                    "context": {"who_can_present": "nobody"}}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["decision"], false);
        reply.json()["context"]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        ask(false),
        "setting `who_can_present` has no value `nobody`"
    );
    assert_eq!(
        ask(true),
        "setting `who_can_present` has no value `nobody` (it takes `everyone`, `organization`, `only_me`)"
    );
}

// ------------------------------------------------------------ bearer tokens

const TOKEN: &str = "3f6c1a9e0b7d4c2e8a5f1b3d7e9c0a2b";
const OTHER_TOKEN: &str = "pep-two.Zm9vYmFyYmF6cXV4";

fn evaluation_with(addr: SocketAddr, authorization: Option<&str>) -> Reply {
    let body = json!({"subject": {"type": "user", "id": "rick@the-citadel.com"},
                      "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}})
    .to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(value) = authorization {
        headers.push(("Authorization", value));
    }
    request(addr, "POST", "/access/v1/evaluation", &headers, &body)
}

#[test]
fn a_token_file_makes_every_decision_ask_for_a_bearer_token() {
    let dir = scratch("tokens");
    let tokens = dir.join("tokens");
    std::fs::write(
        &tokens,
        format!("# PEPs of the todo app\n{TOKEN}\n\n  {OTHER_TOKEN}  \n"),
    )
    .unwrap();
    let mut config = scratch_config(&dir);
    config.token_file = Some(tokens.clone());
    let server = start(config);
    let addr = server.local_addr();
    let bearer = |token: &str| format!("Bearer {token}");
    for (authorization, invalid) in [
        (None, false),
        (Some("Basic cmljazpwaWNrbGU="), false),
        (Some("Bearer"), false),
        (
            Some(bearer("3f6c1a9e0b7d4c2e8a5f1b3d7e9c0a2c").as_str()),
            true,
        ),
        (Some(bearer(&TOKEN[..TOKEN.len() - 1]).as_str()), true),
        (Some(bearer(&format!("{TOKEN}0")).as_str()), true),
        (Some(bearer("# PEPs of the todo app").as_str()), false),
    ] {
        let reply = evaluation_with(addr, authorization);
        assert_eq!(reply.status, 401, "{authorization:?}: {}", reply.body);
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer realm=\"rolecall\""),
            "{challenge}"
        );
        assert_eq!(challenge.contains("error=\"invalid_token\""), invalid);
        assert!(!reply.body.contains(TOKEN), "{}", reply.body);
    }
    for authorization in [
        bearer(TOKEN),
        format!("bearer {OTHER_TOKEN}"),
        format!("BEARER  {TOKEN}"),
    ] {
        let reply = evaluation_with(addr, Some(&authorization));
        assert_eq!(reply.status, 200, "{authorization}: {}", reply.body);
        assert_eq!(reply.json()["decision"], true);
    }
    // Unknown paths answer 401 too: nothing is learnt without a token.
    assert_eq!(request(addr, "GET", "/nowhere", &[], "").status, 401);
    // Discovery and liveness stay open.
    for path in ["/.well-known/authzen-configuration", "/health"] {
        assert_eq!(request(addr, "GET", path, &[], "").status, 200, "{path}");
    }
    // A rotated file is read with the policy: the old token stops working.
    let fresh = "rotated-token-0123456789abcdef";
    std::fs::write(&tokens, format!("{fresh}\n")).unwrap();
    server.reload();
    crate::serve::eventually("the token file reloaded", || {
        evaluation_with(addr, Some(&bearer(TOKEN))).status == 401
    });
    assert_eq!(evaluation_with(addr, Some(&bearer(fresh))).status, 200);
    // A broken one keeps the tokens in service.
    std::fs::write(&tokens, "short\n").unwrap();
    let failures = server.failed_reloads();
    server.reload();
    crate::serve::eventually("the failed reload", || server.failed_reloads() > failures);
    assert_eq!(evaluation_with(addr, Some(&bearer(fresh))).status, 200);
}

// ------------------------------------------------------------ TLS

/// A self-signed certificate for `localhost` and its key, as PEM files in `dir`.
pub(crate) fn certificate(dir: &std::path::Path, name: &str) -> (PathBuf, PathBuf, Vec<u8>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    (cert_path, key_path, cert.der().to_vec())
}

/// One request over TLS, trusting only `trusted`; the reply and the
/// certificate the server presented.
pub(crate) fn tls_request(addr: SocketAddr, trusted: &[u8], raw: &str) -> (Reply, Vec<u8>) {
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(trusted.to_vec())).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);
    tls.write_all(raw.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    // The server closes after `Connection: close`; a missing close_notify is no matter here.
    let _ = tls.read_to_end(&mut bytes);
    let presented = tls
        .conn
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(|c| c.to_vec())
        .unwrap_or_default();
    (parse_reply(&bytes), presented)
}

fn raw_evaluation(addr: SocketAddr) -> String {
    let body = json!({"subject": {"type": "user", "id": "rick@the-citadel.com"},
                      "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}})
    .to_string();
    format!(
        "POST /access/v1/evaluation HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        addr.port(),
        body.len()
    )
}

#[test]
fn tls_serves_https_and_a_renewed_certificate_with_the_next_reload() {
    let dir = scratch("tls");
    let (cert, key, der) = certificate(&dir, "first");
    let mut config = scratch_config(&dir);
    config.tls = Some((cert.clone(), key.clone()));
    let server = start(config);
    let addr = server.local_addr();
    assert_eq!(server.scheme(), "https");
    let (reply, presented) = tls_request(addr, &der, &raw_evaluation(addr));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["decision"], true);
    assert_eq!(presented, der);
    // The metadata names https URLs, on the address listened on (not the
    // Host header: issue 21).
    let metadata = format!(
        "GET /.well-known/authzen-configuration HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        addr.port()
    );
    let (reply, _) = tls_request(addr, &der, &metadata);
    assert_eq!(
        reply.json()["access_evaluation_endpoint"],
        json!(format!(
            "https://127.0.0.1:{}/access/v1/evaluation",
            addr.port()
        ))
    );
    // Plain HTTP on the TLS port gets no HTTP answer.
    let mut plain = TcpStream::connect(addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    plain.write_all(raw_evaluation(addr).as_bytes()).unwrap();
    let mut bytes = Vec::new();
    let _ = plain.read_to_end(&mut bytes);
    assert!(!bytes.starts_with(b"HTTP/1.1 200"), "{bytes:?}");
    // A renewed certificate (written over the old files) is served after the reload.
    let (renewed_cert, renewed_key, renewed) = certificate(&dir, "second");
    std::fs::rename(&renewed_key, &key).unwrap();
    std::fs::rename(&renewed_cert, &cert).unwrap();
    server.reload();
    crate::serve::eventually("the renewed certificate", || server.generation() >= 2);
    let (reply, presented) = tls_request(addr, &renewed, &raw_evaluation(addr));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(presented, renewed);
    // A key that does not match keeps the certificate in service.
    let (_, stray_key, _) = certificate(&dir, "stray");
    std::fs::rename(&stray_key, &key).unwrap();
    let failures = server.failed_reloads();
    server.reload();
    crate::serve::eventually("the failed reload", || server.failed_reloads() > failures);
    let (reply, presented) = tls_request(addr, &renewed, &raw_evaluation(addr));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(presented, renewed);
}
