//! The decision core: what a decision is, written once.
//!
//! The compiled table says what each (scope, action, role) cell decides. This
//! module says how a request turns into cells and back into one answer, for
//! every caller (the general `evaluate`, `eval`'s fast path, `explain`, the
//! REPL, `serve`, `test`): the roles held in each scope (assigned, else the
//! kind's default, else the scope's default), the first override that applies
//! (it replaces the held roles of its target scope), the union over the
//! effective roles (the first that allows decides; else the first deny that a
//! rule decided), the facts that would change the answer, the inheritance
//! path from the deciding role to the role its rule names, and the one
//! sentence that says why ([`reason`]).

pub(crate) mod combine;
pub mod explanation;
pub(crate) mod holders;
pub(crate) mod paths;
pub(crate) mod reason;

use std::collections::VecDeque;

use crate::compile::{ActionId, DecisionTable, FactSet, Outcome};
use crate::eval::RoleSource;
use crate::resolve::{Assignable, DefaultRole, Override, Subject};
use crate::syntax::ast::Effect;

/// What the core reads of a request's principal, whoever parsed it.
pub(crate) trait Principal {
    /// Role indexes assigned in scope `scope` (empty: none).
    fn assigned(&self, scope: usize) -> &[usize];
    /// The kind index, when the request gives one.
    fn kind(&self) -> Option<usize>;
    /// Calls `f` with each scope the request assigns roles in and those
    /// roles, until `f` returns `false`; `false` then.
    fn each_assigned(&self, f: &mut dyn FnMut(usize, &[usize]) -> bool) -> bool;
    /// Whom the action is done to (a targeted action's request names it).
    fn target(&self) -> TargetOf<'_> {
        TargetOf::None
    }
}

/// Whom a request's action is done to.
#[derive(Clone, Copy)]
pub(crate) enum TargetOf<'a> {
    /// Nobody named: a plain action.
    None,
    /// The principal themself.
    Myself,
    /// Another participant, read like a principal (roles per scope, kind).
    Other(&'a dyn Principal),
}

/// A principal as another kind: what `would_change` tries for a request
/// that gives no kind.
struct AsKind<'a, P: ?Sized> {
    principal: &'a P,
    kind: usize,
}

impl<P: Principal + ?Sized> Principal for AsKind<'_, P> {
    fn assigned(&self, scope: usize) -> &[usize] {
        self.principal.assigned(scope)
    }
    fn kind(&self) -> Option<usize> {
        Some(self.kind)
    }
    fn each_assigned(&self, f: &mut dyn FnMut(usize, &[usize]) -> bool) -> bool {
        self.principal.each_assigned(f)
    }
    fn target(&self) -> TargetOf<'_> {
        self.principal.target()
    }
}

/// The effective roles of one decision: inline for the common request, so
/// deciding allocates nothing.
pub(crate) type Roles = smallvec::SmallVec<[usize; 8]>;

/// One decision, by ids. The effective roles are left in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Allow or deny.
    pub effect: Effect,
    /// Where the held roles of the action's scope came from.
    pub source: RoleSource,
    /// The first held role of the action's scope (a default's role).
    pub held_first: Option<usize>,
    /// The replacing override applied, by index.
    pub override_applied: Option<usize>,
    /// The adding override (`also joins`) that gave the deciding role, when
    /// neither the held roles nor a replacing override did, by index.
    pub added_by: Option<usize>,
    /// The rule that decided (`None`: default deny).
    pub rule: Option<usize>,
    /// The effective role whose cell decided.
    pub deciding_role: Option<usize>,
    /// Whether the rule that decided is a `forbid`.
    pub forbid: bool,
    /// For a targeted action: the target's role whose cell decided (`None`
    /// when the target holds no role in the scope).
    pub target_role: Option<usize>,
    /// For a targeted action: whether the target is the principal themself.
    pub on_self: bool,
    /// Whether the action is targeted (the fields above mean something).
    pub targeted: bool,
}

/// Roles added by `also joins` overrides: (override, role).
type Added = smallvec::SmallVec<[(usize, usize); 2]>;

/// Reused storage for [`DecisionTable::inheritance_path_into`]. A role was
/// seen in this walk when its stamp is the walk's: nothing role-sized is
/// cleared between walks, so a walk costs the roles it visits, not the
/// roles of the scope.
#[derive(Debug, Default)]
pub(crate) struct PathScratch {
    came_from: Vec<Option<usize>>,
    stamp: Vec<u32>,
    /// The walk's stamp on each role the rule names (one look-up per visited
    /// role instead of a scan of the rule's roles).
    named: Vec<u32>,
    walk: u32,
    queue: VecDeque<usize>,
}

impl PathScratch {
    /// Starts a walk over a scope of `roles` roles.
    fn start(&mut self, roles: usize) {
        if self.stamp.len() < roles {
            self.stamp.resize(roles, 0);
            self.named.resize(roles, 0);
            self.came_from.resize(roles, None);
        }
        self.walk = self.walk.wrapping_add(1);
        if self.walk == 0 {
            // Stamps wrapped around: every old stamp could read as this walk's.
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.named.iter_mut().for_each(|s| *s = 0);
            self.walk = 1;
        }
        self.queue.clear();
    }

    /// Marks the roles the walk looks for.
    fn name(&mut self, roles: &[usize]) {
        for &r in roles {
            if let Some(stamp) = self.named.get_mut(r) {
                *stamp = self.walk;
            }
        }
    }

    fn is_named(&self, role: usize) -> bool {
        self.named.get(role) == Some(&self.walk)
    }

    /// Marks `role` seen, coming from `from`; `false` when it already was.
    fn visit(&mut self, role: usize, from: Option<usize>) -> bool {
        match (self.stamp.get_mut(role), self.came_from.get_mut(role)) {
            (Some(stamp), Some(came)) if *stamp != self.walk => {
                *stamp = self.walk;
                *came = from;
                true
            }
            _ => false,
        }
    }
}

thread_local! {
    /// The library path's scratch, one per thread, so asking for a path
    /// allocates nothing once a thread has walked its largest scope.
    static PATH_SCRATCH: std::cell::RefCell<PathScratch> = std::cell::RefCell::default();
}

/// Runs `f` with this thread's path scratch (a fresh one if it is in use).
pub(crate) fn with_path_scratch<R>(f: impl FnOnce(&mut PathScratch) -> R) -> R {
    PATH_SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut PathScratch::default()),
    })
}

impl DecisionTable {
    /// The roles held in `scope` before overrides, and where they come from.
    pub(crate) fn held<'a>(
        &'a self,
        principal: &'a (impl Principal + ?Sized),
        scope: usize,
        facts: &FactSet,
    ) -> (&'a [usize], RoleSource) {
        let assigned = principal.assigned(scope);
        if !assigned.is_empty() {
            return (assigned, RoleSource::Assigned);
        }
        match self.default_for(scope, principal.kind(), facts) {
            Some((d, source)) => (d.role.as_slice(), source),
            None => (&[], RoleSource::Nothing),
        }
    }

    /// The default that applies in `scope` to an unassigned principal of
    /// `kind` under `facts`: the kind's defaults in order, then the plain
    /// ones; the first whose condition holds.
    pub(crate) fn default_for(
        &self,
        scope: usize,
        kind: Option<usize>,
        facts: &FactSet,
    ) -> Option<(&DefaultRole, RoleSource)> {
        let (_, sc) = self.policy.scopes.get_index(scope)?;
        let holds = |d: &&DefaultRole| {
            d.condition
                .as_ref()
                .is_none_or(|c| c.expr.eval(&|f| facts.get(f)))
        };
        kind.and_then(|k| sc.kind_defaults.get(&k))
            .and_then(|list| list.iter().find(holds))
            .map(|d| (d, RoleSource::KindDefault))
            .or_else(|| {
                sc.defaults
                    .iter()
                    .find(holds)
                    .map(|d| (d, RoleSource::ScopeDefault))
            })
    }

    /// The `assignable` list of `kind` in `scope` under `facts`: the first
    /// of the kind's lines whose condition holds (`None`: no list, so any
    /// role may be assigned).
    pub(crate) fn assignable_list(
        &self,
        scope: usize,
        kind: usize,
        facts: &FactSet,
    ) -> Option<&Assignable> {
        let (_, sc) = self.policy.scopes.get_index(scope)?;
        sc.assignable.get(&kind)?.iter().find(|a| {
            a.condition
                .as_ref()
                .is_none_or(|c| c.expr.eval(&|f| facts.get(f)))
        })
    }

    /// Whether override `i` applies to `principal` under `facts`.
    fn override_applies(
        &self,
        principal: &(impl Principal + ?Sized),
        i: usize,
        o: &Override,
        facts: &FactSet,
    ) -> bool {
        let subject = match o.subject {
            Subject::Role { scope, .. } => self
                .held(principal, scope, facts)
                .0
                .iter()
                .any(|&r| self.override_triggered_by_role(i, r)),
            Subject::Fact(f) => facts.get(f),
            Subject::Everyone => true,
        };
        subject
            && o.condition
                .as_ref()
                .is_none_or(|c| c.expr.eval(&|f| facts.get(f)))
    }

    /// The first replacing override of `scope` that applies, in declaration order.
    pub(crate) fn applying_override(
        &self,
        principal: &(impl Principal + ?Sized),
        scope: usize,
        facts: &FactSet,
    ) -> Option<usize> {
        self.policy
            .overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.scope == scope && !o.adds)
            .find(|&(i, o)| self.override_applies(principal, i, o, facts))
            .map(|(i, _)| i)
    }

    /// Every adding override (`also joins`) of `scope` that applies, in
    /// declaration order, into `out`.
    pub(crate) fn adding_overrides(
        &self,
        principal: &(impl Principal + ?Sized),
        scope: usize,
        facts: &FactSet,
        mut out: impl FnMut(usize, &Override),
    ) {
        if !self.has_adding_override(scope) {
            return;
        }
        for (i, o) in self.policy.overrides.iter().enumerate() {
            if o.scope == scope && o.adds && self.override_applies(principal, i, o, facts) {
                out(i, o);
            }
        }
    }

    /// Whether an adding override (`also joins`) targets `scope`.
    pub(crate) fn has_adding_override(&self, scope: usize) -> bool {
        self.has_adding.get(scope).copied().unwrap_or(false)
    }

    /// The effective roles of `principal` in `scope` into `roles` (sorted,
    /// without repeats): the held roles or the replacing override's, the
    /// adding overrides' (into `added`), and `everyone` when that leaves
    /// none. Returns the held roles, where they come from, and the
    /// replacing override.
    fn effective_roles<'a>(
        &'a self,
        principal: &'a (impl Principal + ?Sized),
        scope: usize,
        facts: &FactSet,
        roles: &mut Roles,
        added: &mut Added,
    ) -> (&'a [usize], RoleSource, Option<usize>) {
        let (held, source) = self.held(principal, scope, facts);
        let override_applied = self.applying_override(principal, scope, facts);
        roles.clear();
        match override_applied.and_then(|o| self.policy.overrides.get(o)) {
            Some(o) => roles.push(o.role),
            None => roles.extend_from_slice(held),
        }
        self.adding_overrides(principal, scope, facts, |i, o| {
            added.push((i, o.role));
            roles.push(o.role);
        });
        roles.sort_unstable();
        roles.dedup();
        if roles.is_empty() {
            // A principal with no role here is still one of `everyone`.
            if let Some(e) = self
                .policy
                .scopes
                .get_index(scope)
                .and_then(|(_, s)| s.everyone)
            {
                roles.push(e);
            }
        }
        (held, source, override_applied)
    }

    /// The outcome of `role`'s cells of a targeted action over the target's
    /// roles: a `forbid` on any of them wins; else any deny denies (the
    /// first a rule decided, else the first); else all allow and the first
    /// target role's rule is cited. No target role: denied by no rule.
    pub(crate) fn decide_on_targets(
        &self,
        action: ActionId,
        role: crate::compile::RoleId,
        targets: &[usize],
        on_self: bool,
        facts: &FactSet,
    ) -> (Outcome, Option<usize>) {
        let mut allowed: Option<(Outcome, usize)> = None;
        let mut denied: Option<(Outcome, usize)> = None;
        for &t in targets {
            let Some(row) = self.target_row(action, t, on_self) else {
                continue;
            };
            let outcome = self.decide(row, role, facts);
            match (outcome.effect, outcome.rule) {
                (Effect::Deny, Some(rule)) if self.is_forbid(rule.index()) => {
                    return (outcome, Some(t));
                }
                (Effect::Deny, rule) => {
                    let better = denied.is_none_or(|(d, _)| d.rule.is_none() && rule.is_some());
                    if better {
                        denied = Some((outcome, t));
                    }
                }
                (Effect::Allow, _) => {
                    allowed.get_or_insert((outcome, t));
                }
            }
        }
        match denied.or(allowed) {
            Some((outcome, t)) => (outcome, Some(t)),
            None => (
                Outcome {
                    effect: Effect::Deny,
                    rule: None,
                },
                None,
            ),
        }
    }

    /// The roles of a targeted action's target in the action's scope, into
    /// `out`: another participant's effective roles, resolved as a
    /// principal's are, or the principal's own (`acting`) when acting on
    /// themself. Returns whether the target is the principal themself.
    pub(crate) fn targets_of(
        &self,
        principal: &(impl Principal + ?Sized),
        action: ActionId,
        facts: &FactSet,
        acting: &[usize],
        out: &mut Roles,
    ) -> bool {
        out.clear();
        match principal.target() {
            TargetOf::Myself => {
                out.extend_from_slice(acting);
                true
            }
            TargetOf::Other(target) => {
                let mut added = Added::new();
                self.effective_roles(target, action.scope(), facts, out, &mut added);
                false
            }
            // The request readers refuse this; no target is no cell.
            TargetOf::None => false,
        }
    }

    /// Decides `action` for `principal` under `facts`, leaving the effective
    /// roles (sorted, without repeats) in `roles`.
    pub(crate) fn decide_for(
        &self,
        principal: &(impl Principal + ?Sized),
        action: ActionId,
        facts: &FactSet,
        roles: &mut Roles,
    ) -> Decision {
        let scope = action.scope();
        let mut added = Added::new();
        let (held, source, override_applied) =
            self.effective_roles(principal, scope, facts, roles, &mut added);
        let targeted = self.is_targeted(action);
        let mut target_roles = Roles::new();
        let on_self =
            targeted && self.targets_of(principal, action, facts, roles, &mut target_roles);
        let mut decision = Decision {
            effect: Effect::Deny,
            source,
            held_first: held.first().copied(),
            override_applied,
            added_by: None,
            rule: None,
            deciding_role: None,
            forbid: false,
            target_role: None,
            on_self,
            targeted,
        };
        // The first allowing role decides, unless some effective role's cell
        // is decided by a `forbid`: that denies whatever the others allow,
        // so with a forbid in the policy every role is looked at.
        let mut first_deny: Option<(usize, usize, Option<usize>)> = None;
        let mut first_target: Option<usize> = None;
        for &role in roles.iter() {
            let Some(role_id) = self.role_at_index(scope, role) else {
                continue;
            };
            let (outcome, target_role) = if targeted {
                self.decide_on_targets(action, role_id, &target_roles, on_self, facts)
            } else {
                (self.decide(action, role_id, facts), None)
            };
            if first_target.is_none() {
                first_target = target_role;
            }
            match (outcome.effect, outcome.rule) {
                (Effect::Deny, Some(rule)) if self.is_forbid(rule.index()) => {
                    decision.effect = Effect::Deny;
                    decision.rule = Some(rule.index());
                    decision.deciding_role = Some(role);
                    decision.target_role = target_role;
                    decision.forbid = true;
                    first_deny = None;
                    break;
                }
                (Effect::Allow, rule) if decision.effect == Effect::Deny => {
                    decision.effect = Effect::Allow;
                    decision.rule = rule.map(|r| r.index());
                    decision.deciding_role = Some(role);
                    decision.target_role = target_role;
                    if !self.any_forbid {
                        break;
                    }
                }
                (Effect::Deny, Some(rule)) if first_deny.is_none() => {
                    first_deny = Some((rule.index(), role, target_role));
                }
                _ => {}
            }
        }
        if decision.effect == Effect::Deny && !decision.forbid {
            if let Some((rule, role, target_role)) = first_deny {
                decision.rule = Some(rule);
                decision.deciding_role = Some(role);
                decision.target_role = target_role;
            }
        }
        if decision.deciding_role.is_none() {
            decision.deciding_role = roles.first().copied();
            decision.target_role = first_target;
        }
        if !added.is_empty() {
            let replaced_by = override_applied.and_then(|o| self.policy.overrides.get(o));
            let in_base = |r: &usize| match replaced_by {
                Some(o) => o.role == *r,
                None => held.contains(r),
            };
            decision.added_by = decision
                .deciding_role
                .filter(|r| !in_base(r))
                .and_then(|r| added.iter().find(|&&(_, role)| role == r))
                .map(|&(i, _)| i);
        }
        decision
    }

    /// Whether rule `rule` is a `forbid`.
    pub(crate) fn is_forbid(&self, rule: usize) -> bool {
        self.any_forbid && self.policy.rules.get(rule).is_some_and(|r| r.forbid)
    }

    /// The facts an action's decision can turn on, sorted: those of its
    /// rules' conditions and of its scope's overrides (subjects and
    /// conditions). Computed for every action on the first call, then read.
    pub(crate) fn relevant_facts(&self, action: ActionId) -> &[usize] {
        self.relevant
            .get_or_init(|| self.relevant_facts_by_action())
            .get(action.scope())
            .and_then(|s| s.get(action.index()))
            .map_or(&[], Vec::as_slice)
    }

    /// [`relevant_facts`](Self::relevant_facts) of every action at once, per
    /// scope and action: one pass over the rules.
    fn relevant_facts_by_action(&self) -> Vec<Vec<Vec<usize>>> {
        let policy = &self.policy;
        let mut relevant: Vec<Vec<Vec<usize>>> = policy
            .scopes
            .values()
            .map(|s| vec![Vec::new(); s.actions.len()])
            .collect();
        for rule in &policy.rules {
            let Some(condition) = &rule.condition else {
                continue;
            };
            for &a in &rule.actions {
                if let Some(list) = relevant.get_mut(rule.scope).and_then(|s| s.get_mut(a)) {
                    condition.expr.facts(list);
                }
            }
        }
        for (scope, actions) in relevant.iter_mut().enumerate() {
            let mut facts = Vec::new();
            self.add_override_facts(scope, &mut facts);
            for list in actions.iter_mut() {
                list.extend_from_slice(&facts);
                list.sort_unstable();
                list.dedup();
            }
        }
        relevant
    }

    /// What else an action of `scope` can turn on: its overrides' subjects
    /// and conditions.
    fn add_override_facts(&self, scope: usize, facts: &mut Vec<usize>) {
        for o in self.policy.overrides.iter().filter(|o| o.scope == scope) {
            if let Subject::Fact(f) = o.subject {
                facts.push(f);
            }
            if let Some(c) = &o.condition {
                c.expr.facts(facts);
            }
        }
    }

    /// The variables the defaults an action of `scope` can depend on read,
    /// with the scope of each default: the scope's own and those of the
    /// scopes an override's subject role is held in. They matter only to a
    /// principal with nothing assigned in that scope.
    pub(crate) fn default_vars(&self, scope: usize) -> &[(usize, usize)] {
        self.default_vars
            .get_or_init(|| {
                (0..self.policy.scopes.len())
                    .map(|s| self.default_vars_of(s))
                    .collect()
            })
            .get(scope)
            .map_or(&[], Vec::as_slice)
    }

    fn default_vars_of(&self, scope: usize) -> Vec<(usize, usize)> {
        let mut scopes = vec![scope];
        for o in self.policy.overrides.iter().filter(|o| o.scope == scope) {
            if let Subject::Role { scope, .. } = o.subject {
                scopes.push(scope);
            }
        }
        scopes.sort_unstable();
        scopes.dedup();
        let mut out = Vec::new();
        for s in scopes {
            let Some((_, sc)) = self.policy.scopes.get_index(s) else {
                continue;
            };
            let mut vars = Vec::new();
            let defaults = sc
                .defaults
                .iter()
                .chain(sc.kind_defaults.values().flatten());
            for c in defaults.filter_map(|d| d.condition.as_ref()) {
                c.expr.facts(&mut vars);
            }
            out.extend(vars.into_iter().map(|v| (s, v)));
        }
        out
    }

    /// The facts of `relevant` the request did not give (so false) that, set
    /// true one at a time, would change the decision from `current`; pushed to `out`.
    /// A setting's variable set true is that setting given that value (the
    /// request did not give it, so none of its variables was true).
    #[expect(
        clippy::too_many_arguments,
        reason = "the request's parts and the reused buffers of a fast caller"
    )]
    pub(crate) fn would_change_into(
        &self,
        principal: &(impl Principal + ?Sized),
        action: ActionId,
        facts: &FactSet,
        given: &[usize],
        current: Effect,
        relevant: &[usize],
        trial: (&mut FactSet, &mut Roles),
        out: &mut Vec<usize>,
    ) {
        let (trial_facts, trial_roles) = trial;
        let start = out.len();
        // The defaults' variables, for a principal they can reach: with
        // nothing assigned in the default's scope.
        let from_defaults = self
            .default_vars(action.scope())
            .iter()
            .filter(|&&(s, v)| {
                principal.assigned(s).is_empty() && relevant.binary_search(&v).is_err()
            })
            .map(|&(_, v)| v);
        let mut seen: smallvec::SmallVec<[usize; 8]> = smallvec::SmallVec::new();
        let extra = from_defaults.filter(|v| {
            let new = !seen.contains(v);
            seen.push(*v);
            new
        });
        for f in relevant.iter().copied().chain(extra) {
            // A kind also picks defaults and assignability, which a trial of
            // its variable alone would not: kinds are tried below, whole.
            // The target's kind is the request's `target_kind`, not a fact to try.
            let is_kind = matches!(
                self.policy.atoms.get(f).map(|a| a.var),
                Some(crate::resolve::Var::Kind(_) | crate::resolve::Var::TargetKind(_))
            );
            if is_kind || given.contains(&f) {
                continue;
            }
            trial_facts.copy_from(facts);
            trial_facts.set(f, true);
            if self
                .decide_for(principal, action, trial_facts, trial_roles)
                .effect
                != current
            {
                out.push(f);
            }
        }
        // The kind, when the request gives none: each kind that, given, would
        // change the answer (through its defaults or a condition reading it),
        // tried as the whole request of that kind; a kind that may not be
        // assigned the request's roles would be an error, not an answer.
        // Declaration order (the defaults' variables were tried last).
        if let Some(found) = out.get_mut(start..) {
            found.sort_unstable();
        }
        if principal.kind().is_some() {
            return;
        }
        for k in 0..self.policy.kinds.len() {
            let Some(atom) = self.policy.kind_atom(k) else {
                continue;
            };
            if !(relevant.binary_search(&atom).is_ok()
                || self.kind_picks_defaults(principal, action.scope(), k))
            {
                continue;
            }
            trial_facts.copy_from(facts);
            trial_facts.set(atom, true);
            let as_kind = AsKind { principal, kind: k };
            let assignable = principal.each_assigned(&mut |s, roles| {
                self.assignable_list(s, k, trial_facts)
                    .is_none_or(|list| roles.iter().all(|r| list.roles.contains(r)))
            });
            if assignable
                && self
                    .decide_for(&as_kind, action, trial_facts, trial_roles)
                    .effect
                    != current
            {
                out.push(atom);
            }
        }
    }

    /// Whether kind `k` has defaults that `principal` would get: in `scope`,
    /// or in a scope whose roles trigger an override into it, where the
    /// principal has nothing assigned. There, giving the kind can change the
    /// roles held.
    fn kind_picks_defaults(
        &self,
        principal: &(impl Principal + ?Sized),
        scope: usize,
        k: usize,
    ) -> bool {
        let has = |s: usize| {
            principal.assigned(s).is_empty()
                && self
                    .policy
                    .scopes
                    .get_index(s)
                    .is_some_and(|(_, sc)| sc.kind_defaults.contains_key(&k))
        };
        has(scope)
            || self.policy.overrides.iter().any(|o| {
                o.scope == scope
                    && matches!(o.subject, Subject::Role { scope: from, .. } if has(from))
            })
    }

    /// Whether rule `rule` names role `role` itself: its inheritance path is
    /// `[role]`, found without a walk.
    pub(crate) fn names_directly(&self, rule: usize, role: usize) -> bool {
        self.policy
            .rules
            .get(rule)
            .is_some_and(|r| r.roles.contains(&role))
    }

    /// The inheritance path from `role` to the nearest role `rule` names,
    /// into `path`: `[role]` when the rule names it, `[role, parent, …, named]`
    /// otherwise. Breadth first over parents in declaration order, so the
    /// first path found is the shortest, ties going to the earlier parent.
    pub(crate) fn inheritance_path_into(
        &self,
        scope: usize,
        role: usize,
        rule: usize,
        scratch: &mut PathScratch,
        path: &mut Vec<usize>,
    ) {
        let policy = &self.policy;
        let rule_index = rule;
        let (Some((_, sc)), Some(rule)) = (policy.scopes.get_index(scope), policy.rules.get(rule))
        else {
            return;
        };
        if self.names_directly(rule_index, role) {
            path.push(role);
            return;
        }
        // A rule for `everyone` reaches every role directly, unless it also
        // names an ancestor (then the walk below finds that nearer one).
        let for_everyone = sc.everyone.filter(|e| rule.roles.contains(e));
        let s = scratch;
        s.start(sc.roles.len());
        s.name(&rule.roles);
        s.visit(role, None);
        s.queue.push_back(role);
        while let Some(current) = s.queue.pop_front() {
            if s.is_named(current) {
                path.push(current);
                let mut at = current;
                while let Some(Some(prev)) = s.came_from.get(at) {
                    path.push(*prev);
                    at = *prev;
                }
                path.reverse();
                return;
            }
            let parents = sc.parents_of(current);
            for &parent in parents {
                if s.visit(parent, Some(current)) {
                    s.queue.push_back(parent);
                }
            }
        }
        if let Some(e) = for_everyone {
            path.extend([role, e]);
        }
    }
}
