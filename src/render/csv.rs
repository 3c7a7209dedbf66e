//! CSV: a contract other tools rely on. Header `scope,action,role,decision,condition,target`;
//! one row per (scope, action, role) in declaration order, `target` empty (for a
//! targeted action, its untargeted reading: may the role do it to someone else);
//! then a targeted action's rows per (acting role, target): `target` names the
//! target's role, or `self` for the principal acting on themself.

use super::{cell_summary, scopes, target_cell_summary};
use crate::compile::DecisionTable;
use crate::compile::TargetColumn;

/// The table as CSV.
pub fn to_csv(table: &DecisionTable, only: Option<crate::compile::ScopeId>) -> String {
    let only = only.map(crate::compile::ScopeId::index);
    let mut out = String::from("scope,action,role,decision,condition,target\n");
    let mut push = |fields: [&str; 6]| {
        let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    };
    for s in scopes(table, only) {
        let Some((scope_name, scope)) = table.policy.scopes.get_index(s) else {
            continue;
        };
        for (a, action) in scope.actions.keys().enumerate() {
            for (r, role) in scope.roles.keys().enumerate() {
                let (decision, condition) = cell_summary(table, s, a, r);
                push([
                    scope_name.as_str(),
                    action.as_str(),
                    role.as_str(),
                    decision.as_str(),
                    condition.as_deref().unwrap_or(""),
                    "",
                ]);
            }
        }
        for (a, (action, _)) in scope
            .actions
            .iter()
            .enumerate()
            .filter(|(_, (_, x))| x.targeted)
        {
            for (r, role) in scope.roles.keys().enumerate() {
                for column in TargetColumn::all(scope.roles.len()) {
                    let (decision, condition) = target_cell_summary(table, s, a, r, column);
                    push([
                        scope_name.as_str(),
                        action.as_str(),
                        role.as_str(),
                        decision.as_str(),
                        condition.as_deref().unwrap_or(""),
                        &column.name(scope),
                    ]);
                }
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
