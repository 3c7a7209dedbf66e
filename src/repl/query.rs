//! The REPL's input language: commands (`:roles session`) and questions
//! (`can moderator mute_someone_on_stage?`), parsed into [`Input`].
//!
//! Parsing is syntax only: names are resolved against a policy later, in
//! `lookup`. The grammar, documented for people in `docs/repl.md`:
//!
//! ```text
//! line     := ":" COMMAND ARG*            a command
//!           | question
//!           | ("why" | "explain") question?
//!           | "who" "can" NAME target? "?"?   same as `:who NAME [TARGET]`
//!           | "what" "can" NAME "do"? "?"?  same as `:what NAME`
//! question := ("as" ARTICLE? KIND ","?)? "can" ARTICLE? (roles NAME | NAME) target? facts? place? "?"?
//! roles    := NAME (("+" | "and") NAME)*
//! target   := "on"? ("self" | "themself" | ARTICLE? roles)   (a targeted action's target)
//! facts    := ("with" | "without") fact (("and" | ",") fact)*
//! fact     := "not"? NAME
//! place    := "in" POLICY
//! ARTICLE  := "a" | "an"
//! NAME     := name | scope.name | scope:name
//! ```

use std::fmt;

/// A name as written, with its scope when qualified (`session.moderator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The scope before the `.` or `:`, if any.
    pub scope: Option<String>,
    /// The name itself.
    pub name: String,
}

impl Name {
    fn parse(word: &str) -> Result<Name, QueryError> {
        let (scope, name) = match word.split_once(['.', ':']) {
            Some((scope, name)) => (Some(scope.to_string()), name),
            None => (None, word),
        };
        let valid = |s: &str| {
            s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !valid(name) || scope.as_deref().is_some_and(|s| !valid(s)) {
            return Err(QueryError::new(format!(
                "`{word}` is not a name (a name is letters, digits and `_`, optionally `scope.name`)"
            )));
        }
        Ok(Name {
            scope,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Some(scope) => write!(f, "{scope}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A question: may a principal holding these roles do this action?
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// `as KIND`: the kind of principal.
    pub kind: Option<String>,
    /// Roles held, in any scopes.
    pub roles: Vec<Name>,
    /// The action.
    pub action: Option<Name>,
    /// Facts given with `with` / `without`, in order.
    pub facts: Vec<(String, bool)>,
    /// Settings given with `with NAME=VALUE` or `with NAME is VALUE`, in order.
    pub settings: Vec<(String, String)>,
    /// `in POLICY`: which loaded policy to ask.
    pub policy: Option<String>,
    /// Whom a targeted action is done to: `can moderator mute organizer`.
    pub target: Option<QueryTarget>,
}

/// A question's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryTarget {
    /// `self` / `themself`: the principal acting on themself.
    Myself,
    /// The target's roles.
    Roles(Vec<Name>),
}

/// One line of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A blank line or a `#` comment.
    Nothing,
    /// `:name args…`
    Command {
        /// The command name, without the colon.
        name: String,
        /// Its arguments, split on whitespace.
        args: Vec<String>,
    },
    /// `can …`
    Ask(Query),
    /// `why` (the last answer) or `why can …`
    Why(Option<Query>),
    /// `who can ACTION`
    Who(Name),
    /// `who can ACTION TARGET`: a targeted action, on one target.
    WhoOn(Name, QueryTarget),
    /// `what can ROLE do`
    What(Name),
}

/// A line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// What is wrong, and how a question reads.
    pub message: String,
}

impl QueryError {
    fn new(message: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
        }
    }
}

/// How a question reads, shown with syntax errors.
pub const QUESTION_FORM: &str = "a question reads `can [ROLE + ROLE …] ACTION [TARGET ROLE + … | self] [with FACT, not FACT, SETTING=VALUE] [in POLICY]`; `:help` shows more";

/// A token: a word, or one of `+ , ? =`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Plus,
    Comma,
    Question,
    /// Between a setting and its value.
    Eq,
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => f.write_str(w),
            Token::Plus => f.write_str("+"),
            Token::Comma => f.write_str(","),
            Token::Question => f.write_str("?"),
            Token::Eq => f.write_str("="),
        }
    }
}

/// Whether `c` may be part of a word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':')
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, QueryError> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = rest.trim_start();
            continue;
        }
        let (token, len) = match c {
            '+' => (Token::Plus, 1),
            ',' => (Token::Comma, 1),
            '?' => (Token::Question, 1),
            '=' => (Token::Eq, 1),
            c if is_word_char(c) => {
                let len = rest.find(|c| !is_word_char(c)).unwrap_or(rest.len());
                (Token::Word(rest.get(..len).unwrap_or(rest)), len)
            }
            other => {
                return Err(QueryError::new(format!(
                    "unexpected `{other}`; {QUESTION_FORM}"
                )));
            }
        };
        tokens.push(token);
        rest = rest.get(len..).unwrap_or("");
    }
    Ok(tokens)
}

/// Words with a meaning where they stand in a question; a role, action or
/// fact with one of these names is written `scope.name` there.
const KEYWORDS: [&str; 7] = ["with", "without", "in", "and", "not", "do", "can"];

fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// Parses one line.
pub fn parse(line: &str) -> Result<Input, QueryError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Input::Nothing);
    }
    if let Some(command) = line.strip_prefix(':') {
        let mut words = command.split_whitespace();
        let name = words.next().unwrap_or("").to_string();
        if name.is_empty() {
            return Err(QueryError::new(
                "a command follows the `:` (`:help` lists them)",
            ));
        }
        return Ok(Input::Command {
            name,
            args: words.map(str::to_string).collect(),
        });
    }
    let tokens = tokenize(line)?;
    let mut p = Parser { tokens, at: 0 };
    let input = match p.peek_word() {
        Some("why" | "explain") => {
            p.at += 1;
            if p.at_end() {
                Input::Why(None)
            } else {
                Input::Why(Some(p.question()?))
            }
        }
        Some("who") => {
            p.at += 1;
            p.expect("can", "`who` is followed by `can ACTION`")?;
            let action = p.name("the action after `who can`")?;
            match p.target()? {
                Some(target) => Input::WhoOn(action, target),
                None => Input::Who(action),
            }
        }
        Some("what") => {
            p.at += 1;
            p.expect("can", "`what` is followed by `can ROLE do`")?;
            let role = p.name("the role after `what can`")?;
            if p.peek_word() == Some("do") {
                p.at += 1;
            }
            Input::What(role)
        }
        Some("can" | "as") => Input::Ask(p.question()?),
        _ => {
            return Err(QueryError::new(format!(
                "a line is a question (`can …`, `as KIND can …`, `who can …`, `what can …`, `why`) or a command (`:help`); {QUESTION_FORM}"
            )));
        }
    };
    p.skip_question_mark();
    match p.next() {
        None => Ok(input),
        Some(token) => Err(QueryError::new(format!(
            "unexpected `{token}` at the end of the question; {QUESTION_FORM}"
        ))),
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.at).copied()
    }

    fn peek_word(&self) -> Option<&'a str> {
        match self.peek() {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let token = self.peek();
        if token.is_some() {
            self.at += 1;
        }
        token
    }

    fn at_end(&self) -> bool {
        self.at >= self.tokens.len()
    }

    fn skip_question_mark(&mut self) {
        while self.peek() == Some(Token::Question) {
            self.at += 1;
        }
    }

    fn expect(&mut self, word: &str, message: &str) -> Result<(), QueryError> {
        if self.peek_word() == Some(word) {
            self.at += 1;
            Ok(())
        } else {
            Err(QueryError::new(message))
        }
    }

    fn skip_article(&mut self) {
        if matches!(self.peek_word(), Some("a" | "an")) {
            self.at += 1;
        }
    }

    /// The next token as a name; `what` says what was expected, for the error.
    fn name(&mut self, what: &str) -> Result<Name, QueryError> {
        match self.peek() {
            Some(Token::Word(w)) if !is_keyword(w) => {
                self.at += 1;
                Name::parse(w)
            }
            Some(token) => Err(QueryError::new(format!(
                "expected {what}, found `{token}`; {QUESTION_FORM}"
            ))),
            None => Err(QueryError::new(format!("expected {what}; {QUESTION_FORM}"))),
        }
    }

    /// Whether the next token starts a name (not a keyword or punctuation).
    fn at_name(&self) -> bool {
        self.peek_word().is_some_and(|w| !is_keyword(w))
    }

    /// A targeted action's target after the action: `organizer`, `a viewer
    /// + speaker`, `on self`, `themself`; `None` when none is written.
    fn target(&mut self) -> Result<Option<QueryTarget>, QueryError> {
        let on = self.peek_word() == Some("on");
        if on {
            self.at += 1;
        }
        if matches!(self.peek_word(), Some("self" | "themself")) {
            self.at += 1;
            return Ok(Some(QueryTarget::Myself));
        }
        if !(on || self.at_name()) {
            return Ok(None);
        }
        self.skip_article();
        let mut roles = vec![self.name("the target's role")?];
        while matches!(self.peek(), Some(Token::Plus) | Some(Token::Word("and"))) {
            let joiner = self.next().map(|t| t.to_string()).unwrap_or_default();
            roles.push(self.name(&format!("a target role after `{joiner}`"))?);
        }
        Ok(Some(QueryTarget::Roles(roles)))
    }

    fn question(&mut self) -> Result<Query, QueryError> {
        let mut query = Query::default();
        if self.peek_word() == Some("as") {
            self.at += 1;
            self.skip_article();
            let kind = self.name("a kind of principal after `as`")?;
            if kind.scope.is_some() {
                return Err(QueryError::new(format!(
                    "`{kind}`: a kind of principal has no scope"
                )));
            }
            query.kind = Some(kind.name);
            if self.peek() == Some(Token::Comma) {
                self.at += 1;
            }
        }
        self.expect("can", &format!("expected `can`; {QUESTION_FORM}"))?;
        self.skip_article();
        let mut group = vec![self.name("a role or an action after `can`")?];
        while matches!(self.peek(), Some(Token::Plus) | Some(Token::Word("and"))) {
            let joiner = self.next().map(|t| t.to_string()).unwrap_or_default();
            group.push(self.name(&format!("a role after `{joiner}`"))?);
        }
        if self.at_name() {
            query.action = Some(self.name("the action")?);
            query.roles = group;
        } else if group.len() == 1 {
            // `can ACTION`: no role assigned, so the defaults apply.
            query.action = group.pop();
        } else {
            let roles: Vec<String> = group.iter().map(Name::to_string).collect();
            return Err(QueryError::new(format!(
                "expected the action after `{}`; {QUESTION_FORM}",
                roles.join(" + ")
            )));
        }
        query.target = self.target()?;
        self.skip_question_mark();
        if let Some(word @ ("with" | "without")) = self.peek_word() {
            self.at += 1;
            let mut value = word == "with";
            loop {
                let mut fact_value = value;
                if self.peek_word() == Some("not") {
                    self.at += 1;
                    fact_value = !fact_value;
                }
                let fact = self.name("a fact or setting")?;
                if fact.scope.is_some() {
                    return Err(QueryError::new(format!("`{fact}`: a fact has no scope")));
                }
                // `with plan=team` or `with plan is team`: a setting's value.
                if matches!(self.peek(), Some(Token::Eq | Token::Word("is"))) {
                    self.at += 1;
                    if !fact_value {
                        return Err(QueryError::new(format!(
                            "`{}`: a setting takes a value (`with {}=VALUE`), it is not negated",
                            fact.name, fact.name
                        )));
                    }
                    let value = self.name("the setting's value")?;
                    query.settings.push((fact.name, value.to_string()));
                } else {
                    query.facts.push((fact.name, fact_value));
                }
                match self.peek() {
                    Some(Token::Comma) | Some(Token::Word("and")) => self.at += 1,
                    _ => break,
                }
                // `with a, without b`: the word may change along the list.
                if let Some(word @ ("with" | "without")) = self.peek_word() {
                    self.at += 1;
                    value = word == "with";
                }
            }
        }
        self.skip_question_mark();
        if self.peek_word() == Some("in") {
            self.at += 1;
            let policy = self.name("a policy name after `in`")?;
            query.policy = Some(policy.to_string());
        }
        Ok(query)
    }
}
