//! `role-adds-nothing`: a role allowed exactly what its parents allow.

use crate::lint::analysis::names;
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a role with parents that is allowed exactly what holding its parents gives.
pub struct RoleAddsNothing;

/// The rule's description.
pub static META: Meta = meta! {
    id: "role-adds-nothing",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "a role that adds nothing to its parents",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a role that inherits other roles and is allowed exactly what holding all
its parents together allows: every action, under the same conditions.

### Why is this bad?
The role is a second name for its parents. Usually the rules that were to set
it apart are missing (or name another role); otherwise the role can go. When
the difference lives elsewhere (who may be assigned it, a limit, an override),
suppress the finding and say so.

### Example
```rolecall
scope session {
    role speaker "Speaker"
    role guest_speaker "Guest speaker" : speaker
    action talk "Talk"
    action share "Share screen"
    allow speaker to talk, share
}
```

### Use instead
```rolecall
scope session {
    role speaker "Speaker"
    role guest_speaker "Guest speaker" : speaker
    action talk "Talk"
    action share "Share screen"
    allow speaker to talk, share
    deny guest_speaker to share
}
```
"#;

impl Rule for RoleAddsNothing {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (s, scope) in cx.policy.scopes.values().enumerate() {
            if scope.actions.is_empty() {
                continue;
            }
            for (r, (name, role)) in scope.roles.iter().enumerate() {
                let facts = cx.role_facts(s, r);
                if !facts.adds_nothing || facts.grants_nothing {
                    continue;
                }
                let parents: Vec<&str> = role.parents.iter().map(|&p| cx.role_name(s, p)).collect();
                out.push(Finding::new(
                    &META,
                    &role.loc,
                    format!(
                        "role `{name}` adds nothing to {}: it is allowed exactly what {} allow{}",
                        names(&parents),
                        if parents.len() == 1 {
                            "its parent"
                        } else {
                            "its parents together"
                        },
                        if parents.len() == 1 { "s" } else { "" },
                    ),
                    if parents.len() == 1 {
                        "a second name for its parent"
                    } else {
                        "a second name for its parents"
                    },
                    format!(
                        "give `{name}` the rules that set it apart, or use {} instead",
                        names(&parents)
                    ),
                ));
            }
        }
    }
}
