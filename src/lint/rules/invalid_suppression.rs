//! `invalid-suppression`: a suppression comment that is malformed or gives no reason.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a `# rolecall:` comment that is not a well-formed suppression with a reason.
/// Reported by the suppression pass, not by `check`.
pub struct InvalidSuppression;

/// The rule's description.
pub static META: Meta = meta! {
    id: "invalid-suppression",
    category: Category::Suppression,
    level: Level::Warning,
    summary: "a suppression that is malformed, names an unknown rule, or gives no reason",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a comment starting with `rolecall:` that is not of the form
`# rolecall: allow(RULE, …) because REASON`: no rule list, an unknown rule
id, one of the two suppression rules, or no reason. A suppression without a
reason still suppresses; the others suppress nothing. It cannot be suppressed.

### Why is this bad?
A suppression is a claim that a finding is wrong or accepted here; without
the reason, the next reader cannot tell whether it still holds. A misspelt
rule id silences nothing while looking as if it did.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    # rolecall: allow(role-adds-nothing)
    role guest "Guest" : viewer
    action watch "Watch"
    allow viewer to watch
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    # rolecall: allow(role-adds-nothing) because guests are billed apart
    role guest "Guest" : viewer
    action watch "Watch"
    allow viewer to watch
}
```
"#;

impl Rule for InvalidSuppression {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, _: &Context<'_>, _: &mut Vec<Finding>) {}
}
