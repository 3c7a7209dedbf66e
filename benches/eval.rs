//! `rolecall eval` end to end, in-process: read a JSON-lines file of
//! requests, answer each, write the answers (to a sink). The time includes
//! compiling the policy once per run; criterion's `thrpt` is requests per second.
//! `livestorm_2pct_errors` is the Livestorm file with one line in 50 naming
//! an unknown action or role (answered with an error and a suggestion).
//!
//! `cargo bench --bench eval`

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolecall::cli::{Io, run};
use rolecall::generate::{Spec, generate, requests};

const LINES: usize = 100_000;

fn eval(c: &mut Criterion) {
    let livestorm = common::references()
        .into_iter()
        .find(|i| i.id == "livestorm")
        .expect("livestorm");
    let table = common::compile(&livestorm);
    let spec = Spec::new(3, 100, 100);
    let livestorm_lines = common::livestorm_requests(&table, LINES);
    // Exit 0 when every line is answered, 1 when some line is an error.
    let cases = [
        (
            "livestorm",
            common::root().join(&livestorm.file),
            common::write_temp("livestorm.jsonl", &livestorm_lines),
            0,
        ),
        (
            "livestorm_2pct_errors",
            common::root().join(&livestorm.file),
            common::write_temp("livestorm_errors.jsonl", &with_errors(&livestorm_lines)),
            1,
        ),
        (
            "generated_3x100x100",
            common::write_temp("generated.policy", &generate(&spec)),
            common::write_temp("generated.jsonl", &requests(&spec, LINES)),
            0,
        ),
    ];

    let mut group = c.benchmark_group("eval_jsonl");
    group.sample_size(10);
    group.throughput(Throughput::Elements(LINES as u64));
    for (id, policy, requests, code) in &cases {
        let args = [
            "rolecall",
            "eval",
            policy.to_str().expect("path"),
            "--requests",
            requests.to_str().expect("path"),
        ];
        // Check once that every line is answered (errors only where expected).
        let mut out = Vec::new();
        assert_eq!(run_eval(&args, &mut out), *code, "{id}");
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), LINES);
        group.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter(|| run_eval(&args, &mut std::io::sink()))
        });
    }
    group.finish();
}

/// `lines` with every 50th line replaced by one naming an unknown action or,
/// alternately, an unknown role (a typo of a declared name each time).
fn with_errors(lines: &str) -> String {
    let bad = [
        r#"{"principal": {"session": "speaker"}, "action": "session:send_emojiz"}"#,
        r#"{"principal": {"session": "speakr"}, "action": "session:send_emojis"}"#,
    ];
    let mut out = String::with_capacity(lines.len());
    for (i, line) in lines.lines().enumerate() {
        out.push_str(if i % 50 == 49 { bad[i / 50 % 2] } else { line });
        out.push('\n');
    }
    out
}

fn run_eval(args: &[&str], stdout: &mut dyn std::io::Write) -> i32 {
    let mut stdin: &[u8] = &[];
    let mut stderr = Vec::new();
    let code = run(
        args.iter().copied(),
        &mut Io {
            stdin: &mut stdin,
            stdout,
            stderr: &mut stderr,
            color_out: false,
            color_err: false,
        },
    );
    if code != 0 && !stderr.is_empty() {
        eprintln!("{}", String::from_utf8_lossy(&stderr));
    }
    code
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = eval
}
criterion_main!(benches);
