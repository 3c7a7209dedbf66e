//! The language for products (issue 18): conditional defaults and
//! `assignable` lines, groups and named sections, `everyone`, adding
//! overrides and `everyone` as an override's subject, kinds and settings in
//! the table, and `--set` pinning: each construct through every stage.

use super::support::{ask, cli, decide, errors, render_all, root, table, underlined};

const PRODUCT: &str = "policies/examples/product.policy";

fn product() -> String {
    std::fs::read_to_string(root().join(PRODUCT)).unwrap()
}

fn path() -> String {
    root().join(PRODUCT).display().to_string()
}

/// The `csv` row of one cell: `decision,condition`.
fn csv_cell(args: &[&str], action: &str, role: &str) -> String {
    let mut all = vec!["table"];
    all.extend_from_slice(args);
    all.extend(["--format", "csv"]);
    let run = cli(&all, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let prefix = format!("session,{action},{role},");
    run.stdout
        .lines()
        .find_map(|l| {
            // The untargeted cell: the last column (`target`) is empty.
            l.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(','))
                .map(str::to_string)
        })
        .unwrap_or_else(|| panic!("no cell {action} × {role} in\n{}", run.stdout))
}

// ---------------------------------------------------------------- parse, fmt

#[test]
fn the_new_constructs_format_to_themselves_and_from_a_messy_layout() {
    let run = cli(&["fmt", "--check", &path()], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let messy = "setting   plan { value free\n value team   default free }\nkind guest\n\
                 scope s {\n role r\n role q : r\n action a\n action b\n\
                 group   both=a,b\n section   named \"Named\" { action c }\n\
                 allow everyone to both\n default r when plan is team\n default q\n\
                 assignable guest : r when plan is   team\n assignable guest: none\n}\n\
                 scope t { role x\n action y }\n\
                 t.x   also joins s as q when plan is free\neveryone joins s as r when not (plan is team)\n";
    let run = cli(&["fmt", "-"], messy);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = r#"setting plan {
    value free
    value team
    default free
}

kind guest

scope s {
    role r
    role q : r
    action a
    action b
    group both = a, b

    section named "Named" {
        action c
    }

    allow everyone to both
    default r when plan is team
    default q
    assignable guest: r when plan is team
    assignable guest: none
}

scope t {
    role x
    action y
}

t.x also joins s as q when plan is free
everyone joins s as r when not plan is team
"#;
    assert_eq!(run.stdout, expected);
    // Formatting is idempotent and keeps the meaning.
    let again = cli(&["fmt", "-"], &run.stdout);
    assert_eq!(again.stdout, run.stdout);
    assert_eq!(table(messy).to_snapshot(), table(&run.stdout).to_snapshot());
}

// ---------------------------------------------------------------- resolve errors

fn one_error(text: &str) -> (String, String) {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{}", render_all(&errors));
    (errors[0].message.clone(), underlined(&errors).remove(0))
}

#[test]
fn misplaced_lines_and_names_are_errors_with_their_spans() {
    let scope = |body: &str| {
        format!("kind guest\nfact f\nscope s {{\n role r\n role q\n action a\n{body}\n}}\n")
    };
    let cases: [(String, &str, &str); 11] = [
        (
            scope(" default r\n default q when f"),
            "this default can never apply",
            "default q when f",
        ),
        (
            scope(" assignable guest: r\n assignable guest: q when f"),
            "this assignable list can never apply",
            "assignable guest: q when f",
        ),
        (
            scope(" default r\n default q"),
            "default `role` is declared twice",
            "default q",
        ),
        (
            scope(" role everyone"),
            "a role cannot be named `everyone`",
            "everyone",
        ),
        (
            "fact everyone\nscope s {\n role r\n}\n".to_string(),
            "a fact cannot be named `everyone`",
            "everyone",
        ),
        (
            scope(" role x : everyone\n allow everyone to a"),
            "`everyone` is not a role one can inherit, hold or join as",
            "everyone",
        ),
        (
            scope(" default everyone\n allow everyone to a"),
            "`everyone` is not a role one can inherit, hold or join as",
            "everyone",
        ),
        (
            scope(" group g = a, nope"),
            "unknown action `nope` in scope `s`",
            "nope",
        ),
        (
            scope(" group a = a"),
            "action or group `a` is declared twice",
            "a",
        ),
        (
            scope(" group g = a\n group g = a"),
            "group `g` is declared twice",
            "g",
        ),
        (
            scope(" group g = a, a"),
            "group member `a` is declared twice",
            "a",
        ),
    ];
    for (text, message, span) in cases {
        let (got, under) = one_error(&text);
        assert_eq!((got.as_str(), under.as_str()), (message, span), "{text}");
    }
    // `group`, `also` and `everyone` stay usable as other names.
    table(
        "setting who { value everyone\n value me\n default me }\nscope s {\n role group\n role also\n action everyone\n allow group to everyone when who is everyone\n}\n",
    );
}

// ---------------------------------------------------------------- compile

#[test]
fn the_product_table_reads_as_the_design_says() {
    let run = cli(&["table", &path()], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    // `everyone` is a column, not a declared role.
    let run = cli(&["check", &path()], "");
    assert!(
        run.stdout
            .ends_with(": ok (2 scopes, 7 roles, 9 actions, 11 rules, 39 cells)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_kind_that_cannot_hold_a_role_does_not_make_its_cell_conditional() {
    // An anonymous principal may only be an attendee: the deny for anonymous
    // presenters cannot reach an organizer, whose cell stays allow, decided
    // by the allow it inherits.
    let text = "kind anonymous\nscope s {\n role attendee\n role presenter : attendee\n role organizer : presenter\n\
                action mute\n allow presenter to mute\n deny presenter to mute when kind is anonymous\n\
                assignable anonymous: attendee, presenter\n}\n";
    let t = table(text);
    let cell = |role: &str| {
        let a = t.action_id("s", "mute").unwrap();
        let r = t.role_id("s", role).unwrap();
        let c = t.cell(a, r).unwrap();
        (
            c.decision.as_str(),
            c.rule.map(|r| t.rule(r).unwrap().loc.line()),
        )
    };
    assert_eq!(cell("organizer"), ("allow", Some(7)));
    assert_eq!(cell("presenter").0, "conditional");
    // With organizer assignable to anonymous principals, it is conditional again.
    let t2 = table(&text.replace("attendee, presenter\n", "attendee, presenter, organizer\n"));
    let a = t2.action_id("s", "mute").unwrap();
    let r = t2.role_id("s", "organizer").unwrap();
    assert_eq!(t2.cell(a, r).unwrap().decision.as_str(), "conditional");
    // An override may give any kind the role: conditional too.
    let t3 = table(&format!("{text}fact owner\nowner joins s as organizer\n"));
    let a = t3.action_id("s", "mute").unwrap();
    let r = t3.role_id("s", "organizer").unwrap();
    assert_eq!(t3.cell(a, r).unwrap().decision.as_str(), "conditional");
}

#[test]
fn a_fixed_cell_names_the_rule_that_decides_it() {
    let text = "kind anonymous\nscope s {\n role attendee\n role presenter : attendee\n role organizer : presenter\n\
                action mute\n allow presenter to mute\n deny presenter to mute when kind is anonymous\n\
                assignable anonymous: attendee, presenter\n}\n";
    let t = table(text);
    let a = t.action_id("s", "mute").unwrap();
    let organizer = t.cell(a, t.role_id("s", "organizer").unwrap()).unwrap();
    assert_eq!(organizer.decision.as_str(), "allow");
    assert_eq!(
        organizer.rule.map(|r| t.rule(r).unwrap().loc.line()),
        Some(7)
    );
    // Two values of one setting never hold at once: not conditional.
    let t = table(
        "setting plan { value free\n value team\n value pro\n default free }\nscope s {\n role r\n action a\n\
                   allow r to a\n deny r to a when plan is team and plan is pro\n}\n",
    );
    let a = t.action_id("s", "a").unwrap();
    let cell = t.cell(a, t.role_id("s", "r").unwrap()).unwrap();
    assert_eq!(cell.decision.as_str(), "allow");
}

#[test]
fn everyone_is_the_first_column_and_loses_to_every_declared_role() {
    let t = table(
        "scope s {\n role guest\n role member\n role admin : member\n action chat\n action read\n\
                   allow everyone to chat, read\n deny guest to chat\n deny member to read\n allow admin to read\n}\n",
    );
    let names: Vec<&str> = t.policy().scopes[0]
        .roles
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["everyone", "guest", "member", "admin"]);
    let d = |json: &str| decide(&t, json);
    assert_eq!(d(r#"{"principal":{},"action":"s:chat"}"#), "allow");
    assert_eq!(
        d(r#"{"principal":{"s":"guest"},"action":"s:chat"}"#),
        "deny"
    );
    assert_eq!(
        d(r#"{"principal":{"s":"guest"},"action":"s:read"}"#),
        "allow"
    );
    assert_eq!(
        d(r#"{"principal":{"s":"member"},"action":"s:read"}"#),
        "deny"
    );
    assert_eq!(
        d(r#"{"principal":{"s":"admin"},"action":"s:read"}"#),
        "allow"
    );
    let answer = ask(&t, r#"{"principal":{"s":"guest"},"action":"s:read"}"#);
    assert_eq!(
        answer.via,
        Some(vec!["guest".to_string(), "everyone".to_string()])
    );
}

// ---------------------------------------------------------------- eval

const REQUESTS: [&str; 12] = [
    r#"{"principal":{},"action":"session:see_agenda"}"#,
    r#"{"principal":{},"action":"session:chat"}"#,
    r#"{"principal":{},"action":"session:present","context":{"who_can_present":"everyone"}}"#,
    r#"{"principal":{},"kind":"team_member","action":"session:present","context":{"who_can_present":"organization"}}"#,
    r#"{"principal":{},"kind":"team_member","action":"session:present"}"#,
    r#"{"principal":{"session":"presenter"},"kind":"anonymous","action":"session:mute","context":{"who_can_present":"everyone"}}"#,
    r#"{"principal":{"session":"presenter"},"kind":"anonymous","action":"session:mute"}"#,
    r#"{"principal":{"workspace":"auditor","session":"attendee"},"action":"session:export"}"#,
    r#"{"principal":{"session":"attendee"},"action":"session:export"}"#,
    r#"{"principal":{},"action":"session:mute","context":{"account":"single_user"}}"#,
    r#"{"principal":{"session":"everyone"},"action":"session:chat"}"#,
    r#"{"principal":{"session":"presenter"},"action":"session:remove"}"#,
];

#[test]
fn eval_answers_the_product_requests_the_same_on_both_paths() {
    let run = cli(&["eval", &path()], &(REQUESTS.join("\n") + "\n"));
    assert_eq!(run.code, 1, "one request names `everyone`: {}", run.stderr);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<&str> = lines
        .iter()
        .map(|l| l["decision"].as_str().unwrap_or("error"))
        .collect();
    assert_eq!(
        decisions,
        [
            "allow", "deny", "allow", "allow", "deny", "deny", "error", "allow", "deny", "allow",
            "error", "allow"
        ]
    );
    assert!(
        lines[6]["error"]
            .as_str()
            .unwrap()
            .contains("cannot be assigned role `presenter`")
    );
    assert!(
        lines[10]["error"]
            .as_str()
            .unwrap()
            .contains("not a role one holds")
    );
    assert_eq!(lines[0]["roles"], serde_json::json!(["everyone"]));
    assert_eq!(lines[2]["default"], "presenter");
    assert_eq!(
        lines[7]["roles"],
        serde_json::json!(["attendee", "observer"])
    );
    assert_eq!(
        lines[7]["added"][0]["text"],
        "workspace.auditor also joins session as observer"
    );
    assert!(
        lines[7]["reason"]
            .as_str()
            .unwrap()
            .contains("(added by override `workspace.auditor also joins session as observer`)")
    );
    assert!(
        lines[8].get("added").is_none(),
        "no key without an adding override"
    );
    assert_eq!(lines[9]["roles"], serde_json::json!(["organizer"]));
    assert_eq!(
        lines[9]["override"]["text"],
        "everyone joins session as organizer when account is single_user"
    );
    // The general path (the library) writes the same bytes as eval's fast path.
    let t = rolecall::Sources::disk()
        .compile_file(&root().join(PRODUCT))
        .unwrap();
    for (request, line) in REQUESTS.iter().zip(run.stdout.lines()) {
        let request = rolecall::Request::from_json(request).unwrap();
        match t.evaluate(&request) {
            Ok(answer) => assert_eq!(serde_json::to_string(&answer).unwrap(), line),
            Err(e) => assert!(
                line.contains(&serde_json::to_string(&e.to_string()).unwrap()),
                "{line}"
            ),
        }
    }
}

#[test]
fn would_change_names_the_settings_that_would_change_the_answer() {
    let t = rolecall::Sources::disk()
        .compile_file(&root().join(PRODUCT))
        .unwrap();
    let answer = ask(&t, r#"{"principal":{},"action":"session:present"}"#);
    assert_eq!(
        answer.would_change,
        ["who_can_present=everyone", "account=single_user"]
    );
    // A request of no kind: the kinds that would change it, tried whole
    // (their defaults, their conditions), and only where they may hold the
    // roles assigned.
    let answer = ask(
        &t,
        r#"{"principal":{},"action":"session:present","context":{"who_can_present":"organization"}}"#,
    );
    assert_eq!(
        answer.would_change,
        ["account=single_user", "kind=team_member"]
    );
    let presenter = r#"{"principal":{"session":"presenter"},"action":"session:mute"}"#;
    assert_eq!(
        ask(&t, presenter).would_change,
        Vec::<String>::new(),
        "an anonymous presenter is an error here"
    );
    let everyone = r#"{"principal":{"session":"presenter"},"action":"session:mute","context":{"who_can_present":"everyone"}}"#;
    assert_eq!(ask(&t, everyone).would_change, ["kind=anonymous"]);
    let given = r#"{"principal":{"session":"presenter"},"kind":"team_member","action":"session:mute","context":{"who_can_present":"everyone"}}"#;
    assert_eq!(
        ask(&t, given).would_change,
        Vec::<String>::new(),
        "a kind given is not offered"
    );
    // eval's fast path says the same.
    let run = cli(&["eval", &path()], &format!("{everyone}\n"));
    assert!(
        run.stdout.contains(r#""would_change":["kind=anonymous"]"#),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_shows_defaults_added_roles_and_everyone() {
    let run = cli(
        &[
            "explain",
            &path(),
            r#"{"principal":{"workspace":"auditor","session":"attendee"},"action":"session:export"}"#,
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("roles held in session: attendee (assigned)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("override: `workspace.auditor also joins session as observer` at "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(" applies, so observer is added to the roles held in session\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("effective roles in session: attendee, observer\n"),
        "{}",
        run.stdout
    );

    let run = cli(
        &[
            "explain",
            &path(),
            r#"{"principal":{},"action":"session:see_agenda"}"#,
        ],
        "",
    );
    assert!(
        run.stdout
            .contains("effective roles in session: everyone (holds no role here)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "settings: who_can_present is only_me (default), account is multi_user (default)\n"
        ),
        "{}",
        run.stdout
    );

    let run = cli(
        &[
            "explain",
            &path(),
            r#"{"principal":{"session":"attendee"},"action":"session:see_agenda"}"#,
        ],
        "",
    );
    assert!(run.stdout.contains("(for everyone, farther than any ancestor, inherited through attendee → everyone)  <- decides"), "{}", run.stdout);
    let run = cli(
        &[
            "explain",
            "--format",
            "json",
            &path(),
            r#"{"principal":{"session":"attendee"},"action":"session:see_agenda"}"#,
        ],
        "",
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["roles"][0]["candidates"][0]["distance"],
        serde_json::Value::Null
    );
}

#[test]
fn a_rule_naming_a_group_is_cited_by_the_group() {
    let request = r#"{"principal":{"session":"presenter"},"action":"session:mute"}"#;
    let run = cli(&["eval", &path()], &format!("{request}\n"));
    assert!(
        run.stdout
            .contains("matches `allow presenter to moderation` at "),
        "{}",
        run.stdout
    );
    let run = cli(&["explain", &path(), request], "");
    assert!(
        run.stdout.contains("  `allow presenter to moderation` at "),
        "{}",
        run.stdout
    );
    // A group among other names is one of them.
    let t = table(
        "scope s {\n role r\n action a\n action b\n action c\n group g = a, b\n allow r to g, c\n}\n",
    );
    let answer = ask(&t, r#"{"principal":{"s":"r"},"action":"s:b"}"#);
    assert!(
        answer.reason.contains("`allow r to g, …`"),
        "{}",
        answer.reason
    );
    let answer = ask(&t, r#"{"principal":{"s":"r"},"action":"s:c"}"#);
    assert!(
        answer.reason.contains("`allow r to c, …`"),
        "{}",
        answer.reason
    );
}

#[test]
fn conditional_assignable_lines_are_checked_against_the_request() {
    let t = rolecall::Sources::disk()
        .compile_file(&root().join(PRODUCT))
        .unwrap();
    let bad = rolecall::Request::from_json(
        r#"{"principal":{"session":"presenter"},"kind":"anonymous","action":"session:chat"}"#,
    )
    .unwrap();
    let e = t.evaluate(&bad).unwrap_err();
    assert_eq!(e.code(), "rolecall::eval::not_assignable");
    assert!(e.to_string().contains("(assignable: attendee)"), "{e}");
    let good = r#"{"principal":{"session":"presenter"},"kind":"anonymous","action":"session:chat","context":{"who_can_present":"everyone"}}"#;
    assert_eq!(decide(&t, good), "allow");
}

// ---------------------------------------------------------------- --set

#[test]
fn set_pins_settings_kinds_and_facts_in_every_format() {
    let p = path();
    assert_eq!(
        csv_cell(&[&p], "mute", "presenter"),
        "conditional,not kind is anonymous"
    );
    assert_eq!(
        csv_cell(&[&p, "--set", "kind=anonymous"], "mute", "presenter"),
        "deny,"
    );
    assert_eq!(
        csv_cell(&[&p, "--set", "kind=team_member"], "mute", "presenter"),
        "allow,"
    );
    assert_eq!(
        csv_cell(&[&p, "--set", "kind=none"], "mute", "organizer"),
        "allow,"
    );
    // Pinned allow cells name the rule that decides them.
    let run = cli(&["table", &p, "--set", "kind=none", "--format", "json"], "");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let cells = doc["scopes"][1]["cells"].as_array().unwrap();
    let mute = cells
        .iter()
        .find(|c| c["action"] == "mute" && c["role"] == "presenter")
        .unwrap();
    assert_eq!(mute["decision"], "allow");
    assert!(
        mute["rule"]
            .as_str()
            .unwrap()
            .ends_with("product.policy:54"),
        "{mute}"
    );
    // Markdown and HTML render the pinned table too.
    for format in ["markdown", "html", "text"] {
        let plain = cli(&["table", &p, "--format", format], "");
        let run = cli(
            &["table", &p, "--set", "kind=team_member", "--format", format],
            "",
        );
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert!(
            plain.stdout.contains("not kind is anonymous"),
            "{format}: {}",
            plain.stdout
        );
        assert!(
            !run.stdout.contains("not kind is anonymous"),
            "{format}: {}",
            run.stdout
        );
    }
    // A fact pinned false removes the rule reading it.
    let facts = "fact permitted\nscope session {\n role attendee\n action chat\n allow attendee to chat when permitted\n}\n";
    let dir = super::support::case_dir("pin-fact");
    let f = dir.join("p.policy");
    std::fs::write(&f, facts).unwrap();
    let f = f.display().to_string();
    assert_eq!(csv_cell(&[&f], "chat", "attendee"), "conditional,permitted");
    assert_eq!(
        csv_cell(&[&f, "--set", "permitted=true"], "chat", "attendee"),
        "allow,"
    );
    assert_eq!(
        csv_cell(&[&f, "--set", "permitted=false"], "chat", "attendee"),
        "deny,"
    );
}

#[test]
fn set_errors_name_what_is_declared() {
    let p = path();
    let cases = [
        (
            "plan=x",
            "error: --set: unknown setting or fact `plan`; the policy declares: `who_can_present`, `account`, `kind`\n",
        ),
        (
            "account=x",
            "error: --set: setting `account` has no value `x` (it takes `multi_user`, `single_user`)\n",
        ),
        (
            "kind=x",
            "error: --set: unknown kind `x` (kinds: team_member, anonymous); `kind=none` pins a principal of no kind\n",
        ),
        (
            "accountsingle",
            "error: --set: `accountsingle` is not NAME=VALUE; write `--set SETTING=VALUE`, `--set FACT=true|false` or `--set kind=KIND|none`\n",
        ),
    ];
    for (set, stderr) in cases {
        let run = cli(&["table", &p, "--set", set], "");
        assert_eq!((run.code, run.stderr.as_str()), (2, stderr), "{set}");
    }
    let run = cli(
        &["table", &p, "--set", "kind=none", "--set", "kind=anonymous"],
        "",
    );
    assert_eq!(
        run.stderr,
        "error: --set: `kind` is pinned twice; give each name one `--set`\n"
    );
    let fact = "fact f\nscope s {\n role r\n action a\n allow r to a when f\n}\n";
    let t = table(fact);
    let e = rolecall::resolve::Pins::parse(t.policy(), &["f=yes"]).unwrap_err();
    assert_eq!(e.to_string(), "fact `f` is true or false, not `yes`");
    assert_eq!(e.code(), "rolecall::pin::not_bool");
}

#[test]
fn snapshot_and_diff_take_set_on_both_sides() {
    let p = path();
    let plain = cli(&["snapshot", &p], "");
    let pinned = cli(&["snapshot", &p, "--set", "kind=anonymous"], "");
    assert_eq!(plain.code, 0);
    assert!(
        plain
            .stdout
            .contains("session:mute presenter = conditional"),
        "{}",
        plain.stdout
    );
    assert!(
        pinned.stdout.contains("session:mute presenter = deny"),
        "{}",
        pinned.stdout
    );
    assert!(
        plain
            .stdout
            .contains("default session when who_can_present is everyone = presenter\n"),
        "{}",
        plain.stdout
    );
    assert!(plain.stdout.contains("assignable session for anonymous when who_can_present is everyone = attendee, presenter\n"), "{}", plain.stdout);

    let dir = super::support::case_dir("pin-diff");
    let new = dir.join("product.policy");
    std::fs::write(
        &new,
        product().replace(
            "    deny presenter to moderation when kind is anonymous\n",
            "",
        ),
    )
    .unwrap();
    let new = new.display().to_string();
    // For anonymous principals the change shows; for team members there is none.
    let run = cli(&["diff", &p, &new, "--set", "kind=anonymous"], "");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("mute"), "{}", run.stdout);
    let run = cli(&["diff", &p, &new, "--set", "kind=team_member"], "");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // A setting's values and default are part of its meaning.
    let renamed = dir.join("values.policy");
    std::fs::write(
        &renamed,
        product().replace(
            "    default only_me\n",
            "    value panel \"Panelists only\"\n    default only_me\n",
        ),
    )
    .unwrap();
    let run = cli(&["diff", &p, &renamed.display().to_string()], "");
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "setting removed: who_can_present {everyone, organization, only_me; default only_me}\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("setting added: who_can_present {everyone, organization, only_me, panel; default only_me}\n"), "{}", run.stdout);
}

// ---------------------------------------------------------------- JSON, graph, test files

#[test]
fn the_json_table_lists_conditional_defaults_and_assignable_lines_beside_the_plain_ones() {
    let run = cli(&["table", &path(), "--format", "json"], "");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let session = &doc["scopes"][1];
    assert_eq!(session["default"], serde_json::Value::Null);
    assert_eq!(
        session["conditional_defaults"],
        serde_json::json!([
            {"kind": null, "role": "presenter", "when": "who_can_present is everyone"},
            {"kind": "team_member", "role": "presenter", "when": "who_can_present is organization"},
        ])
    );
    assert_eq!(
        session["assignable"]["anonymous"],
        serde_json::json!(["attendee"])
    );
    assert_eq!(
        session["conditional_assignable"][0]["when"],
        "who_can_present is everyone"
    );
    let adds: Vec<bool> = doc["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["adds"].as_bool().unwrap())
        .collect();
    assert_eq!(adds, [true, false]);
    assert_eq!(
        doc["overrides"][1]["subject"],
        serde_json::json!({"everyone": true})
    );
}

#[test]
fn the_graph_draws_adding_and_conditional_edges() {
    let run = cli(&["graph", &path()], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "\"workspace.auditor\" -> \"session.observer\" [style=dashed, label=\"also joins as\"];"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\"session anyone\" -> \"session.organizer\" [style=dashed, label=\"joins as\\nwhen account is single_user\"];"), "{}", run.stdout);
    assert!(run.stdout.contains("\"session anyone\" -> \"session.presenter\" [style=dotted, label=\"default\\nwhen who_can_present is everyone\"];"), "{}", run.stdout);
}

#[test]
fn the_product_test_file_passes_and_reads_settings() {
    let run = cli(
        &[
            "test",
            &root()
                .join("policies/examples/product.policy.test")
                .display()
                .to_string(),
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.ends_with("46 passed, 0 failed\n"),
        "{}",
        run.stdout
    );
    // A value missing after `=` is a test-file error at its place.
    let dir = super::support::case_dir("test-settings");
    std::fs::write(dir.join("product.policy"), product()).unwrap();
    let bad = dir.join("bad.policy.test");
    std::fs::write(
        &bad,
        "policy \"product.policy\"\nallow nobody -> session:present with who_can_present=\n",
    )
    .unwrap();
    let run = cli(&["test", &bad.display().to_string()], "");
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("expected a value of setting `who_can_present` after `=`"),
        "{}",
        run.stderr
    );
}
