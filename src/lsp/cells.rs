//! The compiled table read back for the editor: which cells each rule
//! decides, which it names and does not decide, and which cells read a
//! condition variable. Every cell the table shows counts, a targeted
//! action's grid cells too (`DecisionTable::every_cell_placed`).

use crate::DecisionTable;
use crate::compile::{Cell, CellDecision, CellPlace, TargetColumn};
use crate::resolve::Var;

/// One cell, by positions: (scope, action, acting role) and, for a
/// targeted action's grid, its column.
pub type At = CellPlace;

/// The ordinary cell (scope, action, role).
pub fn plain(scope: usize, action: usize, role: usize) -> At {
    CellPlace {
        scope,
        action,
        role,
        column: None,
    }
}

/// The rules that decide a cell, each once, in rule order: its deciding
/// rule, and every candidate of a conditional cell.
fn deciders(cell: &Cell<'_>) -> Vec<usize> {
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
    seen
}

/// Whether `rule` decides the cell at `at` (as [`decided_counts`] counts).
pub fn decided_by(table: &DecisionTable, at: At, rule: usize) -> bool {
    at.cell(table)
        .is_some_and(|cell| deciders(&cell).contains(&rule))
}

/// The cells `rule` decides, in the table's order: the hover's list, of
/// [`decided_counts`]'s length.
pub fn decided(table: &DecisionTable, rule: usize) -> Vec<At> {
    table
        .every_cell_placed()
        .filter(|(_, cell)| deciders(cell).contains(&rule))
        .map(|(at, _)| at)
        .collect()
}

/// How many cells each rule decides, in rule order (one walk for all).
pub fn decided_counts(table: &DecisionTable) -> Vec<usize> {
    let mut counts = vec![0; table.policy().rules.len()];
    for (_, cell) in table.every_cell_placed() {
        for r in deciders(&cell) {
            if let Some(n) = counts.get_mut(r) {
                *n += 1;
            }
        }
    }
    counts
}

/// The cells a rule names and does not decide: where it is overruled.
pub fn overruled(table: &DecisionTable, rule: usize) -> Vec<At> {
    crate::decision::combine::named_cells(table, rule)
        .into_iter()
        .filter(|&at| !decided_by(table, at, rule))
        .collect()
}

/// The conditional cells whose outcome reads a variable `wanted` accepts.
pub fn reading(table: &DecisionTable, wanted: impl Fn(Var) -> bool) -> Vec<At> {
    let atoms = &table.policy().atoms;
    table
        .every_cell_placed()
        .filter(|(_, cell)| {
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
        .map(|(at, _)| at)
        .collect()
}

/// `scope.action × role` for display, and for a targeted action `on` the
/// target (a role, `self`, or `someone else` for the untargeted reading).
pub fn describe(table: &DecisionTable, at: At) -> String {
    let policy = table.policy();
    let Some((scope, sc)) = policy.scopes.get_index(at.scope) else {
        return String::new();
    };
    let on = match at.column {
        // A targeted action's ordinary cell is its untargeted reading.
        None if sc
            .actions
            .get_index(at.action)
            .is_some_and(|(_, a)| a.targeted) =>
        {
            " on someone else".to_string()
        }
        None => String::new(),
        Some(TargetColumn::Myself) => " on self".to_string(),
        Some(c) => format!(" on `{}`", c.name(sc)),
    };
    format!(
        "`{scope}.{}` × `{}`{on}",
        sc.action_name(at.action),
        sc.role_name(at.role)
    )
}
