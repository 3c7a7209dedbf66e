//! Reads a JSON request straight into ids: every name is looked up as the
//! parser meets it, nothing is allocated, and anything unusual (an unknown
//! name, a repeated key, a wrong type) is an error that sends the line to the
//! general path, which says exactly what is wrong.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::compile::{ActionId, DecisionTable, FactSet};

/// What a request resolves to, in storage reused from line to line. Only
/// the scopes a line names are stored and reset, so a line costs the same
/// whatever the number of scopes of the policy.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// Per scope named, in the order given: (scope, start, end) of its roles in `roles`.
    pub scopes: Vec<(usize, usize, usize)>,
    /// The roles assigned, scope after scope, without repeats within a scope.
    pub roles: Vec<usize>,
    /// Per scope of the table: the number of the line that last named it
    /// and its place in `scopes` then. Sized once per table; a line's
    /// number going up is what forgets the previous line's scopes.
    slots: Vec<(u32, usize)>,
    line: u32,
    pub kind: Option<usize>,
    pub action: Option<ActionId>,
    pub facts: FactSet,
    /// Facts the request gave a value for.
    pub given: Vec<usize>,
}

impl Parsed {
    fn reset(&mut self, scopes: usize) {
        if self.slots.len() != scopes {
            self.slots.clear();
            self.slots.resize(scopes, (0, 0));
            self.line = 0;
        }
        self.line = self.line.wrapping_add(1);
        if self.line == 0 {
            // After 2^32 lines: forget every stamp once, rather than mistake an old one.
            self.slots.iter_mut().for_each(|slot| *slot = (0, 0));
            self.line = 1;
        }
        self.scopes.clear();
        self.roles.clear();
        self.kind = None;
        self.action = None;
        self.facts.clear();
        self.given.clear();
    }

    /// Role indexes assigned in `scope` by this line (empty: none).
    pub fn roles_in(&self, scope: usize) -> &[usize] {
        match self.slots.get(scope) {
            Some(&(line, at)) if line == self.line => self
                .scopes
                .get(at)
                .and_then(|&(_, start, end)| self.roles.get(start..end))
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Starts the roles of `scope`; `false` when the line named it already
    /// (or it is no scope of the table), which is unusual.
    fn start_scope(&mut self, scope: usize) -> bool {
        let (line, at) = (self.line, self.scopes.len());
        match self.slots.get_mut(scope) {
            Some(slot) if slot.0 != line => {
                *slot = (line, at);
                let start = self.roles.len();
                self.scopes.push((scope, start, start));
                true
            }
            _ => false,
        }
    }

    /// Ends the roles of the scope started last.
    fn end_scope(&mut self) {
        let end = self.roles.len();
        if let Some(last) = self.scopes.last_mut() {
            last.2 = end;
        }
    }
}

/// Parses `line` into `out`; `false` when the general path must answer it.
pub(super) fn parse(table: &DecisionTable, line: &str, out: &mut Parsed) -> bool {
    out.reset(table.policy.scopes.len());
    let mut de = serde_json::Deserializer::from_str(line);
    RequestSeed { table, out }.deserialize(&mut de).is_ok() && de.end().is_ok()
}

fn unusual<E: de::Error>() -> E {
    E::custom("left to the general path")
}

/// The fields of a request; `Principal` first (`seen` relies on it).
#[derive(Clone, Copy, Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Principal,
    Kind,
    Action,
    Context,
}

struct RequestSeed<'a> {
    table: &'a DecisionTable,
    out: &'a mut Parsed,
}

impl<'de> DeserializeSeed<'de> for RequestSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RequestSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a request object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (table, out) = (self.table, self.out);
        let mut seen = [false; 4];
        while let Some(field) = map.next_key::<Field>()? {
            let Some(slot) = seen.get_mut(field as usize) else {
                return Err(unusual());
            };
            if std::mem::replace(slot, true) {
                return Err(unusual());
            }
            match field {
                Field::Principal => map.next_value_seed(PrincipalSeed { table, out })?,
                Field::Kind => map.next_value_seed(KindSeed { table, out })?,
                Field::Action => map.next_value_seed(ActionSeed { table, out })?,
                Field::Context => map.next_value_seed(ContextSeed { table, out })?,
            }
        }
        if out.action.is_none() || seen.first() != Some(&true) {
            return Err(unusual());
        }
        Ok(())
    }
}

/// A name resolved by the function as soon as it is read.
struct NameSeed<F>(F);

/// Pins the closure's argument to any lifetime (inference alone picks one).
fn name<F: FnOnce(&str) -> Option<usize>>(resolve: F) -> NameSeed<F> {
    NameSeed(resolve)
}

impl<'de, F: FnOnce(&str) -> Option<usize>> DeserializeSeed<'de> for NameSeed<F> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, F: FnOnce(&str) -> Option<usize>> Visitor<'de> for NameSeed<F> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        (self.0)(v).ok_or_else(unusual)
    }
}

struct PrincipalSeed<'a> {
    table: &'a DecisionTable,
    out: &'a mut Parsed,
}

impl<'de> DeserializeSeed<'de> for PrincipalSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PrincipalSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("scopes to roles")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let table = self.table;
        while let Some(scope) = map.next_key_seed(name(|n| table.scope_index(n)))? {
            if !self.out.start_scope(scope) {
                return Err(unusual());
            }
            let start = self.out.roles.len();
            map.next_value_seed(RolesSeed {
                table,
                scope,
                roles: &mut self.out.roles,
                start,
            })?;
            self.out.end_scope();
        }
        Ok(())
    }
}

/// A role name or an array of role names, of one scope: pushed to `roles`
/// after `start`, without repeats.
struct RolesSeed<'a> {
    table: &'a DecisionTable,
    scope: usize,
    roles: &'a mut Vec<usize>,
    start: usize,
}

impl RolesSeed<'_> {
    fn push(&mut self, role: usize) {
        if !self
            .roles
            .get(self.start..)
            .is_some_and(|run| run.contains(&role))
        {
            self.roles.push(role);
        }
    }

    fn add<E: de::Error>(&mut self, name: &str) -> Result<(), E> {
        let role = self
            .table
            .role_id_at(self.scope, name)
            .ok_or_else(unusual)?;
        self.push(role.index());
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for RolesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RolesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a role or an array of roles")
    }
    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.add(v)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let (table, scope) = (self.table, self.scope);
        while let Some(role) =
            seq.next_element_seed(name(|n| table.role_id_at(scope, n).map(|r| r.index())))?
        {
            self.push(role);
        }
        Ok(())
    }
}

struct KindSeed<'a> {
    table: &'a DecisionTable,
    out: &'a mut Parsed,
}

impl<'de> DeserializeSeed<'de> for KindSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KindSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kind or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.out.kind = Some(self.table.kind_index(v).ok_or_else(unusual)?);
        Ok(())
    }
}

struct ActionSeed<'a> {
    table: &'a DecisionTable,
    out: &'a mut Parsed,
}

impl<'de> DeserializeSeed<'de> for ActionSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ActionSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("scope:action")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let (scope, action) = v.split_once(':').ok_or_else(unusual)?;
        self.out.action = Some(self.table.action_id(scope, action).ok_or_else(unusual)?);
        Ok(())
    }
}

struct ContextSeed<'a> {
    table: &'a DecisionTable,
    out: &'a mut Parsed,
}

impl<'de> DeserializeSeed<'de> for ContextSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ContextSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("facts to booleans, or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let table = self.table;
        while let Some(fact) = map.next_key_seed(name(|n| table.fact_index(n)))? {
            // A fact given twice: the general path reports the duplicate key.
            if self.out.given.contains(&fact) {
                return Err(unusual());
            }
            let value: bool = map.next_value()?;
            self.out.facts.set(fact, value);
            self.out.given.push(fact);
        }
        Ok(())
    }
}
