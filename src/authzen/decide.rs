//! Deciding one AuthZEN evaluation: the binding turns it into a rolecall
//! request, the decision table answers it.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::answer::DecisionWriter;
use super::model::{Entity, Evaluation, kind};
use super::principals::{Binding, Principals};
use crate::compile::DecisionTable;
use crate::diagnostic::Diagnostic;
use crate::eval::reader;
use crate::eval::{EvalError, Request};
use crate::resolve::suggest;
use crate::syntax::ast::Effect;

/// A policy decision point: a compiled policy and its principals file.
#[derive(Debug)]
pub struct Pdp {
    /// The compiled policy.
    pub table: DecisionTable,
    /// The principals file, checked against `table`.
    pub binding: Binding,
    /// Read the roles and kind of a subject the principals file does not
    /// list from `subject.properties` (`serve --trust-claimed-roles`). Off
    /// by default: any caller can write those properties, so trusting them
    /// lets anyone claim `admin`. Only for a PEP that puts verified roles there.
    pub trust_claimed_roles: bool,
    /// Compute "did you mean" suggestions for unknown names (on by default).
    /// `serve` turns it off without `--explain`: the answer would not show
    /// them, and a batch of unknown names would otherwise pay a string
    /// distance to every declared name per item.
    pub suggest: bool,
}

/// ` (did you mean …)` after a message, or nothing when no help was computed.
fn paren(help: &str) -> String {
    if help.is_empty() {
        String::new()
    } else {
        format!(" ({help})")
    }
}

/// `"; did you mean …"` after a message, or nothing when no help was computed.
fn then(separator: &str, help: &str) -> String {
    if help.is_empty() {
        String::new()
    } else {
        format!("{separator}{help}")
    }
}

/// Why an evaluation could not be decided; answered as a denial whose
/// context carries the error, never as a silent deny.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdpError {
    /// No scope for `resource.type`.
    #[error("unknown resource type `{resource_type}`{}", paren(help))]
    UnknownResourceType {
        /// As written.
        resource_type: String,
        /// Suggestion.
        help: String,
    },
    /// No such action in the scope.
    #[error(
        "unknown action `{action}` for resource type `{resource_type}` (scope `{scope}`{})",
        then("; ", help)
    )]
    UnknownAction {
        /// As written.
        action: String,
        /// `resource.type`
        resource_type: String,
        /// The scope it maps to.
        scope: String,
        /// Suggestion.
        help: String,
    },
    /// An attribute the binding reads has the wrong shape.
    #[error("{0}")]
    Attribute(String),
    /// The request named something the policy does not know.
    #[error("{0}")]
    Eval(#[from] EvalError),
}

impl PdpError {
    /// The message an answer carries: it lists the policy's names
    /// (suggestions, what a scope declares) only when `explain`, or a caller
    /// could map the policy by asking for names that do not exist.
    pub fn message(&self, explain: bool) -> String {
        if explain {
            self.to_string()
        } else {
            self.terse()
        }
    }

    /// The `error` object of an answer's context.
    pub fn to_context(&self, explain: bool) -> Value {
        json!({"status": 400, "message": self.message(explain)})
    }

    /// The message without suggestions or lists of the policy's names: what
    /// was wrong in the request, in the request's own terms.
    pub fn terse(&self) -> String {
        match self {
            PdpError::UnknownResourceType { resource_type, .. } => {
                format!("unknown resource type `{resource_type}`")
            }
            PdpError::UnknownAction {
                action,
                resource_type,
                ..
            } => format!("unknown action `{action}` for resource type `{resource_type}`"),
            PdpError::Attribute(message) => message.clone(),
            PdpError::Eval(e) => match e {
                EvalError::UnknownScope { scope, .. } => format!("unknown scope `{scope}`"),
                EvalError::UnknownRole { role, .. } => format!("unknown role `{role}`"),
                EvalError::UnknownAction { action, .. } => format!("unknown action `{action}`"),
                EvalError::UnknownFact { fact, .. } => format!("unknown fact `{fact}`"),
                EvalError::UnknownKind { kind, .. } => format!("unknown kind `{kind}`"),
                EvalError::UnknownSetting { setting, .. } => {
                    format!("unknown setting `{setting}`")
                }
                // Without the values the policy gives the setting: they are its names too.
                EvalError::UnknownSettingValue { setting, value, .. } => {
                    format!("setting `{setting}` has no value `{value}`")
                }
                EvalError::SettingNotString { setting, .. } => {
                    format!("context.{setting}: setting `{setting}` takes a string")
                }
                EvalError::Internal(_) => e.to_string(),
                EvalError::NotAssignable { kind, role, .. } => {
                    format!(
                        "{} {kind} cannot be assigned role `{role}`",
                        crate::invariant::article(kind)
                    )
                }
                EvalError::TargetRequired { .. } | EvalError::TargetNotAllowed { .. } => {
                    e.to_string()
                }
                EvalError::Json(_) | EvalError::Shape(_) | EvalError::ActionFormat(_) => {
                    e.to_string()
                }
            },
        }
    }
}

/// How much of a decision [`Pdp::decide`] works out besides allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Details {
    /// The decision (and the error of one that could not be made).
    Decision,
    /// Also the deciding rule, `file:line` (the decision log).
    Rule,
    /// Also the reason and the effective roles (`--explain`, debug logs).
    Full,
}

/// The decision for one evaluation, with what a log line or an explanation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// `true`: permit.
    pub decision: bool,
    /// Why it could not be decided, when it could not.
    pub error: Option<PdpError>,
    /// The one-line reason (when details were asked for).
    pub reason: Option<String>,
    /// The deciding rule, `file:line` (when details were asked for).
    pub rule: Option<String>,
    /// The effective roles in the action's scope (when details were asked for).
    pub roles: Vec<String>,
}

impl Decided {
    fn error(error: PdpError) -> Decided {
        Decided {
            decision: false,
            error: Some(error),
            reason: None,
            rule: None,
            roles: Vec::new(),
        }
    }

    /// Appends the AuthZEN Decision object: `{"decision": …}`, with a
    /// `context` carrying the error, or (when `explain`) the reason, rule and
    /// roles; `ended_batch` marks the denial that ended a
    /// `deny_on_first_deny` batch.
    pub fn write_json(&self, explain: bool, ended_batch: bool, out: &mut Vec<u8>) {
        let mut w = DecisionWriter::new(out, self.decision);
        if let Some(error) = &self.error {
            w.error(&error.message(explain));
        } else if explain {
            if let Some(reason) = &self.reason {
                w.reason_admin(reason);
            }
            if let Some(rule) = &self.rule {
                w.text("rule", rule);
            }
            w.texts("roles", &self.roles);
        }
        if ended_batch {
            w.ended_batch();
        }
        w.finish();
    }
}

impl Pdp {
    /// Binds a principals file to a compiled policy.
    pub fn new(table: DecisionTable, principals: &Principals) -> Result<Pdp, Vec<Diagnostic>> {
        let binding = principals.bind(&table)?;
        Ok(Pdp {
            table,
            binding,
            trust_claimed_roles: false,
            suggest: true,
        })
    }

    /// Decides one evaluation, with as much as `details` asks for: the
    /// deciding rule costs a `file:line` string, the reason and roles the
    /// whole answer; a plain decision skips both.
    pub fn decide(&self, e: &Evaluation<'_>, details: Details) -> Decided {
        match self.request(e) {
            Err(error) => Decided::error(error),
            Ok(request) => match self.table.resolve_request(&request) {
                Err(error) => Decided::error(error.into()),
                Ok(resolved) => {
                    let evaluation = self.table.evaluate_resolved(&resolved);
                    let decision = evaluation.effect == Effect::Allow;
                    let mut decided = Decided {
                        decision,
                        error: None,
                        reason: None,
                        rule: None,
                        roles: Vec::new(),
                    };
                    match details {
                        Details::Decision => {}
                        Details::Rule => {
                            decided.rule = evaluation.rule.and_then(|r| self.table.rule_at(r));
                        }
                        Details::Full => {
                            let answer = self.table.answer(&resolved, &evaluation);
                            decided.reason = Some(answer.reason);
                            decided.rule = answer.rule;
                            decided.roles = answer.roles;
                        }
                    }
                    decided
                }
            },
        }
    }

    /// The evaluation as it is decided: a resource the principals file
    /// lists has the file's properties when the request sends none (so a
    /// resource search's results hold when evaluated); properties sent are
    /// the request's, as ever.
    pub(crate) fn with_listed_resource<'e>(&'e self, e: &Evaluation<'e>) -> Evaluation<'e> {
        let listed = match e.resource.has_properties() {
            false => self.binding.resource(e.resource_type, e.resource_id),
            true => None,
        };
        match listed {
            Some(resource) => Evaluation {
                resource: Entity::Object(resource),
                ..*e
            },
            None => *e,
        }
    }

    /// The rolecall request an evaluation stands for (docs/authzen.md, "Mapping").
    pub fn request(&self, e: &Evaluation<'_>) -> Result<Request, PdpError> {
        let e = &self.with_listed_resource(e);
        let table = &self.table;
        let s = self
            .binding
            .scope_of(table, e.resource_type)
            .ok_or_else(|| PdpError::UnknownResourceType {
                resource_type: e.resource_type.to_string(),
                help: match self.suggest {
                    true => suggest(
                        e.resource_type,
                        &self.binding.resource_types(table),
                        "resource type",
                        "the principals file and the policy",
                    ),
                    false => String::new(),
                },
            })?;
        let (scope, sc) = table
            .policy
            .scopes
            .get_index(s)
            .ok_or_else(|| PdpError::Attribute("internal: scope index out of range".into()))?;
        if !sc.actions.contains_key(e.action_name) {
            let help = match self.suggest {
                true => {
                    let actions: Vec<&str> = sc.actions.keys().map(String::as_str).collect();
                    suggest(
                        e.action_name,
                        &actions,
                        "action",
                        &format!("scope `{scope}`"),
                    )
                }
                false => String::new(),
            };
            return Err(PdpError::UnknownAction {
                action: e.action_name.to_string(),
                resource_type: e.resource_type.to_string(),
                scope: scope.clone(),
                help,
            });
        }
        let entry = self.binding.entry(e.subject_type, e.subject_id);
        let properties = e.subject.properties();
        // Identity is matched exactly (id or alias, and type): a subject not
        // listed holds only what the policy's defaults give, unless claims
        // are trusted.
        let (principal, principal_kind) = match entry {
            Some(entry) => (entry.roles.clone(), entry.kind.clone()),
            None if self.trust_claimed_roles => {
                (request_roles(properties, scope)?, request_kind(properties)?)
            }
            None => (IndexMap::new(), None),
        };
        let view = entry.map(|entry| &entry.view);
        let mut context = IndexMap::new();
        for (f, spec) in self.binding.derived_facts() {
            if let Some((name, _)) = table.policy.facts.get_index(*f) {
                context.insert(name.clone(), spec.holds(e, view));
            }
        }
        for (_, name) in self.binding.context_facts() {
            match e.context.and_then(|c| c.get(name)) {
                None | Some(Value::Null) => {}
                Some(Value::Bool(b)) => {
                    context.insert(name.clone(), *b);
                }
                Some(other) => {
                    return Err(PdpError::Attribute(format!(
                        "`context.{name}` is the fact `{name}`: it must be true or false, found {}",
                        kind(other)
                    )));
                }
            }
        }
        // A setting is read from `context` by its name, as a string.
        let mut settings = IndexMap::new();
        for name in table.policy.settings.keys() {
            match e.context.and_then(|c| c.get(name)) {
                None | Some(Value::Null) => {}
                Some(Value::String(value)) => {
                    settings.insert(name.clone(), value.clone());
                }
                Some(other) => {
                    return Err(PdpError::Attribute(format!(
                        "`context.{name}` is the setting `{name}`: it must be a string, found {}",
                        kind(other)
                    )));
                }
            }
        }
        Ok(Request {
            principal,
            kind: principal_kind,
            action: format!("{scope}:{}", e.action_name),
            context,
            settings,
            // AuthZEN names no target: a targeted action is refused (TargetRequired).
            target: None,
        })
    }
}

/// Roles from `subject.properties.roles`: an array (or one name) for the
/// resource's scope, or an object mapping scopes to roles.
fn request_roles(
    properties: Option<&Map<String, Value>>,
    scope: &str,
) -> Result<IndexMap<String, Vec<String>>, PdpError> {
    let mut out = IndexMap::new();
    match properties.and_then(|p| p.get("roles")) {
        None | Some(Value::Null) => {}
        Some(Value::Object(scopes)) => {
            for (s, roles) in scopes {
                let roles = reader::roles(roles).ok_or_else(|| {
                    PdpError::Attribute(format!(
                        "`subject.properties.roles.{s}` must be a role name or an array of role names, found {}",
                        kind(roles)
                    ))
                })?;
                out.insert(s.clone(), roles);
            }
        }
        Some(roles) => {
            let roles = reader::roles(roles).ok_or_else(|| {
                PdpError::Attribute(format!(
                    "`subject.properties.roles` must be an array of role names (or an object mapping scopes to roles), found {}",
                    kind(roles)
                ))
            })?;
            out.insert(scope.to_string(), roles);
        }
    }
    Ok(out)
}

/// The kind from `subject.properties.kind`.
fn request_kind(properties: Option<&Map<String, Value>>) -> Result<Option<String>, PdpError> {
    match properties.and_then(|p| p.get("kind")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(k)) => Ok(Some(k.clone())),
        Some(other) => Err(PdpError::Attribute(format!(
            "`subject.properties.kind` must be a string, found {}",
            kind(other)
        ))),
    }
}
