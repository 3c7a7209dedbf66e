//! What a service reads of an [`EvalError`]: a static code per variant (so
//! `?` carries it into a `miette::Result`), and the JSON error a request
//! failed on.

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
            EvalError::NotAssignable { .. } => "rolecall::eval::not_assignable",
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
