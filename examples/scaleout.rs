//! Scale-out check (issue 21): three `rolecall serve` replicas behind HAProxy
//! on loopback, a bounded load through HAProxy while the policy file the
//! replicas read is replaced with a new version. Run by
//! `tests/scaleout/run.sh` (which installs Debian's haproxy), or by hand:
//!
//! ```sh
//! cargo build --bin rolecall --example scaleout
//! target/debug/examples/scaleout --rolecall target/debug/rolecall --haproxy /usr/sbin/haproxy
//! ```
//!
//! It fails (exit 1, saying why) unless every answer through HAProxy is a
//! 200 whose decision is the old or the new policy's for that request,
//! every request sent after all replicas report the new digest gets the new
//! policy's decision, both versions were seen during the load, every
//! replica answered some of it, and all three converge on the new digest
//! (generation 2 in `/health` and `/metrics`). Everything listens on
//! 127.0.0.1 on free ports; the load is bounded in requests and in time, and
//! every process it started is stopped before it exits.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rolecall::authzen::{Details, parse_evaluation};
use serde_json::Value;

/// Replicas behind the load balancer.
const REPLICAS: usize = 3;
/// Client threads, each on keep-alive connections to HAProxy.
const CLIENTS: usize = 4;
/// At most this many requests in all.
const MAX_REQUESTS: u64 = 100_000;
/// The whole check ends within this time, whatever happens.
const TIME_BOUND: Duration = Duration::from_secs(90);
/// Answers to collect before the policy is replaced, and after convergence.
const PHASE_ANSWERS: u64 = 1_000;

fn main() {
    match run() {
        Ok(summary) => println!("scaleout: ok ({summary})"),
        Err(why) => {
            eprintln!("scaleout FAILED: {why}");
            std::process::exit(1);
        }
    }
}

struct Options {
    rolecall: PathBuf,
    haproxy: PathBuf,
}

fn options() -> Result<Options, String> {
    let mut rolecall = None;
    let mut haproxy = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--rolecall" => rolecall = Some(PathBuf::from(value)),
            "--haproxy" => haproxy = Some(PathBuf::from(value)),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Options {
        rolecall: rolecall.ok_or("--rolecall PATH is required")?,
        haproxy: haproxy.unwrap_or_else(|| PathBuf::from("/usr/sbin/haproxy")),
    })
}

/// A child process stopped when dropped: SIGTERM, then SIGKILL after 10 s.
struct Process {
    name: String,
    child: Child,
}

impl Process {
    /// SIGTERM, and the exit status (killed after 10 s).
    fn stop(&mut self) -> Result<std::process::ExitStatus, String> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Ok(status);
        }
        let pid = libc::pid_t::try_from(self.child.id()).map_err(|e| e.to_string())?;
        // SAFETY: kill sends a signal to our own child; no memory is touched.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!("{} did not stop within 10 s of SIGTERM", self.name));
                }
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// One request of the load and its decision under each policy version.
struct Question {
    body: String,
    old: bool,
    new: bool,
}

/// The Todo suite's users, actions and owners: 100 questions.
fn questions(
    old: &rolecall::serve::Loaded,
    new: &rolecall::serve::Loaded,
) -> Result<Vec<Question>, String> {
    let users = [
        "rick@the-citadel.com",
        "morty@the-citadel.com",
        "summer@the-smiths.com",
        "beth@the-smiths.com",
        "jerry@the-smiths.com",
    ];
    let actions = [
        "can_read_todos",
        "can_create_todo",
        "can_update_todo",
        "can_delete_todo",
    ];
    let mut out = Vec::new();
    for user in users {
        for action in actions {
            for owner in users {
                let body = format!(
                    r#"{{"subject": {{"type": "user", "id": "{user}"}}, "action": {{"name": "{action}"}}, "resource": {{"type": "todo", "id": "7240", "properties": {{"ownerID": "{owner}"}}}}}}"#
                );
                let value: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
                let e = parse_evaluation(&value).map_err(|e| e.to_string())?;
                let old = old.pdp.decide(&e, Details::Decision);
                let new = new.pdp.decide(&e, Details::Decision);
                if old.error.is_some() || new.error.is_some() {
                    return Err(format!("the oracle could not decide {body}"));
                }
                out.push(Question {
                    body,
                    old: old.decision,
                    new: new.decision,
                });
            }
        }
    }
    Ok(out)
}

/// A free loopback port (bound, then released for the process that needs it).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

fn start_replica(rolecall: &Path, dir: &Path, n: usize) -> Result<(Process, SocketAddr), String> {
    let mut child = Command::new(rolecall)
        .arg("serve")
        .arg(dir.join("authzen_todo.policy"))
        .arg("--principals")
        .arg(dir.join("authzen_todo.principals.json"))
        .args(["--listen", "127.0.0.1:0", "--poll", "1", "--workers", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(dir.join(format!("replica-{n}.log")))
                .map_err(|e| e.to_string())?,
        )
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", rolecall.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut process = Process {
        name: format!("replica {n}"),
        child,
    };
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| {
            let _ = process.stop();
            format!("replica {n} did not say where it listens: {line:?}")
        })?;
    Ok((process, addr))
}

fn haproxy_config(front: u16, replicas: &[SocketAddr]) -> String {
    let mut cfg = format!(
        "global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    option http-keep-alive

frontend pdp
    bind 127.0.0.1:{front}
    default_backend replicas

backend replicas
    balance roundrobin
    # Readiness, not liveness: a replica that is stopping is drained.
    option httpchk
    http-check send meth GET uri /ready
    http-check expect status 200
    default-server inter 200ms fall 2 rise 1
"
    );
    for (n, addr) in replicas.iter().enumerate() {
        cfg.push_str(&format!("    server r{n} {addr} check\n"));
    }
    cfg
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            reader: BufReader::new(stream),
        })
    }

    /// Sends a request and reads its answer: status and body.
    fn send(&mut self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let request = if method == "POST" {
            format!(
                "POST {path} HTTP/1.1\r\nHost: pdp\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        } else {
            format!("{method} {path} HTTP/1.1\r\nHost: pdp\r\n\r\n")
        };
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0usize;
        let mut close = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.trim().eq_ignore_ascii_case("close");
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        if close {
            return Err(std::io::Error::other("connection closed by the server"));
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// A one-off GET on a fresh connection.
fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let mut conn = Conn::open(addr).map_err(|e| format!("{addr}: {e}"))?;
    match conn.send("GET", path, "") {
        Ok(answer) => Ok(answer),
        // A close after the answer is fine for a one-off request.
        Err(e) => Err(format!("GET {path} on {addr}: {e}")),
    }
}

fn health(addr: SocketAddr) -> Result<Value, String> {
    let (status, body) = get(addr, "/health")?;
    if status != 200 {
        return Err(format!("/health on {addr}: {status} {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("/health on {addr}: {e}: {body}"))
}

/// What a client saw: per answer, when it was sent (since the start), the
/// question, the status and the decision.
struct Seen {
    sent: Duration,
    question: usize,
    status: u16,
    decision: Option<bool>,
}

fn run() -> Result<String, String> {
    let options = options()?;
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("rolecall-scaleout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for file in ["authzen_todo.policy", "authzen_todo.principals.json"] {
        std::fs::copy(root.join("policies/examples").join(file), dir.join(file))
            .map_err(|e| e.to_string())?;
    }
    let policy = dir.join("authzen_todo.policy");
    let old_text = std::fs::read_to_string(&policy).map_err(|e| e.to_string())?;
    // The new version: viewers may create todos (deny to allow), and admins
    // lose deleting others' todos (allow to deny).
    let new_text = old_text
        .replace(
            "allow editor to can_create_todo",
            "allow viewer to can_create_todo",
        )
        .replace("    allow admin to can_delete_todo\n", "");
    if new_text == old_text {
        return Err("the new policy is the old one: the Todo policy changed".into());
    }
    let staged = dir.join("new").join("authzen_todo.policy");
    std::fs::create_dir_all(dir.join("new")).map_err(|e| e.to_string())?;
    std::fs::write(&staged, &new_text).map_err(|e| e.to_string())?;
    let principals = dir.join("authzen_todo.principals.json");
    let old = rolecall::serve::load(&policy, Some(&principals), &[]).map_err(|e| e.render())?;
    // The oracle for the new version reads it where the replicas will.
    let new = {
        let check = dir.join("check");
        std::fs::create_dir_all(&check).map_err(|e| e.to_string())?;
        let at = check.join("authzen_todo.policy");
        std::fs::write(&at, &new_text).map_err(|e| e.to_string())?;
        rolecall::serve::load(&at, Some(&principals), &[]).map_err(|e| e.render())?
    };
    let questions = Arc::new(questions(&old, &new)?);
    let changed = questions.iter().filter(|q| q.old != q.new).count();
    if changed == 0 {
        return Err("no decision differs between the two versions".into());
    }

    let mut replicas = Vec::new();
    let mut addrs = Vec::new();
    for n in 0..REPLICAS {
        let (process, addr) = start_replica(&options.rolecall, &dir, n)?;
        replicas.push(process);
        addrs.push(addr);
    }
    let old_digest = health(addrs[0])?["policy_digest"].clone();
    for &addr in &addrs {
        let h = health(addr)?;
        if h["policy_digest"] != old_digest || h["generation"] != 1 {
            return Err(format!("replica {addr} started with another version: {h}"));
        }
    }

    let front = free_port()?;
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, haproxy_config(front, &addrs)).map_err(|e| e.to_string())?;
    let haproxy = Command::new(&options.haproxy)
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("haproxy.log")).map_err(|e| e.to_string())?)
        .stderr(std::fs::File::create(dir.join("haproxy.err")).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", options.haproxy.display()))?;
    let mut haproxy = Process {
        name: "haproxy".into(),
        child: haproxy,
    };
    let lb = SocketAddr::from(([127, 0, 0, 1], front));
    // Up when it answers /ready through a replica.
    let up = Instant::now() + Duration::from_secs(20);
    while !matches!(get(lb, "/ready"), Ok((200, _))) {
        if Instant::now() > up {
            let err = std::fs::read_to_string(dir.join("haproxy.err")).unwrap_or_default();
            return Err(format!("HAProxy did not answer on {lb} within 20 s: {err}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // The load: clients send the questions round and round through HAProxy.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let issued = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let load_start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (stop, answered, issued, seen, questions) = (
                stop.clone(),
                answered.clone(),
                issued.clone(),
                seen.clone(),
                questions.clone(),
            );
            std::thread::spawn(move || -> Result<(), String> {
                let mut mine = Vec::new();
                let mut conn = None;
                while !stop.load(Ordering::SeqCst) && load_start.elapsed() < TIME_BOUND {
                    let n = issued.fetch_add(1, Ordering::SeqCst);
                    if n >= MAX_REQUESTS {
                        break;
                    }
                    let question = (n as usize * 7 + c) % questions.len();
                    let c = match conn.as_mut() {
                        Some(c) => c,
                        None => {
                            conn.insert(Conn::open(lb).map_err(|e| format!("client {c}: {e}"))?)
                        }
                    };
                    let sent = load_start.elapsed();
                    let (status, body) =
                        match c.send("POST", "/access/v1/evaluation", &questions[question].body) {
                            Ok(answer) => answer,
                            Err(e) => {
                                mine.push(Seen {
                                    sent,
                                    question,
                                    status: 0,
                                    decision: None,
                                });
                                conn = None;
                                eprintln!("client: {e}");
                                continue;
                            }
                        };
                    let decision = serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|v| v.get("decision").and_then(Value::as_bool));
                    mine.push(Seen {
                        sent,
                        question,
                        status,
                        decision,
                    });
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                seen.lock().map_err(|_| "poisoned")?.extend(mine);
                Ok(())
            })
        })
        .collect();
    let wait_for = |count: u64| -> Result<(), String> {
        while answered.load(Ordering::SeqCst) < count {
            if load_start.elapsed() > TIME_BOUND {
                return Err(format!("fewer than {count} answers within {TIME_BOUND:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    };
    let loaded = (|| -> Result<(Duration, Duration, Value), String> {
        wait_for(PHASE_ANSWERS)?;
        // Replace the policy the way a deployment does: a finished file renamed over the old.
        let replaced_at = load_start.elapsed();
        std::fs::rename(&staged, &policy).map_err(|e| e.to_string())?;
        // Converged when every replica reports generation 2 with one new digest.
        let digest = loop {
            let states = addrs
                .iter()
                .map(|&a| health(a))
                .collect::<Result<Vec<_>, _>>()?;
            let new_digest = &states[0]["policy_digest"];
            if states.iter().all(|h| {
                h["generation"] == 2 && h["status"] == "ok" && &h["policy_digest"] == new_digest
            }) {
                break new_digest.clone();
            }
            if states.iter().any(|h| h["status"] == "stale") {
                return Err(format!("a replica refused the new policy: {states:?}"));
            }
            if load_start.elapsed() > TIME_BOUND {
                return Err(format!("the replicas did not converge: {states:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let converged_at = load_start.elapsed();
        let after = answered.load(Ordering::SeqCst);
        wait_for(after + PHASE_ANSWERS)?;
        Ok((replaced_at, converged_at, digest))
    })();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().map_err(|_| "a client thread panicked")??;
    }
    let (replaced_at, converged_at, new_digest) = loaded?;

    // Every answer: 200, the old or the new decision; after convergence, the new.
    let seen = std::mem::take(&mut *seen.lock().map_err(|_| "poisoned")?);
    let (mut as_old, mut as_new, mut after) = (0, 0, 0);
    for s in &seen {
        let q = &questions[s.question];
        let Some(decision) = s.decision.filter(|_| s.status == 200) else {
            return Err(format!(
                "an answer was not a decision: status {} at {:?} for {}",
                s.status, s.sent, q.body
            ));
        };
        if decision != q.old && decision != q.new {
            return Err(format!(
                "decision {decision} is neither version's for {}",
                q.body
            ));
        }
        if s.sent >= converged_at {
            after += 1;
            if decision != q.new {
                return Err(format!(
                    "sent at {:?}, after convergence at {converged_at:?}, answered by the old policy: {}",
                    s.sent, q.body
                ));
            }
        }
        if q.old != q.new {
            if decision == q.old {
                as_old += 1;
            } else {
                as_new += 1;
            }
        }
    }
    if as_old == 0 || as_new == 0 {
        return Err(format!(
            "the change was not seen under load: {as_old} answers of the old version, {as_new} of the new, for the questions that changed"
        ));
    }
    // The digest they converged on is that of the file now in place.
    let expected =
        rolecall::serve::load(&policy, Some(&principals), &[]).map_err(|e| e.render())?;
    if new_digest == old_digest || new_digest != Value::String(expected.digest.clone()) {
        return Err(format!(
            "the replicas converged on {new_digest}, not the new files' {} (the old was {old_digest})",
            expected.digest
        ));
    }
    // Each replica answered part of the load, and its metrics say generation 2.
    let mut shares = Vec::new();
    for &addr in &addrs {
        let (status, text) = get(addr, "/metrics")?;
        if status != 200 {
            return Err(format!("/metrics on {addr}: {status}"));
        }
        if !text.lines().any(|l| l == "rolecall_policy_generation 2") {
            return Err(format!("{addr}'s metrics do not say generation 2"));
        }
        let decided: f64 = text
            .lines()
            .filter(|l| l.starts_with("rolecall_decisions_total{endpoint=\"evaluation\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        if decided < 1.0 {
            return Err(format!("replica {addr} answered none of the load"));
        }
        shares.push(decided as u64);
    }
    drop(haproxy.stop());
    for replica in &mut replicas {
        let status = replica.stop()?;
        if !status.success() {
            return Err(format!(
                "{} exited with {status} after SIGTERM",
                replica.name
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "{} answers through HAProxy, all 200 and each the old or the new policy's decision; policy replaced at {:.2} s, all {REPLICAS} replicas on {new_digest} at {:.2} s, {after} answers after that all the new policy's; of the {changed} changed questions' answers {as_old} old, {as_new} new; decisions per replica {shares:?}; {:.1} s in all",
        seen.len(),
        replaced_at.as_secs_f64(),
        converged_at.as_secs_f64(),
        started.elapsed().as_secs_f64()
    ))
}
