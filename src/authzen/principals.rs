//! The principals file: who holds which roles, which scope a resource type
//! names, how facts are derived from a request's attributes, and which
//! resources exist (for resource search, and the properties of a listed
//! resource a request sends none for).
//!
//! ```json
//! {
//!   "resource_types": {"todo": "todo", "user": "todo"},
//!   "facts": {"is_owner": {"equal": ["resource.properties.ownerID", "principal.id"]}},
//!   "subjects": {
//!     "rick@the-citadel.com": {"aliases": ["CiRmZDA2…"], "roles": {"todo": ["admin", "evil_genius"]}}
//!   }
//! }
//! ```
//!
//! [`Principals::parse`] checks the shape; [`Principals::bind`] checks every
//! name against a compiled policy and yields the [`Binding`] evaluation
//! reads. Problems are [`Diagnostic`]s pointing into the file.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::model::{Entity, Evaluation, Field, field, kind};
use crate::compile::DecisionTable;
use crate::diagnostic::{Diagnostic, Level};
use crate::json::{Cap, CappedError};
use crate::resolve::suggest;
use crate::source::{Loc, SourceFile};

/// The principals file as written, its shape checked.
#[derive(Debug, Clone)]
pub struct Principals {
    src: Arc<SourceFile>,
    resource_types: IndexMap<String, String>,
    facts: IndexMap<String, FactSpec>,
    subjects: IndexMap<String, Entry>,
    /// Resource type → id → the resource as an AuthZEN object (`type`,
    /// `id`, `properties`): what resource search enumerates.
    resources: IndexMap<String, IndexMap<String, Map<String, Value>>>,
}

/// One subject of the file.
#[derive(Debug, Clone)]
struct Entry {
    /// Must equal `subject.type` when given.
    subject_type: Option<String>,
    /// Other ids the same subject is known by.
    aliases: Vec<String>,
    /// Kind of principal.
    kind: Option<String>,
    /// Roles per scope name.
    roles: IndexMap<String, Vec<String>>,
    /// What `principal.…` paths read: the entry's object with its `id`.
    view: Map<String, Value>,
}

/// How a fact is derived from a request's attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum FactSpec {
    /// True when both operands are present, not null, and equal.
    Equal(Operand, Operand),
    /// True when the operand is the JSON value `true`.
    IsTrue(Operand),
    /// True when any of these is.
    Any(Vec<FactSpec>),
    /// True when all of these are.
    All(Vec<FactSpec>),
    /// True when this is false.
    Not(Box<FactSpec>),
}

/// An attribute of the request, or a constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `subject.properties.email`: the first segment names the entity.
    Path(Vec<String>),
    /// `{"value": …}`
    Value(Value),
}

/// The most subjects a principals file may list (`subjects`' keys). Each
/// becomes an entry the server keeps and matches against; past this, the
/// file is refused where the one past the limit starts, as it is read. Docs: docs/reliability.md.
pub const MAX_SUBJECTS: usize = 1_000_000;

/// The most resources a principals file may list, all resource types
/// together (the ids under `resources`), refused like [`MAX_SUBJECTS`].
pub const MAX_RESOURCES: usize = 1_000_000;

const SUBJECTS_HELP: &str = "list the subjects that hold roles; others can send their roles in a token (--trust-claimed-roles), or split the service";

const RESOURCES_HELP: &str = "list only the resources that searches must find and whose properties requests do not send; split the service by resource type";

/// Entities an attribute path may start from.
const ROOTS: [&str; 5] = ["subject", "action", "resource", "context", "principal"];

impl Principals {
    /// A file that binds nothing: every resource type is the scope of the
    /// same name, subjects hold no role (roles come from `subject.properties.roles`
    /// only when [`Pdp::trust_claimed_roles`](super::Pdp) is set), facts from
    /// `context`.
    pub fn empty() -> Principals {
        Principals {
            src: SourceFile::new("(no principals file)", ""),
            resource_types: IndexMap::new(),
            facts: IndexMap::new(),
            subjects: IndexMap::new(),
            resources: IndexMap::new(),
        }
    }

    /// The file's name, as given to [`Principals::parse`].
    pub fn name(&self) -> &str {
        self.src.name()
    }

    /// Reads a principals file; `name` is shown in diagnostics.
    pub fn parse(name: &str, text: &str) -> Result<Principals, Vec<Diagnostic>> {
        let src = SourceFile::new(name, text);
        // Subjects and resources are counted as they are read: a file of
        // millions is refused for the cost of reading the limit's worth.
        let caps = [
            Cap {
                key: "subjects",
                depth: 1,
                max: MAX_SUBJECTS,
            },
            Cap {
                key: "resources",
                depth: 2,
                max: MAX_RESOURCES,
            },
        ];
        let value: Value = match crate::json::from_str_with_caps(text, &caps) {
            Ok(value) => value,
            Err(CappedError::TooMany {
                key,
                max,
                line,
                column,
            }) => {
                let offset = offset_of(text, line, column);
                let loc = Loc::new(&src, offset, next_boundary(text, offset));
                let help = match key {
                    "subjects" => SUBJECTS_HELP,
                    _ => RESOURCES_HELP,
                };
                return Err(vec![
                    Diagnostic::new(
                        "rolecall::principals::shape",
                        Level::Error,
                        format!("`{key}` lists more than the limit of {max} {key}"),
                        &loc,
                        "the first one past the limit",
                    )
                    .with_help(help),
                ]);
            }
            // `Stopped` cannot come (nothing asks to stop); were it to, it
            // is an error all the same, never a partial file.
            Err(e) => {
                let (line, column) = match &e {
                    CappedError::Json(j) => (j.line(), j.column()),
                    _ => (1, 1),
                };
                let offset = offset_of(text, line, column);
                let loc = Loc::new(&src, offset, next_boundary(text, offset));
                return Err(vec![
                    Diagnostic::new(
                        "rolecall::principals::json",
                        Level::Error,
                        format!("the principals file is not valid JSON: {e}"),
                        &loc,
                        "here",
                    )
                    .with_help("the principals file is one JSON object; see docs/authzen.md"),
                ]);
            }
        };
        let mut reader = Reader {
            src: Arc::clone(&src),
            errors: Vec::new(),
        };
        let principals = reader.file(&value);
        if reader.errors.is_empty() {
            Ok(Principals { src, ..principals })
        } else {
            Err(reader.errors)
        }
    }

    /// Checks every name against the policy: resource types name scopes,
    /// facts are declared, roles exist in their scopes and are assignable
    /// to the subject's kind.
    pub fn bind(&self, table: &DecisionTable) -> Result<Binding, Vec<Diagnostic>> {
        let policy = &table.policy;
        let mut errors = Vec::new();
        let scope_names: Vec<&str> = policy.scopes.keys().map(String::as_str).collect();
        let mut resource_types = HashMap::new();
        for (ty, scope) in &self.resource_types {
            match policy.scopes.get_index_of(scope) {
                Some(s) => {
                    resource_types.insert(ty.clone(), s);
                }
                None => errors.push(self.error(
                    BindError::UnknownScope,
                    format!("resource type `{ty}` maps to unknown scope `{scope}`"),
                    &["resource_types", ty, scope],
                    suggest(scope, &scope_names, "scope", "the policy"),
                )),
            }
        }
        let fact_names: Vec<&str> = policy.facts.keys().map(String::as_str).collect();
        let mut facts = Vec::new();
        for (name, spec) in &self.facts {
            match policy.facts.get_index_of(name) {
                Some(f) => facts.push((f, spec.clone())),
                None => errors.push(self.error(
                    BindError::UnknownFact,
                    format!("fact `{name}` is not declared in the policy"),
                    &["facts", name],
                    suggest(name, &fact_names, "fact", "the policy"),
                )),
            }
        }
        let context_facts = (0..policy.facts.len())
            .filter(|f| !facts.iter().any(|(g, _)| g == f))
            .filter_map(|f| policy.facts.get_index(f).map(|(n, _)| (f, n.clone())))
            .collect();
        let kind_names: Vec<&str> = policy.kinds.keys().map(String::as_str).collect();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut entries = Vec::new();
        // Entries with the same kind and roles, in the same order, decide
        // alike for the same facts: each gets the index of its class, so a
        // search decides once per class (and derived facts), not per entry.
        type Class<'e> = (Option<&'e str>, Vec<(&'e str, &'e [String])>);
        let mut classes: HashMap<Class<'_>, usize> = HashMap::new();
        for (id, entry) in &self.subjects {
            let kind_index = match &entry.kind {
                None => None,
                Some(k) => match policy.kinds.get_index_of(k) {
                    Some(i) => Some(i),
                    None => {
                        errors.push(self.error(
                            BindError::UnknownKind,
                            format!("subject `{id}` has unknown kind `{k}`"),
                            &["subjects", id, "kind", k],
                            suggest(k, &kind_names, "kind", "the policy"),
                        ));
                        None
                    }
                },
            };
            for (scope, roles) in &entry.roles {
                let Some(sc) = policy.scopes.get(scope) else {
                    errors.push(self.error(
                        BindError::UnknownScope,
                        format!("subject `{id}` holds roles in unknown scope `{scope}`"),
                        &["subjects", id, "roles", scope],
                        suggest(scope, &scope_names, "scope", "the policy"),
                    ));
                    continue;
                };
                let role_names: Vec<&str> = sc.roles.keys().map(String::as_str).collect();
                for role in roles {
                    let Some(r) = sc.roles.get_index_of(role).filter(|&r| !sc.is_everyone(r))
                    else {
                        errors.push(self.error(
                            BindError::UnknownRole,
                            format!("subject `{id}`: unknown role `{role}` in scope `{scope}`"),
                            &["subjects", id, "roles", scope, role],
                            suggest(role, &role_names, "role", &format!("scope `{scope}`")),
                        ));
                        continue;
                    };
                    // The file holds no request: a role is an error here when no
                    // request could let the kind hold it; each request is checked
                    // again against the line its context picks.
                    let allowed = kind_index.and_then(|k| sc.assignable_ever(k));
                    if let (Some(allowed), Some(k)) = (allowed, &entry.kind) {
                        if !allowed.contains(&r) {
                            let names: Vec<String> = allowed
                                .iter()
                                .filter_map(|&i| sc.roles.get_index(i).map(|(n, _)| n.clone()))
                                .collect();
                            errors.push(self.error(
                                BindError::NotAssignable,
                                format!(
                                    "subject `{id}`: {} {k} cannot be assigned role `{role}` in scope `{scope}`", crate::invariant::article(k)
                                ),
                                &["subjects", id, "roles", scope, role],
                                format!(
                                    "assignable to a {k} in scope `{scope}`: {}",
                                    if names.is_empty() {
                                        "none".to_string()
                                    } else {
                                        names.join(", ")
                                    }
                                ),
                            ));
                        }
                    }
                }
            }
            let index = entries.len();
            for name in std::iter::once(id).chain(&entry.aliases) {
                if let Some(&other) = by_id.get(name) {
                    let first = self
                        .subjects
                        .get_index(other)
                        .map_or("", |(n, _)| n.as_str());
                    errors.push(self.error(
                        BindError::DuplicateSubject,
                        format!("`{name}` names two subjects (`{first}` and `{id}`)"),
                        &["subjects", id, name],
                        "each id and alias names one subject",
                    ));
                } else {
                    by_id.insert(name.clone(), index);
                }
            }
            let next = classes.len();
            let class = *classes
                .entry((
                    entry.kind.as_deref(),
                    entry
                        .roles
                        .iter()
                        .map(|(scope, roles)| (scope.as_str(), roles.as_slice()))
                        .collect(),
                ))
                .or_insert(next);
            entries.push(BoundEntry {
                class,
                id: id.clone(),
                subject_type: entry.subject_type.clone(),
                kind: entry.kind.clone(),
                roles: entry.roles.clone(),
                view: entry.view.clone(),
            });
        }
        let mut resources = IndexMap::new();
        for (ty, listed) in &self.resources {
            let known = match resource_types.get(ty) {
                Some(_) => true,
                None => table.scope_index(ty).is_some(),
            };
            if known {
                resources.insert(ty.clone(), listed.clone());
            } else {
                let mut types: Vec<&str> = self.resource_types.keys().map(String::as_str).collect();
                types.extend(scope_names.iter().copied());
                errors.push(self.error(
                    BindError::UnknownResourceType,
                    format!("resources of type `{ty}`, which names no scope"),
                    &["resources", ty],
                    suggest(
                        ty,
                        &types,
                        "resource type",
                        "the principals file and the policy",
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let class_count = classes.len();
        Ok(Binding {
            resource_types,
            class_count,
            facts,
            context_facts,
            by_id,
            entries,
            resources,
        })
    }

    fn error(
        &self,
        kind: BindError,
        message: String,
        anchors: &[&str],
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(
            kind.code(),
            Level::Error,
            message,
            &locate(&self.src, anchors),
            "here",
        )
        .with_help(help)
    }
}

/// What can be wrong when a principals file is checked against a policy:
/// each kind has its own diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BindError {
    UnknownScope,
    UnknownFact,
    UnknownKind,
    UnknownRole,
    NotAssignable,
    DuplicateSubject,
    UnknownResourceType,
}

impl BindError {
    fn code(self) -> &'static str {
        match self {
            BindError::UnknownScope => "rolecall::principals::unknown_scope",
            BindError::UnknownFact => "rolecall::principals::unknown_fact",
            BindError::UnknownKind => "rolecall::principals::unknown_kind",
            BindError::UnknownRole => "rolecall::principals::unknown_role",
            BindError::NotAssignable => "rolecall::principals::not_assignable",
            BindError::DuplicateSubject => "rolecall::principals::duplicate_subject",
            BindError::UnknownResourceType => "rolecall::principals::unknown_resource_type",
        }
    }
}

/// The principals file checked against one compiled policy: what evaluation reads.
#[derive(Debug, Clone, Default)]
pub struct Binding {
    resource_types: HashMap<String, usize>,
    facts: Vec<(usize, FactSpec)>,
    context_facts: Vec<(usize, String)>,
    by_id: HashMap<String, usize>,
    entries: Vec<BoundEntry>,
    /// How many distinct (kind, roles) the entries have.
    class_count: usize,
    resources: IndexMap<String, IndexMap<String, Map<String, Value>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct BoundEntry {
    /// The entry's class: entries of one class have the same kind and the
    /// same roles in the same order (`Binding::class_count` classes).
    pub(crate) class: usize,
    /// The subject's id (its key in the file, not an alias).
    pub(crate) id: String,
    pub(crate) subject_type: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) roles: IndexMap<String, Vec<String>>,
    pub(crate) view: Map<String, Value>,
}

impl Binding {
    /// The scope index a resource type names: the declared mapping, else
    /// the scope of the same name.
    pub fn scope_of(&self, table: &DecisionTable, resource_type: &str) -> Option<usize> {
        match self.resource_types.get(resource_type) {
            Some(&s) => Some(s),
            None => table.scope_index(resource_type),
        }
    }

    /// Resource types the binding knows: declared ones, then scope names.
    pub fn resource_types<'t>(&'t self, table: &'t DecisionTable) -> Vec<&'t str> {
        let mut names: Vec<&str> = self.resource_types.keys().map(String::as_str).collect();
        names.sort_unstable();
        for scope in table.policy.scopes.keys() {
            if !names.contains(&scope.as_str()) {
                names.push(scope);
            }
        }
        names
    }

    /// The principals-file entry for a subject (by id or alias, and type when the entry gives one).
    pub(crate) fn entry(&self, subject_type: &str, subject_id: &str) -> Option<&BoundEntry> {
        let entry = self.entries.get(*self.by_id.get(subject_id)?)?;
        match &entry.subject_type {
            Some(t) if t != subject_type => None,
            _ => Some(entry),
        }
    }

    /// Facts derived by a rule of the file, by fact index.
    pub(crate) fn derived_facts(&self) -> &[(usize, FactSpec)] {
        &self.facts
    }

    /// Facts the file does not derive: read from `context.<name>`.
    pub(crate) fn context_facts(&self) -> &[(usize, String)] {
        &self.context_facts
    }

    /// The ids of the subjects an evaluation with `subject_type` can name:
    /// the entries of that type and those that give none, in file order.
    pub fn subjects_of_type<'b>(&'b self, subject_type: &str) -> impl Iterator<Item = &'b str> {
        self.entries
            .iter()
            .filter(move |e| e.subject_type.as_deref().is_none_or(|t| t == subject_type))
            .map(|e| e.id.as_str())
    }

    /// The entries an evaluation with `subject_type` can name, in file order.
    pub(crate) fn entries_of_type<'b>(
        &'b self,
        subject_type: &str,
    ) -> impl Iterator<Item = &'b BoundEntry> {
        self.entries
            .iter()
            .filter(move |e| e.subject_type.as_deref().is_none_or(|t| t == subject_type))
    }

    /// How many classes of entries (same kind, same roles) there are.
    pub(crate) fn class_count(&self) -> usize {
        self.class_count
    }

    /// The resources of `resource_type` the file lists, in file order: each
    /// as an AuthZEN resource object (`type`, `id`, `properties`).
    pub fn resources_of_type(
        &self,
        resource_type: &str,
    ) -> impl Iterator<Item = (&str, &Map<String, Value>)> {
        self.resources
            .get(resource_type)
            .into_iter()
            .flatten()
            .map(|(id, object)| (id.as_str(), object))
    }

    /// The file's resource object for a resource, when it lists it.
    pub(crate) fn resource(&self, resource_type: &str, id: &str) -> Option<&Map<String, Value>> {
        self.resources.get(resource_type)?.get(id)
    }

    /// How many subjects the file lists.
    pub fn subject_count(&self) -> usize {
        self.entries.len()
    }
}

impl FactSpec {
    /// Evaluates the fact for one evaluation; `principal` is the subject's
    /// principals-file entry, if any.
    pub fn holds(&self, e: &Evaluation<'_>, principal: Option<&Map<String, Value>>) -> bool {
        match self {
            // `b` is not looked up when `a` already says false.
            FactSpec::Equal(a, b) => match a.resolve(e, principal) {
                Some(x) if !x.is_null() => b.resolve(e, principal).is_some_and(|y| x == y),
                _ => false,
            },
            FactSpec::IsTrue(a) => a.resolve(e, principal).is_some_and(Field::is_true),
            FactSpec::Any(specs) => specs.iter().any(|s| s.holds(e, principal)),
            FactSpec::All(specs) => specs.iter().all(|s| s.holds(e, principal)),
            FactSpec::Not(spec) => !spec.holds(e, principal),
        }
    }
}

impl FactSpec {
    /// Whether an attribute path of the form satisfies `varies`.
    pub(crate) fn reads(&self, varies: &dyn Fn(&[String]) -> bool) -> bool {
        let operand = |o: &Operand| matches!(o, Operand::Path(path) if varies(path));
        match self {
            FactSpec::Equal(a, b) => operand(a) || operand(b),
            FactSpec::IsTrue(a) => operand(a),
            FactSpec::Any(specs) | FactSpec::All(specs) => specs.iter().any(|s| s.reads(varies)),
            FactSpec::Not(spec) => spec.reads(varies),
        }
    }

    /// The form with every path that does not satisfy `varies` read now
    /// (from `e` and `principal`) and replaced by its value, simplified:
    /// `Known` when that settles it (an `equal` whose fixed side is absent
    /// is false, `any` with a true part true, …), else what is left to
    /// read per candidate. An absent value becomes `null`: every form reads
    /// the two alike. For every value of the varying paths, the result
    /// agrees with [`holds`](Self::holds) on the whole form.
    pub(crate) fn partial(
        &self,
        e: &Evaluation<'_>,
        principal: Option<&Map<String, Value>>,
        varies: &dyn Fn(&[String]) -> bool,
    ) -> Partial {
        let operand = |o: &Operand| match o {
            Operand::Path(path) if varies(path) => o.clone(),
            _ => Operand::Value(o.resolve(e, principal).map_or(Value::Null, Field::to_value)),
        };
        match self {
            FactSpec::Equal(a, b) => match (operand(a), operand(b)) {
                (Operand::Value(x), Operand::Value(y)) => Partial::Known(!x.is_null() && x == y),
                (Operand::Value(Value::Null), _) | (_, Operand::Value(Value::Null)) => {
                    Partial::Known(false)
                }
                (a, b) => Partial::Depends(FactSpec::Equal(a, b)),
            },
            FactSpec::IsTrue(a) => match operand(a) {
                Operand::Value(v) => Partial::Known(v == Value::Bool(true)),
                a => Partial::Depends(FactSpec::IsTrue(a)),
            },
            FactSpec::Any(specs) | FactSpec::All(specs) => {
                // `any` is settled by a true part, `all` by a false one.
                let any = matches!(self, FactSpec::Any(_));
                let mut rest = Vec::new();
                for spec in specs {
                    match spec.partial(e, principal, varies) {
                        Partial::Known(b) if b == any => return Partial::Known(any),
                        Partial::Known(_) => {}
                        Partial::Depends(spec) => rest.push(spec),
                    }
                }
                match (rest.is_empty(), any) {
                    (true, _) => Partial::Known(!any),
                    (false, true) => Partial::Depends(FactSpec::Any(rest)),
                    (false, false) => Partial::Depends(FactSpec::All(rest)),
                }
            }
            FactSpec::Not(spec) => match spec.partial(e, principal, varies) {
                Partial::Known(b) => Partial::Known(!b),
                Partial::Depends(spec) => Partial::Depends(FactSpec::Not(Box::new(spec))),
            },
        }
    }
}

/// A derived fact with what a search's request settles read in: its
/// value, or the form left to read per candidate ([`FactSpec::partial`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Partial {
    /// The same for every candidate.
    Known(bool),
    /// Reads only the paths that vary (the others are values now).
    Depends(FactSpec),
}

impl Operand {
    fn resolve<'v>(
        &'v self,
        e: &Evaluation<'v>,
        principal: Option<&'v Map<String, Value>>,
    ) -> Option<Field<'v>> {
        match self {
            Operand::Value(v) => Some(Field::Value(v)),
            Operand::Path(segments) => {
                let (root, rest) = segments.split_first()?;
                let entity = match root.as_str() {
                    "principal" => Entity::Object(principal?),
                    entity => e.entity(entity)?,
                };
                let (first, rest) = rest.split_first()?;
                let mut value = entity.get(first)?;
                for key in rest {
                    value = Field::Value(field(value.as_object()?, key)?);
                }
                Some(value)
            }
        }
    }
}

/// Reads the file's JSON, collecting every shape error.
struct Reader {
    src: Arc<SourceFile>,
    errors: Vec<Diagnostic>,
}

impl Reader {
    fn error(&mut self, message: String, anchors: &[&str], help: &str) {
        self.errors.push(
            Diagnostic::new(
                "rolecall::principals::shape",
                Level::Error,
                message,
                &locate(&self.src, anchors),
                "here",
            )
            .with_help(help.to_string()),
        );
    }

    fn file(&mut self, value: &Value) -> Principals {
        let mut out = Principals::empty();
        let Value::Object(root) = value else {
            self.error(
                format!("the principals file must be a JSON object, found {}", kind(value)),
                &[],
                "write {\"subjects\": {…}, \"resource_types\": {…}, \"facts\": {…}}; see docs/authzen.md",
            );
            return out;
        };
        for (key, value) in root {
            match key.as_str() {
                "resource_types" => out.resource_types = self.resource_types(value),
                "facts" => out.facts = self.facts(value),
                "subjects" => out.subjects = self.subjects(value),
                "resources" => out.resources = self.resources(value),
                other => self.error(
                    format!("unknown field `{other}` in the principals file"),
                    &[other],
                    "the principals file has `subjects`, `resource_types`, `facts` and `resources`",
                ),
            }
        }
        out
    }

    fn resource_types(&mut self, value: &Value) -> IndexMap<String, String> {
        let mut out = IndexMap::new();
        let Value::Object(map) = value else {
            self.error(
                format!("`resource_types` must be an object, found {}", kind(value)),
                &["resource_types"],
                "map each AuthZEN resource type to a scope: {\"document\": \"workspace\"}",
            );
            return out;
        };
        for (ty, scope) in map {
            match scope {
                Value::String(scope) => {
                    out.insert(ty.clone(), scope.clone());
                }
                other => self.error(
                    format!(
                        "`resource_types.{ty}` must be a scope name, found {}",
                        kind(other)
                    ),
                    &["resource_types", ty],
                    "map each AuthZEN resource type to a scope: {\"document\": \"workspace\"}",
                ),
            }
        }
        out
    }

    fn facts(&mut self, value: &Value) -> IndexMap<String, FactSpec> {
        let mut out = IndexMap::new();
        let Value::Object(map) = value else {
            self.error(
                format!("`facts` must be an object, found {}", kind(value)),
                &["facts"],
                "map each fact to how it is derived: {\"is_owner\": {\"equal\": [\"resource.properties.ownerID\", \"subject.id\"]}}",
            );
            return out;
        };
        for (name, spec) in map {
            if let Some(spec) = self.fact_spec(name, spec) {
                out.insert(name.clone(), spec);
            }
        }
        out
    }

    fn fact_spec(&mut self, fact: &str, value: &Value) -> Option<FactSpec> {
        const HELP: &str = "a fact is {\"equal\": [A, B]}, {\"is_true\": A}, {\"any\": [...]}, {\"all\": [...]} or {\"not\": ...}; A and B are attribute paths like \"subject.id\" or {\"value\": ...}";
        let Some((op, arg)) = value
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
        else {
            self.error(
                format!(
                    "fact `{fact}`: expected an object with one operator, found {}",
                    kind(value)
                ),
                &["facts", fact],
                HELP,
            );
            return None;
        };
        match (op.as_str(), arg) {
            ("equal", Value::Array(items)) if items.len() == 2 => {
                let a = self.operand(fact, items.first()?)?;
                let b = self.operand(fact, items.get(1)?)?;
                Some(FactSpec::Equal(a, b))
            }
            ("is_true", arg) => Some(FactSpec::IsTrue(self.operand(fact, arg)?)),
            ("any" | "all", Value::Array(items)) if !items.is_empty() => {
                let specs: Vec<FactSpec> = items
                    .iter()
                    .filter_map(|item| self.fact_spec(fact, item))
                    .collect();
                if specs.len() != items.len() {
                    return None;
                }
                Some(if op == "any" {
                    FactSpec::Any(specs)
                } else {
                    FactSpec::All(specs)
                })
            }
            ("not", arg) => Some(FactSpec::Not(Box::new(self.fact_spec(fact, arg)?))),
            _ => {
                self.error(
                    format!("fact `{fact}`: `{op}` is not an operator or has the wrong arguments"),
                    &["facts", fact, op],
                    HELP,
                );
                None
            }
        }
    }

    fn operand(&mut self, fact: &str, value: &Value) -> Option<Operand> {
        match value {
            Value::String(path) => {
                let segments: Vec<String> = path.split('.').map(str::to_string).collect();
                let root_ok = segments
                    .first()
                    .is_some_and(|r| ROOTS.contains(&r.as_str()));
                if !root_ok || segments.len() < 2 || segments.iter().any(String::is_empty) {
                    self.error(
                        format!("fact `{fact}`: `{path}` is not an attribute path"),
                        &["facts", fact, path],
                        "a path starts with subject, action, resource, context or principal, then names keys separated by dots: \"resource.properties.ownerID\"",
                    );
                    return None;
                }
                Some(Operand::Path(segments))
            }
            Value::Object(map) if map.len() == 1 && map.contains_key("value") => {
                map.get("value").cloned().map(Operand::Value)
            }
            other => {
                self.error(
                    format!(
                        "fact `{fact}`: an operand is an attribute path or {{\"value\": …}}, found {}",
                        kind(other)
                    ),
                    &["facts", fact],
                    "write \"subject.id\" for an attribute, {\"value\": \"Sales\"} for a constant",
                );
                None
            }
        }
    }

    fn resources(
        &mut self,
        value: &Value,
    ) -> IndexMap<String, IndexMap<String, Map<String, Value>>> {
        const HELP: &str = "write {\"<resource type>\": {\"<id>\": {\"properties\": {…}}}}";
        let mut out = IndexMap::new();
        let Value::Object(types) = value else {
            self.error(
                format!(
                    "`resources` must be an object keyed by resource type, found {}",
                    kind(value)
                ),
                &["resources"],
                HELP,
            );
            return out;
        };
        for (ty, listed) in types {
            let Value::Object(listed) = listed else {
                self.error(
                    format!(
                        "`resources.{ty}` must be an object keyed by resource id, found {}",
                        kind(listed)
                    ),
                    &["resources", ty],
                    HELP,
                );
                continue;
            };
            let mut of_type = IndexMap::new();
            for (id, entry) in listed {
                let properties = match entry {
                    Value::Object(entry) => {
                        let before = self.errors.len();
                        let mut properties = Map::new();
                        for (key, v) in entry {
                            match (key.as_str(), v) {
                                ("properties", Value::Object(p)) => properties = p.clone(),
                                ("properties", other) => self.error(
                                    format!(
                                        "resource `{id}`: `properties` must be an object, found {}",
                                        kind(other)
                                    ),
                                    &["resources", ty, id, "properties"],
                                    HELP,
                                ),
                                (other, _) => self.error(
                                    format!("resource `{id}`: unknown field `{other}`"),
                                    &["resources", ty, id, other],
                                    "a resource has `properties` (an object) and nothing else",
                                ),
                            }
                        }
                        (self.errors.len() == before).then_some(properties)
                    }
                    other => {
                        self.error(
                            format!("resource `{id}` must be an object, found {}", kind(other)),
                            &["resources", ty, id],
                            HELP,
                        );
                        None
                    }
                };
                if let Some(properties) = properties {
                    let mut object = Map::new();
                    object.insert("type".to_string(), Value::String(ty.clone()));
                    object.insert("id".to_string(), Value::String(id.clone()));
                    object.insert("properties".to_string(), Value::Object(properties));
                    of_type.insert(id.clone(), object);
                }
            }
            out.insert(ty.clone(), of_type);
        }
        out
    }

    fn subjects(&mut self, value: &Value) -> IndexMap<String, Entry> {
        let mut out = IndexMap::new();
        let Value::Object(map) = value else {
            self.error(
                format!(
                    "`subjects` must be an object keyed by subject id, found {}",
                    kind(value)
                ),
                &["subjects"],
                "write {\"alice@example.com\": {\"roles\": {\"workspace\": \"admin\"}}}",
            );
            return out;
        };
        for (id, entry) in map {
            if let Some(entry) = self.entry(id, entry) {
                out.insert(id.clone(), entry);
            }
        }
        out
    }

    fn entry(&mut self, id: &str, value: &Value) -> Option<Entry> {
        let Value::Object(map) = value else {
            self.error(
                format!("subject `{id}` must be an object, found {}", kind(value)),
                &["subjects", id],
                "write {\"roles\": {\"<scope>\": [\"<role>\"]}} and optionally type, kind, aliases, properties",
            );
            return None;
        };
        let mut entry = Entry {
            subject_type: None,
            aliases: Vec::new(),
            kind: None,
            roles: IndexMap::new(),
            view: map.clone(),
        };
        entry
            .view
            .insert("id".to_string(), Value::String(id.to_string()));
        let before = self.errors.len();
        for (key, v) in map {
            match (key.as_str(), v) {
                ("type", Value::String(t)) => entry.subject_type = Some(t.clone()),
                ("kind", Value::String(k)) => entry.kind = Some(k.clone()),
                ("properties", Value::Object(_)) => {}
                ("aliases", Value::Array(items)) => {
                    for item in items {
                        match item {
                            Value::String(a) => entry.aliases.push(a.clone()),
                            other => self.error(
                                format!(
                                    "subject `{id}`: each alias is a string, found {}",
                                    kind(other)
                                ),
                                &["subjects", id, "aliases"],
                                "aliases are other ids of the same subject",
                            ),
                        }
                    }
                }
                ("roles", Value::Object(scopes)) => {
                    for (scope, roles) in scopes {
                        match crate::eval::reader::roles(roles) {
                            Some(list) => {
                                entry.roles.insert(scope.clone(), list);
                            }
                            None => self.error(
                                format!(
                                    "subject `{id}`: roles in `{scope}` are a role name or an array of role names, found {}",
                                    kind(roles)
                                ),
                                &["subjects", id, "roles", scope],
                                "write {\"<scope>\": \"<role>\"} or {\"<scope>\": [\"<role>\", …]}",
                            ),
                        }
                    }
                }
                ("type" | "kind" | "properties" | "aliases" | "roles", other) => self.error(
                    format!("subject `{id}`: `{key}` has the wrong type ({})", kind(other)),
                    &["subjects", id, key],
                    "type and kind are strings, aliases an array of strings, roles and properties objects",
                ),
                (other, _) => self.error(
                    format!("subject `{id}`: unknown field `{other}`"),
                    &["subjects", id, other],
                    "a subject has roles, and optionally type, kind, aliases and properties",
                ),
            }
        }
        (self.errors.len() == before).then_some(entry)
    }
}

/// Points at the JSON string `anchors[last]`, found after each earlier
/// anchor in turn: the file is JSON without positions, so this finds the
/// first place the names appear in that order.
fn locate(src: &Arc<SourceFile>, anchors: &[&str]) -> Loc {
    let text = src.text();
    let mut from = 0;
    let mut span = (0, text.len().min(1));
    for anchor in anchors {
        let quoted = serde_json::to_string(anchor).unwrap_or_default();
        match text.get(from..).and_then(|rest| rest.find(&quoted)) {
            Some(at) => {
                span = (from + at, from + at + quoted.len());
                from = span.1;
            }
            None => break,
        }
    }
    Loc::new(src, span.0, span.1)
}

/// Byte offset of a 1-based line and column.
/// The end of the character at `offset` (a span one character wide).
fn next_boundary(text: &str, offset: usize) -> usize {
    (offset + 1..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(offset)
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
