//! Names to indexes for the request path: one fast hash lookup per name.
//!
//! The policy's `IndexMap`s hash with SipHash, built to resist keys chosen by
//! an attacker; here the keys are the policy's own names, fixed at compile
//! time, and a request's names are only looked up, never inserted, so a
//! cheaper hash (Fx-style multiply-rotate over the length and at most three
//! words) is safe and several times faster.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::resolve::Policy;

/// Multiply-rotate hashing of 8-byte words (the rustc `FxHasher` scheme).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    /// Hashes the length and at most three words: the first two and the
    /// last. Names that differ only in between collide and are told apart by
    /// the string comparison every lookup ends with; hashing stays a few
    /// instructions, with no loop, whatever the length.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let word = |at: usize| -> u64 {
            bytes
                .get(at..at + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_le_bytes)
        };
        let half = |at: usize| -> u64 {
            bytes
                .get(at..at + 4)
                .and_then(|w| <[u8; 4]>::try_from(w).ok())
                .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
        };
        self.add(n as u64);
        if n >= 8 {
            self.add(word(0));
            if n > 16 {
                self.add(word(8));
            }
            if n > 8 {
                self.add(word(n - 8));
            }
        } else if n >= 4 {
            self.add(half(0) << 32 | half(n - 4));
        } else {
            let byte = |i: usize| bytes.get(i).map_or(0, |&b| u64::from(b));
            self.add(byte(0) << 16 | byte(n / 2) << 8 | byte(n.saturating_sub(1)));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply mixes upward: fold the high bits into the low ones the
        // table uses for its bucket index.
        self.0 ^ (self.0 >> 32)
    }
}

type Map = HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>;

fn map<'a>(names: impl Iterator<Item = &'a String>) -> Map {
    names
        .enumerate()
        .filter_map(|(i, name)| Some((name.as_str().into(), u32::try_from(i).ok()?)))
        .collect()
}

/// Every name a request can use, by kind of name.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    scopes: Map,
    roles: Vec<Map>,
    actions: Vec<Map>,
    facts: Map,
    kinds: Map,
}

impl NameIndex {
    pub(crate) fn new(policy: &Policy) -> NameIndex {
        NameIndex {
            scopes: map(policy.scopes.keys()),
            roles: policy
                .scopes
                .values()
                .map(|s| map(s.roles.keys()))
                .collect(),
            actions: policy
                .scopes
                .values()
                .map(|s| map(s.actions.keys()))
                .collect(),
            facts: map(policy.facts.keys()),
            kinds: map(policy.kinds.keys()),
        }
    }

    #[inline]
    pub(crate) fn scope(&self, name: &str) -> Option<usize> {
        self.scopes.get(name).map(|&i| i as usize)
    }

    #[inline]
    pub(crate) fn role(&self, scope: usize, name: &str) -> Option<usize> {
        self.roles.get(scope)?.get(name).map(|&i| i as usize)
    }

    #[inline]
    pub(crate) fn action(&self, scope: usize, name: &str) -> Option<usize> {
        self.actions.get(scope)?.get(name).map(|&i| i as usize)
    }

    #[inline]
    pub(crate) fn fact(&self, name: &str) -> Option<usize> {
        self.facts.get(name).map(|&i| i as usize)
    }

    #[inline]
    pub(crate) fn kind(&self, name: &str) -> Option<usize> {
        self.kinds.get(name).map(|&i| i as usize)
    }
}
