//! Page tokens of the search APIs: opaque to the PEP, unforgeable, and
//! bound to the request and the policy they were issued for.
//!
//! A token is the offset of the next result, the page limit, and an
//! HMAC-SHA256, under a key drawn when the process starts, of both, the
//! digest of the policy in service and the request's fingerprint (its
//! entities). So a PEP can neither move within the results by editing a
//! token nor reuse one for another request (the spec asks for an error
//! then), and a reload that changes the policy ends the pages begun under
//! the old one. The limit rides in the token because a PEP may leave it out
//! of the requests after the first (the certification scenario's C.4.5.2
//! does).
//! Another process (a restart, another replica) does not know the key: its
//! tokens are refused there too.

use ring::hmac;

/// Why a `page.token` is refused (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`page.token` is not a token this PDP issued for this request (the request, its page limit or the policy changed, or the PDP restarted)"
)]
pub struct BadToken;

/// Issues and checks page tokens with one process-wide key.
pub struct Tokens {
    key: hmac::Key,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is never printed.
        f.write_str("Tokens")
    }
}

/// Hex digits of an offset or a limit: 16, a `u64` big-endian.
const NUMBER_DIGITS: usize = 16;

/// The limit of a search without one.
const NO_LIMIT: u64 = u64::MAX;

/// A `u64` from its 16 hex digits. Parsed as bytes, not with
/// `from_str_radix`, which would take a `+` or upper case: one number has
/// one spelling.
fn number(digits: &str) -> Result<u64, BadToken> {
    hex(digits)
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(u64::from_be_bytes)
        .ok_or(BadToken)
}

impl Tokens {
    /// A fresh random key.
    pub fn new() -> Result<Tokens, ring::error::Unspecified> {
        let rng = ring::rand::SystemRandom::new();
        Ok(Tokens {
            key: hmac::Key::generate(hmac::HMAC_SHA256, &rng)?,
        })
    }

    /// The token for the page starting at `offset`, of `limit` results.
    pub fn issue(&self, offset: u64, limit: Option<u64>, policy: &str, request: &str) -> String {
        let limit = limit.unwrap_or(NO_LIMIT);
        let tag = hmac::sign(&self.key, &message(offset, limit, policy, request));
        let mut out = format!("{offset:016x}{limit:016x}");
        for byte in tag.as_ref() {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// The offset and limit a token stands for, when this process issued
    /// it for this policy and request; compared in constant time (ring's
    /// `verify`).
    pub fn check(
        &self,
        token: &str,
        policy: &str,
        request: &str,
    ) -> Result<(u64, Option<u64>), BadToken> {
        let (offset, rest) = token.split_at_checked(NUMBER_DIGITS).ok_or(BadToken)?;
        let (limit, tag) = rest.split_at_checked(NUMBER_DIGITS).ok_or(BadToken)?;
        let (offset, limit) = (number(offset)?, number(limit)?);
        let tag = hex(tag).ok_or(BadToken)?;
        hmac::verify(&self.key, &message(offset, limit, policy, request), &tag)
            .map_err(|_| BadToken)?;
        Ok((offset, (limit != NO_LIMIT).then_some(limit)))
    }
}

/// What is signed: fixed widths and the policy's length first, so no two
/// inputs give the same bytes.
fn message(offset: u64, limit: u64, policy: &str, request: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + policy.len() + request.len());
    out.extend_from_slice(&offset.to_be_bytes());
    out.extend_from_slice(&limit.to_be_bytes());
    out.extend_from_slice(&(policy.len() as u64).to_be_bytes());
    out.extend_from_slice(policy.as_bytes());
    out.extend_from_slice(request.as_bytes());
    out
}

/// Lower-case hex to bytes; `None` for anything else.
fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |b: u8| match b {
                b'0'..=b'9' => Some(b - b'0'),
                b'a'..=b'f' => Some(b - b'a' + 10),
                _ => None,
            };
            match pair {
                [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
                _ => None,
            }
        })
        .collect()
}
