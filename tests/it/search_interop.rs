//! The AuthZEN interop search suites (`tests/fixtures/authzen/search.json`,
//! transcribed from openid/authzen: the search demo's subject, resource and
//! action searches, and the IdP scenario's resource searches) against the
//! `rolecall` binary serving `policies/examples/authzen_search.*` on
//! 127.0.0.1.
//!
//! Every case is sent as upstream writes it and its answer compared whole:
//! the results exactly, in the order rolecall defines (declaration order for
//! actions, the principals file's order for subjects and resources; the
//! upstream runners sort both sides before comparing, so this is stricter),
//! and the `page` object of an unpaged answer. Then every case again in
//! pages of two, following `next_token`, which must give the same results.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::serve::post;
use crate::support::root;

/// `rolecall serve` in a child process on a free loopback port, killed when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_search_example() -> Served {
    let examples = root().join("policies/examples");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .arg("serve")
        .arg(examples.join("authzen_search.policy"))
        .arg("--principals")
        .arg(examples.join("authzen_search.principals.json"))
        .args(["--listen", "127.0.0.1:0", "--poll", "0", "--workers", "2"])
        .args(["--log-level", "error"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("rolecall serve did not start: {line:?}");
    };
    Served { child, addr }
}

/// The fixture's suites: (suite, endpoint, cases).
fn suites() -> Vec<(String, &'static str, Vec<Value>)> {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/authzen/search.json")).unwrap(),
    )
    .unwrap();
    let mut out = Vec::new();
    for (suite, cases) in fixture["suites"].as_object().unwrap() {
        let endpoint = match suite.rsplit('/').next() {
            Some("subject") => "subject",
            Some("resource") => "resource",
            Some("action") => "action",
            other => panic!("suite {suite}: no endpoint {other:?}"),
        };
        out.push((suite.clone(), endpoint, cases.as_array().unwrap().clone()));
    }
    out
}

#[test]
fn every_case_of_the_authzen_search_interop_suites_passes_in_order_and_in_pages() {
    let server = serve_search_example();
    let addr = server.addr;
    let mut wrong = Vec::new();
    let mut per_suite = Vec::new();
    for (suite, endpoint, cases) in suites() {
        let path = format!("/access/v1/search/{endpoint}");
        for case in &cases {
            let expected = case["expected"]["results"].as_array().unwrap().clone();
            let n = expected.len();

            // The request as upstream sends it: one answer with every result.
            let reply = post(addr, &path, &case["request"]);
            let want = json!({
                "page": {"next_token": "", "count": n, "total": n},
                "results": expected,
            });
            if reply.status != 200 || reply.json() != want {
                wrong.push(format!(
                    "{suite}: {} -> {} {}",
                    case["request"], reply.status, reply.body
                ));
                continue;
            }

            // The same request in pages of two, each token sent back.
            let mut paged = Vec::new();
            let mut token = String::new();
            let mut pages = 0;
            loop {
                let mut body = case["request"].clone();
                body["page"] = if token.is_empty() {
                    json!({"limit": 2})
                } else {
                    json!({"token": token})
                };
                let reply = post(addr, &path, &body);
                let json = reply.json();
                let count = json["results"].as_array().map_or(0, Vec::len);
                let page = &json["page"];
                if reply.status != 200
                    || page["total"] != json!(n)
                    || page["count"] != json!(count)
                    || count != (n - paged.len()).min(2)
                {
                    wrong.push(format!("{suite} page {pages}: {body} -> {}", reply.body));
                    break;
                }
                paged.extend(json["results"].as_array().into_iter().flatten().cloned());
                pages += 1;
                token = page["next_token"].as_str().unwrap_or_default().to_string();
                if token.is_empty() {
                    break;
                }
            }
            if paged != expected || pages != n.div_ceil(2).max(1) {
                wrong.push(format!(
                    "{suite} in {pages} pages: {} -> {paged:?}",
                    case["request"]
                ));
            }
        }
        per_suite.push((suite, cases.len()));
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let counts: Vec<(&str, usize)> = per_suite.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(
        counts,
        [
            ("search-demo/subject", 60),
            ("search-demo/resource", 18),
            ("search-demo/action", 120),
            ("idp/resource", 6),
        ]
    );
}

/// What the scenario's payload spec says in prose, beyond its cases: a
/// record, user or action outside the sample data "should lead to a valid
/// empty response". rolecall answers each as an evaluation would
/// (docs/authzen.md, "The AuthZEN search interop scenario").
#[test]
fn the_search_example_answers_names_outside_the_sample_data_as_evaluations_do() {
    let server = serve_search_example();
    let addr = server.addr;
    let results = |endpoint: &str, body: Value| {
        let reply = post(addr, &format!("/access/v1/search/{endpoint}"), &body);
        assert_eq!(reply.status, 200, "{body}: {}", reply.body);
        reply.json()
    };
    // A record the file does not list has no owner and no department, and
    // a manager views any record: the managers are found, nobody edits it.
    let unlisted = |action: &str| {
        json!({"subject": {"type": "user"}, "action": {"name": action},
               "resource": {"type": "record", "id": "999"}})
    };
    assert_eq!(
        results("subject", unlisted("view"))["results"],
        json!([{"type": "user", "id": "alice"}, {"type": "user", "id": "dan"}])
    );
    assert_eq!(results("subject", unlisted("edit"))["results"], json!([]));
    // A user the file does not list holds no role: nothing.
    let zed = json!({"subject": {"type": "user", "id": "zed"}, "action": {"name": "view"},
                     "resource": {"type": "record"}});
    assert_eq!(
        results("resource", zed),
        json!({"page": {"next_token": "", "count": 0, "total": 0}, "results": []})
    );
    // An action the policy does not declare: empty results, and the error
    // an evaluation would carry, in the context.
    let share = json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "share"},
                       "resource": {"type": "record"}});
    assert_eq!(
        results("resource", share),
        json!({"page": {"next_token": "", "count": 0, "total": 0}, "results": [],
               "context": {"error": {"status": 400,
                   "message": "unknown action `share` for resource type `record`"}}})
    );
}
