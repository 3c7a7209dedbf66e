//! Markdown: the source's layout: labels, sections as row groups, ✅/❌.

use std::fmt::Write as _;

use super::{cell_summary, scopes, target_cell_summary};
use crate::compile::TargetColumn;
use crate::compile::{CellDecision, DecisionTable};
use crate::resolve::Cond;

/// The table as Markdown, one table per scope, with labels where declared.
pub fn to_markdown(table: &DecisionTable, only: Option<crate::compile::ScopeId>) -> String {
    let only = only.map(crate::compile::ScopeId::index);
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
        let _ = writeln!(
            out,
            "### {} ({})\n",
            escape_markdown(&title),
            code_span(scope_name)
        );
        let mut header = String::from("| Action |");
        let mut rule = String::from("|---|");
        for (name, role) in &scope.roles {
            let _ = write!(
                header,
                " {} |",
                escape_markdown(role.label.as_deref().unwrap_or(name))
            );
            rule.push_str(":---:|");
        }
        let _ = writeln!(out, "{header}\n{rule}");
        let mut section = None;
        for (a, (name, action)) in scope.actions.iter().enumerate() {
            if action.section != section {
                section = action.section;
                if let Some(heading) = action.section.and_then(|i| scope.sections.get(i)) {
                    let _ = write!(out, "| **{}** |", escape_markdown(heading));
                    out.push_str(&" |".repeat(scope.roles.len()));
                    out.push('\n');
                }
            }
            let _ = write!(
                out,
                "| {} |",
                escape_markdown(action.label.as_deref().unwrap_or(name))
            );
            for r in 0..scope.roles.len() {
                let (decision, _) = cell_summary(table, s, a, r);
                let mark = match decision {
                    CellDecision::Allow => "✅".to_string(),
                    CellDecision::Deny => "❌".to_string(),
                    CellDecision::Conditional => {
                        let cell = table.cell_at(s, a, r);
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
                        format!("✅ ({})", escape_markdown(&shown))
                    }
                };
                let _ = write!(out, " {mark} |");
            }
            out.push('\n');
        }
        for (a, (name, action)) in scope.actions.iter().enumerate() {
            if !action.targeted {
                continue;
            }
            let _ = writeln!(
                out,
                "\n**{}** ({}): acting role × target\n",
                escape_markdown(action.label.as_deref().unwrap_or(name)),
                code_span(name)
            );
            let columns: Vec<TargetColumn> = TargetColumn::all(scope.roles.len()).collect();
            let mut header = String::from("| Role |");
            let mut rule = String::from("|---|");
            for column in &columns {
                let shown = match column {
                    TargetColumn::Role(t) => scope
                        .roles
                        .get_index(*t)
                        .map(|(n, role)| role.label.clone().unwrap_or_else(|| n.clone()))
                        .unwrap_or_default(),
                    TargetColumn::Myself => "self".to_string(),
                };
                let _ = write!(header, " {} |", escape_markdown(&shown));
                rule.push_str(":---:|");
            }
            let _ = writeln!(out, "{header}\n{rule}");
            for (r, (role_name, role)) in scope.roles.iter().enumerate() {
                let _ = write!(
                    out,
                    "| {} |",
                    escape_markdown(role.label.as_deref().unwrap_or(role_name))
                );
                for column in &columns {
                    let mark = match target_cell_summary(table, s, a, r, *column) {
                        (CellDecision::Allow, _) => "✅".to_string(),
                        (CellDecision::Deny, _) => "❌".to_string(),
                        (CellDecision::Conditional, c) => {
                            format!("✅ ({})", escape_markdown(&c.unwrap_or_default()))
                        }
                    };
                    let _ = write!(out, " {mark} |");
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Text from a policy (a label, a name, a file name) made inert in Markdown,
/// in a table cell or in running text: nothing in it can start markup, an
/// HTML tag or comment (`<!--` would hide everything below it), an entity, a
/// link, or end a table cell or line. Every Markdown renderer uses it.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // How many digits the text starts with (`1.` or `1)` would start a list).
    let mut leading_digits = 0;
    for (i, c) in text.chars().enumerate() {
        if c.is_ascii_digit() && leading_digits == i {
            leading_digits += 1;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Block markers only count at the start of a line.
            '#' | '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if i > 0 && leading_digits == i => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` as a Markdown code span in running text (a heading, a list):
/// fenced by more backticks than any run inside it, line breaks as spaces.
pub fn code_span(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let (mut longest, mut run) = (0, 0);
    for c in flat.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space inside its fence.
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// [`code_span`] for a table cell: pipes escaped too (in a table, GitHub
/// reads `\|` as a pipe even inside a code span; elsewhere it would show).
pub fn code_span_in_table(text: &str) -> String {
    code_span(text).replace('|', "\\|")
}
