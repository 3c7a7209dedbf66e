//! `GET /metrics`: counters and a latency histogram in the Prometheus text
//! format (OpenMetrics), with the `prometheus-client` crate.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// What a request asked for, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Endpoint {
    /// The metadata document.
    metadata,
    /// `/health`
    health,
    /// `/ready`
    ready,
    /// `/metrics`
    metrics,
    /// One evaluation.
    evaluation,
    /// A batch.
    evaluations,
    /// Subject search.
    search_subject,
    /// Resource search.
    search_resource,
    /// Action search.
    search_action,
    /// Any other path.
    unknown,
}

/// How a decision came out, as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    /// Allowed.
    permit,
    /// Denied.
    deny,
    /// Could not be decided (answered as a denial with its error).
    error,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    endpoint: Endpoint,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DecisionLabels {
    endpoint: Endpoint,
    outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: Endpoint,
}

/// The server's metrics; cheap to update from any thread.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    decisions: Family<DecisionLabels, Counter>,
    latency: Family<EndpointLabel, Histogram>,
    generation: Gauge,
    reload_failures: Gauge,
    in_flight: Gauge,
    refused: Counter,
    log_dropped: Counter,
}

/// Latency buckets, in seconds: 50 µs to 2.5 s (a decision is microseconds,
/// a large batch milliseconds, `--request-time` seconds).
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1.0, 2.5,
];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl Metrics {
    /// Registers every metric under the `rolecall` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("rolecall");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by endpoint and status",
            requests.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Decisions made (a batch counts each evaluation), by endpoint and outcome",
            decisions.clone(),
        );
        let latency =
            Family::<EndpointLabel, Histogram>::new_with_constructor(histogram as fn() -> _);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's headers to its answer, by endpoint",
            latency.clone(),
        );
        let generation = Gauge::default();
        registry.register(
            "policy_generation",
            "The generation in service: 1 at start, +1 per successful reload",
            generation.clone(),
        );
        let reload_failures = Gauge::default();
        registry.register(
            "reload_failures",
            "Reloads that failed since start (the previous version stayed in service)",
            reload_failures.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "Requests whose headers were read and that are not answered yet (this one included)",
            in_flight.clone(),
        );
        let refused = Counter::default();
        registry.register(
            "connections_refused",
            "Connections answered 503 and closed at --max-connections",
            refused.clone(),
        );
        let log_dropped = Counter::default();
        registry.register(
            "decision_log_dropped",
            "Decision log lines dropped because the log's queue was full",
            log_dropped.clone(),
        );
        Metrics {
            registry,
            requests,
            decisions,
            latency,
            generation,
            reload_failures,
            in_flight,
            refused,
            log_dropped,
        }
    }

    /// Counts an answered request and its time.
    pub fn request(&self, endpoint: Endpoint, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { endpoint, status })
            .inc();
        self.latency
            .get_or_create(&EndpointLabel { endpoint })
            .observe(seconds);
    }

    /// Counts a request in flight until the guard is dropped (answered, or
    /// its connection gone).
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// Counts a decision.
    pub fn decision(&self, endpoint: Endpoint, outcome: Outcome) {
        self.decisions
            .get_or_create(&DecisionLabels { endpoint, outcome })
            .inc();
    }

    /// Counts a connection refused at the cap.
    pub fn refused(&self) {
        self.refused.inc();
    }

    /// Counts a decision log line dropped.
    pub fn log_dropped(&self) {
        self.log_dropped.inc();
    }

    /// The text exposition, with the policy's generation and reload failures as of now.
    pub fn encode(&self, generation: u64, reload_failures: u64) -> String {
        self.generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
        self.reload_failures
            .set(i64::try_from(reload_failures).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A request counted in flight; dropping it ends the count.
pub struct InFlight<'m>(&'m Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}
