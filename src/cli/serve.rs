//! `rolecall serve POLICY [--principals FILE] [--listen ADDR]`: the AuthZEN
//! decision endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{CommandError, FAILURE, Io, OK, PolicyArgs, USAGE};
use crate::serve::{Config, PublicUrl, Server, StartError};

/// Serve decisions over HTTP: the OpenID AuthZEN Authorization API 1.0.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Endpoints:\n  POST /access/v1/evaluation             one decision\n  POST /access/v1/evaluations            a batch (options.evaluations_semantic)\n  POST /access/v1/search/subject         the listed subjects allowed an action (paged)\n  POST /access/v1/search/resource        the listed resources an action is allowed on (paged)\n  POST /access/v1/search/action          the actions allowed on a resource (paged)\n  GET  /.well-known/authzen-configuration   PDP metadata\n  GET  /health                           liveness: status (ok, stale, stopping), generation, digest\n  GET  /ready                            readiness: 200, or 503 once stopping\n  GET  /metrics                          Prometheus metrics\n\nThe policy is reloaded when one of its files changes and on SIGHUP; a version that does not\ncompile is logged and the previous one stays in service. SIGINT or SIGTERM stops the server\nafter the requests in flight. The mapping from AuthZEN requests to roles, actions and facts is\nin docs/authzen.md.\n\nExample:\n  rolecall serve policies/examples/authzen_todo.policy \\\n      --principals policies/examples/authzen_todo.principals.json --listen 127.0.0.1:8080"
)]
pub struct Args {
    /// Policy file.
    #[arg(value_name = "POLICY")]
    policy: PathBuf,
    /// Principals file (JSON): roles per subject, resource types, derived facts.
    #[arg(long, value_name = "FILE")]
    principals: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The PDP identifier announced in the metadata (default: http(s):// and the
    /// address listened on, never the request's Host); a path in it (https://pdp.example.com/tenant1) is the
    /// prefix the endpoints are served under, the metadata then at
    /// /.well-known/authzen-configuration/tenant1.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Add the reason, deciding rule and roles to each decision's context.
    #[arg(long)]
    explain: bool,
    /// Trust `subject.properties.roles` and `.kind` of a subject the principals
    /// file does not list: any caller that reaches the PDP can then claim any
    /// role, so only behind a PEP that verified them and overwrites what its
    /// callers send. Off: such a subject gets the policy's defaults only.
    #[arg(long)]
    trust_claimed_roles: bool,
    /// File of bearer tokens, one per line: PEPs must send `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Largest request body, in bytes (larger: 413).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    max_body: usize,
    /// Most evaluations in one batch (more: 413).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_evaluations: usize,
    /// Largest answer, in bytes (larger: 413; ask for fewer evaluations or a page.limit).
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    max_answer: usize,
    /// Milliseconds a request's decisions may take, waiting for a free
    /// decision thread included (longer: 503 with Retry-After).
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    request_time: u64,
    /// Most connections open at once (more: 503 and closed), and never above
    /// the file-descriptor limit less a reserve.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// Write one JSON line per decision to PATH (`-`: standard output): time,
    /// request id, subject, action, resource, decision, rule, policy digest.
    #[arg(long, value_name = "PATH")]
    decision_log: Option<PathBuf>,
    /// Seconds a reload may take before it is abandoned (the previous version stays).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    reload_time: u64,
    /// Seconds between checks for changed files (0: only reload on SIGHUP).
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    poll: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Log level: error, warn, info, debug (one line per decision), trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: tracing::Level,
    /// Log format: text or json (one JSON object per line).
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(flatten)]
    policy_args: PolicyArgs,
}

/// Serves until SIGINT or SIGTERM; exit 1 when it cannot start.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let public_url = match args.public_url.as_deref().map(PublicUrl::parse) {
        None => None,
        Some(Ok(url)) => Some(url),
        Some(Err(source)) => {
            io.error(CommandError::PublicUrl {
                url: args.public_url.clone().unwrap_or_default(),
                source,
            });
            return USAGE;
        }
    };
    let mut config = Config::new(&args.policy);
    config.principals.clone_from(&args.principals);
    config
        .include_roots
        .clone_from(&args.policy_args.include_root);
    config.listen = args.listen;
    config.public_url = public_url;
    config.explain = args.explain;
    config.trust_claimed_roles = args.trust_claimed_roles;
    config.token_file.clone_from(&args.token_file);
    config.tls = args.tls_cert.clone().zip(args.tls_key.clone());
    config.max_body = args.max_body;
    config.max_evaluations = args.max_evaluations;
    config.max_answer = args.max_answer;
    config.request_time = Duration::from_millis(args.request_time);
    config.max_connections = args.max_connections;
    config.decision_log.clone_from(&args.decision_log);
    config.reload_time = Duration::from_secs(args.reload_time.max(1));
    config.poll = (args.poll > 0).then(|| Duration::from_secs(args.poll));
    config.workers = args.workers;
    config.reload_on_sighup = true;
    config.stop_on_signals = true;
    match Server::start(config) {
        Ok(server) => {
            // After the start succeeded, so a failed start (and the tests of
            // one) leaves no global subscriber behind.
            init_logging(args.log_level, args.log_format == "json", io.color_err);
            tracing::info!(addr = %server.local_addr(), digest = server.policy_digest(), "rolecall serve: listening");
            for warning in server.trust_warnings() {
                tracing::warn!("{warning}");
            }
            let _ = writeln!(
                io.stdout,
                "listening on {}://{}",
                server.scheme(),
                server.local_addr()
            );
            let _ = io.stdout.flush();
            server.wait();
            OK
        }
        Err(StartError::Load(e)) => {
            io.diagnostics(&e.diagnostics);
            io.error(CommandError::invalid(&e.file, &e.diagnostics));
            FAILURE
        }
        Err(e) => {
            io.error(CommandError::Start(e));
            FAILURE
        }
    }
}

/// Logs to standard error; a second call (tests run commands in-process) keeps the first.
fn init_logging(level: tracing::Level, json: bool, color: bool) {
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(color && !json);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
