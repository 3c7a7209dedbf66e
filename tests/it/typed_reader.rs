//! The typed reader of a single Access Evaluation (`authzen::typed`) reads
//! a body it takes exactly as the general reader does, and leaves every
//! other body to it.

use rolecall::authzen::typed::read_evaluation;
use rolecall::authzen::{Details, Pdp, Principals, parse_evaluation};
use serde_json::{Value, json};

use crate::support::{render_all, root, table};

fn example_pdp(name: &str) -> Pdp {
    let dir = root().join("policies/examples");
    let policy = std::fs::read_to_string(dir.join(format!("{name}.policy"))).unwrap();
    let file = dir.join(format!("{name}.principals.json"));
    let principals = Principals::parse(
        &file.display().to_string(),
        &std::fs::read_to_string(&file).unwrap(),
    )
    .unwrap_or_else(|e| panic!("{}", render_all(&e)));
    Pdp::new(table(&policy), &principals).unwrap_or_else(|e| panic!("{}", render_all(&e)))
}

/// Whether the typed reader took `body`; when it did, the evaluation and
/// its decision (reason, rule and roles included) are the general reader's.
fn same_as_general(pdp: &Pdp, body: &str) -> bool {
    let Some(typed) = read_evaluation(body.as_bytes()) else {
        return false;
    };
    let value = rolecall::json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
    let general = parse_evaluation(&value).unwrap_or_else(|e| panic!("{body}: {e}"));
    let t = typed.evaluation();
    assert_eq!(
        (t.subject_type, t.subject_id, t.action_name),
        (
            general.subject_type,
            general.subject_id,
            general.action_name
        ),
        "{body}"
    );
    assert_eq!(
        (t.resource_type, t.resource_id, t.context),
        (general.resource_type, general.resource_id, general.context),
        "{body}"
    );
    assert_eq!(
        pdp.decide(&t, Details::Full),
        pdp.decide(&general, Details::Full),
        "{body}"
    );
    true
}

fn singles(fixture: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    if let Some(suites) = fixture["suites"].as_object() {
        for body in suites.values() {
            for key in ["decisions", "evaluation"] {
                out.extend(
                    body[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| &c["request"]),
                );
            }
        }
    }
    out.extend(
        fixture["evaluation"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| &c["request"]),
    );
    out
}

#[test]
fn the_interop_suites_bodies_read_alike_and_most_go_the_typed_way() {
    for (name, fixture, at_least) in [
        ("authzen_todo", "decisions.json", 60),
        ("authzen_gateway", "gateway.json", 20),
    ] {
        let pdp = example_pdp(name);
        let text =
            std::fs::read_to_string(root().join("tests/fixtures/authzen").join(fixture)).unwrap();
        let fixture: Value = serde_json::from_str(&text).unwrap();
        let bodies = singles(&fixture);
        let taken = bodies
            .iter()
            .filter(|body| same_as_general(&pdp, &body.to_string()))
            .count();
        assert!(
            taken >= at_least,
            "{name}: the typed reader took {taken} of {} bodies",
            bodies.len()
        );
    }
}

#[test]
fn bodies_of_another_shape_go_to_the_general_reader() {
    let pdp = example_pdp("authzen_todo");
    let base = json!({
        "subject": {"type": "user", "id": "rick@the-citadel.com"},
        "action": {"name": "can_update_todo"},
        "resource": {"type": "todo", "id": "1", "properties": {"ownerID": "rick@the-citadel.com"}},
    });
    assert!(same_as_general(&pdp, &base.to_string()));
    // Taken, and read alike: escapes, key order, properties, a context.
    for body in [
        r#"{"resource": {"id": "1", "type": "todo"}, "action": {"name": "can_read_todos"}, "subject": {"id": "morty@the-citadel.com", "type": "user"}}"#,
        r#"{"subject": {"type": "us\u0065r", "id": "rick@the-citadel.com"}, "action": {"name": "can_update_todo"}, "resource": {"type": "todo", "id": "1", "properties": {"ownerID": "rick@the-citadel.com"}}}"#,
        r#"{"subj\u0065ct": {"type": "user", "id": "rick@the-citadel.com"}, "action": {"name": "can_update_todo"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "rick@the-citadel.com", "properties": {"roles": ["admin"]}}, "action": {"name": "can_delete_todo", "properties": {"x": 1}}, "resource": {"type": "todo", "id": "1"}, "context": {"time": "now"}}"#,
        r#"{"subject": {"type": "user", "id": "nobody"}, "action": {"name": "no_such_action"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "nobody"}, "action": {"name": "can_read_todos"}, "resource": {"type": "no_such_type", "id": "1"}}"#,
    ] {
        assert!(same_as_general(&pdp, body), "not taken: {body}");
    }
    // Left to the general reader, which answers each (a decision or a 400).
    for body in [
        // Another key, anywhere (the fixture's `resource.ownerID` is read by a fact).
        r#"{"subject": {"type": "user", "id": "rick@the-citadel.com"}, "action": {"name": "can_update_todo"}, "resource": {"type": "todo", "id": "1", "ownerID": "rick@the-citadel.com"}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}, "options": {}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a", "id": "b"}, "resource": {"type": "todo", "id": "1"}}"#,
        // A null, a wrong type, a missing field.
        r#"{"subject": {"type": "user", "id": "x", "properties": null}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}, "context": null}"#,
        r#"{"subject": {"type": "user", "id": 7}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1", "properties": []}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}, "context": [1]}"#,
        // A key given twice, at any depth.
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "action": {"name": "b"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "x", "id": "y"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1", "properties": {"o": 1, "o": 2}}}"#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}, "context": {"c": {"d": 1, "d": 2}}}"#,
        // Not an object, not JSON, something after it.
        r#"[]"#,
        r#"{"subject": "#,
        r#"{"subject": {"type": "user", "id": "x"}, "action": {"name": "a"}, "resource": {"type": "todo", "id": "1"}} {}"#,
    ] {
        assert!(read_evaluation(body.as_bytes()).is_none(), "taken: {body}");
    }
}
