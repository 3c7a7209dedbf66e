//! `identical-roles`: two roles allowed exactly the same things.

use crate::lint::analysis::{inherits, same_column};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a role whose permissions are identical to an earlier role's.
pub struct IdenticalRoles;

/// The rule's description.
pub static META: Meta = Meta {
    id: "identical-roles",
    category: Category::Suspicious,
    level: Level::Warning,
    summary: "two roles whose permissions are identical (a likely duplicate)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a role that is allowed exactly what an earlier role of the same scope is
allowed, action for action and under the same conditions, when neither
inherits the other. Roles already reported by `role-grants-nothing` or
`role-adds-nothing` are left out.

### Why is this bad?
Two names for one set of permissions is usually a copy that was meant to
differ, or a duplicate that should be one role (or one inheriting the other).
When the difference lives elsewhere (who may be assigned which), suppress the
finding and say so.

### Example
```rolecall
scope session {
    role host "Host"
    role cohost "Co-host"
    action start "Start"
    action mute "Mute"
    allow host to start, mute
    allow cohost to start, mute
}
```

### Use instead
```rolecall
scope session {
    role host "Host"
    role cohost "Co-host"
    action start "Start"
    action mute "Mute"
    allow host to start, mute
    allow cohost to mute
}
```
"#;

impl Rule for IdenticalRoles {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (s, scope) in cx.policy.scopes.values().enumerate() {
            if scope.actions.is_empty() {
                continue;
            }
            let plain = |r: usize| {
                let f = cx.role_facts(s, r);
                !f.grants_nothing && !f.adds_nothing
            };
            for (b, (b_name, b_role)) in scope.roles.iter().enumerate() {
                if !plain(b) {
                    continue;
                }
                let twin = (0..b).find(|&a| {
                    plain(a)
                        && !inherits(cx.table, s, a, b)
                        && !inherits(cx.table, s, b, a)
                        && same_column(cx.table, s, a, b)
                });
                let Some(a) = twin else { continue };
                let Some((a_name, a_role)) = scope.roles.get_index(a) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        &META,
                        &b_role.loc,
                        format!("roles `{a_name}` and `{b_name}` are allowed exactly the same actions"),
                        "same permissions as `".to_string() + a_name + "`",
                        format!(
                            "merge them, make `{b_name}` inherit `{a_name}` and add what differs, or suppress this with the reason they are kept apart"
                        ),
                    )
                    .with_note(&a_role.loc, "declared here"),
                );
            }
        }
    }
}
