//! `allow-deny-conflict`: an allow and a deny settled only by the tie-break.

use crate::lint::analysis::names;
use crate::lint::context::Conflict;
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags an allow and an unconditional deny reaching the same role and action
/// at the same distance, when they are the nearest rules: deny wins.
pub struct AllowDenyConflict;

/// The rule's description.
pub static META: Meta = meta! {
    id: "allow-deny-conflict",
    category: Category::Suspicious,
    level: Level::Warning,
    summary: "allow and deny for the same role and action at the same level (deny wins)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags an `allow` and an unconditional `deny` that reach the same role and
action at the same distance, when they are the nearest rules for it: both
name the role, or the role inherits both through parents equally far away.
At equal distance deny beats allow, so the deny wins and the allow never
applies there.

A conditional deny beside an unconditional allow is the usual way to write an
exception (`deny guest to chat when muted`) and is not flagged.

### Why is this bad?
The outcome is settled by the tie-break alone, not by anything the policy
says about which rule is meant. Usually one of the two rules names the wrong
role, or a role inherits from two parents that disagree.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    action chat "Chat"
    action watch "Watch"
    allow viewer to chat, watch
    deny viewer to chat
}
```

### Use instead
```rolecall
fact muted "Muted"
scope session {
    role viewer "Viewer"
    action chat "Chat"
    action watch "Watch"
    allow viewer to chat, watch
    deny viewer to chat when muted
}
```
"#;

impl Rule for AllowDenyConflict {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // One finding per deny and cell, however many allows it beats there.
        let mut groups: Vec<(&Conflict, Vec<usize>)> = Vec::new();
        for c in cx.conflicts() {
            let key = (c.deny, c.scope, c.action, c.role, c.distance);
            match groups
                .iter_mut()
                .find(|(g, _)| (g.deny, g.scope, g.action, g.role, g.distance) == key)
            {
                Some((_, allows)) => allows.push(c.allow),
                None => groups.push((c, vec![c.allow])),
            }
        }
        for (c, allows) in groups {
            let Some(deny) = cx.policy.rules.get(c.deny) else {
                continue;
            };
            let role = cx.role_name(c.scope, c.role);
            let action = cx.action_name(c.scope, c.action);
            let named_loc = |id: usize| {
                let rule = cx.policy.rules.get(id)?;
                Some(
                    rule.roles
                        .iter()
                        .position(|&r| r == c.role)
                        .and_then(|i| cx.rule_role_loc(id, i))
                        .unwrap_or_else(|| rule.loc.clone()),
                )
            };
            let mut finding = if c.distance == 0 {
                let Some(loc) = named_loc(c.deny) else {
                    continue;
                };
                let mut f = Finding::new(
                    &META,
                    &loc,
                    format!(
                        "`{role}` is both allowed and denied `{action}` at the same level; deny wins by the tie-break"
                    ),
                    "this deny wins",
                    format!(
                        "remove the rule that is wrong; to deny `{action}` only sometimes, give the deny a `when` condition"
                    ),
                );
                for &a in &allows {
                    if let Some(loc) = named_loc(a) {
                        f = f.with_note(&loc, "this allow never applies to it");
                    }
                }
                f
            } else {
                let Some(role_loc) = cx
                    .policy
                    .scopes
                    .get_index(c.scope)
                    .and_then(|(_, s)| s.roles.get_index(c.role))
                    .map(|(_, r)| r.loc.clone())
                else {
                    continue;
                };
                let from = |id: usize| {
                    let path = cx.table.inheritance_path_at(c.scope, c.role, id);
                    let named = path.last().map(|&r| cx.role_name(c.scope, r));
                    crate::invariant::name_or_missing(named, "role on the path").to_string()
                };
                let mut sources: Vec<String> = Vec::new();
                for &a in &allows {
                    let name = from(a);
                    if !sources.contains(&name) {
                        sources.push(name);
                    }
                }
                let mut f = Finding::new(
                    &META,
                    &role_loc,
                    format!(
                        "`{role}` inherits an allow of `{action}` from {} and a deny from `{}` at the same distance ({}); deny wins by the tie-break",
                        names(&sources),
                        from(c.deny),
                        c.distance
                    ),
                    "the parents disagree",
                    format!(
                        "say what `{role}` may do itself (`allow {role} to {action}` or `deny {role} to {action}`), or fix the parent rule that is wrong"
                    ),
                )
                .with_note(&deny.loc, "this deny wins");
                for &a in &allows {
                    if let Some(rule) = cx.policy.rules.get(a) {
                        f = f.with_note(&rule.loc, "this allow loses");
                    }
                }
                f
            };
            finding
                .notes
                .dedup_by(|a, b| a.0.start == b.0.start && a.0.end == b.0.end);
            out.push(finding);
        }
    }
}
