//! The one JSON shape of an answer, and its one writer. [`Answer`](super::Answer)
//! serializes through it, and `eval`'s fast path fills it with texts
//! JSON-escaped once per table: field names, order and `null`s are written
//! here only, and each text says how it is escaped (at write time, or already).

use crate::json::write::escape_into;
use crate::syntax::ast::Effect;

/// The inside of a JSON string, written escaped.
pub(crate) trait Text {
    fn write_escaped(&self, out: &mut Vec<u8>);
}

impl Text for str {
    fn write_escaped(&self, out: &mut Vec<u8>) {
        escape_into(out, self);
    }
}

impl Text for String {
    fn write_escaped(&self, out: &mut Vec<u8>) {
        escape_into(out, self);
    }
}

/// A text escaped once, ahead of time (by [`escaped`]).
pub(crate) struct Escaped<'a>(pub &'a [u8]);

impl Text for Escaped<'_> {
    fn write_escaped(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
    }
}

/// `scope:action` from two names escaped ahead of time.
pub(crate) struct EscapedAction<'a>(pub &'a [u8], pub &'a [u8]);

impl Text for EscapedAction<'_> {
    fn write_escaped(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.0);
        out.push(b':');
        out.extend_from_slice(self.1);
    }
}

/// A JSON list of strings, written item by item.
pub(crate) trait TextList {
    fn write_items(&self, out: &mut Vec<u8>);
}

impl TextList for Vec<String> {
    fn write_items(&self, out: &mut Vec<u8>) {
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, item);
        }
    }
}

/// Names by index, escaped ahead of time: `ids` looked up in `names`.
pub(crate) struct EscapedByIds<'a> {
    pub names: &'a [Vec<u8>],
    pub ids: &'a [usize],
}

impl TextList for EscapedByIds<'_> {
    fn write_items(&self, out: &mut Vec<u8>) {
        for (i, &id) in self.ids.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // The ids were resolved against these names; a miss is a broken
            // invariant, written as such rather than as another name.
            let name = match self.names.get(id) {
                Some(name) => name.as_slice(),
                None => crate::invariant::name_or_missing(None, "name by index").as_bytes(),
            };
            string(out, &Escaped(name));
        }
    }
}

/// An answer, borrowed: what both paths write.
pub(crate) struct AnswerJson<'a> {
    pub decision: Effect,
    /// `scope:action`
    pub action: &'a dyn Text,
    pub roles: &'a dyn TextList,
    pub rule: Option<&'a dyn Text>,
    pub reason: &'a dyn Text,
    pub assigned: &'a dyn TextList,
    pub default: Option<&'a dyn Text>,
    /// Where, and as written.
    pub override_applied: Option<(&'a dyn Text, &'a dyn Text)>,
    /// The adding overrides that applied (the key is left out when none).
    pub added: &'a [super::OverrideInfo],
    pub via: Option<&'a dyn TextList>,
    pub would_change: &'a dyn TextList,
    /// A targeted action's target (the key is left out for a plain action).
    pub target: Option<&'a super::AnswerTarget>,
}

impl AnswerJson<'_> {
    /// Appends the answer as one JSON object (no newline).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"decision\":\"");
        out.extend_from_slice(self.decision.as_str().as_bytes());
        out.extend_from_slice(b"\",\"action\":");
        string(out, self.action);
        out.extend_from_slice(b",\"roles\":");
        list(out, self.roles);
        out.extend_from_slice(b",\"rule\":");
        nullable(out, self.rule);
        out.extend_from_slice(b",\"reason\":");
        string(out, self.reason);
        out.extend_from_slice(b",\"assigned\":");
        list(out, self.assigned);
        out.extend_from_slice(b",\"default\":");
        nullable(out, self.default);
        out.extend_from_slice(b",\"override\":");
        match self.override_applied {
            Some((at, text)) => {
                out.extend_from_slice(b"{\"at\":");
                string(out, at);
                out.extend_from_slice(b",\"text\":");
                string(out, text);
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        if !self.added.is_empty() {
            out.extend_from_slice(b",\"added\":[");
            for (i, o) in self.added.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"at\":");
                string(out, &o.at);
                out.extend_from_slice(b",\"text\":");
                string(out, &o.text);
                out.push(b'}');
            }
            out.push(b']');
        }
        if let Some(t) = self.target {
            out.extend_from_slice(b",\"target\":{\"self\":");
            out.extend_from_slice(if t.on_self { b"true" } else { b"false" });
            out.extend_from_slice(b",\"roles\":");
            list(out, &t.roles);
            out.extend_from_slice(b",\"deciding\":");
            nullable(out, t.deciding.as_ref().map(|d| d as &dyn Text));
            out.push(b'}');
        }
        out.extend_from_slice(b",\"via\":");
        match self.via {
            Some(via) => list(out, via),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"would_change\":");
        list(out, self.would_change);
        out.push(b'}');
    }
}

fn string(out: &mut Vec<u8>, text: &(impl Text + ?Sized)) {
    out.push(b'"');
    text.write_escaped(out);
    out.push(b'"');
}

fn nullable(out: &mut Vec<u8>, text: Option<&dyn Text>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

fn list(out: &mut Vec<u8>, items: &dyn TextList) {
    out.push(b'[');
    items.write_items(out);
    out.push(b']');
}

/// `text` escaped, for texts written on every answer and computed once.
pub(crate) fn escaped(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}
