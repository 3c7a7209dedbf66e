//! Semantic tokens: every name the index knows, typed by what it names
//! (a scope, a role, an action…), which a TextMate grammar cannot tell
//! (`viewer` after `allow` is a role, after `to` an action).

use lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
};

use super::index::{Index, Symbol};
use super::text::position_in;

/// The token types, in the legend's order (a token's type is its index).
const TYPES: [SemanticTokenType; 7] = [
    SemanticTokenType::NAMESPACE,   // scope
    SemanticTokenType::TYPE,        // role
    SemanticTokenType::FUNCTION,    // action, group
    SemanticTokenType::VARIABLE,    // fact
    SemanticTokenType::ENUM,        // kind
    SemanticTokenType::PROPERTY,    // setting
    SemanticTokenType::ENUM_MEMBER, // setting value
];

/// The one modifier: the name is declared here.
const DECLARATION: u32 = 1;

/// What `initialize` announces.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![SemanticTokenModifier::DECLARATION],
    }
}

fn token_type(symbol: &Symbol) -> u32 {
    match symbol {
        Symbol::Scope(_) => 0,
        Symbol::Role(..) => 1,
        Symbol::Action(..) | Symbol::Group(..) => 2,
        Symbol::Fact(_) => 3,
        Symbol::Kind(_) => 4,
        Symbol::Setting(_) => 5,
        Symbol::Value(..) => 6,
    }
}

/// The tokens of the file named `file`, in text order, each relative to the
/// one before (the protocol's encoding; columns in UTF-16 units).
pub fn tokens(index: &Index, file: &str) -> SemanticTokens {
    let mut names: Vec<_> = index
        .all
        .iter()
        .filter(|o| o.loc.src.name() == file && o.loc.start < o.loc.end)
        .collect();
    names.sort_by_key(|o| (o.loc.start, o.loc.end));
    let mut data = Vec::with_capacity(names.len());
    let (mut line, mut column, mut end) = (0, 0, 0);
    for o in names {
        // One token per place: a name is indexed once, but never overlap.
        if o.loc.start < end {
            continue;
        }
        let start = position_in(&o.loc.src, o.loc.start);
        let stop = position_in(&o.loc.src, o.loc.end);
        // Names are on one line; a token never spans two.
        if stop.line != start.line {
            continue;
        }
        // In offset order positions only grow; a name whose place does not
        // (two loaded files under one name) is left out, never wrapped.
        let Some(delta_line) = start.line.checked_sub(line) else {
            continue;
        };
        let delta_start = if delta_line == 0 {
            match start.character.checked_sub(column) {
                Some(d) => d,
                None => continue,
            }
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: stop.character.saturating_sub(start.character),
            token_type: token_type(&o.symbol),
            token_modifiers_bitset: if o.def { DECLARATION } else { 0 },
        });
        (line, column, end) = (start.line, start.character, o.loc.end);
    }
    SemanticTokens {
        result_id: None,
        data,
    }
}
