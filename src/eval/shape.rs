//! The one JSON shape of an answer, for both paths: [`Answer`](super::Answer)
//! serializes through it, and `eval`'s fast path fills it with names
//! borrowed from per-table texts and ids read from reused buffers. Field
//! names, order and `null`s are written here only.

use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::syntax::ast::Effect;

/// An answer, borrowed. `L` is a list of role names, `F` of fact names.
#[derive(serde::Serialize)]
pub(crate) struct AnswerShape<'a, L, F> {
    pub decision: Effect,
    /// `scope:action`
    pub action: &'a str,
    pub roles: L,
    pub rule: Option<&'a str>,
    pub reason: &'a str,
    pub assigned: L,
    pub default: Option<&'a str>,
    #[serde(rename = "override")]
    pub override_applied: Option<OverrideShape<'a>>,
    pub via: Option<L>,
    pub would_change: F,
}

/// The override that applied: where, and as written.
#[derive(serde::Serialize)]
pub(crate) struct OverrideShape<'a> {
    pub at: &'a str,
    pub text: &'a str,
}

/// Names by index: `ids` looked up in `names`, as a JSON list.
pub(crate) struct ByIds<'a> {
    pub names: &'a [String],
    pub ids: &'a [usize],
}

impl Serialize for ByIds<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.ids.len()))?;
        for &id in self.ids {
            match self.names.get(id) {
                Some(name) => seq.serialize_element(name)?,
                // Every id was resolved against these names: a miss is a bug,
                // reported as a failed write, never as a wrong name.
                None => {
                    return Err(serde::ser::Error::custom(format!(
                        "internal error: no name for index {id}"
                    )));
                }
            }
        }
        seq.end()
    }
}
