//! Order-independent views of a compiled table, shared by snapshots and diffs.
//!
//! Conditions are rendered with their operands sorted and compared by
//! meaning (by decision diagram), and a cell's deciding rule is described by the role it names, so
//! reordering or reformatting declarations changes neither a snapshot nor a
//! diff.

use std::collections::HashMap;

use crate::bdd::{Bdd, MAX_BDD_STEPS, Undecided, order_of};
use crate::compile::{CellDecision, DecisionTable};
use crate::invariant::name_or_missing;
use crate::resolve::{Cond, Policy, Subject};

/// Renders a condition with fact names, operands of `and`/`or` flattened,
/// sorted and deduplicated, parenthesised only where needed.
pub(crate) fn render_cond(cond: &Cond, policy: &Policy) -> String {
    render(cond, &|f| policy.fact_name(f), 0)
}

fn render(cond: &Cond, name: &impl Fn(usize) -> String, outer: u8) -> String {
    let (text, prec) = match cond {
        Cond::Fact(f) => (name(*f), 3),
        Cond::Const(b) => (b.to_string(), 3),
        Cond::Not(inner) => (format!("not {}", render(inner, name, 3)), 3),
        Cond::And(items) => (operands(items, true, name, 3).join(" and "), 2),
        Cond::Or(items) => (operands(items, false, name, 2).join(" or "), 1),
    };
    if prec < outer {
        format!("({text})")
    } else {
        text
    }
}

/// The operands of a chain of `and` (or of `or`), nested chains flattened.
fn operands(
    items: &[Cond],
    conjunction: bool,
    name: &impl Fn(usize) -> String,
    prec: u8,
) -> Vec<String> {
    let mut flat = Vec::new();
    let mut stack: Vec<&Cond> = items.iter().rev().collect();
    while let Some(item) = stack.pop() {
        match (item, conjunction) {
            (Cond::And(inner), true) | (Cond::Or(inner), false) => {
                stack.extend(inner.iter().rev());
            }
            _ => flat.push(render(item, name, prec)),
        }
    }
    flat.sort();
    flat.dedup();
    flat
}

/// Comparisons of conditions already made, by normalized text (equal text
/// is equal meaning): the cells of one rule share its condition, so a diff
/// builds the diagrams of each pair of conditions once, within a budget of
/// diagram steps for all of them.
#[derive(Debug)]
pub(crate) struct Compared {
    seen: HashMap<(String, String), Result<bool, Undecided>>,
    /// Diagram steps still allowed, all comparisons together.
    left: usize,
}

impl Compared {
    /// No comparison made yet; `budget` steps for all of them.
    pub(crate) fn with_budget(budget: usize) -> Compared {
        Compared {
            seen: HashMap::new(),
            left: budget,
        }
    }

    /// Whether two conditions, each over its own policy's facts, hold for the
    /// same sets of true fact names: equal normalized text, or else the same
    /// decision diagram over the facts by name. [`Undecided`] past the
    /// diagram's budget ([`MAX_BDD_STEPS`]) or past what is left of the
    /// budget of all comparisons.
    pub(crate) fn same_condition(
        &mut self,
        a: &Cond,
        pa: &Policy,
        b: &Cond,
        pb: &Policy,
    ) -> Result<bool, Undecided> {
        let key = (render_cond(a, pa), render_cond(b, pb));
        if key.0 == key.1 {
            return Ok(true);
        }
        if let Some(known) = self.seen.get(&key) {
            return *known;
        }
        let mut bdd = Bdd::with_budget(self.left.min(MAX_BDD_STEPS));
        let answer = same_diagram(&mut bdd, a, pa, b, pb);
        self.left = self.left.saturating_sub(bdd.steps());
        self.seen.insert(key, answer);
        answer
    }
}

/// Whether the two conditions have the same decision diagram, their facts
/// matched by name.
fn same_diagram(
    bdd: &mut Bdd,
    a: &Cond,
    pa: &Policy,
    b: &Cond,
    pb: &Policy,
) -> Result<bool, Undecided> {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    a.facts(&mut fa);
    b.facts(&mut fb);
    let named = |policy: &Policy, facts: &[usize]| -> Vec<(usize, String)> {
        facts.iter().map(|&f| (f, policy.fact_name(f))).collect()
    };
    let (na, nb) = (named(pa, &fa), named(pb, &fb));
    let order = order_of(na.iter().chain(&nb).map(|(_, n)| n.as_str()));
    let vars = |named: &[(usize, String)]| -> HashMap<usize, usize> {
        named
            .iter()
            .filter_map(|(f, n)| order.get(n.as_str()).map(|&v| (*f, v)))
            .collect()
    };
    let (va, vb) = (vars(&na), vars(&nb));
    // Every fact read has a variable; a missing one is refused by the diagram.
    let var = |vars: &HashMap<usize, usize>, f: usize| vars.get(&f).copied().unwrap_or(usize::MAX);
    let x = bdd.build(a, &|f| var(&va, f))?;
    let y = bdd.build(b, &|f| var(&vb, f))?;
    Ok(x == y)
}

/// What a cell means, independent of which rules say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Meaning {
    /// Allowed whatever the facts.
    Allow,
    /// Denied whatever the facts.
    Deny,
    /// Allowed exactly when this holds.
    Conditional(Cond),
}

impl Meaning {
    /// The meaning of cell (scope, action, role); a missing cell is a deny.
    pub(crate) fn of(table: &DecisionTable, s: usize, a: usize, r: usize) -> Meaning {
        Meaning::of_cell(table.cell_at(s, a, r))
    }

    /// The meaning of a cell, one of a targeted action's grid included; a
    /// missing cell is a deny.
    pub(crate) fn of_cell(cell: Option<crate::compile::Cell<'_>>) -> Meaning {
        match cell {
            Some(cell) => match (cell.decision, cell.conditional) {
                (CellDecision::Allow, _) => Meaning::Allow,
                (CellDecision::Conditional, Some(c)) => Meaning::Conditional(c.allow_when.clone()),
                _ => Meaning::Deny,
            },
            None => Meaning::Deny,
        }
    }

    /// Whether two meanings, each in its own table, agree.
    pub(crate) fn same(
        &self,
        pa: &Policy,
        other: &Meaning,
        pb: &Policy,
        compared: &mut Compared,
    ) -> Result<bool, Undecided> {
        match (self, other) {
            (Meaning::Allow, Meaning::Allow) | (Meaning::Deny, Meaning::Deny) => Ok(true),
            (Meaning::Conditional(a), Meaning::Conditional(b)) => {
                compared.same_condition(a, pa, b, pb)
            }
            _ => Ok(false),
        }
    }
}

/// The role the deciding rule names on the way up from `role`: the nearest
/// ancestor-or-self the rule names, ties broken by name so that the order of
/// parents does not matter.
pub(crate) fn named_role(
    table: &DecisionTable,
    s: usize,
    role: usize,
    rule: usize,
) -> Option<usize> {
    let rule = table.policy.rules.get(rule)?;
    let scope = table.policy.scopes.get_index(s).map(|(_, sc)| sc)?;
    let name = |r: usize| scope.roles.get_index(r).map(|(n, _)| n.as_str());
    table
        .ancestors(s, role)
        .into_iter()
        .filter(|(r, _)| rule.roles.contains(r))
        .min_by(|(ra, da), (rb, db)| da.cmp(db).then_with(|| name(*ra).cmp(&name(*rb))))
        .map(|(r, _)| r)
}

/// An override written with names and its normalized condition:
/// `workspace.admin joins session as organizer when a`.
pub(crate) fn describe_override(policy: &Policy, o: usize) -> String {
    let Some(ov) = policy.overrides.get(o) else {
        return String::new();
    };
    let subject = match ov.subject {
        Subject::Role { scope, role } => policy.role_name(scope, role),
        Subject::Fact(f) => policy.fact_name(f),
        Subject::Everyone => crate::resolve::EVERYONE.to_string(),
    };
    // Resolve made these indices: a missing one is a bug, not a name `?`.
    let scope = name_or_missing(
        policy.scopes.get_index(ov.scope).map(|(n, _)| n.as_str()),
        "scope",
    );
    let role = role_name(policy, ov.scope, ov.role);
    let also = if ov.adds { " also" } else { "" };
    let mut text = format!("{subject}{also} joins {scope} as {role}");
    if let Some(c) = &ov.condition {
        text.push_str(" when ");
        text.push_str(&render_cond(&c.expr, policy));
    }
    text
}

/// Role names of a scope, by index.
pub(crate) fn role_name(policy: &Policy, s: usize, r: usize) -> String {
    match policy.scopes.get_index(s) {
        Some((_, scope)) => scope.role_name(r),
        None => name_or_missing(None, "scope").to_string(),
    }
}
