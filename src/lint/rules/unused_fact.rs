//! `unused-fact`: a fact nothing reads.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a fact that no condition and no override reads.
pub struct UnusedFact;

/// The rule's description.
pub static META: Meta = meta! {
    id: "unused-fact",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "a fact never used",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `fact` that no `when` condition reads (of a rule, an override, a
`default` or an `assignable` line) and no override is triggered by.

### Why is this bad?
Callers are asked to supply a fact that changes no decision. Usually the
condition that was to read it is missing, or reads a misspelt twin.

### Example
```rolecall
fact organizer_permission "With the organizer's permission"
scope session {
    role viewer "Viewer"
    action chat "Chat"
    allow viewer to chat
}
```

### Use instead
```rolecall
fact organizer_permission "With the organizer's permission"
scope session {
    role viewer "Viewer"
    action chat "Chat"
    allow viewer to chat when organizer_permission
}
```
"#;

impl Rule for UnusedFact {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        let used = crate::lint::analysis::variables_read(policy);
        for (f, (name, fact)) in policy.facts.iter().enumerate() {
            if !used.contains(&f) {
                out.push(Finding::new(
                    &META,
                    &fact.loc,
                    format!("fact `{name}` is never used"),
                    "no condition or override reads it",
                    format!("use it in a condition (`when {name}`) or an override, or remove it"),
                ));
            }
        }
    }
}
