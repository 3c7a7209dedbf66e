//! `override-demotes`: an override that gives holders of a higher role a
//! lower one.

use indexmap::IndexMap;

use crate::lint::analysis::{
    KindOf, OverrideReach, Truth, allow_when, can_hold, descendants, names, override_reach,
    possible_for, reads_kind, truth,
};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::resolve::{Cond, Subject};
use crate::source::Loc;

/// Flags an override into a scope that takes from principals holding a role
/// ranked above the one it gives what that role allowed them.
pub struct OverrideDemotes;

/// The rule's description.
pub static META: Meta = meta! {
    id: "override-demotes",
    category: Category::Suspicious,
    level: Level::Warning,
    summary: "an override that demotes principals holding a role above the one it gives",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags an override (`X joins S as R`) that can apply to a principal who holds,
in `S`, a role ranked above `R` (a role that inherits `R`), and takes from
them actions that role allows: the override replaces every role held in `S`.
A principal holds a role by assignment (when their kind may be assigned it,
or the request gives no kind) or by a default; the override's subject and
condition must be able to hold for them, and the actions are those the higher
role allows and `R` does not, under that condition.

### Why is this bad?
An override reads as a promotion for the principals it names ("everyone joins
as presenter"), but it is a replacement: an organizer it applies to becomes a
presenter and loses the organizer's rights, without an error or a deny rule
to show it.

### Example
```rolecall
fact joined_by_link "Joined by link"
scope session {
    role presenter "Presenter"
    role organizer "Organizer" : presenter
    action present "Present"
    action start "Start"
    allow presenter to present
    allow organizer to start
}
joined_by_link joins session as presenter
```

### Use instead
Restrict the override to principals who cannot hold the higher roles (by
kind, when their `assignable` lists leave them out), or give it a role that
keeps what they may do.
```rolecall
fact joined_by_link "Joined by link"
kind guest "Guest"
scope session {
    role presenter "Presenter"
    role organizer "Organizer" : presenter
    action present "Present"
    action start "Start"
    allow presenter to present
    allow organizer to start
    assignable guest: presenter
}
joined_by_link joins session as presenter when kind is guest
```
"#;

/// Roles, and actions per role, named in a message; the rest are counted.
const MAX_LISTED: usize = 4;

/// Something that replaces every role a principal holds in a scope with one
/// role, under a condition: a replacing override, `everyone` ones included
/// ("when who can present is everyone, everyone joins as presenter"). A
/// default, conditional on a setting or not, never replaces an assigned
/// role (it applies only to principals with nothing assigned), and an
/// adding override (`also joins`) keeps the held roles: neither demotes,
/// and the near-miss fixture says so. The check reads nothing else of an
/// override, so a new source is a new constructor in [`replacements`].
struct Replacement<'p> {
    /// The scope whose roles it replaces.
    scope: usize,
    /// The role it gives.
    role: usize,
    /// When it applies, over the condition variables.
    when: Cond,
    /// A role subject: the principal must hold, in that scope, one of these
    /// roles (the subject and the roles inheriting it).
    subject: Option<(usize, Vec<usize>)>,
    /// Its declaration.
    loc: &'p Loc,
    /// As the message cites it.
    text: String,
}

/// Every replacement that can take effect: overrides whose condition is not
/// constantly false and that are, for some request, the first applying one
/// (`override-changes-nothing` reports the others).
fn replacements<'p>(cx: &Context<'p>) -> Vec<Replacement<'p>> {
    let policy = cx.policy;
    let mut out = Vec::new();
    for (o, ov) in policy.overrides.iter().enumerate() {
        let condition = ov.condition.as_ref().map(|c| &c.expr);
        // An adding override demotes no one: the held roles stay.
        if ov.adds
            || condition.is_some_and(|c| truth(c) == Truth::Always(false))
            || override_reach(cx.table, o) != OverrideReach::Applies
        {
            continue;
        }
        let mut when = Vec::new();
        let subject = match ov.subject {
            Subject::Fact(f) => {
                when.push(Cond::Fact(f));
                None
            }
            Subject::Everyone => None,
            Subject::Role { scope, .. } => {
                let roles = policy
                    .scopes
                    .get_index(scope)
                    .map_or(0, |(_, sc)| sc.roles.len());
                let holders = (0..roles)
                    .filter(|&r| cx.table.override_triggered_by_role(o, r))
                    .collect();
                Some((scope, holders))
            }
        };
        when.extend(condition.cloned());
        out.push(Replacement {
            scope: ov.scope,
            role: ov.role,
            when: Cond::And(when),
            subject,
            loc: &ov.loc,
            text: policy.describe_override(ov),
        });
    }
    out
}

impl Rule for OverrideDemotes {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for rep in replacements(cx) {
            let lost = demoted(cx, &rep);
            if !lost.is_empty() {
                out.push(finding(cx, &rep, &lost));
            }
        }
    }
}

/// The roles above the one `rep` gives whose holders it can apply to, with
/// the actions (declaration order) they lose.
fn demoted(cx: &Context<'_>, rep: &Replacement<'_>) -> IndexMap<usize, Vec<usize>> {
    let policy = cx.policy;
    let table = cx.table;
    let s = rep.scope;
    let actions = policy
        .scopes
        .get_index(s)
        .map_or(0, |(_, sc)| sc.actions.len());
    // What the given role is allowed, once for every role above it.
    let gets: Vec<Cond> = (0..actions)
        .map(|a| allow_when(table, s, a, rep.role))
        .collect();
    // Whether the replacement can apply at all, by kind: all an action
    // allowed above and never to the given role needs (most cells).
    let mut applies: Vec<(KindOf, bool)> = Vec::new();
    let mut can_apply = |k: KindOf| match applies.iter().find(|(seen, _)| *seen == k) {
        Some(&(_, b)) => b,
        None => {
            let b = possible_for(policy, &rep.when, k) == Some(true);
            applies.push((k, b));
            b
        }
    };
    let mut lost: IndexMap<usize, Vec<usize>> = IndexMap::new();
    for h in descendants(table, s, rep.role) {
        if h == rep.role {
            continue;
        }
        let cells: Vec<(usize, Cond, &Cond)> = gets
            .iter()
            .enumerate()
            .filter_map(|(a, gets)| {
                let had = allow_when(table, s, a, h);
                // An action the higher role never has, or the given role
                // always has, or under the same condition, is not lost.
                (had != Cond::Const(false) && *gets != Cond::Const(true) && had != *gets)
                    .then_some((a, had, gets))
            })
            .collect();
        if cells.is_empty() {
            continue;
        }
        // The kind matters only where something reads it: holding a role
        // does not (a request giving no kind may assign any).
        let kinds: Vec<KindOf> = if reads_kind(policy, &rep.when)
            || cells
                .iter()
                .any(|(_, had, gets)| reads_kind(policy, had) || reads_kind(policy, gets))
        {
            KindOf::each(policy)
                .filter(|&k| holds(cx, rep, h, k))
                .collect()
        } else {
            vec![KindOf::Any]
        };
        for (a, had, gets) in cells {
            let loses = if had == Cond::Const(true) && *gets == Cond::Const(false) {
                kinds.iter().any(|&k| can_apply(k))
            } else {
                let loses = Cond::And(vec![
                    rep.when.clone(),
                    had,
                    Cond::Not(Box::new(gets.clone())),
                ]);
                kinds
                    .iter()
                    .any(|&k| possible_for(policy, &loses, k) == Some(true))
            };
            if loses {
                lost.entry(h).or_default().push(a);
            }
        }
    }
    lost
}

/// Whether a principal of `kind` can hold role `h` of the replacement's
/// scope and be one it applies to (overrides are not chained: the subject
/// role is held before any override).
fn holds(cx: &Context<'_>, rep: &Replacement<'_>, h: usize, kind: KindOf) -> bool {
    can_hold(cx.table, rep.scope, h, kind)
        && rep
            .subject
            .as_ref()
            .is_none_or(|(scope, roles)| roles.iter().any(|&r| can_hold(cx.table, *scope, r, kind)))
}

fn finding(cx: &Context<'_>, rep: &Replacement<'_>, lost: &IndexMap<usize, Vec<usize>>) -> Finding {
    let s = rep.scope;
    let scope_name = crate::invariant::name_or_missing(
        cx.policy.scopes.get_index(s).map(|(n, _)| n.as_str()),
        "scope",
    );
    let given = cx.role_name(s, rep.role);
    let mut parts: Vec<String> = lost
        .iter()
        .take(MAX_LISTED)
        .map(|(&h, actions)| {
            let mut listed: Vec<String> = actions
                .iter()
                .take(MAX_LISTED)
                .map(|&a| format!("`{}`", cx.action_name(s, a)))
                .collect();
            if actions.len() > MAX_LISTED {
                listed.push(format!("{} more", actions.len() - MAX_LISTED));
            }
            format!("`{}` loses {}", cx.role_name(s, h), names_plain(&listed))
        })
        .collect();
    if lost.len() > MAX_LISTED {
        parts.push(format!(
            "{} more roles lose actions",
            lost.len() - MAX_LISTED
        ));
    }
    let message = format!(
        "`{}` demotes principals holding a role above `{given}` in `{scope_name}`: {}",
        rep.text,
        parts.join("; ")
    );
    let higher: Vec<&str> = lost.keys().map(|&h| cx.role_name(s, h)).collect();
    let help = format!(
        "an override replaces every role held in `{scope_name}`: restrict it to principals who cannot hold {} (say `when kind is …` for a kind their `assignable` lists leave out), or make it give a role that keeps what they may do",
        names(&higher)
    );
    Finding::new(
        &META,
        rep.loc,
        message,
        format!("gives `{given}` in place of higher roles"),
        help,
    )
}

/// Items joined with commas and a final `and`, as given.
fn names_plain(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
