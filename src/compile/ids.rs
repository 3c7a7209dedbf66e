//! Typed ids: what the library hands out for names it resolved, so a rule
//! index cannot be passed where a role index is expected. Each is a small
//! copyable handle, valid for the table that made it.

/// A resolved scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub(crate) u32);

/// A resolved action: its scope and the start of its row of cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionId {
    pub(crate) scope: u32,
    pub(crate) row: u32,
    pub(crate) index: u32,
}

/// A resolved role: its scope and its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleId {
    pub(crate) scope: u32,
    pub(crate) index: u32,
}

/// A rule of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub(crate) u32);

/// A declared fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactId(pub(crate) u32);

impl ScopeId {
    /// Position of the scope in declaration order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ActionId {
    /// Scope index.
    pub fn scope(self) -> usize {
        self.scope as usize
    }
    /// The action's scope.
    pub fn scope_id(self) -> ScopeId {
        ScopeId(self.scope)
    }
    /// Action index within the scope.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

impl RoleId {
    /// Scope index.
    pub fn scope(self) -> usize {
        self.scope as usize
    }
    /// The role's scope.
    pub fn scope_id(self) -> ScopeId {
        ScopeId(self.scope)
    }
    /// Role index within the scope.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

impl RuleId {
    /// Position of the rule in the policy (declaration order, includes first).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl FactId {
    /// Position of the fact in declaration order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Ids are made from indexes the resolver produced, which the limits keep far
/// below `u32::MAX`; `None` only for an index that no policy can hold.
pub(crate) fn narrow(index: usize) -> Option<u32> {
    u32::try_from(index).ok()
}

/// `index` as an id's `u32`: the 64 MiB limit on a policy's text keeps every
/// count of rules, facts and scopes far below `u32::MAX`, so a failure is a
/// broken invariant: loud in debug builds, and in release `u32::MAX`, an id
/// that names nothing (every look-up of it answers `None`), never another one.
pub(crate) fn exact(index: usize) -> u32 {
    match u32::try_from(index) {
        Ok(i) => i,
        Err(_) => {
            debug_assert!(false, "invariant broken: index {index} does not fit an id");
            u32::MAX
        }
    }
}

impl RuleId {
    /// The id of the rule at `index` of the policy.
    pub(crate) fn at(index: usize) -> RuleId {
        RuleId(exact(index))
    }
}

impl FactId {
    /// The id of the fact at `index` of the policy.
    pub(crate) fn at(index: usize) -> FactId {
        FactId(exact(index))
    }
}

impl ScopeId {
    /// The id of the scope at `index` of the policy.
    pub(crate) fn at(index: usize) -> ScopeId {
        ScopeId(exact(index))
    }
}
