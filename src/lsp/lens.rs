//! Code lenses: above each rule, how many cells it decides.

use lsp_types::{CodeLens, Command};

use super::cells::decided_counts;
use super::text::loc_range;
use super::workspace::Analysis;

/// A lens per rule of the document's own file.
pub fn lenses(analysis: &Analysis) -> Vec<CodeLens> {
    let Some(table) = &analysis.table else {
        return Vec::new();
    };
    let counts = decided_counts(table);
    table
        .policy()
        .rules
        .iter()
        .zip(counts)
        .filter(|(rule, _)| rule.loc.src.name() == analysis.name)
        .map(|(rule, n)| {
            let title = match n {
                0 => "decides no cell".to_string(),
                1 => "decides 1 cell".to_string(),
                n => format!("decides {n} cells"),
            };
            let mut range = loc_range(&rule.loc);
            range.end = range.start;
            CodeLens {
                range,
                // No command to run: the title is the information.
                command: Some(Command::new(title, String::new(), None)),
                data: None,
            }
        })
        .collect()
}
