//! `action-never-mentioned`: an action no rule names.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags an action that no `allow` or `deny` names: it is denied to everyone.
pub struct ActionNeverMentioned;

/// The rule's description.
pub static META: Meta = meta! {
    id: "action-never-mentioned",
    category: Category::Correctness,
    level: Level::Warning,
    summary: "an action no rule names (always denied)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags an action that no rule of its scope names.

### Why is this bad?
Nothing allowed is denied, so the action is denied to every role. That is
rarely the intent of declaring it: usually a rule was forgotten, or names a
misspelt twin of the action elsewhere.

### Example
```rolecall
scope session {
    role host "Host"
    action start "Start"
    action stop "Stop"
    allow host to start
}
```

### Use instead
```rolecall
scope session {
    role host "Host"
    action start "Start"
    action stop "Stop"
    allow host to start, stop
}
```
"#;

impl Rule for ActionNeverMentioned {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (s, (scope_name, scope)) in cx.policy.scopes.iter().enumerate() {
            if scope.roles.is_empty() {
                continue; // empty-scope says it
            }
            for (a, (name, action)) in scope.actions.iter().enumerate() {
                let named = cx
                    .policy
                    .rules
                    .iter()
                    .any(|r| r.scope == s && r.actions.contains(&a));
                if !named {
                    out.push(Finding::new(
                        &META,
                        &action.loc,
                        format!("no rule names action `{name}`: it is denied to every role of scope `{scope_name}`"),
                        "never allowed",
                        format!("allow it to the roles that may do it (`allow ROLE to {name}`), or remove the action"),
                    ));
                }
            }
        }
    }
}
