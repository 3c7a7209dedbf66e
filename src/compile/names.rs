//! Names to indexes for the request path: one fast hash lookup per name.
//!
//! The policy's `IndexMap`s hash with SipHash, built to resist keys chosen by
//! an attacker; here the keys are the policy's own names, fixed at compile
//! time, and a request's names are only looked up, never inserted, so a
//! cheaper hash (Fx-style multiply-rotate over the length and at most three
//! words) is safe and several times faster.

use std::hash::Hasher;

use hashbrown::HashTable;

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

/// One name of a map: its full hash (compared before any byte), the name,
/// and its position in declaration order.
#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    /// Held in the entry when short (most names are), so comparing it reads
    /// no other cache line: a table of 20,000 scopes' names is far larger
    /// than a core's caches, and a pointer to the name would miss again.
    name: smallvec::SmallVec<[u8; 24]>,
    index: u32,
}

/// Names to positions. A probe compares the stored 64-bit hash first, so
/// the bytes are compared once, on the hit, and inline ([`same`]): a libc
/// `memcmp` call per name was a fifth of `check`'s time.
#[derive(Debug, Clone, Default)]
struct Map(HashTable<Entry>);

fn hash(name: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

impl Map {
    fn new<'a>(names: impl Iterator<Item = &'a String>) -> Map {
        let mut table = HashTable::new();
        for (i, name) in names.enumerate() {
            let Ok(index) = u32::try_from(i) else { break };
            let h = hash(name);
            table.insert_unique(
                h,
                Entry {
                    hash: h,
                    name: smallvec::SmallVec::from_slice(name.as_bytes()),
                    index,
                },
                |e: &Entry| e.hash,
            );
        }
        Map(table)
    }

    #[inline(always)]
    fn get(&self, name: &str) -> Option<usize> {
        let h = hash(name);
        self.0
            .find(h, |e| e.hash == h && same(&e.name, name.as_bytes()))
            .map(|e| e.index as usize)
    }
}

/// Byte equality of two short names, eight bytes at a time, without a call.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, rest_a)), Some((y, rest_b))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (rest_a, rest_b);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
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
            scopes: Map::new(policy.scopes.keys()),
            roles: policy
                .scopes
                .values()
                .map(|s| Map::new(s.roles.keys()))
                .collect(),
            actions: policy
                .scopes
                .values()
                .map(|s| Map::new(s.actions.keys()))
                .collect(),
            facts: Map::new(policy.facts.keys()),
            kinds: Map::new(policy.kinds.keys()),
        }
    }

    #[inline]
    pub(crate) fn scope(&self, name: &str) -> Option<usize> {
        self.scopes.get(name)
    }

    #[inline]
    pub(crate) fn role(&self, scope: usize, name: &str) -> Option<usize> {
        self.roles.get(scope)?.get(name)
    }

    #[inline]
    pub(crate) fn action(&self, scope: usize, name: &str) -> Option<usize> {
        self.actions.get(scope)?.get(name)
    }

    #[inline]
    pub(crate) fn fact(&self, name: &str) -> Option<usize> {
        self.facts.get(name)
    }

    #[inline]
    pub(crate) fn kind(&self, name: &str) -> Option<usize> {
        self.kinds.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn same_compares_every_byte() {
        for (a, b, equal) in [
            ("", "", true),
            ("a", "a", true),
            ("a", "b", false),
            ("chat", "chat", true),
            ("send_emojis", "send_emojis", true),
            ("send_emojis", "send_emojiz", false),
            ("access_event_settings", "access_event_settingz", false),
            ("abcdefgh", "abcdefgh", true),
            ("abcdefgh", "abcdefgi", false),
            ("xbcdefgh12", "abcdefgh12", false),
            ("viewer", "viewers", false),
        ] {
            assert_eq!(same(a.as_bytes(), b.as_bytes()), equal, "{a} = {b}");
        }
    }
}
