//! Text to syntax tree: runs the pest grammar and builds the typed tree.

use std::sync::Arc;

use pest::Parser as _;
use pest::iterators::Pair;

use super::ast::*;
use crate::diagnostic::{Diagnostic, Level};
use crate::source::{Loc, SourceFile};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/rolecall.pest"]
pub(super) struct Grammar;

/// Parses one file. A file with syntax errors yields a diagnostic for each:
/// after pest's first error, the rest of the file is parsed one declaration
/// at a time (`recover.rs`).
pub fn parse_file(src: &Arc<SourceFile>) -> Result<File, Vec<Diagnostic>> {
    check_nesting(src)?;
    let pairs = Grammar::parse(Rule::file, src.text())
        .map_err(|first| super::recover::every_syntax_error(src, &first))?;
    // A comment starts with `#`: a file without one has none, and the walk
    // over every pair of the tree that finds them is skipped.
    let comment_pairs: Vec<_> = if src.text().contains('#') {
        pairs
            .clone()
            .flatten()
            .filter(|pair| pair.as_rule() == Rule::COMMENT)
            .collect()
    } else {
        Vec::new()
    };
    let mut builder = Builder {
        src,
        errors: Vec::new(),
        comments: comment_pairs
            .iter()
            .map(|p| (p.as_span().start(), p.as_span().end()))
            .collect(),
    };
    let mut file = File {
        items: Vec::new(),
        comments: Vec::new(),
    };
    for pair in &comment_pairs {
        file.comments.push(Comment {
            text: pair.as_str().trim_end().to_string(),
            loc: builder.loc(pair),
        });
    }
    for top in pairs {
        for pair in children(top) {
            if pair.as_rule() == Rule::EOI {
                continue;
            }
            if let Some(item) = builder.top_item(pair) {
                file.items.push(item);
            }
        }
    }
    if builder.errors.is_empty() {
        Ok(file)
    } else {
        Err(builder.errors)
    }
}

/// `v` without spare capacity: a list collected from pest's iterator starts
/// at four elements, and most lists (a rule's roles, its actions) hold one,
/// so each kept 360 bytes unused, per rule, in files of a million rules.
fn exact<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

/// Deepest nesting of parentheses and `not` a condition may have. The parser
/// and every stage after it recurse on conditions, so the depth is bounded
/// before parsing to rule out a stack overflow; real conditions nest a few levels.
pub const MAX_NESTING: usize = 64;

/// Rejects conditions nested deeper than [`MAX_NESTING`], by a lexical scan
/// that skips strings and comments (the tokens error recovery reads too). It over-estimates (a `not` counts until
/// the next operand), which only matters past the limit.
fn check_nesting(src: &Arc<SourceFile>) -> Result<(), Vec<Diagnostic>> {
    use super::recover::{TokenKind, Tokens};
    let text = src.text();
    let mut parens = 0usize;
    let mut nots = 0usize;
    for token in (Tokens { text, at: 0 }) {
        match (token.kind, token.text(text)) {
            (TokenKind::Str, _) => {
                nots = 0;
                continue;
            }
            (TokenKind::Word, "not") => nots += 1,
            (TokenKind::Word, _) => nots = 0,
            (TokenKind::Punct, "(") => parens += 1,
            (TokenKind::Punct, ")") => {
                parens = parens.saturating_sub(1);
                nots = 0;
            }
            (TokenKind::Punct, _) => {}
        }
        if parens + nots > MAX_NESTING {
            return Err(vec![nesting_error(src, token.start, token.end)]);
        }
    }
    Ok(())
}

fn nesting_error(src: &Arc<SourceFile>, start: usize, end: usize) -> Diagnostic {
    Diagnostic::new(
        crate::diagnostic::code::SYNTAX_TOO_DEEP,
        Level::Error,
        format!("condition nested more than {MAX_NESTING} levels deep"),
        &Loc::new(src, start, end),
        "too deep here",
    )
    .with_help("flatten the condition: `and` and `or` take any number of operands without nesting")
}

/// The children of a node, comments left out.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| p.as_rule() != Rule::COMMENT)
}

struct Builder<'s> {
    src: &'s Arc<SourceFile>,
    errors: Vec<Diagnostic>,
    /// (start, end) of every comment of the file, in order.
    comments: Vec<(usize, usize)>,
}

impl Builder<'_> {
    /// The node's location, without the whitespace and comments pest leaves
    /// at its end when a trailing optional part is absent.
    fn loc(&self, pair: &Pair<'_, Rule>) -> Loc {
        Loc::new(
            self.src,
            pair.as_span().start(),
            content_end(pair, &self.comments),
        )
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            loc: self.loc(&pair),
        }
    }

    fn text(&self, pair: Pair<'_, Rule>) -> Text {
        // `label` wraps `string`, which wraps `string_body`.
        let loc = self.loc(&pair);
        let mut node = pair;
        while node.as_rule() != Rule::string_body {
            match children(node).next() {
                Some(inner) => node = inner,
                None => {
                    return Text {
                        value: String::new(),
                        loc,
                    };
                }
            }
        }
        Text {
            value: unescape(node.as_str()),
            loc,
        }
    }

    fn name_ref(&self, pair: Pair<'_, Rule>) -> NameRef {
        let loc = self.loc(&pair);
        let mut parts: Vec<Ident> = children(pair).map(|p| self.ident(p)).collect();
        let name = parts.pop().unwrap_or_else(|| Ident {
            name: String::new(),
            loc: loc.clone(),
        });
        NameRef {
            scope: parts.pop(),
            name,
            loc,
        }
    }

    fn integer(&mut self, pair: Pair<'_, Rule>) -> u64 {
        match pair.as_str().parse() {
            Ok(n) => n,
            Err(_) => {
                let loc = self.loc(&pair);
                self.errors.push(
                    Diagnostic::new(
                        crate::diagnostic::code::SYNTAX_NUMBER_TOO_LARGE,
                        Level::Error,
                        "this number is too large",
                        &loc,
                        "larger than 18446744073709551615",
                    )
                    .with_help("counts are whole numbers that fit in 64 bits"),
                );
                0
            }
        }
    }

    fn top_item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let loc = self.loc(&pair);
        let kind = pair.as_rule();
        let mut inner = children(pair).filter(|p| !is_keyword(p.as_rule()));
        Some(match kind {
            Rule::policy_decl => Item::Policy(self.text(inner.next()?)),
            Rule::note_decl => Item::Note(self.text(inner.next()?)),
            Rule::include_decl => Item::Include(self.text(inner.next()?)),
            Rule::source_decl => {
                let title = self.text(inner.next()?);
                let attrs = inner
                    .filter_map(|attr| {
                        let mut parts = children(attr);
                        let key = self.ident(parts.next()?);
                        let value = self.text(parts.next()?);
                        Some((key, value))
                    })
                    .collect();
                Item::Source(SourceDecl { title, attrs, loc })
            }
            Rule::fact_decl => Item::Fact(self.decl(inner, loc)?),
            Rule::kind_decl => Item::Kind(self.decl(inner, loc)?),
            Rule::setting_decl => {
                let name = self.ident(inner.next()?);
                let mut setting = SettingDecl {
                    name,
                    label: None,
                    values: Vec::new(),
                    defaults: Vec::new(),
                    loc,
                };
                for p in inner {
                    let at = self.loc(&p);
                    match p.as_rule() {
                        Rule::label => setting.label = Some(self.text(p)),
                        Rule::setting_value => {
                            let parts = children(p).filter(|p| !is_keyword(p.as_rule()));
                            setting.values.extend(self.decl(parts, at));
                        }
                        Rule::setting_default => {
                            let mut parts = children(p).filter(|p| !is_keyword(p.as_rule()));
                            setting.defaults.extend(parts.next().map(|p| self.ident(p)));
                        }
                        _ => {}
                    }
                }
                Item::Setting(setting)
            }
            Rule::scope_decl => {
                let name = self.ident(inner.next()?);
                let mut label = None;
                let mut items = Vec::new();
                for p in inner {
                    if p.as_rule() == Rule::label {
                        label = Some(self.text(p));
                    } else if let Some(item) = self.scope_item(p) {
                        items.push(item);
                    }
                }
                Item::Scope(ScopeDecl {
                    name,
                    label,
                    items,
                    loc,
                })
            }
            Rule::override_decl => {
                let subject = self.name_ref(inner.next()?);
                let mut next = inner.next()?;
                let adds = next.as_rule() == Rule::also;
                if adds {
                    next = inner.next()?;
                }
                let scope = self.ident(next);
                let role = self.ident(inner.next()?);
                let condition = inner.next().and_then(|w| self.when_clause(w));
                Item::Override(OverrideDecl {
                    subject,
                    scope,
                    role,
                    adds,
                    condition,
                    loc,
                })
            }
            _ => return None,
        })
    }

    fn decl<'i>(&self, mut inner: impl Iterator<Item = Pair<'i, Rule>>, loc: Loc) -> Option<Decl> {
        let name = self.ident(inner.next()?);
        let label = inner.next().map(|p| self.text(p));
        Some(Decl { name, label, loc })
    }

    fn scope_item(&mut self, pair: Pair<'_, Rule>) -> Option<ScopeItem> {
        let loc = self.loc(&pair);
        let kind = pair.as_rule();
        if kind == Rule::rule {
            return self.rule(pair).map(ScopeItem::Rule);
        }
        let mut inner = children(pair).filter(|p| !is_keyword(p.as_rule()));
        Some(match kind {
            Rule::note_decl => ScopeItem::Note(self.text(inner.next()?)),
            Rule::action_decl => {
                let name = self.ident(inner.next()?);
                let mut label = None;
                let mut target = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::label => label = Some(self.text(p)),
                        Rule::action_target => target = Some(self.loc(&p)),
                        _ => {}
                    }
                }
                ScopeItem::Action(ActionDecl {
                    name,
                    label,
                    target,
                    loc,
                })
            }
            Rule::role_decl => {
                let name = self.ident(inner.next()?);
                let mut label = None;
                let mut parents = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::label => label = Some(self.text(p)),
                        Rule::name_list => {
                            parents = exact(children(p).map(|i| self.name_ref(i)).collect())
                        }
                        _ => {}
                    }
                }
                ScopeItem::Role(RoleDecl {
                    name,
                    label,
                    parents,
                    loc,
                })
            }
            Rule::section_decl => {
                let mut first = inner.next()?;
                let mut name = None;
                if first.as_rule() == Rule::ident {
                    name = Some(self.ident(first));
                    first = inner.next()?;
                }
                let label = self.text(first);
                let items = inner.filter_map(|p| self.scope_item(p)).collect();
                ScopeItem::Section(SectionDecl {
                    name,
                    label,
                    items,
                    loc,
                })
            }
            Rule::group_decl => {
                let name = self.ident(inner.next()?);
                let mut label = None;
                let mut actions = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::label => label = Some(self.text(p)),
                        Rule::ident_list => actions = children(p).map(|i| self.ident(i)).collect(),
                        _ => {}
                    }
                }
                ScopeItem::Group(GroupDecl {
                    name,
                    label,
                    actions,
                    loc,
                })
            }
            Rule::default_decl => {
                let mut kind = None;
                let mut role = None;
                let mut condition = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => kind = Some(self.ident(p)),
                        Rule::role_or_none => {
                            role = children(p)
                                .find(|i| i.as_rule() == Rule::ident)
                                .map(|i| self.ident(i));
                        }
                        Rule::when_clause => condition = self.when_clause(p),
                        _ => {}
                    }
                }
                ScopeItem::Default(DefaultDecl {
                    kind,
                    role,
                    condition,
                    loc,
                })
            }
            Rule::assignable_decl => {
                let kind = self.ident(inner.next()?);
                let mut roles = Vec::new();
                let mut condition = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::ident_list => roles = children(p).map(|i| self.ident(i)).collect(),
                        Rule::when_clause => condition = self.when_clause(p),
                        _ => {}
                    }
                }
                ScopeItem::Assignable(AssignableDecl {
                    kind,
                    roles,
                    condition,
                    loc,
                })
            }
            Rule::limit_decl => {
                let role = self.ident(inner.next()?);
                let card = children(inner.next()?).next()?;
                let card_rule = card.as_rule();
                let numbers: Vec<u64> = children(card)
                    .filter(|p| p.as_rule() == Rule::integer)
                    .map(|p| self.integer(p))
                    .collect();
                let n = |i: usize| numbers.get(i).copied().unwrap_or(0);
                let cardinality = match card_rule {
                    Rule::at_most => Cardinality::AtMost { max: n(0) },
                    Rule::at_least => Cardinality::AtLeast { min: n(0) },
                    Rule::exactly => Cardinality::Exactly { count: n(0) },
                    Rule::between => Cardinality::Between {
                        min: n(0),
                        max: n(1),
                    },
                    _ => Cardinality::Unlimited,
                };
                ScopeItem::Limit(LimitDecl {
                    role,
                    cardinality,
                    loc,
                })
            }
            Rule::advise_decl => {
                let count = self.integer(inner.next()?);
                let role = self.ident(inner.next()?);
                let per_min = self.integer(inner.next()?);
                let mut per_max = per_min;
                let mut label = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::integer => per_max = self.integer(p),
                        Rule::label => label = Some(self.text(p)),
                        _ => {}
                    }
                }
                ScopeItem::Advise(AdviseDecl {
                    count,
                    role,
                    per_min,
                    per_max,
                    label,
                    loc,
                })
            }
            _ => return None,
        })
    }

    fn rule(&mut self, pair: Pair<'_, Rule>) -> Option<super::ast::Rule> {
        let loc = self.loc(&pair);
        let mut inner = children(pair).filter(|p| !is_keyword(p.as_rule()));
        let (effect, forbid) = match inner.next()?.as_str() {
            "deny" => (Effect::Deny, false),
            "forbid" => (Effect::Deny, true),
            _ => (Effect::Allow, false),
        };
        let roles = exact(children(inner.next()?).map(|p| self.name_ref(p)).collect());
        let actions = exact(children(inner.next()?).map(|p| self.name_ref(p)).collect());
        let mut target = None;
        let mut condition = None;
        for p in inner {
            match p.as_rule() {
                Rule::target_clause => target = Some(self.target_clause(p)),
                Rule::when_clause => condition = self.when_clause(p),
                _ => {}
            }
        }
        Some(super::ast::Rule {
            effect,
            forbid,
            roles,
            actions,
            target,
            condition,
            loc,
        })
    }

    fn target_clause(&mut self, pair: Pair<'_, Rule>) -> TargetClause {
        let loc = self.loc(&pair);
        let mut who = None;
        let mut roles = Vec::new();
        for p in children(pair) {
            match p.as_rule() {
                Rule::target_who => {
                    who = Some(if p.as_str() == "self" {
                        TargetWho::Myself
                    } else {
                        TargetWho::Others
                    })
                }
                Rule::target_list => {
                    for sel in children(p) {
                        roles.push(match sel.as_rule() {
                            Rule::rank_below => TargetSel::Below,
                            Rule::rank_at_or_below => TargetSel::AtOrBelow,
                            Rule::rank_above => TargetSel::Above,
                            _ => {
                                let mut parts = children(sel);
                                let Some(name) = parts.next() else {
                                    continue;
                                };
                                TargetSel::Role {
                                    name: self.ident(name),
                                    exact: parts.next().is_some(),
                                }
                            }
                        });
                    }
                }
                _ => {}
            }
        }
        TargetClause { who, roles, loc }
    }

    fn when_clause(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let condition = children(pair).find(|p| p.as_rule() == Rule::condition)?;
        self.expr(children(condition).next()?)
    }

    /// A condition's tree. Chains that nest without branching (`not not x`,
    /// `((x))`) are walked in a loop, so only a real `and`/`or` with several
    /// operands costs a stack frame: the stack a condition needs stays small
    /// whatever its nesting (bounded by [`MAX_NESTING`] anyway).
    fn expr(&mut self, mut pair: Pair<'_, Rule>) -> Option<Expr> {
        let mut nots: Vec<Loc> = Vec::new();
        let inner = loop {
            match pair.as_rule() {
                Rule::or_expr | Rule::and_expr => {
                    let is_or = pair.as_rule() == Rule::or_expr;
                    let mut operands: Vec<Pair<'_, Rule>> = children(pair.clone())
                        .filter(|p| !is_keyword(p.as_rule()))
                        .collect();
                    if operands.len() == 1 {
                        pair = operands.pop()?;
                        continue;
                    }
                    let loc = self.loc(&pair);
                    let mut exprs = Vec::with_capacity(operands.len());
                    for operand in operands {
                        exprs.extend(self.expr(operand));
                    }
                    break if is_or {
                        Expr::Or(exprs, loc)
                    } else {
                        Expr::And(exprs, loc)
                    };
                }
                Rule::not_expr => {
                    let mut inner = children(pair.clone());
                    let first = inner.next()?;
                    if first.as_rule() == Rule::kw_not {
                        nots.push(self.loc(&pair));
                        pair = inner.next()?;
                    } else {
                        pair = first;
                    }
                }
                Rule::bool_lit => break Expr::Bool(pair.as_str() == "true", self.loc(&pair)),
                Rule::fact_ref => break Expr::Fact(self.ident(children(pair).next()?)),
                Rule::setting_test => {
                    let loc = self.loc(&pair);
                    let mut parts = children(pair).filter(|p| !is_keyword(p.as_rule()));
                    let setting = self.ident(parts.next()?);
                    let values = children(parts.next()?).map(|i| self.ident(i)).collect();
                    break Expr::Setting(setting, values, loc);
                }
                Rule::kind_test => {
                    let loc = self.loc(&pair);
                    let mut parts = children(pair).filter(|p| !is_keyword(p.as_rule()));
                    let kinds = children(parts.next()?).map(|i| self.ident(i)).collect();
                    break Expr::Kind(kinds, loc);
                }
                Rule::target_kind_test => {
                    let loc = self.loc(&pair);
                    let list = children(pair).find(|p| p.as_rule() == Rule::ident_list)?;
                    let kinds = children(list).map(|i| self.ident(i)).collect();
                    break Expr::TargetKind(kinds, loc);
                }
                _ => return None,
            }
        };
        Some(
            nots.into_iter()
                .rev()
                .fold(inner, |operand, loc| Expr::Not(Box::new(operand), loc)),
        )
    }
}

fn content_end(pair: &Pair<'_, Rule>, comments: &[(usize, usize)]) -> usize {
    let text = pair.as_str();
    let start = pair.as_span().start();
    let mut end = pair.as_span().end();
    loop {
        let trimmed = start + text.get(..end - start).unwrap_or("").trim_end().len();
        let ending_here = comments
            .binary_search_by_key(&trimmed, |&(_, e)| e)
            .ok()
            .and_then(|i| comments.get(i))
            // Inside the node: a comment starting where the node starts is the node itself.
            .filter(|&&(comment_start, _)| comment_start > start);
        match ending_here {
            Some(&(comment_start, _)) => end = comment_start,
            None => return trimmed,
        }
    }
}

fn is_keyword(kind: Rule) -> bool {
    matches!(
        kind,
        Rule::kw_policy
            | Rule::kw_source
            | Rule::kw_note
            | Rule::kw_include
            | Rule::kw_fact
            | Rule::kw_kind
            | Rule::kw_setting
            | Rule::kw_value
            | Rule::kw_is
            | Rule::kw_also
            | Rule::kw_group
            | Rule::kw_scope
            | Rule::kw_role
            | Rule::kw_action
            | Rule::kw_section
            | Rule::kw_to
            | Rule::kw_when
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_joins
            | Rule::kw_as
            | Rule::kw_default
            | Rule::kw_assignable
            | Rule::kw_limit
            | Rule::kw_advise
            | Rule::kw_none
            | Rule::kw_per
            | Rule::kw_participants
    )
}

fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a word is reserved (cannot be a name).
pub fn is_reserved(word: &str) -> bool {
    Grammar::parse(Rule::keyword, word).is_ok_and(|p| p.as_str() == word)
}
