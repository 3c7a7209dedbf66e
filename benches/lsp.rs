//! The language server's latency for diagnostics after an edit (issue 22's
//! target: under 50 ms on the Livestorm policy): an open document edited,
//! from the `didChange` notification to the `publishDiagnostics` frames
//! written as JSON, through `Server::handle` (load, resolve, compile, lint,
//! the conversion to the protocol's diagnostics), as `rolecall lsp` runs it.
//!
//! `cargo bench --bench lsp`

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use lsp_server::{Message, Notification};
use rolecall::lsp::Server;
use serde_json::json;
use std::hint::black_box;

fn note(method: &str, params: serde_json::Value) -> Message {
    Message::Notification(Notification::new(method.to_string(), params))
}

/// The server's answer to a notification, serialized as the transport would.
fn frames(server: &mut Server, message: Message) -> usize {
    let (out, _) = server.handle(message);
    out.iter()
        .map(|m| serde_json::to_string(m).map_or(0, |s| s.len()))
        .sum()
}

fn edit_livestorm(c: &mut Criterion) {
    let path = common::root().join("policies/livestorm.policy");
    let text = std::fs::read_to_string(&path).expect("policies/livestorm.policy");
    let uri = format!("file://{}", path.display());
    // The edit: a typo in a role name (an error), then back (clean, and linted).
    let typo = text.replacen("allow viewer to", "allow viewr to", 1);
    assert_ne!(typo, text, "the edit changes the policy");

    let mut group = c.benchmark_group("lsp_diagnostics_after_edit");
    for (id, edited) in [("livestorm_clean", &text), ("livestorm_typo", &typo)] {
        let mut server = Server::default();
        frames(
            &mut server,
            note(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "rolecall", "version": 1, "text": text}}),
            ),
        );
        let mut version = 1;
        group.bench_function(id, |b| {
            b.iter(|| {
                version += 1;
                let change = note(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}),
                );
                black_box(frames(&mut server, change))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = edit_livestorm
}
criterion_main!(benches);
