//! `--public-url`: the PDP identifier of the AuthZEN metadata, and where the
//! server answers because of it.
//!
//! The identifier is an `http(s)` URL without query or fragment (spec §
//! "PDP metadata"). Its path, if any, is a prefix the endpoints are served
//! under (`https://pdp.example.com/tenant1` serves
//! `/tenant1/access/v1/evaluation`), and the metadata is found by inserting
//! `/.well-known/authzen-configuration` between the host and that path, as
//! RFC 8414 does for OAuth (`/.well-known/authzen-configuration/tenant1`).

use std::fmt;
use std::str::FromStr;

/// Why a `--public-url` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicUrlError {
    /// Not `http://` or `https://`.
    #[error("the scheme must be `https` or `http`, found `{0}`")]
    Scheme(String),
    /// Nothing between `://` and the path.
    #[error("it names no host")]
    NoHost,
    /// `user@host`: the identifier is compared as a string, credentials do not belong in it.
    #[error("it must not carry user information (`…@`)")]
    UserInfo,
    /// The spec's identifier has no query.
    #[error("it must not have a query (`?…`)")]
    Query,
    /// The spec's identifier has no fragment.
    #[error("it must not have a fragment (`#…`)")]
    Fragment,
    /// The host is neither a name nor an IP address.
    #[error("the host `{0}` is not a host name or an IP address")]
    Host(String),
    /// The port is not a number from 1 to 65535.
    #[error("the port `{0}` is not a number from 1 to 65535")]
    Port(String),
    /// A path segment that is empty, `.`, `..`, or has a character beyond
    /// ASCII letters, digits and `-._~`: the prefix is matched byte for byte
    /// against request paths, so it must have one spelling.
    #[error(
        "the path segment `{0}` must be non-empty, not `.` or `..`, and made of ASCII letters, digits and `-._~`"
    )]
    Segment(String),
}

impl PublicUrlError {
    /// The stable code of the error, one per variant.
    pub fn code(&self) -> &'static str {
        match self {
            PublicUrlError::Scheme(_) => "rolecall::serve::public_url::scheme",
            PublicUrlError::NoHost => "rolecall::serve::public_url::no_host",
            PublicUrlError::UserInfo => "rolecall::serve::public_url::user_info",
            PublicUrlError::Query => "rolecall::serve::public_url::query",
            PublicUrlError::Fragment => "rolecall::serve::public_url::fragment",
            PublicUrlError::Host(_) => "rolecall::serve::public_url::host",
            PublicUrlError::Port(_) => "rolecall::serve::public_url::port",
            PublicUrlError::Segment(_) => "rolecall::serve::public_url::segment",
        }
    }
}

/// Written out rather than derived, as for `EvalError`: the code is all it adds.
impl miette::Diagnostic for PublicUrlError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(PublicUrlError::code(self)))
    }
}

/// A checked `--public-url`: scheme and host in lower case (they are
/// case-insensitive, RFC 3986 §6.2.2.1), the path without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    https: bool,
    authority: String,
    path: String,
}

impl PublicUrl {
    /// Reads a public URL.
    pub fn parse(text: &str) -> Result<PublicUrl, PublicUrlError> {
        if text.contains('#') {
            return Err(PublicUrlError::Fragment);
        }
        if text.contains('?') {
            return Err(PublicUrlError::Query);
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| PublicUrlError::Scheme(text.to_string()))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(PublicUrlError::Scheme(scheme.to_string())),
        };
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(PublicUrlError::UserInfo);
        }
        if authority.is_empty() {
            return Err(PublicUrlError::NoHost);
        }
        let authority = checked_authority(authority)?;
        // One trailing slash means the same base: `https://pdp/` is `https://pdp`.
        let path = path.strip_suffix('/').unwrap_or(path);
        for segment in path.split('/').skip(1) {
            let plain = segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if segment.is_empty() || segment == "." || segment == ".." || !plain {
                return Err(PublicUrlError::Segment(segment.to_string()));
            }
        }
        Ok(PublicUrl {
            https,
            authority,
            path: path.to_string(),
        })
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The PDP identifier: scheme, host and path, no trailing `/`.
    pub fn identifier(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path)
    }

    /// The path prefix the endpoints are served under: empty, or `/tenant1`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;
    fn from_str(text: &str) -> Result<PublicUrl, PublicUrlError> {
        PublicUrl::parse(text)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.identifier())
    }
}

/// `host[:port]` or `[v6][:port]`, the host in lower case.
fn checked_authority(authority: &str) -> Result<String, PublicUrlError> {
    let bad_host = || PublicUrlError::Host(authority.to_string());
    let port = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or_else(bad_host)?;
        if inside.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad_host());
        }
        match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(bad_host)?),
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(PublicUrlError::NoHost);
        }
        // A DNS name or an IPv4 address: dot-separated labels of letters,
        // digits and inner hyphens.
        let name = host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !name {
            return Err(PublicUrlError::Host(host.to_string()));
        }
        port
    };
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p > 0);
        if !valid {
            return Err(PublicUrlError::Port(port.to_string()));
        }
    }
    Ok(authority.to_ascii_lowercase())
}
