//! Issue 21 §2: `rolecall serve` watched with the usual tools: Prometheus
//! metrics, a decision log, liveness that tells a refused reload, readiness.

use std::time::Duration;

use serde_json::{Value, json};

use crate::serve::{eventually, post, request, scratch, scratch_config, start, todo_config};

fn rick_reads() -> Value {
    json!({"subject": {"type": "user", "id": "rick@the-citadel.com"},
           "action": {"name": "can_read_todos"}, "resource": {"type": "todo", "id": "1"}})
}

#[test]
fn metrics_count_requests_and_decisions_by_endpoint_and_outcome() {
    let server = start(todo_config());
    let addr = server.local_addr();
    assert_eq!(
        post(addr, "/access/v1/evaluation", &rick_reads()).status,
        200
    );
    let mut batch = rick_reads();
    batch["evaluations"] = json!([{}, {"action": {"name": "nope"}}, {"subject": {"type": "user", "id": "jerry@the-smiths.com"}, "action": {"name": "can_delete_todo"}}]);
    assert_eq!(post(addr, "/access/v1/evaluations", &batch).status, 200);
    let reply = request(addr, "GET", "/metrics", &[], "");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or("")
            .starts_with("application/openmetrics-text")
    );
    for line in [
        r#"rolecall_http_requests_total{endpoint="evaluation",status="200"} 1"#,
        r#"rolecall_http_requests_total{endpoint="evaluations",status="200"} 1"#,
        r#"rolecall_decisions_total{endpoint="evaluation",outcome="permit"} 1"#,
        r#"rolecall_decisions_total{endpoint="evaluations",outcome="permit"} 1"#,
        r#"rolecall_decisions_total{endpoint="evaluations",outcome="error"} 1"#,
        r#"rolecall_decisions_total{endpoint="evaluations",outcome="deny"} 1"#,
        r#"rolecall_http_request_duration_seconds_count{endpoint="evaluation"} 1"#,
        "rolecall_policy_generation 1",
        "rolecall_reload_failures 0",
        // The scrape itself, and nothing else.
        "rolecall_http_requests_in_flight 1",
        "rolecall_decision_log_dropped_total 0",
    ] {
        assert!(
            reply.body.lines().any(|l| l == line),
            "no `{line}` in\n{}",
            reply.body
        );
    }
}

#[test]
fn the_decision_log_writes_one_json_line_per_decision() {
    let dir = scratch("decision-log");
    let log = dir.join("decisions.jsonl");
    let mut config = scratch_config(&dir);
    config.decision_log = Some(log.clone());
    let server = start(config);
    let addr = server.local_addr();
    let reply = request(
        addr,
        "POST",
        "/access/v1/evaluation",
        &[
            ("Content-Type", "application/json"),
            ("X-Request-ID", "r-1"),
        ],
        &rick_reads().to_string(),
    );
    assert_eq!(reply.status, 200);
    let mut batch = rick_reads();
    batch["evaluations"] = json!([{"action": {"name": "can_delete_todo"}, "subject": {"type": "user", "id": "jerry@the-smiths.com"}}]);
    assert_eq!(post(addr, "/access/v1/evaluations", &batch).status, 200);
    let lines = || -> Vec<Value> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    eventually("two log lines", || lines().len() == 2);
    let lines = lines();
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "time",
            "request_id",
            "subject",
            "action",
            "resource",
            "decision",
            "rule",
            "error",
            "policy_digest"
        ]
    );
    assert_eq!(lines[0]["request_id"], "r-1");
    assert_eq!(
        lines[0]["subject"],
        json!({"type": "user", "id": "rick@the-citadel.com"})
    );
    assert_eq!(lines[0]["action"], "can_read_todos");
    assert_eq!(lines[0]["decision"], true);
    assert!(
        lines[0]["rule"]
            .as_str()
            .unwrap()
            .contains("authzen_todo.policy:")
    );
    assert_eq!(lines[0]["policy_digest"], json!(server.policy_digest()));
    assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1]["subject"]["id"], "jerry@the-smiths.com");
    assert_eq!(lines[1]["decision"], false);
}

#[test]
fn health_says_when_the_newest_files_were_refused_and_ready_answers() {
    let dir = scratch("health-stale");
    let mut config = scratch_config(&dir);
    config.poll = Some(Duration::from_millis(25));
    let server = start(config);
    let addr = server.local_addr();
    let health = || request(addr, "GET", "/health", &[], "").json();
    assert_eq!(health()["status"], "ok");
    assert_eq!(request(addr, "GET", "/ready", &[], "").status, 200);
    let policy = dir.join("authzen_todo.policy");
    let original = std::fs::read_to_string(&policy).unwrap();
    let tmp = policy.with_extension("tmp");
    std::fs::write(&tmp, original.replace("role admin", "role admin : nobody")).unwrap();
    std::fs::rename(&tmp, &policy).unwrap();
    eventually("the failed reload", || server.failed_reloads() > 0);
    let stale = health();
    assert_eq!(stale["status"], "stale", "{stale}");
    assert_eq!(stale["generation"], 1);
    assert!(
        stale["refused"]
            .as_str()
            .unwrap()
            .contains("authzen_todo.policy"),
        "{stale}"
    );
    assert_eq!(request(addr, "GET", "/ready", &[], "").status, 200);
    std::fs::write(
        &tmp,
        original
            .replace("can_create_todo", "can_create_todo ")
            .replace("\n\n", "\n\n\n"),
    )
    .unwrap();
    std::fs::rename(&tmp, &policy).unwrap();
    eventually("the good reload", || server.generation() == 2);
    let fixed = health();
    assert_eq!(fixed["status"], "ok", "{fixed}");
    assert!(fixed.get("refused").is_none());
}

#[test]
fn a_reload_past_its_deadline_is_abandoned_and_reported() {
    let dir = scratch("reload-deadline");
    let mut config = scratch_config(&dir);
    // No time at all (the timer's granularity, a millisecond), and a policy
    // made slow to read: a few megabytes of comments take far longer.
    config.reload_time = Duration::ZERO;
    let server = start(config);
    let addr = server.local_addr();
    let policy = dir.join("authzen_todo.policy");
    let mut slow = std::fs::read_to_string(&policy).unwrap();
    for _ in 0..100_000 {
        slow.push_str("# a comment line that makes the file slow to read\n");
    }
    std::fs::write(&policy, slow).unwrap();
    server.reload();
    eventually("the abandoned reload", || server.failed_reloads() > 0);
    assert_eq!(server.generation(), 1);
    let health = request(addr, "GET", "/health", &[], "").json();
    assert_eq!(health["status"], "stale", "{health}");
    assert!(
        health["refused"].as_str().unwrap().contains("abandoned"),
        "{health}"
    );
    // The reloader is not stuck: the next reload is tried (and abandoned, or
    // refused while the first is still reading).
    let failures = server.failed_reloads();
    server.reload();
    eventually("the next attempt", || server.failed_reloads() > failures);
}

/// `n` evaluations of rick reading a todo, as one batch.
fn reads(n: usize) -> Value {
    let mut batch = rick_reads();
    batch["evaluations"] = json!(vec![json!({}); n]);
    batch
}

#[test]
fn every_queued_decision_log_line_is_written_before_the_server_has_stopped() {
    let dir = scratch("decision-log-stop");
    let log = dir.join("decisions.jsonl");
    let mut config = scratch_config(&dir);
    config.decision_log = Some(log.clone());
    let server = start(config);
    let addr = server.local_addr();
    for _ in 0..5 {
        assert_eq!(
            post(addr, "/access/v1/evaluations", &reads(200)).status,
            200
        );
    }
    // No waiting: the lines are on disk once the server has stopped.
    server.shutdown();
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), 1000);
    for line in text.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["decision"], true, "{line}");
    }
}

/// Decision log lines that find the queue full are dropped and counted, and
/// answering does not wait: the log is a FIFO that nobody reads, so the
/// writer is stuck once the pipe is full, and the queue fills behind it.
#[cfg(unix)]
#[test]
fn a_stuck_decision_log_drops_and_counts_lines_and_answers_go_on() {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = scratch("decision-log-stuck");
    let fifo = dir.join("decisions.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A reader that reads nothing yet (non-blocking, so opening does not wait
    // for the writer; the server's open then finds a reader).
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let mut config = scratch_config(&dir);
    config.decision_log = Some(fifo.clone());
    config.max_evaluations = 30_000;
    config.max_answer = usize::MAX;
    config.request_time = Duration::from_secs(60);
    let server = start(config);
    let addr = server.local_addr();
    // More decisions than the queue and the pipe together hold.
    let decisions = 30_000;
    let started = std::time::Instant::now();
    let reply = post(addr, "/access/v1/evaluations", &reads(decisions));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(started.elapsed() < Duration::from_secs(15));
    let metrics = request(addr, "GET", "/metrics", &[], "").body;
    let dropped: usize = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rolecall_decision_log_dropped_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(dropped > 0, "{metrics}");
    // Now read the pipe while the server stops: what was not dropped was written.
    let drain = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 65536];
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(std::time::Instant::now() < deadline, "the log never closed");
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("{e}"),
            }
        }
        bytes
    });
    server.shutdown();
    let bytes = drain.join().unwrap();
    let written = bytes.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(written + dropped, decisions);
}
