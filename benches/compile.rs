//! Parse, resolve and compile time: both reference policies and generated
//! policies of 10, 100 and 1,000 roles and actions (up to 1,000,000 cells), and
//! one of 20,000 small scopes (compiling it was once quadratic in scopes).
//!
//! `cargo bench --bench compile`

mod common;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolecall::syntax::{Loader, RealFiles};
use std::hint::black_box;

fn inputs() -> Vec<common::Input> {
    let mut inputs = common::references();
    inputs.extend(common::generated(&[10, 100, 1000]));
    inputs.push(common::many_scopes(20_000));
    inputs
}

fn stages(c: &mut Criterion) {
    let inputs = inputs();
    eprintln!("policy,cells,bytes,cell_bytes,bytes_per_cell,rules,conditional_cells");
    for input in &inputs {
        let table = common::compile(input);
        let t = &table;
        let conditional = t
            .scopes()
            .flat_map(|s| {
                t.actions(s)
                    .flat_map(move |a| t.roles(s).map(move |r| (a, r)))
            })
            .filter(|&(a, r)| t.cell(a, r).is_some_and(|c| c.conditional.is_some()))
            .count();
        eprintln!(
            "{},{},{},{},{:.2},{},{}",
            input.id,
            table.cell_count(),
            input.text.len(),
            table.cell_bytes(),
            table.cell_bytes() as f64 / table.cell_count() as f64,
            table.policy().rules.len(),
            conditional,
        );
    }

    let mut group = c.benchmark_group("parse");
    for input in &inputs {
        group.throughput(Throughput::Bytes(input.text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(&input.id), input, |b, input| {
            b.iter(|| Loader::new(&RealFiles).load_text(&input.file, black_box(&input.text)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("resolve");
    for input in &inputs {
        let files = Loader::new(&RealFiles)
            .load_text(&input.file, &input.text)
            .unwrap_or_else(|_| panic!("{}", input.id));
        group.bench_with_input(
            BenchmarkId::from_parameter(&input.id),
            &files,
            |b, files| b.iter(|| rolecall::resolve::resolve(black_box(files))),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for input in &inputs {
        let table = common::compile(input);
        group.throughput(Throughput::Elements(table.cell_count() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(&input.id),
            table.policy(),
            |b, policy| b.iter_batched(|| policy.clone(), rolecall::compile, BatchSize::LargeInput),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("text_to_table");
    group.sample_size(10);
    for input in &inputs {
        group.throughput(Throughput::Elements(
            input
                .spec
                .map_or_else(|| common::compile(input).cell_count(), |s| s.cells())
                as u64,
        ));
        group.bench_with_input(BenchmarkId::from_parameter(&input.id), input, |b, input| {
            b.iter(|| rolecall::compile_str(&input.file, black_box(&input.text)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = stages
}
criterion_main!(benches);
