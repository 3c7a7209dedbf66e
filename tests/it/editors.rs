//! The editor files: every grammar an editor reads (the TextMate grammar,
//! the tree-sitter grammar as generated in src/grammar.json, and its
//! highlight queries) knows every keyword of grammar/rolecall.pest; the VS
//! Code manifest names its grammar. editors/tree-sitter-rolecall/test.sh
//! (run by .ci/run) checks that src/ is what grammar.js generates, and
//! runs the parser and the queries on every policy.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path)
}

/// Every word the pest grammar reserves or reads as a keyword: the
/// `keyword` rule's alternatives and each `kw_*` rule's word.
fn grammar_keywords() -> BTreeSet<String> {
    let pest = read("grammar/rolecall.pest");
    let mut words = BTreeSet::new();
    let mut in_keyword = false;
    for line in pest.lines() {
        let line = line.trim();
        if line.starts_with("keyword = ") {
            in_keyword = true;
        }
        if in_keyword
            || line.starts_with("kw_")
            || line.starts_with("effect =")
            || line.starts_with("bool_lit =")
        {
            for (i, part) in line.split('"').enumerate() {
                if i % 2 == 1 && part.chars().all(|c| c.is_ascii_lowercase()) && !part.is_empty() {
                    words.insert(part.to_string());
                }
            }
        }
        if in_keyword && line.ends_with('}') {
            in_keyword = false;
        }
    }
    words.extend(CONTEXTUAL_WORDS.iter().map(|w| w.to_string()));
    words
}

/// Words of the language that the pest grammar reads as names, which the
/// editors still show as words of the language: add one here when the
/// language gains one (`everyone`: language.md §4.20).
const CONTEXTUAL_WORDS: &[&str] = &["everyone"];

/// The words a tree-sitter grammar, as generated (src/grammar.json), has as
/// literal tokens: every `STRING` member that is a word.
fn tree_sitter_words(grammar: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("STRING")
                    && let Some(word) = map.get("value").and_then(Value::as_str)
                    && !word.is_empty()
                    && word.chars().all(|c| c.is_ascii_lowercase())
                {
                    out.insert(word.to_string());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut words = BTreeSet::new();
    walk(&grammar["rules"], &mut words);
    words
}

/// The words a highlight query file names: quoted anonymous nodes
/// (`"allow"`) and predicate arguments (`(#eq? @x "everyone")`), comments
/// left out.
fn query_words(queries: &str) -> BTreeSet<String> {
    queries
        .lines()
        .map(|line| line.split(';').next().unwrap_or(""))
        .flat_map(|line| line.split('"').skip(1).step_by(2))
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
        .map(str::to_string)
        .collect()
}

/// The words the TextMate grammar's `keyword` patterns match.
fn highlighted(grammar: &Value) -> BTreeSet<String> {
    let patterns = grammar["repository"]["keyword"]["patterns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut words = BTreeSet::new();
    for p in patterns {
        let regex = p["match"].as_str().unwrap_or_default();
        let inner = regex.trim_start_matches("\\b(").trim_end_matches(")\\b");
        words.extend(inner.split('|').map(str::to_string));
    }
    words
}

#[test]
fn the_tree_sitter_grammar_and_its_highlights_know_every_keyword_of_the_pest_grammar() {
    let generated: Value =
        serde_json::from_str(&read("editors/tree-sitter-rolecall/src/grammar.json"))
            .expect("src/grammar.json is JSON");
    assert_eq!(generated["name"], "rolecall");
    let keywords = grammar_keywords();
    assert!(
        keywords.len() > 40,
        "the pest grammar's keywords were not found: {keywords:?}"
    );
    let tokens = tree_sitter_words(&generated);
    let unknown: Vec<&String> = keywords
        .iter()
        .filter(|w| !tokens.contains(*w) && !CONTEXTUAL_WORDS.contains(&w.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "keywords the tree-sitter grammar has no token for (edit grammar.js, run tree-sitter generate): {unknown:?}"
    );
    let highlighted = query_words(&read("editors/tree-sitter-rolecall/queries/highlights.scm"));
    let missing: Vec<&String> = keywords.difference(&highlighted).collect();
    assert!(
        missing.is_empty(),
        "keywords queries/highlights.scm does not highlight: {missing:?}"
    );
    // And no word the grammar lacks: a query naming one fails to load in every editor.
    let strays: Vec<&String> = highlighted
        .iter()
        .filter(|w| !tokens.contains(*w) && !CONTEXTUAL_WORDS.contains(&w.as_str()))
        .collect();
    assert!(
        strays.is_empty(),
        "highlights.scm names words the grammar lacks: {strays:?}"
    );
}

#[test]
fn the_textmate_grammar_covers_every_keyword_of_the_pest_grammar() {
    let grammar: Value =
        serde_json::from_str(&read("editors/vscode/syntaxes/rolecall.tmLanguage.json"))
            .expect("the TextMate grammar is JSON");
    assert_eq!(grammar["scopeName"], "source.rolecall");
    let keywords = grammar_keywords();
    assert!(
        keywords.len() > 40,
        "the pest grammar's keywords were not found: {keywords:?}"
    );
    let covered = highlighted(&grammar);
    let missing: Vec<&String> = keywords.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "keywords the TextMate grammar does not highlight: {missing:?}"
    );
    // Every pattern refers to a repository entry that exists.
    for p in grammar["patterns"].as_array().into_iter().flatten() {
        let name = p["include"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('#');
        assert!(grammar["repository"].get(name).is_some(), "{name}");
    }
}

#[test]
fn the_vscode_manifest_names_the_grammar_and_the_language_configuration() {
    let manifest: Value =
        serde_json::from_str(&read("editors/vscode/package.json")).expect("package.json is JSON");
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.rolecall");
    let path = grammar["path"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("./");
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("editors/vscode")
            .join(path)
            .is_file()
    );
    let configuration = manifest["contributes"]["languages"][0]["configuration"]
        .as_str()
        .unwrap_or_default();
    let configuration = read(&format!(
        "editors/vscode/{}",
        configuration.trim_start_matches("./")
    ));
    let configuration: Value =
        serde_json::from_str(&configuration).expect("language configuration is JSON");
    assert_eq!(configuration["comments"]["lineComment"], "#");
    assert_eq!(manifest["main"], "./extension.js");
}
