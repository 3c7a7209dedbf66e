//! Which kinds of principal may hold a role: what the table needs to know
//! to call a cell fixed when its condition only differs for kinds that can
//! never hold the role (an organizer cannot be anonymous).
//!
//! Kind `k` may hold role `r` of scope `s` when a request can make `r` one
//! of its effective roles there: `k` may be assigned `r` (no `assignable`
//! line of `k` in `s` that always applies, or a line naming `r`), a default
//! that can reach `k` gives `r`, or an override (replacing or adding, which
//! are never checked against `assignable`) gives `r`. A principal of no kind
//! may hold every role, and everyone holds the `everyone` column.

use crate::resolve::{DefaultRole, Policy, Scope};

/// The defaults that can apply to an unassigned principal of kind `k`: the
/// kind's own, then the plain ones unless one of its own always applies.
pub(crate) fn defaults_reaching(scope: &Scope, k: usize) -> impl Iterator<Item = &DefaultRole> {
    let own = scope
        .kind_defaults
        .get(&k)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let plain_reaches = scope.fallback_default(Some(k)).is_none();
    own.iter()
        .chain(scope.defaults.iter().filter(move |_| plain_reaches))
}

/// For each role of `scope` (index `s`), the kinds that may hold it.
pub(crate) fn kinds_that_may_hold(policy: &Policy, s: usize, scope: &Scope) -> Vec<Vec<bool>> {
    let kinds = policy.kinds.len();
    let mut may = vec![vec![false; kinds]; scope.roles.len()];
    let mut give = |role: usize, kind: Option<usize>| {
        if let Some(row) = may.get_mut(role) {
            match kind {
                Some(k) => {
                    if let Some(cell) = row.get_mut(k) {
                        *cell = true;
                    }
                }
                None => row.iter_mut().for_each(|c| *c = true),
            }
        }
    };
    for k in 0..kinds {
        match scope.assignable_ever(k) {
            None => (0..scope.roles.len()).for_each(|r| give(r, Some(k))),
            Some(roles) => roles.into_iter().for_each(|r| give(r, Some(k))),
        }
        for d in defaults_reaching(scope, k) {
            if let Some(r) = d.role {
                give(r, Some(k));
            }
        }
    }
    for o in policy.overrides.iter().filter(|o| o.scope == s) {
        give(o.role, None);
    }
    if let Some(e) = scope.everyone {
        give(e, None);
    }
    may
}
