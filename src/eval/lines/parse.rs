//! Reads a JSON request straight into ids: every name is looked up as the
//! parser meets it, nothing is allocated, and anything unusual (an unknown
//! name, a repeated key, a wrong type) is an error that sends the line to the
//! general path, which says exactly what is wrong.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::compile::{ActionId, DecisionTable, FactSet};

/// What a request resolves to, in storage reused from line to line.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// Role indexes assigned, per scope index, without repeats, in order given.
    pub assigned: Vec<Vec<usize>>,
    /// Whether the principal named each scope (a scope named twice is unusual).
    pub named: Vec<bool>,
    pub kind: Option<usize>,
    pub action: Option<ActionId>,
    pub facts: FactSet,
    /// Facts the request gave a value for.
    pub given: Vec<usize>,
}

impl Parsed {
    fn reset(&mut self, scopes: usize) {
        self.assigned.resize_with(scopes, Vec::new);
        self.assigned.iter_mut().for_each(Vec::clear);
        self.named.clear();
        self.named.resize(scopes, false);
        self.kind = None;
        self.action = None;
        self.facts.clear();
        self.given.clear();
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
            let Some(named) = self.out.named.get_mut(scope) else {
                return Err(unusual());
            };
            if std::mem::replace(named, true) {
                return Err(unusual());
            }
            let Some(list) = self.out.assigned.get_mut(scope) else {
                return Err(unusual());
            };
            map.next_value_seed(RolesSeed { table, scope, list })?;
        }
        Ok(())
    }
}

/// A role name or an array of role names, of one scope.
struct RolesSeed<'a> {
    table: &'a DecisionTable,
    scope: usize,
    list: &'a mut Vec<usize>,
}

impl RolesSeed<'_> {
    fn add<E: de::Error>(&mut self, name: &str) -> Result<(), E> {
        let role = self
            .table
            .role_id_in(self.scope, name)
            .ok_or_else(unusual)?;
        if !self.list.contains(&role.index()) {
            self.list.push(role.index());
        }
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
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (table, scope) = (self.table, self.scope);
        while let Some(role) =
            seq.next_element_seed(name(|n| table.role_id_in(scope, n).map(|r| r.index())))?
        {
            if !self.list.contains(&role) {
                self.list.push(role);
            }
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
