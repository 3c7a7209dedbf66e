//! OpenID AuthZEN Authorization API 1.0: requests read from JSON, bound to a
//! rolecall policy through a principals file, answered with decisions.
//!
//! This module has no HTTP in it (that is [`crate::serve`]): it turns a parsed
//! JSON body into evaluations ([`model`]), holds the binding from AuthZEN's
//! subject, action, resource and context to roles, actions and facts
//! ([`principals`]), and decides ([`Pdp`]), one evaluation at a time or for
//! every action of a resource ([`search`]). docs/authzen.md describes the
//! mapping.

pub mod answer;
pub mod model;
pub mod principals;
pub mod search;
pub mod typed;

mod decide;

pub use decide::{Decided, Details, Pdp, PdpError};
pub use model::{
    BadRequest, Batch, Entity, Evaluation, Field, Semantic, TypedEntity, parse_evaluation,
    parse_evaluations,
};
pub use principals::{Binding, Principals};
pub use search::{
    ActionSearch, Found, Page, ResourceSearch, SubjectSearch, Window, parse_action_search,
    parse_resource_search, parse_subject_search,
};
