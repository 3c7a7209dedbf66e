//! `empty-section`: a section declaring no action.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::syntax::ast::{Item, ScopeItem};

/// Flags a `section` block that declares no action.
pub struct EmptySection;

/// The rule's description.
pub static META: Meta = meta! {
    id: "empty-section",
    category: Category::Style,
    level: Level::Warning,
    summary: "an empty section (it declares no action)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `section "…" { }` block that declares no action (it may hold rules or
notes only).

### Why is this bad?
Sections group actions under a heading in the rendered tables; one without
actions shows nothing, and its heading is lost. Usually its actions were
declared outside it by mistake.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    section "Interaction" {
    }
    action chat "Chat"
    allow viewer to chat
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    section "Interaction" {
        action chat "Chat"
    }
    allow viewer to chat
}
```
"#;

impl Rule for EmptySection {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for file in cx.files {
            for item in &file.tree.items {
                let Item::Scope(scope) = item else { continue };
                for item in &scope.items {
                    let ScopeItem::Section(section) = item else {
                        continue;
                    };
                    if section
                        .items
                        .iter()
                        .any(|i| matches!(i, ScopeItem::Action(_)))
                    {
                        continue;
                    }
                    out.push(Finding::new(
                        &META,
                        &section.label.loc,
                        format!("section \"{}\" declares no action", section.label.value),
                        "empty section",
                        "move the actions it heads into it, or remove it",
                    ));
                }
            }
        }
    }
}
