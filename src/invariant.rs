//! Broken invariants, reported rust-analyzer style: loud in debug builds
//! (a `debug_assert!` fails the test that reached it), and in release an
//! internal marker in the output instead of a silent default that reads like
//! a real name.

/// The text standing for a name whose index must exist but does not.
pub(crate) const MISSING: &str = "<internal error: missing name>";

/// `value`, or — an invariant being broken — [`MISSING`] after a debug assertion.
pub(crate) fn name_or_missing<'a>(value: Option<&'a str>, what: &str) -> &'a str {
    match value {
        Some(v) => v,
        None => {
            debug_assert!(false, "invariant broken: no {what} at this index");
            MISSING
        }
    }
}

/// `a` or `an` before a name, by its first letter (`an anonymous`,
/// `a registrant`): messages read as sentences.
pub fn article(name: &str) -> &'static str {
    match name.bytes().next() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u' | b'A' | b'E' | b'I' | b'O' | b'U') => "an",
        _ => "a",
    }
}
