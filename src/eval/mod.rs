//! Evaluation: answers a request from the decision table.
//!
//! The effective roles in the action's scope are the assigned ones, or the
//! default when none is assigned; an override that applies replaces them.
//! The principal may do the action when any effective role may.

mod explain;
mod lines;
mod request;

pub use explain::explain;
pub use lines::LineEvaluator;
pub use request::{Request, ResolvedRequest};

use serde::Serialize;

use crate::compile::{DecisionTable, FactSet, Outcome, RoleId};
use crate::resolve::Subject;
use crate::syntax::ast::Effect;

/// Why a request could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// Not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// JSON, but not a request.
    #[error("invalid request: {0}")]
    Shape(String),
    /// The action is not `scope:action`.
    #[error("action `{0}` is not of the form `scope:action`")]
    ActionFormat(String),
    /// No such scope.
    #[error("unknown scope `{scope}` ({help})")]
    UnknownScope {
        /// As written.
        scope: String,
        /// Suggestion.
        help: String,
    },
    /// No such role in the scope.
    #[error("unknown role `{role}` in scope `{scope}` ({help})")]
    UnknownRole {
        /// Scope.
        scope: String,
        /// As written.
        role: String,
        /// Suggestion.
        help: String,
    },
    /// No such action in the scope.
    #[error("unknown action `{action}` in scope `{scope}` ({help})")]
    UnknownAction {
        /// Scope.
        scope: String,
        /// As written.
        action: String,
        /// Suggestion.
        help: String,
    },
    /// No such fact.
    #[error("unknown fact `{fact}` ({help})")]
    UnknownFact {
        /// As written.
        fact: String,
        /// Suggestion.
        help: String,
    },
    /// No such kind of principal.
    #[error("unknown kind `{kind}` ({help})")]
    UnknownKind {
        /// As written.
        kind: String,
        /// Suggestion.
        help: String,
    },
    /// The kind of principal may not be assigned this role.
    #[error("a {kind} cannot be assigned role `{role}` in scope `{scope}` (assignable: {})", if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") })]
    NotAssignable {
        /// Kind.
        kind: String,
        /// Scope.
        scope: String,
        /// Role.
        role: String,
        /// What the kind may be assigned there.
        allowed: Vec<String>,
    },
}

/// Where the effective roles came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    /// Assigned in the request.
    Assigned,
    /// The kind's default (`default kind: role`).
    KindDefault,
    /// The scope's default (`default role`).
    ScopeDefault,
    /// No role assigned and no default.
    Nothing,
}

/// The full result of evaluating a request, by ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Allow or deny.
    pub effect: Effect,
    /// The action's scope index.
    pub scope: usize,
    /// Effective role indexes in the action's scope, in declaration order.
    pub roles: Vec<usize>,
    /// Role indexes assigned or defaulted, before any override.
    pub held: Vec<usize>,
    /// Where `held` came from.
    pub source: RoleSource,
    /// The override applied, by index.
    pub override_applied: Option<usize>,
    /// The rule that decided.
    pub rule: Option<usize>,
    /// The effective role whose cell decided.
    pub deciding_role: Option<usize>,
}

impl DecisionTable {
    /// Roles per scope before overrides: assigned, else the kind's default,
    /// else the scope's default.
    pub fn held_roles(&self, request: &ResolvedRequest) -> Vec<(Vec<usize>, RoleSource)> {
        self.policy
            .scopes
            .values()
            .enumerate()
            .map(|(s, scope)| {
                let assigned = request.assigned.get(s).cloned().unwrap_or_default();
                if !assigned.is_empty() {
                    return (assigned, RoleSource::Assigned);
                }
                if let Some(d) = request.kind.and_then(|k| scope.kind_defaults.get(&k)) {
                    return (d.role.into_iter().collect(), RoleSource::KindDefault);
                }
                match &scope.default {
                    Some(d) => (d.role.into_iter().collect(), RoleSource::ScopeDefault),
                    None => (Vec::new(), RoleSource::Nothing),
                }
            })
            .collect()
    }

    /// Evaluates a resolved request.
    pub fn evaluate_resolved(&self, request: &ResolvedRequest) -> Evaluation {
        self.evaluate_with(request, &request.facts)
    }

    fn evaluate_with(&self, request: &ResolvedRequest, facts: &FactSet) -> Evaluation {
        let scope = request.action.scope();
        let held_all = self.held_roles(request);
        let held_sets: Vec<Vec<usize>> = held_all.iter().map(|(r, _)| r.clone()).collect();
        let (held, source) = held_all
            .get(scope)
            .cloned()
            .unwrap_or((Vec::new(), RoleSource::Nothing));
        let override_applied = self
            .policy
            .overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.scope == scope)
            .map(|(i, _)| i)
            .find(|&i| self.override_applies(i, &held_sets, facts));
        let mut roles = match override_applied.and_then(|i| self.policy.overrides.get(i)) {
            Some(o) => vec![o.role],
            None => held.clone(),
        };
        roles.sort_unstable();
        roles.dedup();
        let mut first_deny: Option<(usize, usize)> = None;
        for &role in &roles {
            let Some(role_id) = self.role_at(scope, role) else {
                continue;
            };
            let Outcome { effect, rule } = self.decide(request.action, role_id, facts);
            match (effect, rule) {
                (Effect::Allow, _) => {
                    return Evaluation {
                        effect: Effect::Allow,
                        scope,
                        roles,
                        held,
                        source,
                        override_applied,
                        rule,
                        deciding_role: Some(role),
                    };
                }
                (Effect::Deny, Some(rule)) if first_deny.is_none() => {
                    first_deny = Some((role, rule))
                }
                _ => {}
            }
        }
        Evaluation {
            effect: Effect::Deny,
            scope,
            held,
            source,
            override_applied,
            rule: first_deny.map(|(_, r)| r),
            deciding_role: first_deny.map(|(r, _)| r).or(roles.first().copied()),
            roles,
        }
    }

    /// Facts missing from the request (so false) that, set true one at a
    /// time, would change the decision.
    pub fn facts_that_would_change(
        &self,
        request: &ResolvedRequest,
        current: Effect,
    ) -> Vec<usize> {
        let scope = request.action.scope();
        let mut relevant = Vec::new();
        for rule in &self.policy.rules {
            if rule.scope == scope && rule.actions.contains(&request.action.index()) {
                if let Some(c) = &rule.condition {
                    c.expr.facts(&mut relevant);
                }
            }
        }
        for o in self.policy.overrides.iter().filter(|o| o.scope == scope) {
            if let Subject::Fact(f) = o.subject {
                if !relevant.contains(&f) {
                    relevant.push(f);
                }
            }
            if let Some(c) = &o.condition {
                c.expr.facts(&mut relevant);
            }
        }
        relevant.sort_unstable();
        relevant
            .into_iter()
            .filter(|f| !request.given.contains(f))
            .filter(|&f| {
                let mut facts = request.facts.clone();
                facts.set(f, true);
                self.evaluate_with(request, &facts).effect != current
            })
            .collect()
    }

    /// Answers a request given by names.
    pub fn evaluate(&self, request: &Request) -> Result<Answer, EvalError> {
        let resolved = self.resolve_request(request)?;
        let evaluation = self.evaluate_resolved(&resolved);
        Ok(self.answer(&resolved, &evaluation))
    }

    /// Whether a role id may do an action, from ids only (no names).
    pub fn decide_ids(&self, request: &ResolvedRequest) -> Effect {
        self.evaluate_resolved(request).effect
    }

    /// Turns an evaluation into the answer shown to people and tools.
    pub fn answer(&self, request: &ResolvedRequest, e: &Evaluation) -> Answer {
        let policy = &self.policy;
        let scope = policy.scopes.get_index(e.scope);
        let scope_name = scope.map(|(n, _)| n.clone()).unwrap_or_default();
        let role_name = |r: usize| scope.map(|(_, s)| s.role_name(r)).unwrap_or_default();
        let action_name = scope
            .map(|(_, s)| s.action_name(request.action.index()))
            .unwrap_or_default();
        let rule = e.rule.and_then(|r| policy.rules.get(r));
        let override_info = e
            .override_applied
            .and_then(|i| policy.overrides.get(i))
            .map(|o| OverrideInfo {
                at: o.loc.file_line(),
                text: policy.describe_override(o),
            });
        let default = match e.source {
            RoleSource::KindDefault | RoleSource::ScopeDefault => Some(
                e.held
                    .first()
                    .map_or_else(|| "none".to_string(), |&r| role_name(r)),
            ),
            _ => None,
        };
        let roles: Vec<String> = e.roles.iter().map(|&r| role_name(r)).collect();
        let mut via = None;
        if let (Some(role), Some(rule_index)) = (e.deciding_role, e.rule) {
            let path = self.inheritance_path(e.scope, role, rule_index);
            if path.len() > 1 {
                via = Some(path.iter().map(|&r| role_name(r)).collect::<Vec<_>>());
            }
        }
        let who = match (&override_info, e.deciding_role) {
            (Some(o), Some(r)) => format!("{} (by override `{}`)", role_name(r), o.text),
            (None, Some(r)) => role_name(r),
            _ => String::new(),
        };
        let inherited = via
            .as_ref()
            .map(|p| format!(", inherited through {}", path_text(p)))
            .unwrap_or_default();
        let reason = match (e.effect, rule) {
            (_, _) if e.roles.is_empty() => {
                let why = match e.source {
                    RoleSource::Nothing => "no role is assigned and the scope has no default",
                    _ => "the default is `none` (no access)",
                };
                format!("denied: the principal holds no role in scope `{scope_name}` ({why})")
            }
            (Effect::Allow, Some(r)) => format!(
                "allowed: {who} matches `{}` at {}{inherited}",
                policy.rule_for_action(r, request.action.index()),
                r.loc.file_line()
            ),
            (Effect::Deny, Some(r)) => format!(
                "denied: {who} matches `{}` at {}{inherited}",
                policy.rule_for_action(r, request.action.index()),
                r.loc.file_line()
            ),
            (_, None) => format!(
                "denied: no rule allows `{action_name}` for {} (default deny)",
                roles.join(", ")
            ),
        };
        let would_change = self
            .facts_that_would_change(request, e.effect)
            .into_iter()
            .map(|f| policy.fact_name(f))
            .collect();
        Answer {
            decision: e.effect,
            action: format!("{scope_name}:{action_name}"),
            roles,
            rule: rule.map(|r| r.loc.file_line()),
            reason,
            assigned: request
                .assigned
                .get(e.scope)
                .map(|rs| rs.iter().map(|&r| role_name(r)).collect())
                .unwrap_or_default(),
            default,
            override_applied: override_info,
            via,
            would_change,
        }
    }

    /// The cell outcome for a role id, for callers that resolved ids themselves.
    pub fn role_outcome(&self, request: &ResolvedRequest, role: RoleId) -> Outcome {
        self.decide(request.action, role, &request.facts)
    }
}

/// Which part of a long inheritance path a one-line reason leaves out:
/// `Some((shown at each end, hidden))` when the path is longer than 16 roles.
pub(crate) fn path_elision(len: usize) -> Option<(usize, usize)> {
    const SHOWN: usize = 4;
    (len > 16).then(|| (SHOWN, len - 2 * SHOWN))
}

/// An inheritance path for a one-line reason: long ones keep both ends.
fn path_text(path: &[String]) -> String {
    let Some((shown, hidden)) = path_elision(path.len()) else {
        return path.join(" → ");
    };
    let head = path.get(..shown).unwrap_or_default().join(" → ");
    let tail = path.get(shown + hidden..).unwrap_or_default().join(" → ");
    format!("{head} → … ({hidden} more) → {tail}")
}

/// An override that applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideInfo {
    /// `file:line`
    pub at: String,
    /// The override as written.
    pub text: String,
}

/// The answer to a request: what `eval` prints, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// `allow` or `deny`.
    pub decision: Effect,
    /// `scope:action`
    pub action: String,
    /// Effective roles in the action's scope.
    pub roles: Vec<String>,
    /// `file:line` of the deciding rule; null for the default deny.
    pub rule: Option<String>,
    /// One line saying why.
    pub reason: String,
    /// Roles assigned in the action's scope, as given.
    pub assigned: Vec<String>,
    /// The default role used when none was assigned (`none`: no access).
    pub default: Option<String>,
    /// The override that replaced the assigned roles.
    #[serde(rename = "override")]
    pub override_applied: Option<OverrideInfo>,
    /// The inheritance path from the deciding role to the role the rule names.
    pub via: Option<Vec<String>>,
    /// Facts that were missing (so false) and would change the decision if true.
    pub would_change: Vec<String>,
}
