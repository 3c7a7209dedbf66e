//! `redundant-allow`: an allow the role already has.

use crate::lint::analysis::{named_ancestor, names, remove_pair};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::syntax::ast::Effect;

/// Flags the roles of an `allow` that already have the actions it grants,
/// inherited or from another rule, so that removing them changes no cell.
pub struct RedundantAllow;

/// The rule's description.
pub static META: Meta = meta! {
    id: "redundant-allow",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "an allow the role already has (inherited or granted by another rule)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a role named in an `allow` for actions it is already allowed, under the
same conditions, by another rule: usually one written for a role it inherits.
It is reported only when taking the role out of the rule for those actions
changes no cell of the table (for any role inheriting it either).

### Why is this bad?
The repetition hides what the role really adds, and it goes stale: when the
parent's permission is later withdrawn, the copy silently keeps it for the
child.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    action watch "Watch"
    action talk "Talk"
    allow viewer to watch
    allow speaker to watch, talk
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    action watch "Watch"
    action talk "Talk"
    allow viewer to watch
    allow speaker to talk
}
```
"#;

impl Rule for RedundantAllow {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let deciding = cx.deciding_rules();
        for (id, rule) in cx.policy.rules.iter().enumerate() {
            if rule.effect != Effect::Allow || !deciding.get(id).copied().unwrap_or(false) {
                continue;
            }
            let s = rule.scope;
            for (i, &r) in rule.roles.iter().enumerate() {
                // (action, granting rule, role it is written for), in the rule's order.
                let mut redundant: Vec<(usize, usize, usize)> = Vec::new();
                for &x in &rule.actions {
                    let other_allow = cx
                        .candidates(s, x, r)
                        .iter()
                        .any(|c| c.effect == Effect::Allow && c.rule != id);
                    if !other_allow {
                        continue;
                    }
                    let Some(removal) = remove_pair(cx.table, id, r, x) else {
                        continue;
                    };
                    if !removal.unchanged {
                        continue;
                    }
                    let Some(grant) = removal.then.iter().find(|c| c.effect == Effect::Allow)
                    else {
                        continue;
                    };
                    let grant = grant.rule;
                    let from = named_ancestor(cx.table, s, r, grant, Some((id, r))).unwrap_or(r);
                    // Of two rules naming the role alike, the later one is the copy.
                    if from == r && grant > id {
                        continue;
                    }
                    redundant.push((x, grant, from));
                }
                // One finding per source of the permissions.
                let mut sources: Vec<(usize, usize)> = Vec::new();
                for &(_, grant, from) in &redundant {
                    if !sources.contains(&(grant, from)) {
                        sources.push((grant, from));
                    }
                }
                let role = cx.role_name(s, r);
                for (grant, from) in sources {
                    let actions: Vec<&str> = redundant
                        .iter()
                        .filter(|(_, g, f)| (*g, *f) == (grant, from))
                        .map(|&(x, _, _)| cx.action_name(s, x))
                        .collect();
                    let how = if from == r {
                        format!(
                            "is already allowed {} by {}",
                            names(&actions),
                            cx.cite_rule(grant)
                        )
                    } else {
                        format!(
                            "already inherits {} from `{}`",
                            names(&actions),
                            cx.role_name(s, from)
                        )
                    };
                    let Some(loc) = cx.rule_role_loc(id, i) else {
                        continue;
                    };
                    let mut finding = Finding::new(
                        &META,
                        &loc,
                        format!("`{role}` {how}: this allow adds nothing for it"),
                        "redundant here",
                        format!("remove {} from this rule for `{role}`", names(&actions)),
                    );
                    if let Some(g) = cx.policy.rules.get(grant) {
                        finding = finding.with_note(&g.loc, "already allowed here");
                    }
                    out.push(finding);
                }
            }
        }
    }
}
