//! The outline (document symbols) and folding ranges of the document's own
//! file, from its syntax tree.

use lsp_types::{DocumentSymbol, FoldingRange, FoldingRangeKind, SymbolKind};

use super::text::loc_range;
use crate::source::Loc;
use crate::syntax::ast::{File, Ident, Item, ScopeItem};

#[allow(deprecated)] // `deprecated` is a required field of the type, itself deprecated.
fn symbol(
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    whole: &Loc,
    ident: &Loc,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        name: name.to_string(),
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: loc_range(whole),
        selection_range: loc_range(ident),
        children: (!children.is_empty()).then_some(children),
    }
}

fn leaf(ident: &Ident, what: &str, kind: SymbolKind, whole: &Loc) -> DocumentSymbol {
    symbol(
        &ident.name,
        Some(what.to_string()),
        kind,
        whole,
        &ident.loc,
        Vec::new(),
    )
}

fn scope_items(items: &[ScopeItem]) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for item in items {
        match item {
            ScopeItem::Role(r) => out.push(leaf(&r.name, "role", SymbolKind::CLASS, &r.loc)),
            ScopeItem::Action(a) => out.push(leaf(&a.name, "action", SymbolKind::METHOD, &a.loc)),
            ScopeItem::Group(g) => out.push(leaf(&g.name, "group", SymbolKind::ARRAY, &g.loc)),
            ScopeItem::Section(s) => {
                let children = scope_items(&s.items);
                let name = s
                    .name
                    .as_ref()
                    .map_or(s.label.value.clone(), |n| n.name.clone());
                let ident = s.name.as_ref().map_or(&s.label.loc, |n| &n.loc);
                out.push(symbol(
                    &name,
                    Some("section".into()),
                    SymbolKind::NAMESPACE,
                    &s.loc,
                    ident,
                    children,
                ));
            }
            _ => {}
        }
    }
    out
}

/// The outline of one file.
pub fn symbols(file: &File) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Fact(d) => out.push(leaf(&d.name, "fact", SymbolKind::CONSTANT, &d.loc)),
            Item::Kind(d) => out.push(leaf(&d.name, "kind", SymbolKind::INTERFACE, &d.loc)),
            Item::Setting(s) => {
                let values = s
                    .values
                    .iter()
                    .map(|v| leaf(&v.name, "value", SymbolKind::ENUM_MEMBER, &v.loc))
                    .collect();
                out.push(symbol(
                    &s.name.name,
                    Some("setting".into()),
                    SymbolKind::ENUM,
                    &s.loc,
                    &s.name.loc,
                    values,
                ));
            }
            Item::Scope(s) => out.push(symbol(
                &s.name.name,
                Some("scope".into()),
                SymbolKind::MODULE,
                &s.loc,
                &s.name.loc,
                scope_items(&s.items),
            )),
            _ => {}
        }
    }
    out
}

fn fold(loc: &Loc, kind: Option<FoldingRangeKind>, out: &mut Vec<FoldingRange>) {
    let range = loc_range(loc);
    if range.end.line > range.start.line {
        out.push(FoldingRange {
            start_line: range.start.line,
            start_character: None,
            end_line: range.end.line,
            end_character: None,
            kind,
            collapsed_text: None,
        });
    }
}

fn fold_items(items: &[ScopeItem], out: &mut Vec<FoldingRange>) {
    for item in items {
        match item {
            ScopeItem::Section(s) => {
                fold(&s.loc, None, out);
                fold_items(&s.items, out);
            }
            ScopeItem::Rule(r) => fold(&r.loc, None, out),
            _ => {}
        }
    }
}

/// Folding ranges: blocks, rules over several lines, runs of comment lines.
pub fn folding(file: &File) -> Vec<FoldingRange> {
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Scope(s) => {
                fold(&s.loc, None, &mut out);
                fold_items(&s.items, &mut out);
            }
            Item::Setting(s) => fold(&s.loc, None, &mut out),
            Item::Override(o) => fold(&o.loc, None, &mut out),
            _ => {}
        }
    }
    // Consecutive comment lines fold together.
    let mut run: Option<(Loc, Loc)> = None;
    for c in &file.comments {
        run = match run {
            Some((first, last)) if c.loc.line() == last.line() + 1 => Some((first, c.loc.clone())),
            Some((first, last)) => {
                fold(&first.to(&last), Some(FoldingRangeKind::Comment), &mut out);
                Some((c.loc.clone(), c.loc.clone()))
            }
            None => Some((c.loc.clone(), c.loc.clone())),
        };
    }
    if let Some((first, last)) = run {
        fold(&first.to(&last), Some(FoldingRangeKind::Comment), &mut out);
    }
    out.sort_by_key(|f| (f.start_line, f.end_line));
    out
}
