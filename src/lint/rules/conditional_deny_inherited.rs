//! `conditional-deny-inherited`: a conditional deny that roles above its
//! role inherit, making what they were always allowed conditional.

use indexmap::IndexMap;

use crate::lint::analysis::{
    KindOf, Truth, allow_when, allow_when_of, always_for, can_act_as, candidate_row_without,
    deciding, descendants, named_ancestor, names, reads_kind, truth,
};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::resolve::Cond;
use crate::syntax::ast::Effect;

/// Flags a conditional deny that turns allowed cells of the roles inheriting
/// its roles into conditional ones.
pub struct ConditionalDenyInherited;

/// The rule's description.
pub static META: Meta = meta! {
    id: "conditional-deny-inherited",
    category: Category::Suspicious,
    level: Level::Warning,
    summary: "a conditional deny that roles above its role inherit (allowed only sometimes now)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `deny … when …` whose roles are inherited by roles it does not name,
when it turns cells of those roles from allowed whatever the facts into
conditional: without the deny they were always allowed, with it they are
denied whenever its condition holds. A role above counts only for the
principals who can hold it: a deny `when kind is anonymous` says nothing to a
role the `anonymous` kind can neither be assigned, get by default, nor be
given by an override.

### Why is this bad?
A deny is inherited like an allow, and a conditional deny is easy to read as
an exception for the role it names alone ("anonymous presenters cannot
mute") while it binds every role above it too: the organizer, who inherits
the presenter, can no longer mute when the condition holds. Nothing in the
table says it was not meant.

### Example
```rolecall
kind anonymous "Anonymous"
scope session {
    role presenter "Presenter"
    role organizer "Organizer" : presenter
    action present "Present"
    action mute "Mute"
    action start "Start"
    allow presenter to present, mute
    allow organizer to start
    deny presenter to mute when kind is anonymous
}
```

### Use instead
Give the roles above their own allow (a rule naming the role is nearer than
an inherited one), or restrict the condition to principals who cannot hold
them (say `kind is anonymous` with an `assignable anonymous: presenter` list).
```rolecall
kind anonymous "Anonymous"
scope session {
    role presenter "Presenter"
    role organizer "Organizer" : presenter
    action present "Present"
    action mute "Mute"
    action start "Start"
    allow presenter to present, mute
    allow organizer to start, mute
    deny presenter to mute when kind is anonymous
}
```
"#;

/// Cells named in a message; the rest are counted.
const MAX_LISTED: usize = 6;

impl Rule for ConditionalDenyInherited {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        let table = cx.table;
        for (id, rule) in policy.rules.iter().enumerate() {
            let Some(condition) = &rule.condition else {
                continue;
            };
            if rule.effect != Effect::Deny || matches!(truth(&condition.expr), Truth::Always(_)) {
                continue; // constant-condition reports a constant one
            }
            let s = rule.scope;
            let Some((_, scope)) = policy.scopes.get_index(s) else {
                continue;
            };
            // The roles above the named ones that the rule does not name.
            let mut above = vec![false; scope.roles.len()];
            for &r in &rule.roles {
                for d in descendants(table, s, r) {
                    if let Some(a) = above.get_mut(d) {
                        *a = true;
                    }
                }
            }
            for &r in &rule.roles {
                if let Some(a) = above.get_mut(r) {
                    *a = false;
                }
            }
            let above: Vec<usize> = (0..scope.roles.len())
                .filter(|&r| above.get(r) == Some(&true))
                .collect();
            if above.is_empty() {
                continue;
            }
            // Role → the actions it lost, in declaration order.
            let mut hit: IndexMap<usize, Vec<usize>> = IndexMap::new();
            let mut actions = rule.actions.clone();
            actions.sort_unstable();
            actions.dedup();
            for a in actions {
                let mut without = None;
                for &d in &above {
                    let now = allow_when(table, s, a, d);
                    if now == Cond::Const(true) {
                        continue;
                    }
                    let row = without.get_or_insert_with(|| candidate_row_without(table, s, a, id));
                    let Some(list) = row.get(d) else {
                        continue;
                    };
                    let before = allow_when_of(table, &deciding(list.clone()));
                    if newly_conditional(cx, s, d, &before, &now) {
                        hit.entry(d).or_default().push(a);
                    }
                }
            }
            hit.sort_unstable_keys();
            out.extend(finding(cx, id, rule, &hit));
        }
    }
}

/// Whether some principal who can act as role `d` was always allowed
/// (`before`) and is not now.
fn newly_conditional(cx: &Context<'_>, s: usize, d: usize, before: &Cond, now: &Cond) -> bool {
    let policy = cx.policy;
    let kinds: Vec<KindOf> = if reads_kind(policy, before) || reads_kind(policy, now) {
        KindOf::each(policy)
            .filter(|&k| can_act_as(cx.table, s, d, k))
            .collect()
    } else {
        vec![KindOf::Any]
    };
    kinds.into_iter().any(|k| {
        always_for(policy, before, k) == Some(true) && always_for(policy, now, k) == Some(false)
    })
}

fn finding(
    cx: &Context<'_>,
    id: usize,
    rule: &crate::resolve::Rule,
    hit: &IndexMap<usize, Vec<usize>>,
) -> Option<Finding> {
    let policy = cx.policy;
    let s = rule.scope;
    // Nothing reached, nothing to say.
    let (&first, first_actions) = hit.first()?;
    let first_action = cx.action_name(s, *first_actions.first()?);
    let first = cx.role_name(s, first);
    let cells: Vec<String> = hit
        .iter()
        .flat_map(|(&d, actions)| {
            actions
                .iter()
                .map(move |&a| format!("`{}` × `{}`", cx.role_name(s, d), cx.action_name(s, a)))
        })
        .collect();
    let total = cells.len();
    let mut listed = cells
        .iter()
        .take(MAX_LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if total > MAX_LISTED {
        listed.push_str(&format!(" and {} more", total - MAX_LISTED));
    }
    let named: Vec<&str> = rule.roles.iter().map(|&r| cx.role_name(s, r)).collect();
    let condition = rule.condition.as_ref().map_or("", |c| c.text.as_str());
    let (were, depend) = if total == 1 {
        ("was", "depends")
    } else {
        ("were", "depend")
    };
    let message = format!(
        "`{}` also binds the roles above {}: {listed} {were} allowed whatever the facts and now {depend} on `{condition}`",
        crate::resolve::rule_summary(rule),
        names(&named),
    );
    let higher: Vec<&str> = hit.keys().map(|&d| cx.role_name(s, d)).collect();
    let label = match higher.as_slice() {
        [one] => format!("inherited by `{one}`"),
        more => format!("inherited by {} roles above", more.len()),
    };
    let help = format!(
        "if the deny is meant for {} alone, give the roles above their own allow (`allow {first} to {first_action}`), or restrict the condition to principals who cannot hold them (`kind is …` for a kind their `assignable` lists leave out)",
        names(&named)
    );
    let mut f = Finding::new(&META, &rule.loc, message, label, help);
    for &d in hit.keys().take(MAX_LISTED) {
        let Some((_, role)) = policy
            .scopes
            .get_index(s)
            .and_then(|(_, sc)| sc.roles.get_index(d))
        else {
            continue;
        };
        let via = named_ancestor(cx.table, s, d, id, None).map_or_else(String::new, |n| {
            format!(" through `{}`", cx.role_name(s, n))
        });
        f = f.with_note(
            &role.loc,
            format!("`{}` inherits the deny{via}", cx.role_name(s, d)),
        );
    }
    Some(f)
}
