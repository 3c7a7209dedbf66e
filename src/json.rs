//! JSON read into a [`Value`], refusing an object that names a key twice at
//! any depth: `{"action": "a", "action": "b"}` would otherwise be read as
//! its last key while another reader takes the first, and decide differently.
//! Every request reader (`eval`, `explain`, `serve`, the principals file)
//! parses through here.

pub(crate) mod write;

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `text`; a repeated key is an error `duplicate key "action" at line
/// 1 column 34`, of category [`serde_json::error::Category::Data`].
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Unique.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// [`from_str`] for bytes.
pub fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Unique.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Why a capped read ([`from_slice_capped`], [`from_str_with_caps`]) gave no value.
#[derive(Debug, thiserror::Error)]
pub enum CappedError {
    /// Not JSON, or a key given twice.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The part a [`Cap`] counts holds more than `max` entries; reading
    /// stopped where entry `max + 1` starts, at `line` and `column`.
    #[error("`{key}` has more than {max} items")]
    TooMany {
        /// The top-level key.
        key: &'static str,
        /// The cap.
        max: usize,
        /// Where reading stopped (1-based, as serde_json counts).
        line: usize,
        /// Where reading stopped (1-based).
        column: usize,
    },
    /// The caller's `keep_going` said to stop (a deadline, a shutdown).
    #[error("reading was stopped after {items} items of `{key}`")]
    Stopped {
        /// The top-level key.
        key: &'static str,
        /// Items read when it stopped.
        items: usize,
    },
}

/// Every this many counted entries, `keep_going` is asked.
pub const ASK_EVERY: usize = 64;

/// A bound on how many entries a part of a document holds: the items of
/// the arrays and the members of the objects found `depth` levels below the
/// top-level `key`, all of them together (depth 1: the value at `key`
/// itself; depth 2: each value inside it, as a principals file's
/// `resources` by type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    /// The top-level key.
    pub key: &'static str,
    /// How far below `key` the counted containers are (at least 1).
    pub depth: usize,
    /// The most entries.
    pub max: usize,
}

/// Where a capped read was cut, if it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    No,
    /// By this cap.
    TooMany(Cap),
    /// By `keep_going`, under this cap, after this many entries.
    Stopped(Cap, usize),
}

/// Written out rather than derived, as for `EvalError`: the code is all it adds.
impl miette::Diagnostic for CappedError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            CappedError::Json(_) => "rolecall::json::invalid",
            CappedError::TooMany { .. } => "rolecall::json::too_many_items",
            CappedError::Stopped { .. } => "rolecall::json::stopped",
        }))
    }
}

/// [`from_slice`] for a body whose top-level `key`, when it is an array (or
/// an object), may hold at most `max` items: they are counted as they are
/// read, and at item `max + 1` reading stops (where that item starts: it is
/// not read) with [`CappedError::TooMany`]. So a body of a million items
/// costs what `max` items cost, not a tree of a million values. Anything
/// else at `key` (a number, a string) is read as [`from_slice`] reads it.
/// Every [`ASK_EVERY`] items, `keep_going` is asked whether to go on; when
/// it says no, reading stops with [`CappedError::Stopped`].
pub fn from_slice_capped(
    bytes: &[u8],
    key: &'static str,
    max: usize,
    keep_going: &dyn Fn() -> bool,
) -> Result<Value, CappedError> {
    let caps = [Cap { key, depth: 1, max }];
    read_capped(
        serde_json::Deserializer::from_slice(bytes),
        &caps,
        keep_going,
    )
}

/// [`from_str`] with every [`Cap`] counted as the text is read (a
/// principals file's subjects and resources): past a cap, reading stops
/// there, so a file of millions of entries is refused for the cost of
/// reading `max` of them.
pub fn from_str_with_caps(text: &str, caps: &[Cap]) -> Result<Value, CappedError> {
    read_capped(serde_json::Deserializer::from_str(text), caps, &|| true)
}

fn read_capped<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    caps: &[Cap],
    keep_going: &dyn Fn() -> bool,
) -> Result<Value, CappedError> {
    let cut = Cell::new(Cut::No);
    let counts: Vec<Cell<usize>> = caps.iter().map(|_| Cell::new(0)).collect();
    let read = de.deserialize_any(Top {
        caps,
        counts: &counts,
        cut: &cut,
        keep_going,
    });
    match read {
        Err(e) => Err(match cut.get() {
            Cut::No => CappedError::Json(e),
            Cut::TooMany(cap) => CappedError::TooMany {
                key: cap.key,
                max: cap.max,
                line: e.line(),
                column: e.column(),
            },
            Cut::Stopped(cap, items) => CappedError::Stopped {
                key: cap.key,
                items,
            },
        }),
        Ok(value) => {
            de.end()?;
            Ok(value)
        }
    }
}

/// The top-level value of a capped read: as [`Unique`], but the value at a
/// cap's key is read by [`Capped`].
struct Top<'c> {
    caps: &'c [Cap],
    counts: &'c [Cell<usize>],
    cut: &'c Cell<Cut>,
    keep_going: &'c dyn Fn() -> bool,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Unique.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Unique.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Unique.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Unique.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Unique.visit_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Unique.visit_string(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Unique.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Unique.visit_none()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        Unique.visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let capped = self
                .caps
                .iter()
                .zip(self.counts)
                .find(|(c, _)| c.key == key);
            let value = match capped {
                Some((cap, count)) => map.next_value_seed(Capped {
                    cap,
                    depth: cap.depth,
                    count,
                    cut: self.cut,
                    keep_going: self.keep_going,
                })?,
                None => map.next_value_seed(Unique)?,
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A value under a cap's key, `depth` levels above the containers it counts.
#[derive(Clone, Copy)]
struct Capped<'c> {
    cap: &'c Cap,
    depth: usize,
    count: &'c Cell<usize>,
    cut: &'c Cell<Cut>,
    keep_going: &'c dyn Fn() -> bool,
}

impl Capped<'_> {
    /// Counts one more entry of a counted container; refuses it (unread)
    /// when the cap is already reached, and asks `keep_going` now and then.
    fn admit<E: de::Error>(&self) -> Result<(), E> {
        let n = self.count.get();
        if n >= self.cap.max {
            self.cut.set(Cut::TooMany(*self.cap));
            return Err(E::custom("too many items"));
        }
        if n % ASK_EVERY == ASK_EVERY - 1 && !(self.keep_going)() {
            self.cut.set(Cut::Stopped(*self.cap, n));
            return Err(E::custom("stopped"));
        }
        self.count.set(n + 1);
        Ok(())
    }

    /// The reader of an entry above the counted level; `None` at it.
    fn inner(self) -> Option<Self> {
        (self.depth > 1).then_some(Capped {
            depth: self.depth - 1,
            ..self
        })
    }
}

impl<'de> DeserializeSeed<'de> for Capped<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Capped<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Unique.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Unique.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Unique.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Unique.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Unique.visit_str(v)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Unique.visit_string(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Unique.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Unique.visit_none()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let hint = seq.size_hint().unwrap_or(0).min(4096);
        let mut items = Vec::with_capacity(hint.min(self.cap.max));
        loop {
            // An entry is counted when it starts: the seed is called only
            // then, and past the cap refuses it unread.
            let next = match self.inner() {
                None => seq.next_element_seed(Counted(self))?,
                Some(inner) => seq.next_element_seed(inner)?,
            };
            match next {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = match self.inner() {
                Some(inner) => map.next_value_seed(inner)?,
                None => {
                    self.admit()?;
                    map.next_value_seed(Unique)?
                }
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// An array item of a counted container: admitted when it starts, then read plainly.
struct Counted<'c>(Capped<'c>);

impl<'de> DeserializeSeed<'de> for Counted<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.0.admit::<D::Error>()?;
        Unique.deserialize(d)
    }
}

/// A value whose objects have unique keys (serde_json's depth limit applies).
pub(crate) struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Unique)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(Unique)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}
