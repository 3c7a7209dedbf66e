//! A readable grid for a terminal.

use std::fmt::Write as _;

use super::{cell_summary, scopes, target_cell_summary};
use crate::compile::TargetColumn;
use crate::compile::{CellDecision, DecisionTable};

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The table as a grid: one row per action, one column per role; ✓ allow,
/// ✗ deny, ? conditional (its condition listed below the grid). `color`
/// adds ANSI colors on top of the symbols, never instead of them.
pub fn to_text(
    table: &DecisionTable,
    only: Option<crate::compile::ScopeId>,
    color: bool,
) -> String {
    let only = only.map(crate::compile::ScopeId::index);
    let mut out = String::new();
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    for (n, s) in scopes(table, only).into_iter().enumerate() {
        let Some((scope_name, scope)) = table.policy.scopes.get_index(s) else {
            continue;
        };
        if n > 0 {
            out.push('\n');
        }
        let title = match &scope.label {
            Some(label) => format!("scope {scope_name} ({})", printable(label)),
            None => format!("scope {scope_name}"),
        };
        let _ = writeln!(out, "{}", paint(BOLD, &title));
        let action_width = scope
            .actions
            .keys()
            .map(|a| a.chars().count() + 2)
            .max()
            .unwrap_or(6)
            .max(6);
        let widths: Vec<usize> = scope
            .roles
            .keys()
            .map(|r| r.chars().count().max(3))
            .collect();
        let mut header = format!("{:action_width$}", "");
        for (role, w) in scope.roles.keys().zip(&widths) {
            let _ = write!(header, "  {role:w$}");
        }
        let _ = writeln!(out, "{}", header.trim_end());
        let mut section = None;
        let mut notes = Vec::new();
        for (a, (action_name, action)) in scope.actions.iter().enumerate() {
            if action.section != section {
                section = action.section;
                if let Some(heading) = action.section.and_then(|i| scope.sections.get(i)) {
                    let _ = writeln!(out, "{}", paint(BOLD, &printable(heading)));
                }
            }
            let mut line = format!("{:action_width$}", format!("  {action_name}"));
            for (r, (role_name, w)) in scope.roles.keys().zip(&widths).enumerate() {
                let (decision, condition) = cell_summary(table, s, a, r);
                let (symbol, code) = mark(decision);
                if let Some(c) = condition {
                    notes.push(format!("  ? {action_name} × {role_name}: allowed when {c}"));
                }
                let pad = w.saturating_sub(1);
                let _ = write!(line, "  {}{:pad$}", paint(code, symbol), "");
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        push_notes(&mut out, notes);
        for (a, (action_name, action)) in scope.actions.iter().enumerate() {
            if !action.targeted {
                continue;
            }
            out.push('\n');
            let title = format!("{action_name} on participant: acting role × target role");
            let _ = writeln!(out, "{}", paint(BOLD, &title));
            let role_width = scope
                .roles
                .keys()
                .map(|r| r.chars().count() + 2)
                .max()
                .unwrap_or(6)
                .max(6);
            let columns: Vec<(TargetColumn, String)> = TargetColumn::all(scope.roles.len())
                .map(|c| (c, c.name(scope)))
                .collect();
            let mut header = format!("{:role_width$}", "");
            for (_, name) in &columns {
                let w = name.chars().count().max(3);
                let _ = write!(header, "  {name:w$}");
            }
            let _ = writeln!(out, "{}", header.trim_end());
            let mut notes = Vec::new();
            for (r, role_name) in scope.roles.keys().enumerate() {
                let mut line = format!("{:role_width$}", format!("  {role_name}"));
                for (column, name) in &columns {
                    let (decision, condition) = target_cell_summary(table, s, a, r, *column);
                    let (symbol, code) = mark(decision);
                    if let Some(c) = condition {
                        notes.push(format!("  ? {role_name} on {name}: allowed when {c}"));
                    }
                    let pad = name.chars().count().max(3).saturating_sub(1);
                    let _ = write!(line, "  {}{:pad$}", paint(code, symbol), "");
                }
                let _ = writeln!(out, "{}", line.trim_end());
            }
            push_notes(&mut out, notes);
        }
    }
    let legend = "✓ allow  ✗ deny  ? conditional";
    let _ = writeln!(out, "\n{legend}");
    out
}

/// The conditions listed below a grid, after a blank line.
fn push_notes(out: &mut String, notes: Vec<String>) {
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            let _ = writeln!(out, "{note}");
        }
    }
}

/// A cell's symbol and color.
fn mark(decision: CellDecision) -> (&'static str, &'static str) {
    match decision {
        CellDecision::Allow => ("✓", GREEN),
        CellDecision::Deny => ("✗", RED),
        CellDecision::Conditional => ("?", YELLOW),
    }
}

/// A label with its control characters written as escapes (`\u{1b}`, `\n`):
/// a label must not move the cursor, recolor or retitle the terminal.
fn printable(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
