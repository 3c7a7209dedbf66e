//! Tab completion: from a line, the cursor and the session, the words that
//! may come at the cursor. A pure function, so it is tested without a terminal.

use std::path::Path;

use super::Session;
use super::commands::{Arg, COMMANDS};
use super::query::is_word_char;

/// What to put in place of `line[start..cursor]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Byte offset where the word being completed starts.
    pub start: usize,
    /// Replacements for the word, in a stable order, without duplicates.
    pub candidates: Vec<String>,
}

/// Words that may replace the word under the cursor (the part before it).
pub fn complete(line: &str, cursor: usize, session: &Session) -> Completion {
    let before = line.get(..cursor).unwrap_or(line);
    let trimmed = before.trim_start();
    if let Some(command) = trimmed.strip_prefix(':') {
        let offset = before.len() - command.len();
        return complete_command(command, offset, session);
    }
    let start = word_start(before);
    let prefix = before.get(start..).unwrap_or("");
    let words = words(before.get(..start).unwrap_or(""));
    let candidates = question_candidates(&words, prefix, session);
    Completion {
        start,
        candidates: filter(candidates, prefix),
    }
}

/// The unique completion's remainder, shown greyed after the cursor.
pub fn hint(line: &str, cursor: usize, session: &Session) -> Option<String> {
    if cursor < line.len() || line.trim().is_empty() {
        return None;
    }
    let completion = complete(line, cursor, session);
    let typed = line.get(completion.start..cursor)?;
    match completion.candidates.as_slice() {
        [only] if only.len() > typed.len() => only.strip_prefix(typed).map(str::to_string),
        _ => None,
    }
}

/// The words of `text`, and `+` and `,` as words of their own; other punctuation dropped.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let mut rest = chunk;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
            if end > 0 {
                out.push(rest.get(..end).unwrap_or(""));
            }
            let after = rest.get(end..).unwrap_or("");
            let mut chars = after.chars();
            match chars.next() {
                Some('+') => out.push("+"),
                Some(',') => out.push(","),
                Some('=') => out.push("="),
                Some(_) | None => {}
            }
            rest = chars.as_str();
        }
    }
    out
}

fn word_start(before: &str) -> usize {
    before
        .char_indices()
        .rev()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn filter(candidates: Vec<String>, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in candidates {
        if c.starts_with(prefix) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Completion after `:`: the command name, then its argument.
fn complete_command(command: &str, offset: usize, session: &Session) -> Completion {
    let Some(space) = command.find(char::is_whitespace) else {
        let names = COMMANDS.iter().map(|c| c.name.to_string()).collect();
        return Completion {
            start: offset,
            candidates: filter(names, command),
        };
    };
    let name = command.get(..space).unwrap_or("");
    let rest = command.get(space..).unwrap_or("");
    let rest_offset = offset + space;
    let Some(arg) = COMMANDS.iter().find(|c| c.name == name).map(|c| c.arg) else {
        return Completion::default();
    };
    match arg {
        Arg::File => {
            let typed = rest.trim_start();
            Completion {
                start: rest_offset + (rest.len() - typed.len()),
                candidates: paths(typed),
            }
        }
        Arg::Question => {
            let inner = complete_question(rest, session);
            Completion {
                start: rest_offset + inner.start,
                candidates: inner.candidates,
            }
        }
        _ => {
            let start = word_start(rest);
            let prefix = rest.get(start..).unwrap_or("");
            let previous: Vec<&str> = rest.get(..start).unwrap_or("").split_whitespace().collect();
            let candidates = if previous.last() == Some(&"in") {
                policy_names(session)
            } else {
                match arg {
                    Arg::Scope => scopes(session),
                    Arg::Action => names_at(session, prefix, false, true),
                    Arg::Role => names_at(session, prefix, true, false),
                    Arg::Fact => facts(session),
                    Arg::FactValue => facts(session)
                        .into_iter()
                        .flat_map(|f| [format!("{f}=true"), format!("{f}=false")])
                        .collect(),
                    Arg::Policy => policy_names(session),
                    Arg::Nothing | Arg::File | Arg::Question => Vec::new(),
                }
            };
            Completion {
                start: rest_offset + start,
                candidates: filter(candidates, prefix),
            }
        }
    }
}

fn complete_question(text: &str, session: &Session) -> Completion {
    let start = word_start(text);
    let prefix = text.get(start..).unwrap_or("");
    let words = words(text.get(..start).unwrap_or(""));
    let mut candidates = question_candidates(&words, prefix, session);
    if words.is_empty() {
        // `:explain moderator …` reads as `:explain can moderator …`.
        candidates.extend(names(session, true, true));
    }
    Completion {
        start,
        candidates: filter(candidates, prefix),
    }
}

/// Candidates for the next word of a question, given the words before it.
fn question_candidates(words: &[&str], prefix: &str, session: &Session) -> Vec<String> {
    let words: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !matches!(*w, "a" | "an"))
        .collect();
    let Some(&last) = words.last() else {
        return ["can", "as", "who", "what", "why"]
            .map(String::from)
            .to_vec();
    };
    let first = words.first().copied().unwrap_or("");
    let in_facts = words.iter().any(|w| matches!(*w, "with" | "without"));
    match last {
        "as" => return kinds(session),
        "in" => return policy_names(session),
        "=" | "is" if in_facts => {
            let setting = words.len().checked_sub(2).and_then(|i| words.get(i));
            return setting.map_or_else(Vec::new, |s| setting_values(session, s));
        }
        "with" | "without" | "not" => {
            let mut c = facts(session);
            if last != "not" {
                c.insert(0, "not".to_string());
                c.extend(settings(session));
            }
            return c;
        }
        "and" | "," if in_facts => {
            let mut c = facts(session);
            c.insert(0, "not".to_string());
            c.extend(settings(session));
            return c;
        }
        _ => {}
    }
    if in_facts {
        return vec!["and".to_string(), ",".to_string(), "in".to_string()];
    }
    match (first, words.get(1).copied(), words.len()) {
        ("who", _, 1) | ("what", _, 1) => return vec!["can".to_string()],
        ("who", Some("can"), 2) => return names_at(session, prefix, false, true),
        ("what", Some("can"), 2) => return names_at(session, prefix, true, false),
        ("what", Some("can"), 3) => return vec!["do".to_string()],
        ("why" | "explain", _, 1) => return vec!["can".to_string(), "as".to_string()],
        _ => {}
    }
    if let Some(can) = words.iter().position(|w| *w == "can") {
        // Names after `can`: roles joined by `+` or `and`, then the action.
        let mut previous_is_name = false;
        let mut action_given = false;
        for w in words.iter().skip(can + 1) {
            if matches!(*w, "+" | "and") {
                previous_is_name = false;
            } else {
                action_given |= previous_is_name;
                previous_is_name = true;
            }
        }
        let keywords = ["with", "without", "in"].map(String::from);
        if action_given {
            return keywords.to_vec();
        }
        let mut c = names_at(session, prefix, true, true);
        if previous_is_name {
            // `can ACTION with …` or `can ROLE ACTION`.
            c.extend(keywords);
        }
        return c;
    }
    if words.contains(&"as") {
        return vec!["can".to_string()];
    }
    Vec::new()
}

/// Role and/or action names: `scope.` prefixes and bare names, or, once a
/// scope is typed (`session.mo`), that scope's names, qualified.
fn names_at(session: &Session, prefix: &str, roles: bool, actions: bool) -> Vec<String> {
    if let Some((scope, _)) = prefix.split_once(['.', ':']) {
        let sep = if prefix.contains(':') { ':' } else { '.' };
        let mut out = Vec::new();
        for p in session.policies_current_first() {
            if let Some(s) = p.table.policy.scopes.get(scope) {
                if roles {
                    out.extend(s.roles.keys().map(|r| format!("{scope}{sep}{r}")));
                }
                if actions {
                    out.extend(s.actions.keys().map(|a| format!("{scope}{sep}{a}")));
                }
            }
        }
        return out;
    }
    let mut out: Vec<String> = scopes(session).into_iter().map(|s| s + ".").collect();
    out.extend(names(session, roles, actions));
    out
}

fn names(session: &Session, roles: bool, actions: bool) -> Vec<String> {
    let mut out = Vec::new();
    for p in session.policies_current_first() {
        for s in p.table.policy.scopes.values() {
            if roles {
                out.extend(s.roles.keys().cloned());
            }
            if actions {
                out.extend(s.actions.keys().cloned());
            }
        }
    }
    out
}

fn scopes(session: &Session) -> Vec<String> {
    session
        .policies_current_first()
        .flat_map(|p| p.table.policy.scopes.keys().cloned())
        .collect()
}

fn facts(session: &Session) -> Vec<String> {
    session
        .policies_current_first()
        .flat_map(|p| p.table.policy.facts.keys().cloned())
        .collect()
}

/// Setting names, written `name=` so the value completes next.
fn settings(session: &Session) -> Vec<String> {
    session
        .policies_current_first()
        .flat_map(|p| p.table.policy.settings.keys().map(|s| format!("{s}=")))
        .collect()
}

/// The values of setting `name`, in the first loaded policy declaring it.
fn setting_values(session: &Session, name: &str) -> Vec<String> {
    session
        .policies_current_first()
        .find_map(|p| p.table.policy.settings.get(name))
        .map(|s| s.values.keys().cloned().collect())
        .unwrap_or_default()
}

fn kinds(session: &Session) -> Vec<String> {
    session
        .policies_current_first()
        .flat_map(|p| p.table.policy.kinds.keys().cloned())
        .collect()
}

fn policy_names(session: &Session) -> Vec<String> {
    session.policies().iter().map(|p| p.name.clone()).collect()
}

/// Files and directories starting with `typed`, directories ending in `/`.
fn paths(typed: &str) -> Vec<String> {
    let (dir, stem) = match typed.rfind('/') {
        Some(i) => (
            typed.get(..=i).unwrap_or(""),
            typed.get(i + 1..).unwrap_or(""),
        ),
        None => ("", typed),
    };
    let read_from = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(Path::new(read_from)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(stem) || (name.starts_with('.') && !stem.starts_with('.')) {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            // `:load` takes policy files: offer those and the folders that may hold them.
            if !is_dir && !name.ends_with(".policy") {
                return None;
            }
            Some(format!("{dir}{name}{}", if is_dir { "/" } else { "" }))
        })
        .collect();
    out.sort();
    out
}
