//! The combination rule, applied to every cell.
//!
//! For a role and an action, the candidate rules are those naming the action
//! and the role or one of its ancestors. A rule's distance is the length of
//! the shortest inheritance path from the role to a role the rule names (0
//! when it names the role itself). Candidates are tried in order of
//! (distance, deny before allow, declaration order); the first whose
//! condition holds decides; when none holds, the action is denied.

use std::collections::HashMap;

use super::table::*;
use crate::resolve::{Cond, Policy, Subject};
use crate::syntax::ast::Effect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    distance: u32,
    effect: Effect,
    rule: u32,
    conditional: bool,
}

impl Candidate {
    fn key(&self) -> (u32, u8, u32) {
        let effect_order = match self.effect {
            Effect::Deny => 0,
            Effect::Allow => 1,
        };
        (self.distance, effect_order, self.rule)
    }
}

pub(super) fn build(policy: Policy) -> DecisionTable {
    let mut layout = Vec::with_capacity(policy.scopes.len());
    let mut base = 0usize;
    for scope in policy.scopes.values() {
        layout.push(ScopeLayout {
            base,
            roles: scope.roles.len(),
            actions: scope.actions.len(),
        });
        base += scope.roles.len() * scope.actions.len();
    }
    let mut cells = vec![TAG_DEFAULT; base];
    let mut conditional = Vec::new();
    let mut shared: HashMap<Vec<(Effect, u32)>, u32> = HashMap::new();

    for (s, scope) in policy.scopes.values().enumerate() {
        let Some(&ScopeLayout {
            base,
            roles,
            actions,
        }) = layout.get(s)
        else {
            continue;
        };
        let order = topological_order(scope.roles.values().map(|r| r.parents.as_slice()));
        // own[action] = (role, rule) pairs written directly.
        let mut own: Vec<Vec<(usize, usize)>> = vec![Vec::new(); actions];
        for (rule_id, rule) in policy.rules.iter().enumerate() {
            if rule.scope != s {
                continue;
            }
            for &a in &rule.actions {
                if let Some(list) = own.get_mut(a) {
                    list.extend(rule.roles.iter().map(|&r| (r, rule_id)));
                }
            }
        }
        let mut lists: Vec<Vec<Candidate>> = vec![Vec::new(); roles];
        for (a, own_rules) in own.iter().enumerate() {
            if own_rules.is_empty() {
                continue; // every cell of the row stays default deny
            }
            for list in &mut lists {
                list.clear();
            }
            for &role in &order {
                let mut list = lists.get_mut(role).map(std::mem::take).unwrap_or_default();
                for &(r, rule_id) in own_rules {
                    if r == role {
                        if let Some(rule) = policy.rules.get(rule_id) {
                            list.push(Candidate {
                                distance: 0,
                                effect: rule.effect,
                                rule: rule_id as u32,
                                conditional: rule.condition.is_some(),
                            });
                        }
                    }
                }
                let parents = scope
                    .roles
                    .get_index(role)
                    .map(|(_, r)| r.parents.as_slice())
                    .unwrap_or_default();
                for &p in parents {
                    if let Some(parent_list) = lists.get(p) {
                        list.extend(parent_list.iter().map(|c| Candidate {
                            distance: c.distance + 1,
                            ..*c
                        }));
                    }
                }
                list.sort_by_key(Candidate::key);
                // Keep each rule once, at its shortest distance (sorted first).
                let mut kept: Vec<u32> = Vec::new();
                list.retain(|c| {
                    if kept.contains(&c.rule) {
                        false
                    } else {
                        kept.push(c.rule);
                        true
                    }
                });
                // Nothing after the first unconditional candidate can ever decide.
                if let Some(first_fixed) = list.iter().position(|c| !c.conditional) {
                    list.truncate(first_fixed + 1);
                }
                let word = match list.as_slice() {
                    [] => TAG_DEFAULT,
                    [only] if !only.conditional => {
                        let tag = match only.effect {
                            Effect::Allow => TAG_ALLOW,
                            Effect::Deny => TAG_DENY,
                        };
                        (tag << TAG_SHIFT) | (only.rule & INDEX_MASK)
                    }
                    _ => {
                        // Cells with the same candidates share one side-table entry:
                        // a conditional rule on a role makes all its descendants'
                        // cells alike, and sharing keeps the table near 4 bytes a cell.
                        let key: Vec<(Effect, u32)> =
                            list.iter().map(|c| (c.effect, c.rule)).collect();
                        let index = *shared.entry(key).or_insert_with(|| {
                            let index = conditional.len() as u32;
                            conditional.push(conditional_cell(&policy, &list));
                            index
                        });
                        (TAG_CONDITIONAL << TAG_SHIFT) | (index & INDEX_MASK)
                    }
                };
                if let Some(cell) = cells.get_mut(base + a * roles + role) {
                    *cell = word;
                }
                if let Some(slot) = lists.get_mut(role) {
                    *slot = list;
                }
            }
        }
    }

    let override_holders = policy
        .overrides
        .iter()
        .map(|o| match o.subject {
            Subject::Role { scope, role } => policy
                .scopes
                .get_index(scope)
                .map(|(_, sc)| {
                    descendants_or_self(sc.roles.values().map(|r| r.parents.as_slice()), role)
                })
                .unwrap_or_default(),
            Subject::Fact(_) => Vec::new(),
        })
        .collect();

    DecisionTable {
        names: super::names::NameIndex::new(&policy),
        policy,
        layout,
        cells: super::cells::Cells::pack(&cells),
        conditional,
        override_holders,
        relevant: std::sync::OnceLock::new(),
    }
}

/// Roles ordered so that every role comes after its parents.
fn topological_order<'a>(parents: impl Iterator<Item = &'a [usize]>) -> Vec<usize> {
    let parents: Vec<&[usize]> = parents.collect();
    let n = parents.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (role, ps) in parents.iter().enumerate() {
        for &p in *ps {
            if let Some(c) = children.get_mut(p) {
                c.push(role);
            }
            if let Some(count) = pending.get_mut(role) {
                *count += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&r| pending.get(r) == Some(&0)).collect();
    let mut i = 0;
    while let Some(&role) = order.get(i) {
        i += 1;
        for &child in children.get(role).map(Vec::as_slice).unwrap_or_default() {
            if let Some(count) = pending.get_mut(child) {
                *count -= 1;
                if *count == 0 {
                    order.push(child);
                }
            }
        }
    }
    order
}

/// For each role, whether it is `target` or inherits it.
fn descendants_or_self<'a>(parents: impl Iterator<Item = &'a [usize]>, target: usize) -> Vec<bool> {
    let parents: Vec<&[usize]> = parents.collect();
    let order = topological_order(parents.iter().copied());
    let mut marked = vec![false; parents.len()];
    for role in order {
        let inherits = role == target
            || parents
                .get(role)
                .is_some_and(|ps| ps.iter().any(|&p| marked.get(p) == Some(&true)));
        if let Some(m) = marked.get_mut(role) {
            *m = inherits;
        }
    }
    marked
}

/// Facts beyond which the outcome is not enumerated to prove it fixed.
const MAX_ENUMERATED_FACTS: usize = 16;

fn conditional_cell(policy: &Policy, list: &[Candidate]) -> ConditionalCell {
    let candidates: Vec<(Effect, usize)> =
        list.iter().map(|c| (c.effect, c.rule as usize)).collect();
    let condition_of = |rule: usize| policy.rules.get(rule).and_then(|r| r.condition.as_ref());
    // Fold from the last candidate: allow_when = c1 ? e1 : (c2 ? e2 : … : deny).
    let mut allow_when = Cond::Const(false);
    for &(effect, rule) in candidates.iter().rev() {
        let holds = condition_of(rule).map_or(Cond::Const(true), |c| c.expr.clone());
        allow_when = match effect {
            Effect::Allow => or(holds, allow_when),
            Effect::Deny => and(not(holds), allow_when),
        };
    }
    let text = match candidates.as_slice() {
        [(Effect::Allow, rule)] => condition_of(*rule).map(|c| c.text.clone()),
        _ => None,
    }
    .unwrap_or_else(|| allow_when.render(&|f| policy.fact_name(f)));
    let fixed = fixed_outcome(&allow_when);
    let truth = TruthTable::of(&allow_when);
    ConditionalCell {
        candidates,
        allow_when,
        text,
        fixed,
        truth,
    }
}

/// The outcome when it is the same for every assignment of the facts read.
fn fixed_outcome(allow_when: &Cond) -> Option<Effect> {
    let mut facts = Vec::new();
    allow_when.facts(&mut facts);
    if facts.len() > MAX_ENUMERATED_FACTS {
        return None;
    }
    let mut seen_allow = false;
    let mut seen_deny = false;
    for bits in 0u64..(1 << facts.len()) {
        if eval_assignment(allow_when, &facts, bits) {
            seen_allow = true;
        } else {
            seen_deny = true;
        }
        if seen_allow && seen_deny {
            return None;
        }
    }
    Some(if seen_allow {
        Effect::Allow
    } else {
        Effect::Deny
    })
}

fn or(a: Cond, b: Cond) -> Cond {
    match (a, b) {
        (Cond::Const(true), _) | (_, Cond::Const(true)) => Cond::Const(true),
        (Cond::Const(false), x) | (x, Cond::Const(false)) => x,
        (Cond::Or(mut xs), Cond::Or(ys)) => {
            xs.extend(ys);
            Cond::Or(xs)
        }
        (x, Cond::Or(mut ys)) => {
            ys.insert(0, x);
            Cond::Or(ys)
        }
        (x, y) => Cond::Or(vec![x, y]),
    }
}

fn and(a: Cond, b: Cond) -> Cond {
    match (a, b) {
        (Cond::Const(false), _) | (_, Cond::Const(false)) => Cond::Const(false),
        (Cond::Const(true), x) | (x, Cond::Const(true)) => x,
        (x, Cond::And(mut ys)) => {
            ys.insert(0, x);
            Cond::And(ys)
        }
        (x, y) => Cond::And(vec![x, y]),
    }
}

fn not(a: Cond) -> Cond {
    match a {
        Cond::Const(b) => Cond::Const(!b),
        Cond::Not(inner) => *inner,
        x => Cond::Not(Box::new(x)),
    }
}
