//! `deny-overrides-nothing`: a deny of what would be denied anyway.

use crate::lint::analysis::{names, remove_pair};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::syntax::ast::Effect;

/// Flags the roles of a `deny` whose cells would be denied without it.
pub struct DenyOverridesNothing;

/// The rule's description.
pub static META: Meta = meta! {
    id: "deny-overrides-nothing",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "a deny that overrides nothing (denied anyway)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a role named in a `deny` for actions that would be denied to it (and to
every role inheriting it) without the deny: no allow it would overrule reaches
them.

### Why is this bad?
Nothing allowed is denied already, so the deny has no effect; a reader takes
it for an exception to some allow and looks for one that is not there. Often
the allow it was written against names another role, or was removed.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    role host "Host"
    action watch "Watch"
    action kick "Kick"
    allow viewer to watch
    allow host to watch, kick
    deny viewer to kick
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    role host "Host"
    action watch "Watch"
    action kick "Kick"
    allow viewer to watch
    allow host to watch, kick
}
```
"#;

impl Rule for DenyOverridesNothing {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let deciding = cx.deciding_rules();
        for (id, rule) in cx.policy.rules.iter().enumerate() {
            // A forbid that decides nothing in its own cells still denies
            // a principal whose other held roles allow: it is not idle.
            if rule.effect != Effect::Deny
                || rule.forbid
                || !deciding.get(id).copied().unwrap_or(false)
            {
                continue;
            }
            let s = rule.scope;
            for (i, &r) in rule.roles.iter().enumerate() {
                let idle_actions: Vec<usize> = rule
                    .actions
                    .iter()
                    .copied()
                    .filter(|&x| {
                        let Some(removal) = remove_pair(cx.table, id, r, x) else {
                            return false;
                        };
                        // Of two denies naming the role alike, the later one is the copy.
                        let later_twin = removal.then.iter().any(|c| {
                            c.effect == Effect::Deny
                                && !c.conditional
                                && c.distance == 0
                                && c.rule > id
                        });
                        removal.unchanged && !later_twin
                    })
                    .collect();
                let idle: Vec<&str> = idle_actions.iter().map(|&x| cx.action_name(s, x)).collect();
                // Another role of the scope allows one of them: the deny was
                // likely meant to win over that role for a principal holding
                // both, which only a `forbid` does.
                let roles = cx
                    .policy
                    .scopes
                    .get_index(s)
                    .map_or(0, |(_, sc)| sc.roles.len());
                let allowed_elsewhere = idle_actions.iter().any(|&x| {
                    (0..roles).any(|other| {
                        cx.table
                            .cell_at(s, x, other)
                            .is_some_and(|c| c.decision != crate::compile::CellDecision::Deny)
                    })
                });
                if idle.is_empty() {
                    continue;
                }
                let role = cx.role_name(s, r);
                let Some(loc) = cx.rule_role_loc(id, i) else {
                    continue;
                };
                out.push(Finding::new(
                    &META,
                    &loc,
                    format!(
                        "denying {} to `{role}` overrides nothing: it would be denied anyway",
                        names(&idle)
                    ),
                    "no allow to overrule here",
                    if allowed_elsewhere {
                        format!(
                            "remove {} from this deny for `{role}`; a deny refines `{role}` only, so to deny a principal holding `{role}` whatever their other roles allow, write `forbid`",
                            names(&idle)
                        )
                    } else {
                        format!(
                            "remove {} from this deny for `{role}`, or check whether the allow it was meant to overrule names another role",
                            names(&idle)
                        )
                    },
                ));
            }
        }
    }
}
