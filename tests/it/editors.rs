//! The editor files: the TextMate grammar is valid JSON and highlights
//! every keyword of grammar/rolecall.pest; the VS Code manifest names it.

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
    // A contextual word of the language, not of the grammar (see language.md 4.20).
    words.insert("everyone".to_string());
    words
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
