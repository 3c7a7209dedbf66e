//! The diff as text, Markdown and JSON.

use std::fmt::Write;

use super::{CellState, PolicyDiff, RuleRef, SettingChange};

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

fn decision_text(state: &CellState) -> String {
    match &state.condition {
        Some(c) => format!("{} when {c}", state.decision),
        None => state.decision.clone(),
    }
}

/// `allow a to x at f:3, via r → a`, or `no rule (default deny)`.
fn rules_text(state: &CellState, rule: impl Fn(&RuleRef) -> String) -> String {
    if state.rules.is_empty() {
        return "no rule (default deny)".to_string();
    }
    let mut text = state.rules.iter().map(rule).collect::<Vec<_>>().join("; ");
    if !state.via.is_empty() {
        let _ = write!(text, ", via {}", state.via.join(" → "));
    }
    text
}

fn setting_value(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(not set)")
}

fn setting_line(s: &SettingChange) -> String {
    format!(
        "{}: {} → {}",
        s.setting,
        setting_value(&s.old),
        setting_value(&s.new)
    )
}

/// Plain text, one difference per line, grouped by scope.
pub(super) fn text(d: &PolicyDiff, old: &str, new: &str) -> String {
    let mut out = format!("--- {old}\n+++ {new}\n");
    if d.is_empty() {
        out.push_str("no differences\n");
        return out;
    }
    let mut top = Vec::new();
    for (what, names) in [("fact", &d.facts), ("kind", &d.kinds)] {
        for n in &names.added {
            top.push(format!("{what} added: {n}"));
        }
        for n in &names.removed {
            top.push(format!("{what} removed: {n}"));
        }
    }
    for (verb, list) in [("added", &d.scopes.added), ("removed", &d.scopes.removed)] {
        for s in list {
            top.push(format!(
                "scope {verb}: {} ({}, {})",
                s.name,
                plural(s.roles, "role"),
                plural(s.actions, "action")
            ));
        }
    }
    if !top.is_empty() {
        out.push('\n');
        for line in top {
            let _ = writeln!(out, "{line}");
        }
    }
    for s in &d.scopes.changed {
        let _ = writeln!(out, "\nscope {}", s.scope);
        for (verb, list) in [("added", &s.roles.added), ("removed", &s.roles.removed)] {
            for r in list {
                let inherits = if r.inherits.is_empty() {
                    String::new()
                } else {
                    format!(" : {}", r.inherits.join(", "))
                };
                let _ = writeln!(
                    out,
                    "  role {verb}: {}{inherits}, allowed: {}",
                    r.name,
                    or_nothing(&r.allowed)
                );
            }
        }
        for (verb, list) in [("added", &s.actions.added), ("removed", &s.actions.removed)] {
            for a in list {
                let _ = writeln!(
                    out,
                    "  action {verb}: {}, allowed for: {}",
                    a.name,
                    or_nothing(&a.allowed)
                );
            }
        }
        for i in &s.inheritance {
            if !i.removed.is_empty() {
                let _ = writeln!(
                    out,
                    "  role {} no longer inherits {}",
                    i.role,
                    i.removed.join(", ")
                );
            }
            if !i.added.is_empty() {
                let _ = writeln!(out, "  role {} now inherits {}", i.role, i.added.join(", "));
            }
        }
        for c in &s.cells {
            let rule = |r: &RuleRef| format!("{} at {}", r.text, r.at);
            let _ = writeln!(
                out,
                "  {} × {}: {} → {}\n    old: {}\n    new: {}",
                c.action,
                c.role,
                decision_text(&c.old),
                decision_text(&c.new),
                rules_text(&c.old, rule),
                rules_text(&c.new, rule)
            );
        }
        for setting in &s.settings {
            let _ = writeln!(out, "  {}", setting_line(setting));
        }
    }
    let o = &d.overrides;
    if !(o.added.is_empty() && o.removed.is_empty() && o.reordered.is_empty()) {
        out.push_str("\noverrides\n");
        for (verb, list) in [("added", &o.added), ("removed", &o.removed)] {
            for x in list {
                let _ = writeln!(out, "  {verb}: {} at {}", x.text, x.at);
            }
        }
        for r in &o.reordered {
            let _ = writeln!(
                out,
                "  reordered into {}: {} → {}",
                r.scope,
                r.old.join("; "),
                r.new.join("; ")
            );
        }
    }
    let _ = writeln!(out, "\n{}", plural(d.len(), "difference"));
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

fn codes(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
    }
}

fn cell_md(state: &CellState) -> String {
    let mark = match state.decision.as_str() {
        "allow" => "✅",
        "deny" => "❌",
        _ => "❓",
    };
    match &state.condition {
        Some(c) => format!("{mark} {} when {}", state.decision, code(c)),
        None => format!("{mark} {}", state.decision),
    }
}

/// Markdown for a pull request: lists, and a table of changed cells per scope.
pub(super) fn markdown(d: &PolicyDiff, old: &str, new: &str) -> String {
    let mut out = format!("## Policy changes: {} → {}\n\n", code(old), code(new));
    if d.is_empty() {
        out.push_str("No differences.\n");
        return out;
    }
    let mut top = Vec::new();
    for (what, names) in [("Fact", &d.facts), ("Kind", &d.kinds)] {
        for n in &names.added {
            top.push(format!("- {what} added: {}", code(n)));
        }
        for n in &names.removed {
            top.push(format!("- {what} removed: {}", code(n)));
        }
    }
    for (verb, list) in [("added", &d.scopes.added), ("removed", &d.scopes.removed)] {
        for s in list {
            top.push(format!(
                "- Scope {verb}: {} ({}, {})",
                code(&s.name),
                plural(s.roles, "role"),
                plural(s.actions, "action")
            ));
        }
    }
    if !top.is_empty() {
        out.push_str(&top.join("\n"));
        out.push_str("\n\n");
    }
    for s in &d.scopes.changed {
        let _ = writeln!(out, "### Scope {}\n", code(&s.scope));
        let mut items = Vec::new();
        for (verb, list) in [("added", &s.roles.added), ("removed", &s.roles.removed)] {
            for r in list {
                let inherits = if r.inherits.is_empty() {
                    String::new()
                } else {
                    format!(" (inherits {})", codes(&r.inherits))
                };
                items.push(format!(
                    "- Role {verb}: {}{inherits}; allowed: {}",
                    code(&r.name),
                    codes(&r.allowed)
                ));
            }
        }
        for (verb, list) in [("added", &s.actions.added), ("removed", &s.actions.removed)] {
            for a in list {
                items.push(format!(
                    "- Action {verb}: {}; allowed for: {}",
                    code(&a.name),
                    codes(&a.allowed)
                ));
            }
        }
        for i in &s.inheritance {
            if !i.removed.is_empty() {
                items.push(format!(
                    "- Role {} no longer inherits {}",
                    code(&i.role),
                    codes(&i.removed)
                ));
            }
            if !i.added.is_empty() {
                items.push(format!(
                    "- Role {} now inherits {}",
                    code(&i.role),
                    codes(&i.added)
                ));
            }
        }
        for setting in &s.settings {
            items.push(format!(
                "- {}: {} → {}",
                capitalized(&setting.setting),
                setting.old.as_deref().map_or("(not set)".to_string(), code),
                setting.new.as_deref().map_or("(not set)".to_string(), code)
            ));
        }
        if !items.is_empty() {
            out.push_str(&items.join("\n"));
            out.push_str("\n\n");
        }
        if !s.cells.is_empty() {
            out.push_str("| Action | Role | Old | New | Old rule | New rule |\n");
            out.push_str("|---|---|---|---|---|---|\n");
            let rule = |r: &RuleRef| format!("{} ({})", code(&r.text), r.at);
            for c in &s.cells {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    code(&c.action),
                    code(&c.role),
                    cell_md(&c.old),
                    cell_md(&c.new),
                    rules_text(&c.old, rule).replace('|', "\\|"),
                    rules_text(&c.new, rule).replace('|', "\\|")
                );
            }
            out.push('\n');
        }
    }
    let o = &d.overrides;
    if !(o.added.is_empty() && o.removed.is_empty() && o.reordered.is_empty()) {
        out.push_str("### Overrides\n\n");
        for (verb, list) in [("added", &o.added), ("removed", &o.removed)] {
            for x in list {
                let _ = writeln!(out, "- {} {verb} ({})", code(&x.text), x.at);
            }
        }
        for r in &o.reordered {
            let _ = writeln!(
                out,
                "- Reordered into {}: {} → {}",
                code(&r.scope),
                codes(&r.old),
                codes(&r.new)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "**{}**", plural(d.len(), "difference"));
    out
}

/// JSON: `{"old", "new", "differences", "facts", "kinds", "scopes", "overrides"}`.
pub(super) fn json(d: &PolicyDiff, old: &str, new: &str) -> String {
    let value = serde_json::json!({
        "old": old,
        "new": new,
        "differences": d.len(),
        "facts": d.facts,
        "kinds": d.kinds,
        "scopes": d.scopes,
        "overrides": d.overrides,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
