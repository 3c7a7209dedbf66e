//! Load test for `rolecall serve`, loopback only, bounded in requests and time.
//!
//! Starts the server in-process on 127.0.0.1 with the AuthZEN Todo policy
//! (or targets `--addr`, which must be a loopback address), then runs
//! `--clients` threads, each on one keep-alive connection, sending Access
//! Evaluation requests until `--requests` have been answered or
//! `--seconds` have passed. Prints requests per second and latency
//! percentiles; stops by itself.
//!
//! ```sh
//! cargo run --release --example loadtest -- --requests 200000 --clients 8
//! cargo run --release --example loadtest -- --requests 200000 --clients 8 --tls
//! ```
//!
//! `--tls` serves HTTPS with a self-signed certificate made at start (rcgen)
//! and has the clients speak TLS (rustls) on their keep-alive connections.
//!
//! `--cedar-agent` asks the same Todo questions of a peer PDP, a running
//! cedar-agent (`--addr` required): its `POST /v1/is_authorized` bodies,
//! with the policy and entities of `benches/compare/cedar-agent/` loaded
//! into it (docs/performance.md, "Side by side with a peer PDP").
//! `--cedar-agent-inline` sends the todo in each body instead (its
//! `additional_entities`, the owner in its attributes), as an AuthZEN body
//! carries `resource.properties.ownerID`.
//! `--decisions` asks each of the 100 questions once and prints one line
//! per question, `user action owner allow|deny`, so that two PDPs'
//! answers can be compared with `diff`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rolecall::serve::{Config, Server};

struct Options {
    requests: u64,
    clients: usize,
    seconds: u64,
    workers: Option<usize>,
    batch: usize,
    addr: Option<SocketAddr>,
    tls: bool,
    hostile: usize,
    items: Items,
    max_evaluations: Option<usize>,
    request_time: Option<u64>,
    decision_log: Option<std::path::PathBuf>,
    get: Option<String>,
    cedar_agent: bool,
    /// `--cedar-agent-inline`: the todo entity in the body.
    inline: bool,
    decisions: bool,
}

fn main() {
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("loadtest: {message}");
            eprintln!(
                "usage: loadtest [--requests N] [--clients C] [--seconds S] [--workers W] [--batch B] [--addr 127.0.0.1:PORT] [--tls] [--hostile N] [--items unknown|good|malformed] [--max-evaluations N] [--request-time MS] [--decision-log PATH] [--get PATH] [--cedar-agent] [--cedar-agent-inline] [--decisions]"
            );
            std::process::exit(2);
        }
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let tls = options.tls.then(certificate);
    let server = match options.addr {
        Some(_) => None,
        None => {
            let mut config = Config::new(root.join("policies/examples/authzen_todo.policy"));
            config.principals = Some(root.join("policies/examples/authzen_todo.principals.json"));
            config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
            config.poll = None;
            config.workers = options.workers;
            if let Some(n) = options.max_evaluations {
                config.max_evaluations = n;
                // The hostile mode measures the decision work, not the answer bound.
                config.max_answer = usize::MAX;
            }
            config.decision_log.clone_from(&options.decision_log);
            if let Some(ms) = options.request_time {
                config.request_time = Duration::from_millis(ms);
            }
            if let Some((_, cert, key)) = &tls {
                config.tls = Some((cert.clone(), key.clone()));
            }
            let started = Instant::now();
            match Server::start(config) {
                Ok(server) => {
                    println!("server started in {:?}", started.elapsed());
                    Some(server)
                }
                Err(e) => {
                    eprintln!("loadtest: cannot start the server: {e}");
                    std::process::exit(1);
                }
            }
        }
    };
    let addr = options
        .addr
        .or(server.as_ref().map(Server::local_addr))
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let client_tls = tls.map(|(der, _, _)| client_config(der));
    if options.hostile > 0 {
        hostile(
            addr,
            options.hostile,
            options.items,
            options.seconds,
            client_tls.as_ref(),
        );
        drop(server);
        print_peak();
        return;
    }
    let bodies = Arc::new(if options.cedar_agent {
        cedar_agent_bodies(options.inline)
    } else {
        bodies(options.batch)
    });
    let path = if options.cedar_agent {
        "/v1/is_authorized"
    } else if options.batch > 0 {
        "/access/v1/evaluations"
    } else {
        "/access/v1/evaluation"
    };
    if options.decisions {
        let code = decisions(addr, client_tls.as_ref(), path, &bodies);
        drop(server);
        std::process::exit(code);
    }
    let issued = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let start = Instant::now();
    let threads: Vec<_> = (0..options.clients)
        .map(|c| {
            let (bodies, issued, errors) = (bodies.clone(), issued.clone(), errors.clone());
            let client_tls = client_tls.clone();
            let total = options.requests;
            let get = options.get.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut conn = match Conn::open(addr, client_tls.as_ref()) {
                    Ok(conn) => conn,
                    Err(e) => {
                        eprintln!("loadtest: client {c}: cannot connect to {addr}: {e}");
                        errors.fetch_add(1, Ordering::Relaxed);
                        return latencies;
                    }
                };
                loop {
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    if n >= total || Instant::now() >= deadline {
                        break;
                    }
                    let body = &bodies[n as usize % bodies.len()];
                    let t = Instant::now();
                    let answer = match &get {
                        Some(get) => conn.get(get),
                        None => conn.post(path, body),
                    };
                    match answer {
                        Ok(200) => latencies.push(t.elapsed()),
                        Ok(_) | Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            match Conn::open(addr, client_tls.as_ref()) {
                                Ok(fresh) => conn = fresh,
                                Err(_) => break,
                            }
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap_or_default())
        .collect();
    let elapsed = start.elapsed();
    drop(server);
    latencies.sort_unstable();
    let ok = latencies.len();
    let pct = |p: f64| {
        latencies
            .get(
                ((ok as f64 * p).ceil() as usize)
                    .saturating_sub(1)
                    .min(ok.saturating_sub(1)),
            )
            .copied()
            .unwrap_or_default()
    };
    let decisions = match (&options.get, options.batch) {
        (Some(_), _) => 0,
        (None, 0) => 1,
        (None, batch) => batch,
    };
    println!(
        "{} requests ok, {} errors, {} clients, {} decisions per request, {:.2} s",
        ok,
        errors.load(Ordering::Relaxed),
        options.clients,
        decisions,
        elapsed.as_secs_f64()
    );
    println!(
        "{:.0} requests/s ({:.0} decisions/s)",
        ok as f64 / elapsed.as_secs_f64(),
        (ok * decisions) as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    print_peak();
}

/// Server and clients share the process: an upper bound on the server's memory.
fn print_peak() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak resident memory of the process: {}",
                line.trim_start_matches("VmHWM:").trim()
            );
        }
    }
}

fn parse(args: Vec<String>) -> Result<Options, String> {
    let mut options = Options {
        requests: 100_000,
        clients: 8,
        seconds: 30,
        workers: None,
        batch: 0,
        addr: None,
        tls: false,
        hostile: 0,
        items: Items::Unknown,
        max_evaluations: None,
        request_time: None,
        decision_log: None,
        get: None,
        cedar_agent: false,
        inline: false,
        decisions: false,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--tls" => options.tls = true,
            "--cedar-agent" => options.cedar_agent = true,
            "--cedar-agent-inline" => {
                options.cedar_agent = true;
                options.inline = true;
            }
            "--decisions" => options.decisions = true,
            _ => {}
        }
        if matches!(
            flag.as_str(),
            "--tls" | "--cedar-agent" | "--cedar-agent-inline" | "--decisions"
        ) {
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: `{value}` is not a number"))
        };
        match flag.as_str() {
            "--requests" => options.requests = number()?,
            "--clients" => options.clients = number()?.clamp(1, 256) as usize,
            "--seconds" => options.seconds = number()?.clamp(1, 600),
            "--workers" => options.workers = Some(number()?.max(1) as usize),
            "--batch" => options.batch = number()?.min(1000) as usize,
            "--hostile" => options.hostile = number()?.clamp(1, 16) as usize,
            "--items" => {
                options.items = match value.as_str() {
                    "unknown" => Items::Unknown,
                    "good" => Items::Good,
                    "malformed" => Items::Malformed,
                    _ => return Err("--items takes unknown, good or malformed".into()),
                }
            }
            "--max-evaluations" => options.max_evaluations = Some(number()? as usize),
            "--request-time" => options.request_time = Some(number()?),
            "--decision-log" => options.decision_log = Some(value.into()),
            // GET this path (`/health`) instead of asking for decisions: the
            // cost of a request that decides nothing, to compare with.
            "--get" => {
                if !value.starts_with('/') {
                    return Err("--get takes a path such as /health".into());
                }
                options.get = Some(value);
            }
            "--addr" => {
                let addr: SocketAddr = value
                    .parse()
                    .map_err(|_| format!("--addr: `{value}` is not an address"))?;
                if !addr.ip().is_loopback() {
                    return Err("--addr must be a loopback address (127.0.0.0/8 or ::1)".into());
                }
                options.addr = Some(addr);
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.cedar_agent && options.addr.is_none() {
        return Err("--cedar-agent needs --addr (a cedar-agent already running)".into());
    }
    if options.cedar_agent && (options.tls || options.batch > 0 || options.hostile > 0) {
        return Err("--cedar-agent takes none of --tls, --batch, --hostile".into());
    }
    if options.decisions && (options.batch > 0 || options.hostile > 0 || options.get.is_some()) {
        return Err("--decisions takes none of --batch, --hostile, --get".into());
    }
    Ok(options)
}

/// What the items of a hostile batch are (`--items`), all of one byte size
/// so that the batches hold as many items.
#[derive(Debug, Clone, Copy)]
enum Items {
    /// `{}` with the default action `no_such_action`: each an unknown
    /// action, the request of issue 21.
    Unknown,
    /// `{}` with the default action `can_read_todos`: each a permit.
    Good,
    /// `[]`: each not an evaluation object, answered as that item's 400.
    Malformed,
}

/// The hostile request of issue 21: a batch of one MiB whose items are all
/// `{}` (or `[]`), each an evaluation once the defaults apply.
fn hostile_body(items: Items) -> String {
    let (action, item) = match items {
        Items::Unknown => ("no_such_action", "{}"),
        Items::Good => ("can_read_todos", "{}"),
        Items::Malformed => ("can_read_todos", "[]"),
    };
    let head = format!(
        r#"{{"subject": {{"type": "user", "id": "rick@the-citadel.com"}}, "action": {{"name": "{action}"}}, "resource": {{"type": "todo", "id": "1"}}, "evaluations": ["#
    );
    let n = (1024 * 1024 - head.len() - 2) / 3;
    let mut body = String::with_capacity(1024 * 1024);
    body.push_str(&head);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str("]}");
    body
}

/// `clients` threads each send one hostile batch at once while a probe
/// asks `GET /health` every 50 ms; prints each batch's status, time and
/// answer size, and the slowest probe. Bounded by `seconds` (reads time out).
fn hostile(
    addr: SocketAddr,
    clients: usize,
    items: Items,
    seconds: u64,
    tls: Option<&Arc<rustls::ClientConfig>>,
) {
    let body = Arc::new(hostile_body(items));
    let count = body.matches("{}").count() + body.matches("[]").count();
    println!(
        "{clients} hostile batch(es) of {} bytes ({count} {items:?} evaluations each)",
        body.len(),
    );
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (done, tls) = (done.clone(), tls.cloned());
        std::thread::spawn(move || {
            let mut slowest = Duration::ZERO;
            let mut probes = 0u32;
            let deadline = Instant::now() + Duration::from_secs(seconds);
            while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
                let t = Instant::now();
                let ok = Conn::open(addr, tls.as_ref()).and_then(|mut c| c.get("/health"));
                if ok.is_ok() {
                    slowest = slowest.max(t.elapsed());
                    probes += 1;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            (probes, slowest)
        })
    };
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (body, tls) = (body.clone(), tls.cloned());
            std::thread::spawn(move || {
                let t = Instant::now();
                let answer = Conn::open_timeout(addr, tls.as_ref(), Duration::from_secs(seconds))
                    .and_then(|mut c| c.post_sized("/access/v1/evaluations", &body));
                (answer, t.elapsed())
            })
        })
        .collect();
    for thread in threads {
        match thread.join() {
            Ok((Ok((status, size)), took)) => {
                println!(
                    "hostile batch: status {status}, {size} bytes answered, in {took:?} ({:.3} µs an item)",
                    took.as_secs_f64() * 1e6 / count as f64
                )
            }
            Ok((Err(e), took)) => println!("hostile batch: failed after {took:?}: {e}"),
            Err(_) => println!("hostile batch: client thread panicked"),
        }
    }
    println!("all hostile batches answered in {:?}", started.elapsed());
    done.store(true, Ordering::Relaxed);
    if let Ok((probes, slowest)) = probe.join() {
        println!("{probes} health probes meanwhile, the slowest in {slowest:?}");
    }
}

const USERS: [&str; 5] = [
    "rick@the-citadel.com",
    "morty@the-citadel.com",
    "summer@the-smiths.com",
    "beth@the-smiths.com",
    "jerry@the-smiths.com",
];

const ACTIONS: [&str; 4] = [
    "can_read_todos",
    "can_create_todo",
    "can_update_todo",
    "can_delete_todo",
];

/// The questions asked, in the order of the bodies: (user, action, owner of the todo).
fn questions() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    for user in USERS {
        for action in ACTIONS {
            for owner in USERS {
                out.push((user, action, owner));
            }
        }
    }
    out
}

/// The same questions as cedar-agent's `is_authorized` bodies. Stored: the
/// todo is the entity `Todo::"todo-of-OWNER"` of the data store, whose
/// `owner` attribute is `User::"OWNER"` (benches/compare/cedar-agent/
/// todo.data.json). Inline: the todo (the load test's one id) comes in the
/// body's `additional_entities`, with its `owner`.
fn cedar_agent_bodies(inline: bool) -> Vec<String> {
    questions()
        .into_iter()
        .map(|(user, action, owner)| {
            let head = format!(
                r#"{{"principal": "User::\"{user}\"", "action": "Action::\"{action}\"", "#
            );
            if inline {
                let todo = "7240d0db-8ff0-41ec-98b2-34a096273b9f";
                format!(
                    r#"{head}"resource": "Todo::\"{todo}\"", "additional_entities": [{{"uid": {{"type": "Todo", "id": "{todo}"}}, "attrs": {{"owner": {{"__entity": {{"type": "User", "id": "{owner}"}}}}}}, "parents": []}}]}}"#
                )
            } else {
                format!(r#"{head}"resource": "Todo::\"todo-of-{owner}\""}}"#)
            }
        })
        .collect()
}

/// Asks each question once (`bodies` in the order of `questions`) and
/// prints `user action owner allow|deny`; 0 if every answer was a 200
/// with a decision, 1 otherwise.
fn decisions(
    addr: SocketAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
    path: &str,
    bodies: &[String],
) -> i32 {
    let mut conn = match Conn::open(addr, tls) {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("loadtest: cannot connect to {addr}: {e}");
            return 1;
        }
    };
    let mut code = 0;
    for ((user, action, owner), body) in questions().into_iter().zip(bodies) {
        let decision = match conn.post(path, body) {
            Ok(200) => decision_of(&conn.body),
            Ok(status) => Err(format!("status {status}")),
            Err(e) => Err(e.to_string()),
        };
        match decision {
            Ok(allow) => println!(
                "{user} {action} {owner} {}",
                if allow { "allow" } else { "deny" }
            ),
            Err(e) => {
                println!("{user} {action} {owner} error: {e}");
                code = 1;
            }
        }
    }
    code
}

/// The decision of an answer: AuthZEN's `"decision": true|false` or
/// cedar-agent's `"decision": "Allow"|"Deny"`.
fn decision_of(body: &[u8]) -> Result<bool, String> {
    let text = String::from_utf8_lossy(body);
    let after = text
        .split_once("\"decision\"")
        .map(|(_, after)| after.trim_start())
        .and_then(|after| after.strip_prefix(':'))
        .map(str::trim_start)
        .ok_or_else(|| format!("no decision in {text:?}"))?;
    for (word, allow) in [
        ("true", true),
        ("\"Allow\"", true),
        ("false", false),
        ("\"Deny\"", false),
    ] {
        if after.starts_with(word) {
            return Ok(allow);
        }
    }
    Err(format!("no decision in {text:?}"))
}

/// Request bodies cycled through: the Todo suite's mix of users and actions.
fn bodies(batch: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (user, action, owner) in questions() {
        let resource = format!(
            r#"{{"type": "todo", "id": "7240d0db-8ff0-41ec-98b2-34a096273b9f", "properties": {{"ownerID": "{owner}"}}}}"#
        );
        let body = if batch > 0 {
            let items = vec![format!(r#"{{"resource": {resource}}}"#); batch].join(", ");
            format!(
                r#"{{"subject": {{"type": "user", "id": "{user}"}}, "action": {{"name": "{action}"}}, "evaluations": [{items}]}}"#
            )
        } else {
            format!(
                r#"{{"subject": {{"type": "user", "id": "{user}"}}, "action": {{"name": "{action}"}}, "resource": {resource}}}"#
            )
        };
        out.push(body);
    }
    out
}

/// A self-signed certificate for `localhost` (DER) and its PEM files in the temporary directory.
fn certificate() -> (Vec<u8>, std::path::PathBuf, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .unwrap_or_else(|e| panic!("cannot make a certificate: {e}"));
    let dir = std::env::temp_dir().join(format!("rolecall-loadtest-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap_or_else(|e| panic!("{e}"));
    (made.cert.der().to_vec(), cert, key)
}

fn client_config(der: Vec<u8>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(der))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("{e}"))
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

/// A connection's byte stream: plain TCP or TLS over it.
trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    reader: BufReader<Box<dyn Stream>>,
    /// The request being sent, reused: it leaves in one `write_all`, since
    /// on a `TCP_NODELAY` stream each `write` is a packet of its own (a
    /// `write!` of the formatted request made six), which measured the
    /// load generator rather than the server.
    request: Vec<u8>,
    /// The last response's body.
    body: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr, tls: Option<&Arc<rustls::ClientConfig>>) -> std::io::Result<Conn> {
        Conn::open_timeout(addr, tls, Duration::from_secs(10))
    }

    fn open_timeout(
        addr: SocketAddr,
        tls: Option<&Arc<rustls::ClientConfig>>,
        read_timeout: Duration,
    ) -> std::io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(read_timeout))?;
        let stream: Box<dyn Stream> = match tls {
            None => Box::new(stream),
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from("localhost")
                    .map_err(std::io::Error::other)?;
                let connection = rustls::ClientConnection::new(Arc::clone(config), name)
                    .map_err(std::io::Error::other)?;
                Box::new(rustls::StreamOwned::new(connection, stream))
            }
        };
        Ok(Conn {
            reader: BufReader::new(stream),
            request: Vec::new(),
            body: Vec::new(),
        })
    }

    /// Sends one request and reads the whole response; returns the status.
    fn post(&mut self, path: &str, body: &str) -> std::io::Result<u16> {
        self.post_sized(path, body).map(|(status, _)| status)
    }

    fn get(&mut self, path: &str) -> std::io::Result<u16> {
        self.request.clear();
        write!(
            self.request,
            "GET {path} HTTP/1.1\r\nHost: loadtest\r\n\r\n"
        )?;
        self.exchange().map(|(status, _)| status)
    }

    /// Sends one request and reads the whole response; returns the status
    /// and the body's length.
    fn post_sized(&mut self, path: &str, body: &str) -> std::io::Result<(u16, usize)> {
        self.request.clear();
        write!(
            self.request,
            "POST {path} HTTP/1.1\r\nHost: loadtest\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        self.exchange()
    }

    fn exchange(&mut self) -> std::io::Result<(u16, usize)> {
        let writer = self.reader.get_mut();
        writer.write_all(&self.request)?;
        writer.flush()?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0usize;
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
                }
            }
        }
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        Ok((status, length))
    }
}
