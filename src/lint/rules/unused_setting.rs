//! `unused-setting`: a setting no condition reads.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a setting none of whose values any condition tests.
pub struct UnusedSetting;

/// The rule's description.
pub static META: Meta = meta! {
    id: "unused-setting",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "a setting never tested",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `setting` that no `when` condition tests (of a rule, an override, a
`default` or an `assignable` line).

### Why is this bad?
Callers are asked for a per-event or per-account value that changes no
decision: the condition that was to read it is missing, or tests a fact
standing in for it.

### Example
```rolecall
setting who_can_present "Who can present" {
    value everyone "Everyone"
    value only_me "Only me"
    default only_me
}
scope session {
    role attendee "Attendee"
    action present "Present"
    allow attendee to present
}
```

### Use instead
```rolecall
setting who_can_present "Who can present" {
    value everyone "Everyone"
    value only_me "Only me"
    default only_me
}
scope session {
    role attendee "Attendee"
    action present "Present"
    allow attendee to present when who_can_present is everyone
}
```
"#;

impl Rule for UnusedSetting {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        let used = crate::lint::analysis::variables_read(policy);
        for (s, (name, setting)) in policy.settings.iter().enumerate() {
            // A setting is read when a condition tests one of its values:
            // `x is default_value` reads every other value's variable too.
            if policy.setting_atoms(s).any(|a| used.contains(&a)) {
                continue;
            }
            let value = setting
                .values
                .keys()
                .find(|&v| setting.values.get_index_of(v) != Some(setting.default))
                .map_or("VALUE", String::as_str);
            out.push(Finding::new(
                &META,
                &setting.loc,
                format!("setting `{name}` is never tested"),
                "no condition reads it",
                format!("test it in a condition (`when {name} is {value}`), or remove it"),
            ));
        }
    }
}
