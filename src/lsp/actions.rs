//! Code actions: "did you mean" for unknown names (the resolver's own
//! suggestion), and lint's quick fixes: remove a redundant rule, add a
//! missing label, suppress a finding with the suppression comment.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit,
};

use super::index::Index;
use super::text::{loc_range, position_in};
use super::workspace::Analysis;
use crate::source::Loc;

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

// lsp-types' `WorkspaceEdit::changes` is keyed by `Uri`, which clippy thinks
// mutable (a cell inside fluent-uri); nothing mutates it here.
#[allow(clippy::mutable_key_type)]
fn action(title: String, uri: &Uri, edits: Vec<TextEdit>, preferred: bool) -> CodeActionOrCommand {
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), edits);
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        edit: Some(WorkspaceEdit::new(changes)),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    })
}

/// The one name a help suggests: "did you mean `x`?".
fn suggested(help: &str) -> Option<&str> {
    let rest = help.split("did you mean `").nth(1)?;
    rest.split('`').next()
}

/// `chat_enabled` as a label: "Chat enabled".
fn label_of(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.trim().chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The whole lines of `loc`, with the line break after them.
fn whole_lines(loc: &Loc) -> Range {
    let text = loc.src.text();
    let start = text
        .get(..loc.start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = text
        .get(loc.end..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| loc.end + i + 1);
    Range::new(position_in(&loc.src, start), position_in(&loc.src, end))
}

/// The quick fixes for the document's own problems within `range`.
pub fn actions(
    analysis: &Analysis,
    index: &Index,
    uri: &Uri,
    range: Range,
) -> Vec<CodeActionOrCommand> {
    let mine = |loc: &Loc| loc.src.name() == analysis.name;
    let mut out = Vec::new();
    for d in &analysis.errors {
        let (Some(loc), Some(help)) = (d.primary(), d.help.as_deref()) else {
            continue;
        };
        if !mine(loc) || !overlaps(loc_range(loc), range) {
            continue;
        }
        if let Some(name) = suggested(help) {
            // The name only: a qualified reference keeps its scope.
            let at = index.at(&analysis.name, loc.start).map_or(loc, |o| &o.loc);
            out.push(action(
                format!("Change to `{name}`"),
                uri,
                vec![TextEdit::new(loc_range(at), name.to_string())],
                true,
            ));
        }
    }
    let rules = analysis.table.as_ref().map(|t| &t.policy().rules);
    for f in &analysis.findings {
        if !mine(&f.loc) || !overlaps(loc_range(&f.loc), range) {
            continue;
        }
        let id = f.rule.id;
        // The finding is the whole rule's, or (`redundant-allow`, found per
        // role and action) it is in a rule of one role and one action.
        let is_rule = rules.is_some_and(|rules| {
            rules.iter().any(|r| {
                mine(&r.loc)
                    && ((r.loc.start == f.loc.start && r.loc.end == f.loc.end)
                        || (id == "redundant-allow"
                            && r.loc.start <= f.loc.start
                            && f.loc.end <= r.loc.end
                            && r.roles.len() == 1
                            && r.actions.len() == 1))
            })
        });
        if is_rule
            && matches!(
                id,
                "redundant-allow" | "shadowed-rule" | "deny-overrides-nothing"
            )
        {
            out.push(action(
                "Remove this rule".to_string(),
                uri,
                vec![TextEdit::new(whole_lines(&f.loc), String::new())],
                true,
            ));
        }
        if id == "missing-label"
            && let Some(decl) = index.all.iter().find(|o| {
                o.def && mine(&o.loc) && f.loc.start <= o.loc.start && o.loc.end <= f.loc.end
            })
        {
            let at = position_in(&decl.loc.src, decl.loc.end);
            out.push(action(
                format!("Add the label \"{}\"", label_of(decl.symbol.name())),
                uri,
                vec![TextEdit::new(
                    Range::new(at, at),
                    format!(" \"{}\"", label_of(decl.symbol.name())),
                )],
                true,
            ));
        }
        if !matches!(id, "invalid-suppression" | "unused-suppression") {
            let line = whole_lines(&f.loc).start;
            let text = f.loc.src.text();
            let line_start = text
                .get(..f.loc.start)
                .and_then(|t| t.rfind('\n'))
                .map_or(0, |i| i + 1);
            let indent: String = text
                .get(line_start..)
                .unwrap_or("")
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            out.push(action(
                format!("Suppress `{id}` here"),
                uri,
                vec![TextEdit::new(
                    Range::new(line, line),
                    format!("{indent}# rolecall: allow({id}) because TODO: say why\n"),
                )],
                false,
            ));
        }
    }
    out
}
