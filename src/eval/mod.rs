//! Evaluation: answers a request from the decision table.
//!
//! The effective roles in the action's scope are the assigned ones, or the
//! default when none is assigned; an override that applies replaces them.
//! The principal may do the action when any effective role may.

mod errors;
mod explain;
mod explain_json;
mod lines;
pub(crate) mod reader;
mod request;
mod shape;

pub use crate::decision::explanation::{Considered, Explanation, Held, RoleAccount, Status, Why};
pub use errors::{JsonError, ShapeError};
pub use explain::{explain, render as render_explanation};
pub use explain_json::render_json as render_explanation_json;
pub use lines::{LineEvaluator, MAX_CACHED_HELPS};
pub use request::{Request, RequestTarget, ResolvedRequest};

use crate::compile::{DecisionTable, FactId, FactSet, Outcome, RoleId, RuleId, ScopeId};
use crate::invariant::name_or_missing;
use crate::syntax::ast::Effect;

/// Why a request could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// Not JSON; the source is the `serde_json::Error`.
    #[error("invalid JSON: {0}")]
    Json(#[source] JsonError),
    /// JSON, but not a request.
    #[error("invalid request: {0}")]
    Shape(ShapeError),
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
    /// A string in `context` for a name that is no setting.
    #[error("unknown setting `{setting}` ({help})")]
    UnknownSetting {
        /// As written.
        setting: String,
        /// Suggestion, or what the name is instead.
        help: String,
    },
    /// A setting given a value it does not have.
    #[error(
        "setting `{setting}` has no value `{value}` (it takes {})",
        quoted(allowed)
    )]
    UnknownSettingValue {
        /// The setting.
        setting: String,
        /// As written.
        value: String,
        /// Its values.
        allowed: Vec<String>,
    },
    /// A boolean in `context` for a setting.
    #[error(
        "context.{setting}: setting `{setting}` takes a string, one of {}",
        quoted(allowed)
    )]
    SettingNotString {
        /// The setting.
        setting: String,
        /// Its values.
        allowed: Vec<String>,
    },
    /// A broken invariant of the compiled table (a bug in rolecall): never
    /// answered as a decision.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The kind of principal may not be assigned this role.
    #[error("{} {kind} cannot be assigned role `{role}` in scope `{scope}` (assignable: {})", crate::invariant::article(kind), if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") })]
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
    /// A targeted action asked without saying whom it is done to.
    #[error(
        "action `{action}` is done to a participant: the request names `target` (\"self\", or the target's roles per scope like `principal`)"
    )]
    TargetRequired {
        /// `scope:action`.
        action: String,
    },
    /// A `target` for an action that is not aimed at anyone.
    #[error("action `{action}` is not aimed at a participant: a request for it has no `target`")]
    TargetNotAllowed {
        /// `scope:action`.
        action: String,
    },
}

/// `` `a`, `b`, `c` ``
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
    /// The action's scope.
    pub scope: ScopeId,
    /// Effective roles in the action's scope, in declaration order.
    pub roles: Vec<RoleId>,
    /// Roles assigned or defaulted, before any override.
    pub held: Vec<RoleId>,
    /// Where `held` came from.
    pub source: RoleSource,
    /// The replacing override applied, by its position in the policy's overrides.
    pub override_applied: Option<usize>,
    /// Every adding override (`also joins`) that applied, by position.
    pub added: Vec<usize>,
    /// The one of them that gave the deciding role, if any.
    pub added_by: Option<usize>,
    /// The rule that decided.
    pub rule: Option<RuleId>,
    /// The effective role whose cell decided.
    pub deciding_role: Option<RoleId>,
    /// For a targeted action: whom it was done to.
    pub target: Option<TargetEvaluation>,
}

/// Whom a targeted action was done to, and which of their roles decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetEvaluation {
    /// The principal acting on themself.
    pub on_self: bool,
    /// The target's effective roles in the action's scope, in declaration
    /// order (empty: the target holds none, and the action is denied).
    pub roles: Vec<RoleId>,
    /// The target's role whose cell decided.
    pub deciding: Option<RoleId>,
}

impl crate::decision::Principal for ResolvedRequest {
    fn assigned(&self, scope: usize) -> &[usize] {
        ResolvedRequest::assigned(self, scope)
    }
    fn kind(&self) -> Option<usize> {
        self.kind
    }
    fn each_assigned(&self, f: &mut dyn FnMut(usize, &[usize]) -> bool) -> bool {
        self.assigned_scopes().all(|(s, roles)| f(s, roles))
    }
    fn target(&self) -> crate::decision::TargetOf<'_> {
        request::Targeted::as_target(self.target.as_ref())
    }
}

impl DecisionTable {
    /// Roles held in `scope` before overrides: assigned, else the kind's
    /// default, else the scope's default. One scope at a time, so asking
    /// costs the same whatever the number of scopes.
    pub fn held_roles(
        &self,
        request: &ResolvedRequest,
        scope: ScopeId,
    ) -> (Vec<RoleId>, RoleSource) {
        let (held, source) = self.held(request, scope.index(), &request.facts);
        (self.role_ids(scope.index(), held), source)
    }

    /// Role positions of scope `s` as ids.
    fn role_ids(&self, s: usize, roles: &[usize]) -> Vec<RoleId> {
        roles
            .iter()
            .filter_map(|&r| self.role_at_index(s, r))
            .collect()
    }

    /// Evaluates a resolved request.
    pub fn evaluate_resolved(&self, request: &ResolvedRequest) -> Evaluation {
        let mut roles = crate::decision::Roles::new();
        let d = self.decide_for(request, request.action, &request.facts, &mut roles);
        let scope = request.action.scope();
        Evaluation {
            effect: d.effect,
            scope: request.action.scope_id(),
            roles: self.role_ids(scope, &roles),
            held: self.role_ids(scope, self.held(request, scope, &request.facts).0),
            source: d.source,
            override_applied: d.override_applied,
            added: {
                let mut added = Vec::new();
                self.adding_overrides(request, scope, &request.facts, |i, _| added.push(i));
                added
            },
            added_by: d.added_by,
            rule: d.rule.map(RuleId::at),
            deciding_role: d.deciding_role.and_then(|r| self.role_at_index(scope, r)),
            target: d.targeted.then(|| {
                let mut targets = crate::decision::Roles::new();
                self.targets_of(
                    request,
                    request.action,
                    &request.facts,
                    &roles,
                    &mut targets,
                );
                TargetEvaluation {
                    on_self: d.on_self,
                    roles: self.role_ids(scope, &targets),
                    deciding: d.target_role.and_then(|r| self.role_at_index(scope, r)),
                }
            }),
        }
    }

    /// Facts missing from the request (so false) that, set true one at a
    /// time, would change the decision.
    pub fn facts_that_would_change(
        &self,
        request: &ResolvedRequest,
        current: Effect,
    ) -> Vec<FactId> {
        self.fact_positions_that_would_change(request, current)
            .into_iter()
            .map(FactId::at)
            .collect()
    }

    /// [`Self::facts_that_would_change`] by positions.
    pub(crate) fn fact_positions_that_would_change(
        &self,
        request: &ResolvedRequest,
        current: Effect,
    ) -> Vec<usize> {
        let relevant = self.relevant_facts(request.action);
        let mut out = Vec::new();
        self.would_change_into(
            request,
            request.action,
            &request.facts,
            &request.given,
            current,
            relevant,
            (&mut FactSet::default(), &mut crate::decision::Roles::new()),
            &mut out,
        );
        out
    }

    /// The decision for a request given by names, and the rule that decided
    /// it: every name resolved (an unknown one is an error), defaults,
    /// overrides and the union over held roles applied, nothing else. For a
    /// request of a few roles it allocates nothing; the reason, the
    /// inheritance path and the facts that would change the answer are left
    /// to [`evaluate`](Self::evaluate) and [`explain`].
    ///
    /// ```
    /// let table = rolecall::compile_str("p.policy", r#"
    ///     scope session {
    ///         role viewer
    ///         action chat
    ///         allow viewer to chat
    ///     }
    /// "#).unwrap();
    /// let request = rolecall::Request::from_json(
    ///     r#"{"principal": {"session": "viewer"}, "action": "session:chat"}"#,
    /// ).unwrap();
    /// let verdict = table.check(&request).unwrap();
    /// assert!(verdict.is_allowed());
    /// assert_eq!(verdict.rule().and_then(|r| table.rule_at(r)).as_deref(), Some("p.policy:5"));
    /// ```
    pub fn check(&self, request: &Request) -> Result<Verdict, EvalError> {
        let mut slot = None;
        let lookup = self.lookup(request, &mut slot)?;
        let mut roles = crate::decision::Roles::new();
        let d = self.decide_for(&*lookup, lookup.action, &lookup.facts, &mut roles);
        Ok(Verdict {
            decision: d.effect,
            rule: d.rule.map(RuleId::at),
        })
    }

    /// `file:line` of a rule (as [`Verdict::rule`] gives it).
    pub fn rule_at(&self, rule: RuleId) -> Option<String> {
        self.rule(rule).map(crate::resolve::Rule::file_line)
    }

    /// Answers a request given by names: the decision with its rule, the
    /// reason in one sentence, the roles that counted, the override applied,
    /// the inheritance path and the facts that would change it.
    ///
    /// ```
    /// let table = rolecall::compile_str("p.policy", "fact live\nscope session {\n role viewer\n action chat\n allow viewer to chat when live\n}\n").unwrap();
    /// let request = rolecall::Request::from_json(r#"{"principal": {"session": "viewer"}, "action": "session:chat"}"#).unwrap();
    /// let answer = table.evaluate(&request).unwrap();
    /// assert_eq!(answer.decision, rolecall::Effect::Deny);
    /// assert_eq!(answer.would_change, ["live"]);
    /// assert_eq!(serde_json::to_value(&answer).unwrap()["would_change"][0], "live");
    /// // An unknown name is an error with a suggestion, never a silent deny.
    /// let typo = rolecall::Request::from_json(r#"{"principal": {"session": "viewr"}, "action": "session:chat"}"#).unwrap();
    /// assert!(table.evaluate(&typo).unwrap_err().to_string().contains("did you mean `viewer`"));
    /// ```
    pub fn evaluate(&self, request: &Request) -> Result<Answer, EvalError> {
        let resolved = self.resolve_request(request)?;
        let evaluation = self.evaluate_resolved(&resolved);
        Ok(self.answer(&resolved, &evaluation))
    }

    /// Whether a resolved request is allowed, from ids only (no names).
    pub fn decide_ids(&self, request: &ResolvedRequest) -> Effect {
        let mut roles = crate::decision::Roles::new();
        self.decide_for(request, request.action, &request.facts, &mut roles)
            .effect
    }

    /// Turns an evaluation into the answer shown to people and tools.
    pub fn answer(&self, request: &ResolvedRequest, e: &Evaluation) -> Answer {
        let policy = &self.policy;
        let s = e.scope.index();
        let scope = policy.scopes.get_index(s);
        let scope_name = name_or_missing(scope.map(|(n, _)| n.as_str()), "scope");
        // Every role id of an evaluation is of its scope; a missing scope is
        // a broken invariant, shown as such by `name_or_missing`.
        let role_name = |r: usize| match scope {
            Some((_, sc)) => sc.role_name(r),
            None => name_or_missing(None, "scope").to_string(),
        };
        let action_name = match scope {
            Some((_, sc)) => sc.action_name(request.action.index()),
            None => name_or_missing(None, "scope").to_string(),
        };
        let rule = e.rule.and_then(|r| self.rule(r));
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
                    .map_or_else(|| "none".to_string(), |r| role_name(r.index())),
            ),
            _ => None,
        };
        let positions = |ids: &[RoleId]| -> Vec<usize> { ids.iter().map(|r| r.index()).collect() };
        let roles = positions(&e.roles);
        let mut path = Vec::new();
        if let (Some(role), Some(rule)) = (e.deciding_role, e.rule) {
            path = self.inheritance_path_at(s, role.index(), rule.index());
        }
        let via = (path.len() > 1).then(|| path.iter().map(|&r| role_name(r)).collect());
        if path.len() <= 1 {
            path.clear();
        }
        let mut reason = ReasonText {
            table: self,
            text: String::new(),
        };
        let decision = crate::decision::Decision {
            effect: e.effect,
            source: e.source,
            held_first: e.held.first().map(|r| r.index()),
            override_applied: e.override_applied,
            added_by: e.added_by,
            rule: e.rule.map(RuleId::index),
            deciding_role: e.deciding_role.map(|r| r.index()),
            forbid: e.rule.is_some_and(|r| self.is_forbid(r.index())),
            target_role: e
                .target
                .as_ref()
                .and_then(|t| t.deciding)
                .map(|r| r.index()),
            on_self: e.target.as_ref().is_some_and(|t| t.on_self),
            targeted: e.target.is_some(),
        };
        crate::decision::reason::write(&mut reason, &decision, request.action, &roles, &path);
        // As `eval`'s fast path writes them: `live`, `plan=team`.
        let would_change = self
            .fact_positions_that_would_change(request, e.effect)
            .into_iter()
            .map(|f| name_or_missing(self.fact_name(FactId::at(f)), "fact").to_string())
            .collect();
        Answer {
            decision: e.effect,
            action: format!("{scope_name}:{action_name}"),
            roles: roles.iter().map(|&r| role_name(r)).collect(),
            rule: rule.map(crate::resolve::Rule::file_line),
            reason: reason.text,
            assigned: request.assigned(s).iter().map(|&r| role_name(r)).collect(),
            default,
            override_applied: override_info,
            added: e
                .added
                .iter()
                .filter_map(|&i| policy.overrides.get(i))
                .map(|o| OverrideInfo {
                    at: o.loc.file_line(),
                    text: policy.describe_override(o),
                })
                .collect(),
            via,
            would_change,
            target: e.target.as_ref().map(|t| AnswerTarget {
                on_self: t.on_self,
                roles: t.roles.iter().map(|r| role_name(r.index())).collect(),
                deciding: t.deciding.map(|r| role_name(r.index())),
            }),
        }
    }

    /// The cell outcome for a role id, for callers that resolved ids themselves.
    pub fn role_outcome(&self, request: &ResolvedRequest, role: RoleId) -> Outcome {
        self.decide(request.action, role, &request.facts)
    }
}

/// The reason sentence as a `String` of names as declared.
struct ReasonText<'t> {
    table: &'t DecisionTable,
    text: String,
}

impl crate::decision::reason::Sink for ReasonText<'_> {
    fn words(&mut self, text: &str) {
        self.text.push_str(text);
    }
    fn scope_name(&mut self, scope: usize) {
        if let Some((name, _)) = self.table.policy.scopes.get_index(scope) {
            self.text.push_str(name);
        }
    }
    fn role_name(&mut self, scope: usize, role: usize) {
        if let Some((_, s)) = self.table.policy.scopes.get_index(scope) {
            self.text.push_str(&s.role_name(role));
        }
    }
    fn action_name(&mut self, action: crate::compile::ActionId) {
        if let Some((_, s)) = self.table.policy.scopes.get_index(action.scope()) {
            self.text.push_str(&s.action_name(action.index()));
        }
    }
    fn rule_text(&mut self, rule: usize, action: crate::compile::ActionId) {
        if let Some(r) = self.table.policy.rules.get(rule) {
            self.text
                .push_str(&self.table.policy.rule_for_action(r, action.index()));
        }
    }
    fn rule_at(&mut self, rule: usize) {
        if let Some(r) = self.table.policy.rules.get(rule) {
            self.text.push_str(&r.file_line());
        }
    }
    fn override_text(&mut self, index: usize) {
        if let Some(o) = self.table.policy.overrides.get(index) {
            self.text.push_str(&self.table.policy.describe_override(o));
        }
    }
}

/// The decision for a request and the rule that decided it ([`DecisionTable::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    decision: Effect,
    rule: Option<RuleId>,
}

impl Verdict {
    /// Allow or deny.
    pub fn decision(&self) -> Effect {
        self.decision
    }

    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Effect::Allow
    }

    /// The deciding rule (`None`: nothing allowed it, the default deny).
    pub fn rule(&self) -> Option<RuleId> {
        self.rule
    }
}

/// An override that applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideInfo {
    /// `file:line`
    pub at: String,
    /// The override as written.
    pub text: String,
}

/// The answer to a request: what `eval` prints, one JSON object per line
/// (its shape is `shape::AnswerShape`, which the fast path writes too).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub override_applied: Option<OverrideInfo>,
    /// The adding overrides (`also joins`) that added a role; written as
    /// `"added"` only when there is one.
    pub added: Vec<OverrideInfo>,
    /// The inheritance path from the deciding role to the role the rule names.
    pub via: Option<Vec<String>>,
    /// Facts that were missing (so false) and would change the decision if true.
    pub would_change: Vec<String>,
    /// For a targeted action: whom it was done to; written as `"target"`
    /// only then.
    pub target: Option<AnswerTarget>,
}

/// A targeted action's target in an answer:
/// `{"self": false, "roles": ["viewer"], "deciding": "viewer"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerTarget {
    /// The principal acted on themself.
    pub on_self: bool,
    /// The target's effective roles in the action's scope.
    pub roles: Vec<String>,
    /// The target's role whose cell decided (`null`: the target holds none).
    pub deciding: Option<String>,
}

impl Answer {
    /// The answer as one JSON object (no newline), appended to `out`: what
    /// `eval` prints, written by the one writer of its shape.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        shape::AnswerJson {
            decision: self.decision,
            action: &self.action,
            roles: &self.roles,
            rule: self.rule.as_ref().map(|r| r as &dyn shape::Text),
            reason: &self.reason,
            assigned: &self.assigned,
            default: self.default.as_ref().map(|d| d as &dyn shape::Text),
            override_applied: self
                .override_applied
                .as_ref()
                .map(|o| (&o.at as &dyn shape::Text, &o.text as &dyn shape::Text)),
            added: &self.added,
            via: self.via.as_ref().map(|v| v as &dyn shape::TextList),
            would_change: &self.would_change,
            target: self.target.as_ref(),
        }
        .write(out);
    }
}

/// Through [`Answer::write_json`], so serde and `eval` write the same bytes.
impl serde::Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut out = Vec::new();
        self.write_json(&mut out);
        let text = String::from_utf8(out).map_err(S::Error::custom)?;
        serde_json::value::RawValue::from_string(text)
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}
