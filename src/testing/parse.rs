//! The policy-test file syntax (documented in docs/testing.md):
//!
//! ```text
//! policy "livestorm.policy"                 # relative to this file
//! allow session.viewer -> session:ask_questions, send_emojis
//! deny  session.viewer -> session:start_end_session
//! allow workspace.admin, session.viewer -> session:start_end_session
//! allow team_member -> session:send_emojis                 # a kind, no role
//! allow session.attendee -> session:chat with organizer_permission
//! error "cannot be assigned" registrant session.organizer -> session:chat
//! deny  nobody -> workspace:view_workspace_profile
//! ```
//!
//! A statement ends at the end of its line, unless the line ends with `,`
//! or `->`, or the next line starts with `with`. Parsing goes on after an error, at the next statement.

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Level};
use crate::source::{Loc, SourceFile};

use super::{Expect, TestCase, TestFile};

const CODE: &str = "rolecall::test::syntax";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// `word`, `scope.role` or `scope:action`.
    Name(String),
    /// A double-quoted string, unescaped.
    Str(String),
    Comma,
    /// `=` between a setting and its value.
    Eq,
    Arrow,
    Newline,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn is_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_inner(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits the text into tokens; an unknown character is an error.
fn lex(src: &Arc<SourceFile>) -> Result<Vec<Token>, Box<Diagnostic>> {
    let text = src.text();
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let token = |tok: Tok, end: usize| Token { tok, start, end };
        match c {
            '\n' => tokens.push(token(Tok::Newline, start + 1)),
            c if c.is_whitespace() => {}
            '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
            ',' => tokens.push(token(Tok::Comma, start + 1)),
            '=' => tokens.push(token(Tok::Eq, start + 1)),
            '-' if chars.next_if(|&(_, c)| c == '>').is_some() => {
                tokens.push(token(Tok::Arrow, start + 2));
            }
            '"' => {
                let mut value = String::new();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, 't')) => value.push('\t'),
                            Some((_, c @ ('"' | '\\'))) => value.push(c),
                            _ => {
                                return Err(error(
                                    src,
                                    i,
                                    i + 1,
                                    "unknown escape in a string",
                                    "here",
                                    "the escapes are \\\" \\\\ \\n \\t",
                                ));
                            }
                        },
                        '\n' => break,
                        c => value.push(c),
                    }
                }
                let Some(end) = end else {
                    return Err(error(
                        src,
                        start,
                        start + 1,
                        "unterminated string",
                        "this string is not closed on its line",
                        "close it with `\"`",
                    ));
                };
                tokens.push(token(Tok::Str(value), end));
            }
            c if is_start(c) => {
                let mut end = start + c.len_utf8();
                let mut separator = false;
                while let Some(&(i, c)) = chars.peek() {
                    if is_inner(c) {
                        end = i + c.len_utf8();
                        chars.next();
                    } else if (c == '.' || c == ':') && !separator {
                        // One separator, and only when a name follows it.
                        let next = text.get(i + 1..).and_then(|t| t.chars().next());
                        if !next.is_some_and(is_start) {
                            break;
                        }
                        separator = true;
                        end = i + 1;
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = text.get(start..end).unwrap_or_default().to_string();
                tokens.push(token(Tok::Name(word), end));
            }
            c => {
                return Err(error(
                    src,
                    start,
                    start + c.len_utf8(),
                    format!("unexpected character `{c}`"),
                    "not part of a test",
                    "a test reads `allow|deny|error PRINCIPAL -> SCOPE:ACTION[, ACTION…] [with FACT, …]`",
                ));
            }
        }
    }
    Ok(tokens)
}

fn error(
    src: &Arc<SourceFile>,
    start: usize,
    end: usize,
    message: impl Into<String>,
    label: impl Into<String>,
    help: impl Into<String>,
) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(
            CODE,
            Level::Error,
            message,
            &Loc::new(src, start, end),
            label,
        )
        .with_help(help),
    )
}

/// Statements: tokens up to a newline that does not follow `,` or `->` and
/// is not followed by `with`.
fn statements(tokens: Vec<Token>) -> Vec<Vec<Token>> {
    let mut out = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(t) = tokens.next() {
        if t.tok == Tok::Newline {
            let continues = current
                .last()
                .is_some_and(|l| matches!(l.tok, Tok::Comma | Tok::Arrow))
                || tokens
                    .peek()
                    .is_some_and(|n| n.tok == Tok::Name("with".to_string()));
            if !continues && !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(t);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Parses a test file; every statement in error is reported.
pub fn parse(src: &Arc<SourceFile>) -> Result<TestFile, Vec<Diagnostic>> {
    let tokens = lex(src).map_err(|d| vec![*d])?;
    let mut statements = statements(tokens).into_iter();
    let header_help =
        "a test file starts with `policy \"FILE\"`, the policy it tests, relative to the test file";
    let (policy, policy_loc) = match statements.next() {
        Some(first) => match first.as_slice() {
            [
                Token {
                    tok: Tok::Name(kw),
                    start,
                    ..
                },
                Token {
                    tok: Tok::Str(path),
                    end,
                    ..
                },
            ] if kw == "policy" => (path.clone(), Loc::new(src, *start, *end)),
            _ => {
                let (start, end) = span(&first);
                return Err(vec![*error(
                    src,
                    start,
                    end,
                    "expected `policy \"FILE\"` first",
                    "the first statement",
                    header_help,
                )]);
            }
        },
        None => {
            return Err(vec![*error(
                src,
                0,
                0,
                "empty test file",
                "nothing here",
                header_help,
            )]);
        }
    };
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for statement in statements {
        match parse_statement(src, &statement) {
            Ok(mut more) => cases.append(&mut more),
            Err(e) => errors.push(*e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(TestFile {
        src: Arc::clone(src),
        policy,
        policy_loc,
        cases,
    })
}

fn span(tokens: &[Token]) -> (usize, usize) {
    let start = tokens.first().map_or(0, |t| t.start);
    let end = tokens.last().map_or(start, |t| t.end);
    (start, end)
}

/// One statement: one test case per action it names.
fn parse_statement(
    src: &Arc<SourceFile>,
    tokens: &[Token],
) -> Result<Vec<TestCase>, Box<Diagnostic>> {
    let (start, end) = span(tokens);
    let statement_loc = Loc::new(src, start, end);
    let err = |t: &Token, message: String, label: &str, help: &str| {
        error(src, t.start, t.end, message, label, help)
    };
    let shape =
        "a test reads `allow|deny|error PRINCIPAL -> SCOPE:ACTION[, ACTION…] [with FACT, …]`";
    let mut it = tokens.iter().peekable();

    let Some(first) = it.next() else {
        return Ok(Vec::new());
    };
    let mut expect = match &first.tok {
        Tok::Name(w) if w == "allow" => Expect::Allow,
        Tok::Name(w) if w == "deny" => Expect::Deny,
        Tok::Name(w) if w == "error" => Expect::Error(None),
        _ => {
            return Err(err(
                first,
                format!(
                    "expected `allow`, `deny` or `error`, found {}",
                    describe(&first.tok)
                ),
                "a test starts with the expected outcome",
                shape,
            ));
        }
    };
    if let Expect::Error(message) = &mut expect {
        if let Some(Token {
            tok: Tok::Str(s), ..
        }) = it.peek()
        {
            *message = Some(s.clone());
            it.next();
        }
    }

    // The principal: `nobody`, or [KIND] [scope.role, …].
    let mut kind = None;
    let mut roles: Vec<(String, String)> = Vec::new();
    let mut nobody = false;
    let mut expect_role = false;
    let arrow = loop {
        let Some(t) = it.next() else {
            let last = tokens.last().unwrap_or(first);
            return Err(err(
                last,
                "expected `->` and the action".to_string(),
                "the test ends here",
                shape,
            ));
        };
        match &t.tok {
            Tok::Arrow if expect_role => {
                return Err(err(
                    t,
                    "expected a role after `,`".to_string(),
                    "here",
                    "roles are `scope.role`, separated by commas",
                ));
            }
            Tok::Arrow => break t,
            Tok::Comma if roles.is_empty() || expect_role => {
                return Err(err(
                    t,
                    "unexpected `,`".to_string(),
                    "here",
                    "roles are `scope.role`, separated by commas",
                ));
            }
            Tok::Comma => expect_role = true,
            Tok::Name(_) if nobody => {
                return Err(err(
                    t,
                    "expected `->` after `nobody`".to_string(),
                    "here",
                    "`nobody` holds no role: write `… nobody -> scope:action`",
                ));
            }
            Tok::Name(w) if w == "nobody" && kind.is_none() && roles.is_empty() => nobody = true,
            Tok::Name(w) => match w.split_once('.') {
                Some(_) if !roles.is_empty() && !expect_role => {
                    return Err(err(
                        t,
                        format!("expected `,` or `->` before `{w}`"),
                        "roles are separated by commas",
                        "write `scope.a, scope.b`",
                    ));
                }
                Some((scope, role)) => {
                    roles.push((scope.to_string(), role.to_string()));
                    expect_role = false;
                }
                None if w.contains(':') => {
                    return Err(err(
                        t,
                        format!("`{w}` is not a role"),
                        "a role is written `scope.role`",
                        "the action comes after `->`; roles are `scope.role`",
                    ));
                }
                None if kind.is_none() && roles.is_empty() => kind = Some(w.clone()),
                None => {
                    return Err(err(
                        t,
                        format!("`{w}` is not a role"),
                        "a role is written `scope.role`",
                        "the kind of principal, if any, comes first: `allow registrant session.viewer -> …`",
                    ));
                }
            },
            _ => {
                return Err(err(
                    t,
                    format!("unexpected {}", describe(&t.tok)),
                    "here",
                    shape,
                ));
            }
        }
    };
    if !nobody && kind.is_none() && roles.is_empty() {
        return Err(err(
            arrow,
            "no principal before `->`".to_string(),
            "who is asking?",
            "name roles (`session.viewer`), a kind (`registrant`), or write `nobody` for a principal holding no role",
        ));
    }

    // The actions: scope:action, then more, the scope optional after the first.
    let mut actions: Vec<String> = Vec::new();
    let mut scope: Option<String> = None;
    loop {
        let Some(t) = it.next() else {
            let last = tokens.last().unwrap_or(first);
            return Err(err(
                last,
                "expected an action after `->`".to_string(),
                "the test ends here",
                "actions are `scope:action`",
            ));
        };
        let Tok::Name(w) = &t.tok else {
            return Err(err(
                t,
                format!("expected an action, found {}", describe(&t.tok)),
                "here",
                "actions are `scope:action`, separated by commas",
            ));
        };
        match (w.split_once(':'), &scope) {
            (Some((s, _)), _) => {
                scope = Some(s.to_string());
                actions.push(w.clone());
            }
            (None, Some(s)) if !w.contains('.') => actions.push(format!("{s}:{w}")),
            _ => {
                return Err(err(
                    t,
                    format!("`{w}` is not an action"),
                    "an action is written `scope:action`",
                    "the first action names its scope: `session:chat, present` tests `session:chat` and `session:present`",
                ));
            }
        }
        match it.peek().map(|t| &t.tok) {
            Some(Tok::Comma) => {
                it.next();
            }
            _ => break,
        }
    }

    // The target of a targeted action: `on self` or `on session.viewer, …`.
    let mut target = None;
    if let Some(Token {
        tok: Tok::Name(w), ..
    }) = it.peek()
    {
        if w == "on" {
            let on = it.next();
            let mut roles = Vec::new();
            // `on registrant session.viewer`: the target's kind first, when given.
            let mut kind = None;
            if let Some(Token {
                tok: Tok::Name(name),
                ..
            }) = it.peek()
            {
                if name != "self" && name != "with" && !name.contains(['.', ':']) {
                    kind = Some(name.clone());
                    it.next();
                }
            }
            loop {
                if kind.is_some()
                    && !matches!(it.peek().map(|t| &t.tok), Some(Tok::Name(n)) if n.contains('.'))
                {
                    break;
                }
                match it.next() {
                    Some(Token {
                        tok: Tok::Name(name),
                        ..
                    }) if name == "self" && roles.is_empty() => {
                        target = Some(super::TestTarget::Myself);
                        break;
                    }
                    Some(Token {
                        tok: Tok::Name(name),
                        ..
                    }) if name
                        .split_once('.')
                        .is_some_and(|(s, r)| !s.is_empty() && !r.is_empty()) =>
                    {
                        if let Some((s, r)) = name.split_once('.') {
                            roles.push((s.to_string(), r.to_string()));
                        }
                    }
                    other => {
                        let at = other.or(on).unwrap_or(first);
                        return Err(err(
                            at,
                            "expected the target after `on`".to_string(),
                            "here",
                            "a targeted action's test names its target: `on self`, or its roles `on session.viewer, session.speaker`, its kind first when it matters (`on registrant session.viewer`)",
                        ));
                    }
                }
                match it.peek().map(|t| &t.tok) {
                    Some(Tok::Comma) => {
                        it.next();
                    }
                    _ => break,
                }
            }
            if target.is_none() {
                target = Some(super::TestTarget::Roles(kind, roles));
            }
        }
    }

    // The facts and settings: `with a, b, plan=team` (the other facts are
    // false, the other settings at their defaults).
    let mut facts = Vec::new();
    let mut settings = Vec::new();
    if let Some(t) = it.next() {
        match &t.tok {
            Tok::Name(w) if w == "with" => loop {
                match it.next() {
                    Some(Token {
                        tok: Tok::Name(f), ..
                    }) if !f.contains(['.', ':']) => {
                        if it.peek().map(|t| &t.tok) == Some(&Tok::Eq) {
                            let eq = it.next();
                            match it.next() {
                                Some(Token {
                                    tok: Tok::Name(v), ..
                                }) if !v.contains(['.', ':']) => {
                                    settings.push((f.clone(), v.clone()));
                                }
                                other => {
                                    let at = other.or(eq).unwrap_or(t);
                                    return Err(err(
                                        at,
                                        format!("expected a value of setting `{f}` after `=`"),
                                        "here",
                                        "`with plan=team` gives setting plan the value team",
                                    ));
                                }
                            }
                        } else {
                            facts.push(f.clone());
                        }
                    }
                    other => {
                        let at = other.unwrap_or(t);
                        return Err(err(
                            at,
                            "expected a fact or `setting=value` after `with`".to_string(),
                            "here",
                            "`with a, b, plan=team` makes facts a and b true and gives setting plan the value team; the other facts are false, the other settings at their defaults",
                        ));
                    }
                }
                match it.peek().map(|t| &t.tok) {
                    Some(Tok::Comma) => {
                        it.next();
                    }
                    _ => break,
                }
            },
            _ => {
                return Err(err(
                    t,
                    format!("unexpected {} after the actions", describe(&t.tok)),
                    "here",
                    "actions are separated by commas; facts follow `with`",
                ));
            }
        }
    }
    if let Some(t) = it.next() {
        return Err(err(
            t,
            format!("unexpected {} after the facts", describe(&t.tok)),
            "here",
            "facts are separated by commas; one test per line",
        ));
    }

    Ok(actions
        .into_iter()
        .map(|action| TestCase {
            expect: expect.clone(),
            kind: kind.clone(),
            roles: roles.clone(),
            action,
            facts: facts.clone(),
            settings: settings.clone(),
            target: target.clone(),
            loc: statement_loc.clone(),
        })
        .collect())
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Name(w) => format!("`{w}`"),
        Tok::Str(s) => format!("the string {s:?}"),
        Tok::Comma => "`,`".to_string(),
        Tok::Eq => "`=`".to_string(),
        Tok::Arrow => "`->`".to_string(),
        Tok::Newline => "the end of the line".to_string(),
    }
}
