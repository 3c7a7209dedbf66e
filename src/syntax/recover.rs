//! Error recovery: every syntax error of a file, not only the first.
//!
//! pest stops at the first error. After it, the file is lexed into tokens,
//! brackets are matched (so an unclosed `(` or `{` is reported at its
//! opening, as jaq does), and the text is cut into declarations: at each `}`
//! and at each keyword that starts a declaration where it stands (Cedar
//! recovers at each `;` the same way). Each declaration after the first
//! error is parsed on its own with the grammar's entry rules (`top_entry`,
//! `scope_entry`, …), and its error, if any, is reported too.

use std::sync::Arc;

use pest::Parser as _;

use super::messages::{Context, syntax_error};
use super::parser::{Grammar, Rule};
use crate::diagnostic::{Diagnostic, Level};
use crate::source::{Loc, SourceFile};

/// Most syntax errors reported for one file; past it, one note counts the rest.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// A token of the recovery lexer: a word, a string or one other character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    Word,
    Str,
    Punct,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// Tokens of `text`: comments and whitespace left out, a string up to its
/// closing quote or its line's end.
pub(super) fn lex(text: &str) -> Vec<Token> {
    Tokens { text, at: 0 }.collect()
}

/// The tokens of a text, one at a time: what both the nesting scan (before
/// pest) and the recovery read, so they skip strings and comments alike.
pub(super) struct Tokens<'t> {
    pub text: &'t str,
    pub at: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = self.at;
        loop {
            let &b = bytes.get(i)?;
            let start = i;
            let kind = match b {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'#' => {
                    while bytes.get(i).is_some_and(|&c| c != b'\n') {
                        i += 1;
                    }
                    continue;
                }
                b'"' => {
                    i += 1;
                    while let Some(&c) = bytes.get(i) {
                        match c {
                            b'\\' => i += 2,
                            b'"' => {
                                i += 1;
                                break;
                            }
                            b'\n' => break,
                            _ => i += 1,
                        }
                    }
                    i = i.min(bytes.len());
                    TokenKind::Str
                }
                b if b.is_ascii_alphanumeric() || b == b'_' => {
                    while bytes
                        .get(i)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    {
                        i += 1;
                    }
                    TokenKind::Word
                }
                _ => {
                    i += text
                        .get(i..)
                        .and_then(|t| t.chars().next())
                        .map_or(1, char::len_utf8);
                    TokenKind::Punct
                }
            };
            self.at = i;
            return Some(Token {
                kind,
                start,
                end: i,
            });
        }
    }
}

/// Where a declaration stands, which decides what may start one and which
/// entry rule parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Top,
    Scope,
    Section,
    ScopeHead,
    SectionHead,
}

impl Part {
    /// The keywords that start a declaration here.
    pub fn starters(self) -> &'static [&'static str] {
        match self {
            Part::Top | Part::ScopeHead => &[
                "policy", "source", "note", "include", "fact", "kind", "setting", "scope",
            ],
            Part::Scope | Part::SectionHead => &[
                "role",
                "action",
                "section",
                "allow",
                "deny",
                "default",
                "assignable",
                "limit",
                "advise",
                "note",
            ],
            Part::Section => &["action", "allow", "deny", "note"],
        }
    }

    fn entry(self) -> Rule {
        match self {
            Part::Top => Rule::top_entry,
            Part::Scope => Rule::scope_entry,
            Part::Section => Rule::section_entry,
            Part::ScopeHead => Rule::scope_head,
            Part::SectionHead => Rule::section_head,
        }
    }
}

/// One declaration's text, as the lexer cut it.
#[derive(Debug, Clone)]
pub(super) struct Segment {
    pub part: Part,
    pub start: usize,
    pub end: usize,
    /// Index of its first token.
    pub first: usize,
    /// `(` still open at its end, outermost first.
    open_parens: Vec<usize>,
}

/// The file cut into declarations, and the `{` left open at its end.
fn segments(tokens: &[Token], text: &str) -> (Vec<Segment>, Vec<usize>) {
    let mut out: Vec<Segment> = Vec::new();
    // (the part inside the brace, the brace's offset)
    let mut braces: Vec<(Part, usize)> = Vec::new();
    let mut current: Option<Segment> = None;
    for (i, token) in tokens.iter().enumerate() {
        let part = braces.last().map_or(Part::Top, |&(p, _)| p);
        let word = token.text(text);
        let starts = token.kind == TokenKind::Word
            && (part.starters().contains(&word)
                || (part == Part::Top && is_override_start(tokens, i, text)));
        let in_head = current
            .as_ref()
            .is_some_and(|s| matches!(s.part, Part::ScopeHead | Part::SectionHead));
        if starts {
            out.extend(current.take());
            let part = match (part, word) {
                (Part::Top, "scope") => Part::ScopeHead,
                (Part::Scope, "section") => Part::SectionHead,
                (part, _) => part,
            };
            current = Some(Segment {
                part,
                start: token.start,
                end: token.end,
                first: i,
                open_parens: Vec::new(),
            });
            continue;
        }
        match word {
            "{" if in_head => {
                if let Some(mut head) = current.take() {
                    head.end = token.end;
                    let inside = if head.part == Part::ScopeHead {
                        Part::Scope
                    } else {
                        Part::Section
                    };
                    out.push(head);
                    braces.push((inside, token.start));
                }
                continue;
            }
            "}" if token.kind == TokenKind::Punct && !braces.is_empty() => {
                out.extend(current.take());
                braces.pop();
                continue;
            }
            _ => {}
        }
        let segment = current.get_or_insert_with(|| Segment {
            part,
            start: token.start,
            end: token.end,
            first: i,
            open_parens: Vec::new(),
        });
        segment.end = token.end;
        if token.kind == TokenKind::Punct {
            match word {
                "(" => segment.open_parens.push(token.start),
                ")" => {
                    segment.open_parens.pop();
                }
                _ => {}
            }
        }
    }
    out.extend(current);
    (out, braces.into_iter().map(|(_, at)| at).collect())
}

/// `name joins` or `scope.name joins`: an override starts at `tokens[i]`.
fn is_override_start(tokens: &[Token], i: usize, text: &str) -> bool {
    let word = |k: usize| tokens.get(k).map(|t| t.text(text));
    word(i + 1) == Some("joins") || (word(i + 1) == Some(".") && word(i + 3) == Some("joins"))
}

/// Every syntax error of `src`, whose full parse failed with `first`.
pub(super) fn every_syntax_error(
    src: &Arc<SourceFile>,
    first: &pest::error::Error<Rule>,
) -> Vec<Diagnostic> {
    let text = src.text();
    let tokens = lex(text);
    let (segments, open_braces) = segments(&tokens, text);
    let first_at = match first.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((p, _)) => p,
    };
    // The declaration the first error is in: the last one starting at or before it.
    let first_segment = segments.iter().rposition(|s| s.start <= first_at);
    let context = |segment: Option<&Segment>| Context {
        tokens: &tokens,
        decl: segment
            .and_then(|s| tokens.get(s.first))
            .map(|t| t.text(text)),
        decl_start: segment.map_or(0, |s| s.start),
        part: segment.map(|s| s.part),
        in_segment: false,
    };
    let mut errors = Vec::new();
    let first_unclosed = first_segment
        .and_then(|i| segments.get(i))
        .and_then(|s| s.open_parens.first().copied());
    match first_unclosed {
        Some(open) => errors.push(unclosed(src, open, '(')),
        None if first_at >= text.trim_end().len() && !open_braces.is_empty() => {}
        None => errors.push(syntax_error(
            src,
            first,
            0,
            &context(first_segment.and_then(|i| segments.get(i))),
        )),
    }
    // Past the cap, errors are counted, not built: a file of a million
    // broken lines must not hold a million diagnostics.
    let mut more = 0usize;
    let later = first_segment.map_or(0, |i| i + 1);
    for segment in segments.iter().skip(later) {
        let full = errors.len() >= MAX_SYNTAX_ERRORS;
        if let Some(&open) = segment.open_parens.first() {
            if full {
                more += 1;
            } else {
                errors.push(unclosed(src, open, '('));
            }
            continue;
        }
        let piece = text.get(segment.start..segment.end).unwrap_or("");
        if let Err(e) = Grammar::parse(segment.part.entry(), piece) {
            if full {
                more += 1;
                continue;
            }
            let mut context = context(Some(segment));
            context.in_segment = true;
            errors.push(syntax_error(src, &e, segment.start, &context));
        }
    }
    errors.extend(open_braces.iter().map(|&open| unclosed(src, open, '{')));
    if errors.is_empty() {
        // The cut found nothing wrong; pest's own error is still true.
        errors.push(syntax_error(src, first, 0, &context(None)));
    }
    errors.sort_by_key(|d| d.primary().map(|l| l.start));
    if errors.len() > MAX_SYNTAX_ERRORS {
        more += errors.len() - MAX_SYNTAX_ERRORS;
        errors.truncate(MAX_SYNTAX_ERRORS);
    }
    if more > 0 {
        errors.push(
            Diagnostic::without_location(
                crate::diagnostic::code::SYNTAX_TOO_MANY,
                Level::Error,
                format!(
                    "{more} more syntax error{} in {}",
                    if more == 1 { "" } else { "s" },
                    src.name()
                ),
            )
            .with_help(format!(
                "at most {MAX_SYNTAX_ERRORS} syntax errors are reported for a file; fix these first"
            )),
        );
    }
    errors
}

/// `(` or `{` never closed, reported at the opening.
fn unclosed(src: &Arc<SourceFile>, open: usize, bracket: char) -> Diagnostic {
    let (close, what) = if bracket == '(' {
        (')', "the condition")
    } else {
        ('}', "the block")
    };
    Diagnostic::new(
        crate::diagnostic::code::SYNTAX_UNCLOSED,
        Level::Error,
        format!("unclosed `{bracket}`"),
        &Loc::new(src, open, open + 1),
        format!("this `{bracket}` is never closed"),
    )
    .with_help(format!("close {what} with `{close}`"))
}
