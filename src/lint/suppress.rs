//! Suppression comments: silencing one rule at one place, with a reason.
//!
//! ```text
//! # rolecall: allow(role-adds-nothing) because the source lists both roles
//! role coorganizer "Co-organisateur" : organizer
//! role guest : viewer  # rolecall: allow(role-adds-nothing) because guests are billed apart
//! ```
//!
//! A comment `# rolecall: allow(RULE, …) because REASON` suppresses the named
//! rules' findings whose primary location starts on the comment's line (a
//! comment at the end of a line) or on the next line that is not itself only a
//! comment (a comment on its own line, above the construct). A suppression
//! without a reason, naming an unknown rule, or not of this form is reported
//! by `invalid-suppression` (a reasonless one still suppresses); a rule named
//! in a suppression that silences nothing is reported by `unused-suppression`.
//! Neither of these two can itself be suppressed.

use std::sync::Arc;

use super::rules::{invalid_suppression, unused_suppression};
use super::{Finding, RULES, Report};
use crate::resolve::suggest;
use crate::source::{Loc, SourceFile};
use crate::syntax::ParsedFile;

/// The marker that makes a comment a suppression.
pub const MARKER: &str = "rolecall:";

/// One parsed suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The comment.
    pub loc: Loc,
    /// The rules it names, each with where it is named.
    pub rules: Vec<(String, Loc)>,
    /// The text after `because`.
    pub reason: Option<String>,
    /// The 1-based lines it covers.
    pub lines: Vec<usize>,
}

/// A suppression comment, or what is wrong with it.
enum Parsed {
    Ok(Suppression),
    Bad(Finding),
}

/// Applies the suppressions of `files` to `findings`: drops the suppressed
/// ones and adds the findings about the suppressions themselves.
pub fn apply(files: &[ParsedFile], findings: Vec<Finding>) -> Report {
    let mut suppressions = Vec::new();
    let mut extra = Vec::new();
    for file in files {
        for comment in &file.tree.comments {
            match parse(&file.src, &comment.text, &comment.loc) {
                None => {}
                Some(Parsed::Ok(s)) => {
                    if s.reason.is_none() {
                        extra.push(Finding::new(
                            &invalid_suppression::META,
                            &s.loc,
                            "this suppression gives no reason",
                            "no `because …`",
                            "say why the finding is wrong or accepted here: `# rolecall: allow(RULE) because REASON`",
                        ));
                    }
                    suppressions.push(s);
                }
                Some(Parsed::Bad(finding)) => extra.push(finding),
            }
        }
    }
    // used[i][j]: rule j of suppression i silenced something.
    let mut used: Vec<Vec<bool>> = suppressions
        .iter()
        .map(|s| vec![false; s.rules.len()])
        .collect();
    let mut kept = Vec::new();
    let mut suppressed = 0;
    for finding in findings {
        let line = finding.loc.line();
        let mut hit = false;
        for (i, s) in suppressions.iter().enumerate() {
            if !Arc::ptr_eq(&s.loc.src, &finding.loc.src) || !s.lines.contains(&line) {
                continue;
            }
            for (j, (id, _)) in s.rules.iter().enumerate() {
                if id == finding.rule.id {
                    hit = true;
                    if let Some(u) = used.get_mut(i).and_then(|u| u.get_mut(j)) {
                        *u = true;
                    }
                }
            }
        }
        if hit {
            suppressed += 1;
        } else {
            kept.push(finding);
        }
    }
    for (s, used) in suppressions.iter().zip(&used) {
        for ((id, loc), used) in s.rules.iter().zip(used) {
            if !used {
                kept.push(Finding::new(
                    &unused_suppression::META,
                    loc,
                    format!("this suppression of `{id}` suppresses nothing"),
                    format!("no `{id}` finding starts on the line it covers"),
                    "remove it; a suppression covers its own line, or the next line when the comment stands alone",
                ));
            }
        }
    }
    kept.extend(extra);
    Report {
        findings: kept,
        suppressed,
    }
}

/// Parses one comment; `None` when it is not a suppression.
fn parse(src: &Arc<SourceFile>, text: &str, loc: &Loc) -> Option<Parsed> {
    let body = text.strip_prefix('#')?;
    let trimmed = body.trim_start();
    let after_marker = trimmed.strip_prefix(MARKER)?;
    // Offsets below are from the start of the comment.
    let at = |from: usize, to: usize| Loc::new(src, loc.start + from, loc.start + to);
    let rest = after_marker.trim_start();
    let bad = |message: &str, label: &str| {
        Some(Parsed::Bad(Finding::new(
            &invalid_suppression::META,
            loc,
            message,
            label,
            "write `# rolecall: allow(RULE) because REASON`, or `allow(RULE, RULE)`; `rolecall lint --list-rules` lists the rules",
        )))
    };
    let Some(inner) = rest.strip_prefix("allow") else {
        return bad(
            "this `rolecall:` comment is not a suppression",
            "expected `allow(RULE) because REASON`",
        );
    };
    let inner = inner.trim_start();
    let Some(inner) = inner.strip_prefix('(') else {
        return bad(
            "this suppression names no rule",
            "expected `allow(RULE) because REASON`",
        );
    };
    let open = text.len() - inner.len();
    let Some(close_rel) = inner.find(')') else {
        return bad("this suppression's rule list is not closed", "missing `)`");
    };
    let list = inner.get(..close_rel).unwrap_or("");
    let mut rules = Vec::new();
    let mut offset = open;
    for part in list.split(',') {
        let id = part.trim();
        let lead = part.len() - part.trim_start().len();
        let start = offset + lead;
        offset += part.len() + 1;
        if id.is_empty() {
            return bad("this suppression names no rule", "empty rule name");
        }
        let id_loc = at(start, start + id.len());
        if super::rule(id).is_none() {
            let ids: Vec<&str> = RULES.iter().map(|r| r.meta().id).collect();
            return Some(Parsed::Bad(Finding::new(
                &invalid_suppression::META,
                &id_loc,
                format!("unknown rule `{id}` in suppression"),
                "no rule has this id",
                suggest(id, &ids, "rule", "rolecall lint"),
            )));
        }
        if id == unused_suppression::META.id || id == invalid_suppression::META.id {
            return Some(Parsed::Bad(Finding::new(
                &invalid_suppression::META,
                &id_loc,
                format!("`{id}` cannot be suppressed"),
                "findings about suppressions are not suppressible",
                "fix or remove the suppression it reports instead",
            )));
        }
        rules.push((id.to_string(), id_loc));
    }
    let after = inner.get(close_rel + 1..).unwrap_or("").trim();
    let reason = match after.strip_prefix("because") {
        Some(reason) if reason.is_empty() || reason.starts_with(char::is_whitespace) => {
            let reason = reason.trim();
            (!reason.is_empty()).then(|| reason.to_string())
        }
        _ if after.is_empty() => None,
        _ => {
            return bad(
                "this suppression's reason does not start with `because`",
                "expected `because REASON` after the rule list",
            );
        }
    };
    Some(Parsed::Ok(Suppression {
        loc: loc.clone(),
        rules,
        reason,
        lines: covered_lines(src, loc),
    }))
}

/// The comment's own line when code precedes it on that line; otherwise the
/// next line that is not only a comment.
fn covered_lines(src: &SourceFile, loc: &Loc) -> Vec<usize> {
    let text = src.text();
    let line = loc.line();
    let line_start = text
        .get(..loc.start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let before = text.get(line_start..loc.start).unwrap_or("");
    if !before.trim().is_empty() {
        return vec![line];
    }
    let mut next = line + 1;
    for l in text.lines().skip(line) {
        if l.trim_start().starts_with('#') {
            next += 1;
        } else {
            break;
        }
    }
    vec![next]
}
