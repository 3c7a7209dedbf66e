//! CSV: a contract other tools rely on. Header `scope,action,role,decision,condition`;
//! one row per (scope, action, role) in declaration order.

use super::{cell_summary, scopes};
use crate::compile::DecisionTable;

/// The table as CSV.
pub fn to_csv(table: &DecisionTable, only: Option<crate::compile::ScopeId>) -> String {
    let only = only.map(crate::compile::ScopeId::index);
    let mut out = String::from("scope,action,role,decision,condition\n");
    for s in scopes(table, only) {
        let Some((scope_name, scope)) = table.policy.scopes.get_index(s) else {
            continue;
        };
        for (a, action) in scope.actions.keys().enumerate() {
            for (r, role) in scope.roles.keys().enumerate() {
                let (decision, condition) = cell_summary(table, s, a, r);
                let fields = [
                    scope_name.as_str(),
                    action.as_str(),
                    role.as_str(),
                    decision.as_str(),
                    condition.as_deref().unwrap_or(""),
                ];
                let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
    }
    out
}

/// Quotes a field when RFC 4180 requires it.
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}
