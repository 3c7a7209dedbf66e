//! Name resolution: binds every name of the syntax trees of a policy's files
//! to a declaration, checks inheritance for cycles, and reports every problem
//! found, not only the first.

mod errors;
mod model;
mod pin;

use std::cell::Cell;

use indexmap::IndexMap;

pub use errors::{NameKind, ResolveError};
pub use model::*;
pub use pin::{PinError, Pins};

use crate::diagnostic::Diagnostic;
use crate::source::Loc;
use crate::syntax::ParsedFile;
use crate::syntax::ast::{self, Expr, Item, NameRef, ScopeItem};

/// Most cells (scope × action × role) and most rules one policy may have:
/// the decision table indexes them in 30 bits (`compile::MAX_INDEX`).
pub const MAX_CELLS: usize = (1 << 30) - 1;

/// Resolves a loaded policy (root file first, as the loader returns it).
pub fn resolve(files: &[ParsedFile]) -> Result<Policy, Vec<Diagnostic>> {
    let items = flatten(files);
    let mut r = Resolver {
        policy: Policy {
            name: None,
            sources: Vec::new(),
            notes: Vec::new(),
            facts: IndexMap::new(),
            kinds: IndexMap::new(),
            settings: IndexMap::new(),
            atoms: Vec::new(),
            scopes: IndexMap::new(),
            rules: Vec::new(),
            overrides: Vec::new(),
        },
        errors: Vec::new(),
        policy_loc: None,
        suggestions: Cell::new(SUGGESTION_BUDGET),
        tally: IndexMap::new(),
        in_targeted_rule: false,
    };
    r.declare(&items);
    r.number_atoms();
    r.bind(&items);
    r.check_cycles();
    r.check_size();
    if r.errors.is_empty() {
        Ok(r.policy)
    } else {
        let omitted = omitted_summaries(&r.tally);
        let mut diagnostics: Vec<Diagnostic> = r
            .errors
            .into_iter()
            .map(ResolveError::into_diagnostic)
            .chain(omitted)
            .collect();
        sort_by_position(&mut diagnostics, files);
        Err(diagnostics)
    }
}

/// One condition, or their disjunction.
fn any_of(mut items: Vec<Cond>) -> Cond {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    Cond::Or(items)
}

/// Orders diagnostics as a reader meets them: by file (in load order), then offset.
fn sort_by_position(diagnostics: &mut [Diagnostic], files: &[ParsedFile]) {
    let key = |d: &Diagnostic| match d.primary() {
        Some(loc) => (
            files
                .iter()
                .position(|f| std::sync::Arc::ptr_eq(&f.src, &loc.src))
                .unwrap_or(usize::MAX),
            loc.start,
        ),
        None => (usize::MAX, 0),
    };
    diagnostics.sort_by_key(key);
}

/// Top-level items of all files in declaration order: an `include` stands for
/// the included file's items; a file included twice counts once.
fn flatten(files: &[ParsedFile]) -> Vec<&Item> {
    fn walk<'a>(
        files: &'a [ParsedFile],
        index: usize,
        seen: &mut Vec<bool>,
        out: &mut Vec<&'a Item>,
    ) {
        let Some(file) = files.get(index) else { return };
        if seen.get(index).copied().unwrap_or(true) {
            return;
        }
        if let Some(s) = seen.get_mut(index) {
            *s = true;
        }
        let mut includes = file.includes.iter();
        for item in &file.tree.items {
            if let Item::Include(_) = item {
                if let Some(Some(target)) = includes.next() {
                    walk(files, *target, seen, out);
                }
            } else {
                out.push(item);
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = vec![false; files.len()];
    walk(files, 0, &mut seen, &mut out);
    out
}

/// The items of a scope, sections opened, each with the section it is in.
fn scope_items(scope: &ast::ScopeDecl) -> Vec<(Option<&ast::Text>, &ScopeItem)> {
    let mut out = Vec::new();
    for item in &scope.items {
        if let ScopeItem::Section(section) = item {
            for inner in &section.items {
                out.push((Some(&section.label), inner));
            }
        } else {
            out.push((None, item));
        }
    }
    out
}

struct Resolver {
    policy: Policy,
    errors: Vec<ResolveError>,
    policy_loc: Option<Loc>,
    /// What is left of [`SUGGESTION_BUDGET`] for this policy.
    suggestions: Cell<u64>,
    /// Errors found per diagnostic code, reported or not ([`MAX_PER_CODE`]).
    tally: IndexMap<&'static str, Tally>,
    /// Whether the condition being bound is a rule's whose actions are all
    /// targeted: only there may it read the target's kind.
    in_targeted_rule: bool,
}

/// Most errors of one diagnostic code a policy reports one by one; past it
/// they are counted, and one more diagnostic of that code says how many
/// more there were. Without it, a file repeating one mistake millions of
/// times (`role r` 9.5 million times in 66 MB) kept a diagnostic for each:
/// gigabytes for a report no one reads past its first screen.
pub const MAX_PER_CODE: usize = 1_000;

/// Errors of one code: how many were found, where the first one is, and
/// the first one not reported.
struct Tally {
    found: usize,
    first: Option<Loc>,
    first_omitted: Option<(Loc, &'static str)>,
}

/// One diagnostic per code that passed [`MAX_PER_CODE`], counting those not
/// reported. It stands at the first error of its code, so that sorted by
/// position it comes second, among the first ones `check` prints.
fn omitted_summaries(tally: &IndexMap<&'static str, Tally>) -> Vec<Diagnostic> {
    tally
        .iter()
        .filter_map(|(&code, t)| {
            let (omitted, noun) = t.first_omitted.as_ref()?;
            let first = t.first.as_ref().unwrap_or(omitted);
            let more = t.found.saturating_sub(MAX_PER_CODE);
            Some(
                Diagnostic::new(
                    code,
                    crate::diagnostic::Level::Error,
                    format!(
                        "{} {noun} in all: {MAX_PER_CODE} are reported, {more} more are not",
                        t.found
                    ),
                    first,
                    "the first of them",
                )
                .with_label(omitted, "the first not reported")
                .with_help(format!(
                    "at most {MAX_PER_CODE} errors of one kind are reported one by one; fix those, then check again"
                )),
            )
        })
        .collect()
}

impl Resolver {
    /// Keeps `error` unless [`MAX_PER_CODE`] of its code were kept already;
    /// then only counts it.
    fn report(&mut self, error: ResolveError) {
        let tally = self.tally.entry(error.code()).or_insert_with(|| Tally {
            found: 0,
            first: error.primary().cloned(),
            first_omitted: None,
        });
        tally.found += 1;
        if tally.found <= MAX_PER_CODE {
            self.errors.push(error);
        } else if tally.first_omitted.is_none() {
            tally.first_omitted = error.primary().map(|loc| (loc.clone(), error.noun()));
        }
    }

    /// Whether errors of `code` are only counted now, so the work of building
    /// one (a suggestion) can be skipped.
    fn counting_only(&self, code: &str) -> bool {
        self.tally
            .get(code)
            .is_some_and(|t| t.found >= MAX_PER_CODE)
    }

    // ------------------------------------------------------------ pass 1: declarations

    fn declare(&mut self, items: &[&Item]) {
        for item in items {
            match item {
                Item::Policy(name) => {
                    if let Some(first) = &self.policy_loc {
                        self.report(ResolveError::Duplicate {
                            what: "policy name",
                            name: name.value.clone(),
                            loc: name.loc.clone(),
                            first: first.clone(),
                        });
                    } else {
                        self.policy.name = Some(name.value.clone());
                        self.policy_loc = Some(name.loc.clone());
                    }
                }
                Item::Source(source) => {
                    let attr = |key: &str| {
                        source
                            .attrs
                            .iter()
                            .find(|(k, _)| k.name == key)
                            .map(|(_, v)| v.value.clone())
                    };
                    self.policy.sources.push(SourceMeta {
                        title: source.title.value.clone(),
                        url: attr("url"),
                        date: attr("date"),
                        lang: attr("lang"),
                    });
                }
                Item::Note(note) => self.policy.notes.push(note.value.clone()),
                Item::Fact(decl) => {
                    if decl.name.name == EVERYONE {
                        self.report(reserved_everyone("fact", &decl.name.loc));
                    } else if let Some(first) = self.policy.facts.get(&decl.name.name) {
                        self.report(duplicate("fact", &decl.name, &first.loc));
                    } else {
                        self.policy.facts.insert(
                            decl.name.name.clone(),
                            Fact {
                                label: decl.label.as_ref().map(|l| l.value.clone()),
                                loc: decl.name.loc.clone(),
                            },
                        );
                    }
                }
                Item::Kind(decl) => {
                    if let Some(first) = self.policy.kinds.get(&decl.name.name) {
                        self.report(duplicate("kind", &decl.name, &first.loc));
                    } else {
                        self.policy.kinds.insert(
                            decl.name.name.clone(),
                            Kind {
                                label: decl.label.as_ref().map(|l| l.value.clone()),
                                loc: decl.name.loc.clone(),
                            },
                        );
                    }
                }
                Item::Setting(setting) => self.declare_setting(setting),
                Item::Scope(scope) => self.declare_scope(scope),
                Item::Include(_) | Item::Override(_) => {}
            }
        }
        self.check_shared_names();
    }

    fn declare_setting(&mut self, decl: &ast::SettingDecl) {
        if let Some(first) = self.policy.settings.get(&decl.name.name) {
            self.report(duplicate("setting", &decl.name, &first.loc));
            return;
        }
        let mut values: IndexMap<String, SettingValue> = IndexMap::new();
        for v in &decl.values {
            if let Some(first) = values.get(&v.name.name) {
                let first = first.loc.clone();
                self.report(duplicate("setting value", &v.name, &first));
                continue;
            }
            values.insert(
                v.name.name.clone(),
                SettingValue {
                    label: v.label.as_ref().map(|l| l.value.clone()),
                    loc: v.name.loc.clone(),
                },
            );
        }
        if values.len() < 2 {
            self.report(ResolveError::Invalid {
                message: format!(
                    "setting `{}` has {} value{}: a setting chooses one of at least two",
                    decl.name.name,
                    values.len(),
                    if values.len() == 1 { "" } else { "s" }
                ),
                loc: decl.name.loc.clone(),
                label: "declared here".to_string(),
                help: "list its values, one `value NAME \"Label\"` line each; for a yes/no switch declare a `fact`".to_string(),
            });
            return;
        }
        let mut defaults = decl.defaults.iter();
        let Some(default) = defaults.next() else {
            self.report(ResolveError::Invalid {
                message: format!("setting `{}` has no default value", decl.name.name),
                loc: decl.name.loc.clone(),
                label: "declared here".to_string(),
                help: format!(
                    "add `default VALUE` inside its braces: the value a request that does not give `{}` has",
                    decl.name.name
                ),
            });
            return;
        };
        for again in defaults {
            self.report(ResolveError::Invalid {
                message: format!("setting `{}` has a second default", decl.name.name),
                loc: again.loc.clone(),
                label: "second default".to_string(),
                help: format!(
                    "keep one `default` line (the first is `default {}`)",
                    default.name
                ),
            });
        }
        let Some(default_index) = values.get_index_of(&default.name) else {
            let help = suggest_within(
                &default.name,
                values.keys().map(String::as_str),
                "value",
                &format!("setting `{}`", decl.name.name),
                &self.suggestions,
            );
            self.report(ResolveError::Unknown {
                what: NameKind::SettingValue,
                name: default.name.clone(),
                context: format!(" of setting `{}`", decl.name.name),
                loc: default.loc.clone(),
                help,
            });
            return;
        };
        self.policy.settings.insert(
            decl.name.name.clone(),
            Setting {
                label: decl.label.as_ref().map(|l| l.value.clone()),
                atoms: vec![None; values.len()],
                values,
                default: default_index,
                loc: decl.name.loc.clone(),
            },
        );
    }

    /// Facts, kinds and settings are named alike in a request's `context`
    /// and in conditions: one name may be only one of them.
    fn check_shared_names(&mut self) {
        let mut clashes = Vec::new();
        for (name, setting) in &self.policy.settings {
            if let Some(fact) = self.policy.facts.get(name) {
                clashes.push((
                    name.clone(),
                    "setting",
                    setting.loc.clone(),
                    "fact",
                    fact.loc.clone(),
                ));
            }
            if let Some(kind) = self.policy.kinds.get(name) {
                clashes.push((
                    name.clone(),
                    "setting",
                    setting.loc.clone(),
                    "kind",
                    kind.loc.clone(),
                ));
            }
        }
        for (name, kind) in &self.policy.kinds {
            if let Some(fact) = self.policy.facts.get(name) {
                clashes.push((
                    name.clone(),
                    "kind",
                    kind.loc.clone(),
                    "fact",
                    fact.loc.clone(),
                ));
            }
        }
        for (name, what, loc, other, first) in clashes {
            self.report(ResolveError::Invalid {
                message: format!("`{name}` is declared as a {what} and as a {other}"),
                loc,
                label: format!("{what} `{name}`"),
                help: format!(
                    "a name is one thing in a request and in conditions: rename the {what} or the {other} (declared at {})",
                    first.file_line()
                ),
            });
        }
    }

    /// Numbers the condition variables: facts, then settings' values, then kinds.
    fn number_atoms(&mut self) {
        let policy = &mut self.policy;
        let mut atoms: Vec<Atom> = policy
            .facts
            .keys()
            .enumerate()
            .map(|(f, name)| Atom {
                var: Var::Fact(f),
                text: name.clone(),
                assignment: name.clone(),
            })
            .collect();
        for (s, (name, setting)) in policy.settings.iter_mut().enumerate() {
            for (v, value) in setting.values.keys().enumerate() {
                if v == setting.default {
                    continue;
                }
                if let Some(slot) = setting.atoms.get_mut(v) {
                    *slot = Some(atoms.len());
                }
                atoms.push(Atom {
                    var: Var::Value {
                        setting: s,
                        value: v,
                    },
                    text: format!("{name} is {value}"),
                    assignment: format!("{name}={value}"),
                });
            }
        }
        for (k, name) in policy.kinds.keys().enumerate() {
            atoms.push(Atom {
                var: Var::Kind(k),
                text: format!("kind is {name}"),
                assignment: format!("kind={name}"),
            });
        }
        for (k, name) in policy.kinds.keys().enumerate() {
            atoms.push(Atom {
                var: Var::TargetKind(k),
                text: format!("target kind is {name}"),
                assignment: format!("target_kind={name}"),
            });
        }
        policy.atoms = atoms;
    }

    fn declare_scope(&mut self, decl: &ast::ScopeDecl) {
        if let Some(first) = self.policy.scopes.get(&decl.name.name) {
            self.report(duplicate("scope", &decl.name, &first.loc));
            return;
        }
        let mut scope = Scope {
            label: decl.label.as_ref().map(|l| l.value.clone()),
            loc: decl.name.loc.clone(),
            roles: IndexMap::new(),
            actions: IndexMap::new(),
            sections: Vec::new(),
            defaults: Vec::new(),
            kind_defaults: IndexMap::new(),
            assignable: IndexMap::new(),
            groups: IndexMap::new(),
            everyone: None,
            limits: Vec::new(),
            advice: Vec::new(),
            notes: Vec::new(),
        };
        let names_everyone = scope_items(decl).iter().any(|(_, item)| {
            matches!(item, ScopeItem::Rule(rule)
                if rule.roles.iter().any(|r| r.scope.is_none() && r.name.name == EVERYONE))
        });
        if names_everyone {
            // Index 0, so that the table shows the no-role column first and
            // the gathering pass (parents first) reaches it before any role.
            scope.roles.insert(
                EVERYONE.to_string(),
                Role {
                    label: Some("Everyone (no role)".to_string()),
                    parents: Vec::new(),
                    parent_locs: Vec::new(),
                    loc: decl.name.loc.clone(),
                },
            );
            scope.everyone = Some(0);
        }
        let mut section_locs: Vec<Loc> = Vec::new();
        for item in &decl.items {
            if let ScopeItem::Section(section) = item {
                if let Some(at) = scope
                    .sections
                    .iter()
                    .position(|s| *s == section.label.value)
                {
                    if let Some(first) = section_locs.get(at) {
                        self.report(ResolveError::Duplicate {
                            what: "section",
                            name: section.label.value.clone(),
                            loc: section.label.loc.clone(),
                            first: first.clone(),
                        });
                    }
                } else {
                    scope.sections.push(section.label.value.clone());
                    section_locs.push(section.label.loc.clone());
                }
            }
        }
        for (section, item) in scope_items(decl) {
            match item {
                ScopeItem::Role(role) => {
                    if role.name.name == EVERYONE {
                        self.report(reserved_everyone("role", &role.name.loc));
                    } else if let Some(first) = scope.roles.get(&role.name.name) {
                        self.report(duplicate("role", &role.name, &first.loc));
                    } else {
                        scope.roles.insert(
                            role.name.name.clone(),
                            Role {
                                label: role.label.as_ref().map(|l| l.value.clone()),
                                parents: Vec::new(),
                                parent_locs: Vec::new(),
                                loc: role.name.loc.clone(),
                            },
                        );
                    }
                }
                ScopeItem::Action(action) => {
                    if let Some(first) = scope.actions.get(&action.name.name) {
                        self.errors
                            .push(duplicate("action", &action.name, &first.loc));
                    } else {
                        let section =
                            section.and_then(|s| scope.sections.iter().position(|x| *x == s.value));
                        scope.actions.insert(
                            action.name.name.clone(),
                            Action {
                                label: action.label.as_ref().map(|l| l.value.clone()),
                                targeted: action.target.is_some(),
                                section,
                                loc: action.name.loc.clone(),
                            },
                        );
                    }
                }
                ScopeItem::Note(note) => scope.notes.push(note.value.clone()),
                _ => {}
            }
        }
        self.policy.scopes.insert(decl.name.name.clone(), scope);
    }

    // ------------------------------------------------------------ pass 2: references

    fn bind(&mut self, items: &[&Item]) {
        for item in items {
            match item {
                Item::Scope(scope) => {
                    // A duplicate scope was reported; binding its body would only echo errors.
                    let is_first = self.policy.scopes.get(&scope.name.name).is_some_and(|s| {
                        s.loc.start == scope.name.loc.start
                            && std::sync::Arc::ptr_eq(&s.loc.src, &scope.name.loc.src)
                    });
                    if is_first {
                        self.bind_scope(scope);
                    }
                }
                Item::Override(o) => self.bind_override(o),
                _ => {}
            }
        }
    }

    fn bind_scope(&mut self, decl: &ast::ScopeDecl) {
        let Some(scope_index) = self.policy.scopes.get_index_of(&decl.name.name) else {
            return;
        };
        // Groups first: a rule may name a group declared after it.
        for item in &decl.items {
            match item {
                ScopeItem::Group(g) => {
                    let actions: Vec<ast::Ident> = g.actions.clone();
                    let label = g.label.as_ref().map(|l| l.value.clone());
                    self.bind_group(scope_index, &g.name, label, &actions, &g.loc);
                }
                ScopeItem::Section(section) => {
                    if let Some(name) = &section.name {
                        let actions: Vec<ast::Ident> = section
                            .items
                            .iter()
                            .filter_map(|i| match i {
                                ScopeItem::Action(a) => Some(a.name.clone()),
                                _ => None,
                            })
                            .collect();
                        let label = Some(section.label.value.clone());
                        self.bind_group(scope_index, name, label, &actions, &section.loc);
                    }
                }
                _ => {}
            }
        }
        for (_, item) in scope_items(decl) {
            match item {
                ScopeItem::Role(role) => {
                    let (parents, parent_locs): (Vec<usize>, Vec<Loc>) = role
                        .parents
                        .iter()
                        .filter_map(|p| {
                            self.role_in(scope_index, p, Use::Inherit)
                                .map(|id| (id, p.loc.clone()))
                        })
                        .unzip();
                    if let Some(r) = self
                        .policy
                        .scopes
                        .get_index_mut(scope_index)
                        .and_then(|(_, s)| s.roles.get_mut(&role.name.name))
                        .filter(|r| r.loc == role.name.loc && r.loc.start == role.name.loc.start)
                    {
                        r.parents = parents;
                        r.parent_locs = parent_locs;
                    }
                }
                ScopeItem::Rule(rule) => self.bind_rule(scope_index, rule),
                ScopeItem::Default(default) => self.bind_default(scope_index, default),
                ScopeItem::Assignable(a) => self.bind_assignable(scope_index, a),
                ScopeItem::Limit(limit) => self.bind_limit(scope_index, limit),
                ScopeItem::Advise(advise) => self.bind_advise(scope_index, advise),
                ScopeItem::Action(_)
                | ScopeItem::Note(_)
                | ScopeItem::Section(_)
                | ScopeItem::Group(_) => {}
            }
        }
    }

    fn scope_name(&self, scope: usize) -> String {
        self.policy
            .scopes
            .get_index(scope)
            .map(|(n, _)| n.clone())
            .unwrap_or_default()
    }

    /// Binds a role reference made inside `scope`; `verb` says what for.
    fn role_in(&mut self, scope: usize, r: &NameRef, verb: Use) -> Option<usize> {
        if r.name.name == EVERYONE && verb != Use::Rule {
            self.report(ResolveError::Invalid {
                message: "`everyone` is not a role one can inherit, hold or join as".to_string(),
                loc: r.loc.clone(),
                label: "only a rule's roles may name `everyone`".to_string(),
                help: "every role already inherits the rules for `everyone`; name a declared role here"
                    .to_string(),
            });
            return None;
        }
        self.member_in(scope, r, Member::Role, verb)
    }

    /// Binds `group NAME = actions` (or a named section) of `scope`.
    fn bind_group(
        &mut self,
        scope: usize,
        name: &ast::Ident,
        label: Option<String>,
        actions: &[ast::Ident],
        loc: &Loc,
    ) {
        let Some((_, sc)) = self.policy.scopes.get_index(scope) else {
            return;
        };
        if let Some(first) = sc.groups.get(&name.name) {
            self.report(duplicate("group", name, &first.loc));
            return;
        }
        if let Some(action) = sc.actions.get(&name.name) {
            self.report(ResolveError::Duplicate {
                what: "action or group",
                name: name.name.clone(),
                loc: name.loc.clone(),
                first: action.loc.clone(),
            });
            return;
        }
        if actions.is_empty() {
            self.report(ResolveError::Invalid {
                message: format!("group `{}` has no action", name.name),
                loc: loc.clone(),
                label: "an empty group".to_string(),
                help: "a group names at least one action of its scope".to_string(),
            });
            return;
        }
        let mut indexes = Vec::with_capacity(actions.len());
        let mut ok = true;
        for a in actions {
            if let Some(first) = actions
                .iter()
                .take_while(|x| !std::ptr::eq(*x, a))
                .find(|x| x.name == a.name)
            {
                self.report(duplicate("group member", a, &first.loc));
                ok = false;
                continue;
            }
            let r = NameRef {
                scope: None,
                name: a.clone(),
                loc: a.loc.clone(),
            };
            match self.member_in(scope, &r, Member::Action, Use::Other) {
                Some(i) => indexes.push(i),
                None => ok = false,
            }
        }
        if !ok {
            return;
        }
        if let Some((_, sc)) = self.policy.scopes.get_index_mut(scope) {
            sc.groups.insert(
                name.name.clone(),
                Group {
                    label,
                    actions: indexes,
                    loc: name.loc.clone(),
                },
            );
        }
    }

    fn member_in(&mut self, scope: usize, r: &NameRef, member: Member, verb: Use) -> Option<usize> {
        let scope_name = self.scope_name(scope);
        let what = member.what();
        if let Some(qualifier) = &r.scope {
            if qualifier.name != scope_name {
                if !self.policy.scopes.contains_key(&qualifier.name) {
                    self.report(ResolveError::Unknown {
                        what: NameKind::Scope,
                        name: qualifier.name.clone(),
                        context: String::new(),
                        loc: qualifier.loc.clone(),
                        help: self.suggest_scope(&qualifier.name),
                    });
                    return None;
                }
                let help = if verb == Use::Inherit {
                    "a role inherits only roles of its own scope; to give holders of a role in another scope a role here, write an override: `other.role joins this_scope as role`".to_string()
                } else {
                    format!(
                        "a rule in scope `{scope_name}` names roles and actions of `{scope_name}` only; write the rule in scope `{}`, or use an override to carry a role across scopes",
                        qualifier.name
                    )
                };
                self.report(ResolveError::WrongScope {
                    what: what.noun(),
                    name: r.display(),
                    other: qualifier.name.clone(),
                    scope: scope_name,
                    loc: r.loc.clone(),
                    help,
                });
                return None;
            }
        }
        let found = self
            .policy
            .scopes
            .get_index(scope)
            .and_then(|(_, s)| match member {
                Member::Role => s.roles.get_index_of(&r.name.name),
                Member::Action => s.actions.get_index_of(&r.name.name),
            });
        if found.is_some() {
            return found;
        }
        // Is it declared in another scope? Say so: it is the likely mistake.
        let elsewhere = self.policy.scopes.iter().find_map(|(name, s)| {
            let has = match member {
                Member::Role => s.roles.contains_key(&r.name.name),
                Member::Action => s.actions.contains_key(&r.name.name),
            };
            has.then(|| name.clone())
        });
        if let Some(other) = elsewhere {
            let help = if verb == Use::Inherit {
                format!(
                    "`{}` is a role of scope `{other}`; a role inherits only roles of its own scope. To carry a role across scopes, write an override: `{other}.{} joins {scope_name} as ROLE`",
                    r.name.name, r.name.name
                )
            } else {
                format!(
                    "`{}` is declared in scope `{other}`; a rule names roles and actions of its own scope",
                    r.name.name
                )
            };
            self.report(ResolveError::WrongScope {
                what: what.noun(),
                name: r.name.name.clone(),
                other,
                scope: scope_name,
                loc: r.loc.clone(),
                help,
            });
            return None;
        }
        if self.counting_only(what.unknown_code()) {
            self.report(ResolveError::Unknown {
                what,
                name: String::new(),
                context: String::new(),
                loc: r.name.loc.clone(),
                help: String::new(),
            });
            return None;
        }
        let candidates: Box<dyn Iterator<Item = &str>> =
            match (self.policy.scopes.get_index(scope), member) {
                (Some((_, s)), Member::Role) => Box::new(s.roles.keys().map(String::as_str)),
                (Some((_, s)), Member::Action) => Box::new(s.actions.keys().map(String::as_str)),
                (None, _) => Box::new(std::iter::empty()),
            };
        let help = suggest_within(
            &r.name.name,
            candidates,
            what.noun(),
            &format!("scope `{scope_name}`"),
            &self.suggestions,
        );
        self.report(ResolveError::Unknown {
            what,
            name: r.name.name.clone(),
            context: format!(" in scope `{scope_name}`"),
            loc: r.name.loc.clone(),
            help,
        });
        None
    }

    fn role_ident(&mut self, scope: usize, ident: &ast::Ident) -> Option<usize> {
        let r = NameRef {
            scope: None,
            name: ident.clone(),
            loc: ident.loc.clone(),
        };
        self.role_in(scope, &r, Use::Other)
    }

    fn kind(&mut self, ident: &ast::Ident) -> Option<usize> {
        let found = self.policy.kinds.get_index_of(&ident.name);
        if found.is_none() {
            let candidates = self.policy.kinds.keys().map(String::as_str);
            let mut help = suggest_within(
                &ident.name,
                candidates,
                "kind",
                "the policy",
                &self.suggestions,
            );
            if self.policy.kinds.is_empty() {
                help = format!(
                    "declare it at the top level: `kind {} \"Label\"`",
                    ident.name
                );
            }
            self.report(ResolveError::Unknown {
                what: NameKind::Kind,
                name: ident.name.clone(),
                context: String::new(),
                loc: ident.loc.clone(),
                help,
            });
        }
        found
    }

    fn suggest_scope(&self, name: &str) -> String {
        let candidates = self.policy.scopes.keys().map(String::as_str);
        suggest_within(name, candidates, "scope", "the policy", &self.suggestions)
    }

    fn bind_rule(&mut self, scope: usize, rule: &ast::Rule) {
        let roles: Vec<Option<usize>> = rule
            .roles
            .iter()
            .map(|r| self.role_in(scope, r, Use::Rule))
            .collect();
        let mut actions: Vec<Option<usize>> = Vec::with_capacity(rule.actions.len());
        let mut groups: Vec<usize> = Vec::new();
        for a in &rule.actions {
            let group = (a.scope.is_none()
                || a.scope.as_ref().map(|q| &q.name) == Some(&self.scope_name(scope)))
            .then(|| {
                self.policy
                    .scopes
                    .get_index(scope)
                    .and_then(|(_, s)| s.groups.get_full(&a.name.name))
                    .map(|(g, _, group)| (g, group.actions.clone()))
            })
            .flatten();
            match group {
                // A group means its actions written out, each once.
                Some((g, members)) => {
                    groups.push(g);
                    for m in members {
                        if !actions.contains(&Some(m)) {
                            actions.push(Some(m));
                        }
                    }
                }
                None => actions.push(self.member_in(scope, a, Member::Action, Use::Rule)),
            }
        }
        // `target kind is` reads a target: only a rule of targeted actions has one.
        self.in_targeted_rule = self.policy.scopes.get_index(scope).is_some_and(|(_, sc)| {
            actions
                .iter()
                .flatten()
                .all(|&a| sc.actions.get_index(a).is_some_and(|(_, x)| x.targeted))
        }) && actions.iter().all(Option::is_some);
        let condition = rule.condition.as_ref().and_then(|c| self.condition(c));
        self.in_targeted_rule = false;
        let target = rule
            .target
            .as_ref()
            .map(|t| self.target(scope, t, &actions));
        if roles.iter().chain(&actions).any(Option::is_none)
            || (rule.condition.is_some() && condition.is_none())
            || matches!(target, Some(None))
        {
            return;
        }
        self.policy.rules.push(Rule {
            effect: rule.effect,
            forbid: rule.forbid,
            scope,
            roles: roles.into_iter().flatten().collect(),
            actions: actions.into_iter().flatten().collect(),
            groups,
            written: rule.actions.len(),
            target: target.flatten(),
            condition,
            line: rule.loc.line(),
            loc: rule.loc.clone(),
        });
    }

    /// Binds a rule's `on …` clause: every action it names must be
    /// targeted, and its roles are roles of the scope (or `everyone`).
    fn target(
        &mut self,
        scope: usize,
        clause: &ast::TargetClause,
        actions: &[Option<usize>],
    ) -> Option<Target> {
        let mut ok = true;
        let plain: Vec<String> = self
            .policy
            .scopes
            .get_index(scope)
            .map(|(_, sc)| {
                actions
                    .iter()
                    .flatten()
                    .filter_map(|&a| sc.actions.get_index(a))
                    .filter(|(_, action)| !action.targeted)
                    .map(|(name, _)| name.clone())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(first) = plain.first() {
            ok = false;
            self.report(ResolveError::Invalid {
                message: format!(
                    "`on {}` names targets, but action `{first}` is not aimed at a participant",
                    clause.canonical()
                ),
                loc: clause.loc.clone(),
                label: "only a targeted action has targets".to_string(),
                help: format!(
                    "declare it `action {first} … on participant` if a request names whom it is done to, or remove `on …`"
                ),
            });
        }
        let mut roles = Vec::with_capacity(clause.roles.len());
        for sel in &clause.roles {
            roles.push(match sel {
                ast::TargetSel::Below => TargetRole::Below,
                ast::TargetSel::AtOrBelow => TargetRole::AtOrBelow,
                ast::TargetSel::Above => TargetRole::Above,
                ast::TargetSel::Role { name, exact } if name.name == EVERYONE => {
                    TargetRole::Everyone { exact: *exact }
                }
                ast::TargetSel::Role { name, exact } => match self.role_ident(scope, name) {
                    Some(role) => TargetRole::Role {
                        role,
                        exact: *exact,
                    },
                    None => {
                        ok = false;
                        continue;
                    }
                },
            });
        }
        ok.then(|| Target {
            who: clause.who,
            roles,
            text: clause.canonical(),
        })
    }

    fn condition(&mut self, expr: &Expr) -> Option<Condition> {
        let resolved = self.expr(expr)?;
        Some(Condition {
            expr: resolved,
            text: expr.canonical(),
            loc: expr.loc().clone(),
        })
    }

    fn expr(&mut self, expr: &Expr) -> Option<Cond> {
        match expr {
            Expr::Fact(ident) => match self.policy.facts.get_index_of(&ident.name) {
                Some(f) => Some(Cond::Fact(f)),
                None => {
                    let candidates = self.policy.facts.keys().map(String::as_str);
                    let offered = suggestion_within(&ident.name, candidates, &self.suggestions);
                    let help = if offered.is_match() {
                        offered.render("fact", "the policy")
                    } else {
                        format!(
                            "declare it at the top level: `fact {} \"Label\"`; conditions read declared facts only",
                            ident.name
                        )
                    };
                    self.report(ResolveError::Unknown {
                        what: NameKind::Fact,
                        name: ident.name.clone(),
                        context: String::new(),
                        loc: ident.loc.clone(),
                        help,
                    });
                    None
                }
            },
            Expr::Setting(setting, values, _) => self.setting_test(setting, values),
            Expr::Kind(kinds, _) => {
                let atoms: Option<Vec<Cond>> = kinds
                    .iter()
                    .map(|k| {
                        let k = self.kind(k)?;
                        self.policy.kind_atom(k).map(Cond::Fact)
                    })
                    .collect();
                Some(any_of(atoms?))
            }
            Expr::TargetKind(kinds, loc) => {
                if !self.in_targeted_rule {
                    self.report(ResolveError::Invalid {
                        message: "`target kind is` is about a targeted action's target".to_string(),
                        loc: loc.clone(),
                        label: "no target here".to_string(),
                        help: "test the target's kind in a rule whose actions are all declared `on participant`"
                            .to_string(),
                    });
                    return None;
                }
                let atoms: Option<Vec<Cond>> = kinds
                    .iter()
                    .map(|k| {
                        let k = self.kind(k)?;
                        self.policy.target_kind_atom(k).map(Cond::Fact)
                    })
                    .collect();
                Some(any_of(atoms?))
            }
            Expr::Bool(b, _) => Some(Cond::Const(*b)),
            Expr::Not(inner, _) => Some(Cond::Not(Box::new(self.expr(inner)?))),
            Expr::And(items, _) | Expr::Or(items, _) => {
                let resolved: Vec<Option<Cond>> = items.iter().map(|e| self.expr(e)).collect();
                let resolved: Option<Vec<Cond>> = resolved.into_iter().collect();
                let resolved = resolved?;
                Some(if matches!(expr, Expr::And(..)) {
                    Cond::And(resolved)
                } else {
                    Cond::Or(resolved)
                })
            }
        }
    }

    /// `setting is v1, v2`: one of the values' variables, the default's being
    /// "none of the others".
    fn setting_test(&mut self, setting: &ast::Ident, values: &[ast::Ident]) -> Option<Cond> {
        let Some(s) = self.policy.settings.get_index_of(&setting.name) else {
            let help = if self.policy.facts.contains_key(&setting.name) {
                format!(
                    "`{}` is a fact, true or false: test it alone (`when {}`), not with `is`",
                    setting.name, setting.name
                )
            } else {
                let candidates = self.policy.settings.keys().map(String::as_str);
                let offered = suggestion_within(&setting.name, candidates, &self.suggestions);
                if offered.is_match() {
                    offered.render("setting", "the policy")
                } else {
                    format!(
                        "declare it at the top level: `setting {} {{ value a  value b  default a }}`",
                        setting.name
                    )
                }
            };
            self.report(ResolveError::Unknown {
                what: NameKind::Setting,
                name: setting.name.clone(),
                context: String::new(),
                loc: setting.loc.clone(),
                help,
            });
            return None;
        };
        let declared = self.policy.settings.get_index(s)?.1.clone();
        let mut picked: Vec<usize> = Vec::new();
        let mut unknown = Vec::new();
        for v in values {
            match declared.values.get_index_of(&v.name) {
                Some(i) => picked.push(i),
                None => unknown.push(v.clone()),
            }
        }
        for v in unknown {
            let help = format!(
                "setting `{}` takes one of: {}",
                setting.name,
                declared
                    .values
                    .keys()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.report(ResolveError::Unknown {
                what: NameKind::SettingValue,
                name: v.name.clone(),
                context: format!(" of setting `{}`", setting.name),
                loc: v.loc.clone(),
                help,
            });
        }
        if picked.len() != values.len() {
            return None;
        }
        let atom = |v: usize| declared.atoms.get(v).copied().flatten();
        if picked.contains(&declared.default) {
            // The default holds when no value outside `picked` does.
            let others: Vec<Cond> = (0..declared.values.len())
                .filter(|v| !picked.contains(v))
                .filter_map(|v| atom(v).map(Cond::Fact))
                .collect();
            Some(if others.is_empty() {
                Cond::Const(true)
            } else {
                Cond::Not(Box::new(any_of(others)))
            })
        } else {
            Some(any_of(
                picked
                    .into_iter()
                    .filter_map(|v| atom(v).map(Cond::Fact))
                    .collect(),
            ))
        }
    }

    fn scope_mut(&mut self, scope: usize) -> Option<&mut Scope> {
        self.policy.scopes.get_index_mut(scope).map(|(_, s)| s)
    }

    fn bind_default(&mut self, scope: usize, d: &ast::DefaultDecl) {
        let kind = match &d.kind {
            Some(k) => match self.kind(k) {
                Some(k) => Some(k),
                None => return,
            },
            None => None,
        };
        let role = match &d.role {
            Some(r) => match self.role_ident(scope, r) {
                Some(r) => Some(r),
                None => return,
            },
            None => None,
        };
        let condition = match &d.condition {
            Some(c) => match self.condition(c) {
                Some(c) => Some(c),
                None => return,
            },
            None => None,
        };
        let value = DefaultRole {
            role,
            condition,
            loc: d.loc.clone(),
        };
        let Some(s) = self.scope_mut(scope) else {
            return;
        };
        let list = match kind {
            Some(k) => s.kind_defaults.entry(k).or_default(),
            None => &mut s.defaults,
        };
        let fallback = list
            .iter()
            .find(|p| p.condition.is_none())
            .map(|p| p.loc.clone());
        match fallback {
            // Two unconditional defaults: the duplicate it always was.
            Some(first) if value.condition.is_none() => {
                let what = if kind.is_some() {
                    "default for this kind"
                } else {
                    "default"
                };
                self.report(ResolveError::Duplicate {
                    what,
                    name: d
                        .kind
                        .as_ref()
                        .map_or_else(|| "role".to_string(), |k| k.name.clone()),
                    loc: d.loc.clone(),
                    first,
                });
            }
            Some(first) => self.report(unreachable_after("default", &d.loc, &first)),
            None => list.push(value),
        }
    }

    fn bind_assignable(&mut self, scope: usize, a: &ast::AssignableDecl) {
        let kind = self.kind(&a.kind);
        let roles: Vec<Option<usize>> = a.roles.iter().map(|r| self.role_ident(scope, r)).collect();
        let (Some(kind), Some(roles)) = (kind, roles.into_iter().collect::<Option<Vec<usize>>>())
        else {
            return;
        };
        let condition = match &a.condition {
            Some(c) => match self.condition(c) {
                Some(c) => Some(c),
                None => return,
            },
            None => None,
        };
        let Some(s) = self.scope_mut(scope) else {
            return;
        };
        let list = s.assignable.entry(kind).or_default();
        let fallback = list
            .iter()
            .find(|p| p.condition.is_none())
            .map(|p| p.loc.clone());
        match fallback {
            Some(first) if condition.is_none() => self.report(ResolveError::Duplicate {
                what: "assignable list for kind",
                name: a.kind.name.clone(),
                loc: a.loc.clone(),
                first,
            }),
            Some(first) => self.report(unreachable_after("assignable list", &a.loc, &first)),
            None => list.push(Assignable {
                roles,
                condition,
                loc: a.loc.clone(),
            }),
        }
    }

    fn bind_limit(&mut self, scope: usize, l: &ast::LimitDecl) {
        let Some(role) = self.role_ident(scope, &l.role) else {
            return;
        };
        if let ast::Cardinality::Between { min, max } = l.cardinality {
            if min > max {
                self.report(ResolveError::Invalid {
                    message: format!("empty range: between {min} and {max}"),
                    loc: l.loc.clone(),
                    label: "no count satisfies this".to_string(),
                    help: "write the smaller bound first".to_string(),
                });
                return;
            }
        }
        let Some(s) = self.scope_mut(scope) else {
            return;
        };
        if let Some(first) = s
            .limits
            .iter()
            .find(|x| x.role == role)
            .map(|x| x.loc.clone())
        {
            self.report(ResolveError::Duplicate {
                what: "limit for role",
                name: l.role.name.clone(),
                loc: l.loc.clone(),
                first,
            });
            return;
        }
        s.limits.push(Limit {
            role,
            cardinality: l.cardinality,
            loc: l.loc.clone(),
        });
    }

    fn bind_advise(&mut self, scope: usize, a: &ast::AdviseDecl) {
        let Some(role) = self.role_ident(scope, &a.role) else {
            return;
        };
        if a.per_min > a.per_max || a.count == 0 || a.per_min == 0 {
            self.report(ResolveError::Invalid {
                message: "this advice describes no staffing".to_string(),
                loc: a.loc.clone(),
                label: if a.count == 0 || a.per_min == 0 {
                    "counts must be at least 1".to_string()
                } else {
                    format!("{} is more than {}", a.per_min, a.per_max)
                },
                help: "write `advise N role per MIN to MAX participants` with 1 ≤ MIN ≤ MAX"
                    .to_string(),
            });
            return;
        }
        let Some(s) = self.scope_mut(scope) else {
            return;
        };
        s.advice.push(Advice {
            count: a.count,
            role,
            per_min: a.per_min,
            per_max: a.per_max,
            label: a.label.as_ref().map(|l| l.value.clone()),
            loc: a.loc.clone(),
        });
    }

    fn bind_override(&mut self, o: &ast::OverrideDecl) {
        let target_scope = match self.policy.scopes.get_index_of(&o.scope.name) {
            Some(s) => Some(s),
            None => {
                self.report(ResolveError::Unknown {
                    what: NameKind::Scope,
                    name: o.scope.name.clone(),
                    context: String::new(),
                    loc: o.scope.loc.clone(),
                    help: self.suggest_scope(&o.scope.name),
                });
                None
            }
        };
        let subject = match &o.subject.scope {
            Some(scope) => match self.policy.scopes.get_index_of(&scope.name) {
                None => {
                    self.report(ResolveError::Unknown {
                        what: NameKind::Scope,
                        name: scope.name.clone(),
                        context: String::new(),
                        loc: scope.loc.clone(),
                        help: self.suggest_scope(&scope.name),
                    });
                    None
                }
                Some(s) => {
                    let plain = NameRef {
                        scope: None,
                        name: o.subject.name.clone(),
                        loc: o.subject.name.loc.clone(),
                    };
                    self.role_in(s, &plain, Use::Other)
                        .map(|role| Subject::Role { scope: s, role })
                }
            },
            None if o.subject.name.name == EVERYONE => Some(Subject::Everyone),
            None => match self.policy.facts.get_index_of(&o.subject.name.name) {
                Some(f) => Some(Subject::Fact(f)),
                None => {
                    let role_scope = self
                        .policy
                        .scopes
                        .iter()
                        .find(|(_, s)| s.roles.contains_key(&o.subject.name.name))
                        .map(|(n, _)| n.clone());
                    let help = match role_scope {
                        Some(scope) => format!(
                            "`{0}` is a role of scope `{scope}`: write `{scope}.{0}` to name the role",
                            o.subject.name.name
                        ),
                        None => format!(
                            "an override applies to holders of a role (`scope.role`) or to a declared fact; declare it with `fact {} \"Label\"`",
                            o.subject.name.name
                        ),
                    };
                    self.report(ResolveError::Unknown {
                        what: NameKind::Fact,
                        name: o.subject.name.name.clone(),
                        context: String::new(),
                        loc: o.subject.loc.clone(),
                        help,
                    });
                    None
                }
            },
        };
        let role = target_scope.and_then(|s| self.role_ident(s, &o.role));
        let condition = o.condition.as_ref().and_then(|c| self.condition(c));
        let (Some(subject), Some(scope), Some(role)) = (subject, target_scope, role) else {
            return;
        };
        if o.condition.is_some() && condition.is_none() {
            return;
        }
        if let Subject::Role { scope: from, .. } = subject {
            if from == scope {
                self.report(ResolveError::Invalid {
                    message: "an override carries a role across scopes, not within one".to_string(),
                    loc: o.loc.clone(),
                    label: "both sides are in the same scope".to_string(),
                    help: "within a scope, make the role inherit the other: `role a : b`"
                        .to_string(),
                });
                return;
            }
        }
        self.policy.overrides.push(Override {
            subject,
            scope,
            role,
            adds: o.adds,
            condition,
            loc: o.loc.clone(),
        });
    }

    // ------------------------------------------------------------ pass 3: cycles

    /// The decision table indexes rules and conditional cells in 30 bits:
    /// a policy beyond that is an error here, never a wrong index later.
    fn check_size(&mut self) {
        let mut cells = 0usize;
        for scope in self.policy.scopes.values() {
            cells = cells.saturating_add(scope.roles.len().saturating_mul(scope.actions.len()));
            // A targeted action also has a cell per (role, target role, self or not).
            let targeted = scope.actions.values().filter(|a| a.targeted).count();
            let grid = scope
                .roles
                .len()
                .saturating_mul(scope.roles.len())
                .saturating_mul(2);
            cells = cells.saturating_add(grid.saturating_mul(targeted));
            if cells > MAX_CELLS {
                self.report(ResolveError::Invalid {
                    message: format!("the decision table would have more than {MAX_CELLS} cells"),
                    loc: scope.loc.clone(),
                    label: "this scope's roles × actions pass the limit".to_string(),
                    help: "a table has one cell per scope, action and role; split the policy"
                        .to_string(),
                });
                break;
            }
        }
        if let Some(rule) = self.policy.rules.get(MAX_CELLS) {
            self.report(ResolveError::Invalid {
                message: format!("a policy may have at most {MAX_CELLS} rules"),
                loc: rule.loc.clone(),
                label: "one rule too many".to_string(),
                help: "split the policy".to_string(),
            });
        }
    }

    fn check_cycles(&mut self) {
        let mut found = Vec::new();
        for (scope_name, scope) in &self.policy.scopes {
            // Iterative DFS with colors; each cycle reported once, from its first role.
            let n = scope.roles.len();
            let mut color = vec![0u8; n];
            // Where each role on the stack is, so a back edge finds its cycle's
            // start at once rather than by a search of the stack.
            let mut depth = vec![0usize; n];
            for start in 0..n {
                if color.get(start) != Some(&0) {
                    continue;
                }
                let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
                if let Some(c) = color.get_mut(start) {
                    *c = 1;
                }
                while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                    let parents = scope.parents_of(node);
                    if let Some(&parent) = parents.get(*next) {
                        *next += 1;
                        match color.get(parent) {
                            Some(0) => {
                                if let Some(c) = color.get_mut(parent) {
                                    *c = 1;
                                }
                                if let Some(d) = depth.get_mut(parent) {
                                    *d = stack.len();
                                }
                                stack.push((parent, 0));
                            }
                            Some(1) => {
                                let at = depth.get(parent).copied().unwrap_or(0);
                                let cycle = stack.get(at..).unwrap_or_default();
                                found.push((scope_name.clone(), CycleShown::of(cycle)));
                            }
                            _ => {}
                        }
                    } else {
                        if let Some(c) = color.get_mut(node) {
                            *c = 2;
                        }
                        stack.pop();
                    }
                }
            }
        }
        for (scope_name, shown) in found {
            self.report_cycle(&scope_name, &shown);
        }
    }

    fn report_cycle(&mut self, scope_name: &str, shown: &CycleShown) {
        let Some(scope) = self.policy.scopes.get(scope_name) else {
            return;
        };
        let mut cycle = Vec::new();
        let mut edges = Vec::new();
        for (i, &(role, next)) in shown.edges.iter().enumerate() {
            if i == shown.head && shown.length > shown.edges.len() {
                cycle.push("…".to_string());
            }
            if let Some((name, r)) = scope.roles.get_index(role) {
                cycle.push(name.clone());
                // Point at the parent reference, wherever the list puts it.
                let at = r
                    .parents
                    .iter()
                    .position(|&p| p == next)
                    .and_then(|i| r.parent_locs.get(i));
                edges.push(at.unwrap_or(&r.loc).clone());
            }
        }
        if let Some(first) = scope.roles.get_index(shown.first).map(|(n, _)| n.clone()) {
            cycle.push(first);
        }
        self.report(ResolveError::Cycle {
            cycle,
            length: shown.length,
            edges,
        });
    }
}

/// Edges of a cycle shown in its diagnostic, at most this many: the first
/// and the last half of them. A cycle through 40,000 roles listed in full
/// took 115 s of CPU to render (a label per edge) and 6 MB of text.
pub const MAX_CYCLE_EDGES_SHOWN: usize = 8;

/// The part of a cycle its diagnostic shows.
struct CycleShown {
    /// Roles in the cycle.
    length: usize,
    /// The role it starts from.
    first: usize,
    /// (role, the parent it inherits next in the cycle), the first `head` of
    /// the cycle and then its last ones.
    edges: Vec<(usize, usize)>,
    head: usize,
}

impl CycleShown {
    /// `stack` holds the cycle's roles in order (with DFS bookkeeping).
    fn of(stack: &[(usize, usize)]) -> CycleShown {
        let length = stack.len();
        let role = |i: usize| stack.get(i).map_or(0, |(r, _)| *r);
        let first = role(0);
        let edge = |i: usize| (role(i), if i + 1 == length { first } else { role(i + 1) });
        let (head, edges) = if length <= MAX_CYCLE_EDGES_SHOWN {
            (length, (0..length).map(edge).collect())
        } else {
            let head = MAX_CYCLE_EDGES_SHOWN / 2;
            let tail = MAX_CYCLE_EDGES_SHOWN - head;
            (
                head,
                (0..head).chain(length - tail..length).map(edge).collect(),
            )
        };
        CycleShown {
            length,
            first,
            edges,
            head,
        }
    }
}

#[derive(Clone, Copy)]
enum Member {
    Role,
    Action,
}

/// What a scope member is named for: the help for a name of another scope
/// differs between an inheritance and a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// `role a inherits b`.
    Inherit,
    /// A rule's roles and actions.
    Rule,
    /// Anywhere else (a default role, an override's subject).
    Other,
}

impl Member {
    fn what(self) -> NameKind {
        match self {
            Member::Role => NameKind::Role,
            Member::Action => NameKind::Action,
        }
    }
}

/// A role or fact named `everyone`: the word stands for every principal.
fn reserved_everyone(what: &str, loc: &Loc) -> ResolveError {
    ResolveError::Invalid {
        message: format!("a {what} cannot be named `everyone`"),
        loc: loc.clone(),
        label: "`everyone` is taken".to_string(),
        help: "in a rule, `everyone` stands for every principal of the scope, with or without a role; choose another name".to_string(),
    }
}

/// A `default` or `assignable` line after an unconditional one of the same
/// key: it could never apply.
fn unreachable_after(what: &str, loc: &Loc, first: &Loc) -> ResolveError {
    ResolveError::Invalid {
        message: format!("this {what} can never apply"),
        loc: loc.clone(),
        label: format!("after the {what} without `when` at line {}", first.line()),
        help: format!(
            "the lines of one kind are tried in order and the one without `when` always applies: put this {what} before it, or remove it"
        ),
    }
}

fn duplicate(what: &'static str, name: &ast::Ident, first: &Loc) -> ResolveError {
    ResolveError::Duplicate {
        what,
        name: name.name.clone(),
        loc: name.loc.clone(),
        first: first.clone(),
    }
}

/// A help line: the closest known name, or the list of known ones.
pub fn suggest(name: &str, candidates: &[&str], what: &str, place: &str) -> String {
    suggestion(name, candidates).render(what, place)
}

/// How much work (characters compared) suggestions may take for one policy,
/// or one request: without a bound, a policy with many thousands of unknown
/// names and as many declared ones would take hours to report.
pub const SUGGESTION_BUDGET: u64 = 30_000_000;

/// Names sharing a word with an unknown one, suggested at most.
const MAX_SHARING: usize = 5;

/// What a help line offers for an unknown name; decisions are taken on this,
/// never on the rendered text, which [`Suggestion::render`] writes in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// One name close to the unknown one.
    Closest(String),
    /// Names sharing a word with the unknown one, most words first.
    Sharing {
        /// The names offered.
        names: Vec<String>,
        /// Whether more shared a word than are offered.
        more: bool,
    },
    /// No name is close: the first known names.
    Known {
        /// The names shown.
        names: Vec<String>,
        /// Whether more are declared than shown.
        more: bool,
    },
    /// Nothing of the kind is declared.
    NoneDeclared,
}

impl Suggestion {
    /// Whether a name is offered as the one meant (rather than a list of all).
    pub fn is_match(&self) -> bool {
        matches!(self, Suggestion::Closest(_) | Suggestion::Sharing { .. })
    }

    /// The help line, `place` speaking of one place (`the policy declares`).
    pub fn render(&self, what: &str, place: &str) -> String {
        self.render_as(what, place, "declares")
    }

    /// The help line, with the verb for `place` given (`declare` for a plural place).
    pub fn render_as(&self, what: &str, place: &str, declares: &str) -> String {
        let quoted =
            |names: &[String]| -> Vec<String> { names.iter().map(|c| format!("`{c}`")).collect() };
        match self {
            Suggestion::Closest(c) => format!("did you mean `{c}`?"),
            Suggestion::Sharing { names, more } => {
                let others = if *more { ", …" } else { "" };
                format!("did you mean one of {}{others}?", quoted(names).join(", "))
            }
            Suggestion::Known { names, more } => {
                let more = if *more { ", …" } else { "" };
                format!("{place} {declares}: {}{more}", quoted(names).join(", "))
            }
            Suggestion::NoneDeclared => format!("{place} {declares} no {what}"),
        }
    }
}

/// The typed suggestion for `name` among `candidates`, with a fresh budget.
pub fn suggestion(name: &str, candidates: &[&str]) -> Suggestion {
    let budget = std::cell::Cell::new(SUGGESTION_BUDGET);
    suggestion_within(name, candidates.iter().copied(), &budget)
}

/// [`suggest`], spending from `budget`. Once it is spent, no name is
/// suggested and the help lists the known names instead; the result is still
/// deterministic, as the work done is counted, not timed.
pub(crate) fn suggest_within<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    what: &str,
    place: &str,
    budget: &std::cell::Cell<u64>,
) -> String {
    suggestion_within(name, candidates, budget).render(what, place)
}

/// [`suggestion`], spending from `budget` (see [`suggest_within`]).
pub(crate) fn suggestion_within<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &std::cell::Cell<u64>,
) -> Suggestion {
    let name_len = name.chars().count();
    let mut best: Option<(usize, &str)> = None;
    // Words of four letters or more: `mute` finds `mute_someone_on_stage`.
    let words: Vec<&str> = name
        .split(['_', '-', '.', ':'])
        .filter(|w| w.chars().count() >= 4)
        .collect();
    let mut sharing: Vec<(usize, &str)> = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    let mut more = false;
    for c in candidates {
        if shown.len() < 12 {
            shown.push(c.to_string());
        } else {
            more = true;
        }
        let left = budget.get();
        if left == 0 {
            if more {
                break;
            }
            continue;
        }
        let c_len = c.chars().count();
        // In bytes, as it always was; names in policies are ASCII anyway.
        let limit = (c.len().max(name.len()) / 3).max(1);
        // The distance is at least the difference in length.
        let cost = if name_len.abs_diff(c_len) > limit {
            c_len as u64 + 1
        } else {
            (c_len as u64 + 1) * (name_len as u64 + 1)
        } + (c_len as u64 + 1) * words.len() as u64;
        if cost > left {
            budget.set(0);
            continue;
        }
        budget.set(left - cost);
        let shared = c.split('_').filter(|w| words.contains(w)).count();
        if shared > 0 {
            sharing.push((shared, c));
        }
        if name_len.abs_diff(c_len) > limit {
            continue;
        }
        let d = edit_distance(name, c);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    if let Some((_, c)) = best {
        return Suggestion::Closest(c.to_string());
    }
    // Most words shared first, then declaration order (the sort is stable).
    sharing.sort_by_key(|&(shared, _)| std::cmp::Reverse(shared));
    match sharing.as_slice() {
        [] => {}
        [(_, c)] => return Suggestion::Closest((*c).to_string()),
        _ => {
            let names: Vec<String> = sharing
                .iter()
                .take(MAX_SHARING)
                .map(|(_, c)| (*c).to_string())
                .collect();
            return Suggestion::Sharing {
                names,
                more: sharing.len() > MAX_SHARING,
            };
        }
    }
    if shown.is_empty() {
        return Suggestion::NoneDeclared;
    }
    Suggestion::Known { names: shown, more }
}

/// Levenshtein distance, for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let value = (above + 1).min(left + 1).min(prev + usize::from(ca != *cb));
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}
