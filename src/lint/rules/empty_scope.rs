//! `empty-scope`: a scope with no role or no action.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a scope that declares no role or no action: its table has no cells.
pub struct EmptyScope;

/// The rule's description.
pub static META: Meta = meta! {
    id: "empty-scope",
    category: Category::Style,
    level: Level::Warning,
    summary: "a scope with no role or no action (its table is empty)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a scope that declares no role, or no action.

### Why is this bad?
A scope's table has a cell for each role and action; without either it is
empty, and every request naming it is answered by an unknown-name error or a
deny. Usually the scope is unfinished, or its declarations went into another
scope.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    action watch "Watch"
    allow viewer to watch
}
scope account {
    role owner "Owner"
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    action watch "Watch"
    allow viewer to watch
}
scope account {
    role owner "Owner"
    action pay "Pay"
    allow owner to pay
}
```
"#;

impl Rule for EmptyScope {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (name, scope) in &cx.policy.scopes {
            let missing = match (scope.roles.is_empty(), scope.actions.is_empty()) {
                (false, false) => continue,
                (true, true) => "no role and no action",
                (true, false) => "no role",
                (false, true) => "no action",
            };
            out.push(Finding::new(
                &META,
                &scope.loc,
                format!("scope `{name}` declares {missing}: its table is empty"),
                "empty table",
                "declare its roles and actions, or remove the scope",
            ));
        }
    }
}
