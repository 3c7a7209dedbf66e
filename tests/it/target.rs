//! Targeted actions: `action … on participant` and `… on TARGET` rules
//! (docs/language.md §4.21).

use rolecall::compile::FactSet;
use rolecall::fmt::format_source;
use rolecall::render::{Format, render};
use rolecall::source::SourceFile;

use crate::support::{ask, cli, decide, errors, table, temp_file};

const POLICY: &str = "\
fact breakout \"In a breakout room\"

scope session {
    role viewer
    role speaker : viewer
    role moderator : speaker
    role co_organizer : moderator
    role organizer : moderator
    action chat
    action remove \"Remove a participant\" on participant
    action mute \"Mute someone\" on participant
    action promote on participant
    allow viewer to chat
    allow moderator to remove on viewer exactly, speaker exactly
    allow organizer, co_organizer to remove on below
    deny co_organizer to remove on organizer
    allow viewer to mute on self
    allow moderator to mute on others at or below
    allow speaker to promote on viewer exactly when breakout
    forbid everyone to promote on organizer
}
";

fn req(principal: &str, action: &str, target: &str) -> String {
    format!(
        r#"{{"principal": {{"session": {principal}}}, "action": "session:{action}", "target": {target}}}"#
    )
}

/// (acting role, action, target: a role name or `self`) → the compiled cell.
fn cell(t: &rolecall::DecisionTable, role: &str, action: &str, target: &str) -> String {
    let a = t.action_id("session", action).unwrap();
    let r = t.role_id("session", role).unwrap();
    let (target_role, on_self) = match target {
        "self" => (r, true),
        name => (t.role_id("session", name).unwrap(), false),
    };
    let c = t.target_cell(a, r, target_role, on_self).unwrap();
    format!("{:?}", c.decision)
}

#[test]
fn the_grid_is_exact_over_acting_and_target_roles() {
    let t = table(POLICY);
    // A role selector takes the role and those inheriting it; `exactly` the role alone.
    assert_eq!(cell(&t, "moderator", "remove", "viewer"), "Allow");
    assert_eq!(cell(&t, "moderator", "remove", "speaker"), "Allow");
    assert_eq!(cell(&t, "moderator", "remove", "moderator"), "Deny");
    // `below` is relative to the acting role: the roles it inherits.
    assert_eq!(cell(&t, "organizer", "remove", "moderator"), "Allow");
    assert_eq!(cell(&t, "organizer", "remove", "co_organizer"), "Deny");
    assert_eq!(cell(&t, "organizer", "remove", "organizer"), "Deny");
    // "Everything the organizer can, except remove the organizer."
    assert_eq!(cell(&t, "co_organizer", "remove", "moderator"), "Allow");
    assert_eq!(cell(&t, "co_organizer", "remove", "organizer"), "Deny");
    // `self` and `others`.
    assert_eq!(cell(&t, "viewer", "mute", "self"), "Allow");
    assert_eq!(cell(&t, "viewer", "mute", "viewer"), "Deny");
    assert_eq!(cell(&t, "moderator", "mute", "speaker"), "Allow");
    assert_eq!(cell(&t, "moderator", "mute", "moderator"), "Allow");
    assert_eq!(cell(&t, "moderator", "mute", "organizer"), "Deny");
    assert_eq!(cell(&t, "organizer", "mute", "organizer"), "Allow");
    // A condition stays a condition, per target.
    assert_eq!(cell(&t, "speaker", "promote", "viewer"), "Conditional");
    assert_eq!(cell(&t, "speaker", "promote", "speaker"), "Deny");
    assert!(t.is_targeted(t.action_id("session", "remove").unwrap()));
    assert!(!t.is_targeted(t.action_id("session", "chat").unwrap()));
}

#[test]
fn the_untargeted_reading_says_whether_the_role_may_do_it_to_someone() {
    let t = table(POLICY);
    let csv = render(&t, Format::Csv, None, false);
    let plain = |action: &str, role: &str| {
        let prefix = format!("session,{action},{role},");
        csv.lines()
            .find_map(|l| l.strip_prefix(&prefix).and_then(|r| r.strip_suffix(',')))
            .map(str::to_string)
            .unwrap()
    };
    assert_eq!(plain("remove", "co_organizer"), "allow,");
    assert_eq!(plain("remove", "speaker"), "deny,");
    // Muting oneself is not muting someone else.
    assert_eq!(plain("mute", "viewer"), "deny,");
    assert_eq!(plain("promote", "speaker"), "conditional,breakout");
    // The grid's rows come after, with the target last.
    assert!(
        csv.contains("\nsession,remove,co_organizer,deny,,organizer\n"),
        "{csv}"
    );
    assert!(csv.contains("\nsession,mute,viewer,allow,,self\n"), "{csv}");
    let text = render(&t, Format::Text, None, false);
    assert!(
        text.contains("remove on participant: acting role × target role"),
        "{text}"
    );
}

#[test]
fn a_request_names_its_target_and_is_decided_over_the_targets_roles() {
    let t = table(POLICY);
    assert_eq!(
        decide(
            &t,
            &req("\"moderator\"", "remove", r#"{"session": "speaker"}"#)
        ),
        "allow"
    );
    assert_eq!(
        decide(
            &t,
            &req("\"moderator\"", "remove", r#"{"session": "organizer"}"#)
        ),
        "deny"
    );
    // Every role of the target must allow: a speaker who is also organizer is protected.
    let both = r#"{"session": ["speaker", "organizer"]}"#;
    assert_eq!(decide(&t, &req("\"moderator\"", "remove", both)), "deny");
    // A forbid on any target role wins over every acting role.
    let answer = ask(&t, &req(r#"["organizer", "speaker"]"#, "promote", both));
    assert_eq!(answer.decision.as_str(), "deny");
    assert!(answer.reason.contains("a forbid wins"), "{}", answer.reason);
    // Self.
    assert_eq!(decide(&t, &req("\"viewer\"", "mute", "\"self\"")), "allow");
    assert_eq!(
        decide(&t, &req("\"viewer\"", "mute", r#"{"session": "viewer"}"#)),
        "deny"
    );
    // A target holding no role is one of `everyone` where rules name it,
    // below every declared role…
    let anyone = ask(&t, &req("\"organizer\"", "remove", "{}"));
    assert_eq!(anyone.decision.as_str(), "allow");
    assert!(
        anyone.reason.contains("on a target holding everyone"),
        "{}",
        anyone.reason
    );
    // …and elsewhere there is nothing to act on.
    let plain = table("scope s {\n role a\n action kick on participant\n allow a to kick\n}\n");
    let none = ask(
        &plain,
        r#"{"principal": {"s": "a"}, "action": "s:kick", "target": {}}"#,
    );
    assert_eq!(none.decision.as_str(), "deny");
    assert_eq!(none.reason, "denied: the target holds no role in scope `s`");
    // The answer says whom, and which of their roles decided.
    let mut out = Vec::new();
    ask(&t, &req("\"moderator\"", "remove", both)).write_json(&mut out);
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        json["target"],
        serde_json::json!({"self": false, "roles": ["speaker", "organizer"], "deciding": "organizer"})
    );
    assert!(
        json["reason"]
            .as_str()
            .unwrap()
            .contains("on a target holding organizer")
    );
}

#[test]
fn conditions_and_would_change_hold_per_target() {
    let t = table(POLICY);
    let r = r#"{"principal": {"session": "speaker"}, "action": "session:promote", "target": {"session": "viewer"}, "context": {"breakout": true}}"#;
    assert_eq!(decide(&t, r), "allow");
    let answer = ask(
        &t,
        &req("\"speaker\"", "promote", r#"{"session": "viewer"}"#),
    );
    assert_eq!(answer.decision.as_str(), "deny");
    assert_eq!(answer.would_change, vec!["breakout".to_string()]);
    // From ids, the same cell.
    let a = t.action_id("session", "promote").unwrap();
    let speaker = t.role_id("session", "speaker").unwrap();
    let viewer = t.role_id("session", "viewer").unwrap();
    let mut facts = FactSet::new();
    assert!(
        t.decide_target(a, speaker, viewer, false, &facts)
            .unwrap()
            .effect
            .as_str()
            == "deny"
    );
    facts.insert(t.fact_id("breakout").unwrap());
    assert!(
        t.decide_target(a, speaker, viewer, false, &facts)
            .unwrap()
            .effect
            .as_str()
            == "allow"
    );
    // A plain action has no grid.
    let chat = t.action_id("session", "chat").unwrap();
    assert!(
        t.decide_target(chat, speaker, viewer, false, &facts)
            .is_none()
    );
}

#[test]
fn eval_and_check_agree_with_evaluate_on_targeted_requests() {
    let p = temp_file("target.policy", POLICY);
    let lines = [
        req("\"moderator\"", "remove", r#"{"session": "speaker"}"#),
        req("\"co_organizer\"", "remove", r#"{"session": "organizer"}"#),
        req("\"viewer\"", "mute", "\"self\""),
        req("\"viewer\"", "mute", r#"{"session": "viewer"}"#),
    ];
    let run = cli(&["eval", p.to_str().unwrap()], &lines.join("\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = rolecall::compile_file(&p).unwrap();
    for (line, out) in lines.iter().zip(run.stdout.lines()) {
        let mut want = Vec::new();
        ask(&t, line).write_json(&mut want);
        assert_eq!(out.as_bytes(), want.as_slice());
        let request = rolecall::Request::from_json(line).unwrap();
        let verdict = t.check(&request).unwrap();
        assert_eq!(verdict.decision(), ask(&t, line).decision, "{line}");
    }
}

#[test]
fn targets_are_checked_when_resolving() {
    let e = errors(
        "scope s {\n role a\n role b\n action chat\n action kick on participant\n allow a to chat on b\n allow a to kick on c\n}\n",
    );
    let text: Vec<String> = e.iter().map(|d| d.message.clone()).collect();
    assert!(
        text.iter()
            .any(|m| m
                .contains("`on b` names targets, but action `chat` is not aimed at a participant")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|m| m.contains("unknown role `c`")),
        "{text:?}"
    );
}

#[test]
fn fmt_keeps_targets_and_is_idempotent() {
    let messy = "scope s {\n role a\n role b : a\n action kick   on   participant\n allow b to kick on   others  a exactly,below   when true\n allow a to kick on self\n allow b to kick on at   or below\n}\n";
    let src = SourceFile::new("p.policy", messy);
    let once = format_source(&src).unwrap();
    assert!(once.contains("action kick on participant"), "{once}");
    assert!(
        once.contains("allow b to kick on others a exactly, below when true"),
        "{once}"
    );
    assert!(once.contains("allow b to kick on at or below"), "{once}");
    let twice = format_source(&SourceFile::new("p.policy", &once)).unwrap();
    assert_eq!(once, twice);
    // The formatted text means the same table.
    assert_eq!(
        render(&table(messy), Format::Csv, None, false),
        render(&table(&once), Format::Csv, None, false)
    );
}

#[test]
fn explain_accounts_for_the_target_role_that_decided() {
    let p = temp_file("target_explain.policy", POLICY);
    let request = req(
        r#"["co_organizer", "speaker"]"#,
        "remove",
        r#"{"session": ["organizer", "speaker"]}"#,
    );
    let run = cli(&["explain", p.to_str().unwrap(), &request], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Only the candidates whose `on …` the organizer target matches.
    assert!(
        run.stdout.contains(
            "role co_organizer (on a target holding organizer):\n  `deny co_organizer to remove on organizer`"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("remove on below` at"),
        "{}",
        run.stdout
    );
    let json = cli(
        &["explain", "--format", "json", p.to_str().unwrap(), &request],
        "",
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let co = doc["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "co_organizer")
        .unwrap();
    assert_eq!(co["target"], "organizer");
    assert_eq!(co["candidates"].as_array().unwrap().len(), 1);
}

#[test]
fn every_format_shows_the_grid() {
    let t = table(POLICY);
    let json: serde_json::Value =
        serde_json::from_str(&render(&t, Format::Json, None, false)).unwrap();
    let scope = &json["scopes"][0];
    assert_eq!(scope["actions"][1]["targeted"], true);
    assert!(scope["actions"][0].get("targeted").is_none());
    let cell = scope["target_cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["action"] == "remove" && c["role"] == "co_organizer" && c["target"] == "organizer"
        })
        .unwrap();
    assert_eq!(cell["decision"], "deny");
    assert!(cell["rule"].as_str().unwrap().ends_with(":16"), "{cell}");
    let md = render(&t, Format::Markdown, None, false);
    assert!(
        md.contains("**Remove a participant** (`remove`): acting role × target"),
        "{md}"
    );
    let html = render(&t, Format::Html, None, false);
    assert!(html.contains("<table class=\"target-grid\" data-action=\"remove\">"));
    let snapshot = t.to_snapshot();
    assert!(
        snapshot.contains("\ntarget session:remove = participant\n"),
        "{snapshot}"
    );
    assert!(
        snapshot.contains("\nsession:remove co_organizer -> organizer = deny\n"),
        "{snapshot}"
    );
    assert!(
        snapshot.contains("\nsession:mute viewer -> self = allow\n"),
        "{snapshot}"
    );
}

#[test]
fn diff_reports_a_targeted_cell_and_a_change_of_target() {
    let old = temp_file("target_old.policy", POLICY);
    let changed = POLICY
        .replace(
            "deny co_organizer to remove on organizer",
            "allow co_organizer to remove on organizer",
        )
        .replace("action chat\n", "action chat on participant\n")
        .replace("allow viewer to chat\n", "allow viewer to chat on others\n");
    let new = temp_file("target_new.policy", &changed);
    let run = cli(&["diff", old.to_str().unwrap(), new.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("remove × co_organizer on organizer: deny → allow"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("target of chat: (not set) → participant"),
        "{}",
        run.stdout
    );
    let json = cli(
        &[
            "diff",
            "--format",
            "json",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
        "",
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let cells = doc["scopes"]["changed"][0]["cells"].as_array().unwrap();
    assert!(
        cells
            .iter()
            .any(|c| c["target"] == "organizer" && c["role"] == "co_organizer"),
        "{cells:?}"
    );
}

#[test]
fn lint_reads_the_grid_and_says_nothing_false_about_it() {
    // Rules that decide different targets' cells are neither redundant,
    // shadowed nor in conflict, and a role allowed only on itself is allowed something.
    let report = rolecall::lint::lint_str("target.policy", POLICY).unwrap();
    let codes: Vec<&str> = report.findings.iter().map(|f| f.rule.id).collect();
    assert!(
        !codes.iter().any(|c| c.contains("shadowed")
            || c.contains("redundant")
            || c.contains("conflict")
            || c.contains("adds-nothing")),
        "{codes:?}"
    );
    // Only `everyone`, which only a forbid names, is granted nothing.
    let nothing: Vec<&String> = report
        .findings
        .iter()
        .filter(|f| f.rule.id == "role-grants-nothing")
        .map(|f| &f.message)
        .collect();
    assert_eq!(nothing.len(), 1, "{nothing:?}");
    assert!(nothing[0].contains("`everyone`"), "{nothing:?}");
    // A rank that matches no target for the role decides no cell: said so.
    let idle = "scope s {\n role viewer \"V\"\n role host \"H\" : viewer\n action kick \"Kick\" on participant\n allow host to kick on below\n allow viewer to kick on below\n}\n";
    let report = rolecall::lint::lint_str("idle.policy", idle).unwrap();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule.id == "shadowed-rule"
                && f.message.contains("allow viewer to kick on below")),
        "{:?}",
        report
            .findings
            .iter()
            .map(|f| &f.message)
            .collect::<Vec<_>>()
    );
}

#[test]
fn coverage_counts_the_grid_cells_a_test_file_exercises() {
    let dir = crate::support::case_dir("target_coverage");
    std::fs::write(dir.join("t.policy"), POLICY).unwrap();
    std::fs::write(
        dir.join("t.policy.test"),
        "policy \"t.policy\"\nallow session.moderator -> session:remove on session.speaker\ndeny session.viewer -> session:mute on session.viewer\nallow session.viewer -> session:mute on self\n",
    )
    .unwrap();
    let test_file = dir.join("t.policy.test");
    let run = cli(&["test", "--coverage", test_file.to_str().unwrap()], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Three targeted actions × 6 acting roles × 7 columns (6 targets and self).
    assert!(
        run.stdout.contains(", 3/126 targeted cells,"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("session:remove: everyone -> everyone,"),
        "{}",
        run.stdout
    );
    let json = cli(
        &[
            "test",
            "--coverage",
            "--format",
            "json",
            test_file.to_str().unwrap(),
        ],
        "",
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let targeted = &doc["coverage"][0]["targeted_cells"];
    assert_eq!(targeted["exercised"], 3);
    assert_eq!(targeted["total"], 126);
}

#[test]
fn allows_target_agrees_with_decide_target_on_every_cell() {
    let t = table(POLICY);
    let s = t.scope_id("session").unwrap();
    let facts = FactSet::new();
    let mut compared = 0;
    for action in t.actions(s).filter(|&a| t.is_targeted(a)) {
        for role in t.roles(s) {
            for target in t.roles(s) {
                for on_self in [false, true] {
                    let outcome = t
                        .decide_target(action, role, target, on_self, &facts)
                        .unwrap();
                    assert_eq!(
                        t.allows_target(action, role, target, on_self, &facts),
                        outcome.effect.as_str() == "allow"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 3 * 6 * 6 * 2);
}

#[test]
fn an_action_search_leaves_targeted_actions_out() {
    use rolecall::authzen::{Pdp, Principals, parse_action_search};
    let principals = Principals::parse(
        "p.json",
        r#"{"subjects": {"ann": {"roles": {"session": "moderator"}}}}"#,
    )
    .unwrap();
    let pdp = Pdp::new(table(POLICY), &principals).unwrap();
    let body = serde_json::json!({
        "subject": {"type": "user", "id": "ann"},
        "resource": {"type": "session", "id": "s1"}
    });
    let search = parse_action_search(&body).unwrap();
    let found = pdp.search_actions(&search).unwrap();
    assert_eq!(found, vec!["chat"]);
}

#[test]
fn a_rule_may_read_the_targets_kind() {
    let policy = "kind registrant\nkind team_member\nscope session {\n    role viewer\n    role moderator : viewer\n    action block \"Block\" on participant\n    allow moderator to block on others when target kind is registrant\n}\n";
    let t = table(policy);
    let block = |target: &str| {
        decide(
            &t,
            &format!(
                r#"{{"principal": {{"session": "moderator"}}, "action": "session:block", "target": {{"session": "viewer"}}{target}}}"#
            ),
        )
    };
    assert_eq!(block(r#", "target_kind": "registrant""#), "allow");
    assert_eq!(block(r#", "target_kind": "team_member""#), "deny");
    assert_eq!(block(""), "deny");
    // The grid cell is conditional on it; "may the moderator block someone" is yes.
    assert_eq!(cell(&t, "moderator", "block", "viewer"), "Conditional");
    let csv = render(&t, Format::Csv, None, false);
    assert!(csv.contains("\nsession,block,moderator,allow,,\n"), "{csv}");
    assert!(
        csv.contains("\nsession,block,moderator,conditional,target kind is registrant,viewer\n"),
        "{csv}"
    );
    // Anywhere but a rule of targeted actions, there is no target to read.
    let e =
        errors("kind k\nscope s {\n role a\n action x\n allow a to x when target kind is k\n}\n");
    assert!(
        e.iter().any(|d| d
            .message
            .contains("`target kind is` is about a targeted action's target")),
        "{:?}",
        e.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}
