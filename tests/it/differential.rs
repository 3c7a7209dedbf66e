//! Differential testing: a plain reference interpreter, written from
//! docs/language.md and evaluating straight from the syntax tree, must agree
//! with the compiled table on every generated request, rule included.

use std::collections::VecDeque;

use proptest::collection::vec;
use proptest::prelude::*;
use rolecall::source::SourceFile;
use rolecall::syntax::ast::{self, Effect, Expr, Item, ScopeItem};
use rolecall::syntax::parse_file;
use rolecall::{Request, compile_str};

// ------------------------------------------------------------ generated policies

#[derive(Debug, Clone)]
enum CondSpec {
    Fact(u8),
    /// `g{setting} is v…, v…`
    Setting(u8, Vec<u8>),
    /// `kind is k…, k…`
    Kind(Vec<u8>),
    Bool(bool),
    Not(Box<CondSpec>),
    And(Vec<CondSpec>),
    Or(Vec<CondSpec>),
}

#[derive(Debug, Clone)]
struct RuleSpec {
    deny: bool,
    /// A `forbid` (whatever `deny` says).
    forbid: bool,
    roles: Vec<u8>,
    actions: Vec<u8>,
    cond: Option<CondSpec>,
    /// The rule also names `everyone`.
    everyone: bool,
    /// The rule also names the scope's group.
    group: bool,
    /// `on …`, written when every action the rule names is targeted:
    /// (0 none, 1 `self`, 2 `others`) and selectors (kind, role, exactly)
    /// with kind 0 a role, 1 `below`, 2 `at or below`, 3 `above`, 4 `everyone`.
    target: Option<TargetSpec>,
}

/// A rule's `on …`: (who, selectors), as [`RuleSpec::target`] says.
type TargetSpec = (u8, Vec<(u8, u8, bool)>);

#[derive(Debug, Clone)]
struct ScopeSpec {
    /// Parents of each role, as raw numbers reduced to earlier roles (a DAG).
    roles: Vec<Vec<u8>>,
    actions: u8,
    rules: Vec<RuleSpec>,
    default: Option<Option<u8>>,
    kind_defaults: Vec<(u8, Option<u8>)>,
    assignable: Vec<(u8, Vec<u8>)>,
    /// Conditional lines, written before the unconditional ones:
    /// `default r when …`, `default k: r when …`, `assignable k: … when …`.
    cond_defaults: Vec<(Option<u8>, Option<u8>, CondSpec)>,
    cond_assignable: Vec<(u8, Vec<u8>, CondSpec)>,
    /// `group grp = …` of these actions (none when empty).
    group: Vec<u8>,
    /// Which actions are `on participant` (bit `a` for action `a`).
    targeted: u8,
}

#[derive(Debug, Clone)]
struct OverrideSpec {
    /// `Ok((scope, role))` for a role subject, `Err(Some(fact))` for a fact
    /// subject, `Err(None)` for `everyone`.
    subject: Result<(u8, u8), Option<u8>>,
    scope: u8,
    role: u8,
    cond: Option<CondSpec>,
    /// `also joins`
    adds: bool,
}

#[derive(Debug, Clone)]
struct Spec {
    facts: u8,
    kinds: u8,
    /// Each setting's default value (of `SETTING_VALUES`), as a raw number.
    settings: Vec<u8>,
    scopes: Vec<ScopeSpec>,
    overrides: Vec<OverrideSpec>,
}

#[derive(Debug, Clone)]
struct RequestSpec {
    principal: Vec<(u8, Vec<u8>)>,
    kind: Option<u8>,
    scope: u8,
    action: u8,
    facts: Vec<(u8, bool)>,
    /// (setting, value), raw numbers.
    settings: Vec<(u8, u8)>,
    /// `target`: `None` none, `Some(None)` `"self"`, `Some(Some(roles))`
    /// the target's roles in the action's scope.
    target: Option<Option<Vec<u8>>>,
}

/// Values of each generated setting: `v0`, `v1`, `v2`.
const SETTING_VALUES: usize = 3;

fn cond() -> impl Strategy<Value = CondSpec> {
    let leaf = prop_oneof![
        4 => any::<u8>().prop_map(CondSpec::Fact),
        2 => (any::<u8>(), vec(any::<u8>(), 1..3)).prop_map(|(s, v)| CondSpec::Setting(s, v)),
        1 => vec(any::<u8>(), 1..3).prop_map(CondSpec::Kind),
        1 => any::<bool>().prop_map(CondSpec::Bool),
    ];
    leaf.prop_recursive(3, 10, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| CondSpec::Not(Box::new(c))),
            vec(inner.clone(), 2..4).prop_map(CondSpec::And),
            vec(inner, 2..4).prop_map(CondSpec::Or),
        ]
    })
}

fn rule() -> impl Strategy<Value = RuleSpec> {
    (
        any::<bool>(),
        vec(any::<u8>(), 1..3),
        vec(any::<u8>(), 1..3),
        proptest::option::weighted(0.4, cond()),
        proptest::bool::weighted(0.15),
        proptest::bool::weighted(0.15),
        proptest::bool::weighted(0.15),
        proptest::option::weighted(
            0.5,
            (0u8..3, vec((0u8..5, any::<u8>(), any::<bool>()), 0..3)),
        ),
    )
        .prop_map(
            |(deny, roles, actions, cond, everyone, group, forbid, target)| RuleSpec {
                deny,
                forbid,
                roles,
                actions,
                cond,
                everyone,
                group,
                target,
            },
        )
}

fn scope() -> impl Strategy<Value = ScopeSpec> {
    (
        vec(vec(any::<u8>(), 0..3), 1..7),
        1u8..5,
        vec(rule(), 0..10),
        proptest::option::of(proptest::option::weighted(0.8, any::<u8>())),
        vec(
            (any::<u8>(), proptest::option::weighted(0.8, any::<u8>())),
            0..2,
        ),
        vec((any::<u8>(), vec(any::<u8>(), 0..3)), 0..2),
        (
            vec(
                (
                    proptest::option::weighted(0.5, any::<u8>()),
                    proptest::option::weighted(0.8, any::<u8>()),
                    cond(),
                ),
                0..3,
            ),
            vec((any::<u8>(), vec(any::<u8>(), 0..3), cond()), 0..2),
            vec(any::<u8>(), 0..3),
            prop_oneof![2 => Just(0u8), 3 => any::<u8>()],
        ),
    )
        .prop_map(
            |(
                roles,
                actions,
                rules,
                default,
                kind_defaults,
                assignable,
                (cond_defaults, cond_assignable, group, targeted),
            )| ScopeSpec {
                roles,
                actions,
                rules,
                default,
                kind_defaults,
                assignable,
                cond_defaults,
                cond_assignable,
                group,
                targeted,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..4,
        0u8..3,
        vec(any::<u8>(), 0..3),
        vec(scope(), 1..4),
        vec(
            (
                prop_oneof![
                    4 => (any::<u8>(), any::<u8>()).prop_map(Ok),
                    3 => any::<u8>().prop_map(|f| Err(Some(f))),
                    1 => Just(Err(None)),
                ],
                any::<u8>(),
                any::<u8>(),
                proptest::option::weighted(0.3, cond()),
                any::<bool>(),
            )
                .prop_map(|(subject, scope, role, cond, adds)| OverrideSpec {
                    subject,
                    scope,
                    role,
                    cond,
                    adds,
                }),
            0..3,
        ),
    )
        .prop_map(|(facts, kinds, settings, scopes, overrides)| Spec {
            facts,
            kinds,
            settings,
            scopes,
            overrides,
        })
}

fn request() -> impl Strategy<Value = RequestSpec> {
    (
        vec((any::<u8>(), vec(any::<u8>(), 0..3)), 0..3),
        proptest::option::weighted(0.5, any::<u8>()),
        any::<u8>(),
        any::<u8>(),
        vec((any::<u8>(), any::<bool>()), 0..4),
        vec((any::<u8>(), any::<u8>()), 0..3),
        proptest::option::weighted(0.9, proptest::option::weighted(0.8, vec(any::<u8>(), 0..3))),
    )
        .prop_map(
            |(principal, kind, scope, action, facts, settings, target)| RequestSpec {
                principal,
                kind,
                scope,
                action,
                facts,
                settings,
                target,
            },
        )
}

fn pick(raw: u8, n: usize) -> usize {
    raw as usize % n.max(1)
}

fn render_cond(c: &CondSpec, spec: &Spec) -> String {
    let list = |prefix: &str, raw: &[u8], n: usize| {
        let mut names: Vec<String> = raw
            .iter()
            .map(|x| format!("{prefix}{}", pick(*x, n)))
            .collect();
        names.dedup();
        names.join(", ")
    };
    match c {
        CondSpec::Fact(f) if spec.facts > 0 => format!("f{}", pick(*f, spec.facts as usize)),
        CondSpec::Setting(g, values) if !spec.settings.is_empty() => format!(
            "g{} is {}",
            pick(*g, spec.settings.len()),
            list("v", values, SETTING_VALUES)
        ),
        CondSpec::Kind(kinds) if spec.kinds > 0 => {
            format!("kind is {}", list("k", kinds, spec.kinds as usize))
        }
        CondSpec::Fact(_) | CondSpec::Setting(..) | CondSpec::Kind(_) => "true".to_string(),
        CondSpec::Bool(b) => b.to_string(),
        CondSpec::Not(inner) => format!("not ({})", render_cond(inner, spec)),
        CondSpec::And(items) => items
            .iter()
            .map(|c| format!("({})", render_cond(c, spec)))
            .collect::<Vec<_>>()
            .join(" and "),
        CondSpec::Or(items) => items
            .iter()
            .map(|c| format!("({})", render_cond(c, spec)))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// Policy text: every name valid, inheritance acyclic (parents are earlier roles).
fn render(spec: &Spec) -> String {
    let mut out = String::new();
    for f in 0..spec.facts {
        out.push_str(&format!("fact f{f}\n"));
    }
    for k in 0..spec.kinds {
        out.push_str(&format!("kind k{k}\n"));
    }
    for (g, default) in spec.settings.iter().enumerate() {
        out.push_str(&format!("setting g{g} {{\n"));
        for v in 0..SETTING_VALUES {
            out.push_str(&format!("    value v{v}\n"));
        }
        out.push_str(&format!(
            "    default v{}\n}}\n",
            pick(*default, SETTING_VALUES)
        ));
    }
    for (s, scope) in spec.scopes.iter().enumerate() {
        out.push_str(&format!("scope s{s} {{\n"));
        for (r, parents) in scope.roles.iter().enumerate() {
            let mut ps: Vec<usize> = if r == 0 {
                Vec::new()
            } else {
                parents.iter().map(|p| pick(*p, r)).collect()
            };
            ps.dedup();
            let list = if ps.is_empty() {
                String::new()
            } else {
                format!(
                    " : {}",
                    ps.iter()
                        .map(|p| format!("r{p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            out.push_str(&format!("    role r{r}{list}\n"));
        }
        let targeted = |a: usize| scope.targeted & (1 << a) != 0;
        for a in 0..scope.actions {
            let on = if targeted(a as usize) {
                " on participant"
            } else {
                ""
            };
            out.push_str(&format!("    action a{a}{on}\n"));
        }
        let mut group: Vec<usize> = Vec::new();
        for a in &scope.group {
            let a = pick(*a, scope.actions as usize);
            if !group.contains(&a) {
                group.push(a);
            }
        }
        if !group.is_empty() {
            let list: Vec<String> = group.iter().map(|a| format!("a{a}")).collect();
            out.push_str(&format!("    group grp = {}\n", list.join(", ")));
        }
        let n_roles = scope.roles.len();
        for rule in &scope.rules {
            let mut roles: Vec<String> = rule
                .roles
                .iter()
                .map(|r| format!("r{}", pick(*r, n_roles)))
                .collect();
            if rule.everyone {
                roles.push("everyone".to_string());
            }
            let mut actions: Vec<String> = rule
                .actions
                .iter()
                .map(|a| format!("a{}", pick(*a, scope.actions as usize)))
                .collect();
            if rule.group && !group.is_empty() {
                actions.push("grp".to_string());
            }
            let when = rule
                .cond
                .as_ref()
                .map(|c| format!(" when {}", render_cond(c, spec)))
                .unwrap_or_default();
            // `on …` only where every action named is targeted (else an error).
            let named: Vec<usize> = rule
                .actions
                .iter()
                .map(|a| pick(*a, scope.actions as usize))
                .chain(if rule.group {
                    group.clone()
                } else {
                    Vec::new()
                })
                .collect();
            let on = match &rule.target {
                Some((who, sels))
                    if named.iter().all(|&a| targeted(a)) && (*who > 0 || !sels.is_empty()) =>
                {
                    let mut parts: Vec<String> = Vec::new();
                    match who {
                        1 => parts.push("self".to_string()),
                        2 => parts.push("others".to_string()),
                        _ => {}
                    }
                    let list: Vec<String> = sels
                        .iter()
                        .map(|(kind, role, exact)| {
                            let exactly = if *exact { " exactly" } else { "" };
                            match kind {
                                1 => "below".to_string(),
                                2 => "at or below".to_string(),
                                3 => "above".to_string(),
                                4 => format!("everyone{exactly}"),
                                _ => format!("r{}{exactly}", pick(*role, n_roles)),
                            }
                        })
                        .collect();
                    if !list.is_empty() {
                        parts.push(list.join(", "));
                    }
                    format!(" on {}", parts.join(" "))
                }
                _ => String::new(),
            };
            let effect = if rule.forbid {
                "forbid"
            } else if rule.deny {
                "deny"
            } else {
                "allow"
            };
            out.push_str(&format!(
                "    {effect} {} to {}{on}{when}\n",
                roles.join(", "),
                actions.join(", ")
            ));
        }
        let role_or_none =
            |r: &Option<u8>| r.map_or("none".to_string(), |r| format!("r{}", pick(r, n_roles)));
        for (k, d, c) in &scope.cond_defaults {
            let kind = match k {
                Some(k) if spec.kinds > 0 => format!("k{}: ", pick(*k, spec.kinds as usize)),
                _ => String::new(),
            };
            out.push_str(&format!(
                "    default {kind}{} when {}\n",
                role_or_none(d),
                render_cond(c, spec)
            ));
        }
        if spec.kinds > 0 {
            for (k, roles, c) in &scope.cond_assignable {
                let list = if roles.is_empty() {
                    "none".to_string()
                } else {
                    roles
                        .iter()
                        .map(|r| format!("r{}", pick(*r, n_roles)))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push_str(&format!(
                    "    assignable k{}: {list} when {}\n",
                    pick(*k, spec.kinds as usize),
                    render_cond(c, spec)
                ));
            }
        }
        if let Some(d) = &scope.default {
            out.push_str(&format!("    default {}\n", role_or_none(d)));
        }
        if spec.kinds > 0 {
            let mut seen = Vec::new();
            for (k, d) in &scope.kind_defaults {
                let k = pick(*k, spec.kinds as usize);
                if !seen.contains(&k) {
                    seen.push(k);
                    out.push_str(&format!("    default k{k}: {}\n", role_or_none(d)));
                }
            }
            let mut seen = Vec::new();
            for (k, roles) in &scope.assignable {
                let k = pick(*k, spec.kinds as usize);
                if !seen.contains(&k) {
                    seen.push(k);
                    let list = if roles.is_empty() {
                        "none".to_string()
                    } else {
                        roles
                            .iter()
                            .map(|r| format!("r{}", pick(*r, n_roles)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    out.push_str(&format!("    assignable k{k}: {list}\n"));
                }
            }
        }
        out.push_str("}\n");
    }
    let n_scopes = spec.scopes.len();
    for o in &spec.overrides {
        let target = pick(o.scope, n_scopes);
        let subject = match o.subject {
            Ok((s, r)) => {
                let s = pick(s, n_scopes);
                if s == target {
                    continue; // not allowed within a scope
                }
                format!("s{s}.r{}", pick(r, spec.scopes[s].roles.len()))
            }
            Err(None) => "everyone".to_string(),
            Err(Some(_)) if spec.facts == 0 => continue,
            Err(Some(f)) => format!("f{}", pick(f, spec.facts as usize)),
        };
        let also = if o.adds { " also" } else { "" };
        let role = pick(o.role, spec.scopes[target].roles.len());
        let when = o
            .cond
            .as_ref()
            .map(|c| format!(" when {}", render_cond(c, spec)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{subject}{also} joins s{target} as r{role}{when}\n"
        ));
    }
    out
}

fn request_json(spec: &Spec, r: &RequestSpec) -> String {
    let n_scopes = spec.scopes.len();
    let mut principal = serde_json::Map::new();
    for (s, roles) in &r.principal {
        let s = pick(*s, n_scopes);
        let names: Vec<serde_json::Value> = roles
            .iter()
            .map(|x| format!("r{}", pick(*x, spec.scopes[s].roles.len())).into())
            .collect();
        principal.insert(format!("s{s}"), serde_json::Value::Array(names));
    }
    let scope = pick(r.scope, n_scopes);
    let mut request = serde_json::json!({
        "principal": principal,
        "action": format!("s{scope}:a{}", pick(r.action, spec.scopes[scope].actions as usize)),
    });
    if spec.kinds > 0 {
        if let Some(k) = r.kind {
            request["kind"] = format!("k{}", pick(k, spec.kinds as usize)).into();
        }
    }
    let mut context = serde_json::Map::new();
    if spec.facts > 0 {
        for (f, v) in &r.facts {
            context.insert(format!("f{}", pick(*f, spec.facts as usize)), (*v).into());
        }
    }
    if !spec.settings.is_empty() {
        for (g, v) in &r.settings {
            context.insert(
                format!("g{}", pick(*g, spec.settings.len())),
                format!("v{}", pick(*v, SETTING_VALUES)).into(),
            );
        }
    }
    if !context.is_empty() {
        request["context"] = context.into();
    }
    match &r.target {
        None => {}
        Some(None) => request["target"] = "self".into(),
        Some(Some(roles)) => {
            let names: Vec<serde_json::Value> = roles
                .iter()
                .map(|x| format!("r{}", pick(*x, spec.scopes[scope].roles.len())).into())
                .collect();
            request["target"] = serde_json::json!({ format!("s{scope}"): names });
        }
    }
    request.to_string()
}

// ------------------------------------------------------------ the reference interpreter

/// What the reference says: `Ok((allow?, line of the deciding rule))` or an error.
type Verdict = Result<(bool, Option<usize>), String>;

struct RefScope<'a> {
    name: &'a str,
    roles: Vec<(&'a str, Vec<&'a str>)>,
    actions: Vec<&'a str>,
    rules: Vec<&'a ast::Rule>,
    /// (kind or plain, role or none, condition), in declaration order.
    defaults: Vec<(Option<&'a str>, Option<&'a str>, Option<&'a Expr>)>,
    assignable: Vec<(&'a str, Vec<&'a str>, Option<&'a Expr>)>,
    groups: Vec<(&'a str, Vec<&'a str>)>,
    /// The actions declared `on participant`.
    targeted: Vec<&'a str>,
}

/// A rule for `everyone` is farther from a declared role than any ancestor.
const EVERYONE_FAR: usize = 1_000_000;

impl RefScope<'_> {
    fn role_index(&self, name: &str) -> Option<usize> {
        // `everyone` (a principal with no role) comes before every role.
        if name == "everyone" {
            return Some(0);
        }
        self.roles
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| i + 1)
    }

    fn names_everyone(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.roles.iter().any(|n| n.name.name == "everyone"))
    }

    /// Whether `rule` names `action`, directly or through a group.
    fn names_action(&self, rule: &ast::Rule, action: &str) -> bool {
        rule.actions.iter().any(|a| {
            a.name.name == action
                || self
                    .groups
                    .iter()
                    .any(|(g, members)| *g == a.name.name && members.contains(&action))
        })
    }

    /// A rule's distance from `role`: the nearest role it names, `everyone`
    /// farthest of all (or 0 from the `everyone` column itself).
    fn rule_distance(&self, role: &str, rule: &ast::Rule) -> Option<usize> {
        rule.roles
            .iter()
            .filter_map(|r| {
                let named = r.name.name.as_str();
                match (role, named) {
                    ("everyone", "everyone") => Some(0),
                    ("everyone", _) => None,
                    (_, "everyone") => Some(EVERYONE_FAR),
                    _ => self.distance(role, named),
                }
            })
            .min()
    }

    /// Whether `a` is a strict ancestor of `b` (`everyone` of every declared role).
    fn above(&self, a: &str, b: &str) -> bool {
        a != b && (a == "everyone" || (b != "everyone" && self.distance(b, a).is_some()))
    }

    /// Whether `rule`'s `on …` lets in the cell of `role` acting on a target
    /// holding `t` (`on_self`: the principal themself), as docs/language.md
    /// §4.21 says: `self`/`others`, then any selector, ranks read against the
    /// acting role.
    fn targets(&self, rule: &ast::Rule, role: &str, t: &str, on_self: bool) -> bool {
        let Some(clause) = &rule.target else {
            return true;
        };
        match clause.who {
            Some(ast::TargetWho::Myself) if !on_self => return false,
            Some(ast::TargetWho::Others) if on_self => return false,
            _ => {}
        }
        clause.roles.is_empty()
            || clause.roles.iter().any(|sel| match sel {
                ast::TargetSel::Role { name, exact } if name.name == "everyone" => {
                    !exact || t == "everyone"
                }
                ast::TargetSel::Role { name, exact } => {
                    t == name.name || (!exact && self.above(&name.name, t))
                }
                ast::TargetSel::Below => self.above(t, role),
                ast::TargetSel::AtOrBelow => t == role || self.above(t, role),
                ast::TargetSel::Above => self.above(role, t),
            })
    }

    /// Shortest inheritance distance from `from` to `to`.
    fn distance(&self, from: &str, to: &str) -> Option<usize> {
        let mut queue = VecDeque::from([(from, 0)]);
        let mut seen = vec![from];
        while let Some((role, d)) = queue.pop_front() {
            if role == to {
                return Some(d);
            }
            let parents = self
                .roles
                .iter()
                .find(|(n, _)| *n == role)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            for p in parents {
                if !seen.contains(&p) {
                    seen.push(p);
                    queue.push_back((p, d + 1));
                }
            }
        }
        None
    }
}

/// What a condition reads: the request's `context` (facts and settings),
/// each setting's default as declared, the request's kind.
struct Env<'a> {
    context: &'a serde_json::Map<String, serde_json::Value>,
    defaults: Vec<(&'a str, &'a str)>,
    kind: Option<&'a str>,
    /// The request's `target_kind` (the generated requests give none).
    target_kind: Option<&'a str>,
}

fn eval_expr(e: &Expr, env: &Env<'_>) -> bool {
    match e {
        Expr::Fact(f) => env
            .context
            .get(&f.name)
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Expr::Setting(setting, values, _) => {
            let value = env
                .context
                .get(&setting.name)
                .and_then(|v| v.as_str())
                .or_else(|| {
                    env.defaults
                        .iter()
                        .find(|(s, _)| *s == setting.name)
                        .map(|(_, d)| *d)
                });
            values.iter().any(|v| Some(v.name.as_str()) == value)
        }
        Expr::Kind(kinds, _) => kinds.iter().any(|k| Some(k.name.as_str()) == env.kind),
        Expr::TargetKind(kinds, _) => kinds
            .iter()
            .any(|k| Some(k.name.as_str()) == env.target_kind),
        Expr::Bool(b, _) => *b,
        Expr::Not(inner, _) => !eval_expr(inner, env),
        Expr::And(items, _) => items.iter().all(|i| eval_expr(i, env)),
        Expr::Or(items, _) => items.iter().any(|i| eval_expr(i, env)),
    }
}

fn reference(tree: &ast::File, request: &serde_json::Value) -> Verdict {
    let mut scopes: Vec<RefScope<'_>> = Vec::new();
    let mut overrides: Vec<&ast::OverrideDecl> = Vec::new();
    for item in &tree.items {
        match item {
            Item::Scope(s) => {
                let mut scope = RefScope {
                    name: &s.name.name,
                    roles: Vec::new(),
                    actions: Vec::new(),
                    rules: Vec::new(),
                    defaults: Vec::new(),
                    assignable: Vec::new(),
                    groups: Vec::new(),
                    targeted: Vec::new(),
                };
                for si in &s.items {
                    match si {
                        ScopeItem::Group(g) => scope.groups.push((
                            &g.name.name,
                            g.actions.iter().map(|a| a.name.as_str()).collect(),
                        )),
                        ScopeItem::Role(r) => scope.roles.push((
                            &r.name.name,
                            r.parents.iter().map(|p| p.name.name.as_str()).collect(),
                        )),
                        ScopeItem::Action(a) => {
                            scope.actions.push(&a.name.name);
                            if a.target.is_some() {
                                scope.targeted.push(&a.name.name);
                            }
                        }
                        ScopeItem::Rule(r) => scope.rules.push(r),
                        ScopeItem::Default(d) => scope.defaults.push((
                            d.kind.as_ref().map(|k| k.name.as_str()),
                            d.role.as_ref().map(|r| r.name.as_str()),
                            d.condition.as_ref(),
                        )),
                        ScopeItem::Assignable(a) => scope.assignable.push((
                            &a.kind.name,
                            a.roles.iter().map(|r| r.name.as_str()).collect(),
                            a.condition.as_ref(),
                        )),
                        _ => {}
                    }
                }
                scopes.push(scope);
            }
            Item::Override(o) => overrides.push(o),
            _ => {}
        }
    }
    let empty = serde_json::Map::new();
    let facts = request["context"].as_object().unwrap_or(&empty);
    let kind = request["kind"].as_str();
    let env = Env {
        context: facts,
        defaults: tree
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Setting(g) => Some((g.name.name.as_str(), g.defaults.first()?.name.as_str())),
                _ => None,
            })
            .collect(),
        kind,
        target_kind: request["target_kind"].as_str(),
    };
    let (action_scope, action) = request["action"]
        .as_str()
        .and_then(|a| a.split_once(':'))
        .ok_or("action")?;
    let s = scopes
        .iter()
        .position(|sc| sc.name == action_scope)
        .ok_or("action scope")?;
    let scope = &scopes[s];
    let principal = request["principal"].as_object().ok_or("principal")?;
    let effective = effective_roles(&scopes, &overrides, &env, facts, principal, kind, s)?;
    // A targeted action's target (docs/language.md §4.21): required for it,
    // refused for any other; `"self"` is the principal's own roles.
    let targeted = scope.targeted.contains(&action);
    let target = &request["target"];
    let targets: Option<(Vec<&str>, bool)> = match (target, targeted) {
        (serde_json::Value::Null, false) => None,
        (serde_json::Value::Null, true) => return Err("target required".to_string()),
        (_, false) => return Err("target for a plain action".to_string()),
        (serde_json::Value::String(t), true) if t == "self" => Some((effective.clone(), true)),
        (serde_json::Value::Object(t), true) => {
            // The target's roles, resolved as a principal's (without a kind).
            let roles = effective_roles(&scopes, &overrides, &env, facts, t, None, s)?;
            Some((roles, false))
        }
        _ => return Err("target".to_string()),
    };
    let columns: Vec<Option<&str>> = match &targets {
        None => vec![None],
        Some((roles, _)) => roles.iter().map(|r| Some(*r)).collect(),
    };
    let on_self = targets.as_ref().is_some_and(|(_, s)| *s);
    let bears = |rule: &ast::Rule, role: &str, t: Option<&str>| {
        scope.names_action(rule, action)
            && t.is_none_or(|t| scope.targets(rule, role, t, on_self))
            && rule.condition.as_ref().is_none_or(|c| eval_expr(c, &env))
    };
    // A forbid first (docs/language.md §4.11, §5.5): the first effective
    // role with a cell (target) where a forbid holds denies, reporting that
    // cell's nearest forbid (ties: the earliest declared).
    for role in &effective {
        for &t in &columns {
            let mut nearest: Option<(usize, usize)> = None; // (distance, line)
            for rule in scope.rules.iter().filter(|r| r.forbid && bears(r, role, t)) {
                let Some(d) = scope.rule_distance(role, rule) else {
                    continue;
                };
                if nearest.is_none_or(|(bd, _)| d < bd) {
                    nearest = Some((d, rule.loc.line()));
                }
            }
            if let Some((_, line)) = nearest {
                return Ok((false, Some(line)));
            }
        }
    }
    // One cell: the nearest rules whose condition holds; deny beats allow at equal distance.
    let cell = |role: &str, t: Option<&str>| -> Option<(Effect, usize)> {
        let mut best: Option<(usize, Effect, usize)> = None; // (distance, effect, line)
        for rule in scope.rules.iter().filter(|r| bears(r, role, t)) {
            let Some(d) = scope.rule_distance(role, rule) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((bd, be, _)) => {
                    d < bd || (d == bd && be == Effect::Allow && rule.effect == Effect::Deny)
                }
            };
            if better {
                best = Some((d, rule.effect, rule.loc.line()));
            }
        }
        best.map(|(_, e, line)| (e, line))
    };
    // A role allows when every target's cell allows (citing the first);
    // else it denies, citing the first deny a rule decided. No target role:
    // nothing to act on.
    let mut first_deny = None;
    for role in &effective {
        let cells: Vec<Option<(Effect, usize)>> = columns.iter().map(|&t| cell(role, t)).collect();
        let outcome = if cells.is_empty() {
            None
        } else if cells.iter().all(|c| matches!(c, Some((Effect::Allow, _)))) {
            cells.first().copied().flatten()
        } else {
            cells
                .iter()
                .find_map(|c| match c {
                    Some((Effect::Deny, line)) => Some((Effect::Deny, *line)),
                    _ => None,
                })
                .or(Some((Effect::Deny, usize::MAX)))
        };
        match outcome {
            Some((Effect::Allow, line)) => return Ok((true, Some(line))),
            Some((Effect::Deny, line)) if first_deny.is_none() && line != usize::MAX => {
                first_deny = Some(line)
            }
            _ => {}
        }
    }
    Ok((false, first_deny))
}

/// A principal's (or a target's) effective roles in scope `s`: assigned
/// (checked against the kind's assignable list), else the kind's default,
/// else the scope's; the first applying replacing override, every applying
/// adding one; `everyone` when that leaves none and the scope names it.
fn effective_roles<'a>(
    scopes: &[RefScope<'a>],
    overrides: &[&'a ast::OverrideDecl],
    env: &Env<'_>,
    facts: &serde_json::Map<String, serde_json::Value>,
    principal: &'a serde_json::Map<String, serde_json::Value>,
    kind: Option<&str>,
    s: usize,
) -> Result<Vec<&'a str>, String> {
    let mut assigned: Vec<Vec<&str>> = vec![Vec::new(); scopes.len()];
    for (scope_name, roles) in principal {
        let sc = scopes
            .iter()
            .position(|x| x.name == scope_name)
            .ok_or("scope")?;
        for role in roles.as_array().ok_or("roles")? {
            let role = role.as_str().ok_or("role")?;
            if role == "everyone" {
                return Err("everyone is not a role one holds".to_string());
            }
            if let Some(k) = kind {
                // The kind's first line whose condition holds is its list.
                let line = scopes[sc]
                    .assignable
                    .iter()
                    .find(|(kk, _, c)| *kk == k && c.is_none_or(|c| eval_expr(c, env)));
                if let Some((_, allowed, _)) = line {
                    if !allowed.contains(&role) {
                        return Err(format!("not assignable: {role}"));
                    }
                }
            }
            let role = scopes[sc]
                .roles
                .iter()
                .find(|(n, _)| *n == role)
                .map(|(n, _)| *n)
                .ok_or("unknown role")?;
            if !assigned[sc].contains(&role) {
                assigned[sc].push(role);
            }
        }
    }
    // Held roles: assigned, else the kind's default, else the scope's default.
    let held: Vec<Vec<&str>> = scopes
        .iter()
        .zip(&assigned)
        .map(|(scope, a)| {
            if !a.is_empty() {
                return a.clone();
            }
            // The kind's defaults in order, then the plain ones: the first
            // whose condition holds.
            let holds = |c: &Option<&Expr>| c.is_none_or(|c| eval_expr(c, env));
            if let Some(k) = kind {
                if let Some((_, d, _)) = scope
                    .defaults
                    .iter()
                    .find(|(kk, _, c)| *kk == Some(k) && holds(c))
                {
                    return d.iter().copied().collect();
                }
            }
            scope
                .defaults
                .iter()
                .find(|(kk, _, c)| kk.is_none() && holds(c))
                .and_then(|(_, d, _)| *d)
                .into_iter()
                .collect()
        })
        .collect();
    let scope = &scopes[s];
    // The first applying replacing override replaces the held roles; every
    // applying adding one adds its role.
    let mut effective = held[s].clone();
    let mut replaced = false;
    let mut added = Vec::new();
    for o in overrides {
        if o.scope.name != scope.name || (replaced && !o.adds) {
            continue;
        }
        let subject = match &o.subject.scope {
            Some(subject_scope) => {
                let ss = scopes
                    .iter()
                    .position(|sc| sc.name == subject_scope.name)
                    .ok_or("subject scope")?;
                held[ss]
                    .iter()
                    .any(|r| scopes[ss].distance(r, &o.subject.name.name).is_some())
            }
            None if o.subject.name.name == "everyone" => true,
            None => facts
                .get(&o.subject.name.name)
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        };
        if subject && o.condition.as_ref().is_none_or(|c| eval_expr(c, env)) {
            if o.adds {
                added.push(o.role.name.as_str());
            } else {
                effective = vec![o.role.name.as_str()];
                replaced = true;
            }
        }
    }
    effective.extend(added);
    effective.sort_by_key(|r| scope.role_index(r));
    effective.dedup();
    if effective.is_empty() && scope.names_everyone() {
        effective.push("everyone");
    }
    Ok(effective)
}

// ------------------------------------------------------------ the property

fn compiled(table: &rolecall::DecisionTable, json: &str) -> Verdict {
    let request = Request::from_json(json).map_err(|e| e.to_string())?;
    let answer = table.evaluate(&request).map_err(|e| e.to_string())?;
    let line = answer
        .rule
        .as_ref()
        .and_then(|r| r.rsplit(':').next())
        .and_then(|l| l.parse().ok());
    Ok((answer.decision == Effect::Allow, line))
}

fn cases() -> u32 {
    std::env::var("ROLECALL_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn compiled_table_agrees_with_the_reference_interpreter(spec in spec(), requests in vec(request(), 1..6)) {
        let text = render(&spec);
        let table = compile_str("test.policy", &text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        let tree = parse_file(&SourceFile::new("test.policy", text.as_str())).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for r in &requests {
            let json = request_json(&spec, r);
            let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let want = reference(&tree, &value);
            let got = compiled(&table, &json);
            match (&want, &got) {
                (Ok(w), Ok(g)) => prop_assert_eq!(w, g, "request {}\npolicy:\n{}", json, text),
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "reference {:?} vs compiled {:?}\nrequest {}\npolicy:\n{}", want, got, json, text),
            }
        }
    }
}
