//! Go to definition, find references and rename, over the index of every
//! file the document loads.

use std::collections::BTreeMap;

use lsp_types::{
    AnnotatedTextEdit, DocumentChanges, Location, OneOf, OptionalVersionedTextDocumentIdentifier,
    TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use super::diagnostics::file_uri;
use super::index::{Index, Occurrence, Symbol};
use super::text::loc_range;
use super::workspace::Includer;
use crate::source::Loc;

/// Why a rename is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenameError {
    /// No name under the cursor.
    #[error("there is no name to rename here")]
    NoName,
    /// `everyone`, or a name without a declaration.
    #[error("`{0}` is not declared in these files, so it cannot be renamed")]
    Undeclared(String),
    /// Not a name the grammar accepts.
    #[error(
        "`{0}` is not a valid name (a letter or `_`, then letters, digits or `_`, not a keyword)"
    )]
    Invalid(String),
    /// Something of that name is there already.
    #[error("a {what} named `{name}` is already declared")]
    Clash {
        /// What it is.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// Something of that name is declared in a file loaded with the
    /// document by a file that includes it.
    #[error(
        "a {what} named `{name}` is already declared at {file}, loaded with this file by {by}, which includes it"
    )]
    ClashIn {
        /// What it is.
        what: &'static str,
        /// The name.
        name: String,
        /// Where (`file:line`).
        file: String,
        /// The including file.
        by: String,
    },
}

/// Where a location is, as the client names files.
pub fn location(loc: &Loc, own_name: &str, own_uri: &Uri) -> Option<Location> {
    Some(Location::new(
        file_uri(loc.src.name(), own_name, own_uri)?,
        loc_range(loc),
    ))
}

/// The declaration of the name at `offset`.
pub fn definition<'a>(index: &'a Index, file: &str, offset: usize) -> Option<&'a Occurrence> {
    let at = index.at(file, offset)?;
    index.definition(&at.symbol)
}

/// Every occurrence of the name at `offset`.
pub fn references<'a>(
    index: &'a Index,
    file: &str,
    offset: usize,
    with_declaration: bool,
) -> Vec<&'a Occurrence> {
    let Some(at) = index.at(file, offset) else {
        return Vec::new();
    };
    index
        .references(&at.symbol)
        .filter(|o| with_declaration || !o.def)
        .collect()
}

/// The declaration of the name at `offset`, looked for in the document's
/// files, then in those the files that include it load (a name an
/// included file uses and its includer declares).
/// `includers` is called only then (it reads files).
pub fn definition_across(
    index: &Index,
    includers: impl FnOnce() -> Vec<Includer>,
    file: &str,
    offset: usize,
    own_uri: &Uri,
) -> Option<Location> {
    if let Some(def) = definition(index, file, offset) {
        return location(&def.loc, file, own_uri);
    }
    includers().iter().find_map(|inc| {
        let def = definition(&inc.index, &inc.doc_name, offset)?;
        location(&def.loc, &inc.doc_name, own_uri)
    })
}

/// Every occurrence of the name at `offset` in the document's files, then
/// those only the files loaded with it by `includers` hold, once each.
pub fn references_across(
    index: &Index,
    includers: &[Includer],
    file: &str,
    offset: usize,
    with_declaration: bool,
    own_uri: &Uri,
) -> Vec<Location> {
    let mut out: Vec<Location> = references(index, file, offset, with_declaration)
        .into_iter()
        .filter_map(|o| location(&o.loc, file, own_uri))
        .collect();
    for inc in includers {
        for o in references(&inc.index, &inc.doc_name, offset, with_declaration) {
            if let Some(l) = location(&o.loc, &inc.doc_name, own_uri) {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// Whether `name` is one the grammar accepts as a name.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !crate::syntax::is_reserved(name)
        && name != "everyone"
}

/// The symbol a rename at `offset` would change: a name declared in the
/// document's files or in those of a file that includes it.
pub fn rename_target<'a>(
    index: &'a Index,
    includers: &[Includer],
    file: &str,
    offset: usize,
) -> Result<&'a Occurrence, RenameError> {
    let at = index.at(file, offset).ok_or(RenameError::NoName)?;
    let declared = index.definition(&at.symbol).is_some()
        || includers.iter().any(|inc| {
            inc.index
                .at(&inc.doc_name, offset)
                .is_some_and(|o| inc.index.definition(&o.symbol).is_some())
        });
    if !declared {
        return Err(RenameError::Undeclared(at.symbol.name().to_string()));
    }
    Ok(at)
}

/// What renaming `symbol` to `new_name` would clash with in `index`: the
/// declaration of that name (for an action or a group, of either: a rule
/// names both alike).
fn clash<'a>(index: &'a Index, symbol: &Symbol, new_name: &str) -> Option<&'a Occurrence> {
    if new_name == symbol.name() {
        return None;
    }
    let sibling = match symbol {
        Symbol::Action(s, n) => Some(Symbol::Group(s.clone(), n.clone())),
        Symbol::Group(s, n) => Some(Symbol::Action(s.clone(), n.clone())),
        _ => None,
    };
    index.definition(&symbol.renamed(new_name)).or_else(|| {
        sibling
            .map(|s| s.renamed(new_name))
            .and_then(|s| index.definition(&s))
    })
}

/// The edits renaming the name at `offset` to `new_name` in every file the
/// document loads and every file loaded with it by `includers`; refused if
/// the new name is declared already in any of them.
pub fn rename(
    index: &Index,
    includers: &[Includer],
    file: &str,
    offset: usize,
    new_name: &str,
    own_uri: &Uri,
) -> Result<WorkspaceEdit, RenameError> {
    let at = rename_target(index, includers, file, offset)?;
    if !valid_name(new_name) {
        return Err(RenameError::Invalid(new_name.to_string()));
    }
    if clash(index, &at.symbol, new_name).is_some() {
        return Err(RenameError::Clash {
            what: at.symbol.what(),
            name: new_name.to_string(),
        });
    }
    // By URI, so the answer is the same every time; an occurrence seen by
    // several loads (the document's own names) is edited once.
    let mut changes: BTreeMap<String, (Uri, Vec<OneOf<TextEdit, AnnotatedTextEdit>>)> =
        BTreeMap::new();
    let mut add = |uri: Uri, range: lsp_types::Range| {
        let (_, edits) = changes
            .entry(uri.as_str().to_string())
            .or_insert_with(|| (uri.clone(), Vec::new()));
        let edit = OneOf::Left(TextEdit::new(range, new_name.to_string()));
        if !edits.contains(&edit) {
            edits.push(edit);
        }
    };
    for o in index.references(&at.symbol) {
        if let Some(l) = location(&o.loc, file, own_uri) {
            add(l.uri, l.range);
        }
    }
    for inc in includers {
        // The symbol as that load sees it (a name the document uses may be
        // a group declared there).
        let symbol = inc
            .index
            .at(&inc.doc_name, offset)
            .map_or(&at.symbol, |o| &o.symbol);
        if let Some(found) = clash(&inc.index, symbol, new_name) {
            return Err(RenameError::ClashIn {
                what: symbol.what(),
                name: new_name.to_string(),
                file: found.loc.file_line(),
                by: inc.name.clone(),
            });
        }
        for o in inc.index.references(symbol) {
            if let Some(l) = location(&o.loc, &inc.doc_name, own_uri) {
                add(l.uri, l.range);
            }
        }
    }
    let edits = changes
        .into_values()
        .map(|(uri, edits)| TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits,
        })
        .collect();
    Ok(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Edits(edits)),
        ..WorkspaceEdit::default()
    })
}
