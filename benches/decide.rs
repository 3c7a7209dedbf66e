//! Single-decision latency: from resolved ids (one array load), from names
//! (the lookups first), a whole request decided (`check`: the decision and
//! its rule) and a whole request answered (`evaluate`).
//!
//! Each measurement walks a fixed list of cells (every cell of the reference
//! policies; 4,096 cells scattered over the generated ones) so the branch
//! predictor and the caches see a realistic mix; the time per decision is
//! the reported time divided by the number of cells (criterion's `thrpt`).
//!
//! `cargo bench --bench decide`

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolecall::compile::FactSet;
use rolecall::{DecisionTable, Request};
use std::hint::black_box;

const SAMPLE: usize = 4096;

fn decide(c: &mut Criterion) {
    let mut inputs = common::references();
    inputs.extend(common::generated(&[10, 100, 1000]));
    let tables: Vec<(String, DecisionTable)> = inputs
        .iter()
        .map(|input| (input.id.clone(), common::compile(input)))
        .collect();
    let facts = FactSet::new();

    let mut group = c.benchmark_group("decide_ids");
    for (id, table) in &tables {
        let ids: Vec<_> = common::sample_cells(table, SAMPLE)
            .iter()
            .map(|(s, a, r)| {
                let action = table.action_id(s, a).expect("action");
                let role = table.role_id(s, r).expect("role");
                (action, role)
            })
            .collect();
        group.throughput(Throughput::Elements(ids.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(id), &ids, |b, ids| {
            b.iter(|| {
                let mut allowed = 0u32;
                for &(action, role) in black_box(ids) {
                    allowed += u32::from(table.allows(action, role, &facts));
                }
                allowed
            })
        });
    }
    group.finish();

    // Cache-missing: 1,048,576 cells scattered over a 10,000,000-cell table
    // (20 MB of cells, 40 times the L2 of a core here), so most decisions
    // miss the caches; reported apart from the cached figures above.
    let big = common::compile(&common::Input {
        id: "generated_10x1000x1000".to_string(),
        file: "generated_10x1000x1000.policy".to_string(),
        text: rolecall::generate::generate(&rolecall::generate::Spec::new(10, 1000, 1000)),
        spec: None,
    });
    let ids = scattered_ids(&big, 1 << 20);
    let mut group = c.benchmark_group("decide_ids_cold");
    group.sample_size(20);
    group.throughput(Throughput::Elements(ids.len() as u64));
    group.bench_with_input(
        BenchmarkId::from_parameter("generated_10x1000x1000"),
        &ids,
        |b, ids| {
            b.iter(|| {
                let mut allowed = 0u32;
                for &(action, role) in black_box(ids) {
                    allowed += u32::from(big.allows(action, role, &facts));
                }
                allowed
            })
        },
    );
    group.finish();
    drop(big);

    // Conditional cells on settings, kinds and facts (policies/examples/
    // settings.policy): `allows` reads the cell's truth table, a bit per
    // variable; `decide` walks the candidates to report the rule too.
    let settings =
        rolecall::compile_file(&common::root().join("policies/examples/settings.policy"))
            .expect("settings.policy");
    let contexts = [
        r#"{}"#,
        r#"{"who_can_present": "everyone"}"#,
        r#"{"who_can_present": "organization", "organizer_permission": true}"#,
        r#"{"organizer_permission": true}"#,
    ];
    let mut cases = Vec::new();
    for (a, r) in [
        ("present", "attendee"),
        ("chat", "attendee"),
        ("mute", "presenter"),
    ] {
        for context in contexts {
            for kind in ["", r#""kind": "anonymous","#] {
                let json = format!(
                    r#"{{"principal": {{"session": "{r}"}}, {kind} "action": "session:{a}", "context": {context}}}"#
                );
                let request = Request::from_json(&json).expect("request");
                let resolved = settings.resolve_request(&request).expect("resolved");
                let role = settings.role_id("session", r).expect("role");
                cases.push((resolved.action, role, resolved.facts));
            }
        }
    }
    let mut group = c.benchmark_group("decide_settings");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("allows", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (action, role, facts) in black_box(&cases) {
                allowed += u32::from(settings.allows(*action, *role, facts));
            }
            allowed
        })
    });
    group.bench_function("decide", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for (action, role, facts) in black_box(&cases) {
                let outcome = settings.decide(*action, *role, facts);
                allowed += u32::from(outcome.effect == rolecall::Effect::Allow);
            }
            allowed
        })
    });
    group.finish();

    // By name: `allows_names` looks the scope up once, then the action and the role.
    let mut group = c.benchmark_group("decide_strings");
    for (id, table) in &tables {
        let names = common::sample_cells(table, SAMPLE);
        group.throughput(Throughput::Elements(names.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(id), &names, |b, names| {
            b.iter(|| {
                let mut allowed = 0u32;
                for (s, a, r) in names {
                    let (s, a, r) = (
                        black_box(s.as_str()),
                        black_box(a.as_str()),
                        black_box(r.as_str()),
                    );
                    allowed += u32::from(table.allows_names(s, a, r, &facts) == Some(true));
                }
                allowed
            })
        });
    }
    group.finish();

    // The same through the two id lookups (`action_id`, `role_id`), as a
    // caller caching ids would do once.
    let mut group = c.benchmark_group("ids_from_strings");
    for (id, table) in &tables {
        let names = common::sample_cells(table, SAMPLE);
        group.throughput(Throughput::Elements(names.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(id), &names, |b, names| {
            b.iter(|| {
                let mut allowed = 0u32;
                for (s, a, r) in names {
                    let (s, a, r) = (
                        black_box(s.as_str()),
                        black_box(a.as_str()),
                        black_box(r.as_str()),
                    );
                    let (Some(action), Some(role)) = (table.action_id(s, a), table.role_id(s, r))
                    else {
                        continue;
                    };
                    allowed += u32::from(table.allows(action, role, &facts));
                }
                allowed
            })
        });
    }
    group.finish();

    // A whole request, already parsed from JSON: names resolved, defaults,
    // overrides and union of roles applied, and the Answer built.
    let mut group = c.benchmark_group("evaluate_request");
    for (id, table) in &tables {
        let requests = sample_requests(table);
        group.throughput(Throughput::Elements(requests.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(id), &requests, |b, requests| {
            b.iter(|| {
                let mut allowed = 0u32;
                for request in requests {
                    let answer = table.evaluate(black_box(request)).expect("answer");
                    allowed += u32::from(answer.decision == rolecall::Effect::Allow);
                }
                allowed
            })
        });
    }
    group.finish();

    // A targeted action (Livestorm's seven session ones): a grid cell from
    // ids (one load once both roles are resolved), and whole requests
    // naming a target through `check`.
    let livestorm = tables
        .iter()
        .find(|(id, _)| id == "livestorm")
        .map(|(_, t)| t)
        .expect("livestorm");
    let mut cells = Vec::new();
    let mut requests = Vec::new();
    for (a, action) in [
        "mute_someone_on_stage",
        "block_registrants",
        "invite_to_stage",
    ]
    .into_iter()
    .enumerate()
    {
        let id = livestorm.action_id("session", action).expect("action");
        for (r, role) in ["organizer", "moderator", "speaker", "viewer"]
            .into_iter()
            .enumerate()
        {
            for target in ["organizer", "speaker", "viewer"] {
                let acting = livestorm.role_id("session", role).expect("role");
                let held = livestorm.role_id("session", target).expect("role");
                cells.push((id, acting, held, (a + r) % 3 == 0));
                let json = format!(
                    r#"{{"principal": {{"session": "{role}"}}, "action": "session:{action}", "target": {{"session": "{target}"}}}}"#
                );
                requests.push(Request::from_json(&json).expect("request"));
            }
        }
    }
    let mut group = c.benchmark_group("decide_target");
    group.throughput(Throughput::Elements(cells.len() as u64));
    group.bench_function("allows/livestorm", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for &(action, role, target, on_self) in black_box(&cells) {
                allowed +=
                    u32::from(livestorm.allows_target(action, role, target, on_self, &facts));
            }
            allowed
        })
    });
    group.bench_function("ids/livestorm", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for &(action, role, target, on_self) in black_box(&cells) {
                let outcome = livestorm.decide_target(action, role, target, on_self, &facts);
                allowed += u32::from(outcome.is_some_and(|o| o.effect == rolecall::Effect::Allow));
            }
            allowed
        })
    });
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("check/livestorm", |b| {
        b.iter(|| {
            let mut allowed = 0u32;
            for request in black_box(&requests) {
                let verdict = livestorm.check(request).expect("verdict");
                allowed += u32::from(verdict.is_allowed());
            }
            allowed
        })
    });
    group.finish();

    // The same requests through `check`: the decision and its rule, nothing more.
    let mut group = c.benchmark_group("check_request");
    for (id, table) in &tables {
        let requests = sample_requests(table);
        group.throughput(Throughput::Elements(requests.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(id), &requests, |b, requests| {
            b.iter(|| {
                let mut allowed = 0u32;
                for request in requests {
                    let verdict = table.check(black_box(request)).expect("verdict");
                    allowed += u32::from(verdict.is_allowed());
                }
                allowed
            })
        });
    }
    group.finish();
}

/// A request for each of a quarter of the sampled cells, already parsed; a
/// targeted action's is done to a participant holding the same role.
fn sample_requests(table: &DecisionTable) -> Vec<Request> {
    common::sample_cells(table, SAMPLE / 4)
        .into_iter()
        .map(|(s, a, r)| {
            let targeted = table
                .action_id(&s, &a)
                .is_some_and(|id| table.is_targeted(id));
            Request {
                principal: [(s.clone(), vec![r.clone()])].into_iter().collect(),
                action: format!("{s}:{a}"),
                target: targeted.then(|| rolecall::RequestTarget::Other {
                    principal: [(s.clone(), vec![r])].into_iter().collect(),
                    kind: None,
                }),
                ..Request::default()
            }
        })
        .collect()
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = decide
}
criterion_main!(benches);

/// `n` cells of `table` by id, spread over all of it by a fixed-seed
/// linear congruential walk (ids, not names: 10 M names would not fit).
fn scattered_ids(
    table: &DecisionTable,
    n: usize,
) -> Vec<(rolecall::compile::ActionId, rolecall::compile::RoleId)> {
    let scopes: Vec<_> = table.scopes().collect();
    let shapes: Vec<(usize, usize)> = scopes
        .iter()
        .map(|&s| (table.actions(s).count(), table.roles(s).count()))
        .collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut draw = |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % below
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let s = draw(scopes.len());
        let (actions, roles) = shapes[s];
        let (a, r) = (draw(actions), draw(roles));
        if let (Some(action), Some(role)) =
            (table.action_at(scopes[s], a), table.role_at(scopes[s], r))
        {
            out.push((action, role));
        }
    }
    out
}
