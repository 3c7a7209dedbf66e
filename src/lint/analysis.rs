//! What the rules compute from the table: cell functions, truth tables,
//! candidate lists, and the table without one (role, action) pair of a rule.

use crate::bdd::{Bdd, Ref, order_of};
use crate::compile::{CellDecision, DecisionTable};
use crate::decision::combine::Omit;
use crate::resolve::{Cond, Policy, Subject, Var};

/// The decision diagrams of some conditions over one policy's facts, in one
/// manager; `None` past its budget ([`crate::bdd::MAX_BDD_STEPS`]).
fn diagrams<const N: usize>(conds: [&Cond; N]) -> Option<(Bdd, [Ref; N])> {
    let mut facts = Vec::new();
    for c in conds {
        c.facts(&mut facts);
    }
    let order = order_of(facts);
    // Every fact read has a variable; a missing one is refused by the diagram.
    let var = |f: usize| order.get(&f).copied().unwrap_or(usize::MAX);
    let mut bdd = Bdd::default();
    let mut refs = [Ref::default(); N];
    for (slot, c) in refs.iter_mut().zip(conds) {
        *slot = bdd.build(c, &var).ok()?;
    }
    Some((bdd, refs))
}

/// Whether a condition's value depends on the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// The same for every assignment of the facts.
    Always(bool),
    /// True for some assignments, false for others.
    Depends,
    /// Too large to decide (past the decision diagram's budget).
    Unknown,
}

/// Whether `c` is constant, from its decision diagram.
pub fn truth(c: &Cond) -> Truth {
    match diagrams([c]) {
        None => Truth::Unknown,
        Some((_, [r])) if r.is_true() => Truth::Always(true),
        Some((_, [r])) if r.is_false() => Truth::Always(false),
        Some(_) => Truth::Depends,
    }
}

/// Whether `a` and `b` have the same value for every assignment; `None` when
/// unknown (too large to decide).
pub fn equivalent(a: &Cond, b: &Cond) -> Option<bool> {
    if a == b {
        return Some(true);
    }
    diagrams([a, b]).map(|(_, [x, y])| x == y)
}

/// Whether `b` holds whenever `a` does; `None` when unknown.
pub fn implies(a: &Cond, b: &Cond) -> Option<bool> {
    let (mut bdd, [x, y]) = diagrams([a, b])?;
    bdd.implies(x, y).ok()
}

/// When a cell allows, as a condition: `true`, `false`, or the conditional
/// cell's expression.
pub fn allow_when(table: &DecisionTable, scope: usize, action: usize, role: usize) -> Cond {
    cell_allow_when(table.cell_at(scope, action, role))
}

/// Whether two roles of a scope are allowed the same actions under the same
/// conditions. Unknown (too many facts) counts as different.
pub fn same_column(table: &DecisionTable, scope: usize, a: usize, b: usize) -> bool {
    let actions = table
        .policy
        .scopes
        .get_index(scope)
        .map_or(0, |(_, s)| s.actions.len());
    (0..actions).all(|x| {
        equivalent(
            &allow_when(table, scope, x, a),
            &allow_when(table, scope, x, b),
        ) == Some(true)
            && target_allow_whens(table, scope, x, a)
                .iter()
                .zip(&target_allow_whens(table, scope, x, b))
                .all(|(p, q)| equivalent(p, q) == Some(true))
    })
}

/// Whether action `action` of `scope` is targeted (`on participant`).
pub fn is_targeted(table: &DecisionTable, scope: usize, action: usize) -> bool {
    table
        .action_at_index(scope, action)
        .is_some_and(|a| table.is_targeted(a))
}

/// For a targeted action, when each cell of `role`'s row of its grid allows,
/// column by column (each target role, then `self`); empty for a plain action.
pub fn target_allow_whens(
    table: &DecisionTable,
    scope: usize,
    action: usize,
    role: usize,
) -> Vec<Cond> {
    if !is_targeted(table, scope, action) {
        return Vec::new();
    }
    let roles = table
        .policy
        .scopes
        .get_index(scope)
        .map_or(0, |(_, s)| s.roles.len());
    crate::compile::TargetColumn::all(roles)
        .map(|column| cell_allow_when(column.cell(table, scope, action, role)))
        .collect()
}

/// When a cell allows: `true`, `false`, or its condition.
fn cell_allow_when(cell: Option<crate::compile::Cell<'_>>) -> Cond {
    match cell {
        Some(cell) => match (cell.decision, cell.conditional) {
            (CellDecision::Allow, _) => Cond::Const(true),
            (CellDecision::Deny, _) | (CellDecision::Conditional, None) => Cond::Const(false),
            (CellDecision::Conditional, Some(c)) => c.allow_when.clone(),
        },
        None => Cond::Const(false),
    }
}

/// For each rule, whether it decides at least one cell: an unconditional
/// cell's deciding rule, or a candidate of a conditional cell.
pub fn deciding_rules(table: &DecisionTable) -> Vec<bool> {
    let mut used = vec![false; table.policy.rules.len()];
    // A targeted action's rules decide the cells of its grid too.
    for cell in table.every_cell() {
        if let Some(rule) = cell.rule {
            if let Some(u) = used.get_mut(rule.index()) {
                *u = true;
            }
        }
        for &(_, rule) in cell.conditional.map_or(&[][..], |c| &c.candidates) {
            if let Some(u) = used.get_mut(rule) {
                *u = true;
            }
        }
    }
    used
}

pub use crate::decision::combine::{Candidate, deciding};

/// Every role's candidates for one action, in the order the combination
/// rule tries them (distance, deny first, declaration), uncut: the decision
/// core's `combine::row`, the pass the table was compiled with.
///
/// A targeted action's candidates depend on the target, cell by cell of its
/// grid: the rules that reason over one row of candidates (what decides
/// first, what is redundant, what conflicts) get none for it, and so say
/// nothing about it rather than something false.
pub fn candidate_row(table: &DecisionTable, scope: usize, action: usize) -> Vec<Vec<Candidate>> {
    if is_targeted(table, scope, action) {
        return Vec::new();
    }
    crate::decision::combine::row(table, scope, action, Omit::Nothing)
}

/// Every role's candidates for one action as if rule `rule` were not
/// written: the core's `combine::row` with the rule left out.
pub fn candidate_row_without(
    table: &DecisionTable,
    scope: usize,
    action: usize,
    rule: usize,
) -> Vec<Vec<Candidate>> {
    if is_targeted(table, scope, action) {
        return Vec::new();
    }
    crate::decision::combine::row(table, scope, action, Omit::Rule(rule))
}

/// When the cell allows, from its candidates (the core's fold).
pub fn allow_when_of(table: &DecisionTable, list: &[Candidate]) -> Cond {
    crate::decision::combine::allow_when(&table.policy, list)
}

/// The roles of `scope` that are `role` or inherit it, in declaration order.
pub fn descendants(table: &DecisionTable, scope: usize, role: usize) -> Vec<usize> {
    let Some((_, sc)) = table.policy.scopes.get_index(scope) else {
        return Vec::new();
    };
    // One walk down the inheritance edges, not an ancestor search per role.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); sc.roles.len()];
    for (r, decl) in sc.roles.values().enumerate() {
        for &p in &decl.parents {
            if let Some(c) = children.get_mut(p) {
                c.push(r);
            }
        }
    }
    let mut seen = vec![false; sc.roles.len()];
    let mut out = Vec::new();
    if let Some(s) = seen.get_mut(role) {
        *s = true;
        out.push(role);
    }
    let mut i = 0;
    while let Some(&current) = out.get(i) {
        i += 1;
        for &child in children.get(current).map(Vec::as_slice).unwrap_or_default() {
            if let Some(s) = seen.get_mut(child) {
                if !*s {
                    *s = true;
                    out.push(child);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// What taking one (role, action) pair out of a rule would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// No cell changes, for any facts (unknown counts as changed).
    pub unchanged: bool,
    /// The candidates that would decide the role's own cell without the pair.
    pub then: Vec<Candidate>,
}

/// The effect of taking role `role` out of rule `rule` for `action` only: the
/// cells of `role` and of every role inheriting it, recomputed.
pub fn remove_pair(
    table: &DecisionTable,
    rule: usize,
    role: usize,
    action: usize,
) -> Option<Removal> {
    let scope = table.policy.rules.get(rule)?.scope;
    if is_targeted(table, scope, action) {
        return None;
    }
    let mut unchanged = true;
    let mut then = Vec::new();
    // The role's row recomputed once without the pair, not once per descendant.
    let row = crate::decision::combine::row(table, scope, action, Omit::Pair(rule, role));
    for d in descendants(table, scope, role) {
        // The row has every role of the scope; a missing one counts as a change.
        let Some(list) = row.get(d).cloned().map(deciding) else {
            unchanged = false;
            break;
        };
        let same = equivalent(
            &allow_when_of(table, &list),
            &allow_when(table, scope, action, d),
        ) == Some(true);
        unchanged &= same;
        if d == role {
            then = list;
        }
        if !unchanged {
            break;
        }
    }
    Some(Removal { unchanged, then })
}

/// The role a candidate reaches `role` through: the nearest ancestor (or the
/// role itself) the rule names, leaving out `without`.
pub fn named_ancestor(
    table: &DecisionTable,
    scope: usize,
    role: usize,
    rule: usize,
    without: Option<(usize, usize)>,
) -> Option<usize> {
    let named = &table.policy.rules.get(rule)?.roles;
    table
        .ancestors(scope, role)
        .into_iter()
        .map(|(r, _)| r)
        .find(|r| named.contains(r) && without != Some((rule, *r)))
}

/// Whether role `a` is `b` or inherits it.
pub fn inherits(table: &DecisionTable, scope: usize, a: usize, b: usize) -> bool {
    table.ancestors(scope, a).iter().any(|(r, _)| *r == b)
}

/// Names joined for a message: `` `a`, `b` and `c` ``.
pub fn names<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

// ------------------------------------------------------- overrides

/// Whether an override can be the one applied into its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideReach {
    /// It is the first applying override for some request (or that is unknown).
    Applies,
    /// Its subject and its condition can never both hold.
    Never,
    /// This earlier override into the same scope applies whenever it would.
    After(usize),
}

/// Whether override `o` can be the first applying override into its scope,
/// decided on its subject and condition and the earlier overrides': the
/// first applying override wins.
pub fn override_reach(table: &DecisionTable, o: usize) -> OverrideReach {
    let policy = &table.policy;
    let Some(ov) = policy.overrides.get(o) else {
        return OverrideReach::Applies;
    };
    // Role subjects become variables of their own, numbered after every
    // condition variable (facts, settings' values, kinds): numbered after the
    // facts alone, they were taken for a setting's value or a kind.
    let subjects = policy.atoms.len();
    let applies = |o: usize, atom: Cond| {
        let ov = policy.overrides.get(o)?;
        let mut parts = vec![atom];
        if let Some(c) = &ov.condition {
            parts.push(c.expr.clone());
        }
        Some(Cond::And(parts))
    };
    let atom = match ov.subject {
        Subject::Fact(f) => Cond::Fact(f),
        Subject::Everyone => Cond::Const(true),
        Subject::Role { .. } => Cond::Fact(subjects + o),
    };
    let Some(mine) = applies(o, atom.clone()) else {
        return OverrideReach::Applies;
    };
    if truth(&mine) == Truth::Always(false) {
        return OverrideReach::Never;
    }
    if ov.adds {
        return OverrideReach::Applies; // every adding override that applies adds
    }
    let earlier = policy.overrides.iter().enumerate().take(o).find(|(e, eo)| {
        if eo.scope != ov.scope || eo.adds {
            return false;
        }
        let their_atom = match (eo.subject, ov.subject) {
            (Subject::Fact(f), _) => Cond::Fact(f),
            (Subject::Everyone, _) => Cond::Const(true),
            (
                Subject::Role { scope, role },
                Subject::Role {
                    scope: my_scope,
                    role: my_role,
                },
            ) if scope == my_scope && inherits(table, scope, my_role, role) => atom.clone(),
            (Subject::Role { .. }, _) => Cond::Fact(subjects + e),
        };
        applies(*e, their_atom)
            .and_then(|theirs| implies(&mine, &theirs))
            .unwrap_or(false)
    });
    match earlier {
        Some((e, _)) => OverrideReach::After(e),
        None => OverrideReach::Applies,
    }
}

// ------------------------------------------------------- requests and holders

/// What is known of the principal's kind in a question about requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindOf {
    /// Any kind, or none.
    Any,
    /// The request gives no kind.
    None,
    /// The request gives this kind.
    Kind(usize),
}

impl KindOf {
    /// No kind, then each kind of the policy in declaration order.
    pub fn each(policy: &Policy) -> impl Iterator<Item = KindOf> {
        std::iter::once(KindOf::None).chain((0..policy.kinds.len()).map(KindOf::Kind))
    }

    fn index(self) -> Option<usize> {
        match self {
            KindOf::Kind(k) => Some(k),
            KindOf::Any | KindOf::None => None,
        }
    }
}

/// What a request can say of the variables `conds` read: the diagrams read
/// every variable as free, but a setting has one value (at most one of its
/// variables is true), a principal at most one kind, and `kind` pins it.
fn request_constraint(policy: &Policy, conds: &[&Cond], kind: KindOf) -> Cond {
    let mut read = Vec::new();
    for c in conds {
        c.facts(&mut read);
    }
    let mut parts = Vec::new();
    let mut at_most_one = |vars: &[usize]| {
        for (i, &a) in vars.iter().enumerate() {
            for &b in vars.get(i + 1..).unwrap_or_default() {
                parts.push(Cond::Not(Box::new(Cond::And(vec![
                    Cond::Fact(a),
                    Cond::Fact(b),
                ]))));
            }
        }
    };
    for s in 0..policy.settings.len() {
        let values: Vec<usize> = policy
            .setting_atoms(s)
            .filter(|a| read.contains(a))
            .collect();
        at_most_one(&values);
    }
    let kinds: Vec<(usize, usize)> = read
        .iter()
        .filter_map(|&a| match policy.atoms.get(a).map(|x| x.var) {
            Some(Var::Kind(k)) => Some((k, a)),
            _ => None,
        })
        .collect();
    match kind {
        KindOf::Any => at_most_one(&kinds.iter().map(|&(_, a)| a).collect::<Vec<_>>()),
        KindOf::None | KindOf::Kind(_) => {
            for &(k, a) in &kinds {
                let is = Cond::Fact(a);
                parts.push(if Some(k) == kind.index() {
                    is
                } else {
                    Cond::Not(Box::new(is))
                });
            }
        }
    }
    Cond::And(parts)
}

/// Whether `c` holds for every request whose principal is `kind`; `None`
/// when unknown (too large to decide).
pub fn always_for(policy: &Policy, c: &Cond, kind: KindOf) -> Option<bool> {
    implies(&request_constraint(policy, &[c], kind), c)
}

/// Whether `c` holds for some request whose principal is `kind`; `None`
/// when unknown.
pub fn possible_for(policy: &Policy, c: &Cond, kind: KindOf) -> Option<bool> {
    let both = Cond::And(vec![request_constraint(policy, &[c], kind), c.clone()]);
    implies(&both, &Cond::Const(false)).map(|never| !never)
}

/// Whether `c` reads the principal's kind.
pub fn reads_kind(policy: &Policy, c: &Cond) -> bool {
    let mut read = Vec::new();
    c.facts(&mut read);
    read.iter()
        .any(|&a| matches!(policy.atoms.get(a).map(|x| x.var), Some(Var::Kind(_))))
}

/// Whether a principal of `kind` can hold `role` of `scope` before
/// overrides: assigned it (a request giving no kind is not checked, a kind
/// may be assigned what its `assignable` list allows), or by the default the
/// core gives such a principal when nothing is assigned.
pub fn can_hold(table: &DecisionTable, scope: usize, role: usize, kind: KindOf) -> bool {
    let Some((_, sc)) = table.policy.scopes.get_index(scope) else {
        return false;
    };
    match kind {
        // A request giving no kind may assign any role.
        KindOf::Any | KindOf::None => true,
        KindOf::Kind(k) => {
            sc.may_assign(Some(k), role)
                || crate::decision::holders::defaults_reaching(sc, k).any(|d| d.role == Some(role))
        }
    }
}

/// Whether the cell of `role` can decide for a principal of `kind`: the
/// role can be held ([`can_hold`]) or an override into the scope gives it
/// (to anyone, as far as this says).
pub fn can_act_as(table: &DecisionTable, scope: usize, role: usize, kind: KindOf) -> bool {
    can_hold(table, scope, role, kind)
        || table
            .policy
            .overrides
            .iter()
            .any(|o| o.scope == scope && o.role == role)
}

/// Every condition variable something reads: rules' and overrides'
/// conditions, fact subjects of overrides, and the conditions of defaults
/// and `assignable` lines; in order of first use.
pub fn variables_read(policy: &Policy) -> Vec<usize> {
    let mut used = Vec::new();
    for rule in &policy.rules {
        if let Some(c) = &rule.condition {
            c.expr.facts(&mut used);
        }
    }
    for o in &policy.overrides {
        if let crate::resolve::Subject::Fact(f) = o.subject {
            if !used.contains(&f) {
                used.push(f);
            }
        }
        if let Some(c) = &o.condition {
            c.expr.facts(&mut used);
        }
    }
    for scope in policy.scopes.values() {
        let defaults = scope
            .defaults
            .iter()
            .chain(scope.kind_defaults.values().flatten())
            .filter_map(|d| d.condition.as_ref());
        let lists = scope
            .assignable
            .values()
            .flatten()
            .filter_map(|a| a.condition.as_ref());
        for c in defaults.chain(lists) {
            c.expr.facts(&mut used);
        }
    }
    used
}
