//! `rolecall repl`: scripted sessions, the question syntax, completion, and
//! the error paths.

use rolecall::repl::complete::{complete, hint};
use rolecall::repl::query::{Input, Name, Query, QueryTarget, parse};
use rolecall::repl::{Origin, Session, Step};

use super::support::{cli, temp_file};

/// Runs `rolecall repl --echo ARGS` with `script` on standard input.
fn transcript(args: &[&str], script: &str) -> (i32, String) {
    let mut all = vec!["repl", "--echo"];
    all.extend_from_slice(args);
    let run = cli(&all, script);
    assert_eq!(run.stderr, "", "nothing on stderr in a script");
    (run.code, run.stdout)
}

/// Runs lines through a session; returns everything printed and the steps.
fn session_lines(session: &mut Session, lines: &[&str]) -> (String, Vec<Step>) {
    let mut out = String::new();
    let steps = lines
        .iter()
        .map(|l| session.run_line(l, &mut out))
        .collect();
    (out, steps)
}

fn name(scope: Option<&str>, name: &str) -> Name {
    Name {
        scope: scope.map(str::to_string),
        name: name.to_string(),
    }
}

#[test]
fn reference_policies_are_built_in() {
    let session = Session::with_reference_policies();
    let names: Vec<&str> = session.policies().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["goto_webinar", "livestorm"]);
    assert_eq!(session.current_name(), "livestorm");
    // Embedded, so the answers cite the same paths as the files on disk.
    assert_eq!(
        session.policies()[1].origin.path(),
        "policies/livestorm.policy"
    );
}

#[test]
fn scripted_session_on_the_reference_policies() {
    let (code, out) = transcript(
        &[],
        "\
# Livestorm, then GoTo Webinar, without naming the policy
:policy
can session.moderator mute_someone_on_stage organizer?
can a viewer mute_someone_on_stage on self
can workspace.admin + session.viewer start_end_session
why
can attendee chat
can attendee chat with organizer_permission
can attendee and presenter share_screen
can organizer chat in goto_webinar
as registrant can start_end_session
as a registrant, can external_speaker go_on_stage?
:set event_owner=true
can viewer start_end_session
can viewer start_end_session with not event_owner
:unset event_owner
who can present
what can panelist do
:quit
can viewer send_emojis
",
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("send_emojis"), ":quit stops reading");
    insta::assert_snapshot!(out);
}

#[test]
fn script_prints_one_answer_per_question_and_no_prompt() {
    let run = cli(
        &["repl", "policies/examples/webinar.policy"],
        "can attendee chat\n\ncan organizer start\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
DENY session:chat
  denied: no rule allows `chat` for attendee (default deny)
  would change with: organizer_permission
ALLOW session:start
  allowed: organizer matches `allow organizer to start` at policies/examples/webinar.policy:15
"
    );
}

#[test]
fn listings() {
    let (code, out) = transcript(
        &[],
        ":help\n:roles session in goto_webinar\n:actions account\n:facts\n:kinds\n:table account\n:who cancel_plan\n:what session.organizer in goto_webinar\n:set\n",
    );
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn errors_are_reported_and_the_script_goes_on() {
    let (code, out) = transcript(
        &[],
        "\
can modertor mute_someone_on_stage
can moderator
can moderator block_registrants
can moderator send_emojis organizer
can + viewer send_emojis
can viewer send_emojis with
can viewer send_emojis because
can viewer sned_emojis
can viewer send_emojis with owner
as registrant can organizer start_end_session
as visitor can start_end_session
can session.ghost send_emojis
can nowhere.viewer send_emojis
can viewer send_emojis in zoom
:what organizer in goto_webinar
:who
:frob
:lod x
:set event_owner=maybe
:set ghost=true
:unset ghost
why
:load no/such.policy
can viewer send_emojis
",
    );
    assert_eq!(code, 1, "a failed line makes the exit code 1");
    // The last question, after all the errors, is still answered.
    let last_answer: Vec<&str> = out.lines().rev().take(2).collect();
    assert_eq!(
        last_answer[1], "ALLOW session:send_emojis (livestorm)",
        "{out}"
    );
    assert!(
        last_answer[0].starts_with("  allowed: viewer matches `allow viewer to send_emojis, …` at policies/livestorm.policy:"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn why_never_explains_an_older_question() {
    let mut session = Session::with_reference_policies();
    let (out, steps) = session_lines(
        &mut session,
        &["can viewer send_emojis", "can viewer nothing", "why"],
    );
    assert_eq!(steps, [Step::Done, Step::Failed, Step::Failed], "{out}");
    assert!(out.contains("error: no answer to explain"), "{out}");
    let (out, steps) = session_lines(&mut session, &["why can viewer send_emojis"]);
    assert_eq!(steps, [Step::Done]);
    assert!(out.starts_with("action: session:send_emojis\n"), "{out}");
    assert!(out.contains("decision: ALLOW"), "{out}");
}

#[test]
fn load_use_and_the_current_policy() {
    let (code, out) = transcript(
        &[],
        "\
:load policies/examples/webinar.policy
:policy
can attendee chat
:use goto_webinar
can attendee chat
:use nowhere
can attendee chat in livestorm
",
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn several_other_policies_fitting_is_an_error() {
    let a = temp_file(
        "repl_a.policy",
        "scope x {\n role r\n action go\n allow r to go\n}\n",
    );
    let b = temp_file("repl_b.policy", "scope x {\n role r\n action go\n}\n");
    let c = temp_file("repl_c.policy", "scope y {\n role r\n action stay\n}\n");
    let files = [a, b, c].map(|p| p.to_str().unwrap().to_string());
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, out) = transcript(
        &args,
        "can r stay\ncan r go\ncan r go in repl_a\n:roles x\n",
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1], "DENY y:stay (repl_c)");
    assert_eq!(
        lines[4],
        "error: repl_c: unknown action `go` (the policy declares: `stay`); it fits several other loaded policies (repl_a, repl_b): add `in POLICY`"
    );
    assert_eq!(lines[6], "ALLOW x:go (repl_a)");
    assert_eq!(
        lines[9],
        "error: repl_c: unknown scope `x` (did you mean `y`?); it fits several other loaded policies (repl_a, repl_b): add `in POLICY`"
    );
}

#[test]
fn reload_keeps_the_previous_policy_on_error() {
    let path = temp_file(
        "repl_reload.policy",
        "scope s {\n role r\n action go\n allow r to go\n}\n",
    );
    let mut session = Session::new();
    assert_eq!(
        session.load(Origin::File(path.clone())).unwrap(),
        "repl_reload"
    );
    let (out, _) = session_lines(&mut session, &["can r go"]);
    assert!(out.starts_with("ALLOW s:go\n"), "{out}");

    std::fs::write(
        &path,
        "scope s {\n role r\n action go\n allow ghost to go\n}\n",
    )
    .unwrap();
    let (out, steps) = session_lines(&mut session, &[":reload", "can r go"]);
    assert_eq!(steps, [Step::Failed, Step::Done]);
    assert!(out.contains("unknown role `ghost` in scope `s`"), "{out}");
    assert!(
        out.contains("was not reloaded (1 error); kept the previous version of repl_reload"),
        "{out}"
    );
    assert!(
        out.contains("\nALLOW s:go\n"),
        "the previous policy still answers: {out}"
    );

    std::fs::write(&path, "scope s {\n role r\n action go\n deny r to go\n}\n").unwrap();
    let (out, steps) = session_lines(&mut session, &[":reload", "can r go"]);
    assert_eq!(steps, [Step::Done, Step::Done], "{out}");
    assert!(out.starts_with("reloaded repl_reload from "), "{out}");
    assert!(out.contains("\nDENY s:go\n"), "{out}");
}

#[test]
fn a_file_that_does_not_compile_stops_the_repl_before_reading() {
    let bad = temp_file("repl_bad.policy", "scope s {\n role r : ghost\n}\n");
    let run = cli(&["repl", bad.to_str().unwrap()], "can r go\n");
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("unknown role `ghost`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("is invalid (1 error)"),
        "{}",
        run.stderr
    );
}

#[test]
fn repl_is_in_the_help() {
    let run = cli(&["--help"], "");
    assert!(run.stdout.contains("repl"), "{}", run.stdout);
    let run = cli(&["repl", "--help"], "");
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("--echo"), "{}", run.stdout);
}

#[test]
fn parses_questions() {
    let q = |line: &str| match parse(line) {
        Ok(Input::Ask(q)) => q,
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(
        q("can session.moderator mute_someone_on_stage?"),
        Query {
            roles: vec![name(Some("session"), "moderator")],
            action: Some(name(None, "mute_someone_on_stage")),
            ..Query::default()
        }
    );
    assert_eq!(
        q("can moderator mute organizer + viewer with live"),
        Query {
            roles: vec![name(None, "moderator")],
            action: Some(name(None, "mute")),
            target: Some(QueryTarget::Roles(vec![
                name(None, "organizer"),
                name(None, "viewer")
            ])),
            facts: vec![("live".to_string(), true)],
            ..Query::default()
        }
    );
    assert_eq!(
        q("can viewer mute on self?").target,
        Some(QueryTarget::Myself)
    );
    assert_eq!(
        q("can viewer mute on a speaker").target,
        Some(QueryTarget::Roles(vec![name(None, "speaker")]))
    );
    assert_eq!(
        q(
            "as a registrant, can a viewer+workspace:admin session.go with f, not g and without h in p?"
        ),
        Query {
            kind: Some("registrant".to_string()),
            roles: vec![name(None, "viewer"), name(Some("workspace"), "admin")],
            action: Some(name(Some("session"), "go")),
            facts: vec![
                ("f".to_string(), true),
                ("g".to_string(), false),
                ("h".to_string(), false)
            ],
            settings: vec![],
            policy: Some("p".to_string()),
            target: None,
        }
    );
    assert_eq!(
        q("can start_end_session"),
        Query {
            action: Some(name(None, "start_end_session")),
            ..Query::default()
        }
    );
    assert_eq!(
        q("can attendee and presenter share_screen without not f").facts,
        [("f".to_string(), true)]
    );
    assert_eq!(parse("  # a comment"), Ok(Input::Nothing));
    assert_eq!(parse(""), Ok(Input::Nothing));
    assert_eq!(parse("why"), Ok(Input::Why(None)));
    assert_eq!(parse("who can x.y?"), Ok(Input::Who(name(Some("x"), "y"))));
    assert_eq!(parse("what can r do?"), Ok(Input::What(name(None, "r"))));
    assert_eq!(
        parse(":roles  session "),
        Ok(Input::Command {
            name: "roles".to_string(),
            args: vec!["session".to_string()]
        })
    );
}

#[test]
fn syntax_errors_say_what_was_expected() {
    let error = |line: &str| match parse(line) {
        Err(e) => e.message,
        Ok(other) => panic!("{line} parsed: {other:?}"),
    };
    assert!(error("can").starts_with("expected a role or an action after `can`;"));
    assert!(error("can r + s").starts_with("expected the action after `r + s`;"));
    assert!(error("can r b c d").starts_with("unexpected `d` at the end of the question;"));
    assert!(error("can r b on").starts_with("expected the target's role;"));
    assert!(error("can r b c +").starts_with("expected a target role after `+`;"));
    assert!(error("can a b with").starts_with("expected a fact or setting;"));
    assert!(error("can a b with x.f").starts_with("`x.f`: a fact has no scope"));
    assert!(error("can a b in").starts_with("expected a policy name after `in`;"));
    assert!(error("can a.b.c d").starts_with("`a.b.c` is not a name"));
    assert!(error("can a $").starts_with("unexpected `$`;"));
    assert!(error("may a b").starts_with("a line is a question"));
    assert!(error("who a").starts_with("`who` is followed by `can ACTION`"));
    assert_eq!(error(":"), "a command follows the `:` (`:help` lists them)");
}

fn candidates(session: &Session, line: &str) -> (usize, Vec<String>) {
    let c = complete(line, line.len(), session);
    (c.start, c.candidates)
}

#[test]
fn completes_commands_and_their_arguments() {
    let s = Session::with_reference_policies();
    assert_eq!(
        candidates(&s, ":r"),
        (1, vec!["reload".into(), "roles".into()])
    );
    assert_eq!(candidates(&s, "  :ta"), (3, vec!["table".into()]));
    assert_eq!(
        candidates(&s, ":roles "),
        (
            7,
            vec!["workspace".into(), "session".into(), "account".into()]
        )
    );
    assert_eq!(candidates(&s, ":table a"), (7, vec!["account".into()]));
    assert_eq!(
        candidates(&s, ":who cancel"),
        (5, vec!["cancel_plan".into()])
    );
    assert_eq!(
        candidates(&s, ":what session.mod"),
        (6, vec!["session.moderator".into()])
    );
    assert_eq!(
        candidates(&s, ":set event"),
        (
            5,
            vec!["event_owner=true".into(), "event_owner=false".into()]
        )
    );
    assert_eq!(
        candidates(&s, ":unset org"),
        (7, vec!["organizer_permission".into()])
    );
    assert_eq!(
        candidates(&s, ":use "),
        (5, vec!["goto_webinar".into(), "livestorm".into()])
    );
    assert_eq!(
        candidates(&s, ":roles session in g"),
        (18, vec!["goto_webinar".into()])
    );
    assert_eq!(
        candidates(&s, ":load policies/examples/web"),
        (6, vec!["policies/examples/webinar.policy".into()])
    );
    assert_eq!(
        candidates(&s, ":load policies/ex"),
        (6, vec!["policies/examples/".into()])
    );
    assert_eq!(
        candidates(&s, ":explain can viewer send_emo").1,
        ["send_emojis"]
    );
    assert_eq!(candidates(&s, ":help ").1, [""; 0]);
    assert_eq!(candidates(&s, ":nothing ").1, [""; 0]);
}

#[test]
fn completes_questions() {
    let s = Session::with_reference_policies();
    assert_eq!(candidates(&s, "").1, ["can", "as", "who", "what", "why"]);
    assert_eq!(candidates(&s, "w").1, ["who", "what", "why"]);
    // The current policy's names come first.
    let (start, names) = candidates(&s, "can ");
    assert_eq!(start, 4);
    assert_eq!(names[..3], ["workspace.", "session.", "account."]);
    assert_eq!(names[3], "owner");
    assert!(names.contains(&"mute_someone_on_stage".to_string()));
    assert!(names.contains(&"presenter".to_string()));
    assert_eq!(
        candidates(&s, "can session.mod"),
        (
            4,
            vec![
                "session.moderator".into(),
                "session.moderate_chat_and_questions".into()
            ]
        )
    );
    assert_eq!(
        candidates(&s, "can viewer+session:spe"),
        (11, vec!["session:speaker".into()])
    );
    assert_eq!(
        candidates(&s, "can viewer send_emojis w").1,
        ["with", "without"]
    );
    assert_eq!(
        candidates(&s, "can viewer send_emojis with ").1,
        [
            "not",
            "event_owner",
            "organizer_permission",
            "granted_by_organizer",
            "question_assigned",
            "general_access=",
            "account_type="
        ]
    );
    assert_eq!(
        candidates(&s, "can viewer send_emojis with not e").1,
        ["event_owner"]
    );
    assert_eq!(
        candidates(&s, "can viewer send_emojis with event_owner, q").1,
        ["question_assigned"]
    );
    assert_eq!(
        candidates(&s, "can viewer send_emojis with event_owner ").1,
        ["and", ",", "in"]
    );
    assert_eq!(
        candidates(&s, "can viewer send_emojis in l").1,
        ["livestorm"]
    );
    assert_eq!(
        candidates(&s, "as ").1,
        [
            "team_member",
            "registrant",
            "external_guest",
            "licensed_user",
            "participant"
        ]
    );
    assert_eq!(candidates(&s, "as registrant c").1, ["can"]);
    assert_eq!(candidates(&s, "who c").1, ["can"]);
    assert_eq!(candidates(&s, "who can cancel").1, ["cancel_plan"]);
    assert_eq!(candidates(&s, "what can panel").1, ["panelist"]);
    assert_eq!(candidates(&s, "what can panelist ").1, ["do"]);
    assert_eq!(candidates(&s, "why ").1, ["can", "as"]);
    // Completing in the middle of a line reads only what is before the cursor.
    let line = "can viewer send_emojis";
    let c = complete(line, "can viewe".len(), &s);
    assert_eq!((c.start, c.candidates), (4, vec!["viewer".to_string()]));
}

#[test]
fn hints_show_the_only_completion() {
    let s = Session::with_reference_policies();
    assert_eq!(hint("can viewer send_emo", 19, &s), Some("jis".to_string()));
    assert_eq!(hint("can viewer send_em", 18, &s), None, "two actions fit");
    assert_eq!(hint(":tab", 4, &s), Some("le".to_string()));
    assert_eq!(hint(":table", 6, &s), None, "nothing left to add");
    assert_eq!(
        hint("can viewer send_emo", 5, &s),
        None,
        "cursor not at the end"
    );
    assert_eq!(hint("", 0, &s), None);
}

/// A session on the product example (settings, kinds, everyone).
fn product_session() -> Session {
    let mut s = Session::new();
    let path = super::support::root().join("policies/examples/product.policy");
    s.load(Origin::File(path)).unwrap();
    s
}

#[test]
fn questions_give_settings_and_kinds() {
    let q = |line: &str| match parse(line) {
        Ok(Input::Ask(q)) => q,
        other => panic!("{line}: {other:?}"),
    };
    let query = q(
        "as anonymous can presenter mute with who_can_present=everyone, account is single_user, f",
    );
    assert_eq!(query.kind.as_deref(), Some("anonymous"));
    assert_eq!(
        query.settings,
        [
            ("who_can_present".to_string(), "everyone".to_string()),
            ("account".to_string(), "single_user".to_string())
        ]
    );
    assert_eq!(query.facts, [("f".to_string(), true)]);
    let err = parse("can mute without who_can_present=everyone").unwrap_err();
    assert!(err.to_string().contains("a setting takes a value"), "{err}");

    let mut s = product_session();
    let (out, _) = session_lines(
        &mut s,
        &[
            "can present",
            "can present with who_can_present=everyone",
            "as team_member can present with who_can_present is organization",
            "as anonymous can presenter mute with who_can_present=everyone",
            "as anonymous can presenter mute",
            "can present with who_can_present=nobody",
        ],
    );
    let answers: Vec<&str> = out.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(
        answers,
        [
            "DENY session:present",
            "ALLOW session:present",
            "ALLOW session:present",
            "DENY session:mute",
            "error: an anonymous cannot be assigned role `presenter` in scope `session` (assignable: attendee)",
            "error: setting `who_can_present` has no value `nobody` (it takes `everyone`, `organization`, `only_me`)",
        ],
        "{out}"
    );
    assert!(
        out.contains("  would change with: who_can_present=everyone, account=single_user\n"),
        "{out}"
    );
}

#[test]
fn completes_setting_names_and_values() {
    let s = product_session();
    let (_, after_with) = candidates(&s, "can present with ");
    assert!(
        after_with.contains(&"who_can_present=".to_string()),
        "{after_with:?}"
    );
    assert!(
        after_with.contains(&"account=".to_string()),
        "{after_with:?}"
    );
    assert_eq!(
        candidates(&s, "can present with who").1,
        ["who_can_present="]
    );
    let line = "can present with who_can_present=";
    assert_eq!(
        candidates(&s, line),
        (
            line.len(),
            vec![
                "everyone".to_string(),
                "organization".to_string(),
                "only_me".to_string()
            ]
        )
    );
    assert_eq!(
        candidates(&s, "can present with who_can_present is o").1,
        ["organization", "only_me"]
    );
    assert_eq!(
        candidates(&s, "can present with account=single_user, acc").1,
        ["account="]
    );
    assert_eq!(candidates(&s, "as ").1, ["team_member", "anonymous"]);
}

#[test]
fn targeted_actions_are_asked_with_their_target() {
    let (code, out) = transcript(
        &[],
        "\
can moderator mute_someone_on_stage organizer
can viewer mute_someone_on_stage on self
who can mute_someone_on_stage on self
who can block_registrants viewer
",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ALLOW session:mute_someone_on_stage"), "{out}");
    assert!(
        out.contains("moderator on a target holding organizer matches"),
        "{out}"
    );
    assert!(
        out.contains("for viewer on themself as viewer (default deny)"),
        "{out}"
    );
    let self_listing = out
        .split("> who can mute_someone_on_stage on self")
        .nth(1)
        .unwrap();
    assert!(self_listing.contains("  on self\n  no role may\n"), "{out}");
    let viewer_listing = out
        .split("> who can block_registrants viewer")
        .nth(1)
        .unwrap();
    assert!(
        viewer_listing.contains("  on viewer\n  organizer "),
        "{out}"
    );
    assert!(viewer_listing.contains("\n  moderator "), "{out}");
    let (code, out) = transcript(&[], "who can send_emojis viewer\n");
    assert_eq!(code, 1);
    assert!(out.contains("is not done to anyone"), "{out}");
    assert!(!out.contains("who can session:send_emojis"), "{out}");
}
