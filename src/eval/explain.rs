//! `explain`: the whole chain behind a decision, for a person.

use std::fmt::Write as _;

use super::{Evaluation, ResolvedRequest, RoleSource};
use crate::compile::DecisionTable;
use crate::resolve::Subject;
use crate::syntax::ast::Effect;

/// Explains an evaluation: roles held, override applied, every rule that
/// matched each effective role, which one won and by which part of the
/// combination rule.
///
/// ```
/// let table = rolecall::compile_str("p.policy", "scope session {\n role viewer\n role host : viewer\n action chat\n allow viewer to chat\n}\n").unwrap();
/// let request = rolecall::Request::from_json(r#"{"principal": {"session": "host"}, "action": "session:chat"}"#).unwrap();
/// let resolved = table.resolve_request(&request).unwrap();
/// let text = rolecall::eval::explain(&table, &resolved, &table.evaluate_resolved(&resolved));
/// assert!(text.contains("decision: ALLOW"), "{text}");
/// ```
pub fn explain(table: &DecisionTable, request: &ResolvedRequest, e: &Evaluation) -> String {
    let policy = &table.policy;
    let mut out = String::new();
    // Positions, as the policy's own lists hold them.
    let e_scope = e.scope.index();
    let e_roles: Vec<usize> = e.roles.iter().map(|r| r.index()).collect();
    let Some((scope_name, scope)) = policy.scopes.get_index(e_scope) else {
        return out;
    };
    let role_name = |r: usize| scope.role_name(r);
    let action_name = scope.action_name(request.action.index());
    let _ = writeln!(out, "action: {scope_name}:{action_name}");

    // Roles held in every scope the request or an override touches, in
    // scope order: the action's scope and those of its overrides' subjects.
    let mut touched: Vec<usize> = policy
        .overrides
        .iter()
        .filter(|o| o.scope == e_scope)
        .filter_map(|o| match o.subject {
            Subject::Role { scope, .. } => Some(scope),
            Subject::Fact(_) => None,
        })
        .collect();
    touched.push(e_scope);
    touched.sort_unstable();
    touched.dedup();
    for s in touched {
        let (roles, source) = table.held(request, s);
        let Some((name, sc)) = policy.scopes.get_index(s) else {
            continue;
        };
        let names: Vec<String> = roles
            .iter()
            .filter_map(|&r| sc.roles.get_index(r).map(|(n, _)| n.clone()))
            .collect();
        let how = match source {
            RoleSource::Assigned => "assigned",
            RoleSource::KindDefault => "default for the principal's kind",
            RoleSource::ScopeDefault => "scope default",
            RoleSource::Nothing => "none assigned, no default",
        };
        let shown = if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        };
        let _ = writeln!(out, "roles held in {name}: {shown} ({how})");
    }
    let true_facts: Vec<String> = (0..policy.facts.len())
        .filter(|&f| request.facts.get(f))
        .map(|f| policy.fact_name(f))
        .collect();
    let _ = writeln!(
        out,
        "facts true: {}",
        if true_facts.is_empty() {
            "(none; missing facts are false)".to_string()
        } else {
            true_facts.join(", ")
        }
    );

    match e.override_applied.and_then(|i| policy.overrides.get(i)) {
        Some(o) => {
            let _ = writeln!(
                out,
                "override: `{}` at {} applies, so the effective role in {scope_name} is {}",
                policy.describe_override(o),
                o.loc.file_line(),
                role_name(o.role)
            );
        }
        None => {
            let considered = policy
                .overrides
                .iter()
                .filter(|o| o.scope == e_scope)
                .count();
            if considered > 0 {
                let _ = writeln!(
                    out,
                    "override: none of the {considered} override(s) into {scope_name} applies"
                );
            }
        }
    }
    let effective: Vec<String> = e_roles.iter().map(|&r| role_name(r)).collect();
    let _ = writeln!(
        out,
        "effective roles in {scope_name}: {}",
        if effective.is_empty() {
            "(none)".to_string()
        } else {
            effective.join(", ")
        }
    );

    for &role in &e_roles {
        let _ = writeln!(out, "\nrole {}:", role_name(role));
        // Every rule naming the action and the role or an ancestor, in the
        // order the combination rule tries them: the decision core's list,
        // uncut, so the outranked rules are shown too.
        let matches: Vec<(usize, Effect, usize, bool)> = crate::decision::combine::candidates(
            table,
            e_scope,
            request.action.index(),
            role,
            None,
        )
        .into_iter()
        .map(|c| {
            let holds = policy
                .rules
                .get(c.rule)
                .and_then(|r| r.condition.as_ref())
                .is_none_or(|cond| cond.expr.eval(&|f| request.facts.get(f)));
            (c.distance, c.effect, c.rule, holds)
        })
        .collect();
        if matches.is_empty() {
            let _ = writeln!(
                out,
                "  no rule names {action_name} for this role or a role it inherits"
            );
            let _ = writeln!(out, "  outcome: deny (default deny: nothing allows it)");
            continue;
        }
        let winner = matches.iter().position(|m| m.3);
        for (i, (d, _, id, holds)) in matches.iter().enumerate() {
            let Some(rule) = policy.rules.get(*id) else {
                continue;
            };
            let path = table.inheritance_path_at(e_scope, role, *id);
            let via = if path.len() > 1 {
                format!(
                    ", inherited through {}",
                    path.iter()
                        .map(|&r| role_name(r))
                        .collect::<Vec<_>>()
                        .join(" → ")
                )
            } else {
                String::new()
            };
            let status = if Some(i) == winner {
                "  <- decides"
            } else if !holds {
                "  (condition false: does not apply)"
            } else {
                "  (outranked)"
            };
            let _ = writeln!(
                out,
                "  `{}` at {} (distance {d}{via}){status}",
                policy.rule_for_action(rule, request.action.index()),
                rule.loc.file_line()
            );
        }
        let why = match winner {
            None => "deny (no matching rule's condition holds: default deny)".to_string(),
            Some(w) => {
                let Some(&(d, effect, id, _)) = matches.get(w) else {
                    continue;
                };
                let earlier_same_level = matches.iter().take(w).any(|m| m.0 == d);
                let others_at_level = matches
                    .iter()
                    .filter(|m| m.0 == d && m.3 && m.2 != id)
                    .count();
                let part = if matches.len() == 1 {
                    "the only matching rule".to_string()
                } else if others_at_level > 0
                    && effect == Effect::Deny
                    && matches
                        .iter()
                        .any(|m| m.0 == d && m.3 && m.1 == Effect::Allow)
                {
                    format!("nearest rules are at distance {d}; at equal distance deny beats allow")
                } else if others_at_level > 0 {
                    format!(
                        "at distance {d} and equal effect the earliest declared rule is reported"
                    )
                } else if earlier_same_level || w > 0 {
                    format!("the nearest rule whose condition holds (distance {d})")
                } else {
                    format!(
                        "the nearest rule (distance {d}): a rule for a role beats one inherited from farther away"
                    )
                };
                format!("{} ({part})", effect.as_str())
            }
        };
        let _ = writeln!(out, "  outcome: {why}");
    }

    let decision = match e.effect {
        Effect::Allow => "ALLOW",
        Effect::Deny => "DENY",
    };
    let summary = match (e.effect, e.deciding_role) {
        (Effect::Allow, Some(r)) => format!(
            "{} may {action_name}; several held roles combine by union: any effective role allowing suffices",
            role_name(r.index())
        ),
        _ if e.roles.is_empty() => "no effective role in this scope".to_string(),
        _ => "no effective role may do it".to_string(),
    };
    let _ = writeln!(out, "\ndecision: {decision} ({summary})");
    let would = table.fact_positions_that_would_change(request, e.effect);
    if !would.is_empty() {
        let names: Vec<String> = would.iter().map(|&f| policy.fact_name(f)).collect();
        let _ = writeln!(out, "would change if true: {}", names.join(", "));
    }
    out
}
