//! The resolved policy: every name bound, every reference an index.
//!
//! Indexes are positions in the `IndexMap`s, so declaration order is kept
//! everywhere and ids are dense.

use indexmap::IndexMap;

use crate::invariant::name_or_missing;
use crate::source::Loc;
use crate::syntax::ast::{Cardinality, Effect};

/// A policy with every name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The name from `policy "…"`, if given.
    pub name: Option<String>,
    /// Where the policy comes from.
    pub sources: Vec<SourceMeta>,
    /// Policy-level notes.
    pub notes: Vec<String>,
    /// Facts, by name.
    pub facts: IndexMap<String, Fact>,
    /// Kinds of principal, by name.
    pub kinds: IndexMap<String, Kind>,
    /// Settings (per event or account, one value each), by name.
    pub settings: IndexMap<String, Setting>,
    /// What each condition variable (`Cond::Fact(i)`) stands for: the facts
    /// first (variable `i` is fact `i`), then each setting's values other
    /// than its default, then each kind. A setting is at its default when
    /// none of its variables is true, so a request or a `FactSet` that says
    /// nothing of a setting reads its default, as a missing fact reads false.
    pub atoms: Vec<Atom>,
    /// Scopes, by name.
    pub scopes: IndexMap<String, Scope>,
    /// Every rule, in declaration order; a rule's id is its position.
    pub rules: Vec<Rule>,
    /// Cross-scope overrides in declaration order.
    pub overrides: Vec<Override>,
}

/// `source "Title" url "…" date "…" lang "…"`
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceMeta {
    /// The title.
    pub title: String,
    /// `url`
    pub url: Option<String>,
    /// `date`
    pub date: Option<String>,
    /// `lang`
    pub lang: Option<String>,
}

/// A declared fact: a boolean supplied with each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Display label.
    pub label: Option<String>,
    /// Declaration.
    pub loc: Loc,
}

/// A declared kind of principal (team member, registrant…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    /// Display label.
    pub label: Option<String>,
    /// Declaration.
    pub loc: Loc,
}

/// A declared setting: one value out of several per request (a meeting's
/// "who can present", an account's type, a plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Display label.
    pub label: Option<String>,
    /// Its values, by name, in declaration order.
    pub values: IndexMap<String, SettingValue>,
    /// The value a request that does not give the setting has.
    pub default: usize,
    /// Per value, its condition variable (`None` for the default, which
    /// holds when no other value's does).
    pub atoms: Vec<Option<usize>>,
    /// Declaration.
    pub loc: Loc,
}

/// One value of a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingValue {
    /// Display label.
    pub label: Option<String>,
    /// Declaration.
    pub loc: Loc,
}

/// A condition variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    /// What it reads.
    pub var: Var,
    /// As a condition writes it: `live`, `plan is team`, `kind is guest`.
    pub text: String,
    /// As `--set` and `would_change` write it: `live`, `plan=team`, `kind=guest`.
    pub assignment: String,
}

/// What a condition variable reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// Fact `i` is true.
    Fact(usize),
    /// The setting has this value (never its default).
    Value {
        /// Setting index.
        setting: usize,
        /// Value index.
        value: usize,
    },
    /// The principal is of this kind.
    Kind(usize),
    /// A targeted action's target is of this kind.
    TargetKind(usize),
}

/// A scope: its roles, actions, and who may hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Display label.
    pub label: Option<String>,
    /// The `scope` block.
    pub loc: Loc,
    /// Roles, by name.
    pub roles: IndexMap<String, Role>,
    /// Actions, by name.
    pub actions: IndexMap<String, Action>,
    /// Section headings, in order; actions point to them.
    pub sections: Vec<String>,
    /// The defaults of a principal holding no role here (when no kind
    /// default applies), in declaration order: the first whose condition
    /// holds applies. Only the last may be unconditional (resolve checks).
    pub defaults: Vec<DefaultRole>,
    /// Per-kind defaults, by kind index, tried like `defaults`.
    pub kind_defaults: IndexMap<usize, Vec<DefaultRole>>,
    /// Per-kind assignable lists, by kind index, in declaration order: the
    /// first whose condition holds is the kind's list; none holding, no list.
    pub assignable: IndexMap<usize, Vec<Assignable>>,
    /// Groups of actions (`group` and named sections), by name.
    pub groups: IndexMap<String, Group>,
    /// The role that stands for `everyone` (index 0), when the scope's
    /// rules name `everyone`: every role inherits its rules at
    /// [`EVERYONE_DISTANCE`], and a principal holding no role here holds it.
    pub everyone: Option<usize>,
    /// Cardinality constraints.
    pub limits: Vec<Limit>,
    /// Staffing advice.
    pub advice: Vec<Advice>,
    /// Scope-level notes.
    pub notes: Vec<String>,
}

/// A role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Display label.
    pub label: Option<String>,
    /// Inherited roles of the same scope, as written.
    pub parents: Vec<usize>,
    /// Where each of `parents` is named (same order), for diagnostics.
    pub parent_locs: Vec<Loc>,
    /// Declaration.
    pub loc: Loc,
}

/// An action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Display label.
    pub label: Option<String>,
    /// Declared `on participant`: aimed at another participant of the
    /// scope, whose roles a request names; its cells are per target role.
    pub targeted: bool,
    /// Index into the scope's sections.
    pub section: Option<usize>,
    /// Declaration.
    pub loc: Loc,
}

/// How far a rule for `everyone` is from every declared role: farther
/// than any inheritance path, so a rule naming a declared role beats it.
pub const EVERYONE_DISTANCE: usize = usize::MAX / 4;

/// A distance as shown to a person and in JSON: `None` for a rule that
/// reaches the role through `everyone` (no inheritance path has that length).
pub fn shown_distance(distance: usize) -> Option<usize> {
    (distance < EVERYONE_DISTANCE).then_some(distance)
}

/// The name `everyone` stands for in rules, overrides and the table.
pub const EVERYONE: &str = "everyone";

/// A named group of actions of one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Display label (a named section's heading).
    pub label: Option<String>,
    /// Action indexes, in the group's order, each once.
    pub actions: Vec<usize>,
    /// Declaration.
    pub loc: Loc,
}

/// A default role, or `none` (no access).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRole {
    /// Role index, `None` for `none`.
    pub role: Option<usize>,
    /// `when …`: it applies only when this holds.
    pub condition: Option<Condition>,
    /// Declaration.
    pub loc: Loc,
}

/// The roles a kind of principal may be assigned in a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignable {
    /// Role indexes (empty for `none`).
    pub roles: Vec<usize>,
    /// `when …`: it is the kind's list only when this holds.
    pub condition: Option<Condition>,
    /// Declaration.
    pub loc: Loc,
}

/// `limit role cardinality`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Role index.
    pub role: usize,
    /// How many may hold it.
    pub cardinality: Cardinality,
    /// Declaration.
    pub loc: Loc,
}

/// `advise N role per MIN to MAX participants`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// How many holders…
    pub count: u64,
    /// …of this role…
    pub role: usize,
    /// …per at least this many participants…
    pub per_min: u64,
    /// …and at most this many.
    pub per_max: u64,
    /// The advice in the source's words.
    pub label: Option<String>,
    /// Declaration.
    pub loc: Loc,
}

/// A resolved rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Allow or deny.
    pub effect: Effect,
    /// `forbid`: a deny that always wins; `effect` is then `Deny`.
    pub forbid: bool,
    /// Scope index.
    pub scope: usize,
    /// Role indexes in the scope, as written.
    pub roles: Vec<usize>,
    /// Action indexes in the scope, as written, groups expanded.
    pub actions: Vec<usize>,
    /// The groups the rule names (indexes in its scope's `groups`), whose
    /// actions `actions` holds: an answer cites the group, as written.
    pub groups: Vec<usize>,
    /// How many names the rule's action list has as written (a group is one).
    pub written: usize,
    /// `on …`: the targets the rule is for (its actions are all targeted);
    /// `None`: every target.
    pub target: Option<Target>,
    /// The `when` condition.
    pub condition: Option<Condition>,
    /// The rule.
    pub loc: Loc,
    /// The 1-based line `loc` starts on, found once: answers cite it on
    /// every decision, and finding it searches the file's line starts.
    pub line: usize,
}

impl Rule {
    /// `file:line`, the form answers and tables cite the rule by.
    pub fn file_line(&self) -> String {
        format!("{}:{}", self.loc.src.name(), self.line)
    }
}

/// A rule's `on …` clause, resolved: the target must be the principal
/// (`self`) or not (`others`) when `who` says so, and its role must match
/// one of `roles` (when there are any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `self` or `others`.
    pub who: Option<crate::syntax::ast::TargetWho>,
    /// Any of these; empty: every role.
    pub roles: Vec<TargetRole>,
    /// The clause as written (canonical spacing, without `on`).
    pub text: String,
}

/// One way a target's role may match, relative to the acting role for ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRole {
    /// The role (index in the scope), or when not `exact` any role inheriting it.
    Role {
        /// Role index.
        role: usize,
        /// Only the role itself.
        exact: bool,
    },
    /// `everyone`: every target, or with `exact` only one holding no role.
    Everyone {
        /// Only a target holding no role (the `everyone` column).
        exact: bool,
    },
    /// A role the acting role inherits (strict ancestor); a target holding no
    /// role is below every declared role.
    Below,
    /// The acting role itself or a role it inherits.
    AtOrBelow,
    /// A role inheriting the acting role (strict descendant).
    Above,
}

/// A condition with its text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The resolved expression.
    pub expr: Cond,
    /// The condition as written, in canonical spacing.
    pub text: String,
    /// Where it is.
    pub loc: Loc,
}

impl Condition {
    /// ` when TEXT` for an optional condition, empty without one: how a
    /// conditional `default` or `assignable` line is keyed in snapshots and diffs.
    pub fn suffix(condition: &Option<Condition>) -> String {
        condition
            .as_ref()
            .map_or_else(String::new, |c| format!(" when {}", c.text))
    }
}

/// A boolean expression over fact indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    /// A fact.
    Fact(usize),
    /// A constant.
    Const(bool),
    /// Negation.
    Not(Box<Cond>),
    /// Conjunction.
    And(Vec<Cond>),
    /// Disjunction.
    Or(Vec<Cond>),
}

impl Cond {
    /// Evaluates with `is_true(fact)` telling each fact's value.
    pub fn eval(&self, is_true: &impl Fn(usize) -> bool) -> bool {
        match self {
            Cond::Fact(f) => is_true(*f),
            Cond::Const(b) => *b,
            Cond::Not(inner) => !inner.eval(is_true),
            Cond::And(items) => items.iter().all(|c| c.eval(is_true)),
            Cond::Or(items) => items.iter().any(|c| c.eval(is_true)),
        }
    }

    /// Every fact it reads, in order of first appearance.
    pub fn facts(&self, out: &mut Vec<usize>) {
        match self {
            Cond::Fact(f) => {
                if !out.contains(f) {
                    out.push(*f);
                }
            }
            Cond::Const(_) => {}
            Cond::Not(inner) => inner.facts(out),
            Cond::And(items) | Cond::Or(items) => items.iter().for_each(|c| c.facts(out)),
        }
    }

    /// Renders with fact names, parenthesised only where needed.
    pub fn render(&self, fact_name: &impl Fn(usize) -> String) -> String {
        self.render_prec(fact_name, 0)
    }

    fn render_prec(&self, fact_name: &impl Fn(usize) -> String, outer: u8) -> String {
        let (text, prec) = match self {
            Cond::Fact(f) => (fact_name(*f), 3),
            Cond::Const(b) => (b.to_string(), 3),
            Cond::Not(inner) => (format!("not {}", inner.render_prec(fact_name, 3)), 3),
            Cond::And(items) => (join(items, " and ", fact_name, 2), 2),
            Cond::Or(items) => (join(items, " or ", fact_name, 1), 1),
        };
        if prec < outer {
            format!("({text})")
        } else {
            text
        }
    }
}

fn join(items: &[Cond], sep: &str, fact_name: &impl Fn(usize) -> String, prec: u8) -> String {
    items
        .iter()
        .map(|c| c.render_prec(fact_name, prec + 1))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Who an override applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Holders of this role (or a role inheriting it) in that scope.
    Role {
        /// Scope index.
        scope: usize,
        /// Role index.
        role: usize,
    },
    /// Principals for whom this fact is true.
    Fact(usize),
    /// Every principal.
    Everyone,
}

/// `subject joins scope as role [when condition]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Who it applies to.
    pub subject: Subject,
    /// Scope index whose effective role it sets.
    pub scope: usize,
    /// Role index it sets.
    pub role: usize,
    /// `also joins`: adds the role to the held ones instead of replacing them.
    pub adds: bool,
    /// Extra condition.
    pub condition: Option<Condition>,
    /// The declaration.
    pub loc: Loc,
}

impl Scope {
    /// The default without `when` of `kind` (`None`: the plain ones): the
    /// one that applies when no conditional one before it does.
    pub fn fallback_default(&self, kind: Option<usize>) -> Option<&DefaultRole> {
        let list = match kind {
            Some(k) => self.kind_defaults.get(&k)?,
            None => &self.defaults,
        };
        list.iter().find(|d| d.condition.is_none())
    }

    /// The `assignable` line without `when` of `kind`.
    pub fn fallback_assignable(&self, kind: usize) -> Option<&Assignable> {
        self.assignable
            .get(&kind)?
            .iter()
            .find(|a| a.condition.is_none())
    }

    /// The roles `kind` may ever be assigned here, whatever the request:
    /// `None` when some request leaves the kind without a list (no line, or
    /// only conditional ones), else the union of its lines.
    pub fn assignable_ever(&self, kind: usize) -> Option<Vec<usize>> {
        let lines = self.assignable.get(&kind)?;
        if lines.iter().all(|a| a.condition.is_some()) {
            return None;
        }
        let mut roles: Vec<usize> = lines.iter().flat_map(|a| a.roles.iter().copied()).collect();
        roles.sort_unstable();
        roles.dedup();
        Some(roles)
    }

    /// Whether role `r` is the one standing for `everyone`.
    pub fn is_everyone(&self, r: usize) -> bool {
        self.everyone == Some(r)
    }
    /// The parents of role `r` (none for an index outside the scope: every
    /// walk over inheritance reads them here).
    pub fn parents_of(&self, r: usize) -> &[usize] {
        self.roles
            .get_index(r)
            .map(|(_, role)| role.parents.as_slice())
            .unwrap_or_default()
    }

    /// Whether a principal of kind `kind` may be assigned role `r` here by
    /// some request: a request giving no kind is not checked (`None`), and a
    /// kind without a list that always applies may be assigned any role.
    pub fn may_assign(&self, kind: Option<usize>, r: usize) -> bool {
        kind.and_then(|k| self.assignable_ever(k))
            .is_none_or(|roles| roles.contains(&r))
    }

    /// The name of role `r`; resolve made every index, so a missing one is
    /// a broken invariant (`invariant::name_or_missing`), not an empty name.
    pub fn role_name(&self, r: usize) -> String {
        name_or_missing(self.roles.get_index(r).map(|(n, _)| n.as_str()), "role").to_string()
    }

    /// The name of action `a` (a missing one is a broken invariant).
    pub fn action_name(&self, a: usize) -> String {
        name_or_missing(self.actions.get_index(a).map(|(n, _)| n.as_str()), "action").to_string()
    }
}

impl Policy {
    /// The name of kind `k` (a missing one is a broken invariant).
    pub fn kind_name(&self, k: usize) -> String {
        name_or_missing(self.kinds.get_index(k).map(|(n, _)| n.as_str()), "kind").to_string()
    }

    /// The display name of a condition variable: a fact's name, or
    /// `plan is team`, `kind is guest`.
    pub fn fact_name(&self, fact: usize) -> String {
        self.atoms
            .get(fact)
            .map_or_else(|| format!("#{fact}"), |a| a.text.clone())
    }

    /// The variables of setting `s`'s values other than its default.
    pub fn setting_atoms(&self, s: usize) -> impl Iterator<Item = usize> + '_ {
        self.settings
            .get_index(s)
            .into_iter()
            .flat_map(|(_, setting)| setting.atoms.iter().flatten().copied())
    }

    /// The variable of kind `k`: the kinds' variables come before the
    /// targets' kinds', which come last, in order.
    pub fn kind_atom(&self, k: usize) -> Option<usize> {
        let first = self.atoms.len().checked_sub(2 * self.kinds.len())?;
        let atom = first.checked_add(k)?;
        (self.atoms.get(atom)?.var == Var::Kind(k)).then_some(atom)
    }

    /// The variable of a targeted action's target being of kind `k`: last.
    pub fn target_kind_atom(&self, k: usize) -> Option<usize> {
        let atom = (self.atoms.len().checked_sub(self.kinds.len())?).checked_add(k)?;
        (self.atoms.get(atom)?.var == Var::TargetKind(k)).then_some(atom)
    }

    /// `scope.role`
    pub fn role_name(&self, scope: usize, role: usize) -> String {
        match self.scopes.get_index(scope) {
            Some((scope_name, s)) => match s.roles.get_index(role) {
                Some((role_name, _)) => format!("{scope_name}.{role_name}"),
                None => format!("{scope_name}.#{role}"),
            },
            None => format!("#{scope}.#{role}"),
        }
    }

    /// An override written back as text.
    pub fn describe_override(&self, o: &Override) -> String {
        let subject = match o.subject {
            Subject::Role { scope, role } => self.role_name(scope, role),
            Subject::Fact(f) => self.fact_name(f),
            Subject::Everyone => EVERYONE.to_string(),
        };
        let target = self.role_name(o.scope, o.role);
        let (scope, role) = target.split_once('.').unwrap_or((&target, ""));
        let also = if o.adds { " also" } else { "" };
        let mut text = format!("{subject}{also} joins {scope} as {role}");
        if let Some(c) = &o.condition {
            text.push_str(" when ");
            text.push_str(&c.text);
        }
        text
    }
}

/// A rule's text on one line, comments dropped: `allow a, b to x when f`.
pub fn rule_summary(rule: &Rule) -> String {
    rule.loc
        .text()
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Policy {
    /// A rule as it bears on one action: `allow a, b to x when f`, with `…`
    /// standing for the other actions it names.
    pub fn rule_for_action(&self, rule: &Rule, action: usize) -> String {
        let Some((_, scope)) = self.scopes.get_index(rule.scope) else {
            return rule_summary(rule);
        };
        let mut text = self.rule_head(rule);
        // The group the rule names the action through, as written.
        let group = rule
            .groups
            .iter()
            .filter_map(|&g| scope.groups.get_index(g))
            .find(|(_, group)| group.actions.contains(&action));
        match group {
            Some((name, _)) => text.push_str(name),
            None => text.push_str(&scope.action_name(action)),
        }
        text.push_str(&rule_tail(rule));
        text
    }

    /// What [`rule_for_action`](Self::rule_for_action) writes before the
    /// action: `allow a, b to `.
    pub fn rule_head(&self, rule: &Rule) -> String {
        let roles: Vec<String> = match self.scopes.get_index(rule.scope) {
            Some((_, scope)) => rule.roles.iter().map(|&r| scope.role_name(r)).collect(),
            None => vec![name_or_missing(None, "scope").to_string()],
        };
        format!(
            "{} {} to ",
            crate::syntax::ast::verb(rule.effect, rule.forbid),
            roles.join(", ")
        )
    }
}

/// What [`Policy::rule_for_action`] writes after the action: `, …` when
/// the rule names others, then ` on target` and ` when condition`.
pub fn rule_tail(rule: &Rule) -> String {
    let mut tail = String::new();
    if rule.written > 1 {
        tail.push_str(", …");
    }
    if let Some(t) = &rule.target {
        tail.push_str(" on ");
        tail.push_str(&t.text);
    }
    if let Some(c) = &rule.condition {
        tail.push_str(" when ");
        tail.push_str(&c.text);
    }
    tail
}
