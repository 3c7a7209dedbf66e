//! `override-changes-nothing`: an override that never takes effect.

use crate::lint::analysis::{OverrideReach, Truth, override_reach, truth};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags an override that can never be the one applied.
pub struct OverrideChangesNothing;

/// The rule's description.
pub static META: Meta = meta! {
    id: "override-changes-nothing",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "an override that changes nothing (never the one applied)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags an override that is never the one applied: an earlier override into the
same scope applies whenever it does (the first applying override wins), or its
subject and condition can never both hold (`vip joins session as host when not
vip`). Overrides whose condition is constant are reported by
`constant-condition`.

### Why is this bad?
The override has no effect, yet it reads as a rule of the policy: whoever
relies on it (say, for a narrower group with a different role) gets the
earlier override's role instead.

### Example
```rolecall
fact event_owner "Event owner"
scope workspace {
    role admin "Admin"
    action configure "Configure"
    allow admin to configure
}
scope session {
    role viewer "Viewer"
    role moderator "Moderator" : viewer
    role organizer "Organizer" : viewer
    action watch "Watch"
    action mute "Mute"
    action start "Start"
    allow viewer to watch
    allow moderator to mute
    allow organizer to start
}
workspace.admin joins session as organizer
workspace.admin joins session as moderator when event_owner
```

### Use instead
```rolecall
fact event_owner "Event owner"
scope workspace {
    role admin "Admin"
    action configure "Configure"
    allow admin to configure
}
scope session {
    role viewer "Viewer"
    role moderator "Moderator" : viewer
    role organizer "Organizer" : viewer
    action watch "Watch"
    action mute "Mute"
    action start "Start"
    allow viewer to watch
    allow moderator to mute
    allow organizer to start
}
workspace.admin joins session as moderator when event_owner
workspace.admin joins session as organizer
```
"#;

impl Rule for OverrideChangesNothing {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        for (o, ov) in policy.overrides.iter().enumerate() {
            if ov
                .condition
                .as_ref()
                .is_some_and(|c| matches!(truth(&c.expr), Truth::Always(_)))
            {
                continue; // constant-condition says it
            }
            match override_reach(cx.table, o) {
                OverrideReach::Applies => {}
                OverrideReach::Never => out.push(Finding::new(
                    &META,
                    &ov.loc,
                    "this override never applies: its subject and its condition cannot both hold",
                    "never applies",
                    "fix the condition, or remove the override",
                )),
                OverrideReach::After(e) => {
                    let Some(eo) = policy.overrides.get(e) else {
                        continue;
                    };
                    out.push(
                        Finding::new(
                            &META,
                            &ov.loc,
                            format!(
                                "`{}` changes nothing: `{}` applies first whenever it would",
                                policy.describe_override(ov),
                                policy.describe_override(eo)
                            ),
                            "never the first to apply",
                            "the first applying override wins: move the narrower override before the broader one, or remove it",
                        )
                        .with_note(&eo.loc, "applies first"),
                    );
                }
            }
        }
    }
}
