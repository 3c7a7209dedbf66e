//! What the benches share: the policies they measure and their requests.

#![allow(dead_code)] // each bench uses a part

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use rolecall::DecisionTable;
use rolecall::generate::{Spec, generate};

/// Short runs: the machine is shared, and the figures are stable well before this.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

/// The crate root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A policy to measure: its name in bench ids, the file name diagnostics show, its text.
pub struct Input {
    pub id: String,
    pub file: String,
    pub text: String,
    pub spec: Option<Spec>,
}

/// The two reference policies.
pub fn references() -> Vec<Input> {
    ["livestorm", "goto_webinar"]
        .into_iter()
        .map(|name| {
            let file = format!("policies/{name}.policy");
            let text = std::fs::read_to_string(root().join(&file))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            Input {
                id: name.to_string(),
                file,
                text,
                spec: None,
            }
        })
        .collect()
}

/// Generated policies: one scope of n roles × n actions, for each n.
pub fn generated(sizes: &[usize]) -> Vec<Input> {
    sizes
        .iter()
        .map(|&n| {
            let spec = Spec::new(1, n, n);
            Input {
                id: format!("generated_{n}x{n}"),
                file: format!("generated_{n}.policy"),
                text: generate(&spec),
                spec: Some(spec),
            }
        })
        .collect()
}

/// A generated policy of `scopes` small scopes (2 roles × 2 actions each):
/// tenants mapped to scopes, where compiling once grew with scopes squared.
pub fn many_scopes(scopes: usize) -> Input {
    let spec = Spec::new(scopes, 2, 2);
    Input {
        id: format!("generated_{scopes}_scopes"),
        file: format!("generated_{scopes}_scopes.policy"),
        text: generate(&spec),
        spec: Some(spec),
    }
}

/// Compiles an input, which must be valid.
pub fn compile(input: &Input) -> DecisionTable {
    rolecall::compile_str(&input.file, &input.text)
        .unwrap_or_else(|e| panic!("{}: {} diagnostics", input.id, e.len()))
}

/// Every (scope, action, role) of a table, by name, in table order.
pub fn all_cells(table: &DecisionTable) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (scope_name, scope) in &table.policy().scopes {
        for action in scope.actions.keys() {
            for role in scope.roles.keys() {
                out.push((scope_name.clone(), action.clone(), role.clone()));
            }
        }
    }
    out
}

/// Up to `n` cells spread over the table by a fixed stride, so large tables
/// are sampled everywhere rather than in one corner.
pub fn sample_cells(table: &DecisionTable, n: usize) -> Vec<(String, String, String)> {
    let all = all_cells(table);
    if all.len() <= n {
        return all;
    }
    // A stride coprime with the length visits distinct cells in a scattered order.
    let mut stride = all.len() / n * 7 + 1;
    while gcd(stride, all.len()) != 1 {
        stride += 1;
    }
    (0..n)
        .map(|i| all[i * stride % all.len()].clone())
        .collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// JSON-lines requests against the Livestorm policy, `n` lines: every cell of
/// both scopes' plain actions with one assigned role, then again with the workspace admin
/// override, a kind, or the `event_owner` fact, cycling.
pub fn livestorm_requests(table: &DecisionTable, n: usize) -> String {
    // The plain actions' cells: a targeted action's request names a target
    // and goes to `eval`'s general path, measured apart (`decide_target`),
    // so this file stays the one the figures before targeted actions read.
    let cells: Vec<(String, String, String)> = all_cells(table)
        .into_iter()
        .filter(|(s, a, _)| {
            !table
                .action_id(s, a)
                .is_some_and(|id| table.is_targeted(id))
        })
        .collect();
    let mut out = String::new();
    let mut i = 0usize;
    while i < n {
        for (scope, action, role) in &cells {
            if i == n {
                break;
            }
            let line = match i % 4 {
                0 => format!(
                    r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{scope}:{action}"}}"#
                ),
                1 if scope == "session" => format!(
                    r#"{{"principal": {{"workspace": "admin", "session": ["{role}"]}}, "action": "session:{action}"}}"#
                ),
                2 if scope == "session" => format!(
                    r#"{{"principal": {{"session": "{role}"}}, "kind": "team_member", "action": "session:{action}", "context": {{"event_owner": false}}}}"#
                ),
                3 => format!(
                    r#"{{"principal": {{"{scope}": "{role}"}}, "action": "{scope}:{action}", "context": {{"event_owner": true}}}}"#
                ),
                _ => format!(
                    r#"{{"principal": {{"{scope}": ["{role}"]}}, "action": "{scope}:{action}"}}"#
                ),
            };
            out.push_str(&line);
            out.push('\n');
            i += 1;
        }
    }
    out
}

/// Writes `text` to a file under the target directory and returns its path.
pub fn write_temp(name: &str, text: &str) -> PathBuf {
    let dir = root().join("target").join("bench-data");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}
