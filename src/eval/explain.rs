//! `explain`: the whole chain behind a decision, for a person.

use std::fmt::Write as _;

use super::{Evaluation, ResolvedRequest, RoleSource};
use crate::compile::{DecisionTable, RoleId};
use crate::decision::explanation::{Explanation, Status, Why};
use crate::invariant::name_or_missing;
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
    render(table, &table.explanation(request, e))
}

/// The text of an [`Explanation`]: its one renderer for people.
pub fn render(table: &DecisionTable, x: &Explanation) -> String {
    let policy = table.policy();
    let mut out = String::new();
    let Some(scope_name) = table.scope_name(x.action.scope_id()) else {
        return out;
    };
    let role_name = |r: RoleId| name_or_missing(table.role_name(r), "role");
    let action_name = name_or_missing(table.action_name(x.action), "action");
    let _ = writeln!(out, "action: {scope_name}:{action_name}");

    for held in &x.held {
        let Some(name) = table.scope_name(held.scope) else {
            continue;
        };
        let names: Vec<&str> = held.roles.iter().map(|&r| role_name(r)).collect();
        let how = source_text(held.source);
        let shown = if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        };
        let _ = writeln!(out, "roles held in {name}: {shown} ({how})");
    }
    let true_facts: Vec<&str> = x
        .true_facts
        .iter()
        .map(|&f| name_or_missing(table.fact_name(f), "fact"))
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

    if !x.settings.is_empty() {
        let shown: Vec<String> = x
            .settings
            .iter()
            .map(|u| {
                let (setting, value) = setting_value_names(table, u);
                let how = if u.given { "given" } else { "default" };
                format!("{setting} is {value} ({how})")
            })
            .collect();
        let _ = writeln!(out, "settings: {}", shown.join(", "));
    }

    match x
        .evaluation
        .override_applied
        .and_then(|i| policy.overrides.get(i))
    {
        Some(o) => {
            let target = table.role_at(x.action.scope_id(), o.role);
            let _ = writeln!(
                out,
                "override: `{}` at {} applies, so the effective role in {scope_name} is {}",
                policy.describe_override(o),
                o.loc.file_line(),
                name_or_missing(target.and_then(|r| table.role_name(r)), "role")
            );
        }
        None if x.overrides_considered > 0 && x.evaluation.added.is_empty() => {
            let _ = writeln!(
                out,
                "override: none of the {} override(s) into {scope_name} applies",
                x.overrides_considered
            );
        }
        None => {}
    }
    for o in x
        .evaluation
        .added
        .iter()
        .filter_map(|&i| policy.overrides.get(i))
    {
        let target = table.role_at(x.action.scope_id(), o.role);
        let _ = writeln!(
            out,
            "override: `{}` at {} applies, so {} is added to the roles held in {scope_name}",
            policy.describe_override(o),
            o.loc.file_line(),
            name_or_missing(target.and_then(|r| table.role_name(r)), "role")
        );
    }
    let everyone = table
        .policy
        .scopes
        .get_index(x.action.scope())
        .and_then(|(_, s)| s.everyone);
    let effective: Vec<String> = x
        .evaluation
        .roles
        .iter()
        .map(|&r| {
            if Some(r.index()) == everyone {
                format!("{} (holds no role here)", role_name(r))
            } else {
                role_name(r).to_string()
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "effective roles in {scope_name}: {}",
        if effective.is_empty() {
            "(none)".to_string()
        } else {
            effective.join(", ")
        }
    );

    for account in &x.roles {
        match (account.target, x.evaluation.target.as_ref()) {
            (Some(t), Some(target)) if target.on_self => {
                let _ = writeln!(
                    out,
                    "\nrole {} (on themself, as {}):",
                    role_name(account.role),
                    role_name(t)
                );
            }
            (Some(t), Some(_)) => {
                let _ = writeln!(
                    out,
                    "\nrole {} (on a target holding {}):",
                    role_name(account.role),
                    role_name(t)
                );
            }
            (None, Some(_)) => {
                let _ = writeln!(
                    out,
                    "\nrole {} (the target holds no role here):",
                    role_name(account.role)
                );
            }
            (_, None) => {
                let _ = writeln!(out, "\nrole {}:", role_name(account.role));
            }
        }
        if account.why == Why::NoRule {
            let _ = writeln!(
                out,
                "  no rule names {action_name} for this role or a role it inherits"
            );
            let _ = writeln!(out, "  outcome: {}", why_text(Why::NoRule));
            continue;
        }
        for c in &account.candidates {
            let Some(rule) = table.rule(c.rule) else {
                continue;
            };
            let via = if c.path.len() > 1 {
                let names: Vec<&str> = c.path.iter().map(|&r| role_name(r)).collect();
                format!(", inherited through {}", names.join(" → "))
            } else {
                String::new()
            };
            let status = match c.status {
                Status::Decides => "  <- decides",
                Status::ConditionFalse => "  (condition false: does not apply)",
                Status::Outranked => "  (outranked)",
            };
            let _ = writeln!(
                out,
                "  `{}` at {} ({}{via}){status}",
                policy.rule_for_action(rule, x.action.index()),
                rule.file_line(),
                distance_text(c.distance)
            );
        }
        let why = why_text(account.why);
        let _ = writeln!(out, "  outcome: {why}");
    }

    let decision = match x.evaluation.effect {
        Effect::Allow => "ALLOW",
        Effect::Deny => "DENY",
    };
    let summary = match (x.evaluation.effect, x.evaluation.deciding_role) {
        (Effect::Allow, Some(r)) => format!(
            "{} may {action_name}; several held roles combine by union: any effective role allowing suffices",
            role_name(r)
        ),
        (Effect::Deny, Some(r))
            if x.evaluation
                .rule
                .and_then(|id| table.rule(id))
                .is_some_and(|rule| rule.forbid) =>
        {
            format!(
                "{} is forbidden to {action_name}; a forbid wins over every role, whatever the others allow",
                role_name(r)
            )
        }
        _ if x.evaluation.roles.is_empty() => "no effective role in this scope".to_string(),
        _ => "no effective role may do it".to_string(),
    };
    let _ = writeln!(out, "\ndecision: {decision} ({summary})");
    if !x.would_change.is_empty() {
        let names: Vec<&str> = x
            .would_change
            .iter()
            .map(|&f| name_or_missing(table.fact_name(f), "fact"))
            .collect();
        let _ = writeln!(out, "would change with: {}", names.join(", "));
    }
    out
}

/// Where held roles come from, in words (the text and JSON renderers' one copy).
pub(super) fn source_text(source: RoleSource) -> &'static str {
    match source {
        RoleSource::Assigned => "assigned",
        RoleSource::KindDefault => "default for the principal's kind",
        RoleSource::ScopeDefault => "scope default",
        RoleSource::Nothing => "none assigned, no default",
    }
}

/// A role's outcome and the part of the combination rule that gave it, in
/// words (the text and JSON renderers' one copy).
pub(super) fn why_text(why: Why) -> String {
    match why {
        Why::NoRule => "deny (default deny: nothing allows it)".to_string(),
        Why::NoConditionHolds => {
            "deny (no matching rule's condition holds: default deny)".to_string()
        }
        Why::OnlyMatching(effect) => format!("{} (the only matching rule)", effect.as_str()),
        Why::DenyBeatsAllow(d) => format!(
            "deny (nearest rules are at {}; at equal distance deny beats allow)",
            distance_text(d)
        ),
        Why::Forbid(d) => format!(
            "deny (a forbid ({}): it is tried before every other rule and wins over every role)",
            distance_text(d)
        ),
        Why::EarliestDeclared(effect, d) => format!(
            "{} (at {} and equal effect the earliest declared rule is reported)",
            effect.as_str(),
            distance_text(d)
        ),
        Why::NearestHolding(effect, d) => format!(
            "{} (the nearest rule whose condition holds ({}))",
            effect.as_str(),
            distance_text(d)
        ),
        Why::Nearest(effect, d) => format!(
            "{} (the nearest rule ({}): a rule for a role beats one inherited from farther away)",
            effect.as_str(),
            distance_text(d)
        ),
    }
}

/// `distance 2`, or `for everyone` for a rule every role inherits from `everyone`.
fn distance_text(d: usize) -> String {
    match crate::resolve::shown_distance(d) {
        Some(d) => format!("distance {d}"),
        None => "for everyone, farther than any ancestor".to_string(),
    }
}

/// The names of a setting and of the value it had.
pub(crate) fn setting_value_names<'t>(
    table: &'t DecisionTable,
    used: &crate::decision::explanation::SettingValueUsed,
) -> (&'t str, &'t str) {
    let setting = table.policy().settings.get_index(used.setting);
    let value = setting.and_then(|(_, s)| s.values.get_index(used.value));
    (
        name_or_missing(setting.map(|(n, _)| n.as_str()), "setting"),
        name_or_missing(value.map(|(n, _)| n.as_str()), "setting value"),
    )
}
