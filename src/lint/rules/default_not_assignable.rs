//! `default-not-assignable`: a default role the kind of principal cannot be assigned.

use crate::lint::analysis::names;
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a default role that the kind of principal it applies to may not be assigned.
pub struct DefaultNotAssignable;

/// The rule's description.
pub static META: Meta = meta! {
    id: "default-not-assignable",
    category: Category::Correctness,
    level: Level::Error,
    summary: "a default role that the kind of principal cannot be assigned",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `default` that gives principals of some kind a role their `assignable`
list does not include: a kind default (`default guest: speaker`) outside the
kind's list, or a scope default (`default speaker`) that reaches a kind with an
assignable list but no default of its own.

### Why is this bad?
The policy contradicts itself: nobody may assign the role to that kind of
principal, yet every such principal without a role gets it anyway. One of the
two declarations is wrong, and which one decides depends on how the request is
made.

### Example
```rolecall
kind guest "Guest"
scope session {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    action watch "Watch"
    action talk "Talk"
    allow viewer to watch
    allow speaker to talk
    assignable guest: viewer
    default guest: speaker
}
```

### Use instead
```rolecall
kind guest "Guest"
scope session {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    action watch "Watch"
    action talk "Talk"
    allow viewer to watch
    allow speaker to talk
    assignable guest: viewer
    default guest: viewer
}
```
"#;

impl Rule for DefaultNotAssignable {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        let kind_name = |k: usize| {
            crate::invariant::name_or_missing(
                policy.kinds.get_index(k).map(|(n, _)| n.as_str()),
                "kind",
            )
        };
        for (s, (scope_name, scope)) in policy.scopes.iter().enumerate() {
            // Only the lines without `when`: a conditional default or list
            // may never meet the other, which this rule cannot tell.
            for &kind in scope.kind_defaults.keys() {
                let Some(default) = scope.fallback_default(Some(kind)) else {
                    continue;
                };
                let (Some(role), Some(list)) = (default.role, scope.fallback_assignable(kind))
                else {
                    continue;
                };
                if list.roles.contains(&role) {
                    continue;
                }
                let role_name = cx.role_name(s, role);
                out.push(
                    Finding::new(
                        &META,
                        &default.loc,
                        format!(
                            "a `{}` gets `{role_name}` by default in scope `{scope_name}`, but cannot be assigned it",
                            kind_name(kind)
                        ),
                        format!("`{role_name}` is not assignable to `{}`", kind_name(kind)),
                        format!(
                            "default to a role of the kind's assignable list, or add `{role_name}` to it"
                        ),
                    )
                    .with_note(&list.loc, "the roles this kind may be assigned"),
                );
            }
            let Some(default) = scope.fallback_default(None) else {
                continue;
            };
            let Some(role) = default.role else {
                continue;
            };
            let reached: Vec<usize> = scope
                .assignable
                .iter()
                .filter_map(|(&kind, _)| Some((kind, scope.fallback_assignable(kind)?)))
                .filter(|&(kind, list)| {
                    scope.fallback_default(Some(kind)).is_none() && !list.roles.contains(&role)
                })
                .map(|(kind, _)| kind)
                .collect();
            if reached.is_empty() {
                continue;
            }
            let role_name = cx.role_name(s, role);
            let kinds: Vec<&str> = reached.iter().map(|&k| kind_name(k)).collect();
            let mut finding = Finding::new(
                &META,
                &default.loc,
                format!(
                    "principals of kind {} get `{role_name}` by default in scope `{scope_name}`, but cannot be assigned it",
                    names(&kinds)
                ),
                "the default for every kind without its own",
                format!(
                    "give each such kind its own default (`default {}: ROLE` or `none`), or make `{role_name}` assignable to it",
                    kinds.first().copied().unwrap_or("KIND")
                ),
            );
            for kind in &reached {
                if let Some(list) = scope.fallback_assignable(*kind) {
                    finding = finding.with_note(
                        &list.loc,
                        format!("`{role_name}` is not assignable to `{}`", kind_name(*kind)),
                    );
                }
            }
            out.push(finding);
        }
    }
}
