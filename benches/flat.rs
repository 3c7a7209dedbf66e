//! Per-request cost against the size of the policy (issue 17): a request
//! must cost the same at 1 scope as at 20,000, at 100 roles as at 3,000, and
//! an error line only a few times a good one.
//!
//! Each case answers a fixed list of requests (generated for the policy, so
//! they ask every part of it, not one corner) through three paths: `check`
//! (the library's decision and rule), `evaluate` (the whole `Answer`) and
//! `LineEvaluator::answer` (what `rolecall eval` does per JSON line). The
//! policy is compiled once, outside the measurement; the time per request is
//! the reported time divided by the number of requests (criterion's `thrpt`).
//!
//! `cargo bench --bench flat` (`-- --test` runs each case once)

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolecall::eval::LineEvaluator;
use rolecall::generate::{Spec, generate, requests};
use rolecall::{DecisionTable, Request};
use std::hint::black_box;

/// Requests per measurement: enough to visit many scopes of the largest policy.
const REQUESTS: usize = 2_000;

/// A generated policy, compiled, and requests against it.
struct Case {
    id: String,
    table: DecisionTable,
    lines: Vec<String>,
    requests: Vec<Request>,
}

fn case(id: String, spec: Spec) -> Case {
    let lines = requests(&spec, REQUESTS);
    case_with(id, spec, &lines)
}

fn case_with(id: String, spec: Spec, lines: &str) -> Case {
    let table = rolecall::compile_str(&format!("{id}.policy"), &generate(&spec))
        .unwrap_or_else(|e| panic!("{id}: {} diagnostics", e.len()));
    let lines: Vec<String> = lines.lines().map(str::to_string).collect();
    let requests = lines
        .iter()
        .map(|l| Request::from_json(l).expect("generated request"))
        .collect();
    Case {
        id,
        table,
        lines,
        requests,
    }
}

/// The three paths over one case, in `group`.
fn paths(c: &mut Criterion, group: &str, cases: &[Case]) {
    let mut group = c.benchmark_group(group);
    for case in cases {
        let table = &case.table;
        group.throughput(Throughput::Elements(case.requests.len() as u64));
        group.bench_function(BenchmarkId::new("check", &case.id), |b| {
            b.iter(|| {
                let mut allowed = 0u32;
                for request in &case.requests {
                    let verdict = table.check(black_box(request)).expect("verdict");
                    allowed += u32::from(verdict.is_allowed());
                }
                allowed
            })
        });
        group.bench_function(BenchmarkId::new("evaluate", &case.id), |b| {
            b.iter(|| {
                let mut allowed = 0u32;
                for request in &case.requests {
                    let answer = table.evaluate(black_box(request)).expect("answer");
                    allowed += u32::from(answer.decision == rolecall::Effect::Allow);
                }
                allowed
            })
        });
        let mut evaluator = LineEvaluator::new(table);
        let mut out = Vec::new();
        group.bench_function(BenchmarkId::new("eval_line", &case.id), |b| {
            b.iter(|| {
                out.clear();
                for line in &case.lines {
                    evaluator.answer(black_box(line), &mut out).expect("answer");
                    out.push(b'\n');
                }
                out.len()
            })
        });
    }
    group.finish();
}

/// Small scopes (two roles, four actions each), as when tenants are scopes:
/// requests spread over every scope (`N_scopes`: a large policy's data no
/// longer fits in the caches, so each request also waits for memory), and
/// every request asking the last scope (`N_scopes_one_asked`: what the
/// request itself costs, caches warm).
fn scopes(c: &mut Criterion) {
    let mut cases = Vec::new();
    for n in [1, 1_000, 20_000] {
        let spec = Spec::new(n, 2, 4);
        cases.push(case(format!("{n}_scopes"), spec));
        if n > 1 {
            // Requests for a one-scope policy, moved to the last scope.
            let lines =
                requests(&Spec::new(1, 2, 4), REQUESTS).replace("\"s0", &format!("\"s{}", n - 1));
            cases.push(case_with(format!("{n}_scopes_one_asked"), spec, &lines));
        }
    }
    paths(c, "per_request_scopes", &cases);
}

/// One scope of many roles (deep inheritance chains) and 50 actions.
fn roles(c: &mut Criterion) {
    let cases: Vec<Case> = [100, 1_000, 3_000]
        .into_iter()
        .map(|n| case(format!("{n}_roles"), Spec::new(1, n, 50)))
        .collect();
    paths(c, "per_request_roles", &cases);
}

/// One line of each kind against Livestorm through `LineEvaluator::answer`:
/// a good line, an unknown action, an unknown role (answered with an error
/// and a suggestion), each repeated 1,000 times.
fn error_lines(c: &mut Criterion) {
    let livestorm = common::references()
        .into_iter()
        .find(|i| i.id == "livestorm")
        .expect("livestorm");
    let table = common::compile(&livestorm);
    let lines = [
        (
            "good",
            r#"{"principal": {"session": "speaker"}, "action": "session:send_emojis"}"#,
        ),
        (
            "unknown_action",
            r#"{"principal": {"session": "speaker"}, "action": "session:send_emojiz"}"#,
        ),
        (
            "unknown_role",
            r#"{"principal": {"session": "speakr"}, "action": "session:send_emojis"}"#,
        ),
    ];
    let mut evaluator = LineEvaluator::new(&table);
    let mut group = c.benchmark_group("line_kind");
    group.throughput(Throughput::Elements(1_000));
    for (id, line) in lines {
        let mut out = Vec::new();
        let good = evaluator.answer(line, &mut out).is_ok();
        assert_eq!(
            good,
            id == "good",
            "{id}: {}",
            String::from_utf8_lossy(&out)
        );
        group.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter(|| {
                let mut errors = 0u32;
                for _ in 0..1_000 {
                    out.clear();
                    errors += u32::from(evaluator.answer(black_box(line), &mut out).is_err());
                }
                errors
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = scopes, roles, error_lines
}
criterion_main!(benches);
