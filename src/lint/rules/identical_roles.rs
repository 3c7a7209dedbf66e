//! `identical-roles`: two roles allowed exactly the same things.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::compile::{CellDecision, DecisionTable};
use crate::lint::analysis::{inherits, same_column};

/// Most facts a cell's condition is hashed as a truth table over (2^16
/// rows); past it every such condition hashes alike and the exact
/// comparison (`same_column`, by decision diagram) decides.
const MAX_FACTS: usize = 16;
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::resolve::Cond;

/// Flags a role whose permissions are identical to an earlier role's.
pub struct IdenticalRoles;

/// The rule's description.
pub static META: Meta = meta! {
    id: "identical-roles",
    category: Category::Suspicious,
    level: Level::Warning,
    summary: "two roles whose permissions are identical (a likely duplicate)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a role that is allowed exactly what an earlier role of the same scope is
allowed, action for action and under the same conditions, when neither
inherits the other. Roles already reported by `role-grants-nothing` or
`role-adds-nothing` are left out.

### Why is this bad?
Two names for one set of permissions is usually a copy that was meant to
differ, or a duplicate that should be one role (or one inheriting the other).
When the difference lives elsewhere (who may be assigned which), suppress the
finding and say so.

### Example
```rolecall
scope session {
    role host "Host"
    role cohost "Co-host"
    action start "Start"
    action mute "Mute"
    allow host to start, mute
    allow cohost to start, mute
}
```

### Use instead
```rolecall
scope session {
    role host "Host"
    role cohost "Co-host"
    action start "Start"
    action mute "Mute"
    allow host to start, mute
    allow cohost to mute
}
```
"#;

impl Rule for IdenticalRoles {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (s, scope) in cx.policy.scopes.values().enumerate() {
            if scope.actions.is_empty() {
                continue;
            }
            let plain = |r: usize| {
                let f = cx.role_facts(s, r);
                !f.grants_nothing && !f.adds_nothing
            };
            // Roles are compared only with earlier roles of the same column
            // signature: comparing every pair took 18 s for 12,000 roles.
            let mut by_signature: HashMap<u64, Vec<usize>> = HashMap::new();
            for (b, (b_name, b_role)) in scope.roles.iter().enumerate() {
                if !plain(b) {
                    continue;
                }
                let earlier = by_signature
                    .entry(column_signature(cx.table, s, scope.actions.len(), b))
                    .or_default();
                let twin = earlier.iter().copied().find(|&a| {
                    !inherits(cx.table, s, a, b)
                        && !inherits(cx.table, s, b, a)
                        && same_column(cx.table, s, a, b)
                });
                earlier.push(b);
                let Some(a) = twin else { continue };
                let Some((a_name, a_role)) = scope.roles.get_index(a) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &META,
                        &b_role.loc,
                        format!("roles `{a_name}` and `{b_name}` are allowed exactly the same actions"),
                        "same permissions as `".to_string() + a_name + "`",
                        format!(
                            "merge them, make `{b_name}` inherit `{a_name}` and add what differs, or suppress this with the reason they are kept apart"
                        ),
                    )
                    .with_note(&a_role.loc, "declared here"),
                );
            }
        }
    }
}

/// A hash of what a role is allowed, equal for any two roles `same_column`
/// calls the same: per action, the cell's condition as a function (the facts
/// it depends on and its truth table over them), or, past [`MAX_FACTS`]
/// facts, one value for every such condition (`same_column` then decides).
fn column_signature(table: &DecisionTable, scope: usize, actions: usize, role: usize) -> u64 {
    let mut h = DefaultHasher::new();
    for action in 0..actions {
        let cell = table.cell_at(scope, action, role);
        match cell.map(|c| (c.decision, c.conditional)) {
            Some((CellDecision::Conditional, Some(c))) => function_hash(&c.allow_when, &mut h),
            Some((CellDecision::Allow, _)) => function_hash(&Cond::Const(true), &mut h),
            _ => function_hash(&Cond::Const(false), &mut h),
        }
        for c in crate::lint::analysis::target_allow_whens(table, scope, action, role) {
            function_hash(&c, &mut h);
        }
    }
    h.finish()
}

/// Hashes `c` as a boolean function: conditions equivalent over at most
/// [`MAX_FACTS`] facts hash alike, whatever facts they mention in vain.
fn function_hash(c: &Cond, h: &mut DefaultHasher) {
    let mut facts = Vec::new();
    c.facts(&mut facts);
    if facts.len() > MAX_FACTS {
        1u8.hash(h);
        return;
    }
    let rows = 1usize << facts.len();
    let value: Vec<bool> = (0..rows)
        .map(|bits| {
            c.eval(&|f| {
                facts
                    .iter()
                    .position(|x| *x == f)
                    .is_some_and(|i| bits & (1 << i) != 0)
            })
        })
        .collect();
    let at = |bits: usize| value.get(bits).copied().unwrap_or(false);
    // The facts the value depends on, by fact index, each with its bit.
    let mut relevant: Vec<(usize, usize)> = facts
        .iter()
        .enumerate()
        .filter(|&(i, _)| (0..rows).any(|bits| at(bits) != at(bits ^ (1 << i))))
        .map(|(i, &f)| (f, i))
        .collect();
    relevant.sort_unstable();
    0u8.hash(h);
    relevant.len().hash(h);
    for &(f, _) in &relevant {
        f.hash(h);
    }
    for m in 0usize..(1 << relevant.len()) {
        let bits = relevant
            .iter()
            .enumerate()
            .filter(|&(j, _)| m & (1 << j) != 0)
            .fold(0usize, |acc, (_, &(_, i))| acc | (1 << i));
        at(bits).hash(h);
    }
}
