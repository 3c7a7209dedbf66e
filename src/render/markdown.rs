//! Markdown: the source's layout: labels, sections as row groups, ✅/❌.

use std::fmt::Write as _;

use super::{cell_summary, scopes};
use crate::compile::{CellDecision, DecisionTable};
use crate::resolve::Cond;

/// The table as Markdown, one table per scope, with labels where declared.
pub fn to_markdown(table: &DecisionTable, only: Option<usize>) -> String {
    let policy = &table.policy;
    let mut out = String::new();
    for (n, s) in scopes(table, only).into_iter().enumerate() {
        let Some((scope_name, scope)) = policy.scopes.get_index(s) else {
            continue;
        };
        if n > 0 {
            out.push('\n');
        }
        let title = scope.label.clone().unwrap_or_else(|| scope_name.clone());
        let _ = writeln!(out, "### {} (`{scope_name}`)\n", escape(&title));
        let mut header = String::from("| Action |");
        let mut rule = String::from("|---|");
        for (name, role) in &scope.roles {
            let _ = write!(
                header,
                " {} |",
                escape(role.label.as_deref().unwrap_or(name))
            );
            rule.push_str(":---:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        let mut section = None;
        for (a, (name, action)) in scope.actions.iter().enumerate() {
            if action.section != section {
                section = action.section;
                if let Some(heading) = action.section.and_then(|i| scope.sections.get(i)) {
                    let _ = write!(out, "| **{}** |", escape(heading));
                    out.push_str(&" |".repeat(scope.roles.len()));
                    out.push('\n');
                }
            }
            let _ = write!(
                out,
                "| {} |",
                escape(action.label.as_deref().unwrap_or(name))
            );
            for r in 0..scope.roles.len() {
                let (decision, _) = cell_summary(table, s, a, r);
                let mark = match decision {
                    CellDecision::Allow => "✅".to_string(),
                    CellDecision::Deny => "❌".to_string(),
                    CellDecision::Conditional => {
                        let cell = table.cell(s, a, r);
                        let shown = cell
                            .and_then(|c| c.conditional)
                            .map(|c| match &c.allow_when {
                                // A single fact reads best as its label.
                                Cond::Fact(f) => policy
                                    .facts
                                    .get_index(*f)
                                    .and_then(|(_, fact)| fact.label.clone())
                                    .unwrap_or_else(|| c.text.clone()),
                                _ => c.text.clone(),
                            })
                            .unwrap_or_default();
                        format!("✅ ({})", escape(&shown))
                    }
                };
                let _ = write!(out, " {mark} |");
            }
            out.push('\n');
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
