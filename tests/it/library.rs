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
