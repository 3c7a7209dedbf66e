//! Compilation: a resolved policy to its decision table.
//!
//! For every scope, action and role the table holds one cell (one, two or four
//! bytes): allow or deny with the deciding rule, or an index into a side table
//! of conditional cells.
//! Deciding from resolved ids is one array load.

mod access;
pub(crate) mod cells;
pub(crate) mod ids;
pub(crate) mod names;
pub(crate) mod table;

pub use access::Access;
pub use ids::{ActionId, FactId, RoleId, RuleId, ScopeId};
pub use table::*;

use crate::resolve::Policy;

/// Compiles a resolved policy: the decision core's combination rule
/// (`decision`, a private module) applied to every cell, stored here. Compilation
/// cannot fail: every error was caught by resolution.
pub fn compile(policy: Policy) -> DecisionTable {
    crate::decision::combine::build(policy)
}

impl DecisionTable {
    /// The table of this policy with some settings, facts or the kind fixed
    /// (`--set`): see [`Policy::pinned`].
    pub fn pinned(&self, pins: &crate::resolve::Pins) -> DecisionTable {
        compile(self.policy.pinned(pins))
    }
}
