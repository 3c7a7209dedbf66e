//! Every diagnostic the front end reports, as miette renders it (no color,
//! fixed width), and the text each one underlines.

use std::path::Path;

use rolecall::syntax::MemoryFiles;
use rolecall::{Diagnostic, compile_with};

use super::support::{errors, render_all, underlined};

/// Snapshot of the rendered diagnostics plus the underlined texts, which must not be empty.
fn check(text: &str) -> (String, Vec<String>) {
    let diagnostics = errors(text);
    let under = underlined(&diagnostics);
    for (d, u) in diagnostics.iter().zip(&under) {
        assert!(
            !u.is_empty(),
            "diagnostic `{}` underlines nothing",
            d.message
        );
        assert!(
            d.help.is_some(),
            "diagnostic `{}` has no help line",
            d.message
        );
    }
    (render_all(&diagnostics), under)
}

#[test]
fn duplicate_declarations() {
    let (rendered, under) =
        check("fact f\nfact f\nscope s {\n    role r\n    role r\n    action a\n    action a\n}\n");
    assert_eq!(under, ["f", "r", "a"]);
    insta::assert_snapshot!(rendered);
}

#[test]
fn unknown_role_suggests_the_closest() {
    let (rendered, under) =
        check("scope s {\n    role moderator\n    action mute\n    allow moderatr to mute\n}\n");
    assert_eq!(under, ["moderatr"]);
    assert!(rendered.contains("did you mean `moderator`?"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn unknown_action_lists_the_known_ones() {
    let (rendered, under) = check(
        "scope s {\n    role r\n    action start\n    action stop\n    allow r to launch\n}\n",
    );
    assert_eq!(under, ["launch"]);
    insta::assert_snapshot!(rendered);
}

#[test]
fn unknown_fact_and_kind() {
    let (rendered, under) = check(
        "kind team \"Team\"\nscope s {\n    role r\n    action a\n    allow r to a when granted\n    assignable guest: r\n    default teem: r\n}\n",
    );
    assert_eq!(under, ["granted", "guest", "teem"]);
    insta::assert_snapshot!(rendered);
}

#[test]
fn rule_naming_another_scopes_role() {
    let (rendered, under) = check(
        "scope workspace {\n    role admin\n}\nscope session {\n    role viewer\n    action chat\n    allow admin to chat\n    allow workspace.admin to chat\n}\n",
    );
    assert_eq!(under, ["admin", "workspace.admin"]);
    insta::assert_snapshot!(rendered);
}

#[test]
fn inheritance_across_scopes() {
    let (rendered, under) = check(
        "scope workspace {\n    role admin\n}\nscope session {\n    role organizer : admin\n    role host : workspace.admin\n}\n",
    );
    assert_eq!(under, ["admin", "workspace.admin"]);
    insta::assert_snapshot!(rendered);
}

#[test]
fn inheritance_cycle_shows_the_cycle() {
    let (rendered, under) =
        check("scope s {\n    role a : c\n    role b : a\n    role c : b\n    role d : d\n}\n");
    assert!(
        rendered.contains("inheritance cycle: a → c → b → a"),
        "{rendered}"
    );
    assert!(rendered.contains("inheritance cycle: d → d"), "{rendered}");
    assert_eq!(under, ["c", "d"]);
    insta::assert_snapshot!(rendered);
}

#[test]
fn overrides_with_unknown_names() {
    let (rendered, under) = check(
        "scope workspace {\n    role admin\n}\nscope session {\n    role organizer\n}\nworkspace.admn joins session as organizer\nworkspace.admin joins sesion as organizer\nworkspace.admin joins session as organiser\nowner joins session as organizer\nadmin joins session as organizer\nsession.organizer joins session as organizer\n",
    );
    assert_eq!(
        under,
        [
            "admn",
            "sesion",
            "organiser",
            "owner",
            "admin",
            "session.organizer joins session as organizer"
        ]
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn meaningless_limits_and_advice() {
    let (rendered, _) = check(
        "scope s {\n    role r\n    limit r between 5 and 2\n    advise 1 r per 100 to 50 participants\n    limit r at most 1\n    limit r at most 2\n}\n",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn every_error_in_a_file_is_reported_together() {
    let diagnostics = errors(
        "scope s {\n    role a : ghost\n    action x\n    allow nobody to x\n    deny a to nothing when unknown_fact\n}\nscope s {}\n",
    );
    assert_eq!(
        underlined(&diagnostics),
        ["ghost", "nobody", "nothing", "unknown_fact", "s"]
    );
}

#[test]
fn number_too_large() {
    let (rendered, under) =
        check("scope s {\n    role r\n    limit r at most 99999999999999999999999\n}\n");
    assert_eq!(under, ["99999999999999999999999"]);
    insta::assert_snapshot!(rendered);
}

fn load(files: MemoryFiles, root: &str) -> Vec<Diagnostic> {
    match compile_with(&files, Path::new(root)) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.into_diagnostics(),
    }
}

#[test]
fn duplicate_across_included_files_points_at_both() {
    let files = MemoryFiles::new()
        .with("main.policy", "include \"common.policy\"\nfact shared\n")
        .with("common.policy", "fact shared \"from common\"\n");
    let diagnostics = load(files, "main.policy");
    assert_eq!(underlined(&diagnostics), ["shared"]);
    assert_eq!(
        diagnostics[0].related.len(),
        1,
        "the first declaration is shown from its own file"
    );
    insta::assert_snapshot!(render_all(&diagnostics));
}

#[test]
fn include_cycle_and_missing_include() {
    let files = MemoryFiles::new()
        .with(
            "a.policy",
            "include \"b.policy\"\ninclude \"gone.policy\"\n",
        )
        .with("b.policy", "include \"./a.policy\"\n");
    let diagnostics = load(files, "a.policy");
    assert_eq!(
        underlined(&diagnostics),
        ["\"./a.policy\"", "\"gone.policy\""]
    );
    insta::assert_snapshot!(render_all(&diagnostics));
}

#[test]
fn include_is_relative_and_read_once() {
    let files = MemoryFiles::new()
        .with("dir/main.policy", "include \"facts.policy\"\ninclude \"facts.policy\"\nscope s {\n    role r\n    action a\n    allow r to a when f\n}\n")
        .with("dir/facts.policy", "fact f\n");
    let table = match compile_with(&files, Path::new("dir/main.policy")) {
        Ok(t) => t,
        Err(e) => panic!("{}", render_all(&e)),
    };
    assert_eq!(table.policy().facts.len(), 1);
}

#[test]
fn unreadable_files() {
    let files = MemoryFiles::new().with("bad.policy", vec![b'f', b'a', 0xff, b'\n']);
    let diagnostics = load(files, "bad.policy");
    assert_eq!(
        diagnostics[0].message,
        "bad.policy is not valid UTF-8 (first bad byte at offset 2)"
    );
    let diagnostics = load(MemoryFiles::new(), "missing.policy");
    assert_eq!(
        diagnostics[0].message,
        "cannot read missing.policy: no such file"
    );
}

#[test]
fn byte_order_mark_is_ignored() {
    let files = MemoryFiles::new().with(
        "bom.policy",
        "\u{feff}fact f\r\nscope s {\r\n    role r\r\n}\r\n",
    );
    assert!(compile_with(&files, Path::new("bom.policy")).is_ok());
}

/// A misspelt name is suggested by edit distance; a name that shares a word
/// (four letters or more) with declared ones suggests those, most words shared
/// first, at most five; otherwise the declared names are listed.
#[test]
fn suggestions_by_spelling_then_by_shared_words() {
    use rolecall::resolve::suggest;
    let names = [
        "share_screen_mic_camera",
        "mute_someone_on_stage",
        "remove_others_screen_share_or_media",
        "send_chat_messages",
        "moderate_chat_and_questions",
    ];
    let ask = |name: &str| suggest(name, &names, "action", "the scope");
    assert_eq!(
        ask("send_chat_mesages"),
        "did you mean `send_chat_messages`?"
    );
    assert_eq!(ask("mute"), "did you mean `mute_someone_on_stage`?");
    assert_eq!(
        ask("share_screen"),
        "did you mean one of `share_screen_mic_camera`, `remove_others_screen_share_or_media`?"
    );
    assert_eq!(
        ask("chat_questions"),
        "did you mean one of `moderate_chat_and_questions`, `send_chat_messages`?"
    );
    // Words of three letters or fewer are too common to mean anything.
    assert_eq!(
        ask("on"),
        "the scope declares: `share_screen_mic_camera`, `mute_someone_on_stage`, \
         `remove_others_screen_share_or_media`, `send_chat_messages`, `moderate_chat_and_questions`"
    );
    let many: Vec<String> = (0..7).map(|i| format!("go_on_stage_{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        suggest("stage", &many, "action", "the scope"),
        "did you mean one of `go_on_stage_0`, `go_on_stage_1`, `go_on_stage_2`, `go_on_stage_3`, `go_on_stage_4`, …?"
    );
}
