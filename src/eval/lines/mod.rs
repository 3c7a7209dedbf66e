//! Answering JSON-lines requests fast, with the same bytes as
//! `serde_json::to_string(&table.evaluate(&Request::from_json(line)?)?)`.
//!
//! The general path builds a [`Request`] of owned strings, a
//! [`ResolvedRequest`](super::ResolvedRequest) and an [`Answer`](super::Answer), each
//! allocating. Here a request is read by the same reader straight into ids
//! in storage reused from line to line (`parse`), evaluated from ids, and its answer written
//! into the caller's buffer from texts computed once per table (rule
//! locations, rule texts, override texts, the facts each action's decision
//! can turn on). A line the fast path does not take (invalid JSON, an unknown
//! name, an unusual shape) goes to the general path, so errors read the same.

mod parse;

use std::collections::HashMap;

use super::request::Unknown;
use super::shape::{AnswerJson, Escaped, EscapedAction, EscapedByIds, Text, TextList, escaped};
use super::{EvalError, Request, RoleSource};
use crate::compile::{ActionId, DecisionTable, FactSet};
use crate::decision::paths::PathCache;
use crate::decision::{PathScratch, Principal, Roles, reason};
use crate::resolve::rule_tail;
use parse::Parsed;

/// Answers request lines against one table, reusing its storage between lines.
pub struct LineEvaluator<'t> {
    table: &'t DecisionTable,
    texts: Texts,
    parsed: Parsed,
    scratch: Scratch,
    helps: Helps,
    paths: PathCache,
}

/// Most helps of unknown-name errors a [`LineEvaluator`] keeps (then it
/// forgets them all and starts again): a line repeating a typo is answered
/// without suggesting again, and a stream of distinct typos costs bounded memory.
pub const MAX_CACHED_HELPS: usize = 1024;

/// Longest unknown name (in bytes) whose help is kept: typos of declared
/// names are short, and a long one would only fill the memory.
const MAX_CACHED_NAME: usize = 128;

/// The helps of the unknown names met so far, by (kind of name, scope, name):
/// a suggestion reads every name declared where it looks, so it is computed
/// once per name rather than once per line.
#[derive(Default)]
struct Helps {
    known: HashMap<(u8, usize, String), String>,
}

impl Helps {
    fn help(&mut self, table: &DecisionTable, unknown: Unknown<'_>) -> String {
        let (what, scope, name) = match unknown {
            Unknown::Scope(name) => (0, 0, name),
            Unknown::Action(scope, name) => (1, scope, name),
            Unknown::Role(scope, name) => (2, scope, name),
            Unknown::Kind(name) => (3, 0, name),
            Unknown::Fact(name) => (4, 0, name),
            Unknown::Setting(name) => (5, 0, name),
        };
        if name.len() > MAX_CACHED_NAME {
            return table.unknown_help(unknown);
        }
        let key = (what, scope, name.to_string());
        if let Some(help) = self.known.get(&key) {
            return help.clone();
        }
        let help = table.unknown_help(unknown);
        if self.known.len() >= MAX_CACHED_HELPS {
            self.known.clear();
        }
        self.known.insert(key, help.clone());
        help
    }
}

/// Per-table texts and lookups, computed once; every text JSON-escaped.
struct Texts {
    scope_names: Vec<Vec<u8>>,
    /// Per scope, per role.
    role_names: Vec<Vec<Vec<u8>>>,
    /// Per scope, per action.
    action_names: Vec<Vec<Vec<u8>>>,
    fact_names: Vec<Vec<u8>>,
    /// Per rule: `file:line`.
    rule_at: Vec<Vec<u8>>,
    /// Per rule: `allow a, b to ` (the action follows).
    rule_head: Vec<Vec<u8>>,
    /// Per rule: `, …` when it names several actions, then ` when condition`.
    rule_tail: Vec<Vec<u8>>,
    /// Per override: `file:line`.
    override_at: Vec<Vec<u8>>,
    /// Per override: as written.
    override_text: Vec<Vec<u8>>,
    /// Per scope, per kind: which roles the kind may be assigned (`None`: any).
    assignable: Vec<Vec<Option<Vec<bool>>>>,
}

/// Buffers reused from line to line.
#[derive(Default)]
struct Scratch {
    roles: Roles,
    trial_roles: Roles,
    trial_facts: FactSet,
    path: Vec<usize>,
    path_scratch: PathScratch,
    would_change: Vec<usize>,
}

impl Principal for Parsed {
    fn assigned(&self, scope: usize) -> &[usize] {
        self.roles_in(scope)
    }
    fn kind(&self) -> Option<usize> {
        self.kind
    }
    fn each_assigned(&self, f: &mut dyn FnMut(usize, &[usize]) -> bool) -> bool {
        self.scopes
            .iter()
            .all(|&(s, start, end)| f(s, self.roles.get(start..end).unwrap_or_default()))
    }
}

impl<'t> LineEvaluator<'t> {
    /// Prepares the texts of `table`'s answers.
    pub fn new(table: &'t DecisionTable) -> Self {
        LineEvaluator {
            table,
            texts: Texts::new(table),
            parsed: Parsed::default(),
            scratch: Scratch::default(),
            helps: Helps::default(),
            paths: PathCache::default(),
        }
    }

    /// Appends the answer to one request line (JSON, without its newline) to
    /// `out`; on error, leaves `out` as it was and says what is wrong, in the
    /// words of [`EvalError`].
    pub fn answer(&mut self, line: &str, out: &mut Vec<u8>) -> Result<(), String> {
        // A request starts with `{`, and is then not blank: only other lines are trimmed.
        if !line.starts_with('{') && line.trim().is_empty() {
            return Err("empty line: expected a JSON request".to_string());
        }
        if parse::parse(self.table, line, &mut self.parsed)
            && self.assignable()
            && self.write_answer(out)
        {
            return Ok(());
        }
        // As `evaluate` does, the helps of unknown names kept from line to line.
        let (table, helps) = (self.table, &mut self.helps);
        let mut general = |line: &str| -> Result<super::Answer, EvalError> {
            let request = Request::from_json(line)?;
            let resolved =
                table.resolve_request_with(&request, &mut |unknown| helps.help(table, unknown))?;
            Ok(table.answer(&resolved, &table.evaluate_resolved(&resolved)))
        };
        general(line).map_err(|e| e.to_string())?.write_json(out);
        Ok(())
    }

    /// Whether every assigned role may be held by the request's kind.
    fn assignable(&self) -> bool {
        let Some(kind) = self.parsed.kind else {
            return true;
        };
        let parsed = &self.parsed;
        parsed.scopes.iter().all(|&(s, start, end)| {
            let roles = parsed.roles.get(start..end).unwrap_or_default();
            match self.texts.assignable.get(s).and_then(|k| k.get(kind)) {
                Some(Some(allowed)) => roles.iter().all(|&r| allowed.get(r) == Some(&true)),
                _ => true,
            }
        })
    }

    /// Writes the answer; `false` (with nothing written) when it cannot.
    fn write_answer(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(action) = self.parsed.action else {
            return false;
        };
        let table = self.table;
        // An answer with added roles lists its adding overrides: the general
        // path writes those.
        let scope = action.scope();
        if table.has_adding_override(scope) {
            return false;
        }
        let (t, parsed, s) = (&self.texts, &self.parsed, &mut self.scratch);
        let found = table.decide_for(parsed, action, &parsed.facts, &mut s.roles);
        let rule = found.rule.filter(|&r| r < table.policy.rules.len());
        // A rule naming a group is cited by the group: the general path
        // writes that text.
        if rule
            .and_then(|r| table.policy.rules.get(r))
            .is_some_and(|r| !r.groups.is_empty())
        {
            return false;
        }
        // The inheritance path, when the deciding role inherits the rule.
        s.path.clear();
        if let (Some(role), Some(r)) = (found.deciding_role, rule) {
            self.paths.path_into(
                table,
                (action.scope(), role, r),
                &mut s.path_scratch,
                &mut s.path,
            );
        }
        let (Some(scope_name), Some(role_names), Some(action_name)) = (
            t.scope_names.get(action.scope()),
            t.role_names.get(action.scope()),
            t.action_names
                .get(action.scope())
                .and_then(|a| a.get(action.index())),
        ) else {
            return false;
        };
        s.would_change.clear();
        table.would_change_into(
            parsed,
            action,
            &parsed.facts,
            &parsed.given,
            found.effect,
            table.relevant_facts(action),
            (&mut s.trial_facts, &mut s.trial_roles),
            &mut s.would_change,
        );
        let default = match found.source {
            RoleSource::KindDefault | RoleSource::ScopeDefault => match found.held_first {
                Some(r) => match role_names.get(r) {
                    Some(name) => Some(Escaped(name)),
                    None => return false,
                },
                None => Some(Escaped(b"none")),
            },
            _ => None,
        };
        let override_applied = match found.override_applied {
            Some(o) => match (t.override_at.get(o), t.override_text.get(o)) {
                (Some(at), Some(text)) => Some((Escaped(at), Escaped(text))),
                _ => return false,
            },
            None => None,
        };
        let rule_at = match rule {
            Some(r) => match t.rule_at.get(r) {
                Some(at) => Some(Escaped(at)),
                None => return false,
            },
            None => None,
        };
        let names = |ids| EscapedByIds {
            names: role_names,
            ids,
        };
        let reason = ReasonJson {
            texts: t,
            decision: &found,
            action,
            roles: &s.roles,
            path: &s.path,
        };
        let via = names(&s.path);
        AnswerJson {
            added: &[],
            // Targeted actions go to the general path.
            target: None,
            decision: found.effect,
            action: &EscapedAction(scope_name, action_name),
            roles: &names(&s.roles),
            rule: rule_at.as_ref().map(|r| r as &dyn Text),
            reason: &reason,
            assigned: &names(parsed.roles_in(action.scope())),
            default: default.as_ref().map(|d| d as &dyn Text),
            override_applied: override_applied
                .as_ref()
                .map(|(at, text)| (at as &dyn Text, text as &dyn Text)),
            via: (s.path.len() > 1).then_some(&via as &dyn TextList),
            would_change: &EscapedByIds {
                names: &t.fact_names,
                ids: &s.would_change,
            },
        }
        .write(out);
        true
    }
}

/// The reason sentence, written by the decision core straight into the
/// answer from names escaped once per table.
struct ReasonJson<'a> {
    texts: &'a Texts,
    decision: &'a crate::decision::Decision,
    action: ActionId,
    roles: &'a [usize],
    path: &'a [usize],
}

impl Text for ReasonJson<'_> {
    fn write_escaped(&self, out: &mut Vec<u8>) {
        let mut sink = EscapedReason {
            texts: self.texts,
            out,
        };
        reason::write(&mut sink, self.decision, self.action, self.roles, self.path);
    }
}

/// The reason sentence into bytes, from names escaped once per table. The
/// sentence's own words contain no character JSON escapes.
struct EscapedReason<'a> {
    texts: &'a Texts,
    out: &'a mut Vec<u8>,
}

impl EscapedReason<'_> {
    fn put(&mut self, list: &[Vec<u8>], i: usize) {
        self.out
            .extend_from_slice(list.get(i).map_or(&[][..], Vec::as_slice));
    }
}

impl reason::Sink for EscapedReason<'_> {
    fn words(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }
    fn scope_name(&mut self, scope: usize) {
        self.put(&self.texts.scope_names, scope);
    }
    fn role_name(&mut self, scope: usize, role: usize) {
        if let Some(names) = self.texts.role_names.get(scope) {
            self.out
                .extend_from_slice(names.get(role).map_or(&[][..], Vec::as_slice));
        }
    }
    fn action_name(&mut self, action: ActionId) {
        if let Some(names) = self.texts.action_names.get(action.scope()) {
            self.out
                .extend_from_slice(names.get(action.index()).map_or(&[][..], Vec::as_slice));
        }
    }
    fn rule_text(&mut self, rule: usize, action: ActionId) {
        self.put(&self.texts.rule_head, rule);
        self.action_name(action);
        self.put(&self.texts.rule_tail, rule);
    }
    fn rule_at(&mut self, rule: usize) {
        self.put(&self.texts.rule_at, rule);
    }
    fn override_text(&mut self, index: usize) {
        self.put(&self.texts.override_text, index);
    }
}

/// Names in declaration order, escaped.
fn names<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<Vec<u8>> {
    keys.map(|k| escaped(k)).collect()
}

impl Texts {
    fn new(table: &DecisionTable) -> Texts {
        let policy = &table.policy;
        let kinds = policy.kinds.len();
        Texts {
            scope_names: names(policy.scopes.keys()),
            role_names: policy
                .scopes
                .values()
                .map(|s| names(s.roles.keys()))
                .collect(),
            action_names: policy
                .scopes
                .values()
                .map(|s| names(s.actions.keys()))
                .collect(),
            fact_names: names(policy.atoms.iter().map(|a| &a.assignment)),
            rule_at: policy
                .rules
                .iter()
                .map(|r| escaped(&r.file_line()))
                .collect(),
            rule_head: policy
                .rules
                .iter()
                .map(|r| escaped(&policy.rule_head(r)))
                .collect(),
            rule_tail: policy
                .rules
                .iter()
                .map(|r| escaped(&rule_tail(r)))
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
            assignable: policy
                .scopes
                .values()
                .map(|s| {
                    (0..kinds)
                        .map(|k| match s.assignable.get(&k).map(Vec::as_slice) {
                            None | Some([]) => None,
                            Some([only]) if only.condition.is_none() => Some(
                                (0..s.roles.len())
                                    .map(|r| only.roles.contains(&r))
                                    .collect(),
                            ),
                            // Conditional lines read the request: no role passes
                            // here, so every assignment goes to the general path.
                            Some(_) => Some(vec![false; s.roles.len()]),
                        })
                        .collect()
                })
                .collect(),
        }
    }
}
