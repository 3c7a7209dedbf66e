//! Requests: what is asked, read from JSON and resolved to ids.

use indexmap::IndexMap;
use serde_json::Value;
use smallvec::SmallVec;

use super::reader::{self, Invalid, RequestSink, Stop};
use super::{EvalError, ShapeError};
use crate::compile::ids;
use crate::compile::{ActionId, DecisionTable, FactSet, RoleId, ScopeId};
use crate::invariant::name_or_missing;
use crate::resolve::suggest;

/// A request as written: names, not ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Roles held, per scope name.
    pub principal: IndexMap<String, Vec<String>>,
    /// The kind of principal, when known (checks assignability, picks defaults).
    pub kind: Option<String>,
    /// `scope:action`
    pub action: String,
    /// Facts supplied; missing means false.
    pub context: IndexMap<String, bool>,
    /// Settings supplied (a string in `context`), by name; a missing one
    /// has its default value.
    pub settings: IndexMap<String, String>,
    /// Whom a targeted action is done to (`None`: a plain action's request).
    pub target: Option<RequestTarget>,
}

/// Whom a request's targeted action is done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestTarget {
    /// `"target": "self"`: the principal acts on themself.
    Myself,
    /// Another participant: the roles they hold per scope name, as a
    /// principal's are given, and their kind when known (`target_kind`).
    Other {
        /// Roles held, per scope name.
        principal: IndexMap<String, Vec<String>>,
        /// The target's kind (picks their defaults).
        kind: Option<String>,
    },
}

impl Request {
    /// Reads a request from one JSON document:
    /// `{"principal": {"scope": "role" | ["role", …]}, "kind": "…", "action": "scope:action", "context": {"fact": true}}`.
    pub fn from_json(text: &str) -> Result<Request, EvalError> {
        let value = crate::json::from_str(text).map_err(|e| match e.classify() {
            // Well-formed JSON with a key given twice (the one data error of
            // `json::from_str`): which one would be meant is unknowable.
            serde_json::error::Category::Data => {
                EvalError::Shape(ShapeError::DuplicateKey(e.into()))
            }
            _ => EvalError::Json(e.into()),
        })?;
        Request::from_value(&value)
    }

    /// Reads a request from a parsed JSON value, through the one request
    /// reader (`eval/reader.rs`).
    pub fn from_value(value: &Value) -> Result<Request, EvalError> {
        let mut sink = Owned::default();
        // A `Value` holds each key once and is well-formed: the reader
        // raises no error of its own on one, and `Owned` never stops it.
        match reader::read(value, &mut sink) {
            Ok(()) => sink.finish(),
            Err(e) => Err(EvalError::Json(e.into())),
        }
    }
}

/// The general path's sink: a [`Request`] of owned names, or the shape
/// error to report (the first met of the lowest [`Invalid::rank`]).
#[derive(Default)]
struct Owned {
    request: Request,
    error: Option<(u8, ShapeError)>,
    /// Whether the scope given last is the target's (its roles go there).
    in_target: bool,
    /// `target_kind`, kept until the end (it may come before `target`).
    target_kind: Option<String>,
}

impl Owned {
    fn finish(mut self) -> Result<Request, EvalError> {
        if let Some((_, error)) = self.error {
            return Err(EvalError::Shape(error));
        }
        if let Some(kind) = self.target_kind {
            match &mut self.request.target {
                Some(RequestTarget::Other { kind: slot, .. }) => *slot = Some(kind),
                Some(RequestTarget::Myself) => {
                    return Err(EvalError::Shape(ShapeError::TargetKindOfSelf));
                }
                None => return Err(EvalError::Shape(ShapeError::TargetKindWithoutTarget)),
            }
        }
        Ok(self.request)
    }

    /// The target's roles per scope, made an `Other` target when first needed.
    fn target_principal(&mut self) -> Option<&mut IndexMap<String, Vec<String>>> {
        if self.request.target.is_none() {
            self.request.target = Some(RequestTarget::Other {
                principal: IndexMap::new(),
                kind: None,
            });
        }
        match &mut self.request.target {
            Some(RequestTarget::Other { principal, .. }) => Some(principal),
            _ => None,
        }
    }

    /// The scope given last (the reader gives a scope before its roles).
    fn last_scope(&self) -> &str {
        name_or_missing(
            self.request.principal.last().map(|(s, _)| s.as_str()),
            "scope",
        )
    }

    /// The fact given last (the reader gives a fact before its value).
    fn last_fact(&self) -> &str {
        name_or_missing(self.request.context.last().map(|(f, _)| f.as_str()), "fact")
    }
}

impl RequestSink for Owned {
    fn scope(&mut self, name: &str) -> Result<(), Stop> {
        self.in_target = false;
        self.request.principal.insert(name.to_string(), Vec::new());
        Ok(())
    }
    fn role(&mut self, name: &str) -> Result<(), Stop> {
        let scopes = if self.in_target {
            self.target_principal().ok_or(Stop)?
        } else {
            &mut self.request.principal
        };
        let (_, roles) = scopes.last_mut().ok_or(Stop)?;
        roles.push(name.to_string());
        Ok(())
    }
    fn target_self(&mut self) -> Result<(), Stop> {
        self.request.target = Some(RequestTarget::Myself);
        Ok(())
    }
    fn target_other(&mut self) -> Result<(), Stop> {
        self.target_principal().ok_or(Stop)?;
        Ok(())
    }
    fn target_scope(&mut self, name: &str) -> Result<(), Stop> {
        self.in_target = true;
        self.target_principal()
            .ok_or(Stop)?
            .insert(name.to_string(), Vec::new());
        Ok(())
    }
    fn target_kind(&mut self, name: &str) -> Result<(), Stop> {
        self.target_kind = Some(name.to_string());
        Ok(())
    }
    fn kind(&mut self, name: &str) -> Result<(), Stop> {
        self.request.kind = Some(name.to_string());
        Ok(())
    }
    fn action(&mut self, action: &str) -> Result<(), Stop> {
        self.request.action = action.to_string();
        Ok(())
    }
    fn fact(&mut self, name: &str) -> Result<(), Stop> {
        self.request.context.insert(name.to_string(), false);
        Ok(())
    }
    fn truth(&mut self, value: bool) -> Result<(), Stop> {
        let (_, truth) = self.request.context.last_mut().ok_or(Stop)?;
        *truth = value;
        Ok(())
    }
    fn choice(&mut self, value: &str) -> Result<(), Stop> {
        let (name, _) = self.request.context.pop().ok_or(Stop)?;
        self.request.settings.insert(name, value.to_string());
        Ok(())
    }
    fn invalid(&mut self, error: Invalid<'_>) -> Result<(), Stop> {
        let rank = error.rank();
        if self.error.as_ref().is_some_and(|&(first, _)| first <= rank) {
            return Ok(());
        }
        let scope = || self.last_scope().to_string();
        let error = match error {
            Invalid::NotAnObject => ShapeError::NotAnObject,
            Invalid::UnknownField(field) => ShapeError::UnknownField(field.to_string()),
            Invalid::NotRoles => ShapeError::NotRoles { scope: scope() },
            Invalid::RoleNotString => ShapeError::RoleNotString { scope: scope() },
            Invalid::PrincipalNotObject => ShapeError::PrincipalNotObject,
            Invalid::MissingPrincipal => ShapeError::MissingPrincipal,
            Invalid::KindNotString => ShapeError::KindNotString,
            Invalid::ActionNotString => ShapeError::ActionNotString,
            Invalid::MissingAction => ShapeError::MissingAction,
            Invalid::FactNotBool => ShapeError::FactNotBool {
                fact: self.last_fact().to_string(),
            },
            Invalid::ContextNotObject => ShapeError::ContextNotObject,
            Invalid::TargetNotObject => ShapeError::TargetNotObject,
            Invalid::TargetKindNotString => ShapeError::TargetKindNotString,
        };
        self.error = Some((rank, error));
        Ok(())
    }
}

/// A request resolved to ids: what evaluation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRequest {
    /// Role indexes assigned, per scope the request names, sorted by scope
    /// index: only what was named is stored, so neither resolving nor
    /// deciding grows with the number of scopes of the policy.
    assigned: Vec<(usize, Vec<usize>)>,
    /// Kind index.
    pub(crate) kind: Option<usize>,
    /// The action.
    pub action: ActionId,
    /// True facts.
    pub facts: FactSet,
    /// Fact indexes the request gave a value for.
    pub(crate) given: Vec<usize>,
    /// Whom a targeted action is done to.
    pub(crate) target: Option<Targeted>,
}

/// A request's target resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Targeted {
    /// The principal themself.
    Myself,
    /// Another participant.
    Other(ResolvedTarget),
}

/// Another participant a targeted action is done to: read like a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedTarget {
    /// Role indexes per scope named, sorted by scope index.
    assigned: Vec<(usize, Vec<usize>)>,
    kind: Option<usize>,
}

impl crate::decision::Principal for ResolvedTarget {
    fn assigned(&self, scope: usize) -> &[usize] {
        self.assigned
            .binary_search_by_key(&scope, |&(s, _)| s)
            .ok()
            .and_then(|i| self.assigned.get(i))
            .map_or(&[], |(_, roles)| roles.as_slice())
    }
    fn kind(&self) -> Option<usize> {
        self.kind
    }
    fn each_assigned(&self, f: &mut dyn FnMut(usize, &[usize]) -> bool) -> bool {
        self.assigned.iter().all(|(s, roles)| f(*s, roles))
    }
}

impl Targeted {
    /// What the decision core reads of it.
    pub(crate) fn as_target(this: Option<&Targeted>) -> crate::decision::TargetOf<'_> {
        match this {
            None => crate::decision::TargetOf::None,
            Some(Targeted::Myself) => crate::decision::TargetOf::Myself,
            Some(Targeted::Other(t)) => crate::decision::TargetOf::Other(t),
        }
    }
}

impl ResolvedRequest {
    /// Roles assigned in `scope`, as given (none: none assigned).
    pub fn assigned_roles(&self, scope: ScopeId) -> impl Iterator<Item = RoleId> + '_ {
        self.assigned(scope.index()).iter().map(move |&r| RoleId {
            scope: scope.0,
            index: ids::exact(r),
        })
    }

    /// Role positions assigned in scope `scope`, as given (empty: none assigned).
    pub(crate) fn assigned(&self, scope: usize) -> &[usize] {
        self.assigned
            .binary_search_by_key(&scope, |&(s, _)| s)
            .ok()
            .and_then(|i| self.assigned.get(i))
            .map_or(&[], |(_, roles)| roles.as_slice())
    }

    /// Each scope the request assigns roles in, with those roles.
    pub(crate) fn assigned_scopes(&self) -> impl Iterator<Item = (usize, &[usize])> + '_ {
        self.assigned
            .iter()
            .map(|(s, roles)| (*s, roles.as_slice()))
    }

    /// The scopes the request names, in scope order.
    pub fn scopes(&self) -> impl Iterator<Item = ScopeId> + '_ {
        self.assigned.iter().map(|&(s, _)| ScopeId::at(s))
    }
}

/// A request's names resolved to ids without allocating for the common
/// request (a few roles, no more than 8): what [`DecisionTable::resolve_request`]
/// and [`DecisionTable::check`] share, so both read names alike and report
/// the same errors. Only the scopes the request names are stored, so the
/// cost does not grow with the number of scopes of the policy.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    pub action: ActionId,
    pub kind: Option<usize>,
    /// Per scope named: (scope, start, end) of its roles in `roles`.
    // Inline sizes for the usual request (one or two scopes, a few roles and
    // facts): `check` moves a `Lookup` out of a `Result`, so its size is time.
    scopes: SmallVec<[(usize, usize, usize); 2]>,
    roles: SmallVec<[usize; 4]>,
    pub facts: FactSet,
    pub given: SmallVec<[usize; 4]>,
    pub target: Option<Targeted>,
}

impl crate::decision::Principal for Lookup {
    fn assigned(&self, scope: usize) -> &[usize] {
        self.scopes
            .iter()
            .find(|&&(s, _, _)| s == scope)
            .and_then(|&(_, start, end)| self.roles.get(start..end))
            .unwrap_or(&[])
    }
    fn kind(&self) -> Option<usize> {
        self.kind
    }
    fn each_assigned(&self, f: &mut dyn FnMut(usize, &[usize]) -> bool) -> bool {
        self.scopes
            .iter()
            .all(|&(s, start, end)| f(s, self.roles.get(start..end).unwrap_or_default()))
    }
    fn target(&self) -> crate::decision::TargetOf<'_> {
        Targeted::as_target(self.target.as_ref())
    }
}

/// A name a request gives that the table does not declare, with the scope
/// it was looked up in: what the help of its error depends on, so a caller
/// answering many lines can keep the help of the ones it met
/// ([`LineEvaluator`](super::LineEvaluator) does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Unknown<'a> {
    Scope(&'a str),
    Action(usize, &'a str),
    Role(usize, &'a str),
    Kind(&'a str),
    Fact(&'a str),
    Setting(&'a str),
}

/// The names of a map of declarations, in declaration order.
fn keys<V>(map: &IndexMap<String, V>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

impl DecisionTable {
    /// The help of the error for an unknown name: a suggestion, else the
    /// names declared where it was looked up.
    pub(crate) fn unknown_help(&self, unknown: Unknown<'_>) -> String {
        let policy = &self.policy;
        let scope = |s: usize| policy.scopes.get_index(s);
        match unknown {
            Unknown::Scope(name) => suggest(name, &keys(&policy.scopes), "scope", "the policy"),
            Unknown::Action(s, name) => {
                // The scope was resolved before the name in it was looked up.
                let (scope_name, actions) = match scope(s) {
                    Some((n, sc)) => (n.as_str(), keys(&sc.actions)),
                    None => (crate::invariant::name_or_missing(None, "scope"), Vec::new()),
                };
                suggest(name, &actions, "action", &format!("scope `{scope_name}`"))
            }
            Unknown::Role(s, name) => {
                // The scope was resolved before the name in it was looked up.
                let (scope_name, roles) = match scope(s) {
                    Some((n, sc)) => (
                        n.as_str(),
                        sc.roles
                            .keys()
                            .enumerate()
                            .filter(|&(r, _)| !sc.is_everyone(r))
                            .map(|(_, n)| n.as_str())
                            .collect(),
                    ),
                    None => (crate::invariant::name_or_missing(None, "scope"), Vec::new()),
                };
                if name == crate::resolve::EVERYONE
                    && scope(s).is_some_and(|(_, sc)| sc.everyone.is_some())
                {
                    return format!(
                        "`everyone` is every principal of scope `{scope_name}`, not a role one holds: to ask for a principal holding no role there, leave the scope out of `principal`"
                    );
                }
                suggest(name, &roles, "role", &format!("scope `{scope_name}`"))
            }
            Unknown::Kind(name) => suggest(name, &keys(&policy.kinds), "kind", "the policy"),
            Unknown::Fact(name) if policy.kinds.contains_key(name) => format!(
                "`{name}` is a kind of principal: give it as the request's `kind`, not in `context`"
            ),
            Unknown::Fact(name) => suggest(name, &keys(&policy.facts), "fact", "the policy"),
            Unknown::Setting(name) if policy.facts.contains_key(name) => {
                format!("`{name}` is a fact: give it `true` or `false`, not a string")
            }
            Unknown::Setting(name) if policy.kinds.contains_key(name) => format!(
                "`{name}` is a kind of principal: give it as the request's `kind`, not in `context`"
            ),
            Unknown::Setting(name) => {
                suggest(name, &keys(&policy.settings), "setting", "the policy")
            }
        }
    }

    /// Resolves every name of `request` (an unknown one is an error, with a
    /// suggestion), checks assignability, and keeps only what was named.
    /// The `Lookup` is built in `slot`, in the caller's frame, and lent back:
    /// moving it out of a `Result` was a tenth of `check`'s time.
    pub(crate) fn lookup<'s>(
        &self,
        request: &Request,
        slot: &'s mut Option<Lookup>,
    ) -> Result<&'s mut Lookup, EvalError> {
        self.lookup_with(request, &mut |unknown| self.unknown_help(unknown), slot)
    }

    /// [`lookup`](Self::lookup), the help of an unknown name's error from `help`.
    #[inline]
    pub(crate) fn lookup_with<'s>(
        &self,
        request: &Request,
        help: &mut dyn FnMut(Unknown<'_>) -> String,
        slot: &'s mut Option<Lookup>,
    ) -> Result<&'s mut Lookup, EvalError> {
        let policy = &self.policy;
        let names = &self.names;
        // A byte scan: names are short, and `split_once`'s searcher costs
        // more than the scan on them.
        let colon = request.action.bytes().position(|b| b == b':');
        let (scope_name, action_name) = colon
            .and_then(|i| Some((request.action.get(..i)?, request.action.get(i + 1..)?)))
            .ok_or_else(|| EvalError::ActionFormat(request.action.clone()))?;
        let scope_index = names
            .scope(scope_name)
            .ok_or_else(|| EvalError::UnknownScope {
                scope: scope_name.to_string(),
                help: help(Unknown::Scope(scope_name)),
            })?;
        let action = self.action_id_at(scope_index, action_name).ok_or_else(|| {
            EvalError::UnknownAction {
                scope: scope_name.to_string(),
                action: action_name.to_string(),
                help: help(Unknown::Action(scope_index, action_name)),
            }
        })?;
        let kind = match &request.kind {
            None => None,
            Some(kind) => Some(names.kind(kind).ok_or_else(|| EvalError::UnknownKind {
                kind: kind.clone(),
                help: help(Unknown::Kind(kind)),
            })?),
        };
        let lookup = slot.insert(Lookup {
            action,
            kind,
            scopes: SmallVec::new(),
            roles: SmallVec::new(),
            facts: FactSet::new(),
            given: SmallVec::new(),
            target: None,
        });
        for (scope, roles) in &request.principal {
            // Usually the action's own scope, already found.
            let known = crate::compile::names::same(scope.as_bytes(), scope_name.as_bytes())
                .then_some(scope_index);
            let s =
                known
                    .or_else(|| names.scope(scope))
                    .ok_or_else(|| EvalError::UnknownScope {
                        scope: scope.clone(),
                        help: help(Unknown::Scope(scope)),
                    })?;
            let Some((_, sc)) = policy.scopes.get_index(s) else {
                continue;
            };
            let start = lookup.roles.len();
            for role in roles {
                let r = self.held_role(s, sc, scope, role, help)?;
                if !lookup
                    .roles
                    .get(start..)
                    .is_some_and(|run| run.contains(&r))
                {
                    lookup.roles.push(r);
                }
            }
            lookup.scopes.push((s, start, lookup.roles.len()));
        }
        if let Some(k) = kind {
            // Conditions read the kind as a variable (`kind is …`).
            let atom = policy
                .kind_atom(k)
                .ok_or(EvalError::Internal("a kind without its condition variable"))?;
            lookup.facts.set(atom, true);
        }
        for (fact, value) in &request.context {
            let Some(f) = names.fact(fact) else {
                if let Some(setting) = policy.settings.get(fact.as_str()) {
                    return Err(EvalError::SettingNotString {
                        setting: fact.clone(),
                        allowed: setting.values.keys().cloned().collect(),
                    });
                }
                return Err(EvalError::UnknownFact {
                    fact: fact.clone(),
                    help: help(Unknown::Fact(fact)),
                });
            };
            lookup.facts.set(f, *value);
            lookup.given.push(f);
        }
        // Out of line: most requests give no setting and no kind, and a
        // smaller `lookup_with` keeps its name lookups inlined.
        if !request.settings.is_empty() {
            self.read_settings(request, help, lookup)?;
        }
        if request.kind.is_some() {
            self.check_assignable(request, kind, lookup)?;
        }
        if self.is_targeted(action) || request.target.is_some() {
            lookup.target = self.resolve_target(request, action, help, &lookup.facts)?;
            // Conditions read the target's kind as a variable (`target kind is …`).
            if let Some(Targeted::Other(ResolvedTarget { kind: Some(k), .. })) = &lookup.target {
                let atom = self
                    .policy
                    .target_kind_atom(*k)
                    .ok_or(EvalError::Internal("a kind without its target variable"))?;
                lookup.facts.set(atom, true);
            }
        }
        Ok(lookup)
    }

    /// A role a request holds in scope `s` (named `scope`), by name:
    /// unknown, or `everyone` (which no one holds), is an error.
    #[inline]
    fn held_role(
        &self,
        s: usize,
        sc: &crate::resolve::Scope,
        scope: &str,
        role: &str,
        help: &mut dyn FnMut(Unknown<'_>) -> String,
    ) -> Result<usize, EvalError> {
        self.names
            .role(s, role)
            .filter(|&r| !sc.is_everyone(r))
            .ok_or_else(|| EvalError::UnknownRole {
                scope: scope.to_string(),
                role: role.to_string(),
                help: help(Unknown::Role(s, role)),
            })
    }

    /// A targeted action's `target`, resolved (unknown names are errors, as
    /// the principal's are); a missing one, or one for a plain action, is
    /// an error.
    #[inline(never)]
    fn resolve_target(
        &self,
        request: &Request,
        action: ActionId,
        help: &mut dyn FnMut(Unknown<'_>) -> String,
        facts: &FactSet,
    ) -> Result<Option<Targeted>, EvalError> {
        let names = &self.names;
        let targeted = self.is_targeted(action);
        let other = match (&request.target, targeted) {
            (None, true) => {
                return Err(EvalError::TargetRequired {
                    action: request.action.clone(),
                });
            }
            (Some(_), false) => {
                return Err(EvalError::TargetNotAllowed {
                    action: request.action.clone(),
                });
            }
            (None, false) => return Ok(None),
            (Some(RequestTarget::Myself), true) => return Ok(Some(Targeted::Myself)),
            (Some(RequestTarget::Other { principal, kind }), true) => (principal, kind),
        };
        let (principal, kind_name) = other;
        let kind = match kind_name {
            None => None,
            Some(kind) => Some(names.kind(kind).ok_or_else(|| EvalError::UnknownKind {
                kind: kind.clone(),
                help: help(Unknown::Kind(kind)),
            })?),
        };
        let mut assigned: Vec<(usize, Vec<usize>)> = Vec::with_capacity(principal.len());
        for (scope, roles) in principal {
            let s = names.scope(scope).ok_or_else(|| EvalError::UnknownScope {
                scope: scope.clone(),
                help: help(Unknown::Scope(scope)),
            })?;
            let Some((_, sc)) = self.policy.scopes.get_index(s) else {
                continue;
            };
            let mut ids = Vec::with_capacity(roles.len());
            for role in roles {
                let r = self.held_role(s, sc, scope, role, help)?;
                if !ids.contains(&r) {
                    ids.push(r);
                }
            }
            if let (Some(k), Some(kind_name)) = (kind, kind_name) {
                if let Some(allowed) = self.assignable_list(s, k, facts) {
                    if let Some(&r) = ids.iter().find(|r| !allowed.roles.contains(r)) {
                        return Err(EvalError::NotAssignable {
                            kind: kind_name.clone(),
                            scope: scope.clone(),
                            role: sc.role_name(r),
                            allowed: allowed.roles.iter().map(|&i| sc.role_name(i)).collect(),
                        });
                    }
                }
            }
            assigned.push((s, ids));
        }
        assigned.sort_unstable_by_key(|&(s, _)| s);
        Ok(Some(Targeted::Other(ResolvedTarget { assigned, kind })))
    }

    /// The settings a request gives, into `lookup` (an unknown one, or an
    /// unknown value, is an error).
    #[inline(never)]
    fn read_settings(
        &self,
        request: &Request,
        help: &mut dyn FnMut(Unknown<'_>) -> String,
        lookup: &mut Lookup,
    ) -> Result<(), EvalError> {
        let policy = &self.policy;
        for (name, value) in &request.settings {
            if policy.facts.contains_key(name.as_str()) {
                return Err(EvalError::Shape(ShapeError::FactNotBool {
                    fact: name.clone(),
                }));
            }
            let Some((s, _, setting)) = policy.settings.get_full(name.as_str()) else {
                return Err(EvalError::UnknownSetting {
                    setting: name.clone(),
                    help: help(Unknown::Setting(name)),
                });
            };
            let v = setting.values.get_index_of(value.as_str()).ok_or_else(|| {
                EvalError::UnknownSettingValue {
                    setting: name.clone(),
                    value: value.clone(),
                    allowed: setting.values.keys().cloned().collect(),
                }
            })?;
            if let Some(atom) = setting.atoms.get(v).copied().flatten() {
                lookup.facts.set(atom, true);
            }
            lookup.given.extend(policy.setting_atoms(s));
        }
        Ok(())
    }

    /// Every role a request of a kind assigns, against the kind's
    /// `assignable` line its context picks (after the context: a line's
    /// condition may read it).
    #[inline(never)]
    fn check_assignable(
        &self,
        request: &Request,
        kind: Option<usize>,
        lookup: &Lookup,
    ) -> Result<(), EvalError> {
        let policy = &self.policy;
        if let (Some(k), Some(kind_name)) = (kind, &request.kind) {
            for &(s, start, end) in &lookup.scopes {
                let Some(allowed) = self.assignable_list(s, k, &lookup.facts) else {
                    continue;
                };
                let held = lookup.roles.get(start..end).unwrap_or_default();
                if let Some(&r) = held.iter().find(|r| !allowed.roles.contains(r)) {
                    let sc = policy.scopes.get_index(s);
                    let (scope_name, sc) =
                        sc.ok_or(EvalError::Internal("an assigned scope the policy lacks"))?;
                    return Err(EvalError::NotAssignable {
                        kind: kind_name.clone(),
                        scope: scope_name.clone(),
                        role: sc.role_name(r),
                        allowed: allowed.roles.iter().map(|&i| sc.role_name(i)).collect(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Resolves names to ids. Every unknown name is an error, never a silent deny.
    pub fn resolve_request(&self, request: &Request) -> Result<ResolvedRequest, EvalError> {
        self.resolve_request_with(request, &mut |unknown| self.unknown_help(unknown))
    }

    /// [`resolve_request`](Self::resolve_request), the help of an unknown name's error from `help`.
    pub(crate) fn resolve_request_with(
        &self,
        request: &Request,
        help: &mut dyn FnMut(Unknown<'_>) -> String,
    ) -> Result<ResolvedRequest, EvalError> {
        let mut slot = None;
        let lookup = self.lookup_with(request, help, &mut slot)?;
        // A scope is named once (the principal is a map), so the keys are distinct.
        let mut assigned: Vec<(usize, Vec<usize>)> = lookup
            .scopes
            .iter()
            .filter_map(|&(s, start, end)| Some((s, lookup.roles.get(start..end)?.to_vec())))
            .collect();
        assigned.sort_unstable_by_key(|&(s, _)| s);
        Ok(ResolvedRequest {
            assigned,
            kind: lookup.kind,
            action: lookup.action,
            facts: std::mem::take(&mut lookup.facts),
            given: lookup.given.to_vec(),
            target: lookup.target.take(),
        })
    }
}
