//! Every name in the parsed files: what it names and whether it is the
//! declaration, read from the syntax tree alone (so it works on a policy
//! that does not resolve), for definitions, references, rename, hover,
//! highlighting and the outline.

use std::collections::{BTreeMap, BTreeSet};

use crate::source::Loc;
use crate::syntax::ParsedFile;
use crate::syntax::ast::{Expr, Item, NameRef, ScopeItem, TargetSel};

/// What a name names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symbol {
    /// A scope.
    Scope(String),
    /// A role of a scope.
    Role(String, String),
    /// An action of a scope.
    Action(String, String),
    /// A group (or named section) of a scope.
    Group(String, String),
    /// A fact.
    Fact(String),
    /// A kind of principal.
    Kind(String),
    /// A setting.
    Setting(String),
    /// A value of a setting.
    Value(String, String),
}

impl Symbol {
    /// The name as written at a declaration.
    pub fn name(&self) -> &str {
        match self {
            Symbol::Scope(n) | Symbol::Fact(n) | Symbol::Kind(n) | Symbol::Setting(n) => n,
            Symbol::Role(_, n)
            | Symbol::Action(_, n)
            | Symbol::Group(_, n)
            | Symbol::Value(_, n) => n,
        }
    }

    /// What it is, in words.
    pub fn what(&self) -> &'static str {
        match self {
            Symbol::Scope(_) => "scope",
            Symbol::Role(..) => "role",
            Symbol::Action(..) => "action",
            Symbol::Group(..) => "group",
            Symbol::Fact(_) => "fact",
            Symbol::Kind(_) => "kind",
            Symbol::Setting(_) => "setting",
            Symbol::Value(..) => "setting value",
        }
    }

    /// The same thing under another name.
    pub fn renamed(&self, to: &str) -> Symbol {
        let to = to.to_string();
        match self {
            Symbol::Scope(_) => Symbol::Scope(to),
            Symbol::Role(s, _) => Symbol::Role(s.clone(), to),
            Symbol::Action(s, _) => Symbol::Action(s.clone(), to),
            Symbol::Group(s, _) => Symbol::Group(s.clone(), to),
            Symbol::Fact(_) => Symbol::Fact(to),
            Symbol::Kind(_) => Symbol::Kind(to),
            Symbol::Setting(_) => Symbol::Setting(to),
            Symbol::Value(s, _) => Symbol::Value(s.clone(), to),
        }
    }
}

/// One name in the text.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// What it names.
    pub symbol: Symbol,
    /// Where (the name only).
    pub loc: Loc,
    /// Whether this is the declaration.
    pub def: bool,
}

/// Every occurrence of every name, in text order per file.
#[derive(Debug, Default)]
pub struct Index {
    /// The occurrences.
    pub all: Vec<Occurrence>,
}

impl Index {
    /// The index of parsed files (root first).
    pub fn new(files: &[ParsedFile]) -> Self {
        let mut groups = BTreeSet::new();
        for file in files {
            for item in &file.tree.items {
                if let Item::Scope(scope) = item {
                    collect_groups(&scope.name.name, &scope.items, &mut groups);
                }
            }
        }
        let mut walk = Walk {
            groups,
            out: Vec::new(),
        };
        for file in files {
            for item in &file.tree.items {
                walk.item(item);
            }
        }
        Index { all: walk.out }
    }

    /// The occurrence at byte `offset` of the file named `file`.
    pub fn at(&self, file: &str, offset: usize) -> Option<&Occurrence> {
        self.all
            .iter()
            .find(|o| o.loc.src.name() == file && o.loc.start <= offset && offset <= o.loc.end)
    }

    /// Where `symbol` is declared.
    pub fn definition(&self, symbol: &Symbol) -> Option<&Occurrence> {
        self.all.iter().find(|o| o.def && o.symbol == *symbol)
    }

    /// Every occurrence of `symbol`, declarations included.
    pub fn references<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.all.iter().filter(move |o| o.symbol == *symbol)
    }

    /// The declared symbols, each once.
    pub fn declared(&self) -> BTreeMap<&Symbol, &Occurrence> {
        self.all
            .iter()
            .filter(|o| o.def)
            .map(|o| (&o.symbol, o))
            .collect()
    }
}

fn collect_groups(scope: &str, items: &[ScopeItem], out: &mut BTreeSet<(String, String)>) {
    for item in items {
        match item {
            ScopeItem::Group(g) => {
                out.insert((scope.to_string(), g.name.name.clone()));
            }
            ScopeItem::Section(s) => {
                if let Some(name) = &s.name {
                    out.insert((scope.to_string(), name.name.clone()));
                }
                collect_groups(scope, &s.items, out);
            }
            _ => {}
        }
    }
}

/// `everyone` is a word of the language, not a declared role.
const EVERYONE: &str = "everyone";

struct Walk {
    groups: BTreeSet<(String, String)>,
    out: Vec<Occurrence>,
}

impl Walk {
    fn push(&mut self, symbol: Symbol, loc: &Loc, def: bool) {
        self.out.push(Occurrence {
            symbol,
            loc: loc.clone(),
            def,
        });
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Fact(d) => self.push(Symbol::Fact(d.name.name.clone()), &d.name.loc, true),
            Item::Kind(d) => self.push(Symbol::Kind(d.name.name.clone()), &d.name.loc, true),
            Item::Setting(s) => {
                let name = &s.name.name;
                self.push(Symbol::Setting(name.clone()), &s.name.loc, true);
                for v in &s.values {
                    self.push(
                        Symbol::Value(name.clone(), v.name.name.clone()),
                        &v.name.loc,
                        true,
                    );
                }
                for d in &s.defaults {
                    self.push(Symbol::Value(name.clone(), d.name.clone()), &d.loc, false);
                }
            }
            Item::Scope(scope) => {
                self.push(
                    Symbol::Scope(scope.name.name.clone()),
                    &scope.name.loc,
                    true,
                );
                self.scope_items(&scope.name.name, &scope.items);
            }
            Item::Override(o) => {
                match &o.subject.scope {
                    Some(scope) => {
                        self.push(Symbol::Scope(scope.name.clone()), &scope.loc, false);
                        self.push(
                            Symbol::Role(scope.name.clone(), o.subject.name.name.clone()),
                            &o.subject.name.loc,
                            false,
                        );
                    }
                    None if o.subject.name.name == EVERYONE => {}
                    None => self.push(
                        Symbol::Fact(o.subject.name.name.clone()),
                        &o.subject.name.loc,
                        false,
                    ),
                }
                self.push(Symbol::Scope(o.scope.name.clone()), &o.scope.loc, false);
                self.push(
                    Symbol::Role(o.scope.name.clone(), o.role.name.clone()),
                    &o.role.loc,
                    false,
                );
                if let Some(c) = &o.condition {
                    self.expr(c);
                }
            }
            Item::Policy(_) | Item::Source(_) | Item::Note(_) | Item::Include(_) => {}
        }
    }

    fn role_ref(&mut self, scope: &str, r: &NameRef) {
        let scope = match &r.scope {
            Some(s) => {
                self.push(Symbol::Scope(s.name.clone()), &s.loc, false);
                s.name.as_str()
            }
            None => scope,
        };
        if r.scope.is_none() && r.name.name == EVERYONE {
            return;
        }
        self.push(
            Symbol::Role(scope.to_string(), r.name.name.clone()),
            &r.name.loc,
            false,
        );
    }

    fn action_ref(&mut self, scope: &str, r: &NameRef) {
        let scope = match &r.scope {
            Some(s) => {
                self.push(Symbol::Scope(s.name.clone()), &s.loc, false);
                s.name.as_str()
            }
            None => scope,
        };
        let key = (scope.to_string(), r.name.name.clone());
        let symbol = if self.groups.contains(&key) {
            Symbol::Group(key.0, key.1)
        } else {
            Symbol::Action(key.0, key.1)
        };
        self.push(symbol, &r.name.loc, false);
    }

    fn scope_items(&mut self, scope: &str, items: &[ScopeItem]) {
        let role = |name: &str| Symbol::Role(scope.to_string(), name.to_string());
        for item in items {
            match item {
                ScopeItem::Role(r) => {
                    self.push(role(&r.name.name), &r.name.loc, true);
                    for p in &r.parents {
                        self.role_ref(scope, p);
                    }
                }
                ScopeItem::Action(a) => self.push(
                    Symbol::Action(scope.to_string(), a.name.name.clone()),
                    &a.name.loc,
                    true,
                ),
                ScopeItem::Section(s) => {
                    if let Some(name) = &s.name {
                        self.push(
                            Symbol::Group(scope.to_string(), name.name.clone()),
                            &name.loc,
                            true,
                        );
                    }
                    self.scope_items(scope, &s.items);
                }
                ScopeItem::Rule(rule) => {
                    for r in &rule.roles {
                        self.role_ref(scope, r);
                    }
                    for a in &rule.actions {
                        self.action_ref(scope, a);
                    }
                    // `on viewer exactly, …`: the target's roles, of the rule's scope.
                    for sel in rule.target.iter().flat_map(|t| &t.roles) {
                        if let TargetSel::Role { name, .. } = sel
                            && name.name != EVERYONE
                        {
                            self.push(role(&name.name), &name.loc, false);
                        }
                    }
                    if let Some(c) = &rule.condition {
                        self.expr(c);
                    }
                }
                ScopeItem::Default(d) => {
                    if let Some(k) = &d.kind {
                        self.push(Symbol::Kind(k.name.clone()), &k.loc, false);
                    }
                    if let Some(r) = &d.role {
                        self.push(role(&r.name), &r.loc, false);
                    }
                    if let Some(c) = &d.condition {
                        self.expr(c);
                    }
                }
                ScopeItem::Assignable(a) => {
                    self.push(Symbol::Kind(a.kind.name.clone()), &a.kind.loc, false);
                    for r in &a.roles {
                        self.push(role(&r.name), &r.loc, false);
                    }
                    if let Some(c) = &a.condition {
                        self.expr(c);
                    }
                }
                ScopeItem::Limit(l) => self.push(role(&l.role.name), &l.role.loc, false),
                ScopeItem::Advise(a) => self.push(role(&a.role.name), &a.role.loc, false),
                ScopeItem::Group(g) => {
                    self.push(
                        Symbol::Group(scope.to_string(), g.name.name.clone()),
                        &g.name.loc,
                        true,
                    );
                    for a in &g.actions {
                        self.push(
                            Symbol::Action(scope.to_string(), a.name.clone()),
                            &a.loc,
                            false,
                        );
                    }
                }
                ScopeItem::Note(_) => {}
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Fact(f) => self.push(Symbol::Fact(f.name.clone()), &f.loc, false),
            Expr::Setting(s, values, _) => {
                self.push(Symbol::Setting(s.name.clone()), &s.loc, false);
                for v in values {
                    self.push(Symbol::Value(s.name.clone(), v.name.clone()), &v.loc, false);
                }
            }
            Expr::Kind(kinds, _) | Expr::TargetKind(kinds, _) => {
                for k in kinds {
                    self.push(Symbol::Kind(k.name.clone()), &k.loc, false);
                }
            }
            Expr::Bool(..) => {}
            Expr::Not(inner, _) => self.expr(inner),
            Expr::And(items, _) | Expr::Or(items, _) => {
                for i in items {
                    self.expr(i);
                }
            }
        }
    }
}
