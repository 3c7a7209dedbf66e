//! Policy tests: files of expected decisions and errors, checked against a
//! compiled table, with the cells and rules they exercised.
//!
//! The syntax is in [`parse`] and docs/testing.md. A test passes when the
//! request's decision (or its evaluation error) is the one expected.

mod parse;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

pub use parse::parse;

use crate::compile::DecisionTable;
use crate::diagnostic::{Diagnostic, Level};
use crate::eval::{Answer, EvalError, Evaluation, Request, ResolvedRequest};
use crate::resolve::rule_summary;
use crate::source::{Loc, SourceFile};
use crate::syntax::ast::Effect;

/// What a test expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The request is allowed.
    Allow,
    /// The request is denied.
    Deny,
    /// The request cannot be evaluated; with a text its message must contain.
    Error(Option<String>),
}

/// One expectation: one request and its expected outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The expected outcome.
    pub expect: Expect,
    /// The kind of principal, if given.
    pub kind: Option<String>,
    /// Roles held, as (scope, role), as written.
    pub roles: Vec<(String, String)>,
    /// `scope:action`
    pub action: String,
    /// Facts true for the request (the others are false).
    pub facts: Vec<String>,
    /// Settings given, as (setting, value) (the others at their defaults).
    pub settings: Vec<(String, String)>,
    /// Whom a targeted action is done to: `on self`, or `on session.viewer, …`.
    pub target: Option<TestTarget>,
    /// The statement it comes from.
    pub loc: Loc,
}

/// A test's `on …`: whom its targeted action is done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestTarget {
    /// `on self`
    Myself,
    /// `on [KIND] session.viewer, …`: the target's kind, when written,
    /// and roles, as (scope, role).
    Roles(Option<String>, Vec<(String, String)>),
}

impl TestCase {
    /// The 1-based line of its statement.
    pub fn line(&self) -> usize {
        self.loc.line()
    }

    /// The request it asks.
    pub fn request(&self) -> Request {
        let mut principal: IndexMap<String, Vec<String>> = IndexMap::new();
        for (scope, role) in &self.roles {
            principal
                .entry(scope.clone())
                .or_default()
                .push(role.clone());
        }
        Request {
            principal,
            kind: self.kind.clone(),
            action: self.action.clone(),
            context: self.facts.iter().map(|f| (f.clone(), true)).collect(),
            settings: self.settings.iter().cloned().collect(),
            target: self.target.as_ref().map(|t| match t {
                TestTarget::Myself => crate::eval::RequestTarget::Myself,
                TestTarget::Roles(kind, roles) => {
                    let mut principal: IndexMap<String, Vec<String>> = IndexMap::new();
                    for (scope, role) in roles {
                        principal
                            .entry(scope.clone())
                            .or_default()
                            .push(role.clone());
                    }
                    crate::eval::RequestTarget::Other {
                        principal,
                        kind: kind.clone(),
                    }
                }
            }),
        }
    }
}

/// The case written back on one line, with its one action.
impl fmt::Display for TestCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expect {
            Expect::Allow => f.write_str("allow")?,
            Expect::Deny => f.write_str("deny")?,
            Expect::Error(None) => f.write_str("error")?,
            Expect::Error(Some(m)) => write!(f, "error {m:?}")?,
        }
        if let Some(kind) = &self.kind {
            write!(f, " {kind}")?;
        }
        if self.roles.is_empty() && self.kind.is_none() {
            f.write_str(" nobody")?;
        }
        let roles: Vec<String> = self.roles.iter().map(|(s, r)| format!("{s}.{r}")).collect();
        if !roles.is_empty() {
            write!(f, " {}", roles.join(", "))?;
        }
        write!(f, " -> {}", self.action)?;
        match &self.target {
            Some(TestTarget::Myself) => f.write_str(" on self")?,
            Some(TestTarget::Roles(kind, roles)) => {
                let roles: Vec<String> = roles.iter().map(|(s, r)| format!("{s}.{r}")).collect();
                match kind {
                    Some(kind) if roles.is_empty() => write!(f, " on {kind}")?,
                    Some(kind) => write!(f, " on {kind} {}", roles.join(", "))?,
                    None => write!(f, " on {}", roles.join(", "))?,
                }
            }
            None => {}
        }
        let with: Vec<String> = self
            .facts
            .iter()
            .cloned()
            .chain(self.settings.iter().map(|(s, v)| format!("{s}={v}")))
            .collect();
        if !with.is_empty() {
            write!(f, " with {}", with.join(", "))?;
        }
        Ok(())
    }
}

/// A parsed test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The file.
    pub src: Arc<SourceFile>,
    /// The policy it tests, as written (relative to the test file).
    pub policy: String,
    /// Where the `policy "…"` line is.
    pub policy_loc: Loc,
    /// Every case, in order (a statement naming several actions gives several).
    pub cases: Vec<TestCase>,
}

impl TestFile {
    /// The policy's path: as written, relative to the test file's directory.
    pub fn policy_path(&self) -> PathBuf {
        let dir = Path::new(self.src.name())
            .parent()
            .unwrap_or_else(|| Path::new(""));
        dir.join(&self.policy)
    }
}

/// Reads and parses the test file at `path`.
pub fn load(path: &Path) -> Result<TestFile, Vec<Diagnostic>> {
    // A regular file only: a FIFO named `x.policy.test` must not hang `test`.
    let text = crate::syntax::read_limited(path)
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )
            })
        })
        .map_err(|e| {
            vec![
                Diagnostic::without_location(
                    "rolecall::test::read",
                    Level::Error,
                    format!("cannot read {}: {e}", path.display()),
                )
                .with_help("check the path; a directory is searched for `*.policy.test` files"),
            ]
        })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    parse(&SourceFile::new(path.display().to_string(), text))
}

/// What a case got, and whether that was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// Whether the outcome is the one expected.
    pub passed: bool,
    /// The answer, or why there is none.
    pub got: Result<Answer, EvalError>,
}

/// Runs one case; records what it exercised in `coverage` when given.
pub fn run_case(
    table: &DecisionTable,
    case: &TestCase,
    coverage: Option<&mut Coverage>,
) -> CaseResult {
    let got = table.resolve_request(&case.request()).map(|resolved| {
        let evaluation = table.evaluate_resolved(&resolved);
        if let Some(c) = coverage {
            c.record(&evaluation, resolved.action.index());
            c.record_facts(&resolved);
        }
        table.answer(&resolved, &evaluation)
    });
    let passed = match (&case.expect, &got) {
        (Expect::Allow, Ok(a)) => a.decision == Effect::Allow,
        (Expect::Deny, Ok(a)) => a.decision == Effect::Deny,
        (Expect::Error(None), Err(_)) => true,
        (Expect::Error(Some(m)), Err(e)) => e.to_string().contains(m.as_str()),
        _ => false,
    };
    CaseResult { passed, got }
}

impl CaseResult {
    /// Why a case failed, on indented lines: what was expected, what came,
    /// and the rule that decided.
    pub fn explain_failure(&self, case: &TestCase) -> String {
        let expected = match &case.expect {
            Expect::Allow => "allow".to_string(),
            Expect::Deny => "deny".to_string(),
            Expect::Error(None) => "an error".to_string(),
            Expect::Error(Some(m)) => format!("an error containing {m:?}"),
        };
        match &self.got {
            Ok(a) => {
                let by = match &a.rule {
                    Some(rule) => format!("by the rule at {rule}"),
                    None => "by default (no rule applies)".to_string(),
                };
                let mut text = format!(
                    "  expected {expected}, got {} {by}\n  {}",
                    a.decision.as_str(),
                    a.reason
                );
                if !a.would_change.is_empty() {
                    text.push_str(&format!(
                        "\n  the decision would change with: {}",
                        a.would_change.join(", ")
                    ));
                }
                text
            }
            Err(e) => format!("  expected {expected}, got an error\n  {e}"),
        }
    }
}

/// Which cells, rules and facts a set of cases exercised, for one policy.
///
/// A case exercises, in the action's scope: when allowed, the cell of the
/// role that allowed it; when denied, the cell of every effective role (each
/// was consulted and denied). It exercises the rule that decided it, if any,
/// and gives the facts its request gives. A case expecting an error (or
/// whose request cannot be evaluated) exercises nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Per scope, per action × role (row-major), whether exercised.
    cells: Vec<Vec<bool>>,
    /// Per scope, how many roles (the row length).
    roles: Vec<usize>,
    /// Per rule, whether it decided a tested request.
    rules: Vec<bool>,
    /// Per fact, whether a tested request gave it.
    facts: Vec<bool>,
    /// Per scope, a targeted action's grid cells: index `(action * (roles +
    /// 1) + column) * roles + role`, the column a target role or, last,
    /// `self`; `None` where the action is plain.
    targets: Vec<Vec<Option<bool>>>,
}

impl Coverage {
    /// Nothing exercised yet.
    pub fn new(table: &DecisionTable) -> Coverage {
        let scopes = table.policy.scopes.values();
        Coverage {
            cells: scopes
                .clone()
                .map(|s| vec![false; s.roles.len() * s.actions.len()])
                .collect(),
            roles: scopes.clone().map(|s| s.roles.len()).collect(),
            rules: vec![false; table.policy.rules.len()],
            facts: vec![false; table.policy.facts.len()],
            targets: scopes
                .map(|s| {
                    let n = s.roles.len();
                    s.actions
                        .values()
                        .flat_map(|a| std::iter::repeat_n(a.targeted.then_some(false), (n + 1) * n))
                        .collect()
                })
                .collect(),
        }
    }

    /// Records the facts an evaluated request gave. Without them a test
    /// file can exercise every cell and rule and still never ask what the
    /// policy decides when a fact holds (a deny `when` it never applied).
    pub fn record_facts(&mut self, request: &ResolvedRequest) {
        for &f in &request.given {
            if let Some(given) = self.facts.get_mut(f) {
                *given = true;
            }
        }
    }

    /// Records what one evaluation of `action` (index in its scope) exercised.
    pub fn record(&mut self, e: &Evaluation, action: usize) {
        let scope = e.scope.index();
        let width = self.roles.get(scope).copied().unwrap_or(0);
        let exercised: Vec<usize> = match (e.effect, e.deciding_role) {
            (Effect::Allow, Some(role)) => vec![role.index()],
            (Effect::Allow, None) => Vec::new(),
            (Effect::Deny, _) => e.roles.iter().map(|r| r.index()).collect(),
        };
        if let Some(cells) = self.cells.get_mut(scope) {
            for &role in &exercised {
                if let Some(c) = cells.get_mut(action * width + role) {
                    *c = true;
                }
            }
        }
        // A targeted action: the grid cells of the exercised roles, on the
        // target role that decided (allow) or every target role (deny).
        if let Some(t) = &e.target {
            let columns: Vec<usize> = match (t.on_self, e.effect, t.deciding) {
                (true, _, _) => vec![width],
                (false, Effect::Allow, Some(d)) => vec![d.index()],
                (false, _, _) => t.roles.iter().map(|r| r.index()).collect(),
            };
            if let Some(grid) = self.targets.get_mut(scope) {
                for &role in &exercised {
                    for &column in &columns {
                        let i = (action * (width + 1) + column) * width + role;
                        if let Some(Some(c)) = grid.get_mut(i) {
                            *c = true;
                        }
                    }
                }
            }
        }
        if let Some(r) = e.rule.and_then(|r| self.rules.get_mut(r.index())) {
            *r = true;
        }
    }

    /// Adds what `other` (of the same policy) exercised.
    pub fn merge(&mut self, other: &Coverage) {
        for (mine, theirs) in self.cells.iter_mut().zip(&other.cells) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m |= *t;
            }
        }
        for (m, t) in self.rules.iter_mut().zip(&other.rules) {
            *m |= *t;
        }
        for (m, t) in self.facts.iter_mut().zip(&other.facts) {
            *m |= *t;
        }
        for (mine, theirs) in self.targets.iter_mut().zip(&other.targets) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                if let (Some(m), Some(t)) = (m, t) {
                    *m |= *t;
                }
            }
        }
    }

    /// (targeted actions' grid cells exercised, in all).
    pub fn targeted_cell_count(&self) -> (usize, usize) {
        let all = self.targets.iter().flatten().flatten();
        (all.clone().filter(|c| **c).count(), all.count())
    }

    /// Grid cells no case exercised, as (scope, action, role, column)
    /// indexes in table order, the column a role's index or, for `self`, the
    /// number of roles.
    pub fn uncovered_targeted_cells(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut out = Vec::new();
        for (s, grid) in self.targets.iter().enumerate() {
            let width = self.roles.get(s).copied().unwrap_or(0).max(1);
            for (i, covered) in grid.iter().enumerate() {
                if *covered == Some(false) {
                    let (a, rest) = (i / ((width + 1) * width), i % ((width + 1) * width));
                    out.push((s, a, rest % width, rest / width));
                }
            }
        }
        out
    }

    /// (cells exercised, cells in all).
    pub fn cell_count(&self) -> (usize, usize) {
        let all = self.cells.iter().flatten();
        (all.clone().filter(|c| **c).count(), all.count())
    }

    /// (rules that decided a tested request, rules in all).
    pub fn rule_count(&self) -> (usize, usize) {
        (self.rules.iter().filter(|r| **r).count(), self.rules.len())
    }

    /// (facts a tested request gave, facts in all).
    pub fn fact_count(&self) -> (usize, usize) {
        (self.facts.iter().filter(|f| **f).count(), self.facts.len())
    }

    /// Facts no tested request gave, by index, in declaration order.
    pub fn facts_never_given(&self) -> Vec<usize> {
        (0..self.facts.len())
            .filter(|&f| self.facts.get(f) == Some(&false))
            .collect()
    }

    /// Cells no case exercised, as (scope, action, role) indexes in table order.
    pub fn uncovered_cells(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (s, cells) in self.cells.iter().enumerate() {
            let width = self.roles.get(s).copied().unwrap_or(0).max(1);
            for (i, covered) in cells.iter().enumerate() {
                if !covered {
                    out.push((s, i / width, i % width));
                }
            }
        }
        out
    }

    /// Rules that decided no tested request, by id.
    pub fn unused_rules(&self) -> Vec<usize> {
        (0..self.rules.len())
            .filter(|&r| self.rules.get(r) == Some(&false))
            .collect()
    }

    /// The report `rolecall test --coverage` prints for one policy: a
    /// summary line, then the cells (per action) and rules not exercised.
    pub fn report(&self, table: &DecisionTable, name: &str) -> String {
        let policy = &table.policy;
        let (cells, all_cells) = self.cell_count();
        let (rules, all_rules) = self.rule_count();
        let (facts, all_facts) = self.fact_count();
        let targeted = match self.targeted_cell_count() {
            (_, 0) => String::new(),
            (done, all) => format!(", {done}/{all} targeted cells"),
        };
        let mut out = format!(
            "coverage of {name}: {cells}/{all_cells} cells{targeted}, {rules}/{all_rules} rules, {facts}/{all_facts} facts\n"
        );
        let uncovered = self.uncovered_cells();
        if !uncovered.is_empty() {
            out.push_str("  cells no test exercised:\n");
            let mut rows: IndexMap<(usize, usize), Vec<String>> = IndexMap::new();
            for (s, a, r) in uncovered {
                rows.entry((s, a))
                    .or_default()
                    .push(crate::canon::role_name(policy, s, r));
            }
            for ((s, a), roles) in rows {
                let (scope, action) = policy
                    .scopes
                    .get_index(s)
                    .map(|(sn, sc)| {
                        let an = crate::invariant::name_or_missing(
                            sc.actions.get_index(a).map(|(n, _)| n.as_str()),
                            "action",
                        );
                        (sn.as_str(), an)
                    })
                    .unwrap_or(("?", "?"));
                out.push_str(&format!("    {scope}:{action}: {}\n", roles.join(", ")));
            }
        }
        let uncovered = self.uncovered_targeted_cells();
        if !uncovered.is_empty() {
            out.push_str("  targeted cells no test exercised (acting role -> target):\n");
            let mut rows: IndexMap<(usize, usize), Vec<String>> = IndexMap::new();
            for (s, a, r, column) in uncovered {
                let target = match policy.scopes.get_index(s) {
                    Some((_, sc)) if column < sc.roles.len() => {
                        crate::canon::role_name(policy, s, column)
                    }
                    _ => "self".to_string(),
                };
                rows.entry((s, a)).or_default().push(format!(
                    "{} -> {target}",
                    crate::canon::role_name(policy, s, r)
                ));
            }
            for ((s, a), cells) in rows {
                let (scope, action) = match policy.scopes.get_index(s) {
                    Some((sn, sc)) => (sn.clone(), sc.action_name(a)),
                    None => ("?".to_string(), "?".to_string()),
                };
                out.push_str(&format!("    {scope}:{action}: {}\n", cells.join(", ")));
            }
        }
        let unused = self.unused_rules();
        if !unused.is_empty() {
            out.push_str("  rules that decided no tested request:\n");
            for r in unused {
                if let Some(rule) = policy.rules.get(r) {
                    out.push_str(&format!(
                        "    {}: {}\n",
                        rule.file_line(),
                        rule_summary(rule)
                    ));
                }
            }
        }
        let never = self.facts_never_given();
        if !never.is_empty() {
            out.push_str("  facts no test gives:\n");
            for f in never {
                if let Some((name, fact)) = policy.facts.get_index(f) {
                    out.push_str(&format!("    {}: {name}\n", fact.loc.file_line()));
                }
            }
        }
        out
    }

    /// The same report as one JSON object (`rolecall test --format json`):
    /// `{"policy", "cells": {"exercised", "total", "not_exercised": [{"scope",
    /// "action", "role"}]}, "rules": {"exercised", "total", "not_exercised":
    /// [{"at", "rule"}]}, "facts": {"given", "total", "never_given": [{"fact",
    /// "at"}]}}`, lists in declaration order; with targeted actions also
    /// `"targeted_cells": {"exercised", "total", "not_exercised": [{"scope",
    /// "action", "role", "target"}]}`.
    pub fn report_json(&self, table: &DecisionTable, name: &str) -> serde_json::Value {
        use serde_json::json;
        let policy = &table.policy;
        let (cells, all_cells) = self.cell_count();
        let (rules, all_rules) = self.rule_count();
        let (facts, all_facts) = self.fact_count();
        let uncovered: Vec<serde_json::Value> = self
            .uncovered_cells()
            .into_iter()
            .map(|(s, a, r)| {
                let (scope, action) = match policy.scopes.get_index(s) {
                    Some((sn, sc)) => (sn.clone(), sc.action_name(a)),
                    None => (
                        crate::invariant::name_or_missing(None, "scope").to_string(),
                        crate::invariant::name_or_missing(None, "action").to_string(),
                    ),
                };
                json!({"scope": scope, "action": action, "role": crate::canon::role_name(policy, s, r)})
            })
            .collect();
        let unused: Vec<serde_json::Value> = self
            .unused_rules()
            .into_iter()
            .filter_map(|r| policy.rules.get(r))
            .map(|rule| json!({"at": rule.file_line(), "rule": rule_summary(rule)}))
            .collect();
        let never: Vec<serde_json::Value> = self
            .facts_never_given()
            .into_iter()
            .filter_map(|f| policy.facts.get_index(f))
            .map(|(name, fact)| json!({"fact": name, "at": fact.loc.file_line()}))
            .collect();
        let mut report = json!({
            "policy": name,
            "cells": {"exercised": cells, "total": all_cells, "not_exercised": uncovered},
            "rules": {"exercised": rules, "total": all_rules, "not_exercised": unused},
            "facts": {"given": facts, "total": all_facts, "never_given": never},
        });
        // Only a policy with targeted actions has the key.
        let (done, all) = self.targeted_cell_count();
        if let (true, Some(map)) = (all > 0, report.as_object_mut()) {
            let missing: Vec<serde_json::Value> = self
                .uncovered_targeted_cells()
                .into_iter()
                .filter_map(|(s, a, r, column)| {
                    let (scope_name, sc) = policy.scopes.get_index(s)?;
                    let target = if column < sc.roles.len() {
                        crate::canon::role_name(policy, s, column)
                    } else {
                        "self".to_string()
                    };
                    Some(json!({
                        "scope": scope_name,
                        "action": sc.action_name(a),
                        "role": crate::canon::role_name(policy, s, r),
                        "target": target,
                    }))
                })
                .collect();
            map.insert(
                "targeted_cells".to_string(),
                json!({"exercised": done, "total": all, "not_exercised": missing}),
            );
        }
        report
    }
}
