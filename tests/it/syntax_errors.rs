//! Issue 16, point 6: the parser reports every syntax error of a file, and
//! each message names what is really missing. Each case asserts the code,
//! the message, the help and the text underlined.

use super::support::errors;

/// (code, message, help, underlined text) of each diagnostic, in order.
fn check(text: &str) -> Vec<(String, String, String, String)> {
    errors(text)
        .into_iter()
        .map(|d| {
            let underlined = d
                .primary()
                .map(|l| l.text().to_string())
                .unwrap_or_default();
            (
                d.code.to_string(),
                d.message,
                d.help.unwrap_or_default(),
                underlined,
            )
        })
        .collect()
}

/// The one diagnostic of `text`.
fn one(text: &str) -> (String, String, String, String) {
    let mut all = check(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

fn in_scope(body: &str) -> String {
    format!(
        "fact x\nfact y\nfact signed_in\nscope s {{\n    role viewer\n    role speaker\n    role moderator\n    action chat\n{body}\n}}\n"
    )
}

fn tuple(
    code: &str,
    message: &str,
    help: &str,
    underlined: &str,
) -> (String, String, String, String) {
    (code.into(), message.into(), help.into(), underlined.into())
}

#[test]
fn an_unclosed_parenthesis_is_reported_at_its_opening() {
    assert_eq!(
        one(&in_scope("    allow viewer to chat when (x and y")),
        tuple(
            "rolecall::syntax::unclosed",
            "unclosed `(`",
            "close the condition with `)`",
            "("
        )
    );
}

#[test]
fn an_unclosed_brace_is_reported_at_its_opening() {
    assert_eq!(
        one("scope s {\n    role viewer\n    action chat\n"),
        tuple(
            "rolecall::syntax::unclosed",
            "unclosed `{`",
            "close the block with `}`",
            "{"
        )
    );
}

#[test]
fn a_missing_operand_names_what_may_stand_there() {
    assert_eq!(
        one(&in_scope("    allow viewer to chat when x or ")),
        tuple(
            "rolecall::syntax::unexpected",
            "expected a fact, `not`, `true`, `false` or `(`, found `}`",
            "see docs/language.md for the syntax of each declaration",
            "}"
        )
    );
}

#[test]
fn misspelt_keywords_are_suggested() {
    let (code, message, help, underlined) = one(&in_scope("    allw viewer to chat"));
    assert_eq!(code, "rolecall::syntax::unexpected");
    assert!(message.ends_with("found `allw`"), "{message}");
    assert_eq!(
        (help.as_str(), underlined.as_str()),
        ("did you mean `allow`?", "allw")
    );

    let (_, message, help, underlined) = one(&in_scope("    allow viewer to chat if signed_in"));
    assert!(
        message.contains("`when`") && message.ends_with("found `if`"),
        "{message}"
    );
    assert_eq!(
        (help.as_str(), underlined.as_str()),
        ("did you mean `when`?", "if")
    );
}

#[test]
fn a_dash_in_a_name() {
    assert_eq!(
        one("scope s {\n    role co-organizer\n}\n"),
        tuple(
            "rolecall::syntax::dash_in_name",
            "names may not contain `-`",
            "names are letters, digits and `_`: try `co_organizer`",
            "co-organizer"
        )
    );
}

#[test]
fn there_is_no_wildcard() {
    assert_eq!(
        one(&in_scope("    allow viewer to *")),
        tuple(
            "rolecall::syntax::wildcard",
            "there is no wildcard",
            "name each role or action (`allow admin to chat, mute`): a table cell is only allowed by a rule that names it",
            "*"
        )
    );
}

#[test]
fn attributes_are_not_read_by_conditions() {
    let (code, message, help, underlined) = one(&in_scope(
        "    allow viewer to chat when r.sub == \"alice\"",
    ));
    assert_eq!(code, "rolecall::syntax::attribute_in_condition");
    assert_eq!(message, "conditions read declared facts, not attributes");
    assert!(help.contains("docs/language.md#412-conditions"), "{help}");
    assert_eq!(underlined, "r.sub == \"alice\"");
}

#[test]
fn a_missing_comma_in_a_list_that_spans_lines() {
    assert_eq!(
        one(&in_scope(
            "    allow viewer, speaker\n        moderator to chat"
        )),
        tuple(
            "rolecall::syntax::unexpected",
            "expected `,`, found `moderator`",
            "the names of a list are separated by commas, also when the list spans several lines",
            "moderator"
        )
    );
}

#[test]
fn a_condition_where_none_is_allowed() {
    assert_eq!(
        one(&in_scope("    limit viewer at most 1 when signed_in")),
        tuple(
            "rolecall::syntax::condition_not_allowed",
            "a `limit` declaration takes no condition",
            "only rules (`allow`/`deny`), overrides (`… joins … as …`), `default` and `assignable` lines take a `when` condition; a limit or advice holds whatever the request; see docs/language.md#412-conditions",
            "when"
        )
    );
}

#[test]
fn every_syntax_error_of_a_file_is_reported() {
    let text = "fact signed_in\nscope s {\n    role viewer\n    role co-organizer\n    action chat\n    \
                allw viewer to chat\n    allow viewer to chat if signed_in\n    allow viewer to *\n    \
                allow viewer to chat when r.sub == \"alice\"\n    allow viewer, speaker\n        moderator to chat\n    \
                limit viewer at most 1 when signed_in\n    allow viewer to chat when (signed_in\n}\nscope t {\n    role\n}\n\
                fact\n";
    let found: Vec<(String, String)> = check(text)
        .into_iter()
        .map(|(code, _, _, underlined)| (code, underlined))
        .collect();
    let expected = [
        ("dash_in_name", "co-organizer"),
        ("unexpected", "allw"),
        ("unexpected", "if"),
        ("wildcard", "*"),
        ("attribute_in_condition", "r.sub == \"alice\""),
        ("unexpected", "moderator"),
        ("condition_not_allowed", "when"),
        ("unclosed", "("),
        ("unexpected", "}"),
        ("unexpected_eof", "t"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(code, text)| (format!("rolecall::syntax::{code}"), text.to_string()))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn a_valid_file_after_one_mistake_reports_that_mistake_only() {
    let text = "fact a\nscope s {\n    role viewer\n    action chat\n    allow viewer to chat when a and\n    \
                allow viewer to chat\n    default viewer\n}\nscope t {\n    role r\n    action b\n    allow r to b\n}\n";
    let all = check(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(
        all[0].1,
        "expected a fact, `not`, `true`, `false` or `(`, found the keyword `allow`"
    );
}

#[test]
fn syntax_errors_per_file_are_bounded() {
    let body: String = (0..250).map(|i| format!("    role r{i}-x\n")).collect();
    let all = check(&format!("scope s {{\n{body}}}\n"));
    assert_eq!(all.len(), rolecall::syntax::MAX_SYNTAX_ERRORS + 1);
    assert_eq!(all[100].0, "rolecall::syntax::too_many");
    assert_eq!(all[100].1, "150 more syntax errors in test.policy");
}
