//! JSON read into a [`Value`], refusing an object that names a key twice at
//! any depth: `{"action": "a", "action": "b"}` would otherwise be read as
//! its last key while another reader takes the first, and decide differently.
//! Every request reader (`eval`, `explain`, `serve`, the principals file)
//! parses through here.

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

/// Why [`from_slice_capped`] gave no value.
#[derive(Debug, thiserror::Error)]
pub enum CappedError {
    /// Not JSON, or a key given twice.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The array at the capped key has more than `max` items; reading
    /// stopped at the first item past the cap.
    #[error("`{key}` has more than {max} items")]
    TooMany {
        /// The top-level key.
        key: &'static str,
        /// The cap.
        max: usize,
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

/// Every this many items of the capped array, `keep_going` is asked.
pub const ASK_EVERY: usize = 64;

/// Where the capped array was cut, if it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    No,
    TooMany,
    Stopped(usize),
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

/// [`from_slice`] for a body whose top-level `key`, when it is an array, may
/// hold at most `max` items: they are counted as they are read, and at item
/// `max + 1` reading stops (where that item starts: it is not read) with
/// [`CappedError::TooMany`]. So a body of a million items costs what `max`
/// items cost, not a tree of a million values. Anything else at `key` (an
/// object, a number) is read as [`from_slice`] reads it. Every
/// [`ASK_EVERY`] items, `keep_going` is asked whether to go on; when it says
/// no, reading stops with [`CappedError::Stopped`].
pub fn from_slice_capped(
    bytes: &[u8],
    key: &'static str,
    max: usize,
    keep_going: &dyn Fn() -> bool,
) -> Result<Value, CappedError> {
    let cut = Cell::new(Cut::No);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = de.deserialize_any(Top {
        key,
        max,
        cut: &cut,
        keep_going,
    });
    match read {
        Err(e) => Err(match cut.get() {
            Cut::No => CappedError::Json(e),
            Cut::TooMany => CappedError::TooMany { key, max },
            Cut::Stopped(items) => CappedError::Stopped { key, items },
        }),
        Ok(value) => {
            de.end()?;
            Ok(value)
        }
    }
}

/// The top-level value of [`from_slice_capped`]: as [`Unique`], but the
/// value at `key` is read by [`Capped`].
struct Top<'c> {
    key: &'static str,
    max: usize,
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
            let value = if key == self.key {
                map.next_value_seed(Capped {
                    max: self.max,
                    cut: self.cut,
                    keep_going: self.keep_going,
                })?
            } else {
                map.next_value_seed(Unique)?
            };
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A value that, when it is an array, holds at most `max` items.
struct Capped<'c> {
    max: usize,
    cut: &'c Cell<Cut>,
    keep_going: &'c dyn Fn() -> bool,
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
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        Unique.visit_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max).min(4096));
        while items.len() < self.max {
            if items.len() % ASK_EVERY == ASK_EVERY - 1 && !(self.keep_going)() {
                self.cut.set(Cut::Stopped(items.len()));
                return Err(de::Error::custom("stopped"));
            }
            match seq.next_element_seed(Unique)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
        // At the cap: the array must end here. The seed is called only when
        // another item starts, and refuses it unread.
        match seq.next_element_seed(Refuse(self.cut))? {
            None => Ok(Value::Array(items)),
            Some(never) => match never {},
        }
    }
}

/// An item past the cap: refused as soon as it starts, without reading it.
struct Refuse<'c>(&'c Cell<Cut>);

impl<'de> DeserializeSeed<'de> for Refuse<'_> {
    type Value = std::convert::Infallible;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
        self.0.set(Cut::TooMany);
        Err(de::Error::custom("too many items"))
    }
}

/// A value whose objects have unique keys (serde_json's depth limit applies).
struct Unique;

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
