//! `unused-suppression`: a suppression that suppresses nothing.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a rule named in a suppression comment that silences no finding.
/// Reported by the suppression pass, not by `check`.
pub struct UnusedSuppression;

/// The rule's description.
pub static META: Meta = meta! {
    id: "unused-suppression",
    category: Category::Suppression,
    level: Level::Warning,
    summary: "a suppression that suppresses nothing",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a rule named in a `# rolecall: allow(…)` comment when no finding of that
rule starts on the line the comment covers: its own line when it ends a line
of code, otherwise the next line that is not only a comment. It cannot be
suppressed.

### Why is this bad?
A stale suppression claims a problem that is no longer there, and would
silently hide a new finding of that rule on the same line later.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    action watch "Watch"
    # rolecall: allow(shadowed-rule) because kept from the source
    allow viewer to watch
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    action watch "Watch"
    allow viewer to watch
}
```
"#;

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, _: &Context<'_>, _: &mut Vec<Finding>) {}
}
