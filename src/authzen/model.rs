//! The AuthZEN information model: subject, action, resource and context read
//! from a parsed JSON body and checked against the spec's required fields.
//!
//! Everything is borrowed from the parsed body, so reading a request copies
//! no string. Unknown fields are ignored, as the spec requires; a `null`
//! optional field counts as absent.

use serde_json::{Map, Value};

/// What the spec answers with "400 Bad Request": a malformed body. The
/// message says which field is wrong and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

/// Where a field is, for messages: the top level of the body, or the
/// evaluation at an index of a batch, written `evaluations[3].` before the
/// field's name. Formatted only when a message is made, so reading a good
/// item writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place(Option<usize>);

impl Place {
    /// The top level of the body.
    pub(super) const TOP: Place = Place(None);
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => Ok(()),
            Some(i) => write!(f, "evaluations[{i}]."),
        }
    }
}

/// One access evaluation: the four entities, borrowed from the body.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    /// `subject.type`
    pub subject_type: &'a str,
    /// `subject.id`
    pub subject_id: &'a str,
    /// `action.name`
    pub action_name: &'a str,
    /// `resource.type`
    pub resource_type: &'a str,
    /// `resource.id`
    pub resource_id: &'a str,
    /// The whole subject object.
    pub subject: Entity<'a>,
    /// The whole action object.
    pub action: Entity<'a>,
    /// The whole resource object.
    pub resource: Entity<'a>,
    /// The context object, when given.
    pub context: Option<&'a Map<String, Value>>,
}

impl<'a> Evaluation<'a> {
    /// The entity an attribute path starts from: `subject`, `action`,
    /// `resource` or `context`.
    pub fn entity(&self, name: &str) -> Option<Entity<'a>> {
        match name {
            "subject" => Some(self.subject),
            "action" => Some(self.action),
            "resource" => Some(self.resource),
            "context" => self.context.map(Entity::Object),
            _ => None,
        }
    }
}

/// An entity of an evaluation: the object as sent, read into a map, or the
/// fields the typed reader of a single evaluation found (it reads only
/// bodies whose entities hold nothing else, so both read the same).
#[derive(Debug, Clone, Copy)]
pub enum Entity<'a> {
    /// The whole object.
    Object(&'a Map<String, Value>),
    /// `type` (or `name`), `id` and `properties`, read field by field.
    Typed(&'a TypedEntity<'a>),
}

/// An entity as the typed reader found it: its strings borrowed from the
/// body where they hold no escape.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedEntity<'a> {
    /// `"type"` (a subject, a resource) or `"name"` (an action).
    pub(crate) key: &'static str,
    /// The value of `key`.
    pub(crate) first: std::borrow::Cow<'a, str>,
    /// `id`: a subject's and a resource's (an action has none: empty).
    pub(crate) id: std::borrow::Cow<'a, str>,
    /// `properties` (an object), when given and not `null`.
    pub(crate) properties: Option<Value>,
}

/// What an attribute path reads: a value of a map, or a string field of a
/// typed entity. Compared as the JSON values they are.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    /// A JSON value.
    Value(&'a Value),
    /// A string.
    Str(&'a str),
}

impl<'a> Field<'a> {
    /// JSON `null`.
    pub fn is_null(self) -> bool {
        matches!(self, Field::Value(Value::Null))
    }

    /// JSON `true`.
    pub fn is_true(self) -> bool {
        matches!(self, Field::Value(Value::Bool(true)))
    }

    /// The object it is, if it is one.
    pub fn as_object(self) -> Option<&'a Map<String, Value>> {
        match self {
            Field::Value(v) => v.as_object(),
            Field::Str(_) => None,
        }
    }

    /// The value, owned.
    pub fn to_value(self) -> Value {
        match self {
            Field::Value(v) => v.clone(),
            Field::Str(s) => Value::String(s.to_string()),
        }
    }
}

impl PartialEq for Field<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Field::Value(a), Field::Value(b)) => a == b,
            (Field::Str(a), Field::Str(b)) => a == b,
            (Field::Str(a), Field::Value(Value::String(b)))
            | (Field::Value(Value::String(b)), Field::Str(a)) => a == b,
            _ => false,
        }
    }
}

impl<'a> Entity<'a> {
    /// The field at `key`.
    pub fn get(self, key: &str) -> Option<Field<'a>> {
        match self {
            Entity::Object(map) => field(map, key).map(Field::Value),
            Entity::Typed(t) if key == t.key => Some(Field::Str(&t.first)),
            Entity::Typed(t) if key == "id" && t.key == "type" => Some(Field::Str(&t.id)),
            Entity::Typed(t) if key == "properties" => t.properties.as_ref().map(Field::Value),
            Entity::Typed(_) => None,
        }
    }

    /// `properties`, when it is an object (absent and `null` are none).
    pub fn properties(self) -> Option<&'a Map<String, Value>> {
        self.get("properties").and_then(Field::as_object)
    }

    /// Whether `properties` is given (`null` counts as absent).
    pub fn has_properties(self) -> bool {
        self.get("properties").is_some_and(|p| !p.is_null())
    }
}

/// `map[key]`. The objects paths read are small (an entity's `type`, `id`,
/// `properties`), and comparing a few short keys costs less than hashing
/// one (a search reads them once per candidate); keys are distinct, so
/// both find the same entry.
pub(crate) fn field<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    const SCANNED: usize = 8;
    if map.len() <= SCANNED {
        map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// How a batch is run (`options.evaluations_semantic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Semantic {
    /// Every evaluation, every result (the default).
    #[default]
    ExecuteAll,
    /// Stop after the first denial or error, like `&&`.
    DenyOnFirstDeny,
    /// Stop after the first permit, like `||`.
    PermitOnFirstPermit,
}

impl Semantic {
    /// The name the spec gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Semantic::ExecuteAll => "execute_all",
            Semantic::DenyOnFirstDeny => "deny_on_first_deny",
            Semantic::PermitOnFirstPermit => "permit_on_first_permit",
        }
    }
}

/// An Access Evaluations request, with the top-level defaults applied to
/// each evaluation.
#[derive(Debug, Clone)]
pub struct Batch<'a> {
    /// The evaluations, in request order. An item that is not a valid
    /// evaluation once the defaults are applied is its own error, answered
    /// as that item's denial: the spec's "errors in individual evaluations",
    /// which the certification scenario (§3.4.1) expects under `execute_all`.
    pub evaluations: Vec<Result<Evaluation<'a>, BadRequest>>,
    /// How to run them.
    pub semantic: Semantic,
    /// No `evaluations` array (or an empty one): the request is a single
    /// evaluation and is answered like one.
    pub single: bool,
}

/// Reads an Access Evaluation request (`POST /access/v1/evaluation`).
pub fn parse_evaluation(body: &Value) -> Result<Evaluation<'_>, BadRequest> {
    let root = body_object(body)?;
    let required = |key: &str| required_entity(root, key);
    evaluation(
        required("subject")?,
        required("action")?,
        required("resource")?,
        entity(root, "context", Place::TOP, false)?,
        Place::TOP,
    )
}

/// Reads an Access Evaluations request (`POST /access/v1/evaluations`):
/// top-level `subject`, `action`, `resource` and `context` are defaults that
/// a key of an evaluation replaces whole. The error is for the whole
/// payload (the body, `options`, `evaluations` or a default of the wrong
/// shape, or a single evaluation's missing field); an item's own fault is
/// that item's `Err` in [`Batch::evaluations`].
pub fn parse_evaluations(body: &Value) -> Result<Batch<'_>, BadRequest> {
    let root = body_object(body)?;
    let semantic = semantic(root)?;
    let items = match root.get("evaluations") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(BadRequest(format!(
                "`evaluations` must be an array of evaluation objects, found {}",
                kind(other)
            )));
        }
    };
    let subject = entity(root, "subject", Place::TOP, false)?;
    let action = entity(root, "action", Place::TOP, false)?;
    let resource = entity(root, "resource", Place::TOP, false)?;
    let context = entity(root, "context", Place::TOP, false)?;
    if items.is_empty() {
        let missing = |what: &str| BadRequest(format!("`{what}` is required (an object)"));
        let evaluation = evaluation(
            subject.ok_or_else(|| missing("subject"))?,
            action.ok_or_else(|| missing("action"))?,
            resource.ok_or_else(|| missing("resource"))?,
            context,
            Place::TOP,
        )?;
        return Ok(Batch {
            evaluations: vec![Ok(evaluation)],
            semantic,
            single: true,
        });
    }
    let defaults = [subject, action, resource, context];
    let evaluations = items
        .iter()
        .enumerate()
        .map(|(i, item)| batch_item(i, item, defaults))
        .collect();
    Ok(Batch {
        evaluations,
        semantic,
        single: false,
    })
}

/// One item of `evaluations` with the top-level defaults
/// (subject, action, resource, context) filled in.
fn batch_item<'a>(
    i: usize,
    item: &'a Value,
    [subject, action, resource, context]: [Option<&'a Map<String, Value>>; 4],
) -> Result<Evaluation<'a>, BadRequest> {
    let place = Place(Some(i));
    let Value::Object(item) = item else {
        return Err(BadRequest(format!(
            "`evaluations[{i}]` must be an object, found {}",
            kind(item)
        )));
    };
    let missing = |what: &str| {
        BadRequest(format!(
            "`{place}{what}` is required: give it in the evaluation or as a top-level default"
        ))
    };
    let s = pick(item, "subject", place, subject)?.ok_or_else(|| missing("subject"))?;
    let a = pick(item, "action", place, action)?.ok_or_else(|| missing("action"))?;
    let r = pick(item, "resource", place, resource)?.ok_or_else(|| missing("resource"))?;
    let c = pick(item, "context", place, context)?;
    evaluation(s, a, r, c, place)
}

pub(super) fn body_object(body: &Value) -> Result<&Map<String, Value>, BadRequest> {
    match body {
        Value::Object(map) => Ok(map),
        other => Err(BadRequest(format!(
            "the request body must be a JSON object, found {}",
            kind(other)
        ))),
    }
}

fn semantic(root: &Map<String, Value>) -> Result<Semantic, BadRequest> {
    let options = match root.get("options") {
        None | Some(Value::Null) => return Ok(Semantic::default()),
        Some(Value::Object(options)) => options,
        Some(other) => {
            return Err(BadRequest(format!(
                "`options` must be an object, found {}",
                kind(other)
            )));
        }
    };
    match options.get("evaluations_semantic") {
        None | Some(Value::Null) => Ok(Semantic::default()),
        Some(Value::String(s)) => match s.as_str() {
            "execute_all" => Ok(Semantic::ExecuteAll),
            "deny_on_first_deny" => Ok(Semantic::DenyOnFirstDeny),
            "permit_on_first_permit" => Ok(Semantic::PermitOnFirstPermit),
            other => Err(BadRequest(format!(
                "unknown `options.evaluations_semantic` `{other}`: use `execute_all`, `deny_on_first_deny` or `permit_on_first_permit`"
            ))),
        },
        Some(other) => Err(BadRequest(format!(
            "`options.evaluations_semantic` must be a string, found {}",
            kind(other)
        ))),
    }
}

/// The entity at `key` of an evaluation, else the top-level default.
fn pick<'a>(
    item: &'a Map<String, Value>,
    key: &str,
    place: Place,
    default: Option<&'a Map<String, Value>>,
) -> Result<Option<&'a Map<String, Value>>, BadRequest> {
    Ok(entity(item, key, place, false)?.or(default))
}

/// The entity object a request must have at top-level `key`.
pub(super) fn required_entity<'a>(
    root: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Map<String, Value>, BadRequest> {
    entity(root, key, Place::TOP, true)?
        .ok_or_else(|| BadRequest(format!("`{key}` is required (an object)")))
}

/// An entity object at `key`; `None` when absent or null.
pub(super) fn entity<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    place: Place,
    required: bool,
) -> Result<Option<&'a Map<String, Value>>, BadRequest> {
    match map.get(key) {
        None | Some(Value::Null) if required => Err(BadRequest(format!(
            "`{place}{key}` is required (an object)"
        ))),
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(other) => Err(BadRequest(format!(
            "`{place}{key}` must be an object, found {}",
            kind(other)
        ))),
    }
}

fn evaluation<'a>(
    subject: &'a Map<String, Value>,
    action: &'a Map<String, Value>,
    resource: &'a Map<String, Value>,
    context: Option<&'a Map<String, Value>>,
    place: Place,
) -> Result<Evaluation<'a>, BadRequest> {
    let subject_type = string(subject, "type", place, "subject")?;
    let subject_id = string(subject, "id", place, "subject")?;
    properties(subject, place, "subject")?;
    let action_name = string(action, "name", place, "action")?;
    properties(action, place, "action")?;
    let resource_type = string(resource, "type", place, "resource")?;
    let resource_id = string(resource, "id", place, "resource")?;
    properties(resource, place, "resource")?;
    Ok(Evaluation {
        subject_type,
        subject_id,
        action_name,
        resource_type,
        resource_id,
        subject: Entity::Object(subject),
        action: Entity::Object(action),
        resource: Entity::Object(resource),
        context,
    })
}

pub(super) fn string<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    place: Place,
    entity: &str,
) -> Result<&'a str, BadRequest> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(BadRequest(format!(
            "`{place}{entity}.{key}` is required (a string)"
        ))),
        Some(other) => Err(BadRequest(format!(
            "`{place}{entity}.{key}` must be a string, found {}",
            kind(other)
        ))),
    }
}

pub(super) fn properties(
    map: &Map<String, Value>,
    place: Place,
    entity: &str,
) -> Result<(), BadRequest> {
    match map.get("properties") {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        Some(other) => Err(BadRequest(format!(
            "`{place}{entity}.properties` must be an object, found {}",
            kind(other)
        ))),
    }
}

/// "a string", "an object", …: for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
