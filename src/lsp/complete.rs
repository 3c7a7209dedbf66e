//! Completion in context, from the words before the cursor (the text may
//! not parse while it is typed) and the names of the last parse.

use lsp_types::{CompletionItem, CompletionItemKind};

use super::index::{Index, Symbol};

/// Keywords that start a top-level declaration.
const TOP: &[&str] = &[
    "policy", "source", "note", "include", "fact", "kind", "setting", "scope",
];
/// Keywords that start a declaration in a scope.
const IN_SCOPE: &[&str] = &[
    "role",
    "action",
    "section",
    "group",
    "allow",
    "deny",
    "forbid",
    "default",
    "assignable",
    "limit",
    "advise",
    "note",
];
/// Words that may start a condition's operand.
const IN_CONDITION: &[&str] = &["not", "true", "false", "kind"];

/// A word, or one character of punctuation, before the cursor.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '#' {
            rest = rest
                .find('\n')
                .map_or("", |nl| rest.get(nl..).unwrap_or(""));
        } else if c == '"' {
            let end = rest
                .get(1..)
                .and_then(|r| r.find(['"', '\n']))
                .map_or(rest.len(), |i| i + 2);
            rest = rest.get(end.min(rest.len())..).unwrap_or("");
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            out.push(rest.get(..end).unwrap_or(""));
            rest = rest.get(end..).unwrap_or("");
        } else if c.is_whitespace() {
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        } else {
            out.push(rest.get(..c.len_utf8()).unwrap_or(""));
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
    }
    out
}

/// The scope the cursor is in, by the braces before it.
fn current_scope(words: &[&str]) -> Option<String> {
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut pending = None;
    for (i, w) in words.iter().enumerate() {
        match *w {
            "scope" => pending = words.get(i + 1).map(|s| s.to_string()),
            "{" => stack.push(pending.take()),
            "}" => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.into_iter().flatten().next()
}

fn items(
    names: impl IntoIterator<Item = String>,
    kind: CompletionItemKind,
    detail: &str,
) -> Vec<CompletionItem> {
    names
        .into_iter()
        .map(|label| CompletionItem {
            label,
            kind: Some(kind),
            detail: Some(detail.to_string()),
            ..CompletionItem::default()
        })
        .collect()
}

fn declared(index: &Index, pick: impl Fn(&Symbol) -> Option<String>) -> Vec<String> {
    let mut names: Vec<String> = index.declared().keys().filter_map(|s| pick(s)).collect();
    names.sort();
    names.dedup();
    names
}

/// The completions at the end of `before` (the text up to the cursor).
pub fn complete(before: &str, index: &Index) -> Vec<CompletionItem> {
    let mut words = words(before);
    // The word being typed is not context.
    if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        words.pop();
    }
    let scope = current_scope(&words);
    let in_scope = |s: &str| scope.as_deref() == Some(s);
    let roles = |index: &Index| {
        declared(index, |s| match s {
            Symbol::Role(sc, r) if in_scope(sc) => Some(r.clone()),
            _ => None,
        })
    };
    let kinds = |index: &Index| {
        items(
            declared(index, |s| {
                matches!(s, Symbol::Kind(_)).then(|| s.name().to_string())
            }),
            CompletionItemKind::CLASS,
            "kind",
        )
    };
    // The word that governs a list: skip the names and commas of it.
    let mut back = words.iter().rev().copied().skip_while(|w| {
        *w == ","
            || (w
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && !matches!(
                    *w,
                    "allow"
                        | "deny"
                        | "forbid"
                        | "to"
                        | "when"
                        | "and"
                        | "or"
                        | "not"
                        | "is"
                        | "joins"
                        | "as"
                        | "default"
                        | "assignable"
                        | "limit"
                        | "role"
                        | "kind"
                        | "on"
                ))
    });
    let governing = back.next();
    let previous = words.last().copied();
    // `on others at or …`: only `below` goes on.
    if previous == Some("or") && words.iter().rev().nth(1) == Some(&"at") {
        return items(
            ["below".to_string()],
            CompletionItemKind::KEYWORD,
            "target rank",
        );
    }
    match governing {
        // `action NAME "Label" on`: the one word there.
        Some("on") if back.nth(1) == Some("action") => items(
            ["participant".to_string()],
            CompletionItemKind::KEYWORD,
            "a targeted action",
        ),
        // A rule's targets (docs/language.md 4.21): roles of the scope, `everyone`, the ranks.
        Some("on") => {
            let mut out = Vec::new();
            if previous == Some("on") {
                out.extend(items(
                    ["self", "others"].map(String::from),
                    CompletionItemKind::KEYWORD,
                    "target: the principal or not",
                ));
            }
            out.extend(items(
                roles(index),
                CompletionItemKind::VARIABLE,
                "target role",
            ));
            out.extend(items(
                ["everyone", "below", "at", "above"].map(String::from),
                CompletionItemKind::KEYWORD,
                "target",
            ));
            if previous.is_some_and(|w| w != "on" && w != ",") {
                out.extend(items(
                    ["exactly", "when"].map(String::from),
                    CompletionItemKind::KEYWORD,
                    "keyword",
                ));
            }
            out
        }
        Some("allow" | "deny" | "forbid") => {
            let mut out = items(roles(index), CompletionItemKind::VARIABLE, "role");
            out.extend(items(
                ["everyone".to_string()],
                CompletionItemKind::KEYWORD,
                "every principal",
            ));
            out
        }
        // `role R : …` (parents), `default KIND: …`, `assignable KIND: …`.
        Some(":") => {
            let colon = words.iter().rposition(|w| *w == ":").unwrap_or(0);
            let before = |n: usize| colon.checked_sub(n).and_then(|i| words.get(i)).copied();
            let declaring = before(2) == Some("role");
            let mut out = items(
                roles(index)
                    .into_iter()
                    // A role is not its own parent.
                    .filter(|r| !(declaring && before(1) == Some(r.as_str()))),
                CompletionItemKind::VARIABLE,
                if declaring { "parent role" } else { "role" },
            );
            // `none` alone, never in a list.
            if previous == Some(":") && matches!(before(2), Some("default" | "assignable")) {
                out.extend(items(
                    ["none".to_string()],
                    CompletionItemKind::KEYWORD,
                    "no role",
                ));
            }
            out
        }
        Some("limit") => items(roles(index), CompletionItemKind::VARIABLE, "role"),
        Some("to") | Some("=") => {
            let mut out = items(
                declared(index, |s| match s {
                    Symbol::Action(sc, a) if in_scope(sc) => Some(a.clone()),
                    _ => None,
                }),
                CompletionItemKind::FUNCTION,
                "action",
            );
            out.extend(items(
                declared(index, |s| match s {
                    Symbol::Group(sc, g) if in_scope(sc) => Some(g.clone()),
                    _ => None,
                }),
                CompletionItemKind::MODULE,
                "group",
            ));
            out
        }
        Some("is") => {
            let subject = back.next();
            if subject == Some("kind") {
                return kinds(index);
            }
            items(
                declared(index, |s| match s {
                    Symbol::Value(setting, v) if Some(setting.as_str()) == subject => {
                        Some(v.clone())
                    }
                    _ => None,
                }),
                CompletionItemKind::ENUM_MEMBER,
                "value",
            )
        }
        Some("when" | "and" | "or" | "not" | "(") => {
            let mut out = items(
                declared(index, |s| {
                    matches!(s, Symbol::Fact(_)).then(|| s.name().to_string())
                }),
                CompletionItemKind::CONSTANT,
                "fact",
            );
            out.extend(items(
                declared(index, |s| {
                    matches!(s, Symbol::Setting(_)).then(|| s.name().to_string())
                }),
                CompletionItemKind::ENUM,
                "setting",
            ));
            out.extend(items(
                IN_CONDITION.iter().map(|s| s.to_string()),
                CompletionItemKind::KEYWORD,
                "keyword",
            ));
            out
        }
        Some("default" | "assignable") => {
            let mut out = kinds(index);
            out.extend(items(roles(index), CompletionItemKind::VARIABLE, "role"));
            out.extend(items(
                ["none".to_string()],
                CompletionItemKind::KEYWORD,
                "keyword",
            ));
            out
        }
        Some("joins") => items(
            declared(index, |s| {
                matches!(s, Symbol::Scope(_)).then(|| s.name().to_string())
            }),
            CompletionItemKind::MODULE,
            "scope",
        ),
        Some("as") => {
            let target = words.iter().rev().nth(1).copied().unwrap_or("");
            items(
                declared(index, |s| match s {
                    Symbol::Role(sc, r) if sc == target => Some(r.clone()),
                    _ => None,
                }),
                CompletionItemKind::VARIABLE,
                "role",
            )
        }
        _ if matches!(previous, None | Some("{" | "}"))
            || scope.is_none()
            || governing.is_none() =>
        {
            let keywords = if scope.is_some() { IN_SCOPE } else { TOP };
            items(
                keywords.iter().map(|s| s.to_string()),
                CompletionItemKind::KEYWORD,
                "keyword",
            )
        }
        _ => {
            let keywords = if scope.is_some() { IN_SCOPE } else { TOP };
            let mut out = items(
                ["to", "when", "and", "or"].map(String::from),
                CompletionItemKind::KEYWORD,
                "keyword",
            );
            out.extend(items(
                keywords.iter().map(|s| s.to_string()),
                CompletionItemKind::KEYWORD,
                "keyword",
            ));
            out
        }
    }
}
