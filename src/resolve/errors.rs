//! What can be wrong with the names and structure of a policy.

use crate::diagnostic::{Diagnostic, Level};
use crate::source::Loc;

/// A resolution error; [`ResolveError::into_diagnostic`] gives the person-facing form.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    /// A name declared twice in the same namespace.
    #[error("{what} `{name}` is declared twice")]
    Duplicate {
        /// "role", "action", "fact"…
        what: &'static str,
        /// The name.
        name: String,
        /// The second declaration.
        loc: Loc,
        /// The first declaration.
        first: Loc,
    },
    /// A reference to a name that is not declared.
    #[error("unknown {what} `{name}`{context}")]
    Unknown {
        /// "role", "action", "fact"…
        what: &'static str,
        /// The name as written.
        name: String,
        /// " in scope `x`", or empty.
        context: String,
        /// Where it is referenced.
        loc: Loc,
        /// What to do.
        help: String,
    },
    /// A reference across scopes where only the own scope is allowed.
    #[error("{what} `{name}` belongs to scope `{other}`, not to scope `{scope}`")]
    WrongScope {
        /// "role" or "action".
        what: &'static str,
        /// The name.
        name: String,
        /// The scope it belongs to.
        other: String,
        /// The scope where it is used.
        scope: String,
        /// Where.
        loc: Loc,
        /// What to do.
        help: String,
    },
    /// Roles inheriting each other in a loop.
    #[error("inheritance cycle{}: {}", cycle_length(*length), cycle.join(" → "))]
    Cycle {
        /// The roles in the cycle, first repeated at the end; a long cycle
        /// shows its first and last roles around a `…`.
        cycle: Vec<String>,
        /// How many roles it goes through.
        length: usize,
        /// The parent references forming it.
        edges: Vec<Loc>,
    },
    /// A declaration that is well-formed but meaningless.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// Where.
        loc: Loc,
        /// The label under the span.
        label: String,
        /// What to do.
        help: String,
    },
}

/// " of N roles" for a cycle shown in part, else nothing.
fn cycle_length(length: usize) -> String {
    if length <= super::MAX_CYCLE_EDGES_SHOWN {
        String::new()
    } else {
        format!(" of {length} roles")
    }
}

impl ResolveError {
    /// The code of its diagnostic, e.g. `rolecall::resolve::duplicate`.
    pub fn code(&self) -> String {
        match self {
            ResolveError::Duplicate { .. } => "rolecall::resolve::duplicate".to_string(),
            ResolveError::Unknown { what, .. } => format!("rolecall::resolve::unknown_{what}"),
            ResolveError::WrongScope { .. } => "rolecall::resolve::wrong_scope".to_string(),
            ResolveError::Cycle { .. } => "rolecall::resolve::cycle".to_string(),
            ResolveError::Invalid { .. } => "rolecall::resolve::invalid".to_string(),
        }
    }

    /// Where it is.
    pub fn primary(&self) -> Option<&Loc> {
        match self {
            ResolveError::Duplicate { loc, .. }
            | ResolveError::Unknown { loc, .. }
            | ResolveError::WrongScope { loc, .. }
            | ResolveError::Invalid { loc, .. } => Some(loc),
            ResolveError::Cycle { edges, .. } => edges.first(),
        }
    }

    /// Errors of its code, counted: "duplicate declarations".
    pub fn noun(&self) -> &'static str {
        match self {
            ResolveError::Duplicate { .. } => "duplicate declarations",
            ResolveError::Unknown { what, .. } => match *what {
                "role" => "unknown roles",
                "action" => "unknown actions",
                "fact" => "unknown facts",
                "kind" => "unknown kinds",
                "scope" => "unknown scopes",
                _ => "unknown names",
            },
            ResolveError::WrongScope { .. } => "references to another scope",
            ResolveError::Cycle { .. } => "inheritance cycles",
            ResolveError::Invalid { .. } => "invalid declarations",
        }
    }

    /// The diagnostic shown to a person.
    pub fn into_diagnostic(self) -> Diagnostic {
        let message = self.to_string();
        match self {
            ResolveError::Duplicate {
                what, loc, first, ..
            } => Diagnostic::new(
                "rolecall::resolve::duplicate",
                Level::Error,
                message,
                &loc,
                format!("{what} declared again here"),
            )
            .with_label(&first, "first declared here")
            .with_help(format!(
                "remove one of the declarations or rename one {what}"
            )),
            ResolveError::Unknown {
                what, loc, help, ..
            } => Diagnostic::new(
                format!("rolecall::resolve::unknown_{what}"),
                Level::Error,
                message,
                &loc,
                format!("no {what} of this name"),
            )
            .with_help(help),
            ResolveError::WrongScope { loc, help, .. } => Diagnostic::new(
                "rolecall::resolve::wrong_scope",
                Level::Error,
                message,
                &loc,
                "from another scope",
            )
            .with_help(help),
            ResolveError::Cycle { edges, .. } => {
                let mut edges = edges.into_iter();
                let Some(first) = edges.next() else {
                    return Diagnostic::without_location(
                        "rolecall::resolve::cycle",
                        Level::Error,
                        message,
                    );
                };
                let mut d = Diagnostic::new(
                    "rolecall::resolve::cycle",
                    Level::Error,
                    message,
                    &first,
                    "inherits…",
                );
                for edge in edges {
                    d = d.with_label(&edge, "…which inherits…");
                }
                d.with_help("a role cannot inherit itself, directly or through others: remove one edge of the cycle")
            }
            ResolveError::Invalid {
                loc, label, help, ..
            } => Diagnostic::new(
                "rolecall::resolve::invalid",
                Level::Error,
                message,
                &loc,
                label,
            )
            .with_help(help),
        }
    }
}
