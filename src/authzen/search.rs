//! The Search APIs: every action a subject may perform on a resource, every
//! subject of the principals file that may perform an action on a
//! resource, every resource of the file a subject may perform an action on.
//!
//! Each candidate (an action the resource's scope declares, in declaration
//! order; a subject or resource of the file, in file order) is decided by the same path
//! as an Access Evaluation naming it ([`Pdp::request`], then the decision
//! core), so a result used in an evaluation is allowed, as the spec asks.
//!
//! A subject or resource search does not build every candidate's request:
//! candidates whose requests are the same (for subjects: the same kind and
//! roles in the principals file, a class the binding gives each entry once
//! per load; for both: the same values of the derived facts that can differ
//! between candidates) get the same decision, so the decision is asked once
//! per such signature, of the first candidate that has it, and reused.
//! Derived facts that the request alone settles (an `equal` whose fixed
//! side is absent) are settled once per search and are not part of the
//! signature. Every candidate is still looked at, for `total` and because
//! any candidate's error is the search's, but only the page's results are
//! collected.

use serde_json::{Map, Value};

use super::decide::{Pdp, PdpError};
use super::model::{
    BadRequest, Entity, Evaluation, Place, body_object, entity, kind, properties, required_entity,
    string,
};
use super::principals::{FactSpec, Partial};
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
    let context = entity(root, "context", Place::TOP, false)?;
    let subject_type = string(subject, "type", Place::TOP, "subject")?;
    let subject_id = string(subject, "id", Place::TOP, "subject")?;
    properties(subject, Place::TOP, "subject")?;
    let resource_type = string(resource, "type", Place::TOP, "resource")?;
    let resource_id = string(resource, "id", Place::TOP, "resource")?;
    properties(resource, Place::TOP, "resource")?;
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
    let context = entity(root, "context", Place::TOP, false)?;
    let subject_type = string(subject, "type", Place::TOP, "subject")?;
    properties(subject, Place::TOP, "subject")?;
    let action_name = string(action, "name", Place::TOP, "action")?;
    properties(action, Place::TOP, "action")?;
    let resource_type = string(resource, "type", Place::TOP, "resource")?;
    let resource_id = string(resource, "id", Place::TOP, "resource")?;
    properties(resource, Place::TOP, "resource")?;
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
    let context = entity(root, "context", Place::TOP, false)?;
    let subject_type = string(subject, "type", Place::TOP, "subject")?;
    let subject_id = string(subject, "id", Place::TOP, "subject")?;
    properties(subject, Place::TOP, "subject")?;
    let action_name = string(action, "name", Place::TOP, "action")?;
    properties(action, Place::TOP, "action")?;
    let resource_type = string(resource, "type", Place::TOP, "resource")?;
    properties(resource, Place::TOP, "resource")?;
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
    let Some(page) = entity(root, "page", Place::TOP, false)? else {
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

/// One page of a search's results, and how many there are in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found<'t> {
    /// The results of the page, in order.
    pub results: Vec<&'t str>,
    /// How many results the whole search has.
    pub total: usize,
}

/// Which results of a search to collect: from `offset`, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Results before this one are counted, not collected.
    pub offset: usize,
    /// At most this many are collected (`None`: all from `offset`).
    pub limit: Option<usize>,
}

impl Window {
    /// Every result.
    pub const ALL: Window = Window {
        offset: 0,
        limit: None,
    };

    fn holds(self, index: usize) -> bool {
        index >= self.offset && self.limit.is_none_or(|limit| index - self.offset < limit)
    }
}

impl<'t> Found<'t> {
    /// Counts one more result, collecting it when the window holds it.
    fn push(&mut self, window: Window, result: &'t str) {
        if window.holds(self.total) {
            self.results.push(result);
        }
        self.total += 1;
    }
}

/// The derived facts whose value may differ between the candidates of one
/// search, with what the request settles read in once
/// ([`FactSpec::partial`]); the others are the same for every candidate.
struct Varying {
    specs: Vec<FactSpec>,
}

impl Varying {
    fn new(
        derived: &[(usize, FactSpec)],
        fixed: &Evaluation<'_>,
        principal: Option<&Map<String, Value>>,
        varies: &dyn Fn(&[String]) -> bool,
    ) -> Varying {
        let specs = derived
            .iter()
            .filter_map(|(_, spec)| match spec.partial(fixed, principal, varies) {
                Partial::Known(_) => None,
                Partial::Depends(spec) => Some(spec),
            })
            .collect();
        Varying { specs }
    }

    /// The candidate's values of the varying facts, one bit each; `None`
    /// past 64 of them (then each candidate is decided on its own).
    fn signature(&self, e: &Evaluation<'_>, principal: Option<&Map<String, Value>>) -> Option<u64> {
        if self.specs.len() > 64 {
            return None;
        }
        Some(self.specs.iter().enumerate().fold(0, |bits, (i, spec)| {
            bits | (u64::from(spec.holds(e, principal)) << i)
        }))
    }
}

/// At most this many signatures are remembered per class of candidates;
/// past it, a candidate with a new one is decided without being remembered
/// (so a file whose every entry differs costs a decision each, not a scan
/// of a growing list each).
const MAX_SIGNATURES: usize = 32;

/// The decisions made so far in one search, per class and signature.
struct Decisions {
    by_class: Vec<Vec<(u64, bool)>>,
}

impl Decisions {
    fn new(classes: usize) -> Decisions {
        Decisions {
            by_class: vec![Vec::new(); classes],
        }
    }

    fn get(&self, class: usize, signature: Option<u64>) -> Option<bool> {
        let signature = signature?;
        let known = self.by_class.get(class)?;
        known
            .iter()
            .find(|(s, _)| *s == signature)
            .map(|&(_, allowed)| allowed)
    }

    fn put(&mut self, class: usize, signature: Option<u64>, allowed: bool) {
        if let (Some(signature), Some(known)) = (signature, self.by_class.get_mut(class)) {
            if known.len() < MAX_SIGNATURES {
                known.push((signature, allowed));
            }
        }
    }
}

fn is_subject_id(path: &[String]) -> bool {
    matches!(path, [root, id, ..] if root == "subject" && id == "id")
}

/// What differs between the candidates of a subject search: the entry
/// (`principal.…`) and the id.
fn varies_with_subject(path: &[String]) -> bool {
    path.first().is_some_and(|root| root == "principal") || is_subject_id(path)
}

/// What differs between the candidates of a resource search: the resource.
fn varies_with_resource(path: &[String]) -> bool {
    path.first().is_some_and(|root| root == "resource")
}

impl Pdp {
    /// The actions `q.subject` may perform on `q.resource`, in the order
    /// the scope declares them. A resource type that names no scope has
    /// none (the spec wants empty results, not an error, for a type the PDP
    /// does not know); anything else an evaluation would report (a claimed
    /// role the policy lacks, a fact of the wrong type) is the error.
    pub fn search_actions<'t>(&'t self, q: &ActionSearch<'_>) -> Result<Vec<&'t str>, PdpError> {
        Ok(self.search_actions_page(q, Window::ALL)?.results)
    }

    /// [`search_actions`](Self::search_actions), the results in `window` and their total.
    pub fn search_actions_page<'t>(
        &'t self,
        q: &ActionSearch<'_>,
        window: Window,
    ) -> Result<Found<'t>, PdpError> {
        let table = &self.table;
        let mut found = Found::default();
        let Some(s) = self.binding.scope_of(table, q.resource_type) else {
            return Ok(found);
        };
        let Some((_, scope)) = table.policy.scopes.get_index(s) else {
            return Ok(found);
        };
        let mut action = Map::new();
        // A targeted action is done to a participant this search does not
        // name (its evaluation would be refused): not a result.
        let plain = scope.actions.iter().filter(|(_, a)| !a.targeted);
        for (name, _) in plain {
            // The evaluation a PEP would send next for this action: its name, no properties.
            action.insert("name".to_string(), Value::String(name.clone()));
            let e = Evaluation {
                subject_type: q.subject_type,
                subject_id: q.subject_id,
                action_name: name,
                resource_type: q.resource_type,
                resource_id: q.resource_id,
                subject: Entity::Object(q.subject),
                action: Entity::Object(&action),
                resource: Entity::Object(q.resource),
                context: q.context,
            };
            let request = self.request(&e)?;
            let resolved = table.resolve_request(&request)?;
            if table.decide_ids(&resolved) == Effect::Allow {
                found.push(window, name);
            }
        }
        Ok(found)
    }

    /// The subjects of the principals file of type `q.subject_type` (and
    /// those of no type) that may perform `q.action` on `q.resource`, in
    /// file order, by their ids. Subjects the file does not list cannot be
    /// enumerated, so a PDP without a principals file finds none. A
    /// resource type that names no scope has none; anything an evaluation
    /// would answer with an error (an action the scope does not declare, a
    /// fact of the wrong type) is the error.
    pub fn search_subjects<'t>(&'t self, q: &SubjectSearch<'_>) -> Result<Vec<&'t str>, PdpError> {
        Ok(self.search_subjects_page(q, Window::ALL)?.results)
    }

    /// [`search_subjects`](Self::search_subjects), the results in `window`
    /// and their total: each subject's decision is that of the first
    /// subject with the same signature (module documentation).
    pub fn search_subjects_page<'t>(
        &'t self,
        q: &SubjectSearch<'_>,
        window: Window,
    ) -> Result<Found<'t>, PdpError> {
        let table = &self.table;
        let mut found = Found::default();
        if self.binding.scope_of(table, q.resource_type).is_none() {
            return Ok(found);
        }
        let mut blank = q.subject.clone();
        blank.insert("id".to_string(), Value::String(String::new()));
        let unlisted = Evaluation {
            subject_type: q.subject_type,
            subject_id: "",
            action_name: q.action_name,
            resource_type: q.resource_type,
            resource_id: q.resource_id,
            subject: Entity::Object(&blank),
            action: Entity::Object(q.action),
            resource: Entity::Object(q.resource),
            context: q.context,
        };
        // The request's own faults, whether or not a subject is listed: as
        // an evaluation of an unlisted subject would report them.
        self.request(&unlisted)?;
        // Facts read the resource as the decision does: the file's
        // properties of a listed resource the request sends none for.
        let unlisted = self.with_listed_resource(&unlisted);
        let varying = Varying::new(
            self.binding.derived_facts(),
            &unlisted,
            None,
            &varies_with_subject,
        );
        let reads_id = varying.specs.iter().any(|spec| spec.reads(&is_subject_id));
        let mut decisions = Decisions::new(self.binding.class_count());
        // The candidate's subject object, its id written in only when a
        // varying fact reads it (and for each decision asked).
        let mut subject = blank.clone();
        for entry in self.binding.entries_of_type(q.subject_type) {
            let id = entry.id.as_str();
            if reads_id {
                subject.insert("id".to_string(), Value::String(id.to_string()));
            }
            let signature = varying.signature(
                &Evaluation {
                    subject_id: id,
                    subject: Entity::Object(&subject),
                    ..unlisted
                },
                Some(&entry.view),
            );
            let allowed = match decisions.get(entry.class, signature) {
                Some(allowed) => allowed,
                None => {
                    // The first of its signature: decided as an evaluation of it is.
                    subject.insert("id".to_string(), Value::String(id.to_string()));
                    let e = Evaluation {
                        subject_id: id,
                        subject: Entity::Object(&subject),
                        ..unlisted
                    };
                    let resolved = table.resolve_request(&self.request(&e)?)?;
                    let allowed = table.decide_ids(&resolved) == Effect::Allow;
                    decisions.put(entry.class, signature, allowed);
                    allowed
                }
            };
            if allowed {
                found.push(window, id);
            }
        }
        Ok(found)
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
        Ok(self.search_resources_page(q, Window::ALL)?.results)
    }

    /// [`search_resources`](Self::search_resources), the results in
    /// `window` and their total: each resource's decision is that of the
    /// first resource with the same signature (module documentation).
    pub fn search_resources_page<'t>(
        &'t self,
        q: &ResourceSearch<'_>,
        window: Window,
    ) -> Result<Found<'t>, PdpError> {
        let table = &self.table;
        let mut found = Found::default();
        if self.binding.scope_of(table, q.resource_type).is_none() {
            return Ok(found);
        }
        // The request's own faults, whether or not a resource is listed.
        let mut resource = q.resource.clone();
        resource.insert("id".to_string(), Value::String(String::new()));
        let unlisted = Evaluation {
            subject_type: q.subject_type,
            subject_id: q.subject_id,
            action_name: q.action_name,
            resource_type: q.resource_type,
            resource_id: "",
            subject: Entity::Object(q.subject),
            action: Entity::Object(q.action),
            resource: Entity::Object(&resource),
            context: q.context,
        };
        self.request(&unlisted)?;
        let principal = self
            .binding
            .entry(q.subject_type, q.subject_id)
            .map(|entry| &entry.view);
        let varying = Varying::new(
            self.binding.derived_facts(),
            &unlisted,
            principal,
            &varies_with_resource,
        );
        // Resources have no roles: one class.
        let mut decisions = Decisions::new(1);
        for (id, resource) in self.binding.resources_of_type(q.resource_type) {
            let e = Evaluation {
                resource_id: id,
                resource: Entity::Object(resource),
                ..unlisted
            };
            let signature = varying.signature(&e, principal);
            let allowed = match decisions.get(0, signature) {
                Some(allowed) => allowed,
                None => {
                    let resolved = table.resolve_request(&self.request(&e)?)?;
                    let allowed = table.decide_ids(&resolved) == Effect::Allow;
                    decisions.put(0, signature, allowed);
                    allowed
                }
            };
            if allowed {
                found.push(window, id);
            }
        }
        Ok(found)
    }
}
