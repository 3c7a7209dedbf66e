//! Who may do an action, and what a role may do: a row or a column of the
//! table read back, for the REPL's `:who` / `:what` and for library users.

use super::ids::{ActionId, RoleId, RuleId};
use super::table::{CellDecision, DecisionTable};
use crate::invariant::name_or_missing;

/// How a role may do an action, when it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<'t> {
    /// Whatever the facts; `rule` decided (`None` when the rules' conditions
    /// together always allow, so no single rule does).
    Always {
        /// The deciding rule.
        rule: Option<RuleId>,
    },
    /// When this condition (in the policy's words) holds.
    When(&'t str),
}

impl DecisionTable {
    /// The roles that may do `action`, in declaration order, and how.
    ///
    /// ```
    /// use rolecall::compile::Access;
    /// let table = rolecall::compile_str("p.policy", r#"
    ///     fact live
    ///     scope session {
    ///         role viewer
    ///         role host : viewer
    ///         action chat
    ///         allow host to chat
    ///         allow viewer to chat when live
    ///     }
    /// "#).unwrap();
    /// let chat = table.action_id("session", "chat").unwrap();
    /// let who: Vec<_> = table
    ///     .who_can(chat)
    ///     .map(|(role, access)| (table.role_name(role).unwrap(), access))
    ///     .collect();
    /// assert_eq!(who[0], ("viewer", Access::When("live")));
    /// assert!(matches!(who[1], ("host", Access::Always { rule: Some(_) })));
    /// ```
    pub fn who_can(&self, action: ActionId) -> impl Iterator<Item = (RoleId, Access<'_>)> + '_ {
        self.roles(action.scope_id())
            .filter_map(move |role| Some((role, self.access(action, role)?)))
    }

    /// The actions `role` may do, in declaration order, and how.
    pub fn what_can(&self, role: RoleId) -> impl Iterator<Item = (ActionId, Access<'_>)> + '_ {
        self.actions(role.scope_id())
            .filter_map(move |action| Some((action, self.access(action, role)?)))
    }

    /// The roles that may do targeted `action` to a target in `column` (a
    /// role, or themself), in declaration order, and how; none for a plain
    /// action.
    pub fn who_can_on(
        &self,
        action: ActionId,
        column: super::table::TargetColumn,
    ) -> impl Iterator<Item = (RoleId, Access<'_>)> + '_ {
        self.roles(action.scope_id()).filter_map(move |role| {
            let cell = column.cell(self, action.scope(), action.index(), role.index())?;
            Some((role, cell_access(cell)?))
        })
    }

    /// How `role` may do `action`; `None` when it may not.
    pub fn access(&self, action: ActionId, role: RoleId) -> Option<Access<'_>> {
        cell_access(self.cell(action, role)?)
    }
}

/// How a cell allows, when it does.
fn cell_access(cell: super::table::Cell<'_>) -> Option<Access<'_>> {
    match cell.decision {
        CellDecision::Deny => None,
        CellDecision::Allow => Some(Access::Always { rule: cell.rule }),
        CellDecision::Conditional => Some(Access::When(name_or_missing(
            cell.conditional.map(|c| c.text.as_str()),
            "condition of a conditional cell",
        ))),
    }
}
