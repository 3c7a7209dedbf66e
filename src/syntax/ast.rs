//! The syntax tree: what a policy file says, with a location on every node.
//!
//! The tree knows nothing of later stages: names are not yet resolved, and a
//! name that means nothing is still a perfectly good tree.

use crate::source::Loc;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub loc: Loc,
}

/// A reference to a role or action: `name` or `scope.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRef {
    /// The scope, when qualified.
    pub scope: Option<Ident>,
    /// The role or action name.
    pub name: Ident,
    /// The whole reference.
    pub loc: Loc,
}

impl NameRef {
    /// The reference as written: `scope.name` or `name`.
    pub fn display(&self) -> String {
        match &self.scope {
            Some(scope) => format!("{}.{}", scope.name, self.name.name),
            None => self.name.name.clone(),
        }
    }
}

/// A string literal with its escapes decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The decoded text.
    pub value: String,
    /// The literal, quotes included.
    pub loc: Loc,
}

/// A `#` comment, kept aside for the formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The comment text, `#` included.
    pub text: String,
    /// Where it is.
    pub loc: Loc,
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Top-level items in order.
    pub items: Vec<Item>,
    /// Every comment, in order.
    pub comments: Vec<Comment>,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `policy "Name"`
    Policy(Text),
    /// `source "Title" url "…" date "…" lang "fr"`
    Source(SourceDecl),
    /// `note "…"`
    Note(Text),
    /// `include "other.policy"`
    Include(Text),
    /// `fact name "Label"`
    Fact(Decl),
    /// `kind name "Label"`
    Kind(Decl),
    /// `setting name "Label" { value v "Label" … default v }`
    Setting(SettingDecl),
    /// `scope name "Label" { … }`
    Scope(ScopeDecl),
    /// `workspace.admin joins session as organizer`
    Override(OverrideDecl),
}

/// `action name "Label"`, `action mute "Mute someone" on participant`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDecl {
    /// The declared name.
    pub name: Ident,
    /// The display label.
    pub label: Option<Text>,
    /// `on participant`, where written: the action is aimed at another
    /// participant, whose roles a request names.
    pub target: Option<Loc>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `on …` after a rule's actions: the targets of a targeted action it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetClause {
    /// `self` or `others`, when written.
    pub who: Option<TargetWho>,
    /// The roles or ranks the target's role must match (any of them); empty:
    /// every role.
    pub roles: Vec<TargetSel>,
    /// The whole clause, `on` included.
    pub loc: Loc,
}

/// Whether the target is the principal themself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetWho {
    /// `self`: the principal acting on themself.
    Myself,
    /// `others`: anyone but the principal.
    Others,
}

/// One way a target's role may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSel {
    /// `viewer` (the role or a role inheriting it), `viewer exactly`.
    Role {
        /// The role.
        name: Ident,
        /// `exactly`: the role itself only.
        exact: bool,
    },
    /// `below`: a role the acting role inherits (a strict ancestor).
    Below,
    /// `at or below`: the acting role or a role it inherits.
    AtOrBelow,
    /// `above`: a role that inherits the acting role (a strict descendant).
    Above,
}

impl TargetClause {
    /// The clause as written in canonical spacing, without `on`.
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        match self.who {
            Some(TargetWho::Myself) => parts.push("self".into()),
            Some(TargetWho::Others) => parts.push("others".into()),
            None => {}
        }
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|s| match s {
                TargetSel::Role { name, exact: false } => name.name.clone(),
                TargetSel::Role { name, exact: true } => format!("{} exactly", name.name),
                TargetSel::Below => "below".into(),
                TargetSel::AtOrBelow => "at or below".into(),
                TargetSel::Above => "above".into(),
            })
            .collect();
        if !roles.is_empty() {
            parts.push(roles.join(", "));
        }
        parts.join(" ")
    }
}

/// A declaration of a name with an optional label (facts, kinds, actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decl {
    /// The declared name.
    pub name: Ident,
    /// The display label.
    pub label: Option<Text>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `setting name "Label" { value v "Label" … default v }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingDecl {
    /// The setting's name.
    pub name: Ident,
    /// The display label.
    pub label: Option<Text>,
    /// Its values, as written.
    pub values: Vec<Decl>,
    /// Each `default v` line, as written (resolve wants exactly one).
    pub defaults: Vec<Ident>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `source "Title" url "…" date "…" lang "…"`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDecl {
    /// The title.
    pub title: Text,
    /// `url`, `date`, `lang` attributes in the order written.
    pub attrs: Vec<(Ident, Text)>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `scope name "Label" { … }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDecl {
    /// The scope's name.
    pub name: Ident,
    /// Its display label.
    pub label: Option<Text>,
    /// Its items in order.
    pub items: Vec<ScopeItem>,
    /// The whole block.
    pub loc: Loc,
}

/// What a scope block holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeItem {
    /// `role name "Label" : parent, …`
    Role(RoleDecl),
    /// `action name "Label"`
    Action(ActionDecl),
    /// `section "Label" { … }`
    Section(SectionDecl),
    /// `allow …` / `deny …`
    Rule(Rule),
    /// `default viewer`, `default team_member: speaker`, `default none`
    Default(DefaultDecl),
    /// `assignable registrant: external_speaker, viewer`
    Assignable(AssignableDecl),
    /// `limit presenter at most 1`
    Limit(LimitDecl),
    /// `advise 1 moderator per 50 to 100 participants`
    Advise(AdviseDecl),
    /// `note "…"`
    Note(Text),
    /// `group billing "Billing" = view_invoices, change_plan`
    Group(GroupDecl),
}

/// `group name "Label" = action, …`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDecl {
    /// The group's name.
    pub name: Ident,
    /// Display label.
    pub label: Option<Text>,
    /// Its actions, as written.
    pub actions: Vec<Ident>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `role name "Label" : parent, …`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDecl {
    /// The role's name.
    pub name: Ident,
    /// Its display label.
    pub label: Option<Text>,
    /// The roles it inherits, in the order written.
    pub parents: Vec<NameRef>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `section "Label" { … }`: a group of actions for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDecl {
    /// The name that makes the section a group, if any.
    pub name: Option<Ident>,
    /// The section heading.
    pub label: Text,
    /// Actions, rules and notes in order.
    pub items: Vec<ScopeItem>,
    /// The whole block.
    pub loc: Loc,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Grants the actions.
    Allow,
    /// Withholds the actions.
    Deny,
}

/// The keyword a rule is written with: `forbid` for a forbid, else the effect's.
pub fn verb(effect: Effect, forbid: bool) -> &'static str {
    if forbid { "forbid" } else { effect.as_str() }
}

impl Effect {
    /// `allow` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// `allow roles to actions when condition`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Allow or deny.
    pub effect: Effect,
    /// `forbid`: a deny that always wins (over every candidate of its cell
    /// and every other effective role); `effect` is then `Deny`.
    pub forbid: bool,
    /// The roles named.
    pub roles: Vec<NameRef>,
    /// The actions named.
    pub actions: Vec<NameRef>,
    /// The `on …` clause (targeted actions only).
    pub target: Option<TargetClause>,
    /// The `when` condition.
    pub condition: Option<Expr>,
    /// The whole rule.
    pub loc: Loc,
}

/// A boolean condition over facts, settings and the principal's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A fact's name.
    Fact(Ident),
    /// `setting is v1, v2`: the setting has one of these values.
    Setting(Ident, Vec<Ident>, Loc),
    /// `kind is k1, k2`: the principal is of one of these kinds.
    Kind(Vec<Ident>, Loc),
    /// `target kind is k1, k2`: a targeted action's target is of one of these kinds.
    TargetKind(Vec<Ident>, Loc),
    /// `true` or `false`.
    Bool(bool, Loc),
    /// `not e`
    Not(Box<Expr>, Loc),
    /// `a and b and …`
    And(Vec<Expr>, Loc),
    /// `a or b or …`
    Or(Vec<Expr>, Loc),
}

impl Expr {
    /// The expression in canonical form: single spaces, parentheses only
    /// where precedence (`not` > `and` > `or`) needs them.
    pub fn canonical(&self) -> String {
        self.canonical_prec(0)
    }

    fn canonical_prec(&self, outer: u8) -> String {
        let join = |items: &[Expr], sep: &str, prec: u8| {
            items
                .iter()
                .map(|e| e.canonical_prec(prec))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let (text, prec) = match self {
            Expr::Fact(ident) => (ident.name.clone(), 3),
            Expr::Setting(setting, values, _) => {
                (format!("{} is {}", setting.name, names(values)), 3)
            }
            Expr::Kind(kinds, _) => (format!("kind is {}", names(kinds)), 3),
            Expr::TargetKind(kinds, _) => (format!("target kind is {}", names(kinds)), 3),
            Expr::Bool(b, _) => (b.to_string(), 3),
            Expr::Not(inner, _) => (format!("not {}", inner.canonical_prec(3)), 3),
            Expr::And(items, _) => (join(items, " and ", 3), 2),
            Expr::Or(items, _) => (join(items, " or ", 2), 1),
        };
        if prec < outer {
            format!("({text})")
        } else {
            text
        }
    }

    /// Where the expression is.
    pub fn loc(&self) -> &Loc {
        match self {
            Expr::Fact(ident) => &ident.loc,
            Expr::Setting(_, _, loc)
            | Expr::Kind(_, loc)
            | Expr::TargetKind(_, loc)
            | Expr::Bool(_, loc)
            | Expr::Not(_, loc)
            | Expr::And(_, loc)
            | Expr::Or(_, loc) => loc,
        }
    }
}

/// `a, b, c`
fn names(idents: &[Ident]) -> String {
    idents
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `default [kind:] role|none`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultDecl {
    /// The kind of principal it is for; none means everyone without a kind default.
    pub kind: Option<Ident>,
    /// The role, or `None` for `none` (no access).
    pub role: Option<Ident>,
    /// `when …`: the default applies only when it holds.
    pub condition: Option<Expr>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `assignable kind: role, …` or `assignable kind: none`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignableDecl {
    /// The kind of principal.
    pub kind: Ident,
    /// The roles it may be assigned (empty for `none`).
    pub roles: Vec<Ident>,
    /// `when …`: the list applies only when it holds.
    pub condition: Option<Expr>,
    /// The whole declaration.
    pub loc: Loc,
}

/// How many principals may hold a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cardinality {
    /// `at most N`
    AtMost {
        /// N
        max: u64,
    },
    /// `at least N`
    AtLeast {
        /// N
        min: u64,
    },
    /// `exactly N`
    Exactly {
        /// N
        count: u64,
    },
    /// `between N and M`
    Between {
        /// N
        min: u64,
        /// M
        max: u64,
    },
    /// `unlimited`
    Unlimited,
}

impl Cardinality {
    /// The least and most holders allowed.
    pub fn bounds(self) -> (u64, Option<u64>) {
        match self {
            Cardinality::AtMost { max } => (0, Some(max)),
            Cardinality::AtLeast { min } => (min, None),
            Cardinality::Exactly { count } => (count, Some(count)),
            Cardinality::Between { min, max } => (min, Some(max)),
            Cardinality::Unlimited => (0, None),
        }
    }
}

impl std::fmt::Display for Cardinality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cardinality::AtMost { max } => write!(f, "at most {max}"),
            Cardinality::AtLeast { min } => write!(f, "at least {min}"),
            Cardinality::Exactly { count } => write!(f, "exactly {count}"),
            Cardinality::Between { min, max } => write!(f, "between {min} and {max}"),
            Cardinality::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// `limit role cardinality`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDecl {
    /// The role limited.
    pub role: Ident,
    /// How many may hold it.
    pub cardinality: Cardinality,
    /// The whole declaration.
    pub loc: Loc,
}

/// `advise N role per MIN [to MAX] participants "Label"`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviseDecl {
    /// How many holders of the role…
    pub count: u64,
    /// …of which role…
    pub role: Ident,
    /// …per this many participants at least…
    pub per_min: u64,
    /// …and at most.
    pub per_max: u64,
    /// The advice as the source words it.
    pub label: Option<Text>,
    /// The whole declaration.
    pub loc: Loc,
}

/// `subject joins scope as role [when condition]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideDecl {
    /// `scope.role` (a held role) or `fact` (a fact that is true).
    pub subject: NameRef,
    /// The scope whose effective role it sets.
    pub scope: Ident,
    /// The role it sets.
    pub role: Ident,
    /// `also joins`: adds the role instead of replacing the held roles.
    pub adds: bool,
    /// An extra condition.
    pub condition: Option<Expr>,
    /// The whole declaration.
    pub loc: Loc,
}
