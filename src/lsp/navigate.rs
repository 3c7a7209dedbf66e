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

/// The symbol a rename at `offset` would change.
pub fn rename_target<'a>(
    index: &'a Index,
    file: &str,
    offset: usize,
) -> Result<&'a Occurrence, RenameError> {
    let at = index.at(file, offset).ok_or(RenameError::NoName)?;
    if index.definition(&at.symbol).is_none() {
        return Err(RenameError::Undeclared(at.symbol.name().to_string()));
    }
    Ok(at)
}

/// The edits renaming the name at `offset` to `new_name` in every file.
pub fn rename(
    index: &Index,
    file: &str,
    offset: usize,
    new_name: &str,
    own_uri: &Uri,
) -> Result<WorkspaceEdit, RenameError> {
    let at = rename_target(index, file, offset)?;
    if !valid_name(new_name) {
        return Err(RenameError::Invalid(new_name.to_string()));
    }
    let clash = |symbol: &Symbol| index.definition(symbol).is_some();
    let renamed = at.symbol.renamed(new_name);
    // An action and a group of one scope share the names a rule may use.
    let sibling = match &at.symbol {
        Symbol::Action(s, n) => Some(Symbol::Group(s.clone(), n.clone())),
        Symbol::Group(s, n) => Some(Symbol::Action(s.clone(), n.clone())),
        _ => None,
    }
    .map(|s| s.renamed(new_name));
    if new_name != at.symbol.name() && (clash(&renamed) || sibling.as_ref().is_some_and(clash)) {
        return Err(RenameError::Clash {
            what: at.symbol.what(),
            name: new_name.to_string(),
        });
    }
    // By URI, so the answer is the same every time.
    let mut changes: BTreeMap<String, (Uri, Vec<OneOf<TextEdit, AnnotatedTextEdit>>)> =
        BTreeMap::new();
    for o in index.references(&at.symbol) {
        if let Some(l) = location(&o.loc, file, own_uri) {
            changes
                .entry(l.uri.as_str().to_string())
                .or_insert_with(|| (l.uri.clone(), Vec::new()))
                .1
                .push(OneOf::Left(TextEdit::new(l.range, new_name.to_string())));
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
