//! The AuthZEN binding without HTTP: reading requests, the principals file
//! and its diagnostics, derived facts.

use rolecall::authzen::{Pdp, Principals, Semantic, parse_evaluation, parse_evaluations};
use serde_json::{Value, json};

use crate::support::{render_all, table};

const TODO: &str = r#"
fact is_owner
kind staff
kind guest
scope todo {
    role viewer
    role editor : viewer
    action read
    action update
    allow viewer to read
    allow editor to update when is_owner
    assignable guest: viewer
}
"#;

fn pdp(principals: &str) -> Pdp {
    let principals = Principals::parse("people.json", principals)
        .unwrap_or_else(|e| panic!("{}", render_all(&e)));
    Pdp::new(table(TODO), &principals).unwrap_or_else(|e| panic!("{}", render_all(&e)))
}

fn errors(principals: &str) -> String {
    let diagnostics = match Principals::parse("people.json", principals) {
        Err(e) => e,
        Ok(p) => match Pdp::new(table(TODO), &p) {
            Err(e) => e,
            Ok(_) => panic!("expected errors"),
        },
    };
    render_all(&diagnostics)
}

fn decide(pdp: &Pdp, request: Value) -> (bool, String) {
    let e = parse_evaluation(&request).unwrap_or_else(|e| panic!("{e}"));
    let d = pdp.decide(&e, rolecall::authzen::Details::Full);
    (
        d.decision,
        d.error
            .map(|e| e.to_string())
            .or(d.reason)
            .unwrap_or_default(),
    )
}

#[test]
fn derived_facts_compare_two_attributes_of_the_request() {
    let pdp = pdp(r#"{
        "facts": {"is_owner": {"any": [
            {"equal": ["resource.properties.owner", "subject.id"]},
            {"all": [{"is_true": "context.delegated"},
                     {"not": {"equal": ["subject.properties.team", {"value": "outsiders"}]}}]}
        ]}},
        "subjects": {"ada": {"roles": {"todo": "editor"}, "kind": "staff"}}
    }"#);
    let ask = |resource: Value, context: Value, properties: Value| {
        decide(
            &pdp,
            json!({"subject": {"type": "user", "id": "ada", "properties": properties},
                   "action": {"name": "update"}, "resource": resource, "context": context}),
        )
        .0
    };
    let owned = json!({"type": "todo", "id": "1", "properties": {"owner": "ada"}});
    let other = json!({"type": "todo", "id": "1", "properties": {"owner": "bob"}});
    let unowned = json!({"type": "todo", "id": "1"});
    assert!(ask(owned, json!({}), json!({})));
    assert!(!ask(other.clone(), json!({}), json!({})));
    assert!(!ask(unowned, json!({}), json!({})));
    assert!(ask(other.clone(), json!({"delegated": true}), json!({})));
    assert!(!ask(other.clone(), json!({"delegated": "true"}), json!({})));
    assert!(!ask(
        other,
        json!({"delegated": true}),
        json!({"team": "outsiders"})
    ));
}

#[test]
fn the_principals_file_entry_wins_over_the_request_and_kinds_are_checked() {
    let mut pdp = pdp(r#"{"subjects": {
        "ada": {"roles": {"todo": ["viewer"]}},
        "gus": {"kind": "guest", "aliases": ["g-1"], "type": "user"}
    }}"#);
    // Claims of unlisted subjects count only when trusted (`--trust-claimed-roles`).
    pdp.trust_claimed_roles = true;
    let ask = |id: &str, properties: Value| {
        decide(
            &pdp,
            json!({"subject": {"type": "user", "id": id, "properties": properties},
                   "action": {"name": "read"}, "resource": {"type": "todo", "id": "1"}}),
        )
    };
    // Listed: the file's roles, whatever the request says.
    assert!(ask("ada", json!({"roles": []})).0);
    // gus is listed with no role, so roles in the request are ignored.
    assert!(!ask("g-1", json!({"roles": ["viewer"]})).0);
    // Unlisted: the request's roles, checked against the kind it gives.
    assert!(ask("zoe", json!({"roles": ["viewer"], "kind": "guest"})).0);
    let (decision, error) = ask("zoe", json!({"roles": ["editor"], "kind": "guest"}));
    assert!(!decision);
    assert!(
        error.contains("a guest cannot be assigned role `editor`"),
        "{error}"
    );
    let (_, error) = ask("zoe", json!({"roles": 3}));
    assert!(
        error.contains("`subject.properties.roles` must be"),
        "{error}"
    );
}

#[test]
fn claims_of_unlisted_subjects_are_ignored_unless_trusted() {
    let mut pdp = pdp(r#"{"subjects": {"ada": {"type": "user", "roles": {"todo": ["viewer"]}}}}"#);
    assert!(!pdp.trust_claimed_roles, "trust must be opt-in");
    let ask = |pdp: &Pdp, id: &str, subject_type: &str| {
        decide(
            pdp,
            json!({"subject": {"type": subject_type, "id": id, "properties": {"roles": ["viewer"]}},
                   "action": {"name": "read"}, "resource": {"type": "todo", "id": "1"}}),
        )
        .0
    };
    // Identity is exact: another id, another case, another type are other subjects.
    for (id, subject_type) in [("zoe", "user"), ("Ada", "user"), ("ada", "robot")] {
        assert!(!ask(&pdp, id, subject_type), "{id} {subject_type}");
    }
    pdp.trust_claimed_roles = true;
    for (id, subject_type) in [("zoe", "user"), ("Ada", "user"), ("ada", "robot")] {
        assert!(ask(&pdp, id, subject_type), "{id} {subject_type}");
    }
}

#[test]
fn batches_take_top_level_defaults_and_semantics() {
    let body = json!({
        "subject": {"type": "user", "id": "ada"},
        "action": {"name": "read"},
        "options": {"evaluations_semantic": "permit_on_first_permit", "other": 1},
        "evaluations": [
            {"resource": {"type": "todo", "id": "1"}},
            {"resource": {"type": "todo", "id": "2"}, "action": {"name": "update"},
             "context": {"x": 1}}
        ]
    });
    let batch = parse_evaluations(&body).unwrap();
    assert_eq!(batch.semantic, Semantic::PermitOnFirstPermit);
    assert!(!batch.single);
    let names: Vec<_> = batch
        .evaluations
        .iter()
        .map(|e| {
            let e = e.as_ref().unwrap();
            (e.action_name, e.resource_id, e.context.is_some())
        })
        .collect();
    assert_eq!(names, [("read", "1", false), ("update", "2", true)]);
    let body = json!({"subject": {"type": "u", "id": "a"},
        "action": {"name": "read"}, "resource": {"type": "todo", "id": "1"}, "evaluations": []});
    let single = parse_evaluations(&body).unwrap();
    assert!(single.single);
    assert_eq!(single.evaluations.len(), 1);
    // An item's own fault is that item's error; the others are read.
    let body = json!({
        "action": {"name": "read"}, "resource": {"type": "todo", "id": "1"},
        "evaluations": [{"subject": {"type": "u", "id": "a"}}, {}, 7,
                        {"subject": {"type": "u"}}, {"subject": {"type": "u", "id": "b"}}]});
    let batch = parse_evaluations(&body).unwrap();
    let errors: Vec<String> = batch
        .evaluations
        .iter()
        .map(|e| {
            e.as_ref()
                .map_or_else(ToString::to_string, |e| e.subject_id.to_string())
        })
        .collect();
    assert_eq!(
        errors,
        [
            "a",
            "`evaluations[1].subject` is required: give it in the evaluation or as a top-level default",
            "`evaluations[2]` must be an object, found a number",
            "`evaluations[3].subject.id` is required (a string)",
            "b",
        ]
    );
    // The payload's own faults are still the whole request's.
    let error = parse_evaluations(&json!({"action": 1, "evaluations": [{}]})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`action` must be an object, found a number"
    );
}

#[test]
fn principals_file_errors_point_into_the_file() {
    insta::assert_snapshot!(errors(
        r#"{
  "resource_types": {"task": "tasks"},
  "facts": {"is_ownr": {"equal": ["resource.owner", "subject.id"]}},
  "subjects": {
    "ada": {"roles": {"todo": ["editr"]}, "kind": "guest"},
    "bob": {"roles": {"todo": "editor"}, "kind": "guest", "aliases": ["ada"]}
  }
}"#
    ));
    insta::assert_snapshot!(errors(
        r#"{
  "facts": {"is_owner": {"equals": ["resource.owner", "subject.id"]},
            "x": {"equal": ["owner", "subject."]}},
  "subjects": {"ada": {"role": {"todo": "editor"}}},
  "extra": 1
}"#
    ));
    insta::assert_snapshot!(errors(
        "{\n  \"subjects\": {\n    \"ada\": {\"roles\": }\n  }\n}"
    ));
}

#[test]
fn the_principals_file_of_the_docs_and_of_the_todo_example_load() {
    let doc = std::fs::read_to_string(crate::support::root().join("docs/authzen.md")).unwrap();
    let example = doc
        .split("```json\n")
        .filter_map(|block| block.split("\n```").next())
        .find(|block| block.contains("\"resource_types\""))
        .expect("the principals file example");
    Principals::parse("docs/authzen.md", example).unwrap_or_else(|e| panic!("{}", render_all(&e)));
    let root = crate::support::root().join("policies/examples");
    let table = rolecall::compile_file(&root.join("authzen_todo.policy")).unwrap();
    let text = std::fs::read_to_string(root.join("authzen_todo.principals.json")).unwrap();
    let principals = Principals::parse("authzen_todo.principals.json", &text).unwrap();
    let pdp = Pdp::new(table, &principals).unwrap_or_else(|e| panic!("{}", render_all(&e)));
    assert_eq!(pdp.binding.subject_count(), 5);
}

#[test]
fn listed_resources_are_checked_and_lend_their_properties_to_requests_that_send_none() {
    let shape = errors(
        r#"{"resources": {"todo": {"1": {"properties": []}, "2": {"owner": "ada"}, "3": 7},
                          "task": []}}"#,
    );
    for message in [
        "resource `1`: `properties` must be an object, found an array",
        "resource `2`: unknown field `owner`",
        "resource `3` must be an object, found a number",
        "`resources.task` must be an object keyed by resource id, found an array",
    ] {
        assert!(shape.contains(message), "{message}:\n{shape}");
    }
    let unknown = errors(r#"{"resources": {"tood": {"1": {}}}}"#);
    assert!(
        unknown.contains("resources of type `tood`, which names no scope"),
        "{unknown}"
    );
    assert!(unknown.contains("declares: `todo`"), "{unknown}");
    assert!(
        unknown.contains("rolecall::principals::unknown_resource_type"),
        "{unknown}"
    );

    let pdp = pdp(r#"{
        "facts": {"is_owner": {"equal": ["resource.properties.owner", "subject.id"]}},
        "subjects": {"ada": {"roles": {"todo": "editor"}}},
        "resources": {"todo": {"1": {"properties": {"owner": "ada"}}, "2": {}}}
    }"#);
    let update = |resource: Value| {
        decide(
            &pdp,
            json!({"subject": {"type": "user", "id": "ada"}, "action": {"name": "update"},
                   "resource": resource}),
        )
        .0
    };
    // The file's properties when the request sends none; the request's when it sends some.
    assert!(update(json!({"type": "todo", "id": "1"})));
    assert!(update(
        json!({"type": "todo", "id": "1", "properties": null})
    ));
    assert!(!update(
        json!({"type": "todo", "id": "1", "properties": {}})
    ));
    assert!(!update(json!({"type": "todo", "id": "2"})));
    assert!(update(
        json!({"type": "todo", "id": "2", "properties": {"owner": "ada"}})
    ));
    assert!(!update(json!({"type": "todo", "id": "3"})));
}

/// A policy where a search's candidates differ in every way the decision
/// reads: roles and kinds (with an assignable line that a context fact
/// picks, so some classes are errors), derived facts on the entry, the id
/// and the resource, a context fact, a setting and a scope default.
const SEARCHED: &str = r#"
fact is_owner
fact same_team
fact vip
fact flagged
fact urgent
kind staff
kind guest
setting mode {
    value open
    value closed
    default closed
}
scope doc {
    role reader
    role writer : reader
    role keeper : writer
    action read
    action write
    action delete
    action share
    allow reader to read when same_team or mode is open
    allow writer to write when is_owner or same_team
    deny writer to write when flagged
    allow keeper to delete
    allow reader to share when urgent and vip
    allow keeper to share when is_owner
    default reader when mode is open
    assignable guest: reader when urgent
    assignable guest: reader, writer
}
"#;

/// SplitMix64: the same sequence everywhere.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        usize::try_from((z ^ (z >> 31)) % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn searched_pdp() -> Pdp {
    let mut rng = Seeded(20);
    let mut subjects = serde_json::Map::new();
    for i in 0..300 {
        let mut entry = serde_json::Map::new();
        let roles: Vec<&str> = ["reader", "writer", "keeper"]
            .into_iter()
            .filter(|_| rng.below(3) == 0)
            .collect();
        entry.insert("roles".into(), json!({ "doc": roles }));
        let ty = rng.pick(&["user", "user", "robot", ""]);
        if !ty.is_empty() {
            entry.insert("type".into(), json!(ty));
        }
        // A guest may hold `writer` only where `urgent` is false: only
        // robots are, so the robots' searches with `urgent` are errors.
        let guest = !roles.contains(&"keeper") && (ty == "robot" || !roles.contains(&"writer"));
        match rng.below(3) {
            0 => {}
            1 => {
                entry.insert("kind".into(), json!("staff"));
            }
            _ if guest => {
                entry.insert("kind".into(), json!("guest"));
            }
            _ => {}
        }
        if let team @ ("red" | "blue") = rng.pick(&["red", "blue", ""]) {
            entry.insert("properties".into(), json!({ "team": team }));
        }
        subjects.insert(format!("s{i}"), Value::Object(entry));
    }
    let mut docs = serde_json::Map::new();
    for i in 0..60 {
        let mut properties = serde_json::Map::new();
        if rng.below(4) != 0 {
            properties.insert("owner".into(), json!(format!("s{}", rng.below(300))));
        }
        if let team @ ("red" | "blue") = rng.pick(&["red", "blue", ""]) {
            properties.insert("team".into(), json!(team));
        }
        if rng.below(5) == 0 {
            properties.insert("flag".into(), json!(true));
        }
        docs.insert(format!("d{i}"), json!({ "properties": properties }));
    }
    let principals = json!({
        "facts": {
            "is_owner": {"any": [
                {"equal": ["resource.properties.owner", "principal.id"]},
                {"equal": ["resource.properties.delegate", "subject.id"]}
            ]},
            "same_team": {"equal": ["resource.properties.team", "principal.properties.team"]},
            "vip": {"is_true": "subject.properties.vip"},
            "flagged": {"is_true": "resource.properties.flag"}
        },
        "subjects": subjects,
        "resources": {"doc": docs},
    });
    let principals = Principals::parse("people.json", &principals.to_string())
        .unwrap_or_else(|e| panic!("{}", render_all(&e)));
    Pdp::new(table(SEARCHED), &principals).unwrap_or_else(|e| panic!("{}", render_all(&e)))
}

/// What each candidate's own evaluation answers: the ids allowed in order,
/// or the first error (the request's own, then the candidates' in order).
fn one_by_one(pdp: &Pdp, requests: &[(&str, Value)]) -> Result<Vec<String>, String> {
    let mut allowed = Vec::new();
    for (id, request) in requests {
        let e = parse_evaluation(request).unwrap_or_else(|e| panic!("{e}"));
        let d = pdp.decide(&e, rolecall::authzen::Details::Decision);
        if let Some(error) = d.error {
            return Err(error.to_string());
        }
        if d.decision && !id.is_empty() {
            allowed.push(id.to_string());
        }
    }
    Ok(allowed)
}

#[test]
fn subject_and_resource_searches_answer_what_each_candidates_own_evaluation_does() {
    use rolecall::authzen::{Window, parse_resource_search, parse_subject_search};
    let pdp = searched_pdp();
    let contexts = [
        json!({}),
        json!({"urgent": true}),
        json!({"mode": "open"}),
        json!({"urgent": true, "mode": "open"}),
        json!({"urgent": "yes"}),
    ];
    let actions = ["read", "write", "delete", "share", "fly"];
    let mut searches = 0;
    let mut found = 0;
    let mut failed = 0;
    let mut errors_seen = std::collections::BTreeSet::new();
    for action in actions {
        for context in &contexts {
            // Subject search: over listed and unlisted resources, with and
            // without properties sent, for two subject types.
            let resources = [
                json!({"type": "doc", "id": "d3"}),
                json!({"type": "doc", "id": "d7"}),
                json!({"type": "doc", "id": "d11", "properties": {"team": "red", "delegate": "s5"}}),
                json!({"type": "doc", "id": "nowhere"}),
            ];
            for resource in &resources {
                for (ty, properties) in [("user", json!({})), ("robot", json!({"vip": true}))] {
                    let body = json!({"subject": {"type": ty, "properties": properties},
                        "action": {"name": action}, "resource": resource, "context": context});
                    let q = parse_subject_search(&body).unwrap();
                    let mut requests = vec![(
                        "",
                        json!({"subject": {"type": ty, "id": "", "properties": properties},
                        "action": {"name": action}, "resource": resource, "context": context}),
                    )];
                    for id in pdp.binding.subjects_of_type(ty) {
                        requests.push((
                            id,
                            json!({"subject": {"type": ty, "id": id, "properties": properties},
                            "action": {"name": action}, "resource": resource, "context": context}),
                        ));
                    }
                    let want = one_by_one(&pdp, &requests);
                    let got = pdp
                        .search_subjects(&q)
                        .map(|ids| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                        .map_err(|e| e.to_string());
                    assert_eq!(got, want, "{body}");
                    if let Ok(all) = &want {
                        found += all.len();
                        for (offset, limit) in
                            [(0, Some(5)), (5, Some(5)), (3, None), (10_000, Some(1))]
                        {
                            let page = pdp
                                .search_subjects_page(&q, Window { offset, limit })
                                .unwrap();
                            let end = limit.map_or(all.len(), |l| (offset + l).min(all.len()));
                            let slice: Vec<String> = all
                                .get(offset.min(all.len())..end.max(offset.min(all.len())))
                                .unwrap_or_default()
                                .to_vec();
                            assert_eq!(
                                (
                                    page.results
                                        .iter()
                                        .map(|s| s.to_string())
                                        .collect::<Vec<_>>(),
                                    page.total
                                ),
                                (slice, all.len()),
                                "{body} at {offset}"
                            );
                        }
                    } else {
                        failed += 1;
                        errors_seen.insert(
                            want.clone()
                                .unwrap_err()
                                .split(' ')
                                .take(3)
                                .collect::<Vec<_>>()
                                .join(" "),
                        );
                    }
                    searches += 1;
                }
            }
            // Resource search: every listed doc, for listed and unlisted subjects.
            for (ty, id) in [
                ("user", "s1"),
                ("user", "s2"),
                ("robot", "s4"),
                ("user", "nobody"),
            ] {
                let body = json!({"subject": {"type": ty, "id": id}, "action": {"name": action},
                    "resource": {"type": "doc"}, "context": context});
                let q = parse_resource_search(&body).unwrap();
                let mut requests = vec![(
                    "",
                    json!({"subject": {"type": ty, "id": id}, "action": {"name": action},
                    "resource": {"type": "doc", "id": ""}, "context": context}),
                )];
                for (doc, object) in pdp.binding.resources_of_type("doc") {
                    requests.push((
                        doc,
                        json!({"subject": {"type": ty, "id": id}, "action": {"name": action},
                        "resource": object, "context": context}),
                    ));
                }
                let want = one_by_one(&pdp, &requests);
                let got = pdp
                    .search_resources(&q)
                    .map(|ids| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                    .map_err(|e| e.to_string());
                assert_eq!(got, want, "{body}");
                if let Ok(all) = &want {
                    found += all.len();
                    let page = pdp
                        .search_resources_page(
                            &q,
                            Window {
                                offset: 2,
                                limit: Some(3),
                            },
                        )
                        .unwrap();
                    let slice: Vec<String> = all.iter().skip(2).take(3).cloned().collect();
                    assert_eq!(
                        (
                            page.results
                                .iter()
                                .map(|s| s.to_string())
                                .collect::<Vec<_>>(),
                            page.total
                        ),
                        (slice, all.len()),
                        "{body}"
                    );
                } else {
                    failed += 1;
                }
                searches += 1;
            }
        }
    }
    // The searches were not trivial: many results, and errors of every kind
    // (an unknown action, a fact of the wrong type, a guest's writer role
    // when `urgent` picks the narrower assignable line).
    assert_eq!(searches, 5 * 5 * (4 * 2 + 4));
    assert!(found > 3_000, "{found}");
    let seen: Vec<&str> = errors_seen.iter().map(String::as_str).collect();
    assert_eq!(
        seen,
        [
            "`context.urgent` is the",
            "a guest cannot",
            "unknown action `fly`"
        ]
    );
    assert!(failed < searches / 2, "{failed} of {searches}");
}

/// A file listing `n` subjects (or resources of one type), each the
/// smallest entry there is.
fn listing(key: &str, n: usize) -> String {
    let entries: Vec<String> = (0..n).map(|i| format!("\"s{i}\": {{}}")).collect();
    match key {
        "subjects" => format!("{{\"subjects\": {{{}}}}}", entries.join(",")),
        _ => format!(
            "{{\"resource_types\": {{\"todo\": \"todo\"}}, \"resources\": {{\"todo\": {{{}}}}}}}",
            entries.join(",")
        ),
    }
}

#[test]
fn the_principals_file_lists_at_most_a_million_subjects_and_a_million_resources() {
    use rolecall::authzen::principals::{MAX_RESOURCES, MAX_SUBJECTS};
    assert_eq!((MAX_SUBJECTS, MAX_RESOURCES), (1_000_000, 1_000_000));
    for (key, max) in [("subjects", MAX_SUBJECTS), ("resources", MAX_RESOURCES)] {
        // At the limit the file loads, with every entry.
        let at = Principals::parse("people.json", &listing(key, max))
            .unwrap_or_else(|e| panic!("{}", render_all(&e)));
        let pdp = Pdp::new(table(TODO), &at).unwrap_or_else(|e| panic!("{}", render_all(&e)));
        match key {
            "subjects" => assert_eq!(pdp.binding.subject_count(), max),
            _ => assert_eq!(pdp.binding.resources_of_type("todo").count(), max),
        }
        drop((pdp, at));
        // One more is refused, and the error names the limit.
        let Err(past) = Principals::parse("people.json", &listing(key, max + 1)) else {
            panic!("{} {key} are refused", max + 1);
        };
        assert_eq!(past.len(), 1, "{}", render_all(&past));
        assert_eq!(past[0].code, "rolecall::principals::shape");
        assert_eq!(
            past[0].message,
            format!("`{key}` lists more than the limit of 1000000 {key}")
        );
        // Pointed at the key of the one past the limit: reading stopped there.
        let (at, _) = &past[0].labels[0];
        let text = listing(key, max + 1);
        assert!(
            text[..at.start].ends_with(&format!("\"s{max}")),
            "{}",
            &text[at.start.saturating_sub(30)..at.start]
        );
    }
    // The resources of every type count together.
    let two_types = format!(
        "{{\"resources\": {{\"todo\": {{{}}}, \"list\": {{\"l\": {{}}}}}}}}",
        (0..MAX_RESOURCES)
            .map(|i| format!("\"s{i}\": {{}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let Err(past) = Principals::parse("people.json", &two_types) else {
        panic!("{MAX_RESOURCES} + 1 resources over two types are refused");
    };
    assert_eq!(
        past[0].message,
        "`resources` lists more than the limit of 1000000 resources"
    );
}
