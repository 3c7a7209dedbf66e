//! `shadowed-rule`: a rule that decides no cell.

use crate::lint::{Category, Context, Finding, Level, Meta, Rule};

/// Flags a rule that never decides any cell: nearer or earlier rules always decide first.
pub struct ShadowedRule;

/// The rule's description.
pub static META: Meta = meta! {
    id: "shadowed-rule",
    category: Category::Redundancy,
    level: Level::Warning,
    summary: "a rule that never decides any cell (fully shadowed)",
    doc: DOC,
};

const DOC: &str = r#"### What it does
Flags a rule that decides no cell of the table: for every role and action it
names (and every role inheriting them), an unconditional rule that comes
first in the combination order (nearer, or a deny at the same distance, or
declared earlier with the same effect) always decides instead. Rules that
lose an `allow-deny-conflict` are reported there instead.

### Why is this bad?
The rule has no effect, yet a reader believes it does. Either it is a left-over
that can go, or it was meant for another role or action.

### Example
```rolecall
scope session {
    role viewer "Viewer"
    action chat "Chat"
    allow viewer to chat
    allow viewer to chat
}
```

### Use instead
```rolecall
scope session {
    role viewer "Viewer"
    action chat "Chat"
    allow viewer to chat
}
```
"#;

impl Rule for ShadowedRule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let deciding = cx.deciding_rules();
        for (id, rule) in cx.policy.rules.iter().enumerate() {
            if deciding.get(id).copied().unwrap_or(true)
                || cx.conflicts().iter().any(|c| c.allow == id)
            {
                continue;
            }
            // What decides first, for each pair the rule names.
            let mut winners: Vec<usize> = Vec::new();
            for &r in &rule.roles {
                for &a in &rule.actions {
                    let first = cx
                        .candidates(rule.scope, a, r)
                        .into_iter()
                        .take_while(|c| c.rule != id)
                        .find(|c| !c.conditional);
                    if let Some(c) = first {
                        if !winners.contains(&c.rule) {
                            winners.push(c.rule);
                        }
                    }
                }
            }
            let mut finding = Finding::new(
                &META,
                &rule.loc,
                format!(
                    "`{}` never decides any cell: other rules always decide first",
                    crate::resolve::rule_summary(rule)
                ),
                "never decides",
                "remove it, or name the role or action it was meant for",
            );
            for &w in winners.iter().take(3) {
                if let Some(winner) = cx.policy.rules.get(w) {
                    finding = finding.with_note(&winner.loc, "decides first");
                }
            }
            out.push(finding);
        }
    }
}
