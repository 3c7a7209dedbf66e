//! The linter: every rule on a policy that triggers it (snapshot) and on a
//! near miss that must not; the rules' own doc examples; suppressions; the
//! reference policies; the generated docs; the command line and its formats.

use rolecall::lint::{self, Finding, Level, RULES, Report};
use serde_json::Value;

use super::support::{cli, root, temp_file};

/// Lints policy text; panics with the diagnostics when it is invalid.
fn lint_text(name: &str, text: &str) -> Report {
    match lint::lint_str(name, text) {
        Ok(report) => report,
        Err(errors) => panic!(
            "{name} is invalid:\n{}",
            super::support::render_all(&errors)
        ),
    }
}

fn fixture(name: &str) -> (String, String) {
    let path = format!("tests/fixtures/lint/{name}");
    let text = std::fs::read_to_string(root().join(&path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    (path, text)
}

fn of_rule<'r>(report: &'r Report, id: &str) -> Vec<&'r Finding> {
    report.findings.iter().filter(|f| f.rule.id == id).collect()
}

/// Every finding of `id` rendered as miette draws it (no color, fixed width).
fn rendered(findings: &[&Finding]) -> String {
    findings
        .iter()
        .map(|f| f.diagnostic().render_plain())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fixture `ID.policy` triggers the rule (its findings are returned
/// rendered); `ID.ok.policy`, a near miss, does not.
fn trigger_and_near_miss(id: &str) -> String {
    assert!(lint::rule(id).is_some(), "no rule `{id}`");
    let (path, text) = fixture(&format!("{id}.policy"));
    let report = lint_text(&path, &text);
    let found = of_rule(&report, id);
    assert!(!found.is_empty(), "{path} does not trigger `{id}`");
    for f in &found {
        assert!(!f.help.is_empty(), "`{id}` finding without help");
        assert!(
            !f.loc.text().is_empty(),
            "`{id}` finding underlines nothing"
        );
    }
    let (ok_path, ok_text) = fixture(&format!("{id}.ok.policy"));
    let near = lint_text(&ok_path, &ok_text);
    assert!(
        near.findings.is_empty(),
        "{ok_path} should lint clean, found:\n{}",
        rendered(&near.findings.iter().collect::<Vec<_>>())
    );
    rendered(&found)
}

macro_rules! rule_tests {
    ($($name:ident => $id:literal,)*) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(trigger_and_near_miss($id));
            }
        )*

        /// Every registered rule has its pair of fixtures above, and no id is listed twice.
        #[test]
        fn every_rule_is_tested() {
            let tested = [$($id),*];
            let ids: Vec<&str> = RULES.iter().map(|r| r.meta().id).collect();
            assert_eq!(tested.as_slice(), ids.as_slice());
        }
    };
}

rule_tests! {
    default_not_assignable => "default-not-assignable",
    impossible_cardinality => "impossible-cardinality",
    action_never_mentioned => "action-never-mentioned",
    role_grants_nothing => "role-grants-nothing",
    allow_deny_conflict => "allow-deny-conflict",
    constant_condition => "constant-condition",
    conditional_deny_inherited => "conditional-deny-inherited",
    identical_roles => "identical-roles",
    override_demotes => "override-demotes",
    shadowed_rule => "shadowed-rule",
    redundant_allow => "redundant-allow",
    deny_overrides_nothing => "deny-overrides-nothing",
    override_changes_nothing => "override-changes-nothing",
    role_adds_nothing => "role-adds-nothing",
    unused_fact => "unused-fact",
    unused_setting => "unused-setting",
    unused_kind => "unused-kind",
    missing_label => "missing-label",
    non_snake_case => "non-snake-case",
    empty_section => "empty-section",
    empty_scope => "empty-scope",
    unused_suppression => "unused-suppression",
    invalid_suppression => "invalid-suppression",
}

/// The fenced `rolecall` block under a `### heading` of a doc.
fn doc_example(doc: &str, heading: &str) -> String {
    let start = doc
        .find(&format!("### {heading}\n"))
        .unwrap_or_else(|| panic!("no `### {heading}` section"));
    let rest = &doc[start..];
    let open = rest.find("```rolecall\n").expect("no ```rolecall block") + "```rolecall\n".len();
    let close = rest[open..].find("```").expect("unclosed block");
    rest[open..open + close].to_string()
}

#[test]
fn docs_have_the_fixed_headings_and_their_examples_are_true() {
    let mut ids = Vec::new();
    for rule in RULES {
        let m = rule.meta();
        assert!(
            m.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "`{}` is not kebab-case",
            m.id
        );
        assert!(!ids.contains(&m.id), "`{}` registered twice", m.id);
        ids.push(m.id);
        assert!(!m.summary.is_empty() && !m.summary.contains('\n'));
        let headings: Vec<&str> = m.doc.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(
            headings,
            [
                "### What it does",
                "### Why is this bad?",
                "### Example",
                "### Use instead"
            ],
            "doc of `{}`",
            m.id
        );
        let example = lint_text("example.policy", &doc_example(m.doc, "Example"));
        assert!(
            !of_rule(&example, m.id).is_empty(),
            "the Example of `{}` does not trigger it",
            m.id
        );
        let fixed = lint_text("fixed.policy", &doc_example(m.doc, "Use instead"));
        assert!(
            fixed.findings.is_empty(),
            "the `Use instead` of `{}` is not clean:\n{}",
            m.id,
            rendered(&fixed.findings.iter().collect::<Vec<_>>())
        );
    }
}

#[test]
fn lint_docs_are_generated_from_the_rules() {
    let path = root().join("docs/lint.md");
    let expected = lint::docs_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/lint.md is stale: regenerate it with `UPDATE_DOCS=1 cargo test lint_docs`"
    );
    for rule in RULES {
        assert!(actual.contains(&format!("\n## {}\n", rule.meta().id)));
    }
}

/// The findings a shipped policy is known to have, by rule and line: real
/// ones, reported to the policy's owner and left for them to settle.
const KNOWN_FINDINGS: &[(&str, &str, usize)] = &[];

#[test]
fn reference_policies_lint_clean_with_justified_suppressions() {
    let mut policies = Vec::new();
    for dir in ["policies", "policies/examples"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".policy") {
                policies.push(format!("{dir}/{name}"));
            }
        }
    }
    policies.sort();
    assert!(policies.len() >= 5, "{policies:?}");
    for policy in &policies {
        let report = lint::lint_file(&root().join(policy)).unwrap();
        let found: Vec<(&str, usize)> = report
            .findings
            .iter()
            .map(|f| (f.rule.id, f.loc.line()))
            .collect();
        let known: Vec<(&str, usize)> = KNOWN_FINDINGS
            .iter()
            .filter(|(p, _, _)| p == policy)
            .map(|&(_, rule, line)| (rule, line))
            .collect();
        assert!(
            found == known,
            "{policy}:\n{}",
            rendered(&report.findings.iter().collect::<Vec<_>>())
        );
    }
    // The suppressions are there and silence what they claim to.
    let goto = lint::lint_file(&root().join("policies/goto_webinar.policy")).unwrap();
    assert_eq!(goto.suppressed, 1);
}

// ---------------------------------------------------------------- suppressions

const ADDS_NOTHING: &str = "scope s {\n    role viewer \"Viewer\"\n    role guest \"Guest\" : viewer\n    action watch \"Watch\"\n    allow viewer to watch\n}\n";

fn with_line_before_guest(line: &str) -> String {
    ADDS_NOTHING.replace("    role guest", &format!("{line}\n    role guest"))
}

fn ids(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.rule.id).collect()
}

#[test]
fn suppression_above_or_at_the_end_of_the_line() {
    let plain = lint_text("s.policy", ADDS_NOTHING);
    assert_eq!(ids(&plain), ["role-adds-nothing"]);

    let above = lint_text(
        "s.policy",
        &with_line_before_guest(
            "    # rolecall: allow(role-adds-nothing) because guests are billed apart",
        ),
    );
    assert_eq!(ids(&above), Vec::<&str>::new());
    assert_eq!(above.suppressed, 1);

    let trailing = lint_text(
        "s.policy",
        &ADDS_NOTHING.replace(
            ": viewer\n",
            ": viewer  # rolecall: allow(role-adds-nothing) because billed apart\n",
        ),
    );
    assert_eq!(ids(&trailing), Vec::<&str>::new());

    // Comment lines between the suppression and the construct are skipped; a blank line is not.
    let continued = lint_text(
        "s.policy",
        &with_line_before_guest(
            "    # rolecall: allow(role-adds-nothing) because guests\n    # are billed apart",
        ),
    );
    assert_eq!(ids(&continued), Vec::<&str>::new());
    let detached = lint_text(
        "s.policy",
        &with_line_before_guest("    # rolecall: allow(role-adds-nothing) because billed\n"),
    );
    assert_eq!(ids(&detached), ["unused-suppression", "role-adds-nothing"]);

    // A trailing suppression covers its own line only, not the next.
    let trailing_above = lint_text(
        "s.policy",
        &ADDS_NOTHING.replace(
            "\"Viewer\"\n",
            "\"Viewer\"  # rolecall: allow(role-adds-nothing) because billed apart\n",
        ),
    );
    assert_eq!(
        ids(&trailing_above),
        ["unused-suppression", "role-adds-nothing"]
    );
}

#[test]
fn suppression_names_only_the_rules_it_silences() {
    let other_rule = lint_text(
        "s.policy",
        &with_line_before_guest("    # rolecall: allow(identical-roles) because no"),
    );
    assert_eq!(
        ids(&other_rule),
        ["unused-suppression", "role-adds-nothing"]
    );
    let two = lint_text(
        "s.policy",
        &with_line_before_guest(
            "    # rolecall: allow(identical-roles, role-adds-nothing) because billed apart",
        ),
    );
    assert_eq!(ids(&two), ["unused-suppression"]);
    assert!(two.findings[0].message.contains("`identical-roles`"));
    assert_eq!(two.findings[0].loc.text(), "identical-roles");
}

#[test]
fn a_suppression_without_reason_still_suppresses_but_is_reported() {
    let report = lint_text(
        "s.policy",
        &with_line_before_guest("    # rolecall: allow(role-adds-nothing)"),
    );
    assert_eq!(ids(&report), ["invalid-suppression"]);
    assert_eq!(report.suppressed, 1);
    let empty_reason = lint_text(
        "s.policy",
        &with_line_before_guest("    # rolecall: allow(role-adds-nothing) because   "),
    );
    assert_eq!(ids(&empty_reason), ["invalid-suppression"]);
}

#[test]
fn findings_of_included_files_are_suppressed_in_those_files() {
    let main = temp_file(
        "lint-include-main.policy",
        "include \"lint-include-part.policy\"\n",
    );
    let part = main.with_file_name("lint-include-part.policy");
    std::fs::write(
        &part,
        with_line_before_guest("    # rolecall: allow(role-adds-nothing) because billed apart"),
    )
    .unwrap();
    let report = lint::lint_file(&main).unwrap();
    assert_eq!(ids(&report), Vec::<&str>::new());
    assert_eq!(report.suppressed, 1);
    std::fs::write(&part, ADDS_NOTHING).unwrap();
    let report = lint::lint_file(&main).unwrap();
    assert_eq!(ids(&report), ["role-adds-nothing"]);
    assert!(
        report.findings[0]
            .file()
            .ends_with("lint-include-part.policy")
    );
}

// ---------------------------------------------------------------- analyses

#[test]
fn conflicts_say_which_rule_wins() {
    let (path, text) = fixture("allow-deny-conflict.policy");
    let report = lint_text(&path, &text);
    let messages: Vec<&str> = of_rule(&report, "allow-deny-conflict")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m.contains("deny wins")));
}

#[test]
fn redundancy_reports_the_copy_not_the_original() {
    // Two identical allows: the second never decides; the first is not "redundant".
    let report = lint_text(
        "d.policy",
        "scope s {\n    role v \"V\"\n    action a \"A\"\n    action b \"B\"\n    allow v to a, b\n    allow v to a\n}\n",
    );
    assert_eq!(ids(&report), ["shadowed-rule"]);
    assert_eq!(report.findings[0].loc.line(), 6);
    // The same with a rule that still decides elsewhere: the later one is reported as redundant.
    let report = lint_text(
        "d.policy",
        "scope s {\n    role v \"V\"\n    action a \"A\"\n    action b \"B\"\n    allow v to a\n    allow v to a, b\n}\n",
    );
    assert_eq!(ids(&report), ["redundant-allow"]);
    assert_eq!(report.findings[0].loc.line(), 6);
}

#[test]
fn many_facts_are_decided_exactly() {
    // 17 and 40 facts: decided by decision diagram, as 16 are. (That the role
    // grants nothing rests on the compiler's fixed-outcome check, which
    // enumerates at most 16 facts.)
    for (n, expected) in [
        (16, &["role-grants-nothing", "constant-condition"][..]),
        (17, &["constant-condition"][..]),
        (40, &["constant-condition"][..]),
    ] {
        let facts: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
        let mut text: String = facts.iter().map(|f| format!("fact {f} \"F\"\n")).collect();
        text.push_str(&format!(
            "scope s {{\n    role v \"V\"\n    action a \"A\"\n    allow v to a when ({}) and not f0\n}}\n",
            facts.join(" and ")
        ));
        let report = lint_text("many.policy", &text);
        assert_eq!(ids(&report), expected, "{n} facts");
    }
    // Past the diagram's budget nothing is claimed: `P and not P` where P's
    // diagram is exponential in its facts' order (every x before every y).
    let m = 20;
    let mut text = String::new();
    for i in 0..m {
        text.push_str(&format!("fact x{i} \"X\"\nfact y{i} \"Y\"\n"));
    }
    let all: Vec<String> = (0..m)
        .map(|i| format!("x{i}"))
        .chain((0..m).map(|i| format!("y{i}")))
        .collect();
    let pairs: Vec<String> = (0..m).map(|i| format!("(x{i} and y{i})")).collect();
    let p = format!("({}) or {}", all.join(" and "), pairs.join(" or "));
    text.push_str(&format!(
        "scope s {{\n    role v \"V\"\n    action a \"A\"\n    allow v to a when ({p}) and not ({p})\n}}\n"
    ));
    let report = lint_text("budget.policy", &text);
    assert_eq!(ids(&report), Vec::<&str>::new());
}

/// An override's role subject is a condition variable of its own for the
/// analyses: numbered after the facts only, it was the variable of the first
/// kind (or setting value), so `when not kind is guest` read as "never applies".
#[test]
fn override_subjects_are_not_taken_for_kinds_or_settings() {
    let scopes = "scope workspace {\n    role admin \"Admin\"\n    action configure \"Configure\"\n    allow admin to configure\n}\nscope session {\n    role host \"Host\"\n    action start \"Start\"\n    allow host to start\n}\n";
    for (declarations, condition) in [
        ("kind guest \"Guest\"\n", "not kind is guest"),
        (
            "setting plan \"Plan\" {\n    value team \"Team\"\n    value free \"Free\"\n    default free\n}\n",
            "not plan is team",
        ),
    ] {
        let text = format!(
            "{declarations}{scopes}workspace.admin joins session as host when {condition}\n"
        );
        let report = lint_text("o.policy", &text);
        assert_eq!(ids(&report), Vec::<&str>::new(), "{condition}");
    }
}

/// A conditional deny that names the roles above as well is meant for them:
/// `conditional-deny-inherited` leaves them out (`deny-overrides-nothing`
/// may say the second name is not needed); a role it does not name is
/// reported, through whichever named role it inherits.
#[test]
fn a_conditional_deny_naming_the_roles_above_is_meant_for_them() {
    let policy = |deny: &str| {
        format!(
            "fact muted \"Muted\"\nscope s {{\n    role viewer \"Viewer\"\n    role host \"Host\" : viewer\n    role owner \"Owner\" : host\n    action chat \"Chat\"\n    allow viewer to chat\n    {deny}\n}}\n"
        )
    };
    let named_all = lint_text(
        "n.policy",
        &policy("deny viewer, host, owner to chat when muted"),
    );
    assert!(of_rule(&named_all, "conditional-deny-inherited").is_empty());
    let named_some = lint_text("n.policy", &policy("deny viewer, host to chat when muted"));
    let found = of_rule(&named_some, "conditional-deny-inherited");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("`owner` × `chat` was allowed"),
        "{}",
        found[0].message
    );
    assert!(
        !found[0].message.contains("`host` ×"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].loc.text(), "deny viewer, host to chat when muted");
    assert_eq!(found[0].notes.len(), 1);
    assert_eq!(
        found[0].notes[0].1,
        "`owner` inherits the deny through `host`"
    );
    // The roles above had the same condition before (their own deny, which
    // `deny-overrides-nothing` may call needless): nothing new for them.
    let already = lint_text(
        "n.policy",
        &policy("deny host to chat when muted\n    deny viewer to chat when muted"),
    );
    assert!(of_rule(&already, "conditional-deny-inherited").is_empty());
}

/// A deny conditioned on a kind binds the roles above only where that kind
/// can act as them: assigned, by a default (the kind's, or the scope's when
/// it has none), or through an override; and a request has one value of a
/// setting, so a deny that needs two never applies.
#[test]
fn a_conditional_deny_counts_who_can_hold_the_roles_above() {
    let policy = |condition: &str, extra: &str| {
        format!(
            "kind anonymous \"Anonymous\"\nsetting plan \"Plan\" {{\n    value team \"Team\"\n    value pro \"Pro\"\n    value free \"Free\"\n    default free\n}}\nscope workspace {{\n    role admin \"Admin\"\n    action configure \"Configure\"\n    allow admin to configure\n}}\nscope s {{\n    role attendee \"Attendee\"\n    role presenter \"Presenter\" : attendee\n    action chat \"Chat\"\n    action present \"Present\"\n    allow attendee to chat\n    allow presenter to present\n    deny attendee to chat when {condition}\n    assignable anonymous: attendee\n{extra}}}\n"
        )
    };
    let found = |condition: &str, extra: &str, overrides: &str| {
        let text = format!("{}{overrides}", policy(condition, extra));
        of_rule(&lint_text("k.policy", &text), "conditional-deny-inherited").len()
    };
    let anonymous = "kind is anonymous";
    assert_eq!(found(anonymous, "", ""), 0);
    assert_eq!(
        found(anonymous, "    default anonymous: presenter\n", ""),
        1
    );
    assert_eq!(found(anonymous, "    default presenter\n", ""), 1);
    assert_eq!(
        found(
            anonymous,
            "    default presenter\n    default anonymous: attendee\n",
            ""
        ),
        0
    );
    assert_eq!(
        found(anonymous, "", "workspace.admin joins s as presenter\n"),
        1
    );
    assert_eq!(found("not kind is anonymous", "", ""), 1);
    assert_eq!(found("plan is team", "", ""), 1);
    assert_eq!(found("plan is team and plan is pro", "", ""), 0);
}

/// The list of cells a conditional deny reaches is bounded.
#[test]
fn a_conditional_deny_lists_a_bounded_number_of_cells() {
    let mut text = String::from("fact muted \"Muted\"\nscope s {\n    role base \"Base\"\n");
    for i in 0..10 {
        text.push_str(&format!(
            "    role r{i} \"R\" : base\n    action a{i} \"A\"\n    allow r{i} to a{i}\n"
        ));
    }
    text.push_str(
        "    action chat \"Chat\"\n    allow base to chat\n    deny base to chat when muted\n}\n",
    );
    let report = lint_text("b.policy", &text);
    let found = of_rule(&report, "conditional-deny-inherited");
    assert_eq!(found.len(), 1);
    assert!(
        found[0]
            .message
            .contains("`r5` × `chat` and 4 more were allowed"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].label, "inherited by 10 roles above");
    assert_eq!(found[0].notes.len(), 6);
}

/// Whom an override demotes: principals who can hold a higher role (by
/// assignment or default) and be its subject, by kind; an override that is
/// never the one applied demotes nobody.
#[test]
fn an_override_demotes_only_whom_it_can_apply_to() {
    let policy = |workspace: &str, session: &str, overrides: &str| {
        format!(
            "kind guest \"Guest\"\nfact link \"Link\"\nscope workspace {{\n    role staff \"Staff\"\n    role admin \"Admin\" : staff\n    action read \"Read\"\n    action configure \"Configure\"\n    allow staff to read\n    allow admin to configure\n{workspace}}}\nscope session {{\n    role presenter \"Presenter\"\n    role organizer \"Organizer\" : presenter\n    action present \"Present\"\n    action start \"Start\"\n    allow presenter to present\n    allow organizer to start\n{session}}}\n{overrides}"
        )
    };
    let demoting = |workspace: &str, session: &str, overrides: &str| -> Vec<String> {
        let report = lint_text("d.policy", &policy(workspace, session, overrides));
        of_rule(&report, "override-demotes")
            .iter()
            .map(|f| f.loc.text().to_string())
            .collect()
    };
    let by_guests = "workspace.admin joins session as presenter when kind is guest\n";
    // Guests may be workspace admins and session organizers.
    assert_eq!(demoting("", "", by_guests), [by_guests.trim_end()]);
    // Guests may not be organizers: nobody to demote.
    assert_eq!(
        demoting("", "    assignable guest: presenter\n", by_guests),
        Vec::<String>::new()
    );
    // Guests may be organizers but not workspace admins: not its subject.
    assert_eq!(
        demoting("    assignable guest: staff\n", "", by_guests),
        Vec::<String>::new()
    );
    // ... unless a default makes them admins.
    assert_eq!(
        demoting(
            "    assignable guest: staff\n    default guest: admin\n",
            "",
            by_guests
        ),
        [by_guests.trim_end()]
    );
    // The second override never applies first: the first one reports.
    assert_eq!(
        demoting(
            "",
            "",
            "link joins session as presenter\nlink joins session as presenter when kind is guest\n"
        ),
        ["link joins session as presenter"]
    );
}

/// The roles and actions an override takes away are listed, bounded.
#[test]
fn an_override_lists_a_bounded_number_of_losses() {
    let mut text = String::from(
        "fact link \"Link\"\nscope s {\n    role base \"Base\"\n    action watch \"Watch\"\n    allow base to watch\n",
    );
    for i in 0..6 {
        text.push_str(&format!("    role r{i} \"R\" : base\n"));
        for j in 0..6 {
            text.push_str(&format!("    action a{i}_{j} \"A\"\n"));
        }
        text.push_str(&format!(
            "    allow r{i} to a{i}_0, a{i}_1, a{i}_2, a{i}_3, a{i}_4, a{i}_5\n"
        ));
    }
    text.push_str("}\nlink joins s as base\n");
    let report = lint_text("b.policy", &text);
    let found = of_rule(&report, "override-demotes");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.ends_with(
            "`r3` loses `a3_0`, `a3_1`, `a3_2`, `a3_3` and 2 more; 2 more roles lose actions"
        ),
        "{}",
        found[0].message
    );
}

// ---------------------------------------------------------------- command line

const GOTO: &str = "policies/goto_webinar.policy";

fn fixture_path(name: &str) -> String {
    format!("tests/fixtures/lint/{name}")
}

#[test]
fn exit_codes() {
    // Clean.
    let run = cli(&["lint", GOTO, "policies/livestorm.policy"], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "policies/goto_webinar.policy: no findings (1 suppressed)\npolicies/livestorm.policy: no findings (1 suppressed)\n"
    );
    // Warnings only: 0, or 1 with --deny warnings.
    let warnings = fixture_path("shadowed-rule.policy");
    let run = cli(&["lint", &warnings], "");
    assert_eq!(run.code, 0);
    assert!(
        // Its `deny viewer to chat when muted` is also inherited by `host`.
        run.stdout.ends_with("shadowed-rule.policy: 3 warnings\n"),
        "{}",
        run.stdout
    );
    let run = cli(&["lint", &warnings, "--deny", "warnings"], "");
    assert_eq!(run.code, 1);
    // Info never fails.
    let info = fixture_path("missing-label.policy");
    let run = cli(&["lint", &info, "--deny", "warnings"], "");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("2 info"), "{}", run.stdout);
    // An error-level finding.
    let run = cli(
        &["lint", &fixture_path("default-not-assignable.policy")],
        "",
    );
    assert_eq!(run.code, 1);
    // A file that does not parse, or does not resolve: 2, and the others are still linted.
    let broken = temp_file("broken.policy", "scope s {\n    role\n");
    let run = cli(&["lint", broken.to_str().unwrap(), GOTO], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be linted"), "{}", run.stderr);
    assert!(run.stdout.contains("goto_webinar.policy: no findings"));
    let unknown = temp_file("unknown.policy", "scope s {\n    role r : ghost\n}\n");
    let run = cli(&["lint", unknown.to_str().unwrap()], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown role `ghost`"),
        "{}",
        run.stderr
    );
    let run = cli(&["lint", "no/such.policy"], "");
    assert_eq!(run.code, 2);
    // Usage errors.
    for args in [
        &["lint"][..],
        &["lint", GOTO, "--format", "yaml"],
        &["lint", GOTO, "--deny", "infos"],
        &["lint", "--explain", "no-such-rule"],
        &["lint", "--list-rules", "--explain", "shadowed-rule"],
    ] {
        let run = cli(args, "");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn text_output_is_diagnostics_with_help() {
    let run = cli(&["lint", &fixture_path("redundant-allow.policy")], "");
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn list_rules_and_explain() {
    let run = cli(&["lint", "--list-rules"], "");
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), RULES.len());
    for (line, rule) in lines.iter().zip(RULES) {
        let m = rule.meta();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], m.id);
        assert_eq!(words[1], m.level.to_string());
        assert!(line.ends_with(m.summary));
    }
    let run = cli(&["lint", "--list-rules", "--format", "json"], "");
    assert_eq!(run.stdout.lines().count(), RULES.len());
    for line in run.stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(v["id"].is_string() && v["category"].is_string() && v["level"].is_string());
    }

    let run = cli(&["lint", "--explain", "allow-deny-conflict"], "");
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with(
        "allow-deny-conflict: allow and deny for the same role and action at the same level (deny wins)\ncategory: suspicious, default level: warning\n\n### What it does\n"
    ));
    assert!(run.stdout.contains("### Use instead"));
    let run = cli(&["lint", "--explain", "shadowed-rules"], "");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `shadowed-rule`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_lines_have_the_documented_fields() {
    let path = fixture_path("constant-condition.policy");
    let run = cli(&["lint", &path, "--format", "json"], "");
    assert_eq!(run.code, 0);
    let objects: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 9);
    let keys: Vec<&str> = objects[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["rule", "level", "file", "line", "column", "message"]);
    assert_eq!(objects[0]["rule"], "constant-condition");
    assert_eq!(objects[0]["level"], "warning");
    assert_eq!(objects[0]["file"], path.as_str());
    assert_eq!(objects[0]["line"], 16);
    assert_eq!(objects[0]["column"], 31);
}

/// The properties the SARIF 2.1.0 schema requires, checked on a log.
fn check_sarif(log: &Value) {
    macro_rules! fail {
        ($what:expr) => {
            panic!("SARIF: {}\n{log:#}", $what)
        };
    }
    if log["version"] != "2.1.0" {
        fail!("version must be \"2.1.0\"");
    }
    if !log["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("sarif-schema-2.1.0"))
    {
        fail!("$schema");
    }
    let runs = log["runs"]
        .as_array()
        .unwrap_or_else(|| fail!("runs is an array"));
    for run in runs {
        let driver = &run["tool"]["driver"];
        if !driver["name"].is_string() {
            fail!("tool.driver.name is required");
        }
        let rules = driver["rules"].as_array().unwrap_or_else(|| fail!("rules"));
        for rule in rules {
            if !rule["id"].is_string() {
                fail!("reportingDescriptor.id is required");
            }
            if !rule["shortDescription"]["text"].is_string() {
                fail!("multiformatMessageString.text is required");
            }
            let level = &rule["defaultConfiguration"]["level"];
            if !["none", "note", "warning", "error"].contains(&level.as_str().unwrap_or("")) {
                fail!("defaultConfiguration.level");
            }
        }
        let results = run["results"]
            .as_array()
            .unwrap_or_else(|| fail!("results"));
        for result in results {
            if !result["message"]["text"].is_string() {
                fail!("result.message is required (text)");
            }
            let id = result["ruleId"].as_str().unwrap_or_else(|| fail!("ruleId"));
            let index = result["ruleIndex"]
                .as_u64()
                .unwrap_or_else(|| fail!("ruleIndex")) as usize;
            if rules[index]["id"] != id {
                fail!("ruleIndex points at another rule");
            }
            if !["none", "note", "warning", "error"]
                .contains(&result["level"].as_str().unwrap_or(""))
            {
                fail!("result.level");
            }
            for location in result["locations"]
                .as_array()
                .unwrap_or_else(|| fail!("locations"))
            {
                let physical = &location["physicalLocation"];
                if !physical["artifactLocation"]["uri"].is_string() {
                    fail!("artifactLocation.uri");
                }
                let region = &physical["region"];
                for key in ["startLine", "startColumn", "endLine", "endColumn"] {
                    if region[key].as_u64().is_none_or(|n| n < 1) {
                        fail!(key);
                    }
                }
            }
        }
    }
}

#[test]
fn sarif_log_has_the_schema_required_fields() {
    let a = fixture_path("allow-deny-conflict.policy");
    let b = fixture_path("impossible-cardinality.policy");
    let run = cli(&["lint", &a, &b, "--format", "sarif"], "");
    assert_eq!(run.code, 1);
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    check_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0]["ruleId"], "allow-deny-conflict");
    assert_eq!(results[0]["level"], "warning");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        a.as_str()
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
    let error = results
        .iter()
        .find(|r| r["ruleId"] == "impossible-cardinality")
        .unwrap();
    assert_eq!(error["level"], "error");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), RULES.len());
    // Clean input is a log with no results, still valid.
    let run = cli(&["lint", GOTO, "--format", "sarif"], "");
    let log: Value = serde_json::from_str(&run.stdout).unwrap();
    check_sarif(&log);
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    // Info is a SARIF note.
    let findings = lint::lint_str("i.policy", "scope s \"S\" {\n    role a \"A\"\n    role b \"B\"\n    role c\n    action x \"X\"\n    allow a to x\n    allow b to x when f\n    allow c to x when not f\n}\nfact f \"F\"\n")
        .unwrap()
        .findings;
    assert_eq!(
        findings.iter().map(|f| f.level()).collect::<Vec<_>>(),
        [Level::Info]
    );
    let log = lint::sarif(&findings);
    assert_eq!(log["runs"][0]["results"][0]["level"], "note");
}

/// The linter reads each cell's uncut candidates from the core's row pass
/// (the one the table was compiled with, uncut); cut, they must decide every
/// cell as the compiled table does.
#[test]
fn recomputed_cells_agree_with_the_compiled_table() {
    use rolecall::lint::analysis::{
        allow_when, allow_when_of, candidate_row, deciding, equivalent,
    };
    let mut policies: Vec<(String, String)> = [
        "policies/goto_webinar.policy",
        "policies/livestorm.policy",
        "policies/examples/webinar.policy",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            std::fs::read_to_string(root().join(p)).unwrap(),
        )
    })
    .collect();
    for entry in std::fs::read_dir(root().join("tests/fixtures/lint")).unwrap() {
        let path = entry.unwrap().path();
        policies.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    let mut cells = 0;
    for (name, text) in &policies {
        let table = rolecall::compile_str(name, text).unwrap();
        for (s, scope) in table.policy().scopes.values().enumerate() {
            for (a, action) in scope.actions.values().enumerate() {
                let row = candidate_row(&table, s, a);
                // A targeted action's candidates are per target: it has no one row.
                if action.targeted {
                    assert!(row.is_empty(), "{name}: a targeted action has no row");
                    continue;
                }
                assert_eq!(row.len(), scope.roles.len(), "{name}: a list per role");
                for (r, list) in row.into_iter().enumerate() {
                    let recomputed = allow_when_of(&table, &deciding(list));
                    // A cell fixed only over the assignments that can occur (one
                    // kind, kinds that may hold the role) keeps its candidates'
                    // condition: the recomputed one must match that.
                    let compiled = table
                        .cell_at(s, a, r)
                        .and_then(|c| c.conditional)
                        .map_or_else(|| allow_when(&table, s, a, r), |c| c.allow_when.clone());
                    assert_eq!(
                        equivalent(&recomputed, &compiled),
                        Some(true),
                        "{name}: scope {s}, action {a}, role {r}"
                    );
                    cells += 1;
                }
            }
        }
    }
    assert!(cells > 500, "only {cells} cells compared");
}
