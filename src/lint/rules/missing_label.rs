//! `missing-label`: an unlabelled declaration where its kind is labelled.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::source::Loc;

/// Flags a declaration without a label among declarations of its kind that mostly have one.
pub struct MissingLabel;

/// The rule's description.
pub static META: Meta = meta! {
    id: "missing-label",
    category: Category::Style,
    level: Level::Info,
    summary: "a label missing where the policy labels the others",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a scope, role, action, fact or kind declared without a label when most
declarations of the same sort in the policy have one.

### Why is this bad?
Labels are what the Markdown table and the people reading it see. One missing
label shows the bare identifier in the middle of the source's wording, and
usually marks a declaration added later in a hurry.

### Example
```rolecall
scope session "Session" {
    role viewer "Viewer"
    role host "Host"
    action watch "Watch"
    action chat "Chat"
    action start
    allow viewer to watch, chat
    allow host to start
}
```

### Use instead
```rolecall
scope session "Session" {
    role viewer "Viewer"
    role host "Host"
    action watch "Watch"
    action chat "Chat"
    action start "Start the session"
    allow viewer to watch, chat
    allow host to start
}
```
"#;

impl Rule for MissingLabel {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let p = cx.policy;
        let scopes: Vec<(&str, bool, &Loc)> = p
            .scopes
            .iter()
            .map(|(n, s)| (n.as_str(), s.label.is_some(), &s.loc))
            .collect();
        let roles: Vec<(&str, bool, &Loc)> = p
            .scopes
            .values()
            .flat_map(|s| s.roles.iter())
            .map(|(n, r)| (n.as_str(), r.label.is_some(), &r.loc))
            .collect();
        let actions: Vec<(&str, bool, &Loc)> = p
            .scopes
            .values()
            .flat_map(|s| s.actions.iter())
            .map(|(n, a)| (n.as_str(), a.label.is_some(), &a.loc))
            .collect();
        let facts: Vec<(&str, bool, &Loc)> = p
            .facts
            .iter()
            .map(|(n, f)| (n.as_str(), f.label.is_some(), &f.loc))
            .collect();
        let kinds: Vec<(&str, bool, &Loc)> = p
            .kinds
            .iter()
            .map(|(n, k)| (n.as_str(), k.label.is_some(), &k.loc))
            .collect();
        let mut found = Vec::new();
        for (what, plural, items) in [
            ("scope", "scopes", scopes),
            ("role", "roles", roles),
            ("action", "actions", actions),
            ("fact", "facts", facts),
            ("kind", "kinds", kinds),
        ] {
            let labelled = items.iter().filter(|(_, l, _)| *l).count();
            let total = items.len();
            if labelled * 2 <= total {
                continue;
            }
            for (name, has_label, loc) in items.iter().filter(|(_, l, _)| !*l) {
                let _ = has_label;
                found.push(Finding::new(
                    &META,
                    loc,
                    format!(
                        "{what} `{name}` has no label, while {labelled} of the {total} {plural} do"
                    ),
                    "no label",
                    format!("add the label as the source words it: `{what} {name} \"Label\"`"),
                ));
            }
        }
        out.extend(found);
    }
}
