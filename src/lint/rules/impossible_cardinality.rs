//! `impossible-cardinality`: a limit no assignment can satisfy.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::source::Loc;

/// Flags a `limit` that contradicts how the role can be held.
pub struct ImpossibleCardinality;

/// The rule's description.
pub static META: Meta = meta! {
    id: "impossible-cardinality",
    category: Category::Correctness,
    level: Level::Error,
    summary: "a limit that contradicts how the role can be held",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `limit` that no assignment can satisfy or that limits nothing:
- a role that must be held (`at least N`, `exactly N`, `between N and M` with
  N ≥ 1) or is limited at all, while no kind of principal may be assigned it
  (every kind has an `assignable` list in the scope, none names the role, and
  it is neither a default nor the role an override gives);
- a role that may be held by no one (`exactly 0`, `at most 0`) while it is a
  default, is assignable to some kind, or is given by an override.

### Why is this bad?
The policy says two things that cannot both be true. Whoever enforces the
limit, or assigns the role, will follow one and break the other.

### Example
```rolecall
kind member "Member"
scope workspace {
    role owner "Owner"
    role admin "Admin"
    action delete "Delete"
    action edit "Edit"
    allow owner to delete
    allow admin to edit
    assignable member: admin
    limit owner exactly 1
}
```

### Use instead
```rolecall
kind member "Member"
scope workspace {
    role owner "Owner"
    role admin "Admin"
    action delete "Delete"
    action edit "Edit"
    allow owner to delete
    allow admin to edit
    assignable member: owner, admin
    limit owner exactly 1
}
```
"#;

/// How a role can come to be held.
struct Holding {
    /// Some kind may be assigned it (or assignment is unrestricted).
    assignable: Option<Option<Loc>>,
    /// It is a scope or kind default.
    default: Option<Loc>,
    /// An override gives it.
    by_override: Option<Loc>,
}

impl Rule for ImpossibleCardinality {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policy = cx.policy;
        for (s, (scope_name, scope)) in policy.scopes.iter().enumerate() {
            for limit in &scope.limits {
                let role = limit.role;
                let role_name = cx.role_name(s, role);
                let unrestricted = policy.kinds.is_empty()
                    || (0..policy.kinds.len()).any(|k| !scope.assignable.contains_key(&k));
                let holding = Holding {
                    assignable: if unrestricted {
                        Some(None)
                    } else {
                        scope
                            .assignable
                            .values()
                            .flatten()
                            .find(|a| a.roles.contains(&role))
                            .map(|a| Some(a.loc.clone()))
                    },
                    default: scope
                        .defaults
                        .iter()
                        .chain(scope.kind_defaults.values().flatten())
                        .find(|d| d.role == Some(role))
                        .map(|d| d.loc.clone()),
                    by_override: policy
                        .overrides
                        .iter()
                        .find(|o| o.scope == s && o.role == role)
                        .map(|o| o.loc.clone()),
                };
                let (min, max) = limit.cardinality.bounds();
                let cardinality = limit.cardinality;
                if holding.assignable.is_none()
                    && holding.default.is_none()
                    && holding.by_override.is_none()
                {
                    let message = if min > 0 {
                        format!(
                            "`{role_name}` must be held by {cardinality}, but no kind of principal may be assigned it"
                        )
                    } else {
                        format!(
                            "`{role_name}` is limited to {cardinality}, but no kind of principal may be assigned it"
                        )
                    };
                    let mut finding = Finding::new(
                        &META,
                        &limit.loc,
                        message,
                        format!("nobody can ever hold `{role_name}` in scope `{scope_name}`"),
                        format!(
                            "add `{role_name}` to the `assignable` list of the kinds that may hold it, or remove the limit"
                        ),
                    );
                    for a in scope.assignable.values().flatten() {
                        finding = finding.with_note(&a.loc, "does not name it");
                    }
                    out.push(finding);
                    continue;
                }
                if max != Some(0) {
                    continue;
                }
                let reason = if let Some(loc) = &holding.default {
                    Some((loc, "but it is a default role", "the default"))
                } else if let Some(Some(loc)) = &holding.assignable {
                    Some((loc, "but it may be assigned", "assignable here"))
                } else {
                    holding
                        .by_override
                        .as_ref()
                        .map(|loc| (loc, "but an override gives it", "the override"))
                };
                if let Some((loc, why, note)) = reason {
                    out.push(
                        Finding::new(
                            &META,
                            &limit.loc,
                            format!("`{role_name}` may be held by no one ({cardinality}), {why}"),
                            "no principal may hold it",
                            "remove the role from the defaults, assignable lists and overrides, or raise the limit",
                        )
                        .with_note(loc, note),
                    );
                }
            }
        }
    }
}
