//! Syntax errors as a person should read them: what was expected, what was
//! found, and, for the mistakes people make, what they meant.

use std::sync::Arc;

use super::parser::{MAX_NESTING, Rule, is_reserved};
use super::recover::{Part, Token, TokenKind};
use crate::diagnostic::{Diagnostic, Level};
use crate::source::{Loc, SourceFile};

/// What surrounds an error, for the messages that need more than pest's.
pub(super) struct Context<'t> {
    /// Every token of the file.
    pub tokens: &'t [Token],
    /// The first word of the declaration the error is in.
    pub decl: Option<&'t str>,
    /// Where that declaration starts (0 when unknown).
    pub decl_start: usize,
    /// Where that declaration stands.
    pub part: Option<Part>,
    /// Whether pest parsed that declaration alone (after an earlier error):
    /// then "end of input" means "a new declaration may start here".
    pub in_segment: bool,
}

/// Words people write for `when`.
const WHEN_LOOKALIKES: &[(&str, &str)] = &[
    ("if", "when"),
    ("where", "when"),
    ("iff", "when"),
    ("unless", "when not"),
];

/// What a person should read for a grammar rule in "expected …".
fn describe(kind: Rule) -> &'static str {
    match kind {
        Rule::ident | Rule::fact_ref => "a name",
        Rule::name_ref | Rule::name_list => "a role or action name",
        Rule::ident_list => "a list of names",
        Rule::string | Rule::label | Rule::string_body => "a quoted string",
        Rule::escape => "an escape (\\\" \\\\ \\n \\t)",
        Rule::integer => "a number",
        Rule::EOI => "end of file",
        Rule::policy_decl | Rule::kw_policy => "`policy`",
        Rule::source_decl | Rule::kw_source => "`source`",
        Rule::source_attr => "`url`, `date` or `lang`",
        Rule::note_decl | Rule::kw_note => "`note`",
        Rule::include_decl | Rule::kw_include => "`include`",
        Rule::fact_decl | Rule::kw_fact => "`fact`",
        Rule::kind_decl | Rule::kw_kind => "`kind`",
        Rule::scope_decl | Rule::kw_scope => "`scope`",
        Rule::role_decl | Rule::kw_role => "`role`",
        Rule::action_decl | Rule::kw_action => "`action`",
        Rule::section_decl | Rule::kw_section => "`section`",
        Rule::rule | Rule::effect => "a rule (`allow`/`deny`/`forbid`)",
        Rule::action_target | Rule::kw_participant => "`on participant`",
        Rule::target_clause | Rule::kw_on => "`on` and the target",
        Rule::target_kind_test | Rule::kw_target => "`target kind is`",
        Rule::target_who | Rule::kw_self | Rule::kw_others => "`self` or `others`",
        Rule::target_list | Rule::target_role => "a target role, `below`, `at or below` or `above`",
        Rule::rank_below | Rule::kw_below => "`below`",
        Rule::rank_at_or_below => "`at or below`",
        Rule::rank_above | Rule::kw_above => "`above`",
        Rule::kw_to => "`to`",
        Rule::when_clause | Rule::kw_when => "`when`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_not | Rule::not_expr => "`not`",
        Rule::condition | Rule::or_expr | Rule::and_expr => "a condition",
        Rule::bool_lit => "`true` or `false`",
        Rule::kw_joins => "`joins`",
        Rule::kw_as => "`as`",
        Rule::default_decl | Rule::kw_default => "`default`",
        Rule::assignable_decl | Rule::kw_assignable => "`assignable`",
        Rule::role_or_none => "a role name or `none`",
        Rule::kw_none => "`none`",
        Rule::limit_decl | Rule::kw_limit => "`limit`",
        Rule::cardinality => {
            "`at most N`, `at least N`, `exactly N`, `between N and M` or `unlimited`"
        }
        Rule::at_most | Rule::at_least | Rule::kw_at => "`at most` or `at least`",
        Rule::kw_most => "`most`",
        Rule::kw_least => "`least`",
        Rule::exactly | Rule::kw_exactly => "`exactly`",
        Rule::between | Rule::kw_between => "`between`",
        Rule::unlimited | Rule::kw_unlimited => "`unlimited`",
        Rule::advise_decl | Rule::kw_advise => "`advise`",
        Rule::kw_per => "`per`",
        Rule::kw_participants => "`participants`",
        Rule::kw_url => "`url`",
        Rule::kw_date => "`date`",
        Rule::kw_lang => "`lang`",
        Rule::override_decl => "an override (`scope.role joins scope as role`)",
        Rule::keyword => "a keyword",
        Rule::file => "a policy",
        Rule::COMMENT | Rule::WHITESPACE => "a comment",
        _ => "a declaration",
    }
}

/// The diagnostic for pest's `error`, found in text starting at `offset` of `src`.
pub(super) fn syntax_error(
    src: &Arc<SourceFile>,
    error: &pest::error::Error<Rule>,
    offset: usize,
    context: &Context<'_>,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match error.location {
        InputLocation::Pos(pos) => (pos + offset, pos + offset),
        InputLocation::Span((start, end)) => (start + offset, end + offset),
    };
    let text = src.text();
    // A declaration parsed alone ends before the whitespace that follows it:
    // what was found is the next token of the file.
    let (start, end) = if context.in_segment && start == end {
        let next = skip_trivia(text, start);
        (next, next)
    } else {
        (start, end)
    };
    // Underline the word found there, so the label is never an empty span.
    let rest_of_text = text.get(start..).unwrap_or("");
    let mut found: String = rest_of_text
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(24)
        .collect();
    if found.is_empty() {
        // An unusual space (no-break, em…) is still something to show.
        if let Some(c) = rest_of_text
            .chars()
            .next()
            .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        {
            found = c.to_string();
        }
    }
    let at_eof = start >= text.len();
    let (start, end) = if at_eof {
        // Nothing to underline at the very end: point at the last character written.
        let trimmed = text.trim_end();
        let last = trimmed.char_indices().last().map_or(0, |(i, _)| i);
        (last, trimmed.len())
    } else if end > start {
        (start, end)
    } else {
        (start, start + found.len().max(1))
    };
    let end = end.min(text.len()).max(start);
    let loc = Loc::new(src, start, end);
    if let ErrorVariant::CustomError { message } = &error.variant {
        // pest's stack guard: it stops before the thread's stack runs out.
        return Diagnostic::new(
            crate::diagnostic::code::SYNTAX_OUT_OF_STACK,
            Level::Error,
            "the parser ran out of stack space here",
            &loc,
            message.as_str(),
        )
        .with_help(format!(
            "this thread's stack is too small for conditions nested {MAX_NESTING} levels deep; \
             rolecall's own threads have room for them, so run it on a larger stack or flatten the condition"
        ));
    }
    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .copied()
            .filter(|r| !matches!(r, Rule::COMMENT | Rule::WHITESPACE))
            .collect(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let at_eoi_of_segment = context.in_segment && positives.contains(&Rule::EOI);
    let keywords = expected_keywords(&positives, context.part.filter(|_| at_eoi_of_segment));
    let meant = closest_keyword(&found, &keywords);
    if meant.is_none() {
        if let Some(special) = special_case(src, start, &found, &positives, context) {
            return special;
        }
    }
    let expected = expected_text(&positives, context);
    let found_text = if at_eof || found.is_empty() {
        "end of file".to_string()
    } else if found.chars().count() == 1 && !found.chars().all(|c| c.is_ascii_graphic()) {
        let c = found.chars().next().unwrap_or(' ');
        format!("`{found}` (U+{:04X})", u32::from(c))
    } else if is_reserved(&found) {
        format!("the keyword `{found}`")
    } else {
        format!("`{found}`")
    };
    if found.starts_with('"') && !at_eof {
        let rest = text.get(start + 1..).unwrap_or("");
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if !rest.get(..line_end).unwrap_or("").contains('"') {
            let loc = Loc::new(src, start, start + 1 + line_end);
            return Diagnostic::new(
                crate::diagnostic::code::SYNTAX_UNTERMINATED_STRING,
                Level::Error,
                "unterminated string",
                &loc,
                "this string has no closing quote on its line",
            )
            .with_help("close the string with `\"`; a string cannot span lines (write \\n for a line break)");
        }
        // A closed string that still fails holds an escape the language lacks.
        let line = rest.get(..line_end).unwrap_or("");
        let mut chars = line.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                break;
            }
            if c != '\\' {
                continue;
            }
            match chars.next() {
                Some((_, '"' | '\\' | 'n' | 't')) | None => {}
                Some((_, e)) => {
                    let at = start + 1 + i;
                    return Diagnostic::new(
                        crate::diagnostic::code::SYNTAX_BAD_ESCAPE,
                        Level::Error,
                        format!("unsupported escape `\\{e}` in a string"),
                        &Loc::new(src, at, at + 1 + e.len_utf8()),
                        "not an escape",
                    )
                    .with_help("strings accept \\\" \\\\ \\n \\t; write other characters as they are (strings are UTF-8)");
                }
            }
        }
    }
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {expected}, found {found_text}")
    };
    if at_eof {
        return Diagnostic::new(
            crate::diagnostic::code::SYNTAX_UNEXPECTED_EOF,
            Level::Error,
            message,
            &loc,
            "the file ends after this",
        )
        .with_help("check that every `{` has its `}` and that the last declaration is complete");
    }
    let mut diagnostic = Diagnostic::new(
        crate::diagnostic::code::SYNTAX_UNEXPECTED,
        Level::Error,
        message,
        &loc,
        if expected.is_empty() {
            "unexpected here".to_string()
        } else {
            format!("expected {expected}")
        },
    );
    diagnostic = diagnostic.with_help(if let Some(meant) = meant {
        format!("did you mean `{meant}`?")
    } else if is_reserved(&found) {
        format!("`{found}` is a keyword and cannot be used as a name; see docs/language.md")
    } else {
        "see docs/language.md for the syntax of each declaration".to_string()
    });
    diagnostic
}

/// The expected things, in words. Inside a declaration parsed alone, its end
/// is where the next declaration (or the block's `}`) may start.
fn expected_text(positives: &[Rule], context: &Context<'_>) -> String {
    if !positives.is_empty() && positives.iter().all(|r| is_operand(*r)) {
        return "a fact, `not`, `true`, `false` or `(`".to_string();
    }
    let mut names: Vec<&str> = Vec::new();
    for kind in positives {
        if *kind == Rule::EOI && context.in_segment {
            if let Some(part) = context.part {
                names.extend(part.starters().iter().map(|w| starter_description(w)));
            }
            continue;
        }
        names.push(describe(*kind));
    }
    let mut unique = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    join_or(&unique)
}

/// A rule that stands where a condition's operand is expected.
fn is_operand(kind: Rule) -> bool {
    matches!(
        kind,
        Rule::kw_not
            | Rule::not_expr
            | Rule::bool_lit
            | Rule::fact_ref
            | Rule::and_expr
            | Rule::or_expr
            | Rule::condition
    )
}

fn starter_description(word: &str) -> &'static str {
    match word {
        "allow" | "deny" => "a rule (`allow`/`deny`)",
        "policy" => "`policy`",
        "source" => "`source`",
        "note" => "`note`",
        "include" => "`include`",
        "fact" => "`fact`",
        "kind" => "`kind`",
        "scope" => "`scope`",
        "role" => "`role`",
        "action" => "`action`",
        "section" => "`section`",
        "default" => "`default`",
        "assignable" => "`assignable`",
        "limit" => "`limit`",
        _ => "`advise`",
    }
}

/// The keywords pest would have accepted, as written.
fn expected_keywords(positives: &[Rule], segment_end: Option<Part>) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = Vec::new();
    for kind in positives {
        let spelled: &[&'static str] = match kind {
            Rule::policy_decl | Rule::kw_policy => &["policy"],
            Rule::source_decl | Rule::kw_source => &["source"],
            Rule::note_decl | Rule::kw_note => &["note"],
            Rule::include_decl | Rule::kw_include => &["include"],
            Rule::fact_decl | Rule::kw_fact => &["fact"],
            Rule::kind_decl | Rule::kw_kind => &["kind"],
            Rule::scope_decl | Rule::kw_scope => &["scope"],
            Rule::role_decl | Rule::kw_role => &["role"],
            Rule::action_decl | Rule::kw_action => &["action"],
            Rule::section_decl | Rule::kw_section => &["section"],
            Rule::rule | Rule::effect => &["allow", "deny"],
            Rule::kw_to => &["to"],
            Rule::when_clause | Rule::kw_when => &["when"],
            Rule::kw_and => &["and"],
            Rule::kw_or => &["or"],
            Rule::kw_not | Rule::not_expr => &["not"],
            Rule::kw_joins => &["joins"],
            Rule::kw_as => &["as"],
            Rule::default_decl | Rule::kw_default => &["default"],
            Rule::assignable_decl | Rule::kw_assignable => &["assignable"],
            Rule::limit_decl | Rule::kw_limit => &["limit"],
            Rule::advise_decl | Rule::kw_advise => &["advise"],
            Rule::kw_none => &["none"],
            Rule::kw_per => &["per"],
            Rule::kw_participants => &["participants"],
            Rule::EOI => segment_end.map_or(&[][..], Part::starters),
            _ => &[],
        };
        words.extend(spelled);
    }
    words
}

/// The keyword `found` was most likely meant to be: one or two edits away
/// (one for short words), or a word people write for `when`.
fn closest_keyword(found: &str, keywords: &[&'static str]) -> Option<&'static str> {
    let word: String = found
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if word.is_empty() || is_reserved(&word) {
        return None;
    }
    if keywords.contains(&"when") {
        if let Some(&(_, meant)) = WHEN_LOOKALIKES.iter().find(|(w, _)| *w == word) {
            return Some(meant);
        }
    }
    let limit = if word.len() <= 4 { 1 } else { 2 };
    keywords
        .iter()
        .map(|k| (strsim::levenshtein(&word, k), *k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// The mistakes pest's "expected …, found …" would describe badly.
fn special_case(
    src: &Arc<SourceFile>,
    start: usize,
    found: &str,
    positives: &[Rule],
    context: &Context<'_>,
) -> Option<Diagnostic> {
    let text = src.text();
    let before = context
        .tokens
        .get(..context.tokens.partition_point(|t| t.end <= start))
        .unwrap_or(&[]);
    let previous = before.last();
    let ident_before = previous.is_some_and(|t| t.kind == TokenKind::Word && t.end == start);
    // `co-organizer`: a name with a dash.
    if ident_before && found.starts_with('-') && found.chars().nth(1).is_some_and(is_name_char) {
        let name_start = previous.map_or(start, |t| t.start);
        let rest = text.get(start..).unwrap_or("");
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(is_name_char(c) || c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        let end = start + len;
        let name = text.get(name_start..end).unwrap_or("");
        return Some(
            Diagnostic::new(
                crate::diagnostic::code::SYNTAX_DASH_IN_NAME,
                Level::Error,
                "names may not contain `-`",
                &Loc::new(src, name_start, end),
                "not a name",
            )
            .with_help(format!(
                "names are letters, digits and `_`: try `{}`",
                name.replace('-', "_")
            )),
        );
    }
    // `allow admin to *`
    if found.starts_with('*') {
        return Some(
            Diagnostic::new(
                crate::diagnostic::code::SYNTAX_WILDCARD,
                Level::Error,
                "there is no wildcard",
                &Loc::new(src, start, start + 1),
                "not a name",
            )
            .with_help(
                "name each role or action (`allow admin to chat, mute`): a table cell is only \
                 allowed by a rule that names it",
            ),
        );
    }
    let in_condition = before
        .iter()
        .rev()
        .take_while(|t| t.start >= context.decl_start)
        .any(|t| t.text(text) == "when");
    // `when r.sub == "alice"`
    if in_condition
        && (found.starts_with(['.', '=', '!', '<', '>'])
            || positives
                .iter()
                .all(|r| matches!(r, Rule::kw_and | Rule::kw_or | Rule::EOI))
                && found.starts_with(['[']))
    {
        let from = if found.starts_with('.') && ident_before {
            previous.map_or(start, |t| t.start)
        } else {
            start
        };
        let line_end = text
            .get(from..)
            .and_then(|t| t.find('\n'))
            .map_or(text.len(), |i| from + i);
        let to = from + text.get(from..line_end).unwrap_or("").trim_end().len();
        return Some(
            Diagnostic::new(
                crate::diagnostic::code::SYNTAX_ATTRIBUTE_IN_CONDITION,
                Level::Error,
                "conditions read declared facts, not attributes",
                &Loc::new(src, from, to.max(from + 1)),
                "not a fact",
            )
            .with_help(
                "declare a fact (`fact is_alice`) and set it outside the policy: a request gives \
                 facts in its `context`, and `serve` maps request attributes to facts in the \
                 principals file; see docs/language.md#412-conditions",
            ),
        );
    }
    // `limit presenter at most 1 when x`
    if found == "when"
        || found.starts_with("when") && !found.chars().nth(4).is_some_and(is_name_char)
    {
        if let Some(decl) = context
            .decl
            .filter(|d| !matches!(*d, "allow" | "deny") && !positives.contains(&Rule::kw_when))
            .filter(|d| is_reserved(d))
        {
            return Some(
                Diagnostic::new(
                    crate::diagnostic::code::SYNTAX_CONDITION_NOT_ALLOWED,
                    Level::Error,
                    format!("a `{decl}` declaration takes no condition"),
                    &Loc::new(src, start, start + 4),
                    "`when` is not allowed here",
                )
                .with_help(
                    "only rules (`allow`/`deny`), overrides (`… joins … as …`), `default` and \
                     `assignable` lines take a `when` condition; a limit or advice holds whatever \
                     the request; see docs/language.md#412-conditions",
                ),
            );
        }
    }
    // A missing comma between two names of a list.
    let found_is_name = found
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && !is_reserved(found.split(|c: char| !is_name_char(c)).next().unwrap_or(""));
    let list_before = before.len() >= 2
        && previous.is_some_and(|t| t.kind == TokenKind::Word && !is_reserved(t.text(text)))
        && before
            .get(before.len() - 2)
            .is_some_and(|t| matches!(t.text(text), "," | ":" | "allow" | "deny" | "to"));
    // In a rule's list of roles, a name not followed by `to` may be the
    // actions with `to` missing (`allow r a`): only a later `to` makes it a comma.
    let in_role_list = matches!(context.decl, Some("allow" | "deny"))
        && !before
            .iter()
            .rev()
            .take_while(|t| t.start >= context.decl_start)
            .any(|t| t.text(text) == "to");
    let to_follows = || {
        let starters = context.part.map_or(&[][..], Part::starters);
        context
            .tokens
            .iter()
            .skip(context.tokens.partition_point(|t| t.start <= start))
            .take_while(|t| {
                let word = t.text(text);
                word != "}" && !starters.contains(&word)
            })
            .any(|t| t.text(text) == "to")
    };
    let list_before = list_before && (!in_role_list || to_follows());
    if found_is_name && list_before {
        let name_len = found.chars().take_while(|&c| is_name_char(c)).count();
        let previous_name = previous.map_or("", |t| t.text(text));
        let name = found.get(..name_len).unwrap_or(found);
        return Some(
            Diagnostic::new(
                crate::diagnostic::code::SYNTAX_UNEXPECTED,
                Level::Error,
                format!("expected `,`, found `{name}`"),
                &Loc::new(src, start, start + name_len),
                format!("expected `,` between `{previous_name}` and this name"),
            )
            .with_help("the names of a list are separated by commas, also when the list spans several lines"),
        );
    }
    None
}

/// The offset of the first character at or after `at` that is not
/// whitespace or in a comment.
fn skip_trivia(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(at) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => at += 1,
            b'#' => {
                while bytes.get(at).is_some_and(|&c| c != b'\n') {
                    at += 1;
                }
            }
            _ => break,
        }
    }
    at
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
