//! The library as a service uses it: errors that `?` carries.

use rolecall::CompileError;

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
