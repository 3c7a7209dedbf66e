//! rolecall against Cedar, Rego (regorus) and Casbin on the Livestorm matrices.
//!
//! The three encodings in `policies/` are written the way each engine's users
//! write role-based access control: Cedar with roles as an entity hierarchy
//! and one `permit` per action and lowest role; Rego with the role graph and
//! grants as data and `graph.reachable`; Casbin with an RBAC model, `p` lines
//! for grants and `g` lines for inheritance. `--write` regenerates them from
//! the rolecall policy's own rules and parents (never from its compiled
//! cells, so each engine computes inheritance itself).
//!
//! A run first checks that all four engines agree on every cell of both
//! Livestorm matrices, then measures the time per decision of each, in the
//! same process, over the same list of cells, and prints the ratios.
//!
//! `cargo run --release` (in benches/compare), or `cargo run --release -- --write`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet};
use rolecall::DecisionTable;
use rolecall::compile::FactSet;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// One cell by name: scope, action, role.
#[derive(Debug, Clone)]
struct Cell {
    scope: String,
    action: String,
    role: String,
}

fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let policy_path = root().join("../../policies/livestorm.policy");
    let table = match rolecall::compile_file(&policy_path) {
        Ok(t) => t,
        Err(d) => {
            eprintln!("livestorm.policy does not compile: {} diagnostics", d.len());
            std::process::exit(1);
        }
    };
    let dir = root().join("policies");
    if write {
        write_encodings(&table, &dir);
        println!("wrote {}", dir.display());
        return;
    }
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
            eprintln!("{name}: {e} (run with --write to generate it)");
            std::process::exit(1)
        })
    };
    let cells = cells(&table);

    let cedar = CedarEngine::new(
        &read("livestorm.cedar"),
        &read("livestorm.cedar.entities.json"),
    );
    let mut rego = RegoEngine::new(&read("livestorm.rego"), &read("livestorm.rego.data.json"));
    let casbin = CasbinEngine::new(
        &read("livestorm.casbin.conf"),
        &read("livestorm.casbin.csv"),
    );

    // 1. Agreement on every cell.
    let expected: Vec<bool> = cells.iter().map(|c| rolecall_strings(&table, c)).collect();
    let mut disagreements = 0;
    for (cell, &want) in cells.iter().zip(&expected) {
        let got = [
            ("cedar", cedar.allows(cell)),
            ("rego", rego.allows(cell)),
            ("casbin", casbin.allows(cell)),
        ];
        for (engine, answer) in got {
            if answer != want {
                disagreements += 1;
                eprintln!(
                    "{engine} disagrees on {}:{} × {}: {answer}, rolecall {want}",
                    cell.scope, cell.action, cell.role
                );
            }
        }
    }
    let allowed = expected.iter().filter(|&&a| a).count();
    if disagreements > 0 {
        eprintln!("{disagreements} disagreements; not measuring");
        std::process::exit(1);
    }
    println!(
        "agreement: all four engines give the same answer on all {} cells ({allowed} allowed, {} denied)",
        cells.len(),
        cells.len() - allowed
    );

    // 2. Time per decision, each engine over the same cells.
    let ids: Vec<_> = cells
        .iter()
        .map(|c| {
            (
                table.action_id(&c.scope, &c.action).expect("action"),
                table.role_id(&c.scope, &c.role).expect("role"),
            )
        })
        .collect();
    let facts = FactSet::new();
    let cedar_requests: Vec<cedar_policy::Request> =
        cells.iter().map(|c| cedar.request(c)).collect();
    let rego_inputs: Vec<regorus::Value> = cells.iter().map(RegoEngine::input).collect();

    // Seconds per decision, per engine.
    let mut results: Vec<(&str, f64)> = Vec::new();
    results.push((
        "rolecall (ids)",
        per_decision(cells.len(), || {
            ids.iter()
                .filter(|&&(a, r)| table.allows(black_box(a), black_box(r), &facts))
                .count()
        }),
    ));
    results.push((
        "rolecall (strings)",
        per_decision(cells.len(), || {
            cells
                .iter()
                .filter(|c| rolecall_strings(&table, black_box(c)))
                .count()
        }),
    ));
    results.push((
        "cedar-policy",
        per_decision(cells.len(), || {
            cedar_requests
                .iter()
                .filter(|r| cedar.allows_request(black_box(r)))
                .count()
        }),
    ));
    results.push((
        "regorus (Rego)",
        per_decision(cells.len(), || {
            rego_inputs
                .iter()
                .filter(|i| rego.allows_input(black_box(i)))
                .count()
        }),
    ));
    results.push((
        "casbin",
        per_decision(cells.len(), || {
            cells.iter().filter(|c| casbin.allows(black_box(c))).count()
        }),
    ));

    let base = results
        .iter()
        .find(|(n, _)| *n == "rolecall (strings)")
        .map(|&(_, d)| d)
        .unwrap_or(1.0);
    let ids = results.first().map(|&(_, d)| d).unwrap_or(1.0);
    println!();
    println!("| engine | median time per decision | × rolecall (strings) | × rolecall (ids) |");
    println!("|---|---:|---:|---:|");
    for &(name, s) in &results {
        println!(
            "| {name} | {} | {:.1} | {:.0} |",
            human(s),
            s / base,
            s / ids
        );
    }
}

/// The median time per decision over several rounds of `run`, each round
/// long enough (about 50 ms) for the clock; `run` decides `n` cells.
fn per_decision(n: usize, mut run: impl FnMut() -> usize) -> f64 {
    // Warm up, and size a round.
    let start = Instant::now();
    let mut reps = 0u32;
    while start.elapsed() < Duration::from_millis(200) {
        black_box(run());
        reps += 1;
    }
    let per_round = (reps / 4).max(1);
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                black_box(run());
            }
            t.elapsed().as_secs_f64() / (f64::from(per_round) * n as f64)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn human(seconds: f64) -> String {
    let ns = seconds * 1e9;
    if ns < 1000.0 {
        format!("{ns:.1} ns")
    } else {
        format!("{:.2} µs", ns / 1000.0)
    }
}

/// Every cell of the table, by name.
fn cells(table: &DecisionTable) -> Vec<Cell> {
    let mut out = Vec::new();
    for (scope, s) in &table.policy().scopes {
        for action in s.actions.keys() {
            for role in s.roles.keys() {
                out.push(Cell {
                    scope: scope.clone(),
                    action: action.clone(),
                    role: role.clone(),
                });
            }
        }
    }
    out
}

/// rolecall from names: three lookups and one load.
fn rolecall_strings(table: &DecisionTable, c: &Cell) -> bool {
    table.allows_names(&c.scope, &c.action, &c.role, &FactSet::new()) == Some(true)
}

// ------------------------------------------------------------------ Cedar

struct CedarEngine {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
}

impl CedarEngine {
    fn new(policies: &str, entities: &str) -> Self {
        let policies = PolicySet::from_str(policies).unwrap_or_else(|e| panic!("cedar: {e}"));
        let entities =
            Entities::from_json_str(entities, None).unwrap_or_else(|e| panic!("cedar: {e}"));
        CedarEngine {
            policies,
            entities,
            authorizer: Authorizer::new(),
        }
    }

    fn request(&self, c: &Cell) -> cedar_policy::Request {
        let principal = EntityUid::from_str(&format!("{}::\"{}\"", role_type(&c.scope), c.role))
            .expect("principal");
        let action =
            EntityUid::from_str(&format!("Action::\"{}:{}\"", c.scope, c.action)).expect("action");
        let resource = EntityUid::from_str(&format!("{}::\"any\"", resource_type(&c.scope)))
            .expect("resource");
        cedar_policy::Request::new(principal, action, resource, Context::empty(), None)
            .expect("request")
    }

    fn allows_request(&self, r: &cedar_policy::Request) -> bool {
        self.authorizer
            .is_authorized(r, &self.policies, &self.entities)
            .decision()
            == Decision::Allow
    }

    fn allows(&self, c: &Cell) -> bool {
        self.allows_request(&self.request(c))
    }
}

fn role_type(scope: &str) -> String {
    format!("{}Role", capitalized(scope))
}

fn resource_type(scope: &str) -> String {
    capitalized(scope)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

// ------------------------------------------------------------------ Rego

struct RegoEngine {
    engine: regorus::Engine,
}

impl RegoEngine {
    fn new(policy: &str, data: &str) -> Self {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("livestorm.rego".to_string(), policy.to_string())
            .unwrap_or_else(|e| panic!("rego: {e}"));
        engine
            .add_data(regorus::Value::from_json_str(data).unwrap_or_else(|e| panic!("rego: {e}")))
            .unwrap_or_else(|e| panic!("rego: {e}"));
        RegoEngine { engine }
    }

    fn input(c: &Cell) -> regorus::Value {
        let json = serde_json::json!({"scope": c.scope, "role": c.role, "action": c.action});
        regorus::Value::from_json_str(&json.to_string()).expect("input")
    }

    fn allows_input(&mut self, input: &regorus::Value) -> bool {
        self.engine.set_input(input.clone());
        self.engine
            .eval_rule("data.livestorm.allow".to_string())
            .map(|v| v == regorus::Value::from(true))
            .unwrap_or(false)
    }

    fn allows(&mut self, c: &Cell) -> bool {
        self.allows_input(&Self::input(c))
    }
}

// ------------------------------------------------------------------ Casbin

struct CasbinEngine {
    enforcer: Enforcer,
}

impl CasbinEngine {
    fn new(model: &str, policy: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let enforcer = runtime.block_on(async {
            let model = DefaultModel::from_str(model)
                .await
                .unwrap_or_else(|e| panic!("casbin: {e}"));
            let mut e = Enforcer::new(model, MemoryAdapter::default())
                .await
                .unwrap_or_else(|e| panic!("casbin: {e}"));
            for line in policy.lines().filter(|l| !l.trim().is_empty()) {
                let fields: Vec<String> = line.split(',').map(|f| f.trim().to_string()).collect();
                let (kind, rest) = fields.split_first().expect("line");
                let added = match kind.as_str() {
                    "p" => e.add_policy(rest.to_vec()).await,
                    "g" => e.add_grouping_policy(rest.to_vec()).await,
                    other => panic!("casbin: unknown line kind {other}"),
                };
                added.unwrap_or_else(|err| panic!("casbin: {err}"));
            }
            e
        });
        CasbinEngine { enforcer }
    }

    fn allows(&self, c: &Cell) -> bool {
        let subject = format!("{}.{}", c.scope, c.role);
        self.enforcer
            .enforce((subject.as_str(), c.scope.as_str(), c.action.as_str()))
            .unwrap_or(false)
    }
}

// ------------------------------------------------------------------ encodings

/// Writes the three encodings from the rolecall policy's rules and role parents.
fn write_encodings(table: &DecisionTable, dir: &Path) {
    let policy = table.policy();
    let mut cedar = String::from(
        "// Livestorm roles and permissions in Cedar, generated from policies/livestorm.policy.\n\
         // Roles are entities; a role is `in` the roles it inherits (see livestorm.cedar.entities.json),\n\
         // so `principal in SessionRole::\"speaker\"` holds for speakers, moderators and organizers.\n\
         // One permit per action and the lowest role granted it.\n",
    );
    let mut entities = Vec::new();
    let mut grants = serde_json::Map::new();
    let mut inherits = serde_json::Map::new();
    let mut casbin = String::new();
    for (s, (scope_name, scope)) in policy.scopes.iter().enumerate() {
        cedar.push_str(&format!("\n// scope {scope_name}\n"));
        let mut scope_grants = serde_json::Map::new();
        let mut scope_inherits = serde_json::Map::new();
        for (role_name, role) in &scope.roles {
            let parents: Vec<String> = role
                .parents
                .iter()
                .map(|&p| scope.roles.get_index(p).expect("parent").0.clone())
                .collect();
            entities.push(serde_json::json!({
                "uid": {"type": role_type(scope_name), "id": role_name},
                "attrs": {},
                "parents": parents.iter().map(|p| serde_json::json!({"type": role_type(scope_name), "id": p})).collect::<Vec<_>>(),
            }));
            for p in &parents {
                casbin.push_str(&format!("g, {scope_name}.{role_name}, {scope_name}.{p}\n"));
            }
            scope_inherits.insert(role_name.clone(), serde_json::json!(parents));
            scope_grants.insert(role_name.clone(), serde_json::json!([]));
        }
        for rule in policy.rules.iter().filter(|r| r.scope == s) {
            assert!(
                rule.effect == rolecall::Effect::Allow && rule.condition.is_none(),
                "the encodings cover unconditional allow rules (Livestorm has no other)"
            );
            for &a in &rule.actions {
                let action = scope.actions.get_index(a).expect("action").0;
                for &r in &rule.roles {
                    let role = scope.roles.get_index(r).expect("role").0;
                    cedar.push_str(&format!(
                        "permit (principal in {}::\"{role}\", action == Action::\"{scope_name}:{action}\", resource is {});\n",
                        role_type(scope_name),
                        resource_type(scope_name)
                    ));
                    casbin.push_str(&format!("p, {scope_name}.{role}, {scope_name}, {action}\n"));
                    if let Some(serde_json::Value::Array(list)) = scope_grants.get_mut(role) {
                        list.push(serde_json::json!(action));
                    }
                }
            }
        }
        grants.insert(scope_name.clone(), serde_json::Value::Object(scope_grants));
        inherits.insert(
            scope_name.clone(),
            serde_json::Value::Object(scope_inherits),
        );
    }
    let rego = "# Livestorm roles and permissions in Rego, generated from policies/livestorm.policy.\n\
                # data.inherits: per scope, each role's direct parents; data.grants: per scope, the\n\
                # actions granted to each role directly. A role holds what it and its ancestors hold.\n\
                package livestorm\n\n\
                default allow := false\n\n\
                allow if {\n\
                \x20   some role in graph.reachable(data.inherits[input.scope], {input.role})\n\
                \x20   input.action in data.grants[input.scope][role]\n\
                }\n";
    let conf = "# Livestorm roles and permissions in Casbin: RBAC with role inheritance.\n\
                # Subjects are scope.role; g lines say a role inherits another.\n\
                [request_definition]\nr = sub, obj, act\n\n\
                [policy_definition]\np = sub, obj, act\n\n\
                [role_definition]\ng = _, _\n\n\
                [policy_effect]\ne = some(where (p.eft == allow))\n\n\
                [matchers]\nm = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act\n";
    std::fs::create_dir_all(dir).expect("policies dir");
    let data = serde_json::json!({"grants": grants, "inherits": inherits});
    let files = [
        ("livestorm.cedar", cedar),
        (
            "livestorm.cedar.entities.json",
            serde_json::to_string_pretty(&entities).expect("json") + "\n",
        ),
        ("livestorm.rego", rego.to_string()),
        (
            "livestorm.rego.data.json",
            serde_json::to_string_pretty(&data).expect("json") + "\n",
        ),
        ("livestorm.casbin.conf", conf.to_string()),
        ("livestorm.casbin.csv", casbin),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
