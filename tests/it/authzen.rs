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
