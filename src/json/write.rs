//! JSON written straight into bytes: the one string escaper every hand-made
//! answer uses (`eval`'s answers, the AuthZEN decisions, the decision log),
//! escaping as serde_json does, so a text reads the same whichever writer
//! wrote it.

/// Appends `text` escaped as serde_json escapes strings: `"` and `\` and the
/// control characters, everything else (non-ASCII included) as is.
pub(crate) fn escape_into(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => {
                out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `text` as a JSON string, quotes included.
pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    escape_into(out, text);
    out.push(b'"');
}

/// A JSON string, or `null` for `None`.
#[cfg(feature = "serve")]
pub(crate) fn optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// `true` or `false`.
pub(crate) fn boolean(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// A JSON array of strings.
pub(crate) fn strings<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, item.as_ref());
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character below U+0080, and a few beyond, escaped as serde_json does.
    #[test]
    fn escapes_as_serde_json_does() {
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é\u{2028}😀");
        let mut out = Vec::new();
        string(&mut out, &text);
        assert_eq!(Some(out), serde_json::to_vec(&text).ok());
    }
}
