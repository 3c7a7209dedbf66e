//! Answering JSON-lines requests fast, with the same bytes as
//! `serde_json::to_string(&table.evaluate(&Request::from_json(line)?)?)`.
//!
//! The general path builds a `serde_json::Value`, a [`Request`] of owned
//! strings, a [`ResolvedRequest`](super::ResolvedRequest) and an [`Answer`](super::Answer), each
//! allocating. Here a request is read straight into ids in storage reused
//! from line to line (`parse`), evaluated from ids, and its answer written
//! into the caller's buffer from texts computed once per table (rule
//! locations, rule texts, override texts, the facts each action's decision
//! can turn on). A line the fast path does not take (invalid JSON, an unknown
//! name, an unusual shape) goes to the general path, so errors read the same.

mod json;
mod parse;

use std::collections::VecDeque;

use super::{EvalError, Request, RoleSource};
use crate::compile::{ActionId, DecisionTable, FactSet};
use crate::resolve::Subject;
use crate::syntax::ast::Effect;
use json::escaped;
use parse::Parsed;

/// Answers request lines against one table, reusing its storage between lines.
pub struct LineEvaluator<'t> {
    table: &'t DecisionTable,
    texts: Texts,
    parsed: Parsed,
    scratch: Scratch,
}

/// Per-table texts and lookups, computed once; every text JSON-escaped.
struct Texts {
    scope_names: Vec<Vec<u8>>,
    /// Per scope, per role.
    role_names: Vec<Vec<Vec<u8>>>,
    /// Per scope, per action.
    action_names: Vec<Vec<Vec<u8>>>,
    fact_names: Vec<Vec<u8>>,
    /// Per rule: `file:line`, escaped.
    rule_at: Vec<Vec<u8>>,
    /// Per rule: `allow a, b to `, escaped (the action follows).
    rule_head: Vec<Vec<u8>>,
    /// Per rule: `, …` when it names several actions, then ` when condition`, escaped.
    rule_tail: Vec<Vec<u8>>,
    /// Per override: `file:line`, escaped.
    override_at: Vec<Vec<u8>>,
    /// Per override: as written, escaped.
    override_text: Vec<Vec<u8>>,
    /// Per scope, per action: the facts its decision can turn on, sorted.
    relevant: Vec<Vec<Vec<usize>>>,
    /// Per scope: the default role, as a list of at most one (`None`: no default).
    scope_default: Vec<Option<Vec<usize>>>,
    /// Per scope, per kind: the kind's default, as a list of at most one.
    kind_default: Vec<Vec<Option<Vec<usize>>>>,
    /// Per scope, per kind: which roles the kind may be assigned (`None`: any).
    assignable: Vec<Vec<Option<Vec<bool>>>>,
}

/// Buffers reused from line to line.
#[derive(Default)]
struct Scratch {
    roles: Vec<usize>,
    trial_roles: Vec<usize>,
    trial_facts: FactSet,
    path: Vec<usize>,
    came_from: Vec<Option<usize>>,
    seen: Vec<bool>,
    queue: VecDeque<usize>,
}

/// What an evaluation found; the effective roles are in `Scratch::roles`.
#[derive(Debug, Clone, Copy)]
struct Found {
    effect: Effect,
    source: RoleSource,
    held_first: Option<usize>,
    override_applied: Option<usize>,
    rule: Option<usize>,
    deciding_role: Option<usize>,
}

impl<'t> LineEvaluator<'t> {
    /// Prepares the texts of `table`'s answers.
    pub fn new(table: &'t DecisionTable) -> Self {
        LineEvaluator {
            table,
            texts: Texts::new(table),
            parsed: Parsed::default(),
            scratch: Scratch::default(),
        }
    }

    /// Appends the answer to one request line (JSON, without its newline) to
    /// `out`; on error, leaves `out` as it was and says what is wrong, in the
    /// words of [`EvalError`].
    pub fn answer(&mut self, line: &str, out: &mut Vec<u8>) -> Result<(), String> {
        if line.trim().is_empty() {
            return Err("empty line: expected a JSON request".to_string());
        }
        if parse::parse(self.table, line, &mut self.parsed)
            && self.assignable()
            && self.write_answer(out)
        {
            return Ok(());
        }
        let general = |line: &str| -> Result<super::Answer, EvalError> {
            self.table.evaluate(&Request::from_json(line)?)
        };
        let answer = general(line).map_err(|e| e.to_string())?;
        serde_json::to_writer(out, &answer).map_err(|e| e.to_string())
    }

    /// Whether every assigned role may be held by the request's kind.
    fn assignable(&self) -> bool {
        let Some(kind) = self.parsed.kind else {
            return true;
        };
        self.parsed.assigned.iter().enumerate().all(|(s, roles)| {
            match self.texts.assignable.get(s).and_then(|k| k.get(kind)) {
                Some(Some(allowed)) => roles.iter().all(|&r| allowed.get(r) == Some(&true)),
                _ => true,
            }
        })
    }

    /// The roles held in scope `s` before overrides, and where they come from.
    fn held(&self, s: usize) -> (&[usize], RoleSource) {
        let p = &self.parsed;
        if let Some(assigned) = p.assigned.get(s).filter(|a| !a.is_empty()) {
            return (assigned, RoleSource::Assigned);
        }
        let t = &self.texts;
        if let Some(Some(d)) = p
            .kind
            .and_then(|k| t.kind_default.get(s).and_then(|ks| ks.get(k)))
        {
            return (d, RoleSource::KindDefault);
        }
        match t.scope_default.get(s) {
            Some(Some(d)) => (d, RoleSource::ScopeDefault),
            _ => (&[], RoleSource::Nothing),
        }
    }

    /// Evaluates the parsed request with `facts`, leaving the effective roles in `roles`.
    fn evaluate(&self, action: ActionId, facts: &FactSet, roles: &mut Vec<usize>) -> Found {
        let table = self.table;
        let scope = action.scope();
        let (held, source) = self.held(scope);
        let override_applied = table
            .policy
            .overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.scope == scope)
            .find(|&(i, o)| {
                let subject = match o.subject {
                    Subject::Role { scope, .. } => self
                        .held(scope)
                        .0
                        .iter()
                        .any(|&r| table.override_triggered_by_role(i, r)),
                    Subject::Fact(f) => facts.get(f),
                };
                subject
                    && o.condition
                        .as_ref()
                        .is_none_or(|c| c.expr.eval(&|f| facts.get(f)))
            });
        roles.clear();
        match override_applied {
            Some((_, o)) => roles.push(o.role),
            None => roles.extend_from_slice(held),
        }
        roles.sort_unstable();
        roles.dedup();
        let mut found = Found {
            effect: Effect::Deny,
            source,
            held_first: held.first().copied(),
            override_applied: override_applied.map(|(i, _)| i),
            rule: None,
            deciding_role: None,
        };
        for &role in roles.iter() {
            let Some(role_id) = table.role_at(scope, role) else {
                continue;
            };
            let outcome = table.decide(action, role_id, facts);
            match (outcome.effect, outcome.rule) {
                (Effect::Allow, rule) => {
                    found.effect = Effect::Allow;
                    found.rule = rule;
                    found.deciding_role = Some(role);
                    return found;
                }
                (Effect::Deny, Some(rule)) if found.rule.is_none() => {
                    found.rule = Some(rule);
                    found.deciding_role = Some(role);
                }
                _ => {}
            }
        }
        if found.deciding_role.is_none() {
            found.deciding_role = roles.first().copied();
        }
        found
    }

    /// Writes the answer; `false` (with nothing written) when it cannot.
    fn write_answer(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(action) = self.parsed.action else {
            return false;
        };
        let mut roles = std::mem::take(&mut self.scratch.roles);
        let found = self.evaluate(action, &self.parsed.facts, &mut roles);
        let table = self.table;
        let policy = &table.policy;
        let rule = found.rule.filter(|&r| r < policy.rules.len());
        // The inheritance path, when the deciding role inherits the rule.
        let mut path = std::mem::take(&mut self.scratch.path);
        path.clear();
        if let (Some(role), Some(r)) = (found.deciding_role, rule) {
            self.inheritance_path(action.scope(), role, r, &mut path);
        }
        let t = &self.texts;
        let (Some(scope_name), Some(role_names), Some(action_name)) = (
            t.scope_names.get(action.scope()),
            t.role_names.get(action.scope()),
            t.action_names
                .get(action.scope())
                .and_then(|a| a.get(action.index())),
        ) else {
            self.scratch.roles = roles;
            self.scratch.path = path;
            return false;
        };
        let role_name = |r: usize| role_names.get(r).map_or(&[][..], Vec::as_slice);
        let names = |out: &mut Vec<u8>, list: &[usize]| {
            out.push(b'[');
            for (i, &r) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(role_name(r));
                out.push(b'"');
            }
            out.push(b']');
        };

        out.extend_from_slice(b"{\"decision\":\"");
        out.extend_from_slice(found.effect.as_str().as_bytes());
        out.extend_from_slice(b"\",\"action\":\"");
        out.extend_from_slice(scope_name);
        out.push(b':');
        out.extend_from_slice(action_name);
        out.extend_from_slice(b"\",\"roles\":");
        names(out, &roles);
        out.extend_from_slice(b",\"rule\":");
        match rule.and_then(|r| t.rule_at.get(r)) {
            Some(at) => {
                out.push(b'"');
                out.extend_from_slice(at);
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }

        let via = path.len() > 1;

        out.extend_from_slice(b",\"reason\":\"");
        if roles.is_empty() {
            out.extend_from_slice(b"denied: the principal holds no role in scope `");
            out.extend_from_slice(scope_name);
            out.extend_from_slice(match found.source {
                RoleSource::Nothing => b"` (no role is assigned and the scope has no default)",
                _ => b"` (the default is `none` (no access))",
            });
        } else if let Some(r) = rule {
            out.extend_from_slice(match found.effect {
                Effect::Allow => b"allowed: ",
                Effect::Deny => b"denied: ",
            });
            if let Some(d) = found.deciding_role {
                out.extend_from_slice(role_name(d));
                if let Some(text) = found.override_applied.and_then(|o| t.override_text.get(o)) {
                    out.extend_from_slice(b" (by override `");
                    out.extend_from_slice(text);
                    out.extend_from_slice(b"`)");
                }
            }
            out.extend_from_slice(b" matches `");
            out.extend_from_slice(t.rule_head.get(r).map_or(&[][..], Vec::as_slice));
            out.extend_from_slice(action_name);
            out.extend_from_slice(t.rule_tail.get(r).map_or(&[][..], Vec::as_slice));
            out.extend_from_slice(b"` at ");
            out.extend_from_slice(t.rule_at.get(r).map_or(&[][..], Vec::as_slice));
            if via {
                out.extend_from_slice(", inherited through ".as_bytes());
                let elided = super::path_elision(path.len());
                for (i, &p) in path.iter().enumerate() {
                    if let Some((shown, hidden)) = elided {
                        if i == shown {
                            out.extend_from_slice(format!(" → … ({hidden} more)").as_bytes());
                        }
                        if (shown..shown + hidden).contains(&i) {
                            continue;
                        }
                    }
                    if i > 0 {
                        out.extend_from_slice(" → ".as_bytes());
                    }
                    out.extend_from_slice(role_name(p));
                }
            }
        } else {
            out.extend_from_slice(b"denied: no rule allows `");
            out.extend_from_slice(action_name);
            out.extend_from_slice(b"` for ");
            for (i, &r) in roles.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(role_name(r));
            }
            out.extend_from_slice(b" (default deny)");
        }

        out.extend_from_slice(b"\",\"assigned\":");
        names(
            out,
            self.parsed
                .assigned
                .get(action.scope())
                .map_or(&[][..], Vec::as_slice),
        );
        out.extend_from_slice(b",\"default\":");
        match found.source {
            RoleSource::KindDefault | RoleSource::ScopeDefault => {
                out.push(b'"');
                out.extend_from_slice(found.held_first.map_or(b"none", role_name));
                out.push(b'"');
            }
            _ => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"override\":");
        match found.override_applied {
            Some(o) => {
                out.extend_from_slice(b"{\"at\":\"");
                out.extend_from_slice(t.override_at.get(o).map_or(&[][..], Vec::as_slice));
                out.extend_from_slice(b"\",\"text\":\"");
                out.extend_from_slice(t.override_text.get(o).map_or(&[][..], Vec::as_slice));
                out.extend_from_slice(b"\"}");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"via\":");
        if via {
            names(out, &path);
        } else {
            out.extend_from_slice(b"null");
        }
        out.extend_from_slice(b",\"would_change\":[");
        self.would_change(action, found.effect, out);
        out.extend_from_slice(b"]}");
        self.scratch.roles = roles;
        self.scratch.path = path;
        true
    }

    /// Writes the names of the facts that were missing (so false) and, set
    /// true one at a time, would change the decision, as JSON strings.
    fn would_change(&mut self, action: ActionId, current: Effect, out: &mut Vec<u8>) {
        let Some(relevant) = self
            .texts
            .relevant
            .get(action.scope())
            .and_then(|s| s.get(action.index()))
        else {
            return;
        };
        let mut first = true;
        let mut trial = std::mem::take(&mut self.scratch.trial_facts);
        let mut roles = std::mem::take(&mut self.scratch.trial_roles);
        for &f in relevant {
            if self.parsed.given.contains(&f) {
                continue;
            }
            trial.copy_from(&self.parsed.facts);
            trial.set(f, true);
            if self.evaluate(action, &trial, &mut roles).effect != current {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.push(b'"');
                out.extend_from_slice(self.texts.fact_names.get(f).map_or(&[][..], Vec::as_slice));
                out.push(b'"');
            }
        }
        self.scratch.trial_facts = trial;
        self.scratch.trial_roles = roles;
    }

    /// [`DecisionTable::inheritance_path`] into reused storage: breadth first
    /// over parents in declaration order, so the first path found is the
    /// shortest, ties going to the earlier parent.
    fn inheritance_path(&mut self, scope: usize, role: usize, rule: usize, path: &mut Vec<usize>) {
        let policy = &self.table.policy;
        let (Some((_, sc)), Some(rule)) = (policy.scopes.get_index(scope), policy.rules.get(rule))
        else {
            return;
        };
        // The common case: the rule names the role itself.
        if rule.roles.contains(&role) {
            path.push(role);
            return;
        }
        let s = &mut self.scratch;
        s.came_from.clear();
        s.came_from.resize(sc.roles.len(), None);
        s.seen.clear();
        s.seen.resize(sc.roles.len(), false);
        s.queue.clear();
        s.queue.push_back(role);
        if let Some(seen) = s.seen.get_mut(role) {
            *seen = true;
        }
        while let Some(current) = s.queue.pop_front() {
            if rule.roles.contains(&current) {
                path.push(current);
                let mut at = current;
                while let Some(Some(prev)) = s.came_from.get(at) {
                    path.push(*prev);
                    at = *prev;
                }
                path.reverse();
                return;
            }
            let parents = sc
                .roles
                .get_index(current)
                .map(|(_, r)| r.parents.as_slice())
                .unwrap_or_default();
            for &parent in parents {
                if let Some(seen) = s.seen.get_mut(parent) {
                    if !*seen {
                        *seen = true;
                        if let Some(c) = s.came_from.get_mut(parent) {
                            *c = Some(current);
                        }
                        s.queue.push_back(parent);
                    }
                }
            }
        }
    }
}

impl Texts {
    fn new(table: &DecisionTable) -> Texts {
        let policy = &table.policy;
        let mut relevant: Vec<Vec<Vec<usize>>> = policy
            .scopes
            .values()
            .map(|s| vec![Vec::new(); s.actions.len()])
            .collect();
        for rule in &policy.rules {
            let Some(condition) = &rule.condition else {
                continue;
            };
            for &a in &rule.actions {
                if let Some(list) = relevant.get_mut(rule.scope).and_then(|s| s.get_mut(a)) {
                    condition.expr.facts(list);
                }
            }
        }
        for o in &policy.overrides {
            let mut facts = Vec::new();
            if let Subject::Fact(f) = o.subject {
                facts.push(f);
            }
            if let Some(c) = &o.condition {
                c.expr.facts(&mut facts);
            }
            for list in relevant.get_mut(o.scope).into_iter().flatten() {
                list.extend_from_slice(&facts);
            }
        }
        for list in relevant.iter_mut().flatten() {
            list.sort_unstable();
            list.dedup();
        }
        let kinds = policy.kinds.len();
        Texts {
            scope_names: policy.scopes.keys().map(|n| escaped(n)).collect(),
            role_names: policy
                .scopes
                .values()
                .map(|s| s.roles.keys().map(|n| escaped(n)).collect())
                .collect(),
            action_names: policy
                .scopes
                .values()
                .map(|s| s.actions.keys().map(|n| escaped(n)).collect())
                .collect(),
            fact_names: policy.facts.keys().map(|n| escaped(n)).collect(),
            rule_at: policy
                .rules
                .iter()
                .map(|r| escaped(&r.loc.file_line()))
                .collect(),
            rule_head: policy
                .rules
                .iter()
                .map(|r| {
                    let roles: Vec<&str> = policy
                        .scopes
                        .get_index(r.scope)
                        .map(|(_, s)| {
                            r.roles
                                .iter()
                                .filter_map(|&i| s.roles.get_index(i).map(|(n, _)| n.as_str()))
                                .collect()
                        })
                        .unwrap_or_default();
                    escaped(&format!("{} {} to ", r.effect.as_str(), roles.join(", ")))
                })
                .collect(),
            rule_tail: policy
                .rules
                .iter()
                .map(|r| {
                    let mut tail = String::new();
                    if r.actions.len() > 1 {
                        tail.push_str(", …");
                    }
                    if let Some(c) = &r.condition {
                        tail.push_str(" when ");
                        tail.push_str(&c.text);
                    }
                    escaped(&tail)
                })
                .collect(),
            override_at: policy
                .overrides
                .iter()
                .map(|o| escaped(&o.loc.file_line()))
                .collect(),
            override_text: policy
                .overrides
                .iter()
                .map(|o| escaped(&policy.describe_override(o)))
                .collect(),
            relevant,
            scope_default: policy
                .scopes
                .values()
                .map(|s| s.default.as_ref().map(|d| d.role.into_iter().collect()))
                .collect(),
            kind_default: policy
                .scopes
                .values()
                .map(|s| {
                    (0..kinds)
                        .map(|k| {
                            s.kind_defaults
                                .get(&k)
                                .map(|d| d.role.into_iter().collect())
                        })
                        .collect()
                })
                .collect(),
            assignable: policy
                .scopes
                .values()
                .map(|s| {
                    (0..kinds)
                        .map(|k| {
                            s.assignable
                                .get(&k)
                                .map(|a| (0..s.roles.len()).map(|r| a.roles.contains(&r)).collect())
                        })
                        .collect()
                })
                .collect(),
        }
    }
}
