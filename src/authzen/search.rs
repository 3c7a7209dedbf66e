//! The Search APIs: every action a subject may perform on a resource, every
//! subject of the principals file that may perform an action on a
//! resource, every resource of the file a subject may perform an action on.
//!
//! Each candidate (an action the resource's scope declares, in declaration
//! order; a subject or resource of the file, in file order) is decided by the same path
//! as an Access Evaluation naming it ([`Pdp::request`], then the decision
//! core), so a result used in an evaluation is allowed, as the spec asks.

use serde_json::{Map, Value};

use super::decide::{Pdp, PdpError};
use super::model::{
    BadRequest, Evaluation, body_object, entity, kind, properties, required_entity, string,
};
use crate::syntax::ast::Effect;

/// An Action Search request: `subject` and `resource` (both identified),
/// `context`, `page`. An `action` key is ignored: it is what is searched.
#[derive(Debug, Clone, Copy)]
pub struct ActionSearch<'a> {
    /// `subject.type`
    pub subject_type: &'a str,
    /// `subject.id`
    pub subject_id: &'a str,
    /// `resource.type`
    pub resource_type: &'a str,
    /// `resource.id`
    pub resource_id: &'a str,
    /// The whole subject object.
    pub subject: &'a Map<String, Value>,
    /// The whole resource object.
    pub resource: &'a Map<String, Value>,
    /// The context object, when given.
    pub context: Option<&'a Map<String, Value>>,
    /// Pagination.
    pub page: Page<'a>,
}

/// A search request's `page`: which slice of the results to answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page<'a> {
    /// `next_token` of the previous response.
    pub token: Option<&'a str>,
    /// At most this many results.
    pub limit: Option<u64>,
}

/// Reads an Action Search request (`POST /access/v1/search/action`).
pub fn parse_action_search(body: &Value) -> Result<ActionSearch<'_>, BadRequest> {
    let root = body_object(body)?;
    let required = |key: &str| required_entity(root, key);
    let subject = required("subject")?;
    let resource = required("resource")?;
    let context = entity(root, "context", "", false)?;
    let subject_type = string(subject, "type", "", "subject")?;
    let subject_id = string(subject, "id", "", "subject")?;
    properties(subject, "", "subject")?;
    let resource_type = string(resource, "type", "", "resource")?;
    let resource_id = string(resource, "id", "", "resource")?;
    properties(resource, "", "resource")?;
    Ok(ActionSearch {
        subject_type,
        subject_id,
        resource_type,
        resource_id,
        subject,
        resource,
        context,
        page: page(root)?,
    })
}

/// A Subject Search request: `subject` with its `type` (an `id` is
/// ignored: it is what is searched), `action`, `resource` (identified),
/// `context`, `page`.
#[derive(Debug, Clone, Copy)]
pub struct SubjectSearch<'a> {
    /// `subject.type`: the type of the subjects searched.
    pub subject_type: &'a str,
    /// The subject object: its `properties` go with every candidate.
    pub subject: &'a Map<String, Value>,
    /// `action.name`
    pub action_name: &'a str,
    /// The whole action object.
    pub action: &'a Map<String, Value>,
    /// `resource.type`
    pub resource_type: &'a str,
    /// `resource.id`
    pub resource_id: &'a str,
    /// The whole resource object.
    pub resource: &'a Map<String, Value>,
    /// The context object, when given.
    pub context: Option<&'a Map<String, Value>>,
    /// Pagination.
    pub page: Page<'a>,
}

/// Reads a Subject Search request (`POST /access/v1/search/subject`).
pub fn parse_subject_search(body: &Value) -> Result<SubjectSearch<'_>, BadRequest> {
    let root = body_object(body)?;
    let required = |key: &str| required_entity(root, key);
    let subject = required("subject")?;
    let action = required("action")?;
    let resource = required("resource")?;
    let context = entity(root, "context", "", false)?;
    let subject_type = string(subject, "type", "", "subject")?;
    properties(subject, "", "subject")?;
    let action_name = string(action, "name", "", "action")?;
    properties(action, "", "action")?;
    let resource_type = string(resource, "type", "", "resource")?;
    let resource_id = string(resource, "id", "", "resource")?;
    properties(resource, "", "resource")?;
    Ok(SubjectSearch {
        subject_type,
        subject,
        action_name,
        action,
        resource_type,
        resource_id,
        resource,
        context,
        page: page(root)?,
    })
}

/// A Resource Search request: `subject` (identified), `action`, `resource`
/// with its `type` (an `id` is ignored: it is what is searched),
/// `context`, `page`.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSearch<'a> {
    /// `subject.type`
    pub subject_type: &'a str,
    /// `subject.id`
    pub subject_id: &'a str,
    /// The whole subject object.
    pub subject: &'a Map<String, Value>,
    /// `action.name`
    pub action_name: &'a str,
    /// The whole action object.
    pub action: &'a Map<String, Value>,
    /// `resource.type`: the type of the resources searched.
    pub resource_type: &'a str,
    /// The resource object (its `properties` are not read: each candidate
    /// has its own, from the principals file).
    pub resource: &'a Map<String, Value>,
    /// The context object, when given.
    pub context: Option<&'a Map<String, Value>>,
    /// Pagination.
    pub page: Page<'a>,
}

/// Reads a Resource Search request (`POST /access/v1/search/resource`).
pub fn parse_resource_search(body: &Value) -> Result<ResourceSearch<'_>, BadRequest> {
    let root = body_object(body)?;
    let required = |key: &str| required_entity(root, key);
    let subject = required("subject")?;
    let action = required("action")?;
    let resource = required("resource")?;
    let context = entity(root, "context", "", false)?;
    let subject_type = string(subject, "type", "", "subject")?;
    let subject_id = string(subject, "id", "", "subject")?;
    properties(subject, "", "subject")?;
    let action_name = string(action, "name", "", "action")?;
    properties(action, "", "action")?;
    let resource_type = string(resource, "type", "", "resource")?;
    properties(resource, "", "resource")?;
    Ok(ResourceSearch {
        subject_type,
        subject_id,
        subject,
        action_name,
        action,
        resource_type,
        resource,
        context,
        page: page(root)?,
    })
}

fn page(root: &Map<String, Value>) -> Result<Page<'_>, BadRequest> {
    let Some(page) = entity(root, "page", "", false)? else {
        return Ok(Page::default());
    };
    let token = match page.get("token") {
        None | Some(Value::Null) => None,
        // An empty token is the end of a previous result set, not a place in it.
        Some(Value::String(t)) if t.is_empty() => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(other) => {
            return Err(BadRequest(format!(
                "`page.token` must be a string, found {}",
                kind(other)
            )));
        }
    };
    let limit = match page.get("limit") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
            BadRequest(format!(
                "`page.limit` must be a non-negative integer, found {n}"
            ))
        })?),
        Some(other) => {
            return Err(BadRequest(format!(
                "`page.limit` must be a non-negative integer, found {}",
                kind(other)
            )));
        }
    };
    match page.get("properties") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(other) => {
            return Err(BadRequest(format!(
                "`page.properties` must be an object, found {}",
                kind(other)
            )));
        }
    }
    Ok(Page { token, limit })
}

impl Pdp {
    /// The actions `q.subject` may perform on `q.resource`, in the order
    /// the scope declares them. A resource type that names no scope has
    /// none (the spec wants empty results, not an error, for a type the PDP
    /// does not know); anything else an evaluation would report (a claimed
    /// role the policy lacks, a fact of the wrong type) is the error.
    pub fn search_actions<'t>(&'t self, q: &ActionSearch<'_>) -> Result<Vec<&'t str>, PdpError> {
        let table = &self.table;
        let Some(s) = self.binding.scope_of(table, q.resource_type) else {
            return Ok(Vec::new());
        };
        let Some((_, scope)) = table.policy.scopes.get_index(s) else {
            return Ok(Vec::new());
        };
        let mut allowed = Vec::new();
        let mut action = Map::new();
        for name in scope.actions.keys() {
            // The evaluation a PEP would send next for this action: its name, no properties.
            action.insert("name".to_string(), Value::String(name.clone()));
            let e = Evaluation {
                subject_type: q.subject_type,
                subject_id: q.subject_id,
                action_name: name,
                resource_type: q.resource_type,
                resource_id: q.resource_id,
                subject: q.subject,
                action: &action,
                resource: q.resource,
                context: q.context,
            };
            let request = self.request(&e)?;
            let resolved = table.resolve_request(&request)?;
            if table.decide_ids(&resolved) == Effect::Allow {
                allowed.push(name.as_str());
            }
        }
        Ok(allowed)
    }

    /// The subjects of the principals file of type `q.subject_type` (and
    /// those of no type) that may perform `q.action` on `q.resource`, in
    /// file order, by their ids. Subjects the file does not list cannot be
    /// enumerated, so a PDP without a principals file finds none. A
    /// resource type that names no scope has none; anything an evaluation
    /// would answer with an error (an action the scope does not declare, a
    /// fact of the wrong type) is the error.
    pub fn search_subjects<'t>(&'t self, q: &SubjectSearch<'_>) -> Result<Vec<&'t str>, PdpError> {
        let table = &self.table;
        if self.binding.scope_of(table, q.resource_type).is_none() {
            return Ok(Vec::new());
        }
        let mut subject = q.subject.clone();
        let mut evaluation = |id: &str| {
            subject.insert("id".to_string(), Value::String(id.to_string()));
            let e = Evaluation {
                subject_type: q.subject_type,
                subject_id: id,
                action_name: q.action_name,
                resource_type: q.resource_type,
                resource_id: q.resource_id,
                subject: &subject,
                action: q.action,
                resource: q.resource,
                context: q.context,
            };
            self.request(&e)
        };
        // The request's own faults, whether or not a subject is listed: as
        // an evaluation of an unlisted subject would report them.
        evaluation("")?;
        let mut allowed = Vec::new();
        for id in self.binding.subjects_of_type(q.subject_type) {
            let resolved = table.resolve_request(&evaluation(id)?)?;
            if table.decide_ids(&resolved) == Effect::Allow {
                allowed.push(id);
            }
        }
        Ok(allowed)
    }

    /// The resources of the principals file of type `q.resource_type` that
    /// `q.subject` may perform `q.action` on, in file order, by their ids;
    /// each is evaluated with the file's properties. A type that names no
    /// scope, or that the file lists no resource of, has none; anything an
    /// evaluation would answer with an error is the error.
    pub fn search_resources<'t>(
        &'t self,
        q: &ResourceSearch<'_>,
    ) -> Result<Vec<&'t str>, PdpError> {
        let table = &self.table;
        if self.binding.scope_of(table, q.resource_type).is_none() {
            return Ok(Vec::new());
        }
        let evaluation = |id: &str, resource: &Map<String, Value>| {
            self.request(&Evaluation {
                subject_type: q.subject_type,
                subject_id: q.subject_id,
                action_name: q.action_name,
                resource_type: q.resource_type,
                resource_id: id,
                subject: q.subject,
                action: q.action,
                resource,
                context: q.context,
            })
        };
        // The request's own faults, whether or not a resource is listed.
        let mut unlisted = q.resource.clone();
        unlisted.insert("id".to_string(), Value::String(String::new()));
        evaluation("", &unlisted)?;
        let mut allowed = Vec::new();
        for (id, resource) in self.binding.resources_of_type(q.resource_type) {
            let resolved = table.resolve_request(&evaluation(id, resource)?)?;
            if table.decide_ids(&resolved) == Effect::Allow {
                allowed.push(id);
            }
        }
        Ok(allowed)
    }
}
