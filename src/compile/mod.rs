//! Compilation: a resolved policy to its decision table.
//!
//! For every scope, action and role the table holds one `u32`: allow or deny
//! with the deciding rule, or an index into a side table of conditional cells.
//! Deciding from resolved ids is one array load.

mod combine;
mod table;

pub use table::*;

use crate::resolve::Policy;

/// Compiles a resolved policy. Compilation cannot fail: every error was
/// caught by resolution.
pub fn compile(policy: Policy) -> DecisionTable {
    combine::build(policy)
}
