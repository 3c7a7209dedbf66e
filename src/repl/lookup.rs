//! Names as people write them (`moderator`, `session.moderator`) bound to a
//! policy's scopes, and questions turned into [`Request`]s.
//!
//! A role or action named without its scope is found in the one scope that
//! declares it; when several do, the question's other names decide (the
//! action's scope for a role, the roles' scopes for an action), else it is
//! an error asking for `scope.name`.

use indexmap::IndexMap;

use super::query::{Name, Query, QueryTarget};
use crate::compile::DecisionTable;
use crate::eval::{Request, RequestTarget};
use crate::resolve::suggest;

/// Which list of names a lookup reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// Roles.
    Role,
    /// Actions.
    Action,
}

impl What {
    fn word(self) -> &'static str {
        match self {
            What::Role => "role",
            What::Action => "action",
        }
    }

    fn names(self, table: &DecisionTable, scope: usize) -> Vec<&str> {
        table
            .policy
            .scopes
            .get_index(scope)
            .map(|(_, s)| match self {
                What::Role => s.roles.keys().map(String::as_str).collect(),
                What::Action => s.actions.keys().map(String::as_str).collect(),
            })
            .unwrap_or_default()
    }
}

/// The index of scope `name`, or an error with a suggestion.
pub fn scope(table: &DecisionTable, name: &str) -> Result<usize, String> {
    table.scope_index(name).ok_or_else(|| {
        let known: Vec<&str> = table.policy.scopes.keys().map(String::as_str).collect();
        format!(
            "unknown scope `{name}` ({})",
            suggest(name, &known, "scope", "the policy")
        )
    })
}

/// Scopes declaring a role or action called `name`, in declaration order.
pub fn scopes_declaring(table: &DecisionTable, what: What, name: &str) -> Vec<usize> {
    (0..table.policy.scopes.len())
        .filter(|&s| what.names(table, s).contains(&name))
        .collect()
}

/// Binds `name` to (scope index, name). `prefer` picks among several scopes
/// declaring an unqualified name.
pub fn bind(
    table: &DecisionTable,
    what: What,
    name: &Name,
    prefer: &[usize],
) -> Result<(usize, String), String> {
    let word = what.word();
    if let Some(scope_name) = &name.scope {
        let s = scope(table, scope_name)?;
        let known = what.names(table, s);
        if !known.contains(&name.name.as_str()) {
            return Err(format!(
                "unknown {word} `{}` in scope `{scope_name}` ({})",
                name.name,
                suggest(&name.name, &known, word, &format!("scope `{scope_name}`"))
            ));
        }
        return Ok((s, name.name.clone()));
    }
    let found = scopes_declaring(table, what, &name.name);
    match found.as_slice() {
        [s] => Ok((*s, name.name.clone())),
        [] => {
            let all = qualified_names(table, what);
            let bare: Vec<&str> = all.iter().map(|(_, n)| n.as_str()).collect();
            let help = suggest(&name.name, &bare, word, "the policy");
            Err(format!("unknown {word} `{}` ({help})", name.name))
        }
        several => {
            let preferred: Vec<usize> = several
                .iter()
                .copied()
                .filter(|s| prefer.contains(s))
                .collect();
            if let [s] = preferred.as_slice() {
                return Ok((*s, name.name.clone()));
            }
            let options: Vec<String> = several
                .iter()
                .filter_map(|&s| table.policy.scopes.get_index(s))
                .map(|(scope, _)| format!("`{scope}.{}`", name.name))
                .collect();
            Err(format!(
                "{word} `{}` is declared in several scopes; write {}",
                name.name,
                options.join(" or ")
            ))
        }
    }
}

/// Every (scope, name) of a kind, in declaration order.
pub fn qualified_names(table: &DecisionTable, what: What) -> Vec<(String, String)> {
    table
        .policy
        .scopes
        .keys()
        .enumerate()
        .flat_map(|(s, scope)| {
            what.names(table, s)
                .into_iter()
                .map(move |n| (scope.clone(), n.to_string()))
        })
        .collect()
}

/// Roles as a request gives them, per scope name, each once: an
/// unqualified role is taken in the action's scope when it has one.
fn roles_by_scope(
    table: &DecisionTable,
    roles: &[Name],
    action_scope: usize,
) -> Result<IndexMap<String, Vec<String>>, String> {
    let mut by_scope: IndexMap<String, Vec<String>> = IndexMap::new();
    for role in roles {
        let (s, name) = bind(table, What::Role, role, &[action_scope])?;
        let scope_name = table
            .policy
            .scopes
            .get_index(s)
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        let held = by_scope.entry(scope_name).or_default();
        if !held.contains(&name) {
            held.push(name);
        }
    }
    Ok(by_scope)
}

/// Turns a question into a request for `table`. `session_facts` are the
/// facts set with `:set`; those this policy does not declare are left out,
/// and the question's own facts override them.
pub fn request(
    table: &DecisionTable,
    query: &Query,
    session_facts: &IndexMap<String, bool>,
) -> Result<Request, String> {
    let Some(action) = &query.action else {
        return Err("the question names no action".to_string());
    };
    // Scopes the roles certainly belong to, to pick an action's scope.
    let role_scopes: Vec<usize> = query
        .roles
        .iter()
        .filter_map(|r| bind(table, What::Role, r, &[]).ok().map(|(s, _)| s))
        .collect();
    let (action_scope, action_name) =
        bind(table, What::Action, action, &role_scopes).map_err(|e| {
            // `can moderator`: a role where the action should be.
            if query.roles.is_empty() && bind(table, What::Role, action, &[]).is_ok() {
                format!(
                    "`{action}` is a role; a question also names an action: `can {action} ACTION`"
                )
            } else {
                e
            }
        })?;
    let principal = roles_by_scope(table, &query.roles, action_scope)?;
    let action_scope_name = table
        .policy
        .scopes
        .get_index(action_scope)
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    let targeted = table
        .action_id(&action_scope_name, &action_name)
        .is_some_and(|a| table.is_targeted(a));
    let target = match &query.target {
        None if targeted => {
            return Err(format!(
                "`{action_scope_name}:{action_name}` is done to someone: name the target, `can … {action_name} ROLE` (the target's role) or `can … {action_name} on self`"
            ));
        }
        None => None,
        Some(t) if !targeted => {
            let written = match t {
                QueryTarget::Myself => "self".to_string(),
                QueryTarget::Roles(roles) => roles
                    .iter()
                    .map(Name::to_string)
                    .collect::<Vec<_>>()
                    .join(" + "),
            };
            return Err(format!(
                "unexpected `{written}` after the action: `{action_scope_name}:{action_name}` is not done to anyone; {}",
                super::query::QUESTION_FORM
            ));
        }
        Some(QueryTarget::Myself) => Some(RequestTarget::Myself),
        Some(QueryTarget::Roles(roles)) => Some(RequestTarget::Other {
            principal: roles_by_scope(table, roles, action_scope)?,
            kind: None,
        }),
    };
    let mut context: IndexMap<String, bool> = session_facts
        .iter()
        .filter(|(f, _)| table.policy.facts.contains_key(f.as_str()))
        .map(|(f, v)| (f.clone(), *v))
        .collect();
    for (fact, value) in &query.facts {
        context.insert(fact.clone(), *value);
    }
    Ok(Request {
        principal,
        kind: query.kind.clone(),
        action: format!("{action_scope_name}:{action_name}"),
        context,
        settings: query.settings.iter().cloned().collect(),
        target,
    })
}
