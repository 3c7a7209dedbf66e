//! `non-snake-case`: an identifier that is not snake_case.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::source::Loc;

/// Flags a declared name that is not snake_case.
pub struct NonSnakeCase;

/// The rule's description.
pub static META: Meta = meta! {
    id: "non-snake-case",
    category: Category::Style,
    level: Level::Warning,
    summary: "an identifier that is not snake_case",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a scope, role, action, fact or kind whose name is not snake_case:
lowercase ASCII letters and digits, words joined by single underscores,
starting with a letter.

### Why is this bad?
Names are the contract with the code that asks for decisions (`session:chat`)
and with the CSV output. Mixed conventions invite requests that name
`startSession` when the policy says `start_session`, and every unknown name is
an error.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    action startSession "Start"
    allow viewer to startSession
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    action start_session "Start"
    allow viewer to start_session
}
```
"#;

/// Whether `name` is snake_case.
pub fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
}

/// The snake_case spelling of `name`: `startSession` → `start_session`.
pub fn to_snake_case(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    let words: Vec<&str> = out.split('_').filter(|w| !w.is_empty()).collect();
    words.join("_")
}

impl Rule for NonSnakeCase {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let p = cx.policy;
        let mut names: Vec<(&str, &str, &Loc)> = Vec::new();
        names.extend(p.facts.iter().map(|(n, f)| ("fact", n.as_str(), &f.loc)));
        names.extend(p.kinds.iter().map(|(n, k)| ("kind", n.as_str(), &k.loc)));
        for (n, scope) in &p.scopes {
            names.push(("scope", n.as_str(), &scope.loc));
            names.extend(
                scope
                    .roles
                    .iter()
                    .map(|(n, r)| ("role", n.as_str(), &r.loc)),
            );
            names.extend(
                scope
                    .actions
                    .iter()
                    .map(|(n, a)| ("action", n.as_str(), &a.loc)),
            );
        }
        for (what, name, loc) in names {
            if is_snake_case(name) {
                continue;
            }
            let better = to_snake_case(name);
            let help = if is_snake_case(&better) {
                format!("rename it `{better}` (and every reference to it)")
            } else {
                "rename it with lowercase words joined by underscores, starting with a letter"
                    .to_string()
            };
            out.push(Finding::new(
                &META,
                loc,
                format!("{what} `{name}` is not snake_case"),
                "not snake_case",
                help,
            ));
        }
    }
}
