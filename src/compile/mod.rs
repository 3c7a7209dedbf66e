//! Compilation: a resolved policy to its decision table.
//!
//! For every scope, action and role the table holds one cell (one, two or four
//! bytes): allow or deny with the deciding rule, or an index into a side table
//! of conditional cells.
//! Deciding from resolved ids is one array load.

mod cells;
mod combine;
mod names;
mod table;

pub use table::*;

use crate::resolve::Policy;

/// Compiles a resolved policy. Compilation cannot fail: every error was
/// caught by resolution.
pub fn compile(policy: Policy) -> DecisionTable {
    combine::build(policy)
}
