//! Reads a JSON request straight into ids, through the one request reader
//! (`eval/reader.rs`) with a sink that looks each name up as the parser meets
//! it: nothing is allocated, and anything unusual (an unknown name, a
//! repeated key, a wrong type) stops the reading and sends the line to the
//! general path, which says exactly what is wrong.

use crate::compile::{ActionId, DecisionTable, FactSet};
use crate::eval::reader::{self, Invalid, RequestSink, Stop};

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
    /// Facts the request gave a value for (for a setting, all its variables).
    pub given: Vec<usize>,
    /// The setting named last in `context`, whose value comes next.
    setting: Option<usize>,
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
        self.setting = None;
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
}

/// Parses `line` into `out`; `false` when the general path must answer it.
pub(super) fn parse(table: &DecisionTable, line: &str, out: &mut Parsed) -> bool {
    out.reset(table.policy.scopes.len());
    let mut de = serde_json::Deserializer::from_str(line);
    reader::read(&mut de, &mut Ids { table, out }).is_ok() && de.end().is_ok()
}

/// The fast path's sink: each name resolved as the reader meets it, and a
/// stop at anything unusual.
struct Ids<'a> {
    table: &'a DecisionTable,
    out: &'a mut Parsed,
}

impl RequestSink for Ids<'_> {
    fn scope(&mut self, name: &str) -> Result<(), Stop> {
        let scope = self.table.scope_index(name).ok_or(Stop)?;
        self.out.start_scope(scope).then_some(()).ok_or(Stop)
    }
    fn role(&mut self, name: &str) -> Result<(), Stop> {
        let out = &mut *self.out;
        let &mut (scope, start, ref mut end) = out.scopes.last_mut().ok_or(Stop)?;
        let role = self.table.role_id_at(scope, name).ok_or(Stop)?.index();
        // `everyone` is a column, not a role one holds: the general path says so.
        let everyone = self
            .table
            .policy
            .scopes
            .get_index(scope)
            .and_then(|(_, s)| s.everyone);
        if everyone == Some(role) {
            return Err(Stop);
        }
        if !out
            .roles
            .get(start..)
            .is_some_and(|run| run.contains(&role))
        {
            out.roles.push(role);
            *end = out.roles.len();
        }
        Ok(())
    }
    fn kind(&mut self, name: &str) -> Result<(), Stop> {
        let kind = self.table.kind_index(name).ok_or(Stop)?;
        self.out.kind = Some(kind);
        // Conditions read the kind as a variable (`kind is …`).
        self.out
            .facts
            .set(self.table.policy.kind_atom(kind).ok_or(Stop)?, true);
        Ok(())
    }
    fn action(&mut self, action: &str) -> Result<(), Stop> {
        // `split_once(':')`, with one SIMD search instead of a char searcher.
        let colon = memchr::memchr(b':', action.as_bytes()).ok_or(Stop)?;
        let scope = action.get(..colon).ok_or(Stop)?;
        let name = action.get(colon + 1..).ok_or(Stop)?;
        let action = self.table.action_id(scope, name).ok_or(Stop)?;
        // A targeted action names its target: the general path reads it
        // (and reports a missing one).
        if self.table.is_targeted(action) {
            return Err(Stop);
        }
        self.out.action = Some(action);
        Ok(())
    }
    fn fact(&mut self, name: &str) -> Result<(), Stop> {
        self.out.setting = None;
        let Some(fact) = self.table.fact_index(name) else {
            // A setting: its value comes as a string ([`choice`](Self::choice)).
            let policy = &self.table.policy;
            let s = policy.settings.get_index_of(name).ok_or(Stop)?;
            let first = policy.setting_atoms(s).next().ok_or(Stop)?;
            // Given twice: the general path reports the duplicate key.
            if self.out.given.contains(&first) {
                return Err(Stop);
            }
            self.out.given.extend(policy.setting_atoms(s));
            self.out.setting = Some(s);
            return Ok(());
        };
        // Given twice: the general path reports the duplicate key.
        if self.out.given.contains(&fact) {
            return Err(Stop);
        }
        self.out.given.push(fact);
        Ok(())
    }
    fn truth(&mut self, value: bool) -> Result<(), Stop> {
        // A boolean for a setting: the general path words the error.
        if self.out.setting.is_some() {
            return Err(Stop);
        }
        let &fact = self.out.given.last().ok_or(Stop)?;
        self.out.facts.set(fact, value);
        Ok(())
    }
    fn choice(&mut self, value: &str) -> Result<(), Stop> {
        // A string for a fact, or an unknown value: the general path words the error.
        let s = self.out.setting.take().ok_or(Stop)?;
        let (_, setting) = self.table.policy.settings.get_index(s).ok_or(Stop)?;
        let v = setting.values.get_index_of(value).ok_or(Stop)?;
        // The default value is none of the setting's variables.
        if let Some(atom) = setting.atoms.get(v).copied().flatten() {
            self.out.facts.set(atom, true);
        }
        Ok(())
    }
    fn invalid(&mut self, _: Invalid<'_>) -> Result<(), Stop> {
        Err(Stop)
    }
}
