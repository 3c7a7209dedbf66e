//! Inheritance paths kept once found. The path from a role to the nearest
//! role a rule names is a property of (scope, role, rule), and finding it
//! walks the role's ancestors, which grow with the number of roles: so it
//! is walked once per triple and then read. One cache type, two owners:
//! `eval`'s line evaluator keeps its own (no lock on its fast path), the
//! table a shared one behind a lock for the library's answers.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::RwLock;

use super::PathScratch;
use crate::compile::DecisionTable;
use crate::compile::names::FxHasher;

/// Most roles the paths a cache holds may hold in all (then it forgets
/// them all and starts again), so a cache stays bounded whatever is asked.
const MAX_CACHED_PATH_ROLES: usize = 1 << 16;

/// (scope, deciding role, rule)
type Key = (usize, usize, usize);

/// Paths met so far. The key is three ids of the table, hashed with the
/// table's own multiply-rotate hash rather than SipHash (a request chooses
/// among the table's ids only, and the map is bounded).
#[derive(Debug, Default)]
pub(crate) struct PathCache {
    known: HashMap<Key, Vec<usize>, BuildHasherDefault<FxHasher>>,
    roles: usize,
}

impl PathCache {
    /// The path from `role` to the nearest role `rule` names, appended to `path`.
    pub(crate) fn path_into(
        &mut self,
        table: &DecisionTable,
        key: Key,
        scratch: &mut PathScratch,
        path: &mut Vec<usize>,
    ) {
        if let Some(known) = self.known.get(&key) {
            path.extend_from_slice(known);
            return;
        }
        let start = path.len();
        let (scope, role, rule) = key;
        table.inheritance_path_into(scope, role, rule, scratch, path);
        self.keep(key, path.get(start..).unwrap_or_default());
    }

    fn get(&self, key: &Key) -> Option<&[usize]> {
        self.known.get(key).map(Vec::as_slice)
    }

    fn keep(&mut self, key: Key, found: &[usize]) {
        // `[role]`, when the rule names the role, is found without a walk.
        if found.len() > 1 {
            if self.roles + found.len() > MAX_CACHED_PATH_ROLES {
                self.known.clear();
                self.roles = 0;
            }
            self.roles += found.len();
            self.known.insert(key, found.to_vec());
        }
    }
}

/// The table's shared cache. A clone of the table starts with an empty one.
#[derive(Debug, Default)]
pub(crate) struct SharedPaths(RwLock<PathCache>);

impl Clone for SharedPaths {
    fn clone(&self) -> Self {
        SharedPaths::default()
    }
}

impl DecisionTable {
    /// The inheritance path from `role` to the nearest role `rule` names
    /// (see [`DecisionTable::inheritance_path_into`]), walked once per
    /// triple and kept. A poisoned lock only means the path is walked again.
    pub(crate) fn inheritance_path_at(&self, scope: usize, role: usize, rule: usize) -> Vec<usize> {
        // The common case, no walk to keep: the rule names the role itself.
        if self.names_directly(rule, role) {
            return vec![role];
        }
        let key = (scope, role, rule);
        if let Ok(cache) = self.paths.0.read() {
            if let Some(known) = cache.get(&key) {
                return known.to_vec();
            }
        }
        let mut path = Vec::new();
        super::with_path_scratch(|scratch| {
            self.inheritance_path_into(scope, role, rule, scratch, &mut path);
        });
        if let Ok(mut cache) = self.paths.0.write() {
            cache.keep(key, &path);
        }
        path
    }
}

#[cfg(test)]
mod tests {
    /// A kept path is the path the walk finds, for every (role, rule), asked
    /// twice (walked, then read), and on a clone of the table (a cache of its own).
    #[test]
    fn a_kept_path_is_the_walked_one() {
        let text = "scope s {\n role a\n role b : a\n role c : b\n role d : c, a\n action x\n action y\n allow a to x\n allow b to y\n}\n";
        let compiled = crate::compile_str("p.policy", text);
        assert!(compiled.is_ok(), "the policy compiles");
        let Ok(table) = compiled else { return };
        let walked = |role, rule| {
            let mut path = Vec::new();
            super::super::with_path_scratch(|s| {
                table.inheritance_path_into(0, role, rule, s, &mut path);
            });
            path
        };
        let clone = table.clone();
        for rule in 0..table.policy.rules.len() {
            for role in 0..4 {
                let expected = walked(role, rule);
                assert_eq!(table.inheritance_path_at(0, role, rule), expected);
                assert_eq!(table.inheritance_path_at(0, role, rule), expected);
                assert_eq!(clone.inheritance_path_at(0, role, rule), expected);
            }
        }
        // `d` reaches `a`'s rule through its own parent `a` (declaration order), not via `c`.
        assert_eq!(table.inheritance_path_at(0, 3, 0), vec![3, 0]);
        assert_eq!(table.inheritance_path_at(0, 3, 1), vec![3, 2, 1]);
    }
}
