//! AuthZEN subject search over a principals file of 10,000 subjects: every
//! subject's evaluation through the decision core, the work `POST
//! /access/v1/search/subject` does before it cuts a page (issue 20's target:
//! a page in under 1 ms). Action search over one resource for comparison.
//!
//! `cargo bench --bench search`

use criterion::{Criterion, criterion_group, criterion_main};
use rolecall::authzen::{Pdp, Principals, parse_action_search, parse_subject_search};
use std::hint::black_box;

const SUBJECTS: usize = 10_000;

fn principals() -> String {
    let roles = ["viewer", "editor", "admin", "evil_genius"];
    let subjects: Vec<String> = (0..SUBJECTS)
        .map(|i| {
            format!(
                r#""user{i}@example.com": {{"type": "user", "roles": {{"todo": ["{}"]}}}}"#,
                roles[i % roles.len()]
            )
        })
        .collect();
    format!(
        r#"{{"resource_types": {{"todo": "todo", "user": "todo"}}, "subjects": {{{}}}}}"#,
        subjects.join(",")
    )
}

fn search(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = rolecall::compile_file(&root.join("policies/examples/authzen_todo.policy"))
        .expect("policy");
    let principals = Principals::parse("principals.json", &principals()).expect("principals");
    let pdp = Pdp::new(table, &principals).expect("pdp");

    let body: serde_json::Value = serde_json::from_str(
        r#"{"subject": {"type": "user"}, "action": {"name": "can_delete_todo"},
            "resource": {"type": "todo", "id": "1"}}"#,
    )
    .expect("json");
    let q = parse_subject_search(&body).expect("query");
    let found = pdp.search_subjects(&q).expect("search").len();
    assert_eq!(
        found,
        SUBJECTS / 4,
        "admins may delete what they do not own"
    );
    let mut group = c.benchmark_group("search_subject");
    group.sample_size(20);
    group.bench_function("10000_subjects", |b| {
        b.iter(|| pdp.search_subjects(black_box(&q)).map(|v| v.len()))
    });
    group.finish();

    let body: serde_json::Value = serde_json::from_str(
        r#"{"subject": {"type": "user", "id": "user2@example.com"},
            "resource": {"type": "todo", "id": "1"}}"#,
    )
    .expect("json");
    let q = parse_action_search(&body).expect("query");
    let mut group = c.benchmark_group("search_action");
    group.bench_function("one_resource", |b| {
        b.iter(|| pdp.search_actions(black_box(&q)).map(|v| v.len()))
    });
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
