//! The one sentence that says why a request was decided as it was.
//!
//! Written once, to a [`Sink`]: the general path collects it into a
//! `String` of names as declared, `eval`'s fast path into bytes from names
//! JSON-escaped once per table. The sentence's own words contain no
//! character JSON escapes, so both give the same text.

use super::Decision;
use crate::compile::ActionId;
use crate::eval::RoleSource;
use crate::syntax::ast::Effect;

/// Where the sentence goes: its own words, and the policy's names and texts.
pub(crate) trait Sink {
    /// Words of the sentence itself.
    fn words(&mut self, text: &str);
    /// The name of a scope.
    fn scope_name(&mut self, scope: usize);
    /// The name of a role of `scope`.
    fn role_name(&mut self, scope: usize, role: usize);
    /// The name of an action.
    fn action_name(&mut self, action: ActionId);
    /// A rule as written for one of its actions (`allow a, b to chat, … when x`).
    fn rule_text(&mut self, rule: usize, action: ActionId);
    /// A rule's `file:line`.
    fn rule_at(&mut self, rule: usize);
    /// An override as written.
    fn override_text(&mut self, index: usize);
}

/// Which part of a long inheritance path the sentence leaves out:
/// `Some((shown at each end, hidden))` when the path is longer than 16 roles.
pub(crate) fn path_elision(len: usize) -> Option<(usize, usize)> {
    const SHOWN: usize = 4;
    (len > 16).then(|| (SHOWN, len - 2 * SHOWN))
}

/// Writes the reason for `decision` of `action`, whose effective roles are
/// `roles` and whose deciding role inherits its rule through `path` (one
/// role or none when it does not inherit).
pub(crate) fn write(
    sink: &mut impl Sink,
    decision: &Decision,
    action: ActionId,
    roles: &[usize],
    path: &[usize],
) {
    let scope = action.scope();
    if roles.is_empty() {
        sink.words("denied: the principal holds no role in scope `");
        sink.scope_name(scope);
        sink.words(match decision.source {
            RoleSource::Nothing => "` (no role is assigned and the scope has no default)",
            _ => "` (the default is `none` (no access))",
        });
        return;
    }
    if decision.targeted && decision.target_role.is_none() {
        sink.words("denied: the target holds no role in scope `");
        sink.scope_name(scope);
        sink.words("`");
        return;
    }
    let Some(rule) = decision.rule else {
        sink.words("denied: no rule allows `");
        sink.action_name(action);
        sink.words("` for ");
        for (i, &r) in roles.iter().enumerate() {
            if i > 0 {
                sink.words(", ");
            }
            sink.role_name(scope, r);
        }
        write_target(sink, decision, scope);
        sink.words(" (default deny)");
        return;
    };
    sink.words(match decision.effect {
        Effect::Allow => "allowed: ",
        Effect::Deny => "denied: ",
    });
    if let Some(role) = decision.deciding_role {
        sink.role_name(scope, role);
        if let Some(o) = decision.added_by {
            sink.words(" (added by override `");
            sink.override_text(o);
            sink.words("`)");
        } else if let Some(o) = decision.override_applied {
            sink.words(" (by override `");
            sink.override_text(o);
            sink.words("`)");
        }
    }
    write_target(sink, decision, scope);
    sink.words(" matches `");
    sink.rule_text(rule, action);
    sink.words("` at ");
    sink.rule_at(rule);
    if decision.forbid {
        sink.words(" (a forbid wins over every role)");
    }
    if path.len() > 1 {
        sink.words(", inherited through ");
        let elided = path_elision(path.len());
        for (i, &role) in path.iter().enumerate() {
            if let Some((shown, hidden)) = elided {
                if i == shown {
                    sink.words(&format!(" → … ({hidden} more)"));
                }
                if (shown..shown + hidden).contains(&i) {
                    continue;
                }
            }
            if i > 0 {
                sink.words(" → ");
            }
            sink.role_name(scope, role);
        }
    }
}

/// ` on themself as organizer` / ` on a target holding organizer`: which
/// target role's cell decided a targeted action.
fn write_target(sink: &mut impl Sink, decision: &Decision, scope: usize) {
    let Some(target) = decision.target_role.filter(|_| decision.targeted) else {
        return;
    };
    sink.words(if decision.on_self {
        " on themself as "
    } else {
        " on a target holding "
    });
    sink.role_name(scope, target);
}
