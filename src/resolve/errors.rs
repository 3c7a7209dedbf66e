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
        /// What the name was meant to name.
        what: NameKind,
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

/// What an unknown name was meant to name: each has its own error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A role of a scope.
    Role,
    /// An action of a scope.
    Action,
    /// A fact.
    Fact,
    /// A kind of principal.
    Kind,
    /// A scope.
    Scope,
    /// A setting.
    Setting,
    /// A value of a setting.
    SettingValue,
}

impl NameKind {
    /// The noun in messages: `role`, `action`…
    pub fn noun(self) -> &'static str {
        match self {
            NameKind::Role => "role",
            NameKind::Action => "action",
            NameKind::Fact => "fact",
            NameKind::Kind => "kind",
            NameKind::Scope => "scope",
            NameKind::Setting => "setting",
            NameKind::SettingValue => "value",
        }
    }

    /// The code of the error for an unknown name of this kind.
    pub fn unknown_code(self) -> &'static str {
        match self {
            NameKind::Role => crate::diagnostic::code::RESOLVE_UNKNOWN_ROLE,
            NameKind::Action => crate::diagnostic::code::RESOLVE_UNKNOWN_ACTION,
            NameKind::Fact => crate::diagnostic::code::RESOLVE_UNKNOWN_FACT,
            NameKind::Kind => crate::diagnostic::code::RESOLVE_UNKNOWN_KIND,
            NameKind::Scope => crate::diagnostic::code::RESOLVE_UNKNOWN_SCOPE,
            NameKind::Setting => crate::diagnostic::code::RESOLVE_UNKNOWN_SETTING,
            NameKind::SettingValue => crate::diagnostic::code::RESOLVE_UNKNOWN_VALUE,
        }
    }

    /// Errors of its code, counted: `unknown roles`.
    fn unknown_noun(self) -> &'static str {
        match self {
            NameKind::Role => "unknown roles",
            NameKind::Action => "unknown actions",
            NameKind::Fact => "unknown facts",
            NameKind::Kind => "unknown kinds",
            NameKind::Scope => "unknown scopes",
            NameKind::Setting => "unknown settings",
            NameKind::SettingValue => "unknown setting values",
        }
    }
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
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
    pub fn code(&self) -> &'static str {
        match self {
            ResolveError::Duplicate { .. } => crate::diagnostic::code::RESOLVE_DUPLICATE,
            ResolveError::Unknown { what, .. } => what.unknown_code(),
            ResolveError::WrongScope { .. } => crate::diagnostic::code::RESOLVE_WRONG_SCOPE,
            ResolveError::Cycle { .. } => crate::diagnostic::code::RESOLVE_CYCLE,
            ResolveError::Invalid { .. } => crate::diagnostic::code::RESOLVE_INVALID,
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
            ResolveError::Unknown { what, .. } => what.unknown_noun(),
            ResolveError::WrongScope { .. } => "references to another scope",
            ResolveError::Cycle { .. } => "inheritance cycles",
            ResolveError::Invalid { .. } => "invalid declarations",
        }
    }

    /// The diagnostic shown to a person.
    pub fn into_diagnostic(self) -> Diagnostic {
        let message = self.to_string();
        let code = self.code();
        match self {
            ResolveError::Duplicate {
                what, loc, first, ..
            } => Diagnostic::new(
                code,
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
                code,
                Level::Error,
                message,
                &loc,
                format!("no {what} of this name"),
            )
            .with_help(help),
            ResolveError::WrongScope { loc, help, .. } => {
                Diagnostic::new(code, Level::Error, message, &loc, "from another scope")
                    .with_help(help)
            }
            ResolveError::Cycle { edges, .. } => {
                let mut edges = edges.into_iter();
                let Some(first) = edges.next() else {
                    return Diagnostic::without_location(code, Level::Error, message);
                };
                let mut d = Diagnostic::new(code, Level::Error, message, &first, "inherits…");
                for edge in edges {
                    d = d.with_label(&edge, "…which inherits…");
                }
                d.with_help("a role cannot inherit itself, directly or through others: remove one edge of the cycle")
            }
            ResolveError::Invalid {
                loc, label, help, ..
            } => Diagnostic::new(code, Level::Error, message, &loc, label).with_help(help),
        }
    }
}
