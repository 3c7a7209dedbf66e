//! What a service reads of an [`EvalError`]: a static code per variant (so
//! `?` carries it into a `miette::Result`), the JSON error a request failed
//! on, and why JSON is not a request.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::EvalError;

impl EvalError {
    /// The stable code of the error, one per variant: `rolecall::eval::unknown_role`.
    pub fn code(&self) -> &'static str {
        match self {
            EvalError::Json(_) => "rolecall::eval::json",
            EvalError::Shape(_) => "rolecall::eval::shape",
            EvalError::ActionFormat(_) => "rolecall::eval::action_format",
            EvalError::UnknownScope { .. } => "rolecall::eval::unknown_scope",
            EvalError::UnknownRole { .. } => "rolecall::eval::unknown_role",
            EvalError::UnknownAction { .. } => "rolecall::eval::unknown_action",
            EvalError::UnknownFact { .. } => "rolecall::eval::unknown_fact",
            EvalError::UnknownKind { .. } => "rolecall::eval::unknown_kind",
            EvalError::Internal(_) => "rolecall::eval::internal",
            EvalError::UnknownSetting { .. } => "rolecall::eval::unknown_setting",
            EvalError::UnknownSettingValue { .. } => "rolecall::eval::unknown_setting_value",
            EvalError::SettingNotString { .. } => "rolecall::eval::setting_not_string",
            EvalError::NotAssignable { .. } => "rolecall::eval::not_assignable",
            EvalError::TargetRequired { .. } => "rolecall::eval::target_required",
            EvalError::TargetNotAllowed { .. } => "rolecall::eval::target_not_allowed",
        }
    }
}

/// Written out rather than derived: miette's derive is a feature (and a
/// proc-macro crate) the library does without; the code is all it adds.
impl miette::Diagnostic for EvalError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(EvalError::code(self)))
    }
}

/// The `serde_json::Error` a request could not be read for, kept whole (its
/// line, column and category) so a service can walk to it from
/// `Error::source()`.
///
/// Shared, so the errors holding it stay `Clone`; two are equal when their
/// messages are, which name the line and column (`serde_json::Error` has no
/// `PartialEq`). It dereferences to the `serde_json::Error` and does not
/// implement `Error` itself: thiserror's `#[source]` then hands out the
/// `serde_json::Error` (it takes any field that dereferences to an error),
/// so `source()` downcasts to `serde_json::Error`, not to this wrapper.
#[derive(Debug, Clone)]
pub struct JsonError(Arc<serde_json::Error>);

impl JsonError {
    /// The error serde_json reported.
    pub fn get(&self) -> &serde_json::Error {
        &self.0
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(error: serde_json::Error) -> Self {
        JsonError(Arc::new(error))
    }
}

impl Deref for JsonError {
    type Target = serde_json::Error;
    fn deref(&self) -> &serde_json::Error {
        &self.0
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for JsonError {}

/// Why a JSON document is not a request: one variant per message, so a
/// caller (and the tests) can tell them apart without reading text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// Not an object.
    #[error("a request is a JSON object")]
    NotAnObject,
    /// A key that is not a field of a request.
    #[error(
        "unknown field `{0}`; a request has `principal`, `action`, and optionally `kind`, `context`, `target` and `target_kind`"
    )]
    UnknownField(String),
    /// A role in a list that is not a string.
    #[error("principal.{scope}: each role is a string")]
    RoleNotString {
        /// The scope the roles are given for.
        scope: String,
    },
    /// A scope's roles that are neither a name nor a list.
    #[error("principal.{scope}: a role name or an array of role names")]
    NotRoles {
        /// The scope the roles are given for.
        scope: String,
    },
    /// `principal` that is not an object.
    #[error("`principal` is an object mapping each scope to a role or an array of roles")]
    PrincipalNotObject,
    /// No `principal`.
    #[error("missing field `principal`")]
    MissingPrincipal,
    /// `kind` that is not a string.
    #[error("`kind` is a string")]
    KindNotString,
    /// `action` that is not a string.
    #[error("`action` is a string `scope:action`")]
    ActionNotString,
    /// No `action`.
    #[error("missing field `action`")]
    MissingAction,
    /// A fact whose value is not a boolean.
    #[error("context.{fact}: a fact is true or false, a setting a string")]
    FactNotBool {
        /// The fact.
        fact: String,
    },
    /// `context` that is not an object.
    #[error("`context` is an object mapping facts to true or false")]
    ContextNotObject,
    /// `target` that is neither `"self"` nor an object of scopes.
    #[error("`target` is \"self\" or an object mapping each scope to the target's role or roles")]
    TargetNotObject,
    /// `target_kind` that is not a string.
    #[error("`target_kind` is a string")]
    TargetKindNotString,
    /// `target_kind` with `"target": "self"`.
    #[error(
        "`target_kind` is for another participant: with `\"target\": \"self\"` the principal's `kind` is the target's"
    )]
    TargetKindOfSelf,
    /// `target_kind` without a `target`.
    #[error("`target_kind` without `target`")]
    TargetKindWithoutTarget,
    /// Well-formed JSON naming a key twice (`crate::json` refuses it): which
    /// one was meant is unknowable.
    #[error("{0}")]
    DuplicateKey(#[source] JsonError),
}
