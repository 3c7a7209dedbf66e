//! The typed reader of an Access Evaluation body: the entities' strings
//! borrowed from the body, no map per entity, no key allocated. It takes
//! only the common shape, `subject` {`type`, `id`, `properties`?},
//! `action` {`name`, `properties`?}, `resource` {`type`, `id`,
//! `properties`?} and `context`?, each key once; on anything else (another
//! key, a `null`, a value of the wrong type, a key given twice, malformed
//! JSON) it gives `None` and the body goes to the general reader
//! ([`super::parse_evaluation`]), which reads every body and words every
//! error. So both read a body they both take the same way: the typed one
//! is only faster.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::model::{Entity, Evaluation, TypedEntity};

/// A body the typed reader took, owning what the evaluation borrows.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedBody<'a> {
    subject: TypedEntity<'a>,
    action: TypedEntity<'a>,
    resource: TypedEntity<'a>,
    context: Option<Value>,
}

impl TypedBody<'_> {
    /// The evaluation, as [`super::parse_evaluation`] reads the same body.
    pub fn evaluation(&self) -> Evaluation<'_> {
        Evaluation {
            subject_type: &self.subject.first,
            subject_id: &self.subject.id,
            action_name: &self.action.first,
            resource_type: &self.resource.first,
            resource_id: &self.resource.id,
            subject: Entity::Typed(&self.subject),
            action: Entity::Typed(&self.action),
            resource: Entity::Typed(&self.resource),
            context: self.context.as_ref().and_then(Value::as_object),
        }
    }
}

/// Reads an Access Evaluation body of the common shape; `None` for any
/// other body (see the module documentation).
pub fn read_evaluation(bytes: &[u8]) -> Option<TypedBody<'_>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let body = de.deserialize_map(BodyVisitor).ok()?;
    de.end().ok()?;
    Some(body)
}

/// Any refusal: the general reader reads the body again and says why.
fn refuse<E: de::Error>() -> E {
    E::custom("not of the typed reader's shape")
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = TypedBody<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an Access Evaluation request")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut subject, mut action, mut resource, mut context) = (None, None, None, None);
        while let Some(key) = map.next_key_seed(Text)? {
            let (slot, first, id) = match key.as_ref() {
                "subject" => (&mut subject, "type", true),
                "action" => (&mut action, "name", false),
                "resource" => (&mut resource, "type", true),
                "context" => {
                    if context.is_some() {
                        return Err(refuse());
                    }
                    // Read as the general reader reads it (a key twice refused at any depth).
                    match map.next_value_seed(crate::json::Unique)? {
                        object @ Value::Object(_) => context = Some(object),
                        _ => return Err(refuse()),
                    }
                    continue;
                }
                _ => return Err(refuse()),
            };
            if slot.is_some() {
                return Err(refuse());
            }
            *slot = Some(map.next_value_seed(EntitySeed { first, id })?);
        }
        match (subject, action, resource) {
            (Some(subject), Some(action), Some(resource)) => Ok(TypedBody {
                subject,
                action,
                resource,
                context,
            }),
            _ => Err(refuse()),
        }
    }
}

/// An entity with `first` (`type`, then also `id`; or `name`), and
/// optionally `properties`; nothing else.
struct EntitySeed {
    first: &'static str,
    id: bool,
}

impl<'de> DeserializeSeed<'de> for EntitySeed {
    type Value = TypedEntity<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntitySeed {
    type Value = TypedEntity<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an entity object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut first, mut id, mut properties) = (None, None, None);
        while let Some(key) = map.next_key_seed(Text)? {
            match key.as_ref() {
                k if k == self.first && first.is_none() => first = Some(map.next_value_seed(Text)?),
                "id" if self.id && id.is_none() => id = Some(map.next_value_seed(Text)?),
                "properties" if properties.is_none() => {
                    match map.next_value_seed(crate::json::Unique)? {
                        object @ Value::Object(_) => properties = Some(object),
                        _ => return Err(refuse()),
                    }
                }
                _ => return Err(refuse()),
            }
        }
        let first = first.ok_or_else(refuse)?;
        let id = match (self.id, id) {
            (true, Some(id)) => id,
            (false, _) => Cow::Borrowed(""),
            (true, None) => return Err(refuse()),
        };
        Ok(TypedEntity {
            key: self.first,
            first,
            id,
            properties,
        })
    }
}

/// A JSON string, borrowed from the body when it holds no escape.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}
