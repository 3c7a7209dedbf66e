//! JSON: the whole compiled table, machine-readable and stable.

use serde_json::{Value, json};

use super::{cell_summary, scopes, target_cell_summary};
use crate::compile::DecisionTable;
use crate::compile::TargetColumn;
use crate::resolve::Subject;

/// The table as pretty-printed JSON.
pub fn to_json(table: &DecisionTable, only: Option<crate::compile::ScopeId>) -> String {
    let only = only.map(crate::compile::ScopeId::index);
    let policy = &table.policy;
    let name_of = |s: usize, r: usize| policy.role_name(s, r);
    let mut scope_values = Vec::new();
    for s in scopes(table, only) {
        let Some((scope_name, scope)) = policy.scopes.get_index(s) else {
            continue;
        };
        let role_name = |r: usize| scope.role_name(r);
        let kind_name = |k: usize| policy.kind_name(k);
        let roles: Vec<Value> = scope
            .roles
            .iter()
            .map(|(name, role)| {
                json!({
                    "name": name,
                    "label": role.label,
                    "inherits": role.parents.iter().map(|&p| role_name(p)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let actions: Vec<Value> = scope
            .actions
            .iter()
            .map(|(name, action)| {
                let mut value = json!({
                    "name": name,
                    "label": action.label,
                    "section": action.section.and_then(|i| scope.sections.get(i)),
                });
                // Only a targeted action says so (the key is left out otherwise).
                if let (true, Some(map)) = (action.targeted, value.as_object_mut()) {
                    map.insert("targeted".to_string(), json!(true));
                }
                value
            })
            .collect();
        let mut cells = Vec::new();
        for (a, action) in scope.actions.keys().enumerate() {
            let origins = table.origins(s, a);
            for (r, role) in scope.roles.keys().enumerate() {
                let (decision, condition) = cell_summary(table, s, a, r);
                let cell = table.cell_at(s, a, r);
                let rule = cell.and_then(|c| c.rule);
                // Where the deciding rule comes from, not the whole path: a
                // path per cell made a 10,000-level chain's JSON quadratic
                // (11 GB). `through` is the next role of the path; its cell
                // has the same rule, so the path is read by following it.
                let origin = origins.get(r).copied().flatten();
                let from = origin.map(|o| role_name(o.from));
                let distance = origin.and_then(|o| crate::resolve::shown_distance(o.distance));
                let through = origin.and_then(|o| o.through).map(role_name);
                let candidates: Option<Vec<Value>> = cell.and_then(|c| c.conditional).map(|c| {
                    c.candidates
                        .iter()
                        .filter_map(|(effect, rule)| {
                            let r = policy.rules.get(*rule)?;
                            let mut candidate = json!({
                                "effect": effect,
                                "rule": r.file_line(),
                                "when": r.condition.as_ref().map(|c| c.text.clone()),
                            });
                            if let (true, Some(map)) = (r.forbid, candidate.as_object_mut()) {
                                map.insert("forbid".to_string(), json!(true));
                            }
                            Some(candidate)
                        })
                        .collect()
                });
                // A forbid's cell says so (the field is left out otherwise).
                let forbid = match cell.and_then(|c| c.conditional) {
                    Some(c) => c
                        .candidates
                        .iter()
                        .any(|(_, rule)| policy.rules.get(*rule).is_some_and(|r| r.forbid)),
                    None => rule.is_some_and(|r| table.is_forbid(r.index())),
                };
                let mut cell_json = json!({
                    "action": action,
                    "role": role,
                    "decision": decision.as_str(),
                    "condition": condition,
                    "rule": rule.and_then(|r| policy.rules.get(r.index())).map(|r| r.file_line()),
                    "from": from,
                    "distance": distance,
                    "through": through,
                    "candidates": candidates,
                });
                if let (true, Some(map)) = (forbid, cell_json.as_object_mut()) {
                    map.insert("forbid".to_string(), json!(true));
                }
                cells.push(cell_json);
            }
        }
        // `default`, `kind_defaults` and `assignable` keep their shape: the
        // lines without `when`. Conditional lines are listed beside them, in
        // the order they are tried.
        let default_role =
            |d: &crate::resolve::DefaultRole| d.role.map_or_else(|| "none".to_string(), role_name);
        let default = scope.fallback_default(None).map(default_role);
        let kind_defaults: serde_json::Map<String, Value> = scope
            .kind_defaults
            .keys()
            .filter_map(|&k| {
                Some((
                    kind_name(k),
                    json!(default_role(scope.fallback_default(Some(k))?)),
                ))
            })
            .collect();
        let assignable: serde_json::Map<String, Value> = scope
            .assignable
            .keys()
            .filter_map(|&k| {
                let a = scope.fallback_assignable(k)?;
                Some((
                    kind_name(k),
                    json!(a.roles.iter().map(|&r| role_name(r)).collect::<Vec<_>>()),
                ))
            })
            .collect();
        let conditional_defaults: Vec<Value> = scope
            .defaults
            .iter()
            .map(|d| (None, d))
            .chain(
                scope
                    .kind_defaults
                    .iter()
                    .flat_map(|(k, list)| list.iter().map(move |d| (Some(*k), d))),
            )
            .filter_map(|(k, d)| {
                let c = d.condition.as_ref()?;
                Some(json!({"kind": k.map(kind_name), "role": default_role(d), "when": c.text}))
            })
            .collect();
        let conditional_assignable: Vec<Value> = scope
            .assignable
            .iter()
            .flat_map(|(k, list)| list.iter().map(move |a| (*k, a)))
            .filter_map(|(k, a)| {
                let c = a.condition.as_ref()?;
                Some(json!({
                    "kind": kind_name(k),
                    "roles": a.roles.iter().map(|&r| role_name(r)).collect::<Vec<_>>(),
                    "when": c.text,
                }))
            })
            .collect();
        let limits: Vec<Value> = scope
            .limits
            .iter()
            .map(|l| {
                let (min, max) = l.cardinality.bounds();
                json!({"role": role_name(l.role), "rule": l.cardinality.to_string(), "min": min, "max": max})
            })
            .collect();
        let advice: Vec<Value> = scope
            .advice
            .iter()
            .map(|a| json!({"role": role_name(a.role), "count": a.count, "per_min": a.per_min, "per_max": a.per_max, "label": a.label}))
            .collect();
        scope_values.push(json!({
            "name": scope_name,
            "label": scope.label,
            "sections": scope.sections,
            "roles": roles,
            "actions": actions,
            "default": default,
            "kind_defaults": kind_defaults,
            "assignable": assignable,
            "conditional_defaults": conditional_defaults,
            "conditional_assignable": conditional_assignable,
            "limits": limits,
            "advice": advice,
            "notes": scope.notes,
            "cells": cells,
            "target_cells": target_cells(table, s),
        }));
    }
    let overrides: Vec<Value> = policy
        .overrides
        .iter()
        .map(|o| {
            let subject = match o.subject {
                Subject::Role { scope, role } => json!({"role": name_of(scope, role)}),
                Subject::Fact(f) => json!({"fact": policy.fact_name(f)}),
                Subject::Everyone => json!({"everyone": true}),
            };
            json!({
                "subject": subject,
                "joins": name_of(o.scope, o.role),
                "adds": o.adds,
                "when": o.condition.as_ref().map(|c| c.text.clone()),
                "at": o.loc.file_line(),
            })
        })
        .collect();
    let value = json!({
        "policy": policy.name,
        "sources": policy.sources,
        "notes": policy.notes,
        "facts": policy.facts.iter().map(|(n, f)| json!({"name": n, "label": f.label})).collect::<Vec<_>>(),
        "kinds": policy.kinds.iter().map(|(n, k)| json!({"name": n, "label": k.label})).collect::<Vec<_>>(),
        "scopes": scope_values,
        "overrides": overrides,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// A scope's targeted actions' cells: per action, acting role and target
/// (a role, or `self`), the decision, its condition and deciding rule.
fn target_cells(table: &DecisionTable, s: usize) -> Vec<Value> {
    let policy = &table.policy;
    let Some((_, scope)) = policy.scopes.get_index(s) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (a, (action, declared)) in scope.actions.iter().enumerate() {
        if !declared.targeted {
            continue;
        }
        for (r, role) in scope.roles.keys().enumerate() {
            for column in TargetColumn::all(scope.roles.len()) {
                let (decision, condition) = target_cell_summary(table, s, a, r, column);
                let rule = column
                    .cell(table, s, a, r)
                    .and_then(|c| c.rule)
                    .and_then(|r| policy.rules.get(r.index()))
                    .map(|r| r.file_line());
                out.push(json!({
                    "action": action,
                    "role": role,
                    "target": column.name(scope),
                    "decision": decision.as_str(),
                    "condition": condition,
                    "rule": rule,
                }));
            }
        }
    }
    out
}
