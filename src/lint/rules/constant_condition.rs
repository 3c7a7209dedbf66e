//! `constant-condition`: a `when` condition that is always true or always false.

use crate::lint::analysis::{KindOf, Truth, possible_for, truth};
use crate::lint::{Category, Context, Finding, Level, Meta, Rule};
use crate::resolve::Condition;

/// Flags a condition whose value does not depend on the facts.
pub struct ConstantCondition;

/// The rule's description.
pub static META: Meta = meta! {
    id: "constant-condition",
    category: Category::Suspicious,
    level: Level::Warning,
    summary: "a condition that is always true or always false",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a `when` condition, of a rule or an override, that has the same value
for every combination of the facts it reads: `f or not f`, `f and not f`,
`true`; or for every request, since a setting has one value and a principal at
most one kind: `plan is team and plan is free`, `kind is guest and kind is
member`. Decided exactly, by decision diagram, at any number of facts; a
condition too large for the diagram's budget is not flagged.

### Why is this bad?
An always-true condition makes the rule unconditional while it reads as an
exception; an always-false one makes the rule (or override) dead. Both usually
come from a `not` or an `and`/`or` in the wrong place.

### Example
```rolecall
fact muted "Muted"
scope session {
    role viewer "Viewer"
    action chat "Chat"
    allow viewer to chat when muted and not muted
}
```

### Use instead
```rolecall
fact muted "Muted"
scope session {
    role viewer "Viewer"
    action chat "Chat"
    allow viewer to chat when not muted
}
```
"#;

impl Rule for ConstantCondition {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let rules = cx.policy.rules.iter().filter_map(|r| {
            r.condition.as_ref().map(|c| {
                (
                    c,
                    "the rule applies whatever the facts",
                    "the rule never applies",
                )
            })
        });
        let overrides = cx.policy.overrides.iter().filter_map(|o| {
            o.condition.as_ref().map(|c| {
                (
                    c,
                    "the override applies whatever the facts",
                    "the override never applies",
                )
            })
        });
        for (condition, when_true, when_false) in rules.chain(overrides) {
            if let Some(finding) = check(cx, condition, when_true, when_false) {
                out.push(finding);
            }
        }
    }
}

/// The condition's value over what a request can say: for every value of
/// the facts, and with one value per setting and at most one kind (`plan is
/// team and plan is free` is always false).
fn over_requests(cx: &Context<'_>, c: &Condition) -> Truth {
    match truth(&c.expr) {
        Truth::Depends => {}
        known => return known,
    }
    let not = crate::resolve::Cond::Not(Box::new(c.expr.clone()));
    match (
        possible_for(cx.policy, &c.expr, KindOf::Any),
        possible_for(cx.policy, &not, KindOf::Any),
    ) {
        (Some(false), _) => Truth::Always(false),
        (_, Some(false)) => Truth::Always(true),
        _ => Truth::Depends,
    }
}

fn check(cx: &Context<'_>, c: &Condition, when_true: &str, when_false: &str) -> Option<Finding> {
    let Truth::Always(value) = over_requests(cx, c) else {
        return None;
    };
    Some(if value {
        Finding::new(
            &META,
            &c.loc,
            format!("this condition is always true: {when_true}"),
            "true for every value of the facts",
            "drop the `when` clause, or fix the condition (a `not`, `and` or `or` in the wrong place?)",
        )
    } else {
        Finding::new(
            &META,
            &c.loc,
            format!("this condition is always false: {when_false}"),
            "false for every value of the facts",
            "fix the condition (a `not`, `and` or `or` in the wrong place?), or remove what it guards",
        )
    })
}
