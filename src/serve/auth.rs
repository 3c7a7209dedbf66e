//! PEP authentication: bearer tokens read from a file (never from the
//! command line, where `ps` would show them), checked in constant time.

use std::path::Path;

use hyper::header::HeaderValue;
use subtle::{Choice, ConstantTimeEq};

use crate::diagnostic::{Diagnostic, Level};

/// The shortest token accepted, in bytes: shorter ones are guessable.
pub const MIN_TOKEN_BYTES: usize = 16;

/// The tokens a PEP may present, kept as SHA-256 digests so that every
/// comparison is over 32 bytes whatever the lengths (no length leak) and the
/// tokens themselves are not kept in memory.
#[derive(Clone)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} tokens)", self.digests.len())
    }
}

fn digest(token: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token).as_ref());
    out
}

/// RFC 6750's `b64token`: what may follow `Bearer `.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

impl Tokens {
    /// Reads the token file: one token per line; blank lines and lines
    /// starting with `#` are skipped. Errors never show a token.
    pub fn read(path: &Path) -> Result<Tokens, Vec<Diagnostic>> {
        let fail = |message: String, help: &str| {
            vec![
                Diagnostic::without_location("rolecall::serve::tokens", Level::Error, message)
                    .with_help(help),
            ]
        };
        let bytes = crate::syntax::read_limited(path).map_err(|e| {
            fail(
                format!("cannot read the token file {}: {e}", path.display()),
                "check the --token-file path",
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            fail(
                format!("the token file {} is not valid UTF-8", path.display()),
                "write one token per line, in ASCII",
            )
        })?;
        let mut digests = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let token = line.trim();
            if token.is_empty() || token.starts_with('#') {
                continue;
            }
            if !token.bytes().all(is_token_byte) || token.len() < MIN_TOKEN_BYTES {
                return Err(fail(
                    format!(
                        "line {} of the token file {} is not a usable token",
                        i + 1,
                        path.display()
                    ),
                    &format!(
                        "a token is at least {MIN_TOKEN_BYTES} of the characters A-Z a-z 0-9 - . _ ~ + / = (RFC 6750); `openssl rand -hex 32` makes one"
                    ),
                ));
            }
            digests.push(digest(token.as_bytes()));
        }
        if digests.is_empty() {
            return Err(fail(
                format!("the token file {} holds no token", path.display()),
                "write one token per line; without --token-file no token is asked for",
            ));
        }
        Ok(Tokens { digests })
    }

    /// Whether an `Authorization` header carries one of the tokens. Every
    /// token is compared, in constant time, whichever matches.
    pub fn accept(&self, authorization: Option<&HeaderValue>) -> Verdict {
        let Some(value) = authorization else {
            return Verdict::Missing;
        };
        // The scheme is case-insensitive (RFC 9110 §11.1).
        let parts: Vec<&[u8]> = value
            .as_bytes()
            .split(|&b| b == b' ')
            .filter(|part| !part.is_empty())
            .collect();
        let token = match parts.as_slice() {
            [scheme, token] if scheme.eq_ignore_ascii_case(b"bearer") => token,
            _ => return Verdict::Missing,
        };
        let presented = digest(token);
        let mut found = Choice::from(0);
        for known in &self.digests {
            found |= known.ct_eq(&presented);
        }
        if bool::from(found) {
            Verdict::Accepted
        } else {
            Verdict::Invalid
        }
    }
}

/// What [`Tokens::accept`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A known token.
    Accepted,
    /// No bearer token.
    Missing,
    /// A bearer token that is not one of them.
    Invalid,
}
