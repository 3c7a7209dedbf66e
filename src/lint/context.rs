//! What every rule reads: the files, the table, and analyses shared by rules.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::analysis::{self, Candidate};
use crate::compile::{CellDecision, DecisionTable};
use crate::resolve::Policy;
use crate::source::{Loc, SourceFile};
use crate::syntax::ParsedFile;
use crate::syntax::ast::{self, Effect, Item, ScopeItem};

/// Every role's uncut candidates for one action, shared by the rules asking.
type Row = Rc<Vec<Vec<Candidate>>>;

/// A rule's view of the policy being linted.
pub struct Context<'a> {
    /// The parsed files, root first.
    pub files: &'a [ParsedFile],
    /// The compiled table.
    pub table: &'a DecisionTable,
    /// The resolved policy (the table's).
    pub policy: &'a Policy,
    /// Each resolved rule's syntax, by rule id.
    ast_rules: Vec<Option<&'a ast::Rule>>,
    deciding: OnceCell<Vec<bool>>,
    conflicts: OnceCell<Vec<Conflict>>,
    roles: OnceCell<Vec<Vec<RoleFacts>>>,
    /// Candidate rows met so far, by (scope, action): rules ask cell by cell,
    /// a row is computed in one pass.
    rows: RefCell<HashMap<(usize, usize), Row>>,
}

/// An allow and an unconditional deny that reach a cell at the same distance,
/// where they are the nearest rules: the deny wins by the tie-break alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Scope index.
    pub scope: usize,
    /// The first cell (nearest, then declaration order) where it happens.
    pub action: usize,
    /// The role of that cell.
    pub role: usize,
    /// The distance of both rules from the role.
    pub distance: usize,
    /// The deny that wins.
    pub deny: usize,
    /// The allow that loses.
    pub allow: usize,
}

/// What the table says about one role as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoleFacts {
    /// Every cell of the role is denied whatever the facts.
    pub grants_nothing: bool,
    /// The role has parents and is allowed exactly what holding them all gives.
    pub adds_nothing: bool,
}

impl<'a> Context<'a> {
    /// The context for linting `table`, compiled from `files`.
    pub fn new(files: &'a [ParsedFile], table: &'a DecisionTable) -> Self {
        let mut by_loc: Vec<&'a ast::Rule> = Vec::new();
        for file in files {
            for item in &file.tree.items {
                if let Item::Scope(scope) = item {
                    for item in &scope.items {
                        match item {
                            ScopeItem::Rule(rule) => by_loc.push(rule),
                            ScopeItem::Section(section) => {
                                for inner in &section.items {
                                    if let ScopeItem::Rule(rule) = inner {
                                        by_loc.push(rule);
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        // By place (file, start), the first rule written there: a search of
        // the list per rule was quadratic in the rules.
        let mut at: std::collections::HashMap<(*const SourceFile, usize), &'a ast::Rule> =
            std::collections::HashMap::new();
        for rule in by_loc {
            at.entry((Arc::as_ptr(&rule.loc.src), rule.loc.start))
                .or_insert(rule);
        }
        let ast_rules = table
            .policy
            .rules
            .iter()
            .map(|rule| {
                at.get(&(Arc::as_ptr(&rule.loc.src), rule.loc.start))
                    .copied()
            })
            .collect();
        Context {
            files,
            table,
            policy: &table.policy,
            ast_rules,
            deciding: OnceCell::new(),
            conflicts: OnceCell::new(),
            roles: OnceCell::new(),
            rows: RefCell::default(),
        }
    }

    /// The syntax of rule `id`.
    pub fn ast_rule(&self, id: usize) -> Option<&'a ast::Rule> {
        self.ast_rules.get(id).copied().flatten()
    }

    /// Where rule `id` names its `i`-th role, else the whole rule.
    pub fn rule_role_loc(&self, id: usize, i: usize) -> Option<Loc> {
        let rule = self.policy.rules.get(id)?;
        Some(
            self.ast_rule(id)
                .and_then(|r| r.roles.get(i))
                .map_or_else(|| rule.loc.clone(), |n| n.loc.clone()),
        )
    }

    /// Where rule `id` names its `i`-th action, else the whole rule.
    pub fn rule_action_loc(&self, id: usize, i: usize) -> Option<Loc> {
        let rule = self.policy.rules.get(id)?;
        Some(
            self.ast_rule(id)
                .and_then(|r| r.actions.get(i))
                .map_or_else(|| rule.loc.clone(), |n| n.loc.clone()),
        )
    }

    /// The name of role `role` of scope `scope`.
    pub fn role_name(&self, scope: usize, role: usize) -> &'a str {
        let name = self
            .policy
            .scopes
            .get_index(scope)
            .and_then(|(_, s)| s.roles.get_index(role))
            .map(|(n, _)| n.as_str());
        crate::invariant::name_or_missing(name, "role")
    }

    /// The name of action `action` of scope `scope`.
    pub fn action_name(&self, scope: usize, action: usize) -> &'a str {
        let name = self
            .policy
            .scopes
            .get_index(scope)
            .and_then(|(_, s)| s.actions.get_index(action))
            .map(|(n, _)| n.as_str());
        crate::invariant::name_or_missing(name, "action")
    }

    /// A rule cited in a message: `` `allow a to x` (file:line) ``.
    pub fn cite_rule(&self, id: usize) -> String {
        match self.policy.rules.get(id) {
            Some(rule) => format!(
                "`{}` ({})",
                crate::resolve::rule_summary(rule),
                rule.file_line()
            ),
            None => format!("rule #{id}"),
        }
    }

    /// For each rule, whether it decides at least one cell.
    pub fn deciding_rules(&self) -> &[bool] {
        self.deciding
            .get_or_init(|| analysis::deciding_rules(self.table))
    }

    /// The uncut candidates of a cell (the core's row, computed once per
    /// scope and action).
    pub fn candidates(&self, scope: usize, action: usize, role: usize) -> Vec<Candidate> {
        let row = Rc::clone(
            self.rows
                .borrow_mut()
                .entry((scope, action))
                .or_insert_with(|| Rc::new(analysis::candidate_row(self.table, scope, action))),
        );
        row.get(role).cloned().unwrap_or_default()
    }

    /// Every allow/deny conflict, one per (deny, allow) pair, in table order.
    pub fn conflicts(&self) -> &[Conflict] {
        self.conflicts.get_or_init(|| find_conflicts(self.table))
    }

    /// What the table says about each role, by scope and role index.
    pub fn role_facts(&self, scope: usize, role: usize) -> RoleFacts {
        self.roles
            .get_or_init(|| role_facts(self.table))
            .get(scope)
            .and_then(|s| s.get(role))
            .copied()
            .unwrap_or_default()
    }
}

fn find_conflicts(table: &DecisionTable) -> Vec<Conflict> {
    let mut found: Vec<Conflict> = Vec::new();
    for (s, scope) in table.policy.scopes.values().enumerate() {
        for a in 0..scope.actions.len() {
            let row = analysis::candidate_row(table, s, a);
            for (r, list) in row.iter().enumerate() {
                let Some(first_fixed) = list.iter().find(|c| !c.conditional) else {
                    continue;
                };
                if first_fixed.effect != Effect::Deny {
                    continue;
                }
                let d = first_fixed.distance;
                let deny = first_fixed.rule;
                for allow in list
                    .iter()
                    .filter(|c: &&Candidate| c.distance == d && c.effect == Effect::Allow)
                {
                    let conflict = Conflict {
                        scope: s,
                        action: a,
                        role: r,
                        distance: d,
                        deny,
                        allow: allow.rule,
                    };
                    match found
                        .iter_mut()
                        .find(|c| c.deny == deny && c.allow == allow.rule)
                    {
                        Some(existing) if existing.distance > d => *existing = conflict,
                        Some(_) => {}
                        None => found.push(conflict),
                    }
                }
            }
        }
    }
    found
}

fn role_facts(table: &DecisionTable) -> Vec<Vec<RoleFacts>> {
    table
        .policy
        .scopes
        .values()
        .enumerate()
        .map(|(s, scope)| {
            (0..scope.roles.len())
                .map(|r| {
                    let grants_nothing = (0..scope.actions.len()).all(|a| {
                        table
                            .cell_at(s, a, r)
                            .is_none_or(|c| c.decision == CellDecision::Deny)
                            && analysis::target_allow_whens(table, s, a, r)
                                .iter()
                                .all(|c| *c == crate::resolve::Cond::Const(false))
                    });
                    let parents = scope
                        .roles
                        .get_index(r)
                        .map(|(_, role)| role.parents.as_slice())
                        .unwrap_or_default();
                    let adds_nothing = !parents.is_empty()
                        && (0..scope.actions.len()).all(|a| {
                            let union = crate::resolve::Cond::Or(
                                parents
                                    .iter()
                                    .map(|&p| analysis::allow_when(table, s, a, p))
                                    .collect(),
                            );
                            // A targeted action's grid, column by column.
                            let columns: Vec<Vec<crate::resolve::Cond>> = parents
                                .iter()
                                .map(|&p| analysis::target_allow_whens(table, s, a, p))
                                .collect();
                            let own = analysis::target_allow_whens(table, s, a, r);
                            analysis::equivalent(&analysis::allow_when(table, s, a, r), &union)
                                == Some(true)
                                && own.iter().enumerate().all(|(i, c)| {
                                    let union = crate::resolve::Cond::Or(
                                        columns
                                            .iter()
                                            .filter_map(|col| col.get(i).cloned())
                                            .collect(),
                                    );
                                    analysis::equivalent(c, &union) == Some(true)
                                })
                        });
                    RoleFacts {
                        grants_nothing,
                        adds_nothing,
                    }
                })
                .collect()
        })
        .collect()
}
