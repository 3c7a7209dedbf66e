//! `role-grants-nothing`: a role denied every action.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a role whose every cell is denied, whatever the facts.
pub struct RoleGrantsNothing;

/// The rule's description.
pub static META: Meta = meta! {
    id: "role-grants-nothing",
    category: Category::Correctness,
    level: Level::Warning,
    summary: "a role granted nothing (every action denied)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a role that is denied every action of its scope whatever the facts:
no rule allows it anything, directly or through the roles it inherits, or
every such allow is overruled.

### Why is this bad?
Holding the role is the same as holding nothing. Either its rules were
forgotten (or written for a misspelt role), or the role is not needed.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    role speaker "Speaker"
    action watch "Watch"
    action talk "Talk"
    allow viewer to watch
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    action watch "Watch"
    action talk "Talk"
    allow viewer to watch
    allow speaker to talk
}
```
"#;

impl Rule for RoleGrantsNothing {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (s, (scope_name, scope)) in cx.policy.scopes.iter().enumerate() {
            if scope.actions.is_empty() {
                continue; // empty-scope says it
            }
            for (r, (name, role)) in scope.roles.iter().enumerate() {
                if cx.role_facts(s, r).grants_nothing {
                    out.push(Finding::new(
                        &META,
                        &role.loc,
                        format!("role `{name}` is granted nothing: every action of scope `{scope_name}` is denied to it"),
                        "holding it is the same as holding no role",
                        format!("allow it what it may do (`allow {name} to ACTION`), make it inherit a role, or remove it"),
                    ));
                }
            }
        }
    }
}
