//! `unused-kind`: a kind of principal nothing reads.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::resolve::Var;

/// Flags a kind that no `assignable`, `default` or condition names.
pub struct UnusedKind;

/// The rule's description.
pub static META: Meta = meta! {
    id: "unused-kind",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "a kind of principal never used",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `kind` that no `assignable` list, no `default KIND: …` and no
condition (`when kind is …`, of a rule or an override) names.

### Why is this bad?
A request giving the kind is accepted, and answered exactly as one giving no
kind: its principals get the scopes' plain defaults and may be assigned any
role. Usually the declarations that were to set the kind apart (what it may be
assigned, its default role) are missing, or name a misspelt twin.

### Example
```rolecall
kind guest "Guest"
scope session {
    role viewer "Viewer"
    role host "Host" : viewer
    action watch "Watch"
    action start "Start"
    allow viewer to watch
    allow host to start
    default viewer
}
```

### Use instead
```rolecall
kind guest "Guest"
scope session {
    role viewer "Viewer"
    role host "Host" : viewer
    action watch "Watch"
    action start "Start"
    allow viewer to watch
    allow host to start
    default viewer
    assignable guest: viewer
}
```
"#;

impl Rule for UnusedKind {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        let mut used = vec![false; policy.kinds.len()];
        let mut mark = |k: usize| {
            if let Some(u) = used.get_mut(k) {
                *u = true;
            }
        };
        for scope in policy.scopes.values() {
            scope.assignable.keys().for_each(|&k| mark(k));
            scope.kind_defaults.keys().for_each(|&k| mark(k));
        }
        let mut read = Vec::new();
        let conditions = policy
            .rules
            .iter()
            .filter_map(|r| r.condition.as_ref())
            .chain(policy.overrides.iter().filter_map(|o| o.condition.as_ref()));
        for c in conditions {
            c.expr.facts(&mut read);
        }
        for atom in read {
            if let Some(Var::Kind(k) | Var::TargetKind(k)) = policy.atoms.get(atom).map(|a| a.var) {
                mark(k);
            }
        }
        for ((name, kind), used) in policy.kinds.iter().zip(used) {
            if !used {
                out.push(Finding::new(
                    &META,
                    &kind.loc,
                    format!("kind `{name}` is never used"),
                    "no `assignable`, `default` or condition names it",
                    format!(
                        "say what sets it apart (`assignable {name}: …`, `default {name}: …`, `when kind is {name}`), or remove it"
                    ),
                ));
            }
        }
    }
}
