//! The diff as text, Markdown and JSON.

use std::fmt::Write;

use super::{CellState, PolicyDiff, RuleRef, SettingChange};
use crate::render::{code_span, code_span_in_table, escape_markdown};

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `3 differences`, and what could not be decided.
fn summary(d: &PolicyDiff) -> String {
    let mut text = plural(d.len(), "difference");
    let undecided = d.undecided();
    if undecided > 0 {
        let _ = write!(
            text,
            "; {} could not be decided (conditions too large to compare)",
            plural(undecided, "comparison")
        );
    }
    text
}

const UNDECIDED: &str = "could not decide whether this changed (conditions too large to compare)";

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

/// `allow a to x at f:3, via r → a`, or `no rule (default deny)`; `name`
/// writes each role of the path.
fn rules_text(
    state: &CellState,
    rule: impl Fn(&RuleRef) -> String,
    name: impl Fn(&str) -> String,
) -> String {
    if state.rules.is_empty() {
        return "no rule (default deny)".to_string();
    }
    let mut text = state.rules.iter().map(rule).collect::<Vec<_>>().join("; ");
    if !state.via.is_empty() {
        let via: Vec<String> = state.via.iter().map(|v| name(v)).collect();
        let _ = write!(text, ", via {}", via.join(" → "));
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
    for (what, names) in [
        ("fact", &d.facts),
        ("kind", &d.kinds),
        ("setting", &d.settings),
    ] {
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
                c.who(),
                decision_text(&c.old),
                decision_text(&c.new),
                rules_text(&c.old, rule, str::to_string),
                rules_text(&c.new, rule, str::to_string)
            );
        }
        for setting in &s.settings {
            let _ = writeln!(out, "  {}", setting_line(setting));
        }
        for c in &s.undecided {
            let _ = writeln!(
                out,
                "  {} × {}: {UNDECIDED}\n    old: {}\n    new: {}",
                c.action,
                c.who(),
                decision_text(&c.old),
                decision_text(&c.new)
            );
        }
    }
    let o = &d.overrides;
    if !(o.added.is_empty()
        && o.removed.is_empty()
        && o.reordered.is_empty()
        && o.undecided.is_empty())
    {
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
        for u in &o.undecided {
            let _ = writeln!(
                out,
                "  {UNDECIDED}:\n    old: {} at {}\n    new: {} at {}",
                u.old.text, u.old.at, u.new.text, u.new.at
            );
        }
    }
    let _ = writeln!(out, "\n{}", summary(d));
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
    code_span(text)
}

fn cell_code(text: &str) -> String {
    code_span_in_table(text)
}

fn codes(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", ")
    }
}

/// A decision with its mark; `code` writes the condition.
fn cell_md(state: &CellState, code: fn(&str) -> String) -> String {
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
    for (what, names) in [
        ("Fact", &d.facts),
        ("Kind", &d.kinds),
        ("Setting", &d.settings),
    ] {
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
                escape_markdown(&capitalized(&setting.setting)),
                setting.old.as_deref().map_or("(not set)".to_string(), code),
                setting.new.as_deref().map_or("(not set)".to_string(), code)
            ));
        }
        for c in &s.undecided {
            items.push(format!(
                "- {} × {}: {UNDECIDED}: {} → {}",
                code(&c.action),
                code(&c.who()),
                cell_md(&c.old, code),
                cell_md(&c.new, code)
            ));
        }
        if !items.is_empty() {
            out.push_str(&items.join("\n"));
            out.push_str("\n\n");
        }
        if !s.cells.is_empty() {
            out.push_str("| Action | Role | Old | New | Old rule | New rule |\n");
            out.push_str("|---|---|---|---|---|---|\n");
            let rule = |r: &RuleRef| format!("{} ({})", cell_code(&r.text), escape_markdown(&r.at));
            for c in &s.cells {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell_code(&c.action),
                    cell_code(&c.who()),
                    cell_md(&c.old, cell_code),
                    cell_md(&c.new, cell_code),
                    rules_text(&c.old, rule, escape_markdown),
                    rules_text(&c.new, rule, escape_markdown)
                );
            }
            out.push('\n');
        }
    }
    let o = &d.overrides;
    if !(o.added.is_empty()
        && o.removed.is_empty()
        && o.reordered.is_empty()
        && o.undecided.is_empty())
    {
        out.push_str("### Overrides\n\n");
        for (verb, list) in [("added", &o.added), ("removed", &o.removed)] {
            for x in list {
                let _ = writeln!(
                    out,
                    "- {} {verb} ({})",
                    code(&x.text),
                    escape_markdown(&x.at)
                );
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
        for u in &o.undecided {
            let _ = writeln!(
                out,
                "- {} ({}) → {} ({}): {UNDECIDED}",
                code(&u.old.text),
                escape_markdown(&u.old.at),
                code(&u.new.text),
                escape_markdown(&u.new.at)
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "**{}**", summary(d));
    out
}

/// JSON: `{"old", "new", "differences", "undecided", "facts", "kinds", "settings", "scopes", "overrides"}`.
pub(super) fn json(d: &PolicyDiff, old: &str, new: &str) -> String {
    let value = serde_json::json!({
        "old": old,
        "new": new,
        "differences": d.len(),
        "undecided": d.undecided(),
        "facts": d.facts,
        "kinds": d.kinds,
        "settings": d.settings,
        "scopes": d.scopes,
        "overrides": d.overrides,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
