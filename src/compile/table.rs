//! The decision table and the ways to read it.

use super::ids::{ActionId, FactId, RoleId, RuleId, ScopeId, narrow};
use super::names::NameIndex;
use crate::resolve::{Cond, Policy};
use crate::syntax::ast::Effect;

pub(crate) const TAG_SHIFT: u32 = 30;
pub(crate) const INDEX_MASK: u32 = (1 << TAG_SHIFT) - 1;
pub(crate) const TAG_DEFAULT: u32 = 0;
pub(crate) const TAG_ALLOW: u32 = 1;
pub(crate) const TAG_DENY: u32 = 2;
pub(crate) const TAG_CONDITIONAL: u32 = 3;

/// Most rules, or conditional cells, one table can index (30 bits).
pub const MAX_INDEX: usize = INDEX_MASK as usize;

// Resolution rejects policies whose indexes would not fit.
const _: () = assert!(crate::resolve::MAX_CELLS <= MAX_INDEX);

/// Where one scope's cells start and how they are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeLayout {
    pub base: usize,
    pub roles: usize,
    pub actions: usize,
}

/// A cell whose outcome depends on facts: candidates in the order the
/// combination rule tries them; the first whose condition holds decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionalCell {
    /// (effect, rule id), in the order tried. When the last has no condition
    /// it always decides; otherwise, when none holds, the default deny does.
    pub candidates: Vec<(Effect, usize)>,
    /// When the outcome is allow, as one expression over facts.
    pub allow_when: Cond,
    /// The condition to show: as written when one rule's condition is the
    /// whole story, otherwise `allow_when` rendered.
    pub text: String,
    /// `Some` when the outcome does not in fact depend on the facts, for
    /// every assignment that can occur (one value per setting, one kind,
    /// only kinds that may hold the role).
    pub fixed: Option<Effect>,
    /// The rule that decides a fixed cell, when it is the same one for
    /// every such assignment.
    pub fixed_rule: Option<usize>,
    /// `allow_when` as a truth table when it reads few facts, so the allow /
    /// deny answer is a few bit reads instead of a walk over the candidates.
    pub truth: Option<TruthTable>,
    /// The untargeted reading of a targeted action over several targets'
    /// conditional cells: `candidates` is empty, `allow_when` decides, and no
    /// one rule does.
    pub union: bool,
}

/// A condition over at most [`TruthTable::MAX_FACTS`] facts as a truth table:
/// bit `i` of `bits` is the outcome when fact `facts[j]` has the value of bit
/// `j` of `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruthTable {
    bits: u64,
    facts: [u16; TruthTable::MAX_FACTS],
    len: u8,
}

impl TruthTable {
    /// Facts a table can read: 2^6 outcomes fill the 64 bits.
    pub const MAX_FACTS: usize = 6;

    /// Enumerates `cond` over the facts it reads; `None` past [`Self::MAX_FACTS`]
    /// facts or past fact 65,535 (kept in 16 bits to keep the entry small).
    pub fn of(cond: &Cond) -> Option<TruthTable> {
        let mut read = Vec::new();
        cond.facts(&mut read);
        if read.len() > Self::MAX_FACTS {
            return None;
        }
        let mut facts = [0u16; Self::MAX_FACTS];
        for (slot, &f) in facts.iter_mut().zip(&read) {
            *slot = u16::try_from(f).ok()?;
        }
        let mut bits = 0u64;
        for i in 0..1u64 << read.len() {
            bits |= u64::from(eval_assignment(cond, &read, i)) << i;
        }
        Some(TruthTable {
            facts,
            len: u8::try_from(read.len()).ok()?,
            bits,
        })
    }

    /// The outcome for `facts`.
    #[inline]
    pub fn eval(&self, facts: &FactSet) -> bool {
        let mut i = 0u32;
        for (j, &f) in self.facts.iter().take(self.len as usize).enumerate() {
            i |= u32::from(facts.get(f as usize)) << j;
        }
        self.bits >> i & 1 != 0
    }
}

/// `cond` where fact `read[j]` has the value of bit `j` of `bits` (other facts false).
pub(crate) fn eval_assignment(cond: &Cond, read: &[usize], bits: u64) -> bool {
    cond.eval(&|f| {
        read.iter()
            .position(|&x| x == f)
            .is_some_and(|j| bits & (1 << j) != 0)
    })
}

/// A compiled policy: the resolved policy and its decision for every cell.
///
/// Read-only once compiled: the cells cite rules by id, so the policy behind
/// them cannot be changed (this does not compile):
///
/// ```compile_fail
/// let mut table = rolecall::compile_str("p.policy", "scope s {\n role r\n action a\n}\n").unwrap();
/// table.policy.rules.clear();
/// ```
#[derive(Debug, Clone)]
pub struct DecisionTable {
    /// Private, so answers cannot be made to cite rules that were never compiled:
    /// read it through [`DecisionTable::policy`].
    pub(crate) policy: Policy,
    pub(crate) layout: Vec<ScopeLayout>,
    pub(crate) cells: super::cells::Cells,
    pub(crate) conditional: Vec<ConditionalCell>,
    /// Per override: for each role of the subject's scope, whether holding it
    /// triggers the override (the role or one inheriting it). Empty for facts.
    pub(crate) override_holders: Vec<Vec<bool>>,
    /// Per scope, whether an adding override (`also joins`) targets it: a
    /// decision elsewhere skips looking for one.
    pub(crate) has_adding: Vec<bool>,
    /// Per scope, per action: where a targeted action's grid starts in
    /// `cells` (`None`: a plain action). Row `(self as 0/1) * roles + target`
    /// of the grid holds one cell per acting role.
    pub(crate) target_grid: Vec<Vec<Option<usize>>>,
    /// Whether any rule is a `forbid`: without one, the union stops at the
    /// first allowing role.
    pub(crate) any_forbid: bool,
    /// The names of `policy` as they were when compiled, for fast lookups.
    pub(crate) names: NameIndex,
    /// Per scope, per role, the rules naming it (declaration order), as
    /// `policy` was when compiled.
    pub(crate) rules_naming: Vec<Vec<Vec<usize>>>,
    /// Per scope, per action: the facts its decision can turn on, computed
    /// on first need (`DecisionTable::relevant_facts`), so answering a
    /// request does not read every rule of the policy.
    pub(crate) relevant: std::sync::OnceLock<Vec<Vec<Vec<usize>>>>,
    /// Per scope: (scope of the default, variable) read by the defaults an
    /// action there can depend on (`DecisionTable::default_vars`).
    pub(crate) default_vars: std::sync::OnceLock<Vec<Vec<(usize, usize)>>>,
    /// Inheritance paths found so far, for answers (`decision::paths`).
    pub(crate) paths: crate::decision::paths::SharedPaths,
}

/// A column of a targeted action's grid: another participant holding one
/// role, or the principal acting on themself (holding the acting role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TargetColumn {
    /// A target holding this role (by index).
    Role(usize),
    /// The principal themself.
    Myself,
}

impl TargetColumn {
    /// The columns of a scope of `roles` roles: each role, then `self`.
    pub fn all(roles: usize) -> impl Iterator<Item = TargetColumn> {
        (0..roles)
            .map(TargetColumn::Role)
            .chain(std::iter::once(TargetColumn::Myself))
    }

    /// The cell of acting role `r` in this column of action `a`'s grid.
    pub fn cell(self, table: &DecisionTable, s: usize, a: usize, r: usize) -> Option<Cell<'_>> {
        table.target_cell_at(s, a, r, self.role(r), self.on_self())
    }

    /// The target role of the column for acting role `acting`.
    pub fn role(self, acting: usize) -> usize {
        match self {
            TargetColumn::Role(t) => t,
            TargetColumn::Myself => acting,
        }
    }

    /// Whether the column is the principal acting on themself.
    pub fn on_self(self) -> bool {
        self == TargetColumn::Myself
    }

    /// The column's name: the role's, or `self`.
    pub fn name(self, scope: &crate::resolve::Scope) -> String {
        match self {
            TargetColumn::Role(t) => scope.role_name(t),
            TargetColumn::Myself => "self".to_string(),
        }
    }
}

/// Where a cell the table shows is: (scope, action, acting role) by
/// positions, and for a targeted action's grid cell its column (`None`: the
/// ordinary cell, for a targeted action its untargeted reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellPlace {
    /// The scope, by position.
    pub scope: usize,
    /// The action, by position in its scope.
    pub action: usize,
    /// The acting role, by position in its scope.
    pub role: usize,
    /// The grid column of a targeted action's cell.
    pub column: Option<TargetColumn>,
}

impl CellPlace {
    /// The cell there (`None` when out of range, or a column of a plain action).
    pub fn cell(self, table: &DecisionTable) -> Option<Cell<'_>> {
        match self.column {
            None => table.cell_at(self.scope, self.action, self.role),
            Some(column) => column.cell(table, self.scope, self.action, self.role),
        }
    }
}

/// Where a cell's deciding rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The role the rule names (the cell's own when it names it).
    pub from: usize,
    /// Inheritance steps from the cell's role to `from`.
    pub distance: usize,
    /// The next role of the path, a parent of the cell's role (`None` when direct).
    pub through: Option<usize>,
}

/// What a cell says, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellDecision {
    /// Allowed, whatever the facts.
    Allow,
    /// Denied, whatever the facts.
    Deny,
    /// Depends on facts.
    Conditional,
}

impl CellDecision {
    /// `allow`, `deny` or `conditional`.
    pub fn as_str(self) -> &'static str {
        match self {
            CellDecision::Allow => "allow",
            CellDecision::Deny => "deny",
            CellDecision::Conditional => "conditional",
        }
    }
}

/// One cell of the table, read for display and explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'t> {
    /// The decision.
    pub decision: CellDecision,
    /// The rule that decides it when unconditional (`None`: default deny).
    pub rule: Option<RuleId>,
    /// The side-table entry when conditional.
    pub conditional: Option<&'t ConditionalCell>,
}

impl Cell<'_> {
    /// The condition under which it is allowed, when conditional.
    pub fn condition(&self) -> Option<&str> {
        self.conditional.map(|c| c.text.as_str())
    }
}

/// The facts true for a request, by fact index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactSet {
    words: Vec<u64>,
}

impl FactSet {
    /// No fact true.
    pub fn new() -> Self {
        FactSet::default()
    }

    /// Marks a fact true.
    pub fn insert(&mut self, fact: FactId) {
        self.set(fact.index(), true);
    }

    /// Marks a fact false.
    pub fn remove(&mut self, fact: FactId) {
        self.set(fact.index(), false);
    }

    /// Whether a fact is true (one never inserted is false).
    pub fn contains(&self, fact: FactId) -> bool {
        self.get(fact.index())
    }

    /// Marks the fact at position `fact` true or false.
    pub(crate) fn set(&mut self, fact: usize, value: bool) {
        let word = fact / 64;
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        if let Some(w) = self.words.get_mut(word) {
            if value {
                *w |= 1 << (fact % 64);
            } else {
                *w &= !(1 << (fact % 64));
            }
        }
    }

    /// Whether the fact at position `fact` is true (missing means false).
    pub(crate) fn get(&self, fact: usize) -> bool {
        self.words
            .get(fact / 64)
            .is_some_and(|w| w & (1 << (fact % 64)) != 0)
    }

    /// Marks every fact false, keeping the storage.
    pub fn clear(&mut self) {
        self.words.clear();
    }

    /// Makes this set a copy of `other`, reusing the storage.
    pub fn copy_from(&mut self, other: &FactSet) {
        self.words.clear();
        self.words.extend_from_slice(&other.words);
    }
}

/// The outcome of one cell for given facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Allow or deny.
    pub effect: Effect,
    /// The deciding rule; `None` when no rule applies (default deny).
    pub rule: Option<RuleId>,
}

impl DecisionTable {
    /// The resolved policy the table was compiled from: names, labels, rules,
    /// overrides, defaults, constraints. Read-only: the table's cells cite
    /// its rules by index.
    #[inline]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Resolves a scope name.
    #[inline]
    pub fn scope_id(&self, scope: &str) -> Option<ScopeId> {
        self.names.scope(scope).and_then(narrow).map(ScopeId)
    }

    /// Resolves a scope name to its position.
    #[inline]
    pub(crate) fn scope_index(&self, scope: &str) -> Option<usize> {
        self.names.scope(scope)
    }

    /// The `index`-th scope (declaration order), to walk the policy's scopes.
    pub fn scope_at(&self, index: usize) -> Option<ScopeId> {
        (index < self.layout.len()).then(|| ScopeId::at(index))
    }

    /// Every scope, in declaration order.
    pub fn scopes(&self) -> impl Iterator<Item = ScopeId> + '_ {
        (0..self.layout.len()).map(ScopeId::at)
    }

    /// The actions of `scope`, in declaration order.
    pub fn actions(&self, scope: ScopeId) -> impl Iterator<Item = ActionId> + '_ {
        (0..).map_while(move |a| self.action_at(scope, a))
    }

    /// The roles of `scope`, in declaration order.
    pub fn roles(&self, scope: ScopeId) -> impl Iterator<Item = RoleId> + '_ {
        (0..).map_while(move |r| self.role_at(scope, r))
    }

    /// The role's name.
    pub fn role_name(&self, role: RoleId) -> Option<&str> {
        let (_, scope) = self.policy.scopes.get_index(role.scope())?;
        scope.roles.get_index(role.index()).map(|(n, _)| n.as_str())
    }

    /// The action's name.
    pub fn action_name(&self, action: ActionId) -> Option<&str> {
        let (_, scope) = self.policy.scopes.get_index(action.scope())?;
        scope
            .actions
            .get_index(action.index())
            .map(|(n, _)| n.as_str())
    }

    /// The fact's name; for a setting's value or a kind (the other
    /// condition variables), the assignment that makes it true:
    /// `plan=team`, `kind=guest`.
    pub fn fact_name(&self, fact: FactId) -> Option<&str> {
        self.policy
            .atoms
            .get(fact.index())
            .map(|a| a.assignment.as_str())
    }

    /// The scope's name.
    pub fn scope_name(&self, scope: ScopeId) -> Option<&str> {
        self.policy
            .scopes
            .get_index(scope.index())
            .map(|(n, _)| n.as_str())
    }

    /// Every rule, in the order the policy declares them (includes first).
    pub fn rule_ids(&self) -> impl Iterator<Item = RuleId> + '_ {
        (0..self.policy.rules.len()).map(RuleId::at)
    }

    /// A rule, by id (as a [`Cell`], an [`Outcome`] or a verdict cites it).
    pub fn rule(&self, rule: RuleId) -> Option<&crate::resolve::Rule> {
        self.policy.rules.get(rule.index())
    }

    /// Resolves an action name: one hash lookup for the scope, one for the action.
    #[inline]
    pub fn action_id(&self, scope: &str, action: &str) -> Option<ActionId> {
        let s = self.names.scope(scope)?;
        self.action_at_index(s, self.names.action(s, action)?)
    }

    /// Resolves an action name in a resolved scope: one hash lookup.
    #[inline]
    pub fn action_id_in(&self, scope: ScopeId, action: &str) -> Option<ActionId> {
        self.action_id_at(scope.index(), action)
    }

    /// Resolves a role name in a resolved scope: one hash lookup.
    #[inline]
    pub fn role_id_in(&self, scope: ScopeId, role: &str) -> Option<RoleId> {
        self.role_id_at(scope.index(), role)
    }

    /// [`Self::action_id_in`] for a scope by position.
    #[inline]
    pub(crate) fn action_id_at(&self, scope: usize, action: &str) -> Option<ActionId> {
        self.action_at_index(scope, self.names.action(scope, action)?)
    }

    /// [`Self::role_id_in`] for a scope by position.
    #[inline]
    pub(crate) fn role_id_at(&self, scope: usize, role: &str) -> Option<RoleId> {
        self.role_at_index(scope, self.names.role(scope, role)?)
    }

    /// Whether `role` may do `action` of `scope`, all by name (`None` when a
    /// name is unknown): three hash lookups and one load. Facts as in [`Self::allows`].
    #[inline]
    pub fn allows_names(
        &self,
        scope: &str,
        action: &str,
        role: &str,
        facts: &FactSet,
    ) -> Option<bool> {
        let s = self.names.scope(scope)?;
        let action = self.action_id_at(s, action)?;
        let role = self.role_id_at(s, role)?;
        Some(self.allows(action, role, facts))
    }

    /// Resolves a fact name.
    #[inline]
    pub fn fact_id(&self, fact: &str) -> Option<FactId> {
        self.names.fact(fact).and_then(narrow).map(FactId)
    }

    /// Resolves a fact name to its position.
    #[inline]
    pub(crate) fn fact_index(&self, fact: &str) -> Option<usize> {
        self.names.fact(fact)
    }

    /// Resolves a kind of principal.
    #[inline]
    pub(crate) fn kind_index(&self, kind: &str) -> Option<usize> {
        self.names.kind(kind)
    }

    /// The `index`-th action of `scope` (declaration order), to walk a scope's actions.
    #[inline]
    pub fn action_at(&self, scope: ScopeId, index: usize) -> Option<ActionId> {
        self.action_at_index(scope.index(), index)
    }

    /// The `index`-th role of `scope` (declaration order), to walk a scope's roles.
    #[inline]
    pub fn role_at(&self, scope: ScopeId, index: usize) -> Option<RoleId> {
        self.role_at_index(scope.index(), index)
    }

    /// The id of action `a` of scope `s`, by positions.
    #[inline]
    pub(crate) fn action_at_index(&self, s: usize, a: usize) -> Option<ActionId> {
        let layout = self.layout.get(s)?;
        if a >= layout.actions {
            return None;
        }
        Some(ActionId {
            scope: u32::try_from(s).ok()?,
            row: u32::try_from(layout.base + a * layout.roles).ok()?,
            index: u32::try_from(a).ok()?,
        })
    }

    /// Resolves a role name: one hash lookup for the scope, one for the role.
    #[inline]
    pub fn role_id(&self, scope: &str, role: &str) -> Option<RoleId> {
        let s = self.names.scope(scope)?;
        self.role_at_index(s, self.names.role(s, role)?)
    }

    /// The id of role `r` of scope `s`, by positions.
    #[inline]
    pub(crate) fn role_at_index(&self, s: usize, r: usize) -> Option<RoleId> {
        let layout = self.layout.get(s)?;
        if r >= layout.roles {
            return None;
        }
        Some(RoleId {
            scope: u32::try_from(s).ok()?,
            index: u32::try_from(r).ok()?,
        })
    }

    /// The raw cell word; the fast path.
    #[inline]
    fn word(&self, action: ActionId, role: RoleId) -> u32 {
        if action.scope != role.scope {
            return TAG_DEFAULT;
        }
        self.cells
            .get(action.row as usize + role.index as usize)
            .unwrap_or(TAG_DEFAULT)
    }

    /// Whether `role` may do `action` given `facts`: one load for an
    /// unconditional cell. A role of another scope is denied. Resolve the
    /// names once ([`action_id`](Self::action_id), [`role_id`](Self::role_id),
    /// [`fact_id`](Self::fact_id)), then decide as often as needed.
    ///
    /// ```
    /// use rolecall::compile::FactSet;
    /// let table = rolecall::compile_str("p.policy", "fact live\nscope session {\n role viewer\n action chat\n allow viewer to chat when live\n}\n").unwrap();
    /// let chat = table.action_id("session", "chat").unwrap();
    /// let viewer = table.role_id("session", "viewer").unwrap();
    /// let mut facts = FactSet::new();
    /// assert!(!table.allows(chat, viewer, &facts));
    /// facts.insert(table.fact_id("live").unwrap());
    /// assert!(table.allows(chat, viewer, &facts));
    /// let outcome = table.decide(chat, viewer, &facts);
    /// assert_eq!(outcome.rule.and_then(|r| table.rule_at(r)).as_deref(), Some("p.policy:5"));
    /// ```
    #[inline]
    pub fn allows(&self, action: ActionId, role: RoleId, facts: &FactSet) -> bool {
        if action.scope != role.scope {
            return false;
        }
        let i = action.row as usize + role.index as usize;
        match self.cells.tag(i) {
            TAG_ALLOW => true,
            TAG_CONDITIONAL => self.allows_conditional(i, facts),
            _ => false,
        }
    }

    // Out of line: keeps the unconditional path of `allows` a few instructions.
    #[inline(never)]
    fn allows_conditional(&self, i: usize, facts: &FactSet) -> bool {
        let word = self.cells.get(i).unwrap_or(TAG_DEFAULT);
        let index = word & INDEX_MASK;
        match self.conditional.get(index as usize).and_then(|c| c.truth) {
            Some(truth) => truth.eval(facts),
            None => self.decide_conditional(index, facts).effect == Effect::Allow,
        }
    }

    /// The outcome of one cell with its deciding rule.
    pub fn decide(&self, action: ActionId, role: RoleId, facts: &FactSet) -> Outcome {
        let word = self.word(action, role);
        let rule = RuleId(word & INDEX_MASK);
        match word >> TAG_SHIFT {
            TAG_ALLOW => Outcome {
                effect: Effect::Allow,
                rule: Some(rule),
            },
            TAG_DENY => Outcome {
                effect: Effect::Deny,
                rule: Some(rule),
            },
            TAG_CONDITIONAL => self.decide_conditional(word & INDEX_MASK, facts),
            _ => Outcome {
                effect: Effect::Deny,
                rule: None,
            },
        }
    }

    fn decide_conditional(&self, index: u32, facts: &FactSet) -> Outcome {
        let Some(cell) = self.conditional.get(index as usize) else {
            return Outcome {
                effect: Effect::Deny,
                rule: None,
            };
        };
        if cell.union {
            let allows = match cell.truth {
                Some(truth) => truth.eval(facts),
                None => cell.allow_when.eval(&|f| facts.get(f)),
            };
            return Outcome {
                effect: if allows { Effect::Allow } else { Effect::Deny },
                rule: None,
            };
        }
        for &(effect, rule) in &cell.candidates {
            let holds = self
                .policy
                .rules
                .get(rule)
                .and_then(|r| r.condition.as_ref())
                .is_none_or(|c| c.expr.eval(&|f| facts.get(f)));
            if holds {
                return Outcome {
                    effect,
                    rule: Some(RuleId::at(rule)),
                };
            }
        }
        Outcome {
            effect: Effect::Deny,
            rule: None,
        }
    }

    /// The cell of `action` for `role` (`None` when they are of different scopes).
    pub fn cell(&self, action: ActionId, role: RoleId) -> Option<Cell<'_>> {
        if action.scope != role.scope {
            return None;
        }
        self.cell_at(action.scope(), action.index(), role.index())
    }

    /// The cell of (scope, action, role), by positions.
    pub fn cell_at(&self, scope: usize, action: usize, role: usize) -> Option<Cell<'_>> {
        let a = self.action_at_index(scope, action)?;
        let r = self.role_at_index(scope, role)?;
        Some(self.cell_of(self.word(a, r)))
    }

    /// Whether `action` is aimed at another participant (`on participant`):
    /// a request for it names the target, and its cells are per target role.
    pub fn is_targeted(&self, action: ActionId) -> bool {
        self.target_grid_of(action).is_some()
    }

    fn target_grid_of(&self, action: ActionId) -> Option<usize> {
        self.target_grid
            .get(action.scope())?
            .get(action.index())
            .copied()
            .flatten()
    }

    /// The row of a targeted action's grid for one target role (by index
    /// in the action's scope) and whether the target is the principal
    /// themself, as an id whose cells are read like any action's: a cell
    /// of the grid is one load once both roles are known. `None` for a
    /// plain action or a role out of range.
    #[inline]
    pub(crate) fn target_row(
        &self,
        action: ActionId,
        target: usize,
        on_self: bool,
    ) -> Option<ActionId> {
        let grid = self.target_grid_of(action)?;
        let roles = self.layout.get(action.scope())?.roles;
        if target >= roles {
            return None;
        }
        Some(ActionId {
            row: u32::try_from(grid + (usize::from(on_self) * roles + target) * roles).ok()?,
            ..action
        })
    }

    /// The cell of a targeted action for `role` acting on a target holding
    /// `target` (`on_self`: the principal themself, holding it). `None` for a
    /// plain action or roles of another scope.
    pub fn target_cell(
        &self,
        action: ActionId,
        role: RoleId,
        target: RoleId,
        on_self: bool,
    ) -> Option<Cell<'_>> {
        if role.scope != action.scope || target.scope != action.scope {
            return None;
        }
        let row = self.target_row(action, target.index(), on_self)?;
        Some(self.cell_of(self.word(row, role)))
    }

    /// Whether `role` may do targeted `action` to a target holding `target`
    /// (`on_self`: the principal themself), as [`Self::allows`] for a plain
    /// action: the grid row's offset, then one load (`false` for a plain
    /// action or roles of another scope).
    #[inline]
    pub fn allows_target(
        &self,
        action: ActionId,
        role: RoleId,
        target: RoleId,
        on_self: bool,
        facts: &FactSet,
    ) -> bool {
        if role.scope != action.scope || target.scope != action.scope {
            return false;
        }
        self.target_row(action, target.index(), on_self)
            .is_some_and(|row| self.allows(row, role, facts))
    }

    /// The outcome of a targeted action's cell with its deciding rule, as
    /// [`Self::decide`] for a plain one (`None` as for [`Self::target_cell`]).
    pub fn decide_target(
        &self,
        action: ActionId,
        role: RoleId,
        target: RoleId,
        on_self: bool,
        facts: &FactSet,
    ) -> Option<Outcome> {
        if role.scope != action.scope || target.scope != action.scope {
            return None;
        }
        let row = self.target_row(action, target.index(), on_self)?;
        Some(self.decide(row, role, facts))
    }

    /// [`Self::target_cell`] by positions: `None` for a plain action or a
    /// position out of range.
    pub fn target_cell_at(
        &self,
        scope: usize,
        action: usize,
        role: usize,
        target: usize,
        on_self: bool,
    ) -> Option<Cell<'_>> {
        let a = self.action_at_index(scope, action)?;
        let r = self.role_at_index(scope, role)?;
        let row = self.target_row(a, target, on_self)?;
        Some(self.cell_of(self.word(row, r)))
    }

    /// Every cell the table shows: each ordinary cell, then each targeted
    /// action's grid cells by column ([`TargetColumn::all`]: each target
    /// role, and `self` as the acting role itself). For what counts over all
    /// of them, such as which rules decide a cell.
    pub fn every_cell(&self) -> impl Iterator<Item = Cell<'_>> + '_ {
        self.every_cell_placed().map(|(_, cell)| cell)
    }

    /// [`Self::every_cell`] with where each cell is, in the same order: the
    /// one walk over the cells shown, for what lists them as well as counts.
    pub fn every_cell_placed(&self) -> impl Iterator<Item = (CellPlace, Cell<'_>)> + '_ {
        let plain = self.layout.iter().enumerate().flat_map(move |(s, l)| {
            (0..l.actions).flat_map(move |a| {
                (0..l.roles).map(move |r| CellPlace {
                    scope: s,
                    action: a,
                    role: r,
                    column: None,
                })
            })
        });
        let grid = self
            .target_grid
            .iter()
            .enumerate()
            .flat_map(move |(s, actions)| {
                let roles = self.layout.get(s).map_or(0, |l| l.roles);
                actions
                    .iter()
                    .enumerate()
                    .filter(|(_, grid)| grid.is_some())
                    .flat_map(move |(a, _)| {
                        TargetColumn::all(roles).flat_map(move |column| {
                            (0..roles).map(move |r| CellPlace {
                                scope: s,
                                action: a,
                                role: r,
                                column: Some(column),
                            })
                        })
                    })
            });
        plain
            .chain(grid)
            .filter_map(move |place| Some((place, place.cell(self)?)))
    }

    /// What a cell word says.
    fn cell_of(&self, word: u32) -> Cell<'_> {
        let index = (word & INDEX_MASK) as usize;
        match word >> TAG_SHIFT {
            TAG_ALLOW => Cell {
                decision: CellDecision::Allow,
                rule: Some(RuleId(word & INDEX_MASK)),
                conditional: None,
            },
            TAG_DENY => Cell {
                decision: CellDecision::Deny,
                rule: Some(RuleId(word & INDEX_MASK)),
                conditional: None,
            },
            TAG_CONDITIONAL => {
                let c = self.conditional.get(index);
                let decision = match c.and_then(|c| c.fixed) {
                    Some(Effect::Allow) => CellDecision::Allow,
                    Some(Effect::Deny) => CellDecision::Deny,
                    None => CellDecision::Conditional,
                };
                Cell {
                    decision,
                    rule: c.and_then(|c| c.fixed_rule).map(RuleId::at),
                    conditional: c,
                }
            }
            _ => Cell {
                decision: CellDecision::Deny,
                rule: None,
                conditional: None,
            },
        }
    }

    /// Number of cells (scopes × actions × roles).
    pub fn cell_count(&self) -> usize {
        self.layout.iter().map(|l| l.roles * l.actions).sum()
    }

    /// Number of targeted actions' cells (per acting role, target role,
    /// self or not), beyond [`Self::cell_count`].
    pub fn targeted_cell_count(&self) -> usize {
        self.cells.len().saturating_sub(self.cell_count())
    }

    /// Bytes used by the cells and the conditional side table's entries.
    pub fn cell_bytes(&self) -> usize {
        self.cells.len() * self.cells.width()
            + self
                .conditional
                .iter()
                .map(|c| {
                    std::mem::size_of::<ConditionalCell>()
                        + c.candidates.len() * std::mem::size_of::<(Effect, usize)>()
                        + c.text.len()
                })
                .sum::<usize>()
    }

    /// Whether holding `role` (by index in the subject's scope) triggers override `o`.
    pub(crate) fn override_triggered_by_role(&self, o: usize, role: usize) -> bool {
        self.override_holders
            .get(o)
            .and_then(|h| h.get(role))
            .copied()
            .unwrap_or(false)
    }

    /// The inheritance path from `role` to the nearest role `rule` names:
    /// `[role]` when the rule names it, `[role, parent, …, named]` otherwise
    /// (empty when the rule does not reach the role).
    pub fn inheritance_path(&self, role: RoleId, rule: RuleId) -> Vec<RoleId> {
        self.inheritance_path_at(role.scope(), role.index(), rule.index())
            .into_iter()
            .filter_map(|r| self.role_at_index(role.scope(), r))
            .collect()
    }

    /// The rules naming role `role` of scope `scope`, in declaration order.
    pub(crate) fn rules_naming(&self, scope: usize, role: usize) -> &[usize] {
        self.rules_naming
            .get(scope)
            .and_then(|s| s.get(role))
            .map_or(&[], Vec::as_slice)
    }

    /// For each role of `scope`, where the rule deciding its cell of `action`
    /// comes from, when one does: the [`Origin`] whose path is
    /// [`DecisionTable::inheritance_path`]. Computed for the whole row at
    /// once, parents first, so a deep chain costs its length, not its square:
    /// the next role of a cell's path has the same deciding rule (anything
    /// nearer there would be nearer here), so each cell extends a parent's.
    pub(crate) fn origins(&self, scope: usize, action: usize) -> Vec<Option<Origin>> {
        let Some((_, sc)) = self.policy.scopes.get_index(scope) else {
            return Vec::new();
        };
        let mut out: Vec<Option<Origin>> = vec![None; sc.roles.len()];
        let order = crate::decision::combine::topological_order(
            sc.roles.values().map(|r| r.parents.as_slice()),
        );
        for role in order {
            let Some(rule) = self.cell_at(scope, action, role).and_then(|c| c.rule) else {
                continue;
            };
            let names_it = self
                .policy
                .rules
                .get(rule.index())
                .is_some_and(|r| r.roles.contains(&role));
            let origin = if names_it {
                Some(Origin {
                    from: role,
                    distance: 0,
                    through: None,
                })
            } else {
                // The first parent, in declaration order, nearest to the rule:
                // the breadth-first search of `inheritance_path` takes it too.
                let parents = sc.parents_of(role);
                let mut best: Option<(usize, Origin)> = None;
                for &p in parents {
                    let same_rule =
                        self.cell_at(scope, action, p).and_then(|c| c.rule) == Some(rule);
                    if let (true, Some(Some(o))) = (same_rule, out.get(p)) {
                        if best.is_none_or(|(_, b)| o.distance < b.distance) {
                            best = Some((p, *o));
                        }
                    }
                }
                best.map(|(p, o)| Origin {
                    from: o.from,
                    distance: o.distance + 1,
                    through: Some(p),
                })
            };
            if let Some(slot) = out.get_mut(role) {
                *slot = origin;
            }
        }
        out
    }

    /// The roles `role` inherits, transitively, nearest first, with their distance.
    pub(crate) fn ancestors(&self, scope: usize, role: usize) -> Vec<(usize, usize)> {
        let Some((_, sc)) = self.policy.scopes.get_index(scope) else {
            return Vec::new();
        };
        let mut out = vec![(role, 0)];
        let mut seen = vec![false; sc.roles.len()];
        if let Some(s) = seen.get_mut(role) {
            *s = true;
        }
        let mut i = 0;
        while let Some(&(current, d)) = out.get(i) {
            i += 1;
            for &parent in sc.parents_of(current) {
                if let Some(s) = seen.get_mut(parent) {
                    if !*s {
                        *s = true;
                        out.push((parent, d + 1));
                    }
                }
            }
        }
        out
    }
}
