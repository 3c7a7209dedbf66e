//! Hover: the compiled table under the cursor. A role shows its row, an
//! action its column, a rule the cells it decides and those where it is
//! overruled, a fact, setting or kind the cells that read it, an override
//! the principals it changes.

use std::fmt::Write as _;

use super::cells::{self, At};
use super::index::{Index, Symbol};
use super::workspace::Analysis;
use crate::DecisionTable;
use crate::compile::{CellDecision, TargetColumn};
use crate::resolve::{Subject, Var, rule_summary};

/// Most cells listed in one hover; the rest are counted.
const MAX_LISTED: usize = 40;

/// The hover text (Markdown) at byte `offset` of the document's file.
pub fn hover(analysis: &Analysis, index: &Index, offset: usize) -> Option<String> {
    let name = analysis.name.as_str();
    if let Some(occurrence) = index.at(name, offset) {
        let Some(table) = &analysis.table else {
            return Some(format!(
                "{} `{}`\n\n_(no table: the policy does not compile)_",
                occurrence.symbol.what(),
                occurrence.symbol.name()
            ));
        };
        return symbol(table, &occurrence.symbol);
    }
    let table = analysis.table.as_ref()?;
    let policy = table.policy();
    let inside = |loc: &crate::source::Loc| {
        loc.src.name() == name && loc.start <= offset && offset < loc.end
    };
    if let Some(i) = policy.rules.iter().position(|r| inside(&r.loc)) {
        return Some(rule(table, i));
    }
    let i = policy.overrides.iter().position(|o| inside(&o.loc))?;
    Some(override_hover(table, i))
}

fn symbol(table: &DecisionTable, symbol: &Symbol) -> Option<String> {
    let policy = table.policy();
    match symbol {
        Symbol::Role(scope, role) => role_row(table, scope, role),
        Symbol::Action(scope, action) => action_column(table, scope, action),
        Symbol::Fact(name) => {
            let f = policy.facts.get_index_of(name.as_str())?;
            Some(reading(table, &format!("fact `{name}`"), |v| {
                v == Var::Fact(f)
            }))
        }
        Symbol::Kind(name) => {
            let k = policy.kinds.get_index_of(name.as_str())?;
            Some(reading(table, &format!("kind `{name}`"), |v| {
                v == Var::Kind(k)
            }))
        }
        Symbol::Setting(name) => {
            let s = policy.settings.get_index_of(name.as_str())?;
            Some(reading(
                table,
                &format!("setting `{name}`"),
                |v| matches!(v, Var::Value { setting, .. } if setting == s),
            ))
        }
        Symbol::Value(setting, value) => {
            let (s, _, decl) = policy.settings.get_full(setting.as_str())?;
            let v = decl.values.get_index_of(value.as_str())?;
            let mut text = reading(table, &format!("value `{setting} is {value}`"), |var| {
                var == Var::Value {
                    setting: s,
                    value: v,
                }
            });
            if decl.default == v {
                text.push_str("\n\nthe default value: a request that names none has it");
            }
            Some(text)
        }
        Symbol::Scope(name) => {
            let sc = policy.scopes.get(name.as_str())?;
            Some(format!(
                "scope `{name}`{}: {} roles × {} actions",
                label(sc.label.as_deref()),
                sc.roles.len(),
                sc.actions.len()
            ))
        }
        Symbol::Group(scope, group) => {
            let sc = policy.scopes.get(scope.as_str())?;
            let g = sc.groups.get(group.as_str())?;
            let actions: Vec<String> = g
                .actions
                .iter()
                .map(|&a| format!("`{}`", sc.action_name(a)))
                .collect();
            Some(format!(
                "group `{scope}.{group}`{}: {}",
                label(g.label.as_deref()),
                actions.join(", ")
            ))
        }
    }
}

fn label(label: Option<&str>) -> String {
    label.map(|l| format!(" \"{l}\"")).unwrap_or_default()
}

/// Allow, deny or the condition, and the deciding rule.
fn cell_text(table: &DecisionTable, at: At) -> String {
    let Some(cell) = at.cell(table) else {
        return String::new();
    };
    let mut text = match cell.decision {
        CellDecision::Allow => "✅ allow".to_string(),
        CellDecision::Deny => "❌ deny".to_string(),
        CellDecision::Conditional => format!("❓ when `{}`", cell.condition().unwrap_or("")),
    };
    match cell.rule.and_then(|r| table.rule(r)) {
        Some(rule) => {
            let _ = write!(text, " — `{}` ({})", rule_summary(rule), rule.file_line());
        }
        None if cell.decision == CellDecision::Deny => text.push_str(" — by default"),
        None => {}
    }
    text
}

fn role_row(table: &DecisionTable, scope: &str, role: &str) -> Option<String> {
    let policy = table.policy();
    let (s, _, sc) = policy.scopes.get_full(scope)?;
    let (r, _, decl) = sc.roles.get_full(role)?;
    let mut text = format!("**role `{scope}.{role}`**{}", label(decl.label.as_deref()));
    if !decl.parents.is_empty() {
        let parents: Vec<String> = decl
            .parents
            .iter()
            .map(|&p| format!("`{}`", sc.role_name(p)))
            .collect();
        let _ = write!(text, " : {}", parents.join(", "));
    }
    text.push_str("\n\n| action | decision |\n|---|---|\n");
    for a in 0..sc.actions.len() {
        let mut cell = cell_text(table, cells::plain(s, a, r));
        if let Some(Some(origin)) = table.origins(s, a).get(r)
            && origin.from != r
        {
            let _ = write!(cell, ", inherited from `{}`", sc.role_name(origin.from));
        }
        let _ = writeln!(
            text,
            "| `{}` | {} |",
            sc.action_name(a),
            cell.replace('|', "\\|")
        );
    }
    Some(text)
}

fn action_column(table: &DecisionTable, scope: &str, action: &str) -> Option<String> {
    let policy = table.policy();
    let (s, _, sc) = policy.scopes.get_full(scope)?;
    let (a, _, decl) = sc.actions.get_full(action)?;
    let mut text = format!(
        "**action `{scope}.{action}`**{}: who may do it\n\n| role | decision |\n|---|---|\n",
        label(decl.label.as_deref())
    );
    for r in 0..sc.roles.len() {
        let cell = cell_text(table, cells::plain(s, a, r));
        let _ = writeln!(
            text,
            "| `{}` | {} |",
            sc.role_name(r),
            cell.replace('|', "\\|")
        );
    }
    if table
        .action_id(scope, action)
        .is_some_and(|id| table.is_targeted(id))
    {
        target_grid(table, s, a, &mut text);
    }
    Some(text)
}

/// Most roles of a scope whose targeted actions' grids a hover shows.
const MAX_GRID_ROLES: usize = 16;

/// A targeted action's grid: each acting role (rows) on a target holding
/// each role, or on themself (columns), read from the table's own cells.
fn target_grid(table: &DecisionTable, s: usize, a: usize, text: &mut String) {
    let Some(sc) = table.policy().scopes.get_index(s).map(|(_, sc)| sc) else {
        return;
    };
    text.push_str(
        "\ntargeted (`on participant`): the column above is whether a role may do it to \
         someone else (some target role allows it)",
    );
    let roles = sc.roles.len();
    if roles > MAX_GRID_ROLES {
        let _ = writeln!(
            text,
            "; the grid of its {roles} × {} cells is in `rolecall table --format html`",
            roles + 1
        );
        return;
    }
    text.push_str(". Per target (acting role ↓, target →):\n\n|   |");
    let columns: Vec<TargetColumn> = TargetColumn::all(roles).collect();
    for c in &columns {
        let _ = write!(text, " `{}` |", c.name(sc));
    }
    text.push_str("\n|---|");
    text.push_str(&"---|".repeat(columns.len()));
    text.push('\n');
    for r in 0..roles {
        let _ = write!(text, "| `{}` |", sc.role_name(r));
        for c in &columns {
            let mark = match c.cell(table, s, a, r).map(|cell| cell.decision) {
                Some(CellDecision::Allow) => "✅",
                Some(CellDecision::Deny) => "❌",
                Some(CellDecision::Conditional) => "❓",
                None => "",
            };
            let _ = write!(text, " {mark} |");
        }
        text.push('\n');
    }
}

fn list(table: &DecisionTable, cells: &[At], out: &mut String) {
    for &at in cells.iter().take(MAX_LISTED) {
        let _ = writeln!(
            out,
            "- {}: {}",
            cells::describe(table, at),
            cell_text(table, at)
        );
    }
    if let Some(more) = cells.len().checked_sub(MAX_LISTED).filter(|&n| n > 0) {
        let _ = writeln!(out, "- … and {more} more");
    }
}

fn reading(table: &DecisionTable, what: &str, wanted: impl Fn(Var) -> bool) -> String {
    let cells = cells::reading(table, &wanted);
    let mut text = format!(
        "**{what}**: {} conditional cells depend on it\n\n",
        cells.len()
    );
    list(table, &cells, &mut text);
    // Who holds which role depends on it too: defaults, assignable lists, overrides.
    let decls = declarations_reading(table, &wanted);
    if !decls.is_empty() {
        let _ = writeln!(
            text,
            "\nread by {} declaration{} (who holds which role):\n",
            decls.len(),
            if decls.len() == 1 { "" } else { "s" }
        );
        for loc in decls.iter().take(MAX_LISTED) {
            let _ = writeln!(
                text,
                "- `{}` ({})",
                loc.text().split_whitespace().collect::<Vec<_>>().join(" "),
                loc.file_line()
            );
        }
        if let Some(more) = decls.len().checked_sub(MAX_LISTED).filter(|&n| n > 0) {
            let _ = writeln!(text, "- … and {more} more");
        }
    }
    text
}

/// The defaults, assignable lists and overrides whose condition reads a
/// variable `wanted` accepts, or that are for a kind or fact it accepts.
fn declarations_reading<'a>(
    table: &'a DecisionTable,
    wanted: &dyn Fn(Var) -> bool,
) -> Vec<&'a crate::source::Loc> {
    let policy = table.policy();
    let reads = |c: Option<&crate::resolve::Condition>| {
        let mut read = Vec::new();
        if let Some(c) = c {
            c.expr.facts(&mut read);
        }
        read.iter()
            .any(|&i| policy.atoms.get(i).is_some_and(|atom| wanted(atom.var)))
    };
    let mut out = Vec::new();
    for scope in policy.scopes.values() {
        for d in &scope.defaults {
            if reads(d.condition.as_ref()) {
                out.push(&d.loc);
            }
        }
        for (&k, list) in &scope.kind_defaults {
            for d in list {
                if wanted(Var::Kind(k)) || reads(d.condition.as_ref()) {
                    out.push(&d.loc);
                }
            }
        }
        for (&k, list) in &scope.assignable {
            for a in list {
                if wanted(Var::Kind(k)) || reads(a.condition.as_ref()) {
                    out.push(&a.loc);
                }
            }
        }
    }
    for o in &policy.overrides {
        let subject = matches!(o.subject, Subject::Fact(f) if wanted(Var::Fact(f)));
        if subject || reads(o.condition.as_ref()) {
            out.push(&o.loc);
        }
    }
    out.sort_by_key(|loc| (loc.src.name().to_string(), loc.start));
    out
}

/// A rule: the cells it decides and those it names but does not decide,
/// a targeted action's grid cells (acting role on each target) included.
pub fn rule(table: &DecisionTable, i: usize) -> String {
    let policy = table.policy();
    let Some(rule) = policy.rules.get(i) else {
        return String::new();
    };
    // The lens's count is of the same cells (`cells::decided_counts`).
    let decided = cells::decided(table, i);
    let overruled = cells::overruled(table, i);
    let mut text = format!(
        "**`{}`** {}\n\n",
        rule_summary(rule),
        super::lens::title(decided.len())
    );
    list(table, &decided, &mut text);
    if !overruled.is_empty() {
        let n = overruled.len();
        let _ = write!(
            text,
            "\noverruled in {n} cell{} it names:\n\n",
            if n == 1 { "" } else { "s" }
        );
        list(table, &overruled, &mut text);
    }
    text
}

fn override_hover(table: &DecisionTable, i: usize) -> String {
    let policy = table.policy();
    let Some(o) = policy.overrides.get(i) else {
        return String::new();
    };
    let mut text = format!("**override** `{}`\n\n", policy.describe_override(o));
    let who = match o.subject {
        Subject::Role { scope, role } => {
            let holders: Vec<String> = table
                .override_holders
                .get(i)
                .map(|roles| {
                    roles
                        .iter()
                        .enumerate()
                        .filter(|&(_, &holds)| holds)
                        .map(|(r, _)| format!("`{}`", policy.role_name(scope, r)))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "principals holding {} (the role {} or one inheriting it)",
                holders.join(", "),
                policy.role_name(scope, role)
            )
        }
        Subject::Fact(f) => format!("principals for whom `{}` is true", policy.fact_name(f)),
        Subject::Everyone => "every principal".to_string(),
    };
    let how = if o.adds { "also act as" } else { "act only as" };
    let _ = write!(
        text,
        "changes: {who}; they {how} `{}`",
        policy.role_name(o.scope, o.role)
    );
    if let Some(c) = &o.condition {
        let _ = write!(text, " when `{}`", c.text);
    }
    text
}
