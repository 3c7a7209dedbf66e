//! `rolecall serve` over real HTTP on 127.0.0.1: the AuthZEN Todo interop
//! suite, the spec's shapes and errors, reload, shutdown. Every server is
//! started on port 0 and stopped when its `Server` is dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rolecall::serve::{Config, Server};
use serde_json::{Value, json};

use crate::support::{cli, root};

/// An HTTP response, read to the end of the connection.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

/// Sends raw bytes, reads until the server closes (requests say `Connection: close`).
pub(crate) fn exchange(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(raw).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    parse_reply(&bytes)
}

pub(crate) fn parse_reply(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    exchange(addr, raw.as_bytes())
}

pub(crate) fn post(addr: SocketAddr, path: &str, body: &Value) -> Reply {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
}

pub(crate) fn todo_config() -> Config {
    let mut config = Config::new(root().join("policies/examples/authzen_todo.policy"));
    config.principals = Some(root().join("policies/examples/authzen_todo.principals.json"));
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.poll = None;
    config.workers = Some(2);
    config
}

pub(crate) fn start(config: Config) -> Server {
    Server::start(config).unwrap_or_else(|e| panic!("server did not start: {e}"))
}

/// Waits (20 s at most) until `ready` holds.
pub(crate) fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_decision_of_the_authzen_todo_interop_suite_matches() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/authzen/decisions.json")).unwrap(),
    )
    .unwrap();
    let server = start(todo_config());
    let addr = server.local_addr();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (suite, body) in fixture["suites"].as_object().unwrap() {
        // decisions.json lists its cases under `decisions`, the others under `evaluation`.
        let singles = ["decisions", "evaluation"]
            .iter()
            .filter_map(|key| body[*key].as_array())
            .flatten();
        for case in singles {
            let expected = case["expected"].as_bool().unwrap();
            // The same request on both endpoints: without `evaluations`, the
            // batch endpoint answers a single decision.
            for path in ["/access/v1/evaluation", "/access/v1/evaluations"] {
                let reply = post(addr, path, &case["request"]);
                assert_eq!(reply.status, 200, "{suite} {path}: {}", reply.body);
                let json = reply.json();
                if json.get("context").is_some() || json["decision"] != json!(expected) {
                    wrong.push(format!(
                        "{suite} {path}: {} -> {}",
                        case["request"], reply.body
                    ));
                }
                checked += 1;
            }
        }
        for case in body["evaluations"].as_array().into_iter().flatten() {
            let reply = post(addr, "/access/v1/evaluations", &case["request"]);
            assert_eq!(reply.status, 200, "{suite}: {}", reply.body);
            // Each Decision whole: the decision and no context.
            let got = &reply.json()["evaluations"];
            if *got != case["expected"] {
                wrong.push(format!("{suite}: {} -> {}", case["request"], reply.body));
            }
            checked += got.as_array().map_or(0, Vec::len);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Four files of 40 single evaluations, each on two endpoints; 3 batches of 2.
    assert_eq!(checked, 160 * 2 + 6);
}

#[test]
fn every_decision_of_the_authzen_api_gateway_interop_suite_matches() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/authzen/gateway.json")).unwrap(),
    )
    .unwrap();
    let examples = root().join("policies/examples");
    let mut config = Config::new(examples.join("authzen_gateway.policy"));
    config.principals = Some(examples.join("authzen_gateway.principals.json"));
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.poll = None;
    config.workers = Some(2);
    let server = start(config);
    let addr = server.local_addr();
    let mut wrong = Vec::new();
    let cases = fixture["evaluation"].as_array().unwrap();
    for case in cases {
        // Each Decision whole, on both endpoints: the decision and no context.
        let expected = json!({"decision": case["expected"]});
        for path in ["/access/v1/evaluation", "/access/v1/evaluations"] {
            let reply = post(addr, path, &case["request"]);
            if reply.status != 200 || reply.json() != expected {
                wrong.push(format!("{path}: {} -> {}", case["request"], reply.body));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(cases.len(), 25);
}

#[test]
fn metadata_names_the_endpoints_and_request_ids_are_echoed() {
    let server = start(todo_config());
    let addr = server.local_addr();
    let reply = request(addr, "GET", "/.well-known/authzen-configuration", &[], "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let base = format!("http://{addr}");
    assert_eq!(
        reply.json(),
        json!({
            "policy_decision_point": base,
            "access_evaluation_endpoint": format!("{base}/access/v1/evaluation"),
            "access_evaluations_endpoint": format!("{base}/access/v1/evaluations"),
            "search_subject_endpoint": format!("{base}/access/v1/search/subject"),
            "search_resource_endpoint": format!("{base}/access/v1/search/resource"),
            "search_action_endpoint": format!("{base}/access/v1/search/action"),
        })
    );
    let head = request(addr, "HEAD", "/.well-known/authzen-configuration", &[], "");
    assert_eq!((head.status, head.body.as_str()), (200, ""));

    let mut config = todo_config();
    config.public_url = Some("https://pdp.example.com/".parse().unwrap());
    let public = start(config);
    let reply = request(
        public.local_addr(),
        "GET",
        "/.well-known/authzen-configuration",
        &[],
        "",
    );
    assert_eq!(
        reply.json()["policy_decision_point"],
        "https://pdp.example.com"
    );
    assert_eq!(
        reply.json()["access_evaluations_endpoint"],
        "https://pdp.example.com/access/v1/evaluations"
    );

    // The same identifier comes back, on decisions and on errors alike.
    let body = json!({"subject": {"type": "user", "id": "rick@the-citadel.com"},
                      "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}});
    let reply = request(
        addr,
        "POST",
        "/access/v1/evaluation",
        &[
            ("Content-Type", "application/json"),
            ("X-Request-ID", "bfe9eb29-ab87"),
        ],
        &body.to_string(),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-request-id"), Some("bfe9eb29-ab87"));
    let reply = request(
        addr,
        "POST",
        "/access/v1/evaluation",
        &[("X-Request-ID", "r-2")],
        "{",
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-request-id"), Some("r-2"));
    let reply = request(addr, "GET", "/health", &[], "");
    assert_eq!(reply.json()["generation"], 1);
    assert_eq!(reply.json()["policy_digest"], server.policy_digest());
}

fn morty_updates(semantic: Option<&str>, owners: &[&str]) -> Value {
    let evaluations: Vec<Value> = owners
        .iter()
        .enumerate()
        .map(|(i, owner)| {
            json!({"resource": {"type": "todo", "id": i.to_string(), "properties": {"ownerID": owner}}})
        })
        .collect();
    let mut body = json!({
        "subject": {"type": "user", "id": "morty@the-citadel.com"},
        "action": {"name": "can_update_todo"},
        "resource": {},
        "context": {},
        "evaluations": evaluations,
    });
    if let Some(semantic) = semantic {
        body["options"] = json!({"evaluations_semantic": semantic});
    }
    body
}

fn decisions(reply: &Reply) -> Vec<bool> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["decision"].as_bool().unwrap())
        .collect()
}

#[test]
fn batches_apply_defaults_and_each_evaluation_semantic() {
    let server = start(todo_config());
    let addr = server.local_addr();
    let mine = "morty@the-citadel.com";
    let ricks = "rick@the-citadel.com";
    let owners = [mine, ricks, mine];
    for semantic in [None, Some("execute_all")] {
        let reply = post(
            addr,
            "/access/v1/evaluations",
            &morty_updates(semantic, &owners),
        );
        assert_eq!(decisions(&reply), [true, false, true]);
    }
    let reply = post(
        addr,
        "/access/v1/evaluations",
        &morty_updates(Some("deny_on_first_deny"), &owners),
    );
    assert_eq!(decisions(&reply), [true, false]);
    assert_eq!(
        reply.json()["evaluations"][1]["context"],
        json!({"code": "200", "reason": "deny_on_first_deny"})
    );
    let reply = post(
        addr,
        "/access/v1/evaluations",
        &morty_updates(Some("permit_on_first_permit"), &[ricks, mine, ricks]),
    );
    assert_eq!(decisions(&reply), [false, true]);
    let reply = post(
        addr,
        "/access/v1/evaluations",
        &morty_updates(Some("permit_on_first_permit"), &[ricks, ricks]),
    );
    assert_eq!(decisions(&reply), [false, false]);

    // A key of an evaluation replaces the default whole: the second asks
    // about beth, the third deletes instead of updating.
    let mut body = morty_updates(None, &[mine, mine, mine]);
    body["evaluations"][1]["subject"] = json!({"type": "user", "id": "beth@the-smiths.com"});
    body["evaluations"][2]["action"] = json!({"name": "can_delete_todo"});
    body["evaluations"][2]["resource"]["properties"]["ownerID"] = json!(ricks);
    let reply = post(addr, "/access/v1/evaluations", &body);
    assert_eq!(decisions(&reply), [true, false, false]);
    // An evaluation that cannot be decided is a denial carrying its error; the others go on.
    let mut body = morty_updates(None, &[mine, mine]);
    body["evaluations"][0]["action"] = json!({"name": "can_fly"});
    let reply = post(addr, "/access/v1/evaluations", &body);
    assert_eq!(decisions(&reply), [false, true]);
    let error = &reply.json()["evaluations"][0]["context"]["error"];
    assert_eq!(error["status"], 400);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("unknown action `can_fly`"),
        "{error}"
    );
}

#[test]
fn a_malformed_item_of_a_batch_is_its_own_denial_and_the_others_are_decided() {
    let server = start(todo_config());
    let addr = server.local_addr();
    let rick = json!({"type": "user", "id": "rick@the-citadel.com"});
    let items = json!([
        {"resource": {"type": "todo", "id": "1"}},
        {},
        {"resource": {"type": "todo"}},
        "todo",
        {"resource": {"type": "todo", "id": "2"}},
    ]);
    let body = |semantic: &str| {
        json!({"subject": rick, "action": {"name": "can_read_todos"},
               "options": {"evaluations_semantic": semantic}, "evaluations": items})
    };
    let reply = post(addr, "/access/v1/evaluations", &body("execute_all"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let error = |message: &str| json!({"decision": false, "context": {"error": {"status": 400, "message": message}}});
    assert_eq!(
        reply.json(),
        json!({"evaluations": [
            {"decision": true},
            error("`evaluations[1].resource` is required: give it in the evaluation or as a top-level default"),
            error("`evaluations[2].resource.id` is required (a string)"),
            error("`evaluations[3]` must be an object, found a string"),
            {"decision": true},
        ]})
    );
    // A malformed item is a failure, which ends a deny_on_first_deny batch.
    let reply = post(addr, "/access/v1/evaluations", &body("deny_on_first_deny"));
    assert_eq!(decisions(&reply), [true, false]);
    assert_eq!(
        reply.json()["evaluations"][1]["context"]["reason"],
        "deny_on_first_deny"
    );
    let reply = post(
        addr,
        "/access/v1/evaluations",
        &body("permit_on_first_permit"),
    );
    assert_eq!(decisions(&reply), [true]);
}

#[test]
fn a_public_url_with_a_path_serves_under_it_and_the_metadata_at_the_inserted_path() {
    let mut config = todo_config();
    config.public_url = Some("HTTPS://PDP.Example.com/tenant1/".parse().unwrap());
    let server = start(config);
    let addr = server.local_addr();
    let reply = request(
        addr,
        "GET",
        "/.well-known/authzen-configuration/tenant1",
        &[],
        "",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({
            "policy_decision_point": "https://pdp.example.com/tenant1",
            "access_evaluation_endpoint": "https://pdp.example.com/tenant1/access/v1/evaluation",
            "access_evaluations_endpoint": "https://pdp.example.com/tenant1/access/v1/evaluations",
            "search_subject_endpoint": "https://pdp.example.com/tenant1/access/v1/search/subject",
            "search_resource_endpoint": "https://pdp.example.com/tenant1/access/v1/search/resource",
            "search_action_endpoint": "https://pdp.example.com/tenant1/access/v1/search/action",
        })
    );
    let ask = json!({"subject": {"type": "user", "id": "rick@the-citadel.com"},
                     "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}});
    for path in [
        "/tenant1/access/v1/evaluation",
        "/tenant1/access/v1/evaluations",
    ] {
        let reply = post(addr, path, &ask);
        assert_eq!(
            (reply.status, reply.json()),
            (200, json!({"decision": true})),
            "{path}"
        );
    }
    let reply = post(addr, "/tenant1/access/v1/search/action", &ask);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["page"]["total"], 5);
    assert_eq!(post(addr, "/access/v1/search/action", &ask).status, 404);
    // Only there: the root paths, another tenant, a longer prefix are not the PDP's.
    for path in [
        "/access/v1/evaluation",
        "/tenant2/access/v1/evaluation",
        "/tenant1x/access/v1/evaluation",
        "/tenant1/tenant1/access/v1/evaluation",
    ] {
        let reply = post(addr, path, &ask);
        assert_eq!(reply.status, 404, "{path}");
        assert!(
            reply.body.contains("POST /tenant1/access/v1/evaluation,"),
            "{}",
            reply.body
        );
    }
    for path in [
        "/.well-known/authzen-configuration",
        "/.well-known/authzen-configuration/tenant2",
        "/tenant1/.well-known/authzen-configuration",
    ] {
        assert_eq!(request(addr, "GET", path, &[], "").status, 404, "{path}");
    }
    // Liveness stays at the root, for load balancers.
    assert_eq!(request(addr, "GET", "/health", &[], "").status, 200);

    // The port is part of the identifier; no path, no prefix.
    let mut config = todo_config();
    config.public_url = Some("https://pdp.example.com:8443".parse().unwrap());
    let server = start(config);
    let reply = request(
        server.local_addr(),
        "GET",
        "/.well-known/authzen-configuration",
        &[],
        "",
    );
    assert_eq!(
        reply.json()["access_evaluation_endpoint"],
        "https://pdp.example.com:8443/access/v1/evaluation"
    );
}

#[test]
fn undecidable_requests_are_denials_with_the_error_in_the_context() {
    let server = start(todo_config());
    let addr = server.local_addr();
    let ask = |subject: Value, action: &str, resource_type: &str| {
        let reply = post(
            addr,
            "/access/v1/evaluation",
            &json!({"subject": subject, "action": {"name": action},
                    "resource": {"type": resource_type, "id": "1"}}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let json = reply.json();
        assert_eq!(json["decision"], false, "{json}");
        json["context"]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let rick = json!({"type": "user", "id": "rick@the-citadel.com"});
    // Without --explain the error names the request's mistake, not the
    // policy's names (serve_security tests both).
    assert_eq!(
        ask(rick.clone(), "can_read_todo", "todo"),
        "unknown action `can_read_todo` for resource type `todo`"
    );
    assert_eq!(
        ask(rick.clone(), "can_read_todos", "todos"),
        "unknown resource type `todos`"
    );
    // An unknown subject holds no role: a plain denial, no error.
    assert_eq!(
        ask(
            json!({"type": "user", "id": "nobody"}),
            "can_read_todos",
            "todo"
        ),
        ""
    );
    // The principals file's entry only matches its own subject type.
    assert_eq!(
        ask(
            json!({"type": "robot", "id": "rick@the-citadel.com"}),
            "can_read_todos",
            "todo"
        ),
        ""
    );
    // Claimed roles are not read by default, so not checked either
    // (serve_security has the trusted case).
    let stranger = json!({"type": "user", "id": "squanchy", "properties": {"roles": ["squanchy"]}});
    assert_eq!(ask(stranger, "can_read_todos", "todo"), "");
}

pub(crate) fn webinar_config() -> Config {
    let mut config = Config::new(root().join("policies/examples/webinar.policy"));
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.poll = None;
    config
}

#[test]
fn without_a_principals_file_roles_come_from_the_subject_and_facts_from_the_context() {
    let mut config = webinar_config();
    config.explain = true;
    config.trust_claimed_roles = true;
    let server = start(config);
    let addr = server.local_addr();
    let ask = |roles: Value, action: &str, context: Value| {
        let reply = post(
            addr,
            "/access/v1/evaluation",
            &json!({"subject": {"type": "user", "id": "ada", "properties": {"roles": roles}},
                    "action": {"name": action}, "resource": {"type": "session", "id": "s1"},
                    "context": context}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    };
    let answer = ask(json!(["panelist"]), "present", json!({}));
    assert_eq!(answer["decision"], true);
    let rule = format!(
        "{}:14",
        root().join("policies/examples/webinar.policy").display()
    );
    assert_eq!(answer["context"]["rule"], json!(rule));
    assert_eq!(answer["context"]["roles"], json!(["panelist"]));
    assert!(
        answer["context"]["reason_admin"]["en"]
            .as_str()
            .unwrap()
            .starts_with("allowed: panelist")
    );
    // The scope default applies when the subject has no role.
    assert_eq!(ask(Value::Null, "chat", json!({}))["decision"], false);
    assert_eq!(
        ask(Value::Null, "chat", json!({"organizer_permission": true}))["decision"],
        true
    );
    assert_eq!(
        ask(json!({"session": "organizer"}), "start", json!({}))["decision"],
        true
    );
    let error = ask(json!([]), "chat", json!({"organizer_permission": "yes"}));
    assert_eq!(error["decision"], false);
    assert!(
        error["context"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("must be true or false")
    );
}

/// Method, path, headers, body, expected status, a part of the message.
type BadCase<'a> = (
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str)>,
    String,
    u16,
    &'a str,
);

#[test]
fn bad_requests_get_the_spec_error_codes_with_a_message() {
    let mut config = todo_config();
    config.max_body = 4096;
    let server = start(config);
    let addr = server.local_addr();
    let json_type = [("Content-Type", "application/json")];
    let cases: Vec<BadCase> = vec![
        ("POST", "/access/v1/evaluation", json_type.to_vec(), "{".into(), 400, "not valid JSON"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(), "[1]".into(), 400, "must be a JSON object, found an array"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(), "{}".into(), 400, "`subject` is required"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(),
            json!({"subject": {"type": "user", "id": 7}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}).to_string(),
            400, "`subject.id` must be a string, found a number"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(),
            json!({"subject": {"type": "user", "id": "x"}, "action": {}, "resource": {"type": "todo", "id": "1"}}).to_string(),
            400, "`action.name` is required"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(),
            json!({"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo"}}).to_string(),
            400, "`resource.id` is required"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(),
            json!({"subject": {"type": "user", "id": "x", "properties": []}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}).to_string(),
            400, "`subject.properties` must be an object"),
        ("POST", "/access/v1/evaluations", json_type.to_vec(), json!({"evaluations": {}}).to_string(), 400, "`evaluations` must be an array"),
        ("POST", "/access/v1/evaluations", json_type.to_vec(),
            json!({"subject": "x", "evaluations": [{}]}).to_string(),
            400, "`subject` must be an object, found a string"),
        ("POST", "/access/v1/evaluations", json_type.to_vec(),
            json!({"subject": {"type": "user"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}).to_string(),
            400, "`subject.id` is required"),
        ("POST", "/access/v1/evaluations", json_type.to_vec(),
            json!({"options": {"evaluations_semantic": "first_deny"}, "evaluations": []}).to_string(),
            400, "unknown `options.evaluations_semantic` `first_deny`"),
        // 400, not HTTP's 415: the spec's transport rules and the certification scenario.
        ("POST", "/access/v1/evaluation", vec![("Content-Type", "text/plain")], "{}".into(), 400, "Content-Type: application/json"),
        ("POST", "/access/v1/evaluation", vec![("Content-Type", "application/jsonl")], "{}".into(), 400, "not `application/jsonl`"),
        ("POST", "/access/v1/evaluations", vec![], "{}".into(), 400, "Content-Type: application/json"),
        ("GET", "/access/v1/evaluation", vec![], String::new(), 405, "use POST"),
        ("POST", "/.well-known/authzen-configuration", json_type.to_vec(), "{}".into(), 405, "use GET"),
        ("GET", "/access/v1/search/everything", vec![], String::new(), 404, "no such endpoint"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(), "x".repeat(5000), 413, "limit of 4096 bytes"),
        ("POST", "/access/v1/evaluation", json_type.to_vec(), "[".repeat(3000), 400, "recursion limit"),
        // A key given twice, at the top or deep inside: refused, never read as one of them.
        ("POST", "/access/v1/evaluation", json_type.to_vec(),
            r#"{"subject": {"type": "user", "id": "rick@the-citadel.com"}, "action": {"name": "can_read_todos", "name": "can_delete_todo"}, "resource": {"type": "todo", "id": "1"}}"#.into(),
            400, r#"the request body is not a valid request: duplicate key "name" at line 1 column"#),
        ("POST", "/access/v1/evaluations", json_type.to_vec(),
            r#"{"evaluations": [], "evaluations": [{}]}"#.into(),
            400, r#"duplicate key "evaluations""#),
    ];
    for (method, path, headers, body, status, message) in cases {
        let reply = request(addr, method, path, &headers, &body);
        assert_eq!(
            reply.status, status,
            "{method} {path} {body:.80}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(message),
            "{method} {path}: {:?} lacks {message:?}",
            reply.body
        );
        if status == 405 {
            assert!(reply.header("allow").is_some());
        }
        if status != 200 {
            assert_eq!(
                reply.header("content-type"),
                Some("text/plain; charset=utf-8")
            );
        }
    }
    // A chunked body past the limit, with no length announced.
    let chunk = "x".repeat(3000);
    let raw = format!(
        "POST /access/v1/evaluation HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
        len = chunk.len()
    );
    assert_eq!(exchange(addr, raw.as_bytes()).status, 413);
    // A chunked body within the limit is read whole.
    let body = json!({"subject": {"type": "user", "id": "rick@the-citadel.com"},
                      "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}})
    .to_string();
    let (head, tail) = body.split_at(20);
    let raw = format!(
        "POST /access/v1/evaluation HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{head}\r\n{:x}\r\n{tail}\r\n0\r\n\r\n",
        head.len(),
        tail.len()
    );
    assert_eq!(
        exchange(addr, raw.as_bytes()).json(),
        json!({"decision": true})
    );
    // Not HTTP at all.
    let reply = exchange(addr, b"\x00\x01 garbage\r\n\r\n");
    assert_eq!(reply.status, 400);
    // Still serving.
    let reply = request(addr, "GET", "/health", &[], "");
    assert_eq!(reply.status, 200);
}

#[test]
fn a_client_that_stalls_is_cut_off_instead_of_holding_the_server() {
    let mut config = todo_config();
    config.read_timeout = Duration::from_millis(200);
    let server = start(config);
    let addr = server.local_addr();
    // Headers that never end: the connection is closed (hyper answers 408 or just closes).
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stalled
        .write_all(b"POST /access/v1/evaluation HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let mut rest = Vec::new();
    stalled.read_to_end(&mut rest).unwrap();
    // A body shorter than announced: 408 once the timeout passes.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    slow.write_all(
        b"POST /access/v1/evaluation HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .unwrap();
    let mut bytes = Vec::new();
    let _ = slow.read_to_end(&mut bytes);
    assert_eq!(parse_reply(&bytes).status, 408);
}

/// A fresh directory with a copy of the Todo policy and principals file.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolecall-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["authzen_todo.policy", "authzen_todo.principals.json"] {
        std::fs::copy(root().join("policies/examples").join(file), dir.join(file)).unwrap();
    }
    dir
}

pub(crate) fn scratch_config(dir: &Path) -> Config {
    let mut config = todo_config();
    config.policy = dir.join("authzen_todo.policy");
    config.principals = Some(dir.join("authzen_todo.principals.json"));
    config
}

/// Whether jerry (a viewer) may create a todo.
fn jerry_creates(addr: SocketAddr) -> bool {
    let reply = post(
        addr,
        "/access/v1/evaluation",
        &json!({"subject": {"type": "user", "id": "jerry@the-smiths.com"},
                "action": {"name": "can_create_todo"}, "resource": {"type": "todo", "id": "1"}}),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["decision"].as_bool().unwrap()
}

/// Rewrites a file so that its stamp surely changes (length and content).
fn rewrite(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_changed_policy_is_reloaded_and_a_broken_one_keeps_the_previous_in_service() {
    let dir = scratch("reload");
    let mut config = scratch_config(&dir);
    config.poll = Some(Duration::from_millis(25));
    let server = start(config);
    let addr = server.local_addr();
    assert!(!jerry_creates(addr));
    let policy = dir.join("authzen_todo.policy");
    let original = std::fs::read_to_string(&policy).unwrap();

    // Requests keep being answered while the policy changes under them.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                jerry_creates(addr);
                answered += 1;
            }
            answered
        })
    };
    let generation = server.generation();
    rewrite(
        &policy,
        &original.replace(
            "allow editor to can_create_todo",
            "allow viewer to can_create_todo",
        ),
    );
    eventually("the new policy", || jerry_creates(addr));
    assert!(server.generation() > generation);

    let failures = server.failed_reloads();
    rewrite(
        &policy,
        &original.replace("role admin", "role admin : nobody"),
    );
    eventually("the failed reload", || server.failed_reloads() > failures);
    assert!(jerry_creates(addr), "the previous policy stays in service");

    // A principals file naming an unknown role fails too.
    let generation = server.generation();
    rewrite(
        &policy,
        &original.replace(
            "allow editor to can_create_todo",
            "allow viewer to can_create_todo",
        ),
    );
    eventually("the fixed policy", || server.generation() > generation);
    let principals = dir.join("authzen_todo.principals.json");
    let people = std::fs::read_to_string(&principals).unwrap();
    let failures = server.failed_reloads();
    rewrite(&principals, &people.replace("\"viewer\"]", "\"viewr\"]"));
    eventually("the failed reload", || server.failed_reloads() > failures);
    assert!(jerry_creates(addr));

    rewrite(&principals, &people);
    rewrite(&policy, &original);
    eventually("the original policy", || !jerry_creates(addr));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(hammer.join().unwrap() > 0);
}

#[cfg(unix)]
#[test]
fn sighup_and_reload_reload_the_policy() {
    let dir = scratch("sighup");
    let mut config = scratch_config(&dir);
    config.reload_on_sighup = true;
    let server = start(config);
    let addr = server.local_addr();
    let policy = dir.join("authzen_todo.policy");
    let original = std::fs::read_to_string(&policy).unwrap();
    rewrite(
        &policy,
        &original.replace(
            "allow editor to can_create_todo",
            "allow viewer to can_create_todo",
        ),
    );
    // Polling is off: nothing changes until the signal.
    assert!(!jerry_creates(addr));
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    eventually("the reload on SIGHUP", || server.generation() == 2);
    assert!(jerry_creates(addr));
    rewrite(&policy, &original);
    server.reload();
    eventually("the requested reload", || server.generation() == 3);
    assert!(!jerry_creates(addr));
}

#[test]
fn a_stopped_server_releases_its_port() {
    let server = start(todo_config());
    let addr = server.local_addr();
    // A keep-alive connection left open does not hold up the shutdown.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    server.shutdown();
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn the_command_refuses_to_start_on_an_invalid_policy_or_principals_file() {
    let dir = scratch("cli");
    let policy = dir.join("authzen_todo.policy");
    let principals = dir.join("authzen_todo.principals.json");
    let people = std::fs::read_to_string(&principals).unwrap();
    std::fs::write(&principals, people.replace("\"editor\"]", "\"edtor\"]")).unwrap();
    let run = cli(
        &[
            "serve",
            policy.to_str().unwrap(),
            "--principals",
            principals.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown role `edtor` in scope `todo`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `editor`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("is invalid (2 errors)"),
        "{}",
        run.stderr
    );

    let run = cli(&["serve", "no/such.policy", "--listen", "127.0.0.1:0"], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read no/such.policy"),
        "{}",
        run.stderr
    );

    let run = cli(
        &[
            "serve",
            policy.to_str().unwrap(),
            "--public-url",
            "ftp://pdp?x",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    let run = cli(
        &["serve", policy.to_str().unwrap(), "--listen", "nowhere"],
        "",
    );
    assert_eq!(run.code, 2);
}

// ------------------------------------------------------------ action search

/// An Action Search for `subject` on a todo owned by `owner`.
fn action_search(subject: &str, owner: &str) -> Value {
    json!({"subject": {"type": "user", "id": subject},
           "resource": {"type": "todo", "id": "7", "properties": {"ownerID": owner}}})
}

/// The names in an Action Search answer, checking its page object.
fn names(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    let results = json["results"].as_array().unwrap();
    assert_eq!(json["page"]["count"], results.len(), "{json}");
    results
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn action_search_answers_what_an_evaluation_of_each_action_allows_in_declaration_order() {
    let server = start(todo_config());
    let addr = server.local_addr();
    let search = |subject: &str, owner: &str| {
        names(&post(
            addr,
            "/access/v1/search/action",
            &action_search(subject, owner),
        ))
    };
    let everyone = ["can_read_user", "can_read_todos"];
    let morty = "morty@the-citadel.com";
    let rick = "rick@the-citadel.com";
    assert_eq!(
        search(morty, morty),
        [
            "can_read_user",
            "can_read_todos",
            "can_create_todo",
            "can_update_todo",
            "can_delete_todo"
        ]
    );
    assert_eq!(
        search(morty, rick),
        ["can_read_user", "can_read_todos", "can_create_todo"]
    );
    assert_eq!(search("beth@the-smiths.com", morty), everyone);
    // An unknown subject holds nothing (no defaults in this policy).
    assert_eq!(search("nobody", morty), Vec::<String>::new());
    // The same set as an evaluation of every declared action, for each user and owner.
    let actions = [
        "can_read_user",
        "can_read_todos",
        "can_create_todo",
        "can_update_todo",
        "can_delete_todo",
    ];
    let users = [
        rick,
        morty,
        "summer@the-smiths.com",
        "beth@the-smiths.com",
        "jerry@the-smiths.com",
        "mallory",
    ];
    for subject in users {
        for owner in [rick, morty] {
            let allowed: Vec<String> = actions
                .iter()
                .filter(|action| {
                    let mut body = action_search(subject, owner);
                    body["action"] = json!({"name": action});
                    let reply = post(addr, "/access/v1/evaluation", &body);
                    reply.json()["decision"] == json!(true)
                })
                .map(|a| a.to_string())
                .collect();
            assert_eq!(
                search(subject, owner),
                allowed,
                "{subject} on {owner}'s todo"
            );
        }
    }
    // An `action` in the request is what is searched: ignored.
    let mut body = action_search(morty, rick);
    body["action"] = json!({"name": "can_delete_todo"});
    assert_eq!(
        names(&post(addr, "/access/v1/search/action", &body)).len(),
        3
    );
    // An unknown resource type has no actions: empty, not an error.
    let reply = post(
        addr,
        "/access/v1/search/action",
        &json!({"subject": {"type": "user", "id": rick}, "resource": {"type": "spaceship", "id": "1"}}),
    );
    assert_eq!(
        reply.json(),
        json!({"page": {"next_token": "", "count": 0, "total": 0}, "results": []})
    );
    // Malformed: the input entities must be identified.
    for (body, message) in [
        (
            json!({"subject": {"type": "user", "id": rick}}),
            "`resource` is required",
        ),
        (
            json!({"resource": {"type": "todo", "id": "1"}}),
            "`subject` is required",
        ),
        (
            json!({"subject": {"type": "user"}, "resource": {"type": "todo", "id": "1"}}),
            "`subject.id` is required",
        ),
        (
            json!({"subject": {"type": "user", "id": rick}, "resource": {"type": "todo"}}),
            "`resource.id` is required",
        ),
        (
            json!({"subject": {"type": "user", "id": rick}, "resource": {"type": "todo", "id": "1"},
                   "page": {"limit": -1}}),
            "`page.limit` must be a non-negative integer, found -1",
        ),
        (
            json!({"subject": {"type": "user", "id": rick}, "resource": {"type": "todo", "id": "1"},
                   "page": {"token": 7}}),
            "`page.token` must be a string, found a number",
        ),
    ] {
        let reply = post(addr, "/access/v1/search/action", &body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.body.contains(message), "{}", reply.body);
    }
}

#[test]
fn action_search_pages_with_tokens_bound_to_the_request_the_policy_and_the_process() {
    let dir = scratch("search-pages");
    let server = start(scratch_config(&dir));
    let addr = server.local_addr();
    let morty = "morty@the-citadel.com";
    let paged = |token: Option<&str>, limit: u64| {
        let mut body = action_search(morty, morty);
        body["page"] = json!({"limit": limit});
        if let Some(token) = token {
            body["page"]["token"] = json!(token);
        }
        post(addr, "/access/v1/search/action", &body)
    };
    // Five actions two at a time: three pages, the last with an empty token.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let reply = paged(token.as_deref(), 2);
        seen.extend(names(&reply));
        pages += 1;
        let page = &reply.json()["page"];
        assert_eq!(page["total"], 5);
        let next = page["next_token"].as_str().unwrap().to_string();
        if next.is_empty() {
            break;
        }
        token = Some(next);
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    let whole = names(&post(
        addr,
        "/access/v1/search/action",
        &action_search(morty, morty),
    ));
    assert_eq!(seen, whole);
    // The same request gives the same token (deterministic).
    let first = paged(None, 2).json()["page"]["next_token"].clone();
    assert_eq!(paged(None, 2).json()["page"]["next_token"], first);
    let token = first.as_str().unwrap().to_string();
    assert_eq!(names(&paged(Some(&token), 2)), whole[2..4]);

    let refused = |reply: Reply| {
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert!(
            reply
                .body
                .contains("`page.token` is not a token this PDP issued"),
            "{}",
            reply.body
        );
    };
    // Forged: one digit of the offset or of the tag changed, upper case, cut short, made up.
    let mut offset_moved = token.clone().into_bytes();
    offset_moved[15] = b'3';
    let mut tag_changed = token.clone().into_bytes();
    let last = tag_changed.len() - 1;
    tag_changed[last] = if tag_changed[last] == b'0' {
        b'1'
    } else {
        b'0'
    };
    for forged in [
        String::from_utf8(offset_moved).unwrap(),
        String::from_utf8(tag_changed).unwrap(),
        token.to_uppercase(),
        token[..token.len() - 2].to_string(),
        "0000000000000002".to_string(),
        "not a token".to_string(),
    ] {
        refused(paged(Some(&forged), 2));
    }
    // A later page may leave the limit out (the first page's holds), not change it.
    let mut body = action_search(morty, morty);
    body["page"] = json!({"token": token});
    assert_eq!(
        names(&post(addr, "/access/v1/search/action", &body)),
        whole[2..4]
    );
    let reply = paged(Some(&token), 3);
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .body
            .contains("`page.limit` differs from the first page's"),
        "{}",
        reply.body
    );
    // Another request: refused, as the spec says a changed request should be.
    let mut other = action_search("rick@the-citadel.com", morty);
    other["page"] = json!({"limit": 2, "token": token});
    refused(post(addr, "/access/v1/search/action", &other));
    // Another process has another key.
    let twin = start(scratch_config(&dir));
    let mut body = action_search(morty, morty);
    body["page"] = json!({"limit": 2, "token": token});
    refused(post(twin.local_addr(), "/access/v1/search/action", &body));
    // A reload with a changed policy ends the pages begun before it.
    let policy = dir.join("authzen_todo.policy");
    let text = std::fs::read_to_string(&policy).unwrap();
    rewrite(&policy, &format!("{text}\n# changed\n"));
    server.reload();
    eventually("the reload", || server.generation() == 2);
    refused(paged(Some(&token), 2));
}

// ------------------------------------------------------------ subject search

#[test]
fn subject_search_answers_the_listed_subjects_an_evaluation_allows_in_file_order() {
    let server = start(todo_config());
    let addr = server.local_addr();
    let search = |body: Value| {
        let reply = post(addr, "/access/v1/search/subject", &body);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let json = reply.json();
        for result in json["results"].as_array().unwrap() {
            assert_eq!(result["type"], body["subject"]["type"], "{json}");
        }
        let ids: Vec<String> = json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(json["page"]["count"], ids.len());
        ids
    };
    let ask = |action: &str, owner: &str| {
        json!({"subject": {"type": "user"}, "action": {"name": action},
               "resource": {"type": "todo", "id": "7", "properties": {"ownerID": owner}}})
    };
    let users = [
        "rick@the-citadel.com",
        "morty@the-citadel.com",
        "summer@the-smiths.com",
        "beth@the-smiths.com",
        "jerry@the-smiths.com",
    ];
    let morty = users[1];
    assert_eq!(search(ask("can_read_todos", morty)), users);
    assert_eq!(
        search(ask("can_update_todo", morty)),
        ["rick@the-citadel.com", "morty@the-citadel.com"]
    );
    assert_eq!(
        search(ask("can_create_todo", morty)),
        [
            "rick@the-citadel.com",
            "morty@the-citadel.com",
            "summer@the-smiths.com"
        ]
    );
    // The same set as an evaluation of each listed subject.
    for action in [
        "can_read_user",
        "can_create_todo",
        "can_update_todo",
        "can_delete_todo",
    ] {
        for owner in [users[0], morty, "someone else"] {
            let allowed: Vec<&str> = users
                .iter()
                .copied()
                .filter(|user| {
                    let mut body = ask(action, owner);
                    body["subject"]["id"] = json!(user);
                    post(addr, "/access/v1/evaluation", &body).json()["decision"] == json!(true)
                })
                .collect();
            assert_eq!(
                search(ask(action, owner)),
                allowed,
                "{action} on {owner}'s todo"
            );
        }
    }
    // A subject id in the request is what is searched: ignored.
    let mut body = ask("can_update_todo", morty);
    body["subject"]["id"] = json!("jerry@the-smiths.com");
    assert_eq!(search(body).len(), 2);
    // Another subject type lists nobody (every entry of the file is a `user`),
    // and so does a type that names no scope.
    assert_eq!(
        search(
            json!({"subject": {"type": "robot"}, "action": {"name": "can_read_todos"},
                             "resource": {"type": "todo", "id": "1"}})
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        search(
            json!({"subject": {"type": "user"}, "action": {"name": "can_read_todos"},
                             "resource": {"type": "spaceship", "id": "1"}})
        ),
        Vec::<String>::new()
    );
    // An action the scope does not declare is the evaluation's error, in context.
    let reply = post(addr, "/access/v1/search/subject", &ask("can_fly", morty));
    assert_eq!(
        reply.json(),
        json!({"page": {"next_token": "", "count": 0, "total": 0}, "results": [],
               "context": {"error": {"status": 400,
                   "message": "unknown action `can_fly` for resource type `todo`"}}})
    );
    // Pages of two, the limit given once.
    let mut body = ask("can_read_todos", morty);
    body["page"] = json!({"limit": 2});
    let mut seen = Vec::new();
    loop {
        let reply = post(addr, "/access/v1/search/subject", &body);
        let json = reply.json();
        seen.extend(
            json["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone()),
        );
        let next = json["page"]["next_token"].as_str().unwrap().to_string();
        if next.is_empty() {
            break;
        }
        body["page"] = json!({"token": next});
        assert!(seen.len() <= users.len(), "pagination does not end");
    }
    assert_eq!(seen, users.map(|u| json!(u)));
    // Malformed: the action and an identified resource are required.
    for (body, message) in [
        (
            json!({"subject": {"type": "user"}, "resource": {"type": "todo", "id": "1"}}),
            "`action` is required",
        ),
        (
            json!({"subject": {"type": "user"}, "action": {"name": "can_read_todos"}, "resource": {"type": "todo"}}),
            "`resource.id` is required",
        ),
        (
            json!({"subject": {}, "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}}),
            "`subject.type` is required",
        ),
    ] {
        let reply = post(addr, "/access/v1/search/subject", &body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.body.contains(message), "{}", reply.body);
    }
    // Without a principals file there is nobody to list.
    let bare = start(webinar_config());
    let reply = post(
        bare.local_addr(),
        "/access/v1/search/subject",
        &json!({"subject": {"type": "user"}, "action": {"name": "chat"},
                "resource": {"type": "session", "id": "1"}, "context": {"organizer_permission": true}}),
    );
    assert_eq!(reply.json()["results"], json!([]));
}

// ------------------------------------------------------------ resource search

fn certification_config() -> Config {
    let mut config = todo_config();
    config.policy = root().join("policies/examples/authzen_certification.policy");
    config.principals =
        Some(root().join("policies/examples/authzen_certification.principals.json"));
    config
}

#[test]
fn resource_search_answers_the_listed_resources_an_evaluation_allows_in_file_order() {
    let server = start(certification_config());
    let addr = server.local_addr();
    let search = |subject: &str, action: &str| {
        let reply = post(
            addr,
            "/access/v1/search/resource",
            &json!({"subject": {"type": "user", "id": subject}, "action": {"name": action},
                    "resource": {"type": "record"}}),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        let json = reply.json();
        json["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["type"], "record", "{json}");
                r["id"].as_str().unwrap().to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(search("alice", "read"), ["record-1", "record-2"]);
    assert_eq!(search("alice", "write"), ["record-1"]);
    assert_eq!(search("bob", "write"), ["record-2"]);
    assert_eq!(search("mallory", "read"), Vec::<String>::new());
    // The same set as an evaluation of each listed resource, sent without
    // properties (the file lends its own).
    for subject in ["alice", "bob", "mallory"] {
        for action in ["read", "write", "delete"] {
            let allowed: Vec<&str> = ["record-1", "record-2"]
                .into_iter()
                .filter(|id| {
                    let body = json!({"subject": {"type": "user", "id": subject},
                                      "action": {"name": action},
                                      "resource": {"type": "record", "id": id}});
                    post(addr, "/access/v1/evaluation", &body).json()["decision"] == json!(true)
                })
                .collect();
            assert_eq!(search(subject, action), allowed, "{subject} {action}");
        }
    }
    // A resource id in the request is what is searched: ignored; its
    // properties too (each resource has the file's).
    let reply = post(
        addr,
        "/access/v1/search/resource",
        &json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "write"},
                "resource": {"type": "record", "id": "record-2", "properties": {"status": "archived"}}}),
    );
    assert_eq!(
        reply.json()["results"],
        json!([{"type": "record", "id": "record-1"}])
    );
    // A type with no scope: empty; an undeclared action: the error, in context.
    let reply = post(
        addr,
        "/access/v1/search/resource",
        &json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
                "resource": {"type": "spaceship"}}),
    );
    assert_eq!(reply.json()["results"], json!([]));
    let reply = post(
        addr,
        "/access/v1/search/resource",
        &json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "fly"},
                "resource": {"type": "record"}}),
    );
    assert_eq!(
        reply.json()["context"]["error"]["message"],
        "unknown action `fly` for resource type `record`"
    );
    // Pages of one.
    let mut body = json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
                          "resource": {"type": "record"}, "page": {"limit": 1}});
    let first = post(addr, "/access/v1/search/resource", &body).json();
    assert_eq!(
        first["results"],
        json!([{"type": "record", "id": "record-1"}])
    );
    body["page"] = json!({"token": first["page"]["next_token"]});
    let second = post(addr, "/access/v1/search/resource", &body).json();
    assert_eq!(
        second,
        json!({"page": {"next_token": "", "count": 1, "total": 2},
               "results": [{"type": "record", "id": "record-2"}]})
    );
    // Malformed: the subject is an input, identified; the action is required.
    for (body, message) in [
        (
            json!({"action": {"name": "read"}, "resource": {"type": "record"}}),
            "`subject` is required",
        ),
        (
            json!({"subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"}}),
            "`subject.id` is required",
        ),
        (
            json!({"subject": {"type": "user", "id": "alice"}, "resource": {"type": "record"}}),
            "`action` is required",
        ),
        (
            json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {}}),
            "`resource.type` is required",
        ),
    ] {
        let reply = post(addr, "/access/v1/search/resource", &body);
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.body.contains(message), "{}", reply.body);
    }
}
