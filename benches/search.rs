//! AuthZEN searches over principals files of 10,000 subjects and 10,000
//! resources: what `POST /access/v1/search/subject` and `…/resource` do
//! before the answer is written (issue 20's target: a page in under 1 ms).
//! Action search over one resource for comparison.
//!
//! `cargo bench --bench search`

use criterion::{Criterion, criterion_group, criterion_main};
use rolecall::authzen::{
    Pdp, Principals, Window, parse_action_search, parse_resource_search, parse_subject_search,
};
use std::hint::black_box;

const SUBJECTS: usize = 10_000;
const RESOURCES: usize = 10_000;

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
    // Todos owned by the first hundred users in turn.
    let resources: Vec<String> = (0..RESOURCES)
        .map(|i| {
            format!(
                r#""todo{i}": {{"properties": {{"ownerID": "user{}@example.com"}}}}"#,
                i % 100
            )
        })
        .collect();
    format!(
        r#"{{"resource_types": {{"todo": "todo", "user": "todo"}},
            "facts": {{"is_owner": {{"any": [
                {{"equal": ["resource.properties.ownerID", "principal.id"]}},
                {{"equal": ["resource.ownerID", "principal.id"]}}]}}}},
            "subjects": {{{}}}, "resources": {{"todo": {{{}}}}}}}"#,
        subjects.join(","),
        resources.join(",")
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

fn search(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = rolecall::compile_file(&root.join("policies/examples/authzen_todo.policy"))
        .expect("policy");
    let principals = Principals::parse("principals.json", &principals()).expect("principals");
    let pdp = Pdp::new(table, &principals).expect("pdp");

    let mut group = c.benchmark_group("search_subject");
    group.sample_size(20);
    // An unlisted todo, no properties: the owner is nobody, admins delete it.
    let body = json(
        r#"{"subject": {"type": "user"}, "action": {"name": "can_delete_todo"},
            "resource": {"type": "todo", "id": "1"}}"#,
    );
    let q = parse_subject_search(&body).expect("query");
    let found = pdp.search_subjects(&q).expect("search").len();
    assert_eq!(
        found,
        SUBJECTS / 4,
        "admins may delete what they do not own"
    );
    group.bench_function("10000_subjects", |b| {
        b.iter(|| pdp.search_subjects(black_box(&q)).map(|v| v.len()))
    });
    // The first page of 100, as `serve` asks for one.
    let page = Window {
        offset: 0,
        limit: Some(100),
    };
    group.bench_function("10000_subjects_page_of_100", |b| {
        b.iter(|| {
            pdp.search_subjects_page(black_box(&q), page)
                .map(|f| f.results.len())
        })
    });
    // The owner sent with the todo: `is_owner` differs from subject to subject.
    let body = json(
        r#"{"subject": {"type": "user"}, "action": {"name": "can_delete_todo"},
            "resource": {"type": "todo", "id": "1", "properties": {"ownerID": "user5@example.com"}}}"#,
    );
    let q = parse_subject_search(&body).expect("query");
    let found = pdp.search_subjects(&q).expect("search").len();
    assert_eq!(
        found,
        SUBJECTS / 4 + 1,
        "admins, and user5, an editor who owns it"
    );
    group.bench_function("10000_subjects_owner_sent", |b| {
        b.iter(|| pdp.search_subjects(black_box(&q)).map(|v| v.len()))
    });
    group.finish();

    let mut group = c.benchmark_group("search_resource");
    group.sample_size(20);
    let body = json(
        r#"{"subject": {"type": "user", "id": "user5@example.com"},
            "action": {"name": "can_update_todo"}, "resource": {"type": "todo"}}"#,
    );
    let q = parse_resource_search(&body).expect("query");
    let found = pdp.search_resources(&q).expect("search").len();
    assert_eq!(
        found,
        RESOURCES / 100,
        "user5 (an editor) updates the todos it owns"
    );
    group.bench_function("10000_resources", |b| {
        b.iter(|| pdp.search_resources(black_box(&q)).map(|v| v.len()))
    });
    group.finish();

    let body = json(
        r#"{"subject": {"type": "user", "id": "user2@example.com"},
            "resource": {"type": "todo", "id": "1"}}"#,
    );
    let q = parse_action_search(&body).expect("query");
    let mut group = c.benchmark_group("search_action");
    group.bench_function("one_resource", |b| {
        b.iter(|| pdp.search_actions(black_box(&q)).map(|v| v.len()))
    });
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
