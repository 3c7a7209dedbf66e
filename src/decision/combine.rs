//! The combination rule: written here once. Its gathering [`pass`] is run
//! over every cell by [`build`] (the decision table is its output) and,
//! uncut, by [`row`] for lint and `explain` (with [`deciding`] and
//! [`allow_when`] for lint's hypothetical cells).
//!
//! For a role and an action, the candidate rules are those naming the action
//! and the role or one of its ancestors. A rule's distance is the length of
//! the shortest inheritance path from the role to a role the rule names (0
//! when it names the role itself). Candidates are tried in order of
//! (distance, deny before allow, declaration order); the first whose
//! condition holds decides; when none holds, the action is denied. A
//! `forbid` candidate comes before every other, at any distance.

use std::collections::HashMap;

use crate::compile::table::*;
use crate::resolve::{Cond, Policy, Scope, Subject, Var};
use crate::syntax::ast::Effect;

/// A rule bearing on a cell, at its distance from the cell's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Inheritance steps from the cell's role to the nearest role the rule names.
    pub distance: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// Rule index.
    pub rule: usize,
    /// Whether the rule has a condition.
    pub conditional: bool,
    /// Whether the rule is a `forbid` (tried before every other candidate).
    pub forbid: bool,
}

impl Candidate {
    /// The order the combination rule tries candidates in.
    fn key(&self) -> (bool, usize, u8, usize) {
        let effect_order = match self.effect {
            Effect::Deny => 0,
            Effect::Allow => 1,
        };
        (!self.forbid, self.distance, effect_order, self.rule)
    }
}

/// Puts gathered candidates in the order the combination rule tries them:
/// each rule once, at its shortest distance, then (distance, deny before
/// allow, declaration order), every `forbid` first. Sorting by rule first makes the dedup
/// n log n, where a search of the kept ones was quadratic.
pub fn rank(list: &mut Vec<Candidate>) {
    list.sort_unstable_by_key(|c| (c.rule, c.distance));
    list.dedup_by_key(|c| c.rule);
    list.sort_unstable_by_key(Candidate::key);
}

/// Cuts ranked candidates after the first unconditional one: nothing after
/// it can ever decide.
pub fn cut(list: &mut Vec<Candidate>) {
    if let Some(first_fixed) = list.iter().position(|c| !c.conditional) {
        list.truncate(first_fixed + 1);
    }
}

/// The candidates that can decide: `list` ranked and cut.
pub fn deciding(mut list: Vec<Candidate>) -> Vec<Candidate> {
    cut(&mut list);
    list
}

/// The combination rule's one gathering pass, for one action over the roles
/// of a scope, parents first (`order`): a role's candidates are the rules
/// naming it for the action (distance 0, from `own`: (role, rule) pairs
/// sorted) and each parent's candidates one step further, [`rank`]ed, and
/// [`cut`] when `cut_lists` (what the table stores: all that can decide).
/// [`build`] runs it cut for every action; [`row`] runs it uncut, for lint
/// and `explain`. `lists` is reused, one per role; `visit` sees each role's
/// list once it is complete.
pub(crate) fn pass(
    policy: &Policy,
    scope: &Scope,
    order: &[usize],
    own: &[(usize, usize)],
    cut_lists: bool,
    lists: &mut [Vec<Candidate>],
    mut visit: impl FnMut(usize, &[Candidate]),
) {
    for list in lists.iter_mut() {
        list.clear();
    }
    for &role in order {
        let mut list = lists.get_mut(role).map(std::mem::take).unwrap_or_default();
        // Each role finds its own rules by binary search, not by a scan of
        // the action's rules (roles × rules when every role has a rule).
        let first = own.partition_point(|&(r, _)| r < role);
        for &(_, rule_id) in own
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&(r, _)| r == role)
        {
            if let Some(rule) = policy.rules.get(rule_id) {
                list.push(Candidate {
                    distance: 0,
                    effect: rule.effect,
                    rule: rule_id,
                    conditional: rule.condition.is_some(),
                    forbid: rule.forbid,
                });
            }
        }
        let parents = scope.parents_of(role);
        for &p in parents {
            if let Some(parent_list) = lists.get(p) {
                list.extend(parent_list.iter().map(|c| Candidate {
                    distance: c.distance.saturating_add(1),
                    ..*c
                }));
            }
        }
        // Every role inherits `everyone`'s rules, farther than any declared
        // ancestor (`everyone` comes first in `order`: its list is complete).
        if let Some(e) = scope.everyone.filter(|&e| e != role) {
            if let Some(everyone) = lists.get(e) {
                list.extend(everyone.iter().map(|c| Candidate {
                    distance: crate::resolve::EVERYONE_DISTANCE,
                    ..*c
                }));
            }
        }
        rank(&mut list);
        if cut_lists {
            cut(&mut list);
        }
        visit(role, &list);
        if let Some(slot) = lists.get_mut(role) {
            *slot = list;
        }
    }
}

/// What a hypothetical [`row`] leaves out of the policy, for lint's what-ifs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Omit {
    /// Nothing: the row the table was compiled with.
    Nothing,
    /// One (rule, named role) pair: the rule as if it did not name the role.
    Pair(usize, usize),
    /// A whole rule.
    Rule(usize),
}

impl Omit {
    fn leaves_out(self, rule: usize, role: usize) -> bool {
        match self {
            Omit::Nothing => false,
            Omit::Pair(r, named) => r == rule && named == role,
            Omit::Rule(r) => r == rule,
        }
    }
}

/// Every role's uncut candidates for one action of a scope, by role: the
/// [`pass`] the table was compiled with, uncut, with what `omit` says left
/// out of the policy.
pub(crate) fn row(
    table: &DecisionTable,
    scope: usize,
    action: usize,
    omit: Omit,
) -> Vec<Vec<Candidate>> {
    let policy = &table.policy;
    let Some((_, sc)) = policy.scopes.get_index(scope) else {
        return Vec::new();
    };
    // By role, then rule: what `pass` expects (`rules_naming` is in
    // declaration order).
    let mut own = Vec::new();
    for r in 0..sc.roles.len() {
        for &id in table.rules_naming(scope, r) {
            let names_action = policy
                .rules
                .get(id)
                .is_some_and(|rule| rule.actions.contains(&action));
            if names_action && !omit.leaves_out(id, r) {
                own.push((r, id));
            }
        }
    }
    let order = topological_order(sc.roles.values().map(|r| r.parents.as_slice()));
    let mut lists = vec![Vec::new(); sc.roles.len()];
    pass(policy, sc, &order, &own, false, &mut lists, |_, _| {});
    lists
}

/// When a cell allows, from its ranked candidates: the first whose condition
/// holds decides, none holding is a deny. Simplified as it is folded
/// (constants absorbed, `or`s and `and`s flattened).
pub fn allow_when(policy: &Policy, list: &[Candidate]) -> Cond {
    let condition_of = |rule: usize| policy.rules.get(rule).and_then(|r| r.condition.as_ref());
    // Fold from the last candidate: allow_when = c1 ? e1 : (c2 ? e2 : … : deny).
    let mut allow_when = Fold::Done(Cond::Const(false));
    for c in list.iter().rev() {
        let holds = condition_of(c.rule).map_or(Cond::Const(true), |c| c.expr.clone());
        allow_when = match c.effect {
            Effect::Allow => allow_when.or(holds),
            Effect::Deny => allow_when.and(not(holds)),
        };
    }
    allow_when.finish()
}

/// What conditional cells share an entry by: their candidates and, when a
/// candidate reads the kind, the kinds that may hold the role.
type SharedKey = (Vec<(Effect, usize)>, Option<Vec<bool>>);

/// Builds the decision table: the combination rule applied to every cell.
pub(crate) fn build(policy: Policy) -> DecisionTable {
    let mut layout = Vec::with_capacity(policy.scopes.len());
    let mut base = 0usize;
    for scope in policy.scopes.values() {
        layout.push(ScopeLayout {
            base,
            roles: scope.roles.len(),
            actions: scope.actions.len(),
        });
        base += scope.roles.len() * scope.actions.len();
    }
    // A targeted action's grid comes after every plain cell: per (self or
    // not, target role), one row of the scope's roles.
    let mut target_grid: Vec<Vec<Option<usize>>> = Vec::with_capacity(policy.scopes.len());
    for scope in policy.scopes.values() {
        let roles = scope.roles.len();
        target_grid.push(
            scope
                .actions
                .values()
                .map(|a| {
                    a.targeted.then(|| {
                        let grid = base;
                        base += 2 * roles * roles;
                        grid
                    })
                })
                .collect(),
        );
    }
    let mut cells = vec![TAG_DEFAULT; base];
    let mut maker = CellMaker::new(&policy);
    // Each scope reads its own rules only: a scan of every rule per scope made
    // compiling quadratic in the number of scopes.
    let mut rules_of_scope: Vec<Vec<usize>> = vec![Vec::new(); policy.scopes.len()];
    for (rule_id, rule) in policy.rules.iter().enumerate() {
        if let Some(list) = rules_of_scope.get_mut(rule.scope) {
            list.push(rule_id);
        }
    }

    for (s, scope) in policy.scopes.values().enumerate() {
        let Some(&ScopeLayout {
            base,
            roles,
            actions,
        }) = layout.get(s)
        else {
            continue;
        };
        let order = topological_order(scope.roles.values().map(|r| r.parents.as_slice()));
        // own[action] = (role, rule) pairs written directly.
        let mut own: Vec<Vec<(usize, usize)>> = vec![Vec::new(); actions];
        for &rule_id in rules_of_scope.get(s).map_or(&[][..], Vec::as_slice) {
            let Some(rule) = policy.rules.get(rule_id) else {
                continue;
            };
            for &a in &rule.actions {
                if let Some(list) = own.get_mut(a) {
                    list.extend(rule.roles.iter().map(|&r| (r, rule_id)));
                }
            }
        }
        let may_hold = crate::decision::holders::kinds_that_may_hold(&policy, s, scope);
        let grids = target_grid.get(s).map_or(&[][..], Vec::as_slice);
        let ranks = grids
            .iter()
            .any(Option::is_some)
            .then(|| Ranks::of(scope, &order));
        let mut lists: Vec<Vec<Candidate>> = vec![Vec::new(); roles];
        for (a, own_rules) in own.iter_mut().enumerate() {
            if own_rules.is_empty() {
                continue; // every cell of the row stays default deny
            }
            own_rules.sort_unstable();
            let grid = grids.get(a).copied().flatten();
            if let (Some(grid), Some(ranks)) = (grid, &ranks) {
                // Every role's candidates uncut, then each (target, self or
                // not) cell cut from the candidates whose `on …` it matches.
                pass(
                    &policy,
                    scope,
                    &order,
                    own_rules,
                    false,
                    &mut lists,
                    |_, _| {},
                );
                let mut list = Vec::new();
                for on_self in [false, true] {
                    for target in 0..roles {
                        let row = grid + (usize::from(on_self) * roles + target) * roles;
                        for (role, candidates) in lists.iter().enumerate() {
                            list.clear();
                            list.extend(candidates.iter().copied().filter(|c| {
                                policy.rules.get(c.rule).is_some_and(|rule| {
                                    ranks.targets(rule.target.as_ref(), role, target, on_self)
                                })
                            }));
                            cut(&mut list);
                            let word = maker.word(role, &list, &may_hold);
                            if let Some(cell) = cells.get_mut(row + role) {
                                *cell = word;
                            }
                        }
                    }
                }
                // The untargeted reading: may the role do it to someone else.
                let mut words: Vec<u32> = Vec::with_capacity(roles);
                for role in 0..roles {
                    words.clear();
                    words.extend((0..roles).map(|t| {
                        cells
                            .get(grid + t * roles + role)
                            .copied()
                            .unwrap_or(TAG_DEFAULT)
                    }));
                    let word = maker.union(role, &words, &may_hold);
                    if let Some(cell) = cells.get_mut(base + a * roles + role) {
                        *cell = word;
                    }
                }
                continue;
            }
            pass(
                &policy,
                scope,
                &order,
                own_rules,
                true,
                &mut lists,
                |role, list| {
                    let word = maker.word(role, list, &may_hold);
                    if let Some(cell) = cells.get_mut(base + a * roles + role) {
                        *cell = word;
                    }
                },
            );
        }
    }
    let conditional = maker.conditional;

    let mut has_adding = vec![false; policy.scopes.len()];
    for o in policy.overrides.iter().filter(|o| o.adds) {
        if let Some(flag) = has_adding.get_mut(o.scope) {
            *flag = true;
        }
    }
    let override_holders = policy
        .overrides
        .iter()
        .map(|o| match o.subject {
            Subject::Role { scope, role } => policy
                .scopes
                .get_index(scope)
                .map(|(_, sc)| {
                    descendants_or_self(sc.roles.values().map(|r| r.parents.as_slice()), role)
                })
                .unwrap_or_default(),
            Subject::Fact(_) | Subject::Everyone => Vec::new(),
        })
        .collect();

    DecisionTable {
        any_forbid: policy.rules.iter().any(|r| r.forbid),
        names: crate::compile::names::NameIndex::new(&policy),
        rules_naming: rules_naming(&policy),
        policy,
        layout,
        cells: crate::compile::cells::Cells::pack(&cells),
        conditional,
        override_holders,
        has_adding,
        target_grid,
        relevant: std::sync::OnceLock::new(),
        default_vars: std::sync::OnceLock::new(),
        paths: Default::default(),
    }
}

/// Turns a cell's cut candidates into its word, keeping the conditional side
/// table: cells with the same candidates share one entry.
struct CellMaker<'p> {
    policy: &'p Policy,
    conditional: Vec<ConditionalCell>,
    shared: HashMap<SharedKey, u32>,
    /// Untargeted readings made of several conditional cells, by their entries.
    unions: HashMap<(Vec<u32>, Option<Vec<bool>>), u32>,
    /// Whether each rule's condition reads the principal's kind.
    reads_kind: Vec<bool>,
}

impl<'p> CellMaker<'p> {
    fn new(policy: &'p Policy) -> Self {
        let reads_kind = policy
            .rules
            .iter()
            .map(|r| {
                let mut read = Vec::new();
                if let Some(c) = &r.condition {
                    c.expr.facts(&mut read);
                }
                read.iter()
                    .any(|&a| matches!(policy.atoms.get(a).map(|a| a.var), Some(Var::Kind(_))))
            })
            .collect();
        CellMaker {
            policy,
            conditional: Vec::new(),
            shared: HashMap::new(),
            unions: HashMap::new(),
            reads_kind,
        }
    }

    /// The word of `role`'s cell from its ranked, cut candidates.
    fn word(&mut self, role: usize, list: &[Candidate], may_hold: &[Vec<bool>]) -> u32 {
        match list {
            [] => TAG_DEFAULT,
            [only] if !only.conditional => {
                let tag = match only.effect {
                    Effect::Allow => TAG_ALLOW,
                    Effect::Deny => TAG_DENY,
                };
                // Rule indexes fit in 30 bits (resolve::MAX_CELLS).
                (tag << TAG_SHIFT) | (only.rule as u32 & INDEX_MASK)
            }
            _ => {
                // Cells with the same candidates share one side-table entry:
                // a conditional rule on a role makes all its descendants'
                // cells alike, and sharing keeps the table near 4 bytes a cell.
                let key: Vec<(Effect, usize)> = list.iter().map(|c| (c.effect, c.rule)).collect();
                // Roles whose holders' kinds differ may not share a
                // cell whose conditions read the kind.
                let kinds = list
                    .iter()
                    .any(|c| self.reads_kind.get(c.rule) == Some(&true))
                    .then(|| may_hold.get(role).cloned())
                    .flatten();
                let (policy, conditional) = (self.policy, &mut self.conditional);
                let index = *self.shared.entry((key, kinds)).or_insert_with(|| {
                    let index = conditional.len() as u32;
                    let feasible = Feasible {
                        policy,
                        kinds: may_hold.get(role).map(Vec::as_slice),
                    };
                    conditional.push(conditional_cell(policy, list, &feasible));
                    index
                });
                (TAG_CONDITIONAL << TAG_SHIFT) | (index & INDEX_MASK)
            }
        }
    }

    /// The untargeted reading of a targeted action's cell, from the role's
    /// cells over every target role (not self): allowed when one of them
    /// allows. One word when one cell says it all; otherwise an entry whose
    /// condition is the `or` of the conditional ones.
    fn union(&mut self, role: usize, words: &[u32], may_hold: &[Vec<bool>]) -> u32 {
        let mut deny: Option<u32> = None;
        let mut open: smallvec::SmallVec<[u32; 4]> = smallvec::SmallVec::new();
        for &w in words {
            let index = w & INDEX_MASK;
            match w >> TAG_SHIFT {
                TAG_ALLOW => return w,
                TAG_CONDITIONAL => match self.conditional.get(index as usize).map(|c| c.fixed) {
                    Some(Some(Effect::Allow)) => return w,
                    Some(Some(Effect::Deny)) => {
                        deny.get_or_insert(w);
                    }
                    _ => {
                        if !open.contains(&index) {
                            open.push(index);
                        }
                    }
                },
                TAG_DENY => {
                    // A deny a rule decided says more than a fixed conditional one.
                    deny = match deny {
                        Some(d) if d >> TAG_SHIFT == TAG_DENY => Some(d),
                        _ => Some(w),
                    };
                }
                _ => {}
            }
        }
        // "To someone" ranges over the target's kinds too: a cell that reads
        // `target kind is` is read for some kind (or none) of the target.
        let reads_target_kind = open.iter().any(|&i| {
            self.conditional.get(i as usize).is_some_and(|c| {
                let mut read = Vec::new();
                c.allow_when.facts(&mut read);
                read.iter().any(|&a| {
                    matches!(
                        self.policy.atoms.get(a).map(|x| x.var),
                        Some(Var::TargetKind(_))
                    )
                })
            })
        });
        match open.as_slice() {
            [] => deny.unwrap_or(TAG_DEFAULT),
            [only] if !reads_target_kind => (TAG_CONDITIONAL << TAG_SHIFT) | (only & INDEX_MASK),
            _ => {
                let key = (open.to_vec(), may_hold.get(role).cloned());
                if let Some(&index) = self.unions.get(&key) {
                    return (TAG_CONDITIONAL << TAG_SHIFT) | (index & INDEX_MASK);
                }
                let allow_when = Cond::Or(
                    open.iter()
                        .filter_map(|&i| self.conditional.get(i as usize))
                        .map(|c| c.allow_when.clone())
                        .collect(),
                );
                let allow_when = if reads_target_kind {
                    some_target_kind(self.policy, &allow_when)
                } else {
                    allow_when
                };
                let feasible = Feasible {
                    policy: self.policy,
                    kinds: may_hold.get(role).map(Vec::as_slice),
                };
                let index = self.conditional.len() as u32;
                self.conditional
                    .push(union_cell(self.policy, allow_when, &feasible));
                self.unions.insert(key, index);
                (TAG_CONDITIONAL << TAG_SHIFT) | (index & INDEX_MASK)
            }
        }
    }
}

/// The inheritance ranks of one scope's roles, for targeted rules: whether a
/// role is a strict ancestor of another (`everyone` is every declared role's).
pub(crate) struct Ranks {
    roles: usize,
    /// `ancestor[b * roles + a]`: `a` is a strict ancestor of `b`.
    ancestor: Vec<bool>,
    everyone: Option<usize>,
}

impl Ranks {
    /// The ranks of `scope`'s roles; `order` has every role after its parents.
    pub(crate) fn of(scope: &Scope, order: &[usize]) -> Ranks {
        let roles = scope.roles.len();
        let mut ancestor = vec![false; roles * roles];
        for &role in order {
            for &p in scope.parents_of(role) {
                if let Some(cell) = ancestor.get_mut(role * roles + p) {
                    *cell = true;
                }
                // Parents come first in `order`: their ancestors are complete.
                for a in 0..roles {
                    if ancestor.get(p * roles + a) == Some(&true) {
                        if let Some(cell) = ancestor.get_mut(role * roles + a) {
                            *cell = true;
                        }
                    }
                }
            }
            if let Some(e) = scope.everyone.filter(|&e| e != role) {
                if let Some(cell) = ancestor.get_mut(role * roles + e) {
                    *cell = true;
                }
            }
        }
        Ranks {
            roles,
            ancestor,
            everyone: scope.everyone,
        }
    }

    /// Whether `a` is a strict ancestor of `b` (`b` inherits `a`).
    fn above(&self, a: usize, b: usize) -> bool {
        self.ancestor.get(b * self.roles + a) == Some(&true)
    }

    /// Whether a rule with `target` bears on the cell of `role` acting on a
    /// target holding `target_role` (`on_self`: the principal themself).
    pub(crate) fn targets(
        &self,
        target: Option<&crate::resolve::Target>,
        role: usize,
        target_role: usize,
        on_self: bool,
    ) -> bool {
        use crate::resolve::TargetRole;
        use crate::syntax::ast::TargetWho;
        let Some(target) = target else {
            return true;
        };
        match target.who {
            Some(TargetWho::Myself) if !on_self => return false,
            Some(TargetWho::Others) if on_self => return false,
            _ => {}
        }
        target.roles.is_empty()
            || target.roles.iter().any(|sel| match *sel {
                TargetRole::Role { role: named, exact } => {
                    target_role == named || (!exact && self.above(named, target_role))
                }
                TargetRole::Everyone { exact } => !exact || Some(target_role) == self.everyone,
                TargetRole::Below => self.above(target_role, role),
                TargetRole::AtOrBelow => target_role == role || self.above(target_role, role),
                TargetRole::Above => self.above(role, target_role),
            })
    }
}

/// The cells rule `rule` names directly (distance 0), where it competes:
/// each of its roles for each of its plain actions, and for a targeted
/// action each grid cell of its roles whose target its `on …` lets in
/// ([`Ranks::targets`], the one reading of `on …`). A targeted action's
/// ordinary cell is the union over targets, no one rule's to win or lose,
/// so it is not listed. In (action, role, column) order.
#[cfg(feature = "lsp")]
pub(crate) fn named_cells(table: &DecisionTable, rule: usize) -> Vec<CellPlace> {
    let policy = &table.policy;
    let Some(r) = policy.rules.get(rule) else {
        return Vec::new();
    };
    let Some((_, sc)) = policy.scopes.get_index(r.scope) else {
        return Vec::new();
    };
    let targeted = |a: usize| sc.actions.get_index(a).is_some_and(|(_, d)| d.targeted);
    let ranks = r.actions.iter().any(|&a| targeted(a)).then(|| {
        let order = topological_order(sc.roles.values().map(|x| x.parents.as_slice()));
        Ranks::of(sc, &order)
    });
    let roles = sc.roles.len();
    let mut out = Vec::new();
    for &action in &r.actions {
        for &role in &r.roles {
            let place = |column| CellPlace {
                scope: r.scope,
                action,
                role,
                column,
            };
            match (&ranks, targeted(action)) {
                (Some(ranks), true) => out.extend(
                    TargetColumn::all(roles)
                        .filter(|c| {
                            ranks.targets(r.target.as_ref(), role, c.role(role), c.on_self())
                        })
                        .map(|c| place(Some(c))),
                ),
                _ => out.push(place(None)),
            }
        }
    }
    out
}

/// Per scope, per role, the rules naming the role, in declaration order.
fn rules_naming(policy: &Policy) -> Vec<Vec<Vec<usize>>> {
    let mut index: Vec<Vec<Vec<usize>>> = policy
        .scopes
        .values()
        .map(|s| vec![Vec::new(); s.roles.len()])
        .collect();
    for (id, rule) in policy.rules.iter().enumerate() {
        for &r in &rule.roles {
            if let Some(list) = index.get_mut(rule.scope).and_then(|s| s.get_mut(r)) {
                if list.last() != Some(&id) {
                    list.push(id);
                }
            }
        }
    }
    index
}

/// Roles ordered so that every role comes after its parents.
pub(crate) fn topological_order<'a>(parents: impl Iterator<Item = &'a [usize]>) -> Vec<usize> {
    let parents: Vec<&[usize]> = parents.collect();
    let n = parents.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (role, ps) in parents.iter().enumerate() {
        for &p in *ps {
            if let Some(c) = children.get_mut(p) {
                c.push(role);
            }
            if let Some(count) = pending.get_mut(role) {
                *count += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&r| pending.get(r) == Some(&0)).collect();
    let mut i = 0;
    while let Some(&role) = order.get(i) {
        i += 1;
        for &child in children.get(role).map(Vec::as_slice).unwrap_or_default() {
            if let Some(count) = pending.get_mut(child) {
                *count -= 1;
                if *count == 0 {
                    order.push(child);
                }
            }
        }
    }
    order
}

/// For each role, whether it is `target` or inherits it.
fn descendants_or_self<'a>(parents: impl Iterator<Item = &'a [usize]>, target: usize) -> Vec<bool> {
    let parents: Vec<&[usize]> = parents.collect();
    let order = topological_order(parents.iter().copied());
    let mut marked = vec![false; parents.len()];
    for role in order {
        let inherits = role == target
            || parents
                .get(role)
                .is_some_and(|ps| ps.iter().any(|&p| marked.get(p) == Some(&true)));
        if let Some(m) = marked.get_mut(role) {
            *m = inherits;
        }
    }
    marked
}

/// Facts beyond which the outcome is not enumerated to prove it fixed.
const MAX_ENUMERATED_FACTS: usize = 16;

/// The assignments of condition variables that can occur in one cell: a
/// setting has one value, a principal one kind, and only a kind that may
/// hold the cell's role ([`holders`](crate::decision::holders)).
pub(crate) struct Feasible<'a> {
    pub policy: &'a Policy,
    /// Per kind, whether it may hold the role (`None`: any kind).
    pub kinds: Option<&'a [bool]>,
}

impl Feasible<'_> {
    /// Whether variable `read[j]` true exactly for the bits of `bits` can occur.
    fn allows(&self, read: &[usize], bits: u64) -> bool {
        let mut kind_seen = false;
        let mut target_kind_seen = false;
        let mut settings_seen: smallvec::SmallVec<[usize; 4]> = smallvec::SmallVec::new();
        for (j, &atom) in read.iter().enumerate() {
            if bits & (1 << j) == 0 {
                continue;
            }
            match self.policy.atoms.get(atom).map(|a| a.var) {
                Some(Var::Value { setting, .. }) => {
                    if settings_seen.contains(&setting) {
                        return false;
                    }
                    settings_seen.push(setting);
                }
                Some(Var::Kind(k)) => {
                    if kind_seen || self.kinds.is_some_and(|m| m.get(k) != Some(&true)) {
                        return false;
                    }
                    kind_seen = true;
                }
                // A target is of one kind at most, whatever holds the role.
                Some(Var::TargetKind(_)) => {
                    if target_kind_seen {
                        return false;
                    }
                    target_kind_seen = true;
                }
                Some(Var::Fact(_)) | None => {}
            }
        }
        true
    }
}

fn conditional_cell(
    policy: &Policy,
    list: &[Candidate],
    feasible: &Feasible<'_>,
) -> ConditionalCell {
    let candidates: Vec<(Effect, usize)> = list.iter().map(|c| (c.effect, c.rule)).collect();
    let condition_of = |rule: usize| policy.rules.get(rule).and_then(|r| r.condition.as_ref());
    let allow_when = allow_when(policy, list);
    let text = match candidates.as_slice() {
        [(Effect::Allow, rule)] => condition_of(*rule).map(|c| c.text.clone()),
        _ => None,
    }
    .unwrap_or_else(|| allow_when.render(&|f| policy.fact_name(f)));
    let fixed = fixed_outcome(policy, &candidates, &allow_when, feasible);
    let truth = TruthTable::of(&allow_when);
    ConditionalCell {
        candidates,
        allow_when,
        text,
        fixed: fixed.map(|(effect, _)| effect),
        fixed_rule: fixed.and_then(|(_, rule)| rule),
        truth,
        union: false,
    }
}

/// `cond` for some kind of the target, or none: the `or`, over each kind and
/// no kind, of `cond` with the target-kind variables fixed accordingly.
fn some_target_kind(policy: &Policy, cond: &Cond) -> Cond {
    let kind_of = |a: usize| match policy.atoms.get(a).map(|x| x.var) {
        Some(Var::TargetKind(k)) => Some(k),
        _ => None,
    };
    let choices = std::iter::once(None).chain((0..policy.kinds.len()).map(Some));
    Cond::Or(
        choices
            .map(|choice| cond.pin(&|a| kind_of(a).map(|k| Some(k) == choice)))
            .collect(),
    )
    .pin(&|_| None)
}

/// The untargeted reading of a targeted action when it is conditional on
/// several targets' cells: allowed when `allow_when` (their `or`) holds; no
/// one rule decides it.
fn union_cell(policy: &Policy, allow_when: Cond, feasible: &Feasible<'_>) -> ConditionalCell {
    let mut facts = Vec::new();
    allow_when.facts(&mut facts);
    let mut seen: Option<bool> = None;
    let mut fixed = facts.len() <= MAX_ENUMERATED_FACTS;
    if fixed {
        for bits in 0u64..(1 << facts.len()) {
            if !feasible.allows(&facts, bits) {
                continue;
            }
            let value = eval_assignment(&allow_when, &facts, bits);
            if seen.is_some_and(|v| v != value) {
                fixed = false;
                break;
            }
            seen = Some(value);
        }
    }
    ConditionalCell {
        candidates: Vec::new(),
        text: allow_when.render(&|f| policy.fact_name(f)),
        truth: TruthTable::of(&allow_when),
        allow_when,
        fixed: fixed
            .then_some(seen)
            .flatten()
            .map(|allows| if allows { Effect::Allow } else { Effect::Deny }),
        fixed_rule: None,
        union: true,
    }
}

/// The outcome when it is the same for every assignment of the variables
/// read that can occur, with the rule deciding it when that is one rule too.
fn fixed_outcome(
    policy: &Policy,
    candidates: &[(Effect, usize)],
    allow_when: &Cond,
    feasible: &Feasible<'_>,
) -> Option<(Effect, Option<usize>)> {
    let mut facts = Vec::new();
    allow_when.facts(&mut facts);
    if facts.len() > MAX_ENUMERATED_FACTS {
        return None;
    }
    let condition_of = |rule: usize| policy.rules.get(rule).and_then(|r| r.condition.as_ref());
    let mut seen: Option<(Effect, Option<usize>)> = None;
    for bits in 0u64..(1 << facts.len()) {
        if !feasible.allows(&facts, bits) {
            continue;
        }
        let decided = candidates
            .iter()
            .find(|&&(_, rule)| {
                condition_of(rule).is_none_or(|c| eval_assignment(&c.expr, &facts, bits))
            })
            .map_or((Effect::Deny, None), |&(effect, rule)| (effect, Some(rule)));
        seen = match seen {
            None => Some(decided),
            Some((effect, _)) if effect != decided.0 => return None,
            Some((effect, rule)) if rule != decided.1 => Some((effect, None)),
            same => same,
        };
    }
    seen
}

/// The fold's accumulator. Each step puts one condition in front of what was
/// folded so far; an `Or` or `And` being built is kept back to front, so that
/// step is a push, not an insertion at the front (quadratic in the candidates).
enum Fold {
    Done(Cond),
    /// The items of a `Cond::Or`, last first.
    Or(Vec<Cond>),
    /// The items of a `Cond::And`, last first.
    And(Vec<Cond>),
}

impl Fold {
    fn finish(self) -> Cond {
        match self {
            Fold::Done(c) => c,
            Fold::Or(mut items) => {
                items.reverse();
                Cond::Or(items)
            }
            Fold::And(mut items) => {
                items.reverse();
                Cond::And(items)
            }
        }
    }

    /// An `Or` or `And` as an accumulator that can grow at the front.
    fn open(c: Cond) -> Fold {
        match c {
            Cond::Or(mut items) => {
                items.reverse();
                Fold::Or(items)
            }
            Cond::And(mut items) => {
                items.reverse();
                Fold::And(items)
            }
            c => Fold::Done(c),
        }
    }

    fn is_const(&self, value: bool) -> bool {
        matches!(self, Fold::Done(Cond::Const(b)) if *b == value)
    }

    /// `a or self`, simplified: constants absorbed, `or`s flattened.
    fn or(self, a: Cond) -> Fold {
        if a == Cond::Const(true) || self.is_const(true) {
            return Fold::Done(Cond::Const(true));
        }
        if a == Cond::Const(false) {
            return self;
        }
        if self.is_const(false) {
            return Fold::open(a);
        }
        match (a, self) {
            (Cond::Or(xs), Fold::Or(mut ys)) => {
                ys.extend(xs.into_iter().rev());
                Fold::Or(ys)
            }
            (x, Fold::Or(mut ys)) => {
                ys.push(x);
                Fold::Or(ys)
            }
            (x, y) => Fold::Or(vec![y.finish(), x]),
        }
    }

    /// `a and self`, simplified: constants absorbed, `and`s extended at the front.
    fn and(self, a: Cond) -> Fold {
        if a == Cond::Const(false) || self.is_const(false) {
            return Fold::Done(Cond::Const(false));
        }
        if a == Cond::Const(true) {
            return self;
        }
        if self.is_const(true) {
            return Fold::open(a);
        }
        match (a, self) {
            (x, Fold::And(mut ys)) => {
                ys.push(x);
                Fold::And(ys)
            }
            (x, y) => Fold::And(vec![y.finish(), x]),
        }
    }
}

fn not(a: Cond) -> Cond {
    match a {
        Cond::Const(b) => Cond::Const(!b),
        Cond::Not(inner) => *inner,
        x => Cond::Not(Box::new(x)),
    }
}
