//! Semantic diff: what changed in meaning between two compiled policies.
//!
//! Everything is matched by name, never by index, and cells are compared by
//! meaning (conditions by decision diagram, exact at any number of facts;
//! past the diagram's budget a cell is reported as undecided, never as a
//! change), so a reformatted or reordered policy
//! has no differences. Reported: every (scope, action, role) whose decision
//! changed with the rule responsible on each side; facts, kinds, scopes,
//! roles and actions added or removed; inheritance edges; defaults,
//! assignable roles, limits and advice; overrides added, removed or tried in
//! a different order.

mod render;

use crate::compile::TargetColumn;
use indexmap::IndexMap;
use serde::Serialize;

use crate::bdd::Undecided;
use crate::canon::{Compared, Meaning, describe_override, render_cond, role_name};
use crate::compile::DecisionTable;
use crate::resolve::{Policy, Scope, Subject};
use crate::snapshot::advice_text;

/// Output formats of `rolecall diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// For a terminal or a review comment in plain text.
    Text,
    /// For a pull request.
    Markdown,
    /// For tools.
    Json,
}

/// Names added and removed (added in the new policy's order, removed in the old's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Names {
    /// In the new policy only.
    pub added: Vec<String>,
    /// In the old policy only.
    pub removed: Vec<String>,
}

impl Names {
    fn between<'a>(
        old: impl Iterator<Item = &'a String> + Clone,
        new: impl Iterator<Item = &'a String> + Clone,
    ) -> Names {
        Names {
            added: new
                .clone()
                .filter(|n| !old.clone().any(|o| o == *n))
                .cloned()
                .collect(),
            removed: old
                .filter(|o| !new.clone().any(|n| n == *o))
                .cloned()
                .collect(),
        }
    }

    fn len(&self) -> usize {
        self.added.len() + self.removed.len()
    }
}

/// A scope added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeEntry {
    /// Its name.
    pub name: String,
    /// How many roles it declares.
    pub roles: usize,
    /// How many actions it declares.
    pub actions: usize,
}

/// Scopes added, removed, and changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScopesDiff {
    /// In the new policy only.
    pub added: Vec<ScopeEntry>,
    /// In the old policy only.
    pub removed: Vec<ScopeEntry>,
    /// In both, with differences.
    pub changed: Vec<ScopeDiff>,
}

/// A role added or removed, with what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleEntry {
    /// Its name.
    pub name: String,
    /// The roles it inherits, by name.
    pub inherits: Vec<String>,
    /// The actions it may do (`action when condition` when conditional).
    pub allowed: Vec<String>,
}

/// An action added or removed, with who may do it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionEntry {
    /// Its name.
    pub name: String,
    /// The roles that may do it (`role when condition` when conditional).
    pub allowed: Vec<String>,
}

/// Roles added and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RolesDiff {
    /// In the new policy only.
    pub added: Vec<RoleEntry>,
    /// In the old policy only.
    pub removed: Vec<RoleEntry>,
}

/// Actions added and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActionsDiff {
    /// In the new policy only.
    pub added: Vec<ActionEntry>,
    /// In the old policy only.
    pub removed: Vec<ActionEntry>,
}

/// A role of both policies whose parents changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InheritanceChange {
    /// The role.
    pub role: String,
    /// Parents it now inherits.
    pub added: Vec<String>,
    /// Parents it no longer inherits.
    pub removed: Vec<String>,
}

/// A rule, as it bears on one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// `allow a, b to x, … when c`
    pub text: String,
    /// `file:line`
    pub at: String,
}

/// One side of a changed cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellState {
    /// `allow`, `deny` or `conditional`.
    pub decision: String,
    /// When conditional: when it is allowed (operands sorted).
    pub condition: Option<String>,
    /// The deciding rule; for a conditional cell every candidate in the order
    /// tried; empty for the default deny.
    pub rules: Vec<RuleRef>,
    /// The inheritance path from the role to the one the rule names, when inherited.
    pub via: Vec<String>,
}

/// A (scope, action, role) of both policies whose decision changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    /// The action.
    pub action: String,
    /// The role.
    pub role: String,
    /// For a targeted action's cell: the target's role, or `self` (left out
    /// of the JSON for an ordinary cell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Before.
    pub old: CellState,
    /// After.
    pub new: CellState,
}

impl CellChange {
    /// The role as shown: `moderator`, or for a targeted action's cell
    /// `moderator on speaker` / `moderator on self`.
    pub fn who(&self) -> String {
        match &self.target {
            Some(target) => format!("{} on {target}", self.role),
            None => self.role.clone(),
        }
    }
}

/// A changed default, assignable list, limit or advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    /// `default`, `default for KIND`, `assignable for KIND`, `limit on ROLE`, `advice on ROLE`.
    pub setting: String,
    /// Before; `None` when not set.
    pub old: Option<String>,
    /// After; `None` when not set.
    pub new: Option<String>,
}

/// The differences within one scope of both policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScopeDiff {
    /// The scope.
    pub scope: String,
    /// Roles added and removed.
    pub roles: RolesDiff,
    /// Actions added and removed.
    pub actions: ActionsDiff,
    /// Inheritance edges added or removed, per role.
    pub inheritance: Vec<InheritanceChange>,
    /// Cells whose decision changed, in the new policy's order.
    pub cells: Vec<CellChange>,
    /// Defaults, assignable lists, limits and advice that changed.
    pub settings: Vec<SettingChange>,
    /// Cells whose conditions could not be compared within the decision
    /// diagram's budget ([`crate::bdd::MAX_BDD_STEPS`]): maybe changed, not
    /// counted as differences.
    pub undecided: Vec<CellChange>,
}

impl ScopeDiff {
    fn len(&self) -> usize {
        self.roles.added.len()
            + self.roles.removed.len()
            + self.actions.added.len()
            + self.actions.removed.len()
            + self.inheritance.len()
            + self.cells.len()
            + self.settings.len()
    }
}

/// An override, written with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideRef {
    /// `workspace.admin joins session as organizer when c`
    pub text: String,
    /// `file:line`
    pub at: String,
}

/// Overrides into one scope now tried in a different order (the first that
/// applies wins, so the order decides between different target roles).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reordered {
    /// The scope they set the role in.
    pub scope: String,
    /// Order before.
    pub old: Vec<String>,
    /// Order after.
    pub new: Vec<String>,
}

/// An override of both policies, same subject and target, whose conditions
/// could not be compared within the decision diagram's budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndecidedOverride {
    /// Before.
    pub old: OverrideRef,
    /// After.
    pub new: OverrideRef,
}

/// Overrides added, removed, reordered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OverridesDiff {
    /// In the new policy only.
    pub added: Vec<OverrideRef>,
    /// In the old policy only.
    pub removed: Vec<OverrideRef>,
    /// Tried in a different order.
    pub reordered: Vec<Reordered>,
    /// Matched by subject and target, conditions not compared (too large):
    /// maybe changed, not counted as differences.
    pub undecided: Vec<UndecidedOverride>,
}

/// Every difference in meaning between two policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    /// Facts added and removed.
    pub facts: Names,
    /// Kinds of principal added and removed.
    pub kinds: Names,
    /// Settings added and removed, each written with its values and default
    /// (`plan {free, team; default free}`): a changed one is both.
    pub settings: Names,
    /// Scopes added, removed and changed.
    pub scopes: ScopesDiff,
    /// Overrides added, removed and reordered.
    pub overrides: OverridesDiff,
}

impl PolicyDiff {
    /// How many differences: one per name, cell, setting, edge change or override.
    pub fn len(&self) -> usize {
        self.facts.len()
            + self.kinds.len()
            + self.settings.len()
            + self.scopes.added.len()
            + self.scopes.removed.len()
            + self
                .scopes
                .changed
                .iter()
                .map(ScopeDiff::len)
                .sum::<usize>()
            + self.overrides.added.len()
            + self.overrides.removed.len()
            + self.overrides.reordered.len()
    }

    /// Comparisons that could not be decided: cells and overrides whose
    /// conditions are too large to compare ([`crate::bdd::MAX_BDD_STEPS`]).
    pub fn undecided(&self) -> usize {
        self.scopes
            .changed
            .iter()
            .map(|s| s.undecided.len())
            .sum::<usize>()
            + self.overrides.undecided.len()
    }

    /// Whether the policies are known to mean the same: no difference and
    /// nothing undecided.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.undecided() == 0
    }

    /// Renders the diff; `old` and `new` name the two sides in headings.
    pub fn render(&self, format: DiffFormat, old: &str, new: &str) -> String {
        match format {
            DiffFormat::Text => render::text(self, old, new),
            DiffFormat::Markdown => render::markdown(self, old, new),
            DiffFormat::Json => render::json(self, old, new),
        }
    }
}

/// Decision diagram steps one diff spends comparing conditions, all cells and
/// overrides together (each comparison also within
/// [`crate::bdd::MAX_BDD_STEPS`]); past it the remaining comparisons are
/// undecided. Fifty comparisons at their own budget; a diff of people's
/// policies needs a few hundred steps per changed condition.
pub const MAX_DIFF_BDD_STEPS: usize = 10_000_000;

/// Compares two compiled policies by meaning: names, settings, overrides,
/// and every cell whose decision changed.
///
/// ```
/// let old = rolecall::compile_str("p.policy", "scope session {\n role viewer\n action chat\n allow viewer to chat\n}\n").unwrap();
/// let new = rolecall::compile_str("p.policy", "scope session {\n role viewer\n action chat\n}\n").unwrap();
/// let diff = rolecall::diff::diff(&old, &new);
/// let cell = &diff.scopes.changed[0].cells[0];
/// assert_eq!((cell.action.as_str(), cell.role.as_str()), ("chat", "viewer"));
/// ```
pub fn diff(old: &DecisionTable, new: &DecisionTable) -> PolicyDiff {
    diff_with_budget(old, new, MAX_DIFF_BDD_STEPS)
}

/// [`diff`] with `budget` decision diagram steps for all its comparisons of
/// conditions instead of [`MAX_DIFF_BDD_STEPS`].
pub fn diff_with_budget(old: &DecisionTable, new: &DecisionTable, budget: usize) -> PolicyDiff {
    let (po, pn) = (&old.policy, &new.policy);
    let mut scopes = ScopesDiff::default();
    let entry = |(name, s): (&String, &Scope)| ScopeEntry {
        name: name.clone(),
        roles: s.roles.len(),
        actions: s.actions.len(),
    };
    scopes.added = pn
        .scopes
        .iter()
        .filter(|(n, _)| !po.scopes.contains_key(*n))
        .map(entry)
        .collect();
    scopes.removed = po
        .scopes
        .iter()
        .filter(|(n, _)| !pn.scopes.contains_key(*n))
        .map(entry)
        .collect();
    let mut compared = Compared::with_budget(budget);
    for (sn, name) in pn.scopes.keys().enumerate() {
        if let Some(so) = po.scopes.get_index_of(name) {
            let d = scope_diff(old, so, new, sn, name, &mut compared);
            if d.len() > 0 || !d.undecided.is_empty() {
                scopes.changed.push(d);
            }
        }
    }
    PolicyDiff {
        facts: Names::between(po.facts.keys(), pn.facts.keys()),
        kinds: Names::between(po.kinds.keys(), pn.kinds.keys()),
        settings: Names::between(setting_texts(po).iter(), setting_texts(pn).iter()),
        scopes,
        overrides: overrides_diff(po, pn, &mut compared),
    }
}

fn scope_diff(
    old: &DecisionTable,
    so: usize,
    new: &DecisionTable,
    sn: usize,
    name: &str,
    compared: &mut Compared,
) -> ScopeDiff {
    let (po, pn) = (&old.policy, &new.policy);
    let (Some((_, o)), Some((_, n))) = (po.scopes.get_index(so), pn.scopes.get_index(sn)) else {
        return ScopeDiff::default();
    };
    let mut d = ScopeDiff {
        scope: name.to_string(),
        ..ScopeDiff::default()
    };
    d.roles.added = role_entries(new, sn, |r| !o.roles.contains_key(r));
    d.roles.removed = role_entries(old, so, |r| !n.roles.contains_key(r));
    d.actions.added = action_entries(new, sn, |a| !o.actions.contains_key(a));
    d.actions.removed = action_entries(old, so, |a| !n.actions.contains_key(a));

    for (role, new_role) in &n.roles {
        let Some(old_role) = o.roles.get(role) else {
            continue;
        };
        let parents = |policy: &Policy, s: usize, ps: &[usize]| -> Vec<String> {
            ps.iter().map(|&p| role_name(policy, s, p)).collect()
        };
        let before = parents(po, so, &old_role.parents);
        let after = parents(pn, sn, &new_role.parents);
        let names = Names::between(before.iter(), after.iter());
        if names.len() > 0 {
            d.inheritance.push(InheritanceChange {
                role: role.clone(),
                added: names.added,
                removed: names.removed,
            });
        }
    }

    for (an, action) in n.actions.keys().enumerate() {
        let Some(ao) = o.actions.get_index_of(action) else {
            continue;
        };
        for (rn, role) in n.roles.keys().enumerate() {
            let Some(ro) = o.roles.get_index_of(role) else {
                continue;
            };
            // The cell, then a targeted action's grid where both sides have
            // one: each (target role of both, or self).
            let mut columns: Vec<(Option<TargetColumn>, Option<TargetColumn>)> = vec![(None, None)];
            let targeted = |t: &DecisionTable, s: usize, a: usize| {
                t.action_at_index(s, a).is_some_and(|id| t.is_targeted(id))
            };
            if targeted(old, so, ao) && targeted(new, sn, an) {
                for (tn, target) in n.roles.keys().enumerate() {
                    if let Some(to) = o.roles.get_index_of(target) {
                        columns.push((Some(TargetColumn::Role(to)), Some(TargetColumn::Role(tn))));
                    }
                }
                columns.push((Some(TargetColumn::Myself), Some(TargetColumn::Myself)));
            }
            for (co, cn) in columns {
                let cell_o = At {
                    table: old,
                    s: so,
                    a: ao,
                    r: ro,
                    column: co,
                };
                let cell_n = At {
                    table: new,
                    s: sn,
                    a: an,
                    r: rn,
                    column: cn,
                };
                let before = Meaning::of_cell(cell_o.cell());
                let after = Meaning::of_cell(cell_n.cell());
                // A deny's strength (`deny` or `forbid`) changes what the union
                // over held roles decides, though not the cell's own meaning.
                let strength_same = forbids(&cell_o) == forbids(&cell_n);
                let list = match before.same(po, &after, pn, compared) {
                    Ok(true) if strength_same => continue,
                    Ok(_) => &mut d.cells,
                    Err(Undecided) => &mut d.undecided,
                };
                list.push(CellChange {
                    action: action.clone(),
                    role: role.clone(),
                    target: cn.map(|c| c.name(n)),
                    old: cell_state(&cell_o),
                    new: cell_state(&cell_n),
                });
            }
        }
    }

    let before = settings(po, so);
    let after = settings(pn, sn);
    for (key, value) in &after {
        if before.get(key) != Some(value) {
            d.settings.push(SettingChange {
                setting: key.clone(),
                old: before.get(key).cloned(),
                new: Some(value.clone()),
            });
        }
    }
    for (key, value) in &before {
        if !after.contains_key(key) {
            d.settings.push(SettingChange {
                setting: key.clone(),
                old: Some(value.clone()),
                new: None,
            });
        }
    }
    d
}

/// What a role may do (`action` or `action when c`), in declaration order.
fn allowed_actions(table: &DecisionTable, s: usize, r: usize) -> Vec<String> {
    let Some((_, scope)) = table.policy.scopes.get_index(s) else {
        return Vec::new();
    };
    scope
        .actions
        .keys()
        .enumerate()
        .filter_map(|(a, name)| allowed_text(table, s, a, r, name))
        .collect()
}

fn allowed_text(table: &DecisionTable, s: usize, a: usize, r: usize, name: &str) -> Option<String> {
    match Meaning::of(table, s, a, r) {
        Meaning::Allow => Some(name.to_string()),
        Meaning::Conditional(c) => Some(format!("{name} when {}", render_cond(&c, &table.policy))),
        Meaning::Deny => None,
    }
}

fn role_entries(table: &DecisionTable, s: usize, keep: impl Fn(&str) -> bool) -> Vec<RoleEntry> {
    let Some((_, scope)) = table.policy.scopes.get_index(s) else {
        return Vec::new();
    };
    scope
        .roles
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| keep(name))
        .map(|(r, (name, role))| RoleEntry {
            name: name.clone(),
            inherits: role
                .parents
                .iter()
                .map(|&p| role_name(&table.policy, s, p))
                .collect(),
            allowed: allowed_actions(table, s, r),
        })
        .collect()
}

fn action_entries(
    table: &DecisionTable,
    s: usize,
    keep: impl Fn(&str) -> bool,
) -> Vec<ActionEntry> {
    let Some((_, scope)) = table.policy.scopes.get_index(s) else {
        return Vec::new();
    };
    scope
        .actions
        .keys()
        .enumerate()
        .filter(|(_, name)| keep(name))
        .map(|(a, name)| ActionEntry {
            name: name.clone(),
            allowed: scope
                .roles
                .keys()
                .enumerate()
                .filter_map(|(r, role)| allowed_text(table, s, a, r, role))
                .collect(),
        })
        .collect()
}

/// One cell of a table by positions: an ordinary one, or (with `column`)
/// one of a targeted action's grid.
struct At<'t> {
    table: &'t DecisionTable,
    s: usize,
    a: usize,
    r: usize,
    column: Option<TargetColumn>,
}

impl At<'_> {
    fn cell(&self) -> Option<crate::compile::Cell<'_>> {
        match self.column {
            None => self.table.cell_at(self.s, self.a, self.r),
            Some(c) => c.cell(self.table, self.s, self.a, self.r),
        }
    }
}

fn cell_state(at: &At<'_>) -> CellState {
    let (table, s, a, r) = (at.table, at.s, at.a, at.r);
    let policy = &table.policy;
    let cell = at.cell();
    let rule_ref = |rule: usize| {
        policy.rules.get(rule).map(|x| RuleRef {
            text: policy.rule_for_action(x, a),
            at: x.loc.file_line(),
        })
    };
    let mut rules: Vec<RuleRef> = Vec::new();
    let mut via = Vec::new();
    if let Some(cell) = cell {
        if let Some(rule) = cell.rule {
            rules.extend(rule_ref(rule.index()));
            let path = table.inheritance_path_at(s, r, rule.index());
            if path.len() > 1 {
                via = path.into_iter().map(|p| role_name(policy, s, p)).collect();
            }
        }
        if let Some(c) = cell.conditional {
            rules.extend(c.candidates.iter().filter_map(|&(_, rule)| rule_ref(rule)));
        }
    }
    let meaning = Meaning::of_cell(at.cell());
    let (decision, condition) = match &meaning {
        Meaning::Allow => ("allow", None),
        Meaning::Deny => ("deny", None),
        Meaning::Conditional(c) => ("conditional", Some(render_cond(c, policy))),
    };
    CellState {
        decision: decision.to_string(),
        condition,
        rules,
        via,
    }
}

/// A scope's defaults, assignable lists, limits and advice, by setting name.
fn settings(policy: &Policy, s: usize) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    let Some((_, scope)) = policy.scopes.get_index(s) else {
        return out;
    };
    let role = |r: usize| role_name(policy, s, r);
    let default_text = |d: Option<usize>| d.map_or_else(|| "none".to_string(), role);
    // Whether an action is done to someone: a request for it changes shape.
    for (name, action) in &scope.actions {
        if action.targeted {
            out.insert(format!("target of {name}"), "participant".to_string());
        }
    }
    // A conditional line is its own setting, keyed by its condition.
    let when = crate::resolve::Condition::suffix;
    for d in &scope.defaults {
        out.insert(
            format!("default{}", when(&d.condition)),
            default_text(d.role),
        );
    }
    for (k, list) in &scope.kind_defaults {
        for d in list {
            out.insert(
                format!("default for {}{}", policy.kind_name(*k), when(&d.condition)),
                default_text(d.role),
            );
        }
    }
    for (k, list) in &scope.assignable {
        for a in list {
            let mut roles: Vec<String> = a.roles.iter().map(|&r| role(r)).collect();
            roles.sort();
            let roles = if roles.is_empty() {
                "none".to_string()
            } else {
                roles.join(", ")
            };
            out.insert(
                format!(
                    "assignable for {}{}",
                    policy.kind_name(*k),
                    when(&a.condition)
                ),
                roles,
            );
        }
    }
    let mut grouped: IndexMap<String, Vec<String>> = IndexMap::new();
    for l in &scope.limits {
        grouped
            .entry(format!("limit on {}", role(l.role)))
            .or_default()
            .push(l.cardinality.to_string());
    }
    for a in &scope.advice {
        grouped
            .entry(format!("advice on {}", role(a.role)))
            .or_default()
            .push(advice_text(a.count, a.per_min, a.per_max));
    }
    for (key, mut values) in grouped {
        values.sort();
        out.insert(key, values.join("; "));
    }
    out
}

/// Overrides matched by subject, target and condition meaning.
fn overrides_diff(po: &Policy, pn: &Policy, compared: &mut Compared) -> OverridesDiff {
    let key = |p: &Policy, i: usize| {
        p.overrides.get(i).map(|o| {
            let subject = match o.subject {
                Subject::Role { scope, role } => p.role_name(scope, role),
                Subject::Fact(f) => p.fact_name(f),
                Subject::Everyone => crate::resolve::EVERYONE.to_string(),
            };
            let strength = if o.adds { "also " } else { "" };
            (format!("{strength}{subject}"), p.role_name(o.scope, o.role))
        })
    };
    let mut same = |i: usize, j: usize| {
        let (Some(a), Some(b)) = (po.overrides.get(i), pn.overrides.get(j)) else {
            return Ok(false);
        };
        if key(po, i) != key(pn, j) {
            return Ok(false);
        }
        match (&a.condition, &b.condition) {
            (None, None) => Ok(true),
            (Some(x), Some(y)) => compared.same_condition(&x.expr, po, &y.expr, pn),
            _ => Ok(false),
        }
    };
    let mut matched: Vec<Option<usize>> = vec![None; po.overrides.len()];
    let mut used = vec![false; pn.overrides.len()];
    // Pairs whose comparison was undecided, matched only when nothing decided
    // matches them: never reported as removed and added.
    let mut undecided_pairs: Vec<(usize, usize)> = Vec::new();
    for undecided_pass in [false, true] {
        for (i, slot) in matched.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            for (j, taken) in used.iter_mut().enumerate() {
                if *taken {
                    continue;
                }
                let hit = match same(i, j) {
                    Ok(s) => s,
                    Err(Undecided) => undecided_pass,
                };
                if hit {
                    *taken = true;
                    *slot = Some(j);
                    if undecided_pass {
                        undecided_pairs.push((i, j));
                    }
                    break;
                }
            }
        }
    }
    let reference = |p: &Policy, i: usize| OverrideRef {
        text: describe_override(p, i),
        at: p
            .overrides
            .get(i)
            .map(|o| o.loc.file_line())
            .unwrap_or_default(),
    };
    let mut d = OverridesDiff {
        added: used
            .iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(j, _)| reference(pn, j))
            .collect(),
        removed: matched
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_none())
            .map(|(i, _)| reference(po, i))
            .collect(),
        reordered: Vec::new(),
        undecided: undecided_pairs
            .iter()
            .map(|&(i, j)| UndecidedOverride {
                old: reference(po, i),
                new: reference(pn, j),
            })
            .collect(),
    };
    // Per target scope (by name), the matched pairs in the old order: a pair
    // of different target roles now tried the other way round is a change.
    let mut by_scope: IndexMap<String, Vec<(usize, usize)>> = IndexMap::new();
    for (i, m) in matched.iter().enumerate() {
        if let (Some(j), Some(o)) = (m, po.overrides.get(i)) {
            let scope = po
                .scopes
                .get_index(o.scope)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            by_scope.entry(scope).or_default().push((i, *j));
        }
    }
    for (scope, pairs) in by_scope {
        let target = |i: usize| po.overrides.get(i).map(|o| o.role);
        let flipped = pairs.iter().enumerate().any(|(x, &(i, j))| {
            pairs
                .iter()
                .skip(x + 1)
                .any(|&(i2, j2)| j2 < j && target(i) != target(i2))
        });
        if flipped {
            let mut new_order = pairs.clone();
            new_order.sort_by_key(|&(_, j)| j);
            d.reordered.push(Reordered {
                scope,
                old: pairs
                    .iter()
                    .map(|&(i, _)| describe_override(po, i))
                    .collect(),
                new: new_order
                    .iter()
                    .map(|&(_, j)| describe_override(pn, j))
                    .collect(),
            });
        }
    }
    d
}

/// Each setting as one comparable text: `plan {free, team; default free}`.
fn setting_texts(p: &Policy) -> Vec<String> {
    p.settings
        .iter()
        .map(|(name, s)| {
            let values: Vec<&str> = s.values.keys().map(String::as_str).collect();
            let default = s
                .values
                .get_index(s.default)
                .map_or("?", |(v, _)| v.as_str());
            format!("{name} {{{}; default {default}}}", values.join(", "))
        })
        .collect()
}

/// Whether a `forbid` can decide cell (scope, action, role): its rule, or
/// one of its conditional candidates, is a forbid.
fn forbids(at: &At<'_>) -> bool {
    let table = at.table;
    let Some(cell) = at.cell() else {
        return false;
    };
    match cell.conditional {
        Some(c) => c.candidates.iter().any(|&(_, rule)| table.is_forbid(rule)),
        None => cell.rule.is_some_and(|rule| table.is_forbid(rule.index())),
    }
}
