//! Renderers of a decision table: terminal grid, Markdown, CSV, JSON, HTML;
//! and of the role graph (DOT, Mermaid).
//!
//! Renderers read the compiled table only; every output follows declaration order.

mod csv;
mod graph;
mod html;
mod json;
mod markdown;
mod text;

pub use csv::to_csv;
pub use graph::{GraphFormat, render_graph, to_dot, to_mermaid};
pub use html::{escape_html, to_html};
pub use json::to_json;
pub use markdown::{code_span, code_span_in_table, escape_markdown, to_markdown};
pub use text::to_text;

use crate::compile::{CellDecision, DecisionTable};

/// Output formats of `rolecall table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A grid for a terminal.
    Text,
    /// Markdown tables with the source's labels.
    Markdown,
    /// `scope,action,role,decision,condition,target`
    Csv,
    /// The whole table as JSON.
    Json,
    /// One self-contained HTML page.
    Html,
}

/// Renders `table`, restricted to one scope when `scope` is given.
///
/// ```
/// use rolecall::render::{Format, render};
/// let table = rolecall::compile_str("p.policy", "scope session {\n role viewer\n action chat\n allow viewer to chat\n}\n").unwrap();
/// let csv = render(&table, Format::Csv, table.scope_id("session"), false);
/// assert!(csv.lines().any(|l| l.starts_with("session,chat,viewer,allow")), "{csv}");
/// ```
pub fn render(
    table: &DecisionTable,
    format: Format,
    scope: Option<crate::compile::ScopeId>,
    color: bool,
) -> String {
    match format {
        Format::Text => to_text(table, scope, color),
        Format::Markdown => to_markdown(table, scope),
        Format::Csv => to_csv(table, scope),
        Format::Json => to_json(table, scope),
        Format::Html => to_html(table, scope),
    }
}

/// Scope indexes to render.
pub(crate) fn scopes(table: &DecisionTable, only: Option<usize>) -> Vec<usize> {
    (0..table.policy.scopes.len())
        .filter(|s| only.is_none_or(|o| o == *s))
        .collect()
}

/// (decision, condition) of a targeted action's grid cell.
pub(crate) fn target_cell_summary(
    table: &DecisionTable,
    s: usize,
    a: usize,
    r: usize,
    target: crate::compile::TargetColumn,
) -> (CellDecision, Option<String>) {
    summary(target.cell(table, s, a, r))
}

/// (decision, condition) of a cell.
pub(crate) fn cell_summary(
    table: &DecisionTable,
    s: usize,
    a: usize,
    r: usize,
) -> (CellDecision, Option<String>) {
    summary(table.cell_at(s, a, r))
}

/// (decision, condition) of a cell; a missing one is a deny.
fn summary(cell: Option<crate::compile::Cell<'_>>) -> (CellDecision, Option<String>) {
    match cell {
        Some(cell) => {
            let condition = (cell.decision == CellDecision::Conditional)
                .then(|| cell.condition().map(str::to_string))
                .flatten();
            (cell.decision, condition)
        }
        None => (CellDecision::Deny, None),
    }
}
