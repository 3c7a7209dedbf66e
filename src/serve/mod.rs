//! `rolecall serve`: an OpenID AuthZEN Authorization API 1.0 policy
//! decision point over HTTP/1.1, on tokio and hyper.
//!
//! [`Server::start`] loads the policy and the principals file, binds the
//! address and serves on a runtime of its own thread; dropping the
//! [`Server`] (or [`Server::shutdown`]) stops it and waits for requests in
//! flight. The policy is reloaded when one of its files changes (polled)
//! or on SIGHUP; a version that fails to load is logged and the previous
//! one stays in service. docs/authzen.md describes the endpoints.

pub mod auth;
mod decision_log;
mod http;
mod metrics;
mod page;
mod public_url;
pub mod state;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::{Notify, Semaphore, watch};

pub use http::{
    EVALUATION, EVALUATIONS, HEALTH, METADATA, METRICS, READY, SEARCH_ACTION, SEARCH_RESOURCE,
    SEARCH_SUBJECT,
};
pub use public_url::{PublicUrl, PublicUrlError};
pub use state::{LoadError, Loaded, load};

use state::{Current, stamps};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The policy file (its includes are watched too).
    pub policy: PathBuf,
    /// The principals file, if any.
    pub principals: Option<PathBuf>,
    /// Directories includes may read besides the policy's own (`--include-root`).
    pub include_roots: Vec<PathBuf>,
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The PDP identifier announced in the metadata, and the path prefix
    /// the endpoints are served under; by default `http(s)://` and the
    /// request's Host, no prefix.
    pub public_url: Option<PublicUrl>,
    /// Add the reason, rule and roles to each decision's context.
    pub explain: bool,
    /// Take the roles and kind of a subject the principals file does not list
    /// from `subject.properties` (only behind a PEP that verified them).
    pub trust_claimed_roles: bool,
    /// A file of bearer tokens, one per line: PEPs must present one (401 otherwise).
    pub token_file: Option<PathBuf>,
    /// PEM certificate chain and private key: serve HTTPS instead of plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest request body accepted, in bytes (larger: 413).
    pub max_body: usize,
    /// Most evaluations in one batch (more: 413).
    pub max_evaluations: usize,
    /// Largest answer, in bytes (larger: 413, the request asked for too much).
    pub max_answer: usize,
    /// How long a request's decision work may take (longer: 503 with
    /// `Retry-After`); also how long it may wait for a free decision thread.
    pub request_time: Duration,
    /// Most connections open at once (more: answered 503 and closed); held
    /// below the file-descriptor limit whatever is asked.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, then its
    /// body (slower: the connection is closed, or 408).
    pub read_timeout: Duration,
    /// How often to look for changed files; `None`: never.
    pub poll: Option<Duration>,
    /// Reload on SIGHUP (Unix).
    pub reload_on_sighup: bool,
    /// Stop on SIGINT and SIGTERM.
    pub stop_on_signals: bool,
    /// Runtime worker threads; `None`: one per core.
    pub workers: Option<usize>,
    /// Where to write one JSON line per decision (`-`: standard output).
    pub decision_log: Option<PathBuf>,
    /// How long a reload may take (a huge or slow file); then it is
    /// abandoned, counted as failed, and the previous version stays.
    pub reload_time: Duration,
}

impl Config {
    /// Warnings about this configuration's trust, as [`Server::trust_warnings`] logs them.
    pub fn trust_warnings(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.listen.ip().is_loopback() && self.tls.is_none() && self.token_file.is_none() {
            out.push("listening beyond loopback without TLS or a token file: anyone who reaches this address can ask for decisions, and read them in clear");
        }
        if self.tls.is_none() {
            out.push("serving plain HTTP (no --tls-cert): decisions and tokens cross the network in clear; only for a loopback sidecar or behind a TLS-terminating proxy");
        }
        if self.trust_claimed_roles {
            out.push("--trust-claimed-roles: a subject the principals file does not list gets the roles and kind its request claims; safe only behind a PEP that verified them");
        } else if self.principals.is_none() {
            out.push("no principals file, and claimed roles are not trusted: every subject holds only the policy's default roles");
        }
        out
    }

    /// Defaults for a policy: 127.0.0.1:8080, 1 MiB bodies, polling every
    /// second, no signal handling.
    pub fn new(policy: impl Into<PathBuf>) -> Config {
        Config {
            policy: policy.into(),
            principals: None,
            include_roots: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            explain: false,
            trust_claimed_roles: false,
            token_file: None,
            tls: None,
            max_body: 1024 * 1024,
            max_evaluations: 1000,
            max_answer: 4 * 1024 * 1024,
            request_time: Duration::from_secs(2),
            max_connections: 1024,
            read_timeout: Duration::from_secs(10),
            poll: Some(Duration::from_secs(1)),
            reload_on_sighup: false,
            stop_on_signals: false,
            workers: None,
            decision_log: None,
            reload_time: Duration::from_secs(30),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The policy or the principals file is invalid.
    #[error("{} is invalid", .0.file.display())]
    Load(LoadError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The decision log could not be opened.
    #[error("cannot open the decision log {}: {source}", path.display())]
    DecisionLog {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime or the signal handlers could not be set up.
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
}

/// State shared by the connections and the reloader.
pub(crate) struct Shared {
    config: Config,
    addr: SocketAddr,
    current: Current,
    stop: watch::Sender<bool>,
    reload: Notify,
    /// Signs and checks the search APIs' page tokens (a key per process).
    pages: page::Tokens,
    /// One permit per open connection (`max_connections`, below the fd limit).
    connections: Arc<Semaphore>,
    /// Connections being refused at the cap (each holds a descriptor briefly).
    refusals: Arc<Semaphore>,
    /// Decision work off the async workers: one permit per worker thread, so
    /// large requests queue (up to `request_time`) instead of piling up threads.
    heavy: Arc<Semaphore>,
    metrics: metrics::Metrics,
    decision_log: Option<decision_log::DecisionLog>,
}

/// A running server; dropping it stops it.
pub struct Server {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Loads the policy, binds, and serves on a thread of its own (with
    /// its own runtime: call it from synchronous code, or from
    /// `spawn_blocking` inside another runtime).
    pub fn start(config: Config) -> Result<Server, StartError> {
        let loaded = load_for(&config).map_err(StartError::Load)?;
        let listener =
            std::net::TcpListener::bind(config.listen).map_err(|source| StartError::Bind {
                addr: config.listen,
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(StartError::Runtime)?;
        let addr = listener.local_addr().map_err(StartError::Runtime)?;
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = config.workers {
            builder.worker_threads(n.max(1));
        }
        let runtime = builder
            .enable_all()
            .thread_name("rolecall-serve")
            .build()
            .map_err(StartError::Runtime)?;
        // Signal handlers are installed before start returns, so a signal
        // sent right after never meets the default action.
        let signals = {
            let _entered = runtime.enter();
            Signals::install(&config).map_err(StartError::Runtime)?
        };
        let (stop, _) = watch::channel(false);
        let pages = page::Tokens::new().map_err(|_| {
            StartError::Runtime(std::io::Error::other(
                "no random key for page tokens: the system's random source failed",
            ))
        })?;
        let workers = config.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let connections = connection_cap(config.max_connections);
        let decision_log = match &config.decision_log {
            None => None,
            Some(path) => Some(decision_log::DecisionLog::open(path).map_err(|source| {
                StartError::DecisionLog {
                    path: path.clone(),
                    source,
                }
            })?),
        };
        let shared = Arc::new(Shared {
            config,
            addr,
            current: Current::new(loaded),
            stop,
            reload: Notify::new(),
            pages,
            connections: Arc::new(Semaphore::new(connections)),
            refusals: Arc::new(Semaphore::new(REFUSALS)),
            heavy: Arc::new(Semaphore::new(workers.max(1))),
            metrics: metrics::Metrics::new(),
            decision_log,
        });
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(StartError::Runtime)?
        };
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("rolecall-serve".to_string())
            .spawn(move || {
                runtime.block_on(serve(for_thread, listener, signals));
                // Connections still open after the grace period are dropped here.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(StartError::Runtime)?;
        tracing::info!(%addr, files = ?shared.current.get().files, max_connections = connections, "rolecall serve: listening");
        Ok(Server {
            shared,
            thread: Some(thread),
        })
    }

    /// Warnings about the configuration's trust, logged at start (the CLI
    /// logs them once its subscriber is set up).
    pub fn trust_warnings(&self) -> Vec<&'static str> {
        self.shared.config.trust_warnings()
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.shared.config.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The address it listens on (with the port picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// 1 for the version loaded at start, +1 per successful reload.
    pub fn generation(&self) -> u64 {
        self.shared.current.generation()
    }

    /// The digest of the files of the version in service.
    pub fn policy_digest(&self) -> String {
        self.shared.current.get().digest.clone()
    }

    /// Reloads that failed (the previous version stayed in service).
    pub fn failed_reloads(&self) -> u64 {
        self.shared.current.failures()
    }

    /// Reloads now, as SIGHUP does.
    pub fn reload(&self) {
        self.shared.reload.notify_one();
    }

    /// Stops accepting, lets requests in flight finish (5 s at most), and waits.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Waits until the server stops (on SIGINT or SIGTERM when configured).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn stop_and_join(&mut self) {
        self.shared.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Loads the configured files, with the configuration's trust in claims.
fn load_for(config: &Config) -> Result<Loaded, LoadError> {
    let mut loaded = load(
        &config.policy,
        config.principals.as_deref(),
        &config.include_roots,
    )?;
    loaded.pdp.trust_claimed_roles = config.trust_claimed_roles;
    loaded.pdp.suggest = config.explain;
    // Read with the policy, so a rotated token or a renewed certificate is
    // picked up by the same reload, and a broken one keeps the previous.
    if let Some(path) = &config.token_file {
        loaded.tokens = Some(auth::Tokens::read(path).map_err(|diagnostics| LoadError {
            file: path.clone(),
            diagnostics,
        })?);
        loaded.files.push(path.clone());
    }
    if let Some((cert, key)) = &config.tls {
        loaded.tls = Some(tls::config(cert, key).map_err(|diagnostics| LoadError {
            file: cert.clone(),
            diagnostics,
        })?);
        loaded.files.push(cert.clone());
        loaded.files.push(key.clone());
    }
    Ok(loaded)
}

/// The signal streams the configuration asks for.
struct Signals {
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    stop: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    #[cfg(unix)]
    fn install(config: &Config) -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        let hangup = match config.reload_on_sighup {
            true => Some(signal(SignalKind::hangup())?),
            false => None,
        };
        let stop = match config.stop_on_signals {
            true => Some((
                signal(SignalKind::interrupt())?,
                signal(SignalKind::terminate())?,
            )),
            false => None,
        };
        Ok(Signals { hangup, stop })
    }

    #[cfg(not(unix))]
    fn install(_: &Config) -> std::io::Result<Signals> {
        Ok(Signals {})
    }
}

/// Accepts connections until told to stop, then drains them.
async fn serve(shared: Arc<Shared>, listener: tokio::net::TcpListener, signals: Signals) {
    let mut stop = shared.stop.subscribe();
    #[cfg(unix)]
    let Signals {
        hangup,
        stop: stop_signals,
    } = signals;
    #[cfg(not(unix))]
    let _ = signals;
    #[cfg(unix)]
    if let Some((mut interrupt, mut terminate)) = stop_signals {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
                _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
            }
            shared.stop.send_replace(true);
        });
    }
    #[cfg(unix)]
    let reloader = tokio::spawn(reloader(Arc::clone(&shared), hangup));
    #[cfg(not(unix))]
    let reloader = tokio::spawn(reloader(Arc::clone(&shared)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(shared.config.read_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let Ok(permit) = Arc::clone(&shared.connections).try_acquire_owned() else {
                        refuse(&shared, stream);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    let watcher = graceful.watcher();
                    let http = http.clone();
                    // The TLS configuration of the version in service when the connection came.
                    let tls = shared.current.get().tls.clone();
                    tokio::spawn(async move {
                        // Held until the connection ends.
                        let _permit = permit;
                        let service = {
                            let shared = Arc::clone(&shared);
                            service_fn(move |request| http::handle(Arc::clone(&shared), request))
                        };
                        let result = match tls {
                            None => watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await,
                            Some(tls) => {
                                let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
                                match tokio::time::timeout(shared.config.read_timeout, accept).await {
                                    Ok(Ok(stream)) => watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await,
                                    Ok(Err(e)) => {
                                        tracing::debug!(target: "rolecall::http", error = %e, "TLS handshake failed");
                                        return;
                                    }
                                    Err(_) => {
                                        tracing::debug!(target: "rolecall::http", "TLS handshake timed out");
                                        return;
                                    }
                                }
                            }
                        };
                        if let Err(e) = result {
                            tracing::debug!(target: "rolecall::http", error = %e, "connection closed with an error");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = stop.wait_for(|stopped| *stopped) => break,
        }
    }
    drop(listener);
    reloader.abort();
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("rolecall serve: stopped"),
        _ = tokio::time::sleep(Duration::from_secs(5)) => {
            tracing::warn!("rolecall serve: stopped with connections still open after 5 s");
        }
    }
}

/// The first line of a rendered diagnostic, for `/health`.
fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

/// Connections being answered 503 at once, past the cap; more are closed unanswered.
const REFUSALS: usize = 64;

/// Descriptors kept free below the limit: the listener, files read on
/// reload, the refusals, the runtime's own.
const FD_HEADROOM: u64 = REFUSALS as u64 + 64;

/// The connection cap: as asked, but below the file-descriptor limit, so
/// that accepting never fails for want of descriptors.
fn connection_cap(asked: usize) -> usize {
    let asked = asked.max(1);
    match fd_limit() {
        Some(limit) => {
            let room = usize::try_from(limit.saturating_sub(FD_HEADROOM)).unwrap_or(usize::MAX);
            asked.min(room.max(1))
        }
        None => asked,
    }
}

#[cfg(unix)]
fn fd_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given and nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(not(unix))]
fn fd_limit() -> Option<u64> {
    None
}

/// The answer at the connection cap: a 503 a client or a probe reads at once
/// (rather than waiting in the backlog), then the connection is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 39\r\n\r\ntoo many connections open; retry later\n";

/// Answers 503 to a connection past the cap, or closes it when too many are
/// being refused already.
fn refuse(shared: &Shared, stream: tokio::net::TcpStream) {
    shared.metrics.refused();
    let Ok(permit) = Arc::clone(&shared.refusals).try_acquire_owned() else {
        return;
    };
    tracing::debug!(target: "rolecall::http", "connection refused: at the connection cap");
    tokio::spawn(async move {
        let _permit = permit;
        let _ = stream.try_write(REFUSAL);
        // Read what the client sent for a moment: closing with unread bytes
        // would reset the connection before the client reads the 503.
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            let mut sink = [0u8; 4096];
            loop {
                if stream.readable().await.is_err() {
                    break;
                }
                match stream.try_read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => break,
                }
            }
        })
        .await;
    });
}

/// Reloads when a watched file changes, on SIGHUP, or when asked.
async fn reloader(
    shared: Arc<Shared>,
    #[cfg(unix)] mut hangup: Option<tokio::signal::unix::Signal>,
) {
    let poll = shared.config.poll;
    let mut interval = tokio::time::interval(poll.unwrap_or(Duration::from_secs(3600)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut files = shared.current.get().files.clone();
    let mut seen = stamps(&files);
    // A reload abandoned at its deadline, and whether it has finished since.
    let mut abandoned: Option<Arc<std::sync::atomic::AtomicBool>> = None;
    loop {
        #[cfg(unix)]
        let hup = async {
            match hangup.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hup = std::future::pending::<Option<()>>();
        let why = tokio::select! {
            _ = interval.tick() => {
                if poll.is_none() {
                    continue;
                }
                if stamps(&files) == seen {
                    continue;
                }
                "a file changed"
            }
            _ = hup => "SIGHUP",
            _ = shared.reload.notified() => "reload requested",
        };
        let before = stamps(&files);
        if let Some(running) = &abandoned {
            if !running.load(std::sync::atomic::Ordering::SeqCst) {
                let why_not =
                    "the previous reload, abandoned, is still reading: not starting another";
                shared.current.failed(why_not.to_string());
                tracing::error!(why, "{why_not}");
                seen = Vec::new();
                continue;
            }
        }
        let config = shared.config.clone();
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = Arc::clone(&finished);
        let work = tokio::task::spawn_blocking(move || {
            let loaded = load_for(&config);
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            loaded
        });
        let result = tokio::time::timeout(shared.config.reload_time, work).await;
        abandoned = None;
        // A file written while it was being read may have been read half
        // written: then look again at the next poll, whatever the outcome.
        let changed_meanwhile = stamps(&files) != before;
        match result {
            Ok(Ok(Ok(loaded))) => {
                files = loaded.files.clone();
                let digest = loaded.digest.clone();
                shared.current.swap(loaded);
                tracing::info!(
                    why,
                    generation = shared.current.generation(),
                    digest,
                    "policy reloaded"
                );
            }
            Ok(Ok(Err(e))) => {
                let rendered = e.render();
                shared
                    .current
                    .failed(format!("{}: {}", e.file.display(), first_line(&rendered)));
                tracing::error!(
                    why,
                    file = %e.file.display(),
                    diagnostics = %rendered,
                    "reload failed; the previous policy stays in service"
                );
            }
            Ok(Err(e)) => {
                shared.current.failed(format!("the reload failed: {e}"));
                tracing::error!(why, error = %e, "reload failed");
            }
            Err(_) => {
                // The thread cannot be stopped; it is left to finish and its result dropped.
                abandoned = Some(finished);
                let message = format!(
                    "the reload took longer than {} s and was abandoned",
                    shared.config.reload_time.as_secs_f64()
                );
                shared.current.failed(message.clone());
                tracing::error!(why, "{message}; the previous policy stays in service");
            }
        }
        seen = if changed_meanwhile {
            Vec::new()
        } else {
            stamps(&files)
        };
    }
}
