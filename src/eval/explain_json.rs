//! `explain --format json`: the same [`Explanation`] as the text renderer,
//! for tools. Its sentences (`source_text`, `why_text`) are the text
//! renderer's; the decision itself is the answer `eval` writes, by its one
//! writer.

use serde::Serialize;

use super::explain::{setting_value_names, source_text, why_text};
use super::{Answer, EvalError, RoleSource};
use crate::compile::{DecisionTable, RoleId};
use crate::decision::explanation::{Explanation, Status, Why};
use crate::invariant::name_or_missing;

/// The explanation as one JSON document: `answer` (what `eval` answers),
/// the roles held per scope, the true facts, the overrides considered, and
/// per effective role its candidates in the order the combination rule
/// tries them and the part of the rule that gave its outcome. Pretty-printed,
/// keys in this order.
pub fn render_json(
    table: &DecisionTable,
    x: &Explanation,
    answer: &Answer,
) -> Result<String, EvalError> {
    let role_name = |r: RoleId| name_or_missing(table.role_name(r), "role");
    let names = |roles: &[RoleId]| roles.iter().map(|&r| role_name(r)).collect::<Vec<_>>();
    let policy = table.policy();
    // As a value, so it is pretty-printed with the rest; its fields and
    // their order are still the one writer's.
    let answer = serde_json::to_value(answer).map_err(|e| EvalError::Json(e.into()))?;
    let doc = Doc {
        answer,
        held: x
            .held
            .iter()
            .map(|h| HeldJson {
                scope: name_or_missing(table.scope_name(h.scope), "scope"),
                roles: names(&h.roles),
                source: source_key(h.source),
                text: source_text(h.source),
            })
            .collect(),
        true_facts: x
            .true_facts
            .iter()
            .map(|&f| name_or_missing(table.fact_name(f), "fact"))
            .collect(),
        settings: x
            .settings
            .iter()
            .map(|u| {
                let (setting, value) = setting_value_names(table, u);
                SettingJson {
                    setting,
                    value,
                    given: u.given,
                }
            })
            .collect(),
        overrides_considered: x.overrides_considered,
        roles: x
            .roles
            .iter()
            .map(|account| RoleJson {
                role: role_name(account.role),
                target: account.target.map(role_name),
                outcome: account.why.effect().as_str(),
                why: why_key(account.why),
                distance: account
                    .why
                    .distance()
                    .and_then(crate::resolve::shown_distance),
                text: why_text(account.why),
                candidates: account
                    .candidates
                    .iter()
                    .filter_map(|c| {
                        let rule = table.rule(c.rule)?;
                        Some(CandidateJson {
                            rule: rule.file_line(),
                            text: policy.rule_for_action(rule, x.action.index()),
                            effect: crate::syntax::ast::verb(rule.effect, rule.forbid),
                            distance: crate::resolve::shown_distance(c.distance),
                            path: names(&c.path),
                            status: match c.status {
                                Status::Decides => "decides",
                                Status::ConditionFalse => "condition_false",
                                Status::Outranked => "outranked",
                            },
                        })
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).map_err(|e| EvalError::Json(e.into()))
}

#[derive(Serialize)]
struct Doc<'a> {
    answer: serde_json::Value,
    held: Vec<HeldJson<'a>>,
    true_facts: Vec<&'a str>,
    settings: Vec<SettingJson<'a>>,
    overrides_considered: usize,
    roles: Vec<RoleJson<'a>>,
}

#[derive(Serialize)]
struct SettingJson<'a> {
    setting: &'a str,
    value: &'a str,
    /// `false`: not in the request, so its default value.
    given: bool,
}

#[derive(Serialize)]
struct HeldJson<'a> {
    scope: &'a str,
    roles: Vec<&'a str>,
    source: &'static str,
    text: &'static str,
}

#[derive(Serialize)]
struct RoleJson<'a> {
    /// For a targeted action: the target role whose cell is accounted for
    /// (left out for a plain action).
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    role: &'a str,
    outcome: &'static str,
    why: &'static str,
    distance: Option<usize>,
    text: String,
    candidates: Vec<CandidateJson<'a>>,
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    rule: String,
    text: String,
    effect: &'static str,
    distance: Option<usize>,
    path: Vec<&'a str>,
    status: &'static str,
}

fn source_key(source: RoleSource) -> &'static str {
    match source {
        RoleSource::Assigned => "assigned",
        RoleSource::KindDefault => "kind_default",
        RoleSource::ScopeDefault => "scope_default",
        RoleSource::Nothing => "nothing",
    }
}

fn why_key(why: Why) -> &'static str {
    match why {
        Why::NoRule => "no_rule",
        Why::NoConditionHolds => "no_condition_holds",
        Why::OnlyMatching(_) => "only_matching",
        Why::DenyBeatsAllow(_) => "deny_beats_allow",
        Why::EarliestDeclared(..) => "earliest_declared",
        Why::NearestHolding(..) => "nearest_holding",
        Why::Nearest(..) => "nearest",
        Why::Forbid(_) => "forbid",
    }
}
