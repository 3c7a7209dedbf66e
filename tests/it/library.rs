//! The library as a service uses it: errors that `?` carries.

use std::error::Error;

use rolecall::{CompileError, Effect, EvalError, Request};

fn compile_in_a_service(text: &str) -> miette::Result<rolecall::DecisionTable> {
    Ok(rolecall::compile_str("tenant.policy", text)?)
}

fn compile_boxed(text: &str) -> Result<rolecall::DecisionTable, Box<dyn std::error::Error>> {
    Ok(rolecall::compile_str("tenant.policy", text)?)
}

#[test]
fn compile_errors_carry_every_diagnostic_through_question_mark() {
    let text = "scope s {\n role r\n role r\n allow q to a\n}\n";
    let report = compile_in_a_service(text).unwrap_err();
    let related: Vec<String> = report.related().unwrap().map(|d| d.to_string()).collect();
    assert_eq!(
        related,
        [
            "role `r` is declared twice",
            "unknown role `q` in scope `s`",
            "unknown action `a` in scope `s`"
        ]
    );
    assert_eq!(
        report.code().unwrap().to_string(),
        "rolecall::invalid_policy"
    );

    let boxed = compile_boxed(text).unwrap_err();
    assert_eq!(
        boxed.to_string(),
        "tenant.policy: 3 errors: role `r` is declared twice"
    );
    let error: &CompileError = boxed.downcast_ref().unwrap();
    assert_eq!(error.error_count(), 3);
    assert_eq!(
        error.diagnostics()[1].code,
        "rolecall::resolve::unknown_role"
    );
}

/// The suggestion is typed: callers decide on the variant, and the help text
/// is rendered from it in one place (issue 16).
#[test]
fn suggestion_is_typed_and_rendered_in_one_place() {
    use rolecall::resolve::{Suggestion, suggest, suggestion};
    let names = ["view_report", "edit_report", "delete_user"];
    let close = suggestion("view_reprot", &names);
    assert_eq!(close, Suggestion::Closest("view_report".to_string()));
    assert!(close.is_match());
    assert_eq!(
        close.render("action", "the policy"),
        "did you mean `view_report`?"
    );
    let sharing = suggestion("report_thing", &names);
    assert!(matches!(&sharing, Suggestion::Sharing { names, more: false } if names.len() == 2));
    assert!(sharing.is_match());
    let known = suggestion("zzzzzzzz", &names);
    assert!(!known.is_match());
    assert_eq!(
        known.render_as("action", "the loaded policies", "declare"),
        "the loaded policies declare: `view_report`, `edit_report`, `delete_user`"
    );
    assert_eq!(suggestion("x", &[]), Suggestion::NoneDeclared);
    assert_eq!(
        suggest("x", &[], "fact", "the policy"),
        "the policy declares no fact"
    );
    assert_eq!(
        suggest("zzzzzzzz", &names, "action", "the policy"),
        known.render("action", "the policy")
    );
}

const TENANT: &str = "scope s {\n role r\n action a\n allow r to a\n}\n";

/// A service's decision: compiling and evaluating, every error carried by `?`.
fn decide_boxed(policy: &str, request: &str) -> Result<Effect, Box<dyn Error>> {
    let table = rolecall::compile_str("tenant.policy", policy)?;
    let request = Request::from_json(request)?;
    Ok(table.evaluate(&request)?.decision)
}

/// The same through miette.
fn decide_in_a_service(policy: &str, request: &str) -> miette::Result<Effect> {
    let table = rolecall::compile_str("tenant.policy", policy)?;
    let request = Request::from_json(request)?;
    Ok(table.evaluate(&request)?.decision)
}

/// `invalid JSON: …` keeps the `serde_json::Error` as its source (issue 16,
/// item 3): a service can read its line, column and category.
#[test]
fn a_json_error_keeps_the_serde_json_error_as_its_source() {
    let error = Request::from_json(r#"{"principal": "#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid JSON: EOF while parsing a value at line 1 column 14"
    );
    let source = error.source().expect("a source");
    let json: &serde_json::Error = source.downcast_ref().expect("a serde_json::Error");
    assert_eq!((json.line(), json.column(), json.is_eof()), (1, 14, true));
    assert!(json.source().is_none());
    let EvalError::Json(kept) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(kept.classify(), serde_json::error::Category::Eof);
    // Still `Clone` and `Eq`, which `CaseResult` and `Decided` rely on.
    assert_eq!(error.clone(), error);
    assert_ne!(error, Request::from_json("nope").unwrap_err());
    assert_eq!(error.code(), "rolecall::eval::json");
}

#[test]
fn compile_and_evaluate_errors_pass_through_question_mark_into_a_boxed_error() {
    let ok = r#"{"principal": {"s": "r"}, "action": "s:a"}"#;
    assert_eq!(decide_boxed(TENANT, ok).unwrap(), Effect::Allow);

    let compile = decide_boxed("scope s {\n role r : q\n}\n", ok).unwrap_err();
    let compile: &CompileError = compile.downcast_ref().expect("a CompileError");
    assert_eq!(
        compile.diagnostics()[0].code,
        "rolecall::resolve::unknown_role"
    );

    let json = decide_boxed(TENANT, "not json").unwrap_err();
    assert_eq!(
        json.to_string(),
        "invalid JSON: expected ident at line 1 column 2"
    );
    assert!(matches!(json.downcast_ref(), Some(EvalError::Json(_))));
    assert!(json.source().is_some_and(|s| s.is::<serde_json::Error>()));

    let unknown =
        decide_boxed(TENANT, r#"{"principal": {"s": "q"}, "action": "s:a"}"#).unwrap_err();
    assert_eq!(
        unknown.downcast_ref::<EvalError>(),
        Some(&EvalError::UnknownRole {
            scope: "s".to_string(),
            role: "q".to_string(),
            help: "did you mean `r`?".to_string(),
        })
    );
    assert!(unknown.source().is_none());
}

#[test]
fn compile_and_evaluate_errors_pass_through_question_mark_into_a_miette_report() {
    let ok = r#"{"principal": {"s": "r"}, "action": "s:a"}"#;
    assert_eq!(decide_in_a_service(TENANT, ok).unwrap(), Effect::Allow);

    let compile = decide_in_a_service("scope s {\n role r : q\n}\n", ok).unwrap_err();
    assert_eq!(
        compile.code().unwrap().to_string(),
        "rolecall::invalid_policy"
    );

    let json = decide_in_a_service(TENANT, "not json").unwrap_err();
    assert_eq!(json.code().unwrap().to_string(), "rolecall::eval::json");
    let chain: Vec<String> = json.chain().map(ToString::to_string).collect();
    assert_eq!(
        chain,
        [
            "invalid JSON: expected ident at line 1 column 2",
            "expected ident at line 1 column 2"
        ]
    );
    assert!(json.downcast_ref::<EvalError>().is_some());

    let shape = decide_in_a_service(TENANT, "[]").unwrap_err();
    assert_eq!(shape.code().unwrap().to_string(), "rolecall::eval::shape");
    assert_eq!(
        shape.to_string(),
        "invalid request: a request is a JSON object"
    );
    let unknown = decide_in_a_service(TENANT, r#"{"principal": {}, "action": "s:b"}"#).unwrap_err();
    assert_eq!(
        unknown.code().unwrap().to_string(),
        "rolecall::eval::unknown_action"
    );
}
