//! Code lenses and inlay hints: at each rule, how many cells it decides
//! (one count, `cells::decided_counts`, for both).

use lsp_types::{CodeLens, Command, InlayHint, InlayHintLabel, Range};

use super::cells::decided_counts;
use super::text::{loc_range, position_in};
use super::workspace::Analysis;
use crate::source::Loc;

/// Each rule of the document's own file, with how many cells it decides.
fn rules_of(analysis: &Analysis) -> Vec<(&Loc, usize)> {
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
        .map(|(rule, n)| (&rule.loc, n))
        .collect()
}

/// "decides N cells", the lens's and the hover's words.
pub(super) fn title(n: usize) -> String {
    match n {
        0 => "decides no cell".to_string(),
        1 => "decides 1 cell".to_string(),
        n => format!("decides {n} cells"),
    }
}

/// A lens per rule of the document's own file, above it.
pub fn lenses(analysis: &Analysis) -> Vec<CodeLens> {
    rules_of(analysis)
        .into_iter()
        .map(|(loc, n)| {
            let mut range = loc_range(loc);
            range.end = range.start;
            CodeLens {
                range,
                // No command to run: the title is the information.
                command: Some(Command::new(title(n), String::new(), None)),
                data: None,
            }
        })
        .collect()
}

/// A hint at the end of each rule that ends in `range`: "decides N cells".
pub fn inlay_hints(analysis: &Analysis, range: Range) -> Vec<InlayHint> {
    rules_of(analysis)
        .into_iter()
        .filter_map(|(loc, n)| {
            let position = position_in(&loc.src, loc.end);
            (range.start <= position && position <= range.end).then(|| InlayHint {
                position,
                label: InlayHintLabel::String(title(n)),
                kind: None,
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
        })
        .collect()
}
