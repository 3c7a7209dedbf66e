//! Snapshots: a compiled table as stable, diff-friendly text.
//!
//! One `KEY = VALUE` line per fact about the policy's meaning (or a bare
//! `KEY` for a declaration that only exists), sorted by name and free of
//! file names, line numbers and labels: reformatting or reordering a policy
//! leaves its snapshot unchanged, and a line changes exactly when what it
//! states changes. The format is documented in `docs/testing.md`.

use std::collections::BTreeMap;
use std::fmt;

use crate::canon::{Meaning, describe_override, named_role, render_cond, role_name};
use crate::compile::{CellDecision, DecisionTable};

/// The first line of every snapshot; names the format's version.
pub const HEADER: &str = "# rolecall snapshot v1";

impl DecisionTable {
    /// The table as a snapshot: the text `rolecall snapshot` writes, and the
    /// value to hand to `insta::assert_snapshot!`.
    ///
    /// ```
    /// let table = rolecall::compile_str("t.policy", r#"
    ///     scope s { role a  role b : a  action x  allow a to x }
    /// "#).unwrap();
    /// let snapshot = table.to_snapshot();
    /// assert!(snapshot.contains("\ns:x a = allow\n"));
    /// assert!(snapshot.contains("\ns:x b = allow from a\n"));
    /// ```
    pub fn to_snapshot(&self) -> String {
        let policy = &self.policy;
        let mut out = String::from(HEADER);
        match &policy.name {
            Some(name) => out.push_str(&format!(" of policy {name:?}\n")),
            None => out.push('\n'),
        }
        out.push_str("# `KEY = VALUE` lines sorted by name; see docs/testing.md.\n");

        let mut top: Vec<String> = policy.facts.keys().map(|f| format!("fact {f}")).collect();
        top.extend(policy.kinds.keys().map(|k| format!("kind {k}")));
        top.sort();
        push_block(&mut out, top);

        let mut scopes: Vec<(&String, usize)> = policy
            .scopes
            .keys()
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        scopes.sort();
        for (name, s) in scopes {
            let (declarations, cells) = self.scope_lines(name, s);
            push_block(&mut out, declarations);
            push_block(&mut out, cells);
        }

        // Overrides: per target scope, numbered in the order they are tried.
        // The first that applies wins, so order is meaning, but only between
        // overrides setting different roles: those setting the same role are
        // put in name order, so that swapping them changes nothing.
        let mut overrides: BTreeMap<&str, Vec<(usize, String)>> = BTreeMap::new();
        for (i, o) in policy.overrides.iter().enumerate() {
            let scope = policy
                .scopes
                .get_index(o.scope)
                .map_or("?", |(n, _)| n.as_str());
            overrides
                .entry(scope)
                .or_default()
                .push((o.role, describe_override(policy, i)));
        }
        let mut lines = Vec::new();
        for (scope, list) in overrides {
            for (n, text) in normal_order(list).iter().enumerate() {
                lines.push(format!("override {scope} {} = {text}", n + 1));
            }
        }
        push_block(&mut out, lines);
        out
    }

    /// The scope's declaration lines, then its cell lines.
    fn scope_lines(&self, name: &str, s: usize) -> (Vec<String>, Vec<String>) {
        let policy = &self.policy;
        let Some((_, scope)) = policy.scopes.get_index(s) else {
            return (Vec::new(), Vec::new());
        };
        let role = |r: usize| role_name(policy, s, r);
        let mut lines = vec![format!("scope {name}")];

        let mut roles: Vec<String> = scope
            .roles
            .iter()
            .map(|(rname, r)| {
                let parents = sorted(r.parents.iter().map(|&p| role(p)));
                let parents = if parents.is_empty() {
                    "nothing".to_string()
                } else {
                    parents.join(", ")
                };
                format!("role {name}.{rname} = inherits {parents}")
            })
            .collect();
        roles.sort();
        lines.extend(roles);
        lines.extend(sorted(
            scope.actions.keys().map(|a| format!("action {name}:{a}")),
        ));

        let default_text = |d: Option<usize>| d.map_or_else(|| "none".to_string(), role);
        let mut settings = Vec::new();
        let when = crate::resolve::Condition::suffix;
        for d in &scope.defaults {
            settings.push(format!(
                "default {name}{} = {}",
                when(&d.condition),
                default_text(d.role)
            ));
        }
        for (k, list) in &scope.kind_defaults {
            for d in list {
                settings.push(format!(
                    "default {name} for {}{} = {}",
                    policy.kind_name(*k),
                    when(&d.condition),
                    default_text(d.role)
                ));
            }
        }
        for (k, list) in &scope.assignable {
            for a in list {
                let roles = sorted(a.roles.iter().map(|&r| role(r)));
                let roles = if roles.is_empty() {
                    "none".to_string()
                } else {
                    roles.join(", ")
                };
                settings.push(format!(
                    "assignable {name} for {}{} = {roles}",
                    policy.kind_name(*k),
                    when(&a.condition)
                ));
            }
        }
        let mut limits: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in &scope.limits {
            limits
                .entry(role(l.role))
                .or_default()
                .push(l.cardinality.to_string());
        }
        for (r, list) in limits {
            settings.push(format!("limit {name}.{r} = {}", sorted(list).join("; ")));
        }
        let mut advice: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in &scope.advice {
            advice
                .entry(role(a.role))
                .or_default()
                .push(advice_text(a.count, a.per_min, a.per_max));
        }
        for (r, list) in advice {
            settings.push(format!("advise {name}.{r} = {}", sorted(list).join("; ")));
        }
        settings.sort();
        lines.extend(settings);

        lines.extend(sorted(
            scope
                .actions
                .iter()
                .filter(|(_, x)| x.targeted)
                .map(|(a, _)| format!("target {name}:{a} = participant")),
        ));

        let mut cells = Vec::new();
        for (a, (action, declared)) in scope.actions.iter().enumerate() {
            for (r, rname) in scope.roles.keys().enumerate() {
                let plain = self.cell_at(s, a, r);
                cells.push((
                    action.as_str(),
                    rname.to_string(),
                    self.cell_text(plain, s, r),
                ));
                if !declared.targeted {
                    continue;
                }
                // A targeted action's grid: `s:a role -> target = …`.
                for column in crate::compile::TargetColumn::all(scope.roles.len()) {
                    let cell = column.cell(self, s, a, r);
                    cells.push((
                        action.as_str(),
                        format!("{rname} -> {}", column.name(scope)),
                        self.cell_text(cell, s, r),
                    ));
                }
            }
        }
        cells.sort();
        let cells = cells
            .into_iter()
            .map(|(action, role, text)| format!("{name}:{action} {role} = {text}"))
            .collect();
        (lines, cells)
    }

    /// `allow`, `allow from ROLE`, `deny`, `deny by default`,
    /// `conditional when C`, `allow whatever the facts`.
    fn cell_text(&self, cell: Option<crate::compile::Cell<'_>>, s: usize, r: usize) -> String {
        let policy = &self.policy;
        let Some(cell) = cell else {
            return "deny by default".to_string();
        };
        let decision = cell.decision.as_str();
        match (cell.decision, cell.rule, cell.conditional) {
            (CellDecision::Conditional, _, _) => match Meaning::of_cell(Some(cell)) {
                Meaning::Conditional(c) => format!("conditional when {}", render_cond(&c, policy)),
                _ => decision.to_string(),
            },
            (_, _, Some(_)) => format!("{decision} whatever the facts"),
            (_, Some(rule), None) => match named_role(self, s, r, rule.index()) {
                Some(named) if named != r => {
                    format!("{decision} from {}", role_name(policy, s, named))
                }
                _ => decision.to_string(),
            },
            (_, None, None) => format!("{decision} by default"),
        }
    }
}

/// The smallest order by text of `(target role, text)` items that keeps every
/// pair of items with different targets in their original order.
fn normal_order(mut pending: Vec<(usize, String)>) -> Vec<String> {
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        // An item may go next when no earlier pending item has another target.
        let next = (0..pending.len())
            .filter(|&i| {
                let target = pending.get(i).map(|(t, _)| *t);
                pending.iter().take(i).all(|(t, _)| Some(*t) == target)
            })
            .min_by(|&a, &b| {
                let text = |i: usize| pending.get(i).map(|(_, x)| x.as_str());
                text(a).cmp(&text(b))
            });
        let Some(next) = next else {
            break;
        };
        out.push(pending.remove(next).1);
    }
    out
}

/// `1 per 50 to 100 participants`
pub(crate) fn advice_text(count: u64, per_min: u64, per_max: u64) -> String {
    if per_min == per_max {
        format!("{count} per {per_min} participants")
    } else {
        format!("{count} per {per_min} to {per_max} participants")
    }
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    v
}

fn push_block(out: &mut String, lines: Vec<String>) {
    if lines.is_empty() {
        return;
    }
    out.push('\n');
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
}

/// One line that differs between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotChange {
    /// The line's key (a whole line when it has no ` = `).
    pub key: String,
    /// The value in the old snapshot; `None` when the line is new.
    pub old: Option<String>,
    /// The value in the new snapshot; `None` when the line is gone.
    pub new: Option<String>,
}

impl fmt::Display for SnapshotChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &str| {
            if v.is_empty() {
                "(present)".to_string()
            } else {
                v.to_string()
            }
        };
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => write!(f, "~ {}: {} → {}", self.key, show(old), show(new)),
            (None, Some(new)) if new.is_empty() => write!(f, "+ {}", self.key),
            (None, Some(new)) => write!(f, "+ {} = {new}", self.key),
            (Some(old), None) if old.is_empty() => write!(f, "- {}", self.key),
            (Some(old), None) => write!(f, "- {} = {old}", self.key),
            (None, None) => write!(f, "  {}", self.key),
        }
    }
}

/// The lines of a snapshot as key → value; comments and blank lines skipped.
fn entries(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(" = ") {
            Some((k, v)) => (k.trim_end().to_string(), v.trim_start().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Compares two snapshots line by line, keyed by what each line is about,
/// so the order of lines and comments do not matter. Changes come in the
/// new snapshot's order, lines gone at the end.
pub fn compare_snapshots(old: &str, new: &str) -> Vec<SnapshotChange> {
    let old: indexmap::IndexMap<String, String> = entries(old).into_iter().collect();
    let new: indexmap::IndexMap<String, String> = entries(new).into_iter().collect();
    let mut changes = Vec::new();
    for (key, value) in &new {
        match old.get(key) {
            Some(before) if before == value => {}
            before => changes.push(SnapshotChange {
                key: key.clone(),
                old: before.cloned(),
                new: Some(value.clone()),
            }),
        }
    }
    for (key, value) in &old {
        if !new.contains_key(key) {
            changes.push(SnapshotChange {
                key: key.clone(),
                old: Some(value.clone()),
                new: None,
            });
        }
    }
    changes
}
