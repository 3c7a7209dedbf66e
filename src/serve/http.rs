//! The HTTPS binding of the AuthZEN API (HTTP/1.1, over TLS with
//! `--tls-cert`): routes, authentication, body limits, errors, request ids.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::Shared;
use super::auth::Verdict;
use super::metrics::{Endpoint, Outcome};
use super::public_url::PublicUrl;
use crate::authzen::answer::DecisionWriter;
use crate::authzen::{
    BadRequest, Batch, Decided, Details, Evaluation, Page, PdpError, Semantic, Window,
    parse_action_search, parse_evaluation, parse_evaluations, parse_resource_search,
    parse_subject_search,
};
use crate::serve::state::Loaded;

/// The path of the PDP metadata.
pub const METADATA: &str = "/.well-known/authzen-configuration";
/// The Access Evaluation API.
pub const EVALUATION: &str = "/access/v1/evaluation";
/// The Access Evaluations API.
pub const EVALUATIONS: &str = "/access/v1/evaluations";
/// The Subject Search API.
pub const SEARCH_SUBJECT: &str = "/access/v1/search/subject";
/// The Resource Search API.
pub const SEARCH_RESOURCE: &str = "/access/v1/search/resource";
/// The Action Search API.
pub const SEARCH_ACTION: &str = "/access/v1/search/action";
/// Liveness and the version in service (not part of AuthZEN).
pub const HEALTH: &str = "/health";
/// Readiness: 503 once the server is stopping (not part of AuthZEN).
pub const READY: &str = "/ready";
/// Prometheus metrics (not part of AuthZEN).
pub const METRICS: &str = "/metrics";

type Reply = Response<Full<Bytes>>;

/// Answers one HTTP request; never fails (errors are HTTP responses).
pub async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Reply, Infallible> {
    let started = Instant::now();
    let _in_flight = shared.metrics.in_flight();
    let request_id = request.headers().get("x-request-id").cloned();
    let route = route_of(&shared, request.uri().path());
    let mut reply = answer_route(&shared, route, request, request_id.as_ref()).await;
    shared.metrics.request(
        route.endpoint(),
        reply.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    if let Some(id) = request_id {
        reply.headers_mut().insert("x-request-id", id);
    }
    Ok(reply)
}

/// What a request path names, once the public URL's path prefix is taken off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Metadata,
    Health,
    Evaluation,
    Evaluations,
    SearchSubject,
    SearchResource,
    SearchAction,
    Ready,
    Metrics,
    Unknown,
}

impl Route {
    fn endpoint(self) -> Endpoint {
        match self {
            Route::Metadata => Endpoint::metadata,
            Route::Health => Endpoint::health,
            Route::Ready => Endpoint::ready,
            Route::Metrics => Endpoint::metrics,
            Route::Evaluation => Endpoint::evaluation,
            Route::Evaluations => Endpoint::evaluations,
            Route::SearchSubject => Endpoint::search_subject,
            Route::SearchResource => Endpoint::search_resource,
            Route::SearchAction => Endpoint::search_action,
            Route::Unknown => Endpoint::unknown,
        }
    }
}

/// The route of `path`: the AuthZEN endpoints under the public URL's path
/// (`/tenant1/access/v1/evaluation`), the metadata at the well-known path
/// with that path appended (`/.well-known/authzen-configuration/tenant1`),
/// `/health` at the root whatever the prefix (load balancers probe the host).
fn route_of(shared: &Shared, path: &str) -> Route {
    match path {
        HEALTH => return Route::Health,
        READY => return Route::Ready,
        METRICS => return Route::Metrics,
        _ => {}
    }
    let prefix = shared
        .config
        .public_url
        .as_ref()
        .map_or("", PublicUrl::path);
    if path.strip_prefix(METADATA) == Some(prefix) {
        return Route::Metadata;
    }
    match path.strip_prefix(prefix) {
        Some(EVALUATION) => Route::Evaluation,
        Some(EVALUATIONS) => Route::Evaluations,
        Some(SEARCH_SUBJECT) => Route::SearchSubject,
        Some(SEARCH_RESOURCE) => Route::SearchResource,
        Some(SEARCH_ACTION) => Route::SearchAction,
        _ => Route::Unknown,
    }
}

async fn answer_route(
    shared: &Arc<Shared>,
    route: Route,
    request: Request<Incoming>,
    request_id: Option<&HeaderValue>,
) -> Reply {
    let path = request.uri().path();
    let method = request.method().clone();
    // Discovery and liveness stay open (a PEP reads the metadata before it
    // has anything to present, a load balancer probes without a token);
    // everything else needs a token when tokens are configured.
    if !matches!(route, Route::Metadata | Route::Health | Route::Ready) {
        if let Some(reply) = unauthorized(shared, &request) {
            return reply;
        }
    }
    match route {
        Route::Metadata | Route::Health => {
            if method != Method::GET && method != Method::HEAD {
                return not_allowed("GET, HEAD");
            }
            let body = if route == Route::Metadata {
                metadata(shared)
            } else {
                health(shared)
            };
            let mut reply = json_reply(StatusCode::OK, &body);
            if route == Route::Metadata {
                reply.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("max-age=300"),
                );
            } else {
                reply
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            if method == Method::HEAD {
                *reply.body_mut() = Full::new(Bytes::new());
            }
            reply
        }
        Route::Ready => {
            if method != Method::GET && method != Method::HEAD {
                return not_allowed("GET, HEAD");
            }
            let mut reply = if *shared.stop.borrow() {
                error(StatusCode::SERVICE_UNAVAILABLE, "stopping")
            } else {
                error(StatusCode::OK, "ready")
            };
            reply
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            reply
        }
        Route::Metrics => {
            if method != Method::GET {
                return not_allowed("GET");
            }
            let text = shared
                .metrics
                .encode(shared.current.generation(), shared.current.failures());
            let mut reply = Response::new(Full::new(Bytes::from(text)));
            reply.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            reply
        }
        Route::Evaluation
        | Route::Evaluations
        | Route::SearchSubject
        | Route::SearchResource
        | Route::SearchAction => {
            if method != Method::POST {
                return not_allowed("POST");
            }
            let bytes = match read_body(shared, request).await {
                Ok(bytes) => bytes,
                Err(reply) => return reply,
            };
            let id = request_id
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let deadline = Instant::now() + shared.config.request_time;
            // A small evaluation costs microseconds: answered here. A large
            // batch or a search (its cost grows with the principals file)
            // runs on the blocking pool, so the async workers keep
            // answering probes and small requests meanwhile.
            let inline = matches!(route, Route::Evaluation | Route::Evaluations)
                && bytes.len() <= INLINE_BODY;
            if inline {
                return answer(shared, route, &bytes, &id, deadline);
            }
            offload(shared, route, bytes, id, deadline).await
        }
        Route::Unknown => {
            let prefix = shared
                .config
                .public_url
                .as_ref()
                .map_or("", PublicUrl::path);
            error(
                StatusCode::NOT_FOUND,
                &format!(
                    "no such endpoint `{path}`: the PDP serves POST {prefix}{EVALUATION}, POST {prefix}{EVALUATIONS}, POST {prefix}{SEARCH_SUBJECT}, POST {prefix}{SEARCH_RESOURCE}, POST {prefix}{SEARCH_ACTION} and GET {METADATA}{prefix}"
                ),
            )
        }
    }
}

/// `/health`: alive, the generation and digest in service, and whether the
/// newest files were refused (then the previous generation is served: `stale`).
fn health(shared: &Shared) -> Value {
    let loaded = shared.current.get();
    let mut body = Map::new();
    let refused = shared.current.refused();
    let status = match (*shared.stop.borrow(), &refused) {
        (true, _) => "stopping",
        (false, Some(_)) => "stale",
        (false, None) => "ok",
    };
    body.insert("status".into(), json!(status));
    body.insert("generation".into(), json!(shared.current.generation()));
    body.insert("policy_digest".into(), json!(loaded.digest));
    body.insert("reload_failures".into(), json!(shared.current.failures()));
    if let Some(why) = refused {
        body.insert("refused".into(), json!(why));
    }
    Value::Object(body)
}

/// Bodies up to this size are decided on the async worker that read them:
/// a batch this small is at most a few hundred evaluations (a millisecond).
const INLINE_BODY: usize = 16 * 1024;

/// Runs [`answer`] on the blocking pool, one request per worker thread at
/// most; a request that finds no free thread before its deadline is a 503.
async fn offload(
    shared: &Arc<Shared>,
    route: Route,
    bytes: Bytes,
    id: String,
    deadline: Instant,
) -> Reply {
    let permit = tokio::time::timeout_at(
        tokio::time::Instant::from_std(deadline),
        Arc::clone(&shared.heavy).acquire_owned(),
    )
    .await;
    let Ok(Ok(permit)) = permit else {
        return busy("the PDP is busy with other large requests; retry later");
    };
    let shared = Arc::clone(shared);
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        answer(&shared, route, &bytes, &id, deadline)
    });
    match work.await {
        Ok(reply) => reply,
        Err(e) => {
            tracing::error!(error = %e, "a decision task failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the decision could not be made",
            )
        }
    }
}

/// Why a request's decision work stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overrun {
    /// It took longer than `request_time`.
    Deadline,
    /// The server is stopping.
    Stopping,
}

impl Overrun {
    fn reply(self, shared: &Shared) -> Reply {
        match self {
            Overrun::Deadline => busy(&format!(
                "the request took longer than the limit of {} ms to decide; send fewer evaluations",
                shared.config.request_time.as_millis()
            )),
            Overrun::Stopping => busy("the PDP is stopping; retry on another replica"),
        }
    }
}

/// Every this many batch items, the deadline and the stop flag are looked at.
const CHECK_EVERY: usize = crate::json::ASK_EVERY;

fn overrun(shared: &Shared, deadline: Instant) -> Option<Overrun> {
    if *shared.stop.borrow() {
        Some(Overrun::Stopping)
    } else if Instant::now() >= deadline {
        Some(Overrun::Deadline)
    } else {
        None
    }
}

/// Parses a decision or search request and answers it.
fn answer(shared: &Shared, route: Route, bytes: &[u8], id: &str, deadline: Instant) -> Reply {
    // A single evaluation of the common shape is read by the typed reader
    // (no map per entity); any other body by the general one, which words
    // every error.
    if route == Route::Evaluation {
        if let Some(body) = crate::authzen::typed::read_evaluation(bytes) {
            return evaluation_reply(shared, &body.evaluation(), id);
        }
    }
    let max = shared.config.max_evaluations;
    // A batch's items are counted as the body is read: past the cap,
    // reading stops there, so a huge batch costs what the cap's worth costs.
    let body = match route {
        Route::Evaluations => {
            match crate::json::from_slice_capped(bytes, "evaluations", max, &|| {
                overrun(shared, deadline).is_none()
            }) {
                Ok(body) => body,
                // The deadline passed, or the server is stopping, while it was read.
                Err(crate::json::CappedError::Stopped { .. }) => {
                    return overrun(shared, deadline)
                        .unwrap_or(Overrun::Deadline)
                        .reply(shared);
                }
                Err(crate::json::CappedError::TooMany { max, .. }) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!(
                            "the batch has more than the limit of {max} evaluations: split it"
                        ),
                    );
                }
                Err(crate::json::CappedError::Json(e)) => return invalid_json(&e),
            }
        }
        _ => match parse_json(bytes) {
            Ok(body) => body,
            Err(reply) => return reply,
        },
    };
    let loaded = shared.current.get();
    match route {
        Route::SearchAction => search_action(shared, &loaded, &body, id),
        Route::SearchSubject => search_subject(shared, &loaded, &body, id),
        Route::SearchResource => search_resource(shared, &loaded, &body, id),
        Route::Evaluation => match parse_evaluation(&body) {
            Ok(e) => evaluation_reply(shared, &e, id),
            Err(bad) => error(StatusCode::BAD_REQUEST, &bad.0),
        },
        _ => match parse_evaluations(&body) {
            Ok(batch) => match decide_batch(shared, &loaded, &batch, id, deadline) {
                Ok(answer) => bounded_bytes(shared, answer),
                Err(Unanswered::Overrun(overrun)) => overrun.reply(shared),
                Err(Unanswered::TooLarge) => too_large(shared, None),
            },
            Err(bad) => error(StatusCode::BAD_REQUEST, &bad.0),
        },
    }
}

/// The answer to one Access Evaluation.
fn evaluation_reply(shared: &Shared, e: &Evaluation<'_>, id: &str) -> Reply {
    let loaded = shared.current.get();
    let mut out = Vec::with_capacity(64);
    decide(shared, &loaded, Endpoint::evaluation, e, id).write_json(
        shared.config.explain,
        false,
        &mut out,
    );
    bounded_bytes(shared, out)
}

/// A 503 with `Retry-After`: the request was fine, the PDP could not take it now.
fn busy(message: &str) -> Reply {
    let mut reply = error(StatusCode::SERVICE_UNAVAILABLE, message);
    reply
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    reply
}

/// The JSON answer, or a 413 when it is larger than `max_answer`.
fn bounded_reply(shared: &Shared, body: &Value) -> Reply {
    match json_bytes(body) {
        Ok(bytes) => bounded_bytes(shared, bytes),
        Err(reply) => reply,
    }
}

/// `body` serialized, or the 500 saying it could not be: a `Value` always
/// serializes, and were it not to, the answer must not be empty.
// The error is the reply itself, made once and returned as is: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn json_bytes(body: &Value) -> Result<Vec<u8>, Reply> {
    serde_json::to_vec(body).map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("internal: the answer could not be written: {e}"),
        )
    })
}

/// An answer's bytes, or a 413 when they are more than `max_answer`.
fn bounded_bytes(shared: &Shared, bytes: Vec<u8>) -> Reply {
    if bytes.len() > shared.config.max_answer {
        return too_large(shared, Some(bytes.len()));
    }
    let mut reply = Response::new(Full::new(Bytes::from(bytes)));
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
}

/// The 413 for an answer past `max_answer` (its size, when it was written whole).
fn too_large(shared: &Shared, size: Option<usize>) -> Reply {
    let max = shared.config.max_answer;
    let size = match size {
        Some(size) => format!("{size} bytes"),
        None => "more bytes".to_string(),
    };
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "the answer would be {size}, more than the limit of {max}: ask for less (fewer evaluations, a page.limit)"
        ),
    )
}

/// The 401 for a request without a known bearer token, when tokens are configured.
fn unauthorized(shared: &Shared, request: &Request<Incoming>) -> Option<Reply> {
    let loaded = shared.current.get();
    let tokens = loaded.tokens.as_ref()?;
    let (challenge, message) = match tokens.accept(request.headers().get(header::AUTHORIZATION)) {
        Verdict::Accepted => return None,
        Verdict::Missing => (
            "Bearer realm=\"rolecall\"",
            "this PDP requires `Authorization: Bearer TOKEN`",
        ),
        // RFC 6750 §3.1; the token is not logged.
        Verdict::Invalid => (
            "Bearer realm=\"rolecall\", error=\"invalid_token\"",
            "the bearer token is not valid here",
        ),
    };
    let mut reply = error(StatusCode::UNAUTHORIZED, message);
    reply.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    Some(reply)
}

/// The PDP metadata document. Its identifier is `--public-url`, or the
/// address listened on: never the request's `Host`, which any client writes
/// and the answer's `max-age` would let a shared cache serve to others.
fn metadata(shared: &Shared) -> Value {
    let base = match &shared.config.public_url {
        Some(url) => url.identifier(),
        None => {
            let scheme = if shared.config.tls.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{}", shared.addr)
        }
    };
    json!({
        "policy_decision_point": base,
        "access_evaluation_endpoint": format!("{base}{EVALUATION}"),
        "access_evaluations_endpoint": format!("{base}{EVALUATIONS}"),
        "search_subject_endpoint": format!("{base}{SEARCH_SUBJECT}"),
        "search_resource_endpoint": format!("{base}{SEARCH_RESOURCE}"),
        "search_action_endpoint": format!("{base}{SEARCH_ACTION}"),
    })
}

/// Reads the body as JSON, or the error reply: 400 for another content
/// type (the spec's transport section and the certification scenario,
/// §2.4.3, want 400 rather than HTTP's 415), 413 past the size limit, 408
/// when it is too slow, 400 when it is not JSON.
async fn read_body(shared: &Shared, request: Request<Incoming>) -> Result<Bytes, Reply> {
    let limit = shared.config.max_body;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        return Err(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "the request body must be JSON sent with `Content-Type: application/json`{}",
                if content_type.is_empty() {
                    String::new()
                } else {
                    format!(", not `{content_type}`")
                }
            ),
        ));
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than the limit of {limit} bytes"),
        )
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let body = Limited::new(request.into_body(), limit);
    match tokio::time::timeout(shared.config.read_timeout, body.collect()).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(e)) => Err(error(
            StatusCode::BAD_REQUEST,
            &format!("the request body could not be read: {e}"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// The body as JSON, or a 400.
// The error is the reply itself, made once and returned as is: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn parse_json(bytes: &[u8]) -> Result<Value, Reply> {
    crate::json::from_slice(bytes).map_err(|e| invalid_json(&e))
}

/// The 400 for a body that is not JSON, or not a valid request.
fn invalid_json(e: &serde_json::Error) -> Reply {
    let what = match e.classify() {
        serde_json::error::Category::Data => "is not a valid request",
        _ => "is not valid JSON",
    };
    error(
        StatusCode::BAD_REQUEST,
        &format!("the request body {what}: {e}"),
    )
}

/// Decides one evaluation and logs it.
fn decide(
    shared: &Shared,
    loaded: &Loaded,
    endpoint: Endpoint,
    e: &Evaluation<'_>,
    request_id: &str,
) -> Decided {
    let explain = shared.config.explain;
    let log = tracing::enabled!(target: "rolecall::decision", tracing::Level::DEBUG);
    let details = match (explain || log, shared.decision_log.is_some()) {
        (true, _) => Details::Full,
        (false, true) => Details::Rule,
        (false, false) => Details::Decision,
    };
    let decided = loaded.pdp.decide(e, details);
    let outcome = match (&decided.error, decided.decision) {
        (Some(_), _) => Outcome::error,
        (None, true) => Outcome::permit,
        (None, false) => Outcome::deny,
    };
    shared.metrics.decision(endpoint, outcome);
    if let Some(decision_log) = &shared.decision_log {
        let error = decided.error.as_ref().map(PdpError::terse);
        let line = super::decision_log::Line {
            request_id,
            subject: (e.subject_type, e.subject_id),
            action: e.action_name,
            resource: (e.resource_type, e.resource_id),
            decision: decided.decision,
            rule: decided.rule.as_deref(),
            error: error.as_deref(),
            policy_digest: &loaded.digest,
        };
        if !decision_log.send(line.encode(std::time::SystemTime::now())) {
            shared.metrics.log_dropped();
        }
    }
    if log {
        tracing::debug!(
            target: "rolecall::decision",
            request_id,
            subject_type = e.subject_type,
            subject = e.subject_id,
            action = e.action_name,
            resource_type = e.resource_type,
            resource = e.resource_id,
            decision = decided.decision,
            rule = decided.rule.as_deref().unwrap_or(""),
            reason = decided.reason.as_deref().unwrap_or(""),
            error = decided.error.as_ref().map(ToString::to_string).unwrap_or_default(),
            "decision"
        );
    }
    decided
}

/// Why a batch got no answer.
enum Unanswered {
    /// The deadline passed, or the server is stopping.
    Overrun(Overrun),
    /// The answer grew past `max_answer`: writing stopped there.
    TooLarge,
}

/// Runs a batch with its semantic: all, until the first deny, or until the
/// first permit. An item that is not a valid evaluation is a denial with its
/// error in the context, like one that names something the policy does not
/// know (so it also ends a `deny_on_first_deny` batch). Each Decision is
/// written straight into the answer's bytes, which stop growing at
/// `max_answer`.
fn decide_batch(
    shared: &Shared,
    loaded: &Loaded,
    batch: &Batch<'_>,
    request_id: &str,
    deadline: Instant,
) -> Result<Vec<u8>, Unanswered> {
    let explain = shared.config.explain;
    if batch.single {
        // No `evaluations`: a single evaluation, answered like one.
        let mut out = Vec::with_capacity(64);
        match batch.evaluations.first() {
            Some(Ok(e)) => decide(shared, loaded, Endpoint::evaluations, e, request_id)
                .write_json(explain, false, &mut out),
            Some(Err(bad)) => item_error(shared, bad, request_id, false, &mut out),
            None => DecisionWriter::new(&mut out, false).finish(),
        }
        return Ok(out);
    }
    // As in the spec's example: the denial that ended the batch says so.
    let ends = |permit: bool| match batch.semantic {
        Semantic::ExecuteAll => false,
        Semantic::DenyOnFirstDeny => !permit,
        Semantic::PermitOnFirstPermit => permit,
    };
    let mut out = Vec::with_capacity(16 + 24 * batch.evaluations.len());
    out.extend_from_slice(b"{\"evaluations\":[");
    for (n, item) in batch.evaluations.iter().enumerate() {
        if n % CHECK_EVERY == CHECK_EVERY - 1 {
            if let Some(overrun) = overrun(shared, deadline) {
                return Err(Unanswered::Overrun(overrun));
            }
        }
        if n > 0 {
            out.push(b',');
        }
        let ended = match item {
            Ok(e) => {
                let decided = decide(shared, loaded, Endpoint::evaluations, e, request_id);
                let ended = ends(decided.decision);
                let marked = ended && !decided.decision;
                decided.write_json(explain, marked, &mut out);
                ended
            }
            Err(bad) => {
                let ended = ends(false);
                item_error(shared, bad, request_id, ended, &mut out);
                ended
            }
        };
        if out.len() > shared.config.max_answer {
            return Err(Unanswered::TooLarge);
        }
        if ended {
            break;
        }
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// The Decision of a batch item that is not a valid evaluation: a denial
/// whose context carries the error, as the spec's batch example shows.
fn item_error(
    shared: &Shared,
    bad: &BadRequest,
    request_id: &str,
    ended_batch: bool,
    out: &mut Vec<u8>,
) {
    shared
        .metrics
        .decision(Endpoint::evaluations, Outcome::error);
    tracing::debug!(
        target: "rolecall::decision",
        request_id,
        decision = false,
        error = bad.0.as_str(),
        "decision"
    );
    let mut w = DecisionWriter::new(out, false);
    w.error(&bad.0);
    if ended_batch {
        w.ended_batch();
    }
    w.finish();
}

/// An Action Search: the actions allowed on the resource.
fn search_action(shared: &Shared, loaded: &Loaded, body: &Value, request_id: &str) -> Reply {
    let q = match parse_action_search(body) {
        Ok(q) => q,
        Err(bad) => return error(StatusCode::BAD_REQUEST, &bad.0),
    };
    // What must stay the same from page to page (the spec: every entity);
    // the token binds it.
    let fingerprint = json!(["action", q.subject, q.resource, q.context]).to_string();
    let window = match window(shared, loaded, q.page, &fingerprint) {
        Ok(window) => window,
        Err(bad) => return error(StatusCode::BAD_REQUEST, &bad),
    };
    let found = loaded.pdp.search_actions_page(&q, window.0);
    tracing::debug!(
        target: "rolecall::decision",
        request_id,
        subject_type = q.subject_type,
        subject = q.subject_id,
        resource_type = q.resource_type,
        resource = q.resource_id,
        actions = ?found.as_ref().ok().map(|f| &f.results),
        total = found.as_ref().map_or(0, |f| f.total),
        error = found.as_ref().err().map(ToString::to_string).unwrap_or_default(),
        "action search"
    );
    let found = found.map(|f| {
        (
            f.results
                .iter()
                .map(|name| json!({ "name": name }))
                .collect(),
            f.total,
        )
    });
    search_reply(shared, loaded, window, &fingerprint, found)
}

/// A Subject Search: the principals file's subjects allowed the action.
fn search_subject(shared: &Shared, loaded: &Loaded, body: &Value, request_id: &str) -> Reply {
    let q = match parse_subject_search(body) {
        Ok(q) => q,
        Err(bad) => return error(StatusCode::BAD_REQUEST, &bad.0),
    };
    let mut subject = q.subject.clone();
    // The id is what is searched, so ignored, here too.
    subject.remove("id");
    let fingerprint = json!(["subject", subject, q.action, q.resource, q.context]).to_string();
    let window = match window(shared, loaded, q.page, &fingerprint) {
        Ok(window) => window,
        Err(bad) => return error(StatusCode::BAD_REQUEST, &bad),
    };
    let found = loaded.pdp.search_subjects_page(&q, window.0);
    tracing::debug!(
        target: "rolecall::decision",
        request_id,
        subject_type = q.subject_type,
        action = q.action_name,
        resource_type = q.resource_type,
        resource = q.resource_id,
        subjects = ?found.as_ref().ok().map(|f| &f.results),
        total = found.as_ref().map_or(0, |f| f.total),
        error = found.as_ref().err().map(ToString::to_string).unwrap_or_default(),
        "subject search"
    );
    let found = found.map(|f| {
        let results = f
            .results
            .iter()
            .map(|id| json!({"type": q.subject_type, "id": id}));
        (results.collect(), f.total)
    });
    search_reply(shared, loaded, window, &fingerprint, found)
}

/// A Resource Search: the principals file's resources the action is allowed on.
fn search_resource(shared: &Shared, loaded: &Loaded, body: &Value, request_id: &str) -> Reply {
    let q = match parse_resource_search(body) {
        Ok(q) => q,
        Err(bad) => return error(StatusCode::BAD_REQUEST, &bad.0),
    };
    let mut resource = q.resource.clone();
    // The id is what is searched, so ignored, here too.
    resource.remove("id");
    let fingerprint = json!(["resource", q.subject, q.action, resource, q.context]).to_string();
    let window = match window(shared, loaded, q.page, &fingerprint) {
        Ok(window) => window,
        Err(bad) => return error(StatusCode::BAD_REQUEST, &bad),
    };
    let found = loaded.pdp.search_resources_page(&q, window.0);
    tracing::debug!(
        target: "rolecall::decision",
        request_id,
        subject_type = q.subject_type,
        subject = q.subject_id,
        action = q.action_name,
        resource_type = q.resource_type,
        resources = ?found.as_ref().ok().map(|f| &f.results),
        total = found.as_ref().map_or(0, |f| f.total),
        error = found.as_ref().err().map(ToString::to_string).unwrap_or_default(),
        "resource search"
    );
    let found = found.map(|f| {
        let results = f
            .results
            .iter()
            .map(|id| json!({"type": q.resource_type, "id": id}));
        (results.collect(), f.total)
    });
    search_reply(shared, loaded, window, &fingerprint, found)
}

/// The page a search answers (its offset and limit, and the limit as the
/// request or its token gave it): from the first result without a token,
/// else where the token says, after checking it was issued for this
/// request, policy and process. A bad token, or a limit other than the
/// first page's, is the message of a 400.
fn window(
    shared: &Shared,
    loaded: &Loaded,
    page: Page<'_>,
    fingerprint: &str,
) -> Result<(Window, Option<u64>), String> {
    let (offset, limit) = match page.token {
        None => (0, page.limit),
        Some(token) => match shared.pages.check(token, &loaded.digest, fingerprint) {
            // A later page may repeat the first page's limit or leave it out.
            Ok((offset, first)) if page.limit.is_none() || page.limit == first => (offset, first),
            Ok(_) => {
                return Err(
                    "`page.limit` differs from the first page's: keep it, or leave it out".into(),
                );
            }
            Err(bad) => return Err(bad.to_string()),
        },
    };
    let window = Window {
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit: limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
    };
    Ok((window, limit))
}

/// A search's answer: the page's results, and the token of the next page
/// (empty at the end); an error is empty results with the error in the
/// context, as a decision carries it.
fn search_reply(
    shared: &Shared,
    loaded: &Loaded,
    (window, limit): (Window, Option<u64>),
    fingerprint: &str,
    found: Result<(Vec<Value>, usize), PdpError>,
) -> Reply {
    let (results, total) = match found {
        Ok(found) => found,
        Err(e) => {
            let body = json!({
                "page": {"next_token": "", "count": 0, "total": 0},
                "results": [],
                "context": {"error": e.to_context(shared.config.explain)},
            });
            return bounded_reply(shared, &body);
        }
    };
    let end = window.offset.min(total).saturating_add(results.len());
    let next_token = if end < total {
        shared
            .pages
            .issue(end as u64, limit, &loaded.digest, fingerprint)
    } else {
        String::new()
    };
    // `page` first, as the spec recommends (a PEP may show progress from it).
    let body = json!({
        "page": {"next_token": next_token, "count": results.len(), "total": total},
        "results": results,
    });
    bounded_reply(shared, &body)
}

fn json_reply(status: StatusCode, body: &Value) -> Reply {
    let bytes = match json_bytes(body) {
        Ok(bytes) => bytes,
        Err(reply) => return reply,
    };
    let mut reply = Response::new(Full::new(Bytes::from(bytes)));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
}

/// An error response: the status and, as the spec says, an error message string.
fn error(status: StatusCode, message: &str) -> Reply {
    tracing::debug!(target: "rolecall::http", status = status.as_u16(), message, "error response");
    let mut reply = Response::new(Full::new(Bytes::from(format!("{message}\n"))));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    reply
}

fn not_allowed(allow: &'static str) -> Reply {
    let mut reply = error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("method not allowed here; use {allow}"),
    );
    reply
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    reply
}
