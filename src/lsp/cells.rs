//! The compiled table read back for the editor: which cells each rule
//! decides, and which cells read a condition variable.

use crate::DecisionTable;
use crate::compile::CellDecision;
use crate::resolve::{Rule, Var};

/// One cell, by positions: (scope, action, role).
pub type At = (usize, usize, usize);

/// Every cell of the table, by positions.
pub fn all(table: &DecisionTable) -> impl Iterator<Item = At> + '_ {
    let policy = table.policy();
    policy.scopes.values().enumerate().flat_map(|(s, scope)| {
        (0..scope.actions.len()).flat_map(move |a| (0..scope.roles.len()).map(move |r| (s, a, r)))
    })
}

/// Whether `rule` decides the cell: it is the deciding rule, or one of
/// the candidates of a conditional cell.
pub fn decided_by(table: &DecisionTable, at: At, rule: usize) -> bool {
    let Some(cell) = table.cell_at(at.0, at.1, at.2) else {
        return false;
    };
    if cell.rule.is_some_and(|r| r.index() == rule) {
        return true;
    }
    cell.decision == CellDecision::Conditional
        && cell
            .conditional
            .is_some_and(|c| c.candidates.iter().any(|&(_, r)| r == rule))
}

/// How many cells each rule decides, in rule order.
/// A targeted action's grid cells count too (each acting role on each
/// target and on itself), as the table stores them.
pub fn decided_counts(table: &DecisionTable) -> Vec<usize> {
    let mut counts = vec![0; table.policy().rules.len()];
    for cell in table.every_cell() {
        let mut seen = Vec::new();
        if let Some(r) = cell.rule {
            seen.push(r.index());
        }
        if cell.decision == CellDecision::Conditional
            && let Some(c) = cell.conditional
        {
            seen.extend(c.candidates.iter().map(|&(_, r)| r));
        }
        seen.sort_unstable();
        seen.dedup();
        for r in seen {
            if let Some(n) = counts.get_mut(r) {
                *n += 1;
            }
        }
    }
    counts
}

/// The cells a rule names (its roles × its actions).
pub fn named_by(rule: &Rule) -> impl Iterator<Item = At> + '_ {
    rule.actions
        .iter()
        .flat_map(move |&a| rule.roles.iter().map(move |&r| (rule.scope, a, r)))
}

/// The conditional cells whose outcome reads a variable `wanted` accepts.
pub fn reading(table: &DecisionTable, wanted: impl Fn(Var) -> bool) -> Vec<At> {
    let atoms = &table.policy().atoms;
    all(table)
        .filter(|&at| {
            let Some(cell) = table.cell_at(at.0, at.1, at.2) else {
                return false;
            };
            let Some(c) = cell
                .conditional
                .filter(|_| cell.decision == CellDecision::Conditional)
            else {
                return false;
            };
            let mut read = Vec::new();
            c.allow_when.facts(&mut read);
            read.iter()
                .any(|&i| atoms.get(i).is_some_and(|atom| wanted(atom.var)))
        })
        .collect()
}

/// `scope.action × role` for display.
pub fn describe(table: &DecisionTable, at: At) -> String {
    let policy = table.policy();
    let Some((scope, sc)) = policy.scopes.get_index(at.0) else {
        return String::new();
    };
    format!(
        "`{scope}.{}` × `{}`",
        sc.action_name(at.1),
        sc.role_name(at.2)
    )
}
