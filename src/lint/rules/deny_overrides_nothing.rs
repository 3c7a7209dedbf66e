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
            if rule.effect != Effect::Deny || !deciding.get(id).copied().unwrap_or(false) {
                continue;
            }
            let s = rule.scope;
            for (i, &r) in rule.roles.iter().enumerate() {
                let idle: Vec<&str> = rule
                    .actions
                    .iter()
                    .filter(|&&x| {
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
                    .map(|&x| cx.action_name(s, x))
                    .collect();
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
                    format!(
                        "remove {} from this deny for `{role}`, or check whether the allow it was meant to overrule names another role",
                        names(&idle)
                    ),
                ));
            }
        }
    }
}
