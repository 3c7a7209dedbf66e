//! The whole account of one decision, as ids: what the decision core did,
//! step by step, for a renderer to put into words. `eval::explain` writes it
//! for a person; nothing here is text.

use super::combine;
use crate::compile::{ActionId, DecisionTable, FactId, RoleId, RuleId, ScopeId};
use crate::eval::{Evaluation, ResolvedRequest, RoleSource};
use crate::resolve::Subject;
use crate::syntax::ast::Effect;

/// One decision, explained: the roles held in each scope that counts, the
/// override applied, each effective role's candidate rules in the order the
/// combination rule tries them, the one that decided and by which part of
/// the rule, and the facts that would change the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The action asked.
    pub action: ActionId,
    /// The evaluation explained: the decision, its rule, the effective and
    /// deciding roles, the override applied.
    pub evaluation: Evaluation,
    /// Roles held before overrides, in every scope the action's overrides
    /// read and the action's own, in scope order.
    pub held: Vec<Held>,
    /// The facts the request made true, in declaration order.
    pub true_facts: Vec<FactId>,
    /// Every setting's value for this request, in declaration order.
    pub settings: Vec<SettingValueUsed>,
    /// How many overrides into the action's scope were considered.
    pub overrides_considered: usize,
    /// Per effective role, its candidate rules and its outcome.
    pub roles: Vec<RoleAccount>,
    /// Facts missing from the request that, set true alone, would change it.
    pub would_change: Vec<FactId>,
}

/// The value a setting had for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingValueUsed {
    /// Setting index (in `Policy::settings`).
    pub setting: usize,
    /// Value index (in the setting's `values`).
    pub value: usize,
    /// `false`: the request did not give it, so it has its default value.
    pub given: bool,
}

/// Roles held in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The scope.
    pub scope: ScopeId,
    /// The roles, before overrides.
    pub roles: Vec<RoleId>,
    /// Where they come from.
    pub source: RoleSource,
}

/// One effective role's part in the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAccount {
    /// The role.
    pub role: RoleId,
    /// Every rule naming the action and the role or one it inherits, in the
    /// order the combination rule tries them.
    pub candidates: Vec<Considered>,
    /// What the role's outcome is, and by which part of the rule.
    pub why: Why,
    /// For a targeted action: the target's role whose cell is accounted
    /// for (the one that decided this role's outcome), with the candidates
    /// its `on …` lets in only.
    pub target: Option<RoleId>,
}

/// A candidate rule, as the combination rule met it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Considered {
    /// The rule.
    pub rule: RuleId,
    /// Inheritance steps from the role to the nearest role the rule names.
    pub distance: usize,
    /// The inheritance path (`[role]` when the rule names it).
    pub path: Vec<RoleId>,
    /// Its part: decided, condition false, or outranked.
    pub status: Status,
}

/// What became of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The first whose condition holds: it decided the role's outcome.
    Decides,
    /// Its condition is false for this request.
    ConditionFalse,
    /// Another candidate decided first.
    Outranked,
}

/// Why a role's outcome is what it is: which part of the combination rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// No rule names the action for the role or a role it inherits.
    NoRule,
    /// Rules match, but none whose condition holds.
    NoConditionHolds,
    /// The only matching rule.
    OnlyMatching(Effect),
    /// The nearest rules are at `distance`; at equal distance deny beats allow.
    DenyBeatsAllow(usize),
    /// At `distance` and equal effect the earliest declared rule is reported.
    EarliestDeclared(Effect, usize),
    /// The nearest rule whose condition holds, at `distance`.
    NearestHolding(Effect, usize),
    /// The nearest rule, at `distance`: a rule for a role beats one inherited from farther away.
    Nearest(Effect, usize),
    /// A `forbid` whose condition holds, at `distance`: it is tried before
    /// every other rule, and wins over every other role.
    Forbid(usize),
}

impl Why {
    /// The role's outcome.
    pub fn effect(self) -> Effect {
        match self {
            Why::NoRule | Why::NoConditionHolds | Why::DenyBeatsAllow(_) | Why::Forbid(_) => {
                Effect::Deny
            }
            Why::OnlyMatching(e)
            | Why::EarliestDeclared(e, _)
            | Why::NearestHolding(e, _)
            | Why::Nearest(e, _) => e,
        }
    }

    /// The distance of the rules that decided, when distance is what decided.
    pub fn distance(self) -> Option<usize> {
        match self {
            Why::NoRule | Why::NoConditionHolds | Why::OnlyMatching(_) => None,
            Why::DenyBeatsAllow(d)
            | Why::Forbid(d)
            | Why::EarliestDeclared(_, d)
            | Why::NearestHolding(_, d)
            | Why::Nearest(_, d) => Some(d),
        }
    }
}

impl DecisionTable {
    /// The whole account of `e`, the evaluation of `request`.
    pub fn explanation(&self, request: &ResolvedRequest, e: &Evaluation) -> Explanation {
        let policy = &self.policy;
        let s = e.scope.index();
        let mut touched: Vec<usize> = policy
            .overrides
            .iter()
            .filter(|o| o.scope == s)
            .filter_map(|o| match o.subject {
                Subject::Role { scope, .. } => Some(scope),
                Subject::Fact(_) | Subject::Everyone => None,
            })
            .collect();
        touched.push(s);
        touched.sort_unstable();
        touched.dedup();
        let ids = |scope: usize, roles: &[usize]| -> Vec<RoleId> {
            roles
                .iter()
                .filter_map(|&r| self.role_at_index(scope, r))
                .collect()
        };
        let held = touched
            .into_iter()
            .map(|t| {
                let (roles, source) = self.held(request, t, &request.facts);
                Held {
                    scope: ScopeId::at(t),
                    roles: ids(t, roles),
                    source,
                }
            })
            .collect();
        let true_facts = (0..policy.facts.len())
            .filter(|&f| request.facts.get(f))
            .map(FactId::at)
            .collect();
        let settings = policy
            .settings
            .values()
            .enumerate()
            .map(|(setting, declared)| {
                let chosen = declared
                    .atoms
                    .iter()
                    .position(|a| a.is_some_and(|a| request.facts.get(a)));
                SettingValueUsed {
                    setting,
                    value: chosen.unwrap_or(declared.default),
                    given: policy
                        .setting_atoms(setting)
                        .any(|a| request.given.contains(&a)),
                }
            })
            .collect();
        // Every effective role is of the action's scope: one row serves them all.
        let row = combine::row(self, s, request.action.index(), combine::Omit::Nothing);
        // A targeted action: each role's account is of the target role whose
        // cell decided its outcome, over the candidates that target lets in.
        let targets = e.target.as_ref().map(|t| {
            let positions: Vec<usize> = t.roles.iter().map(|r| r.index()).collect();
            let ranks = policy.scopes.get_index(s).map(|(_, sc)| {
                let order =
                    combine::topological_order(sc.roles.values().map(|r| r.parents.as_slice()));
                combine::Ranks::of(sc, &order)
            });
            (positions, t.on_self, ranks)
        });
        let roles = e
            .roles
            .iter()
            .map(|&role| match &targets {
                Some((positions, on_self, ranks)) => {
                    let (_, target) = self.decide_on_targets(
                        request.action,
                        role,
                        positions,
                        *on_self,
                        &request.facts,
                    );
                    let lets_in = |c: &combine::Candidate| {
                        let rule = policy.rules.get(c.rule);
                        match (target, ranks) {
                            (Some(t), Some(ranks)) => rule.is_some_and(|rule| {
                                ranks.targets(rule.target.as_ref(), role.index(), t, *on_self)
                            }),
                            _ => false,
                        }
                    };
                    let list: Vec<Vec<combine::Candidate>> = row
                        .iter()
                        .enumerate()
                        .map(|(r, l)| {
                            if r == role.index() {
                                l.iter().copied().filter(lets_in).collect()
                            } else {
                                Vec::new()
                            }
                        })
                        .collect();
                    let mut account = self.role_account(request, role, &list);
                    account.target = target.and_then(|t| self.role_at_index(s, t));
                    account
                }
                None => self.role_account(request, role, &row),
            })
            .collect();
        Explanation {
            action: request.action,
            evaluation: e.clone(),
            held,
            true_facts,
            settings,
            overrides_considered: policy.overrides.iter().filter(|o| o.scope == s).count(),
            roles,
            would_change: self.facts_that_would_change(request, e.effect),
        }
    }

    /// One role's candidates, from the core's uncut row, and its outcome.
    fn role_account(
        &self,
        request: &ResolvedRequest,
        role: RoleId,
        row: &[Vec<combine::Candidate>],
    ) -> RoleAccount {
        let s = role.scope();
        let list = row.get(role.index()).map_or(&[][..], Vec::as_slice);
        let holds = |rule: usize| {
            self.policy
                .rules
                .get(rule)
                .and_then(|r| r.condition.as_ref())
                .is_none_or(|c| c.expr.eval(&|f| request.facts.get(f)))
        };
        let winner = list.iter().position(|c| holds(c.rule));
        let candidates = list
            .iter()
            .enumerate()
            .map(|(i, c)| Considered {
                rule: RuleId::at(c.rule),
                distance: c.distance,
                path: self
                    .inheritance_path_at(s, role.index(), c.rule)
                    .into_iter()
                    .filter_map(|r| self.role_at_index(s, r))
                    .collect(),
                status: if Some(i) == winner {
                    Status::Decides
                } else if !holds(c.rule) {
                    Status::ConditionFalse
                } else {
                    Status::Outranked
                },
            })
            .collect();
        let why = match winner.and_then(|w| Some((w, list.get(w)?))) {
            _ if list.is_empty() => Why::NoRule,
            None => Why::NoConditionHolds,
            Some((w, c)) => {
                let d = c.distance;
                let earlier_same_level = list.iter().take(w).any(|m| m.distance == d);
                let holding_at_level = |effect: Option<Effect>| {
                    list.iter().any(|m| {
                        m.distance == d
                            && m.rule != c.rule
                            && holds(m.rule)
                            && effect.is_none_or(|e| m.effect == e)
                    })
                };
                if c.forbid && list.len() > 1 {
                    Why::Forbid(d)
                } else if list.len() == 1 {
                    Why::OnlyMatching(c.effect)
                } else if c.effect == Effect::Deny && holding_at_level(Some(Effect::Allow)) {
                    Why::DenyBeatsAllow(d)
                } else if holding_at_level(None) {
                    Why::EarliestDeclared(c.effect, d)
                } else if earlier_same_level || w > 0 {
                    Why::NearestHolding(c.effect, d)
                } else {
                    Why::Nearest(c.effect, d)
                }
            }
        };
        RoleAccount {
            role,
            candidates,
            why,
            target: None,
        }
    }
}
