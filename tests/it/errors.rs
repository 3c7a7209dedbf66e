//! Every error the command line can print, each triggered through the CLI
//! with its text asserted; and censuses of the error enums (`census!`) that
//! fail when a variant appears without a case here.
//!
//! Three kinds of error reach a person: policy diagnostics (printed by
//! every command that reads a policy, through `cli::load`, or by `fmt`), request errors (`eval` answers them as `{"error", "line"}`,
//! `explain` prints them), and command errors (`error: …` lines, each a
//! `CommandError`; clap's usage errors).

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use rolecall::cli::{CommandError, Io, run};
use rolecall::eval::ShapeError;
use rolecall::serve::PublicUrlError;
use rolecall::{EvalError, Request};

use super::support::cli;

// ------------------------------------------------------------------ helpers

/// A fresh directory for one case.
fn case_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("rolecall-errors-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the CLI with raw bytes on standard input.
fn cli_bytes(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut input = stdin;
    run_with(args, &mut input)
}

fn run_with(args: &[&str], stdin: &mut dyn BufRead) -> (i32, String, String) {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = run(
        std::iter::once("rolecall").chain(args.iter().copied()),
        &mut Io {
            stdin,
            stdout: &mut stdout,
            stderr: &mut stderr,
            color_out: false,
            color_err: false,
        },
    );
    (
        code,
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// The text without blanks or miette's wrapping marks: miette wraps long
/// messages at the width, between words or inside a long path.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

// ------------------------------------------------------------------ diagnostics

/// One policy diagnostic: the files (the first is checked), its code, its message.
struct Diag {
    code: &'static str,
    files: Vec<(String, Vec<u8>)>,
    /// `{dir}` stands for the case's directory.
    message: &'static str,
    /// Errors in the summary (the case's own and those it needs to arise).
    errors: usize,
}

fn diag(code: &'static str, text: &str, message: &'static str) -> Diag {
    Diag {
        code,
        files: vec![("p.policy".to_string(), text.as_bytes().to_vec())],
        message,
        errors: 1,
    }
}

fn diagnostic_catalog() -> Vec<Diag> {
    let mut too_many = vec![(
        "p.policy".to_string(),
        // The root counts: 1 + 256 files is one too many.
        (0..256)
            .map(|i| format!("include \"f{i}.policy\"\n"))
            .collect::<String>()
            .into_bytes(),
    )];
    too_many.extend((0..256).map(|i| (format!("f{i}.policy"), b"# empty\n".to_vec())));
    // 64 MiB less 100 bytes, then an include of 200: past the total.
    let mut big = vec![0u8; rolecall::syntax::MAX_TOTAL_BYTES as usize - 100];
    big[0] = 0xff;
    let total_size = vec![
        (
            "p.policy".to_string(),
            b"include \"a.policy\"\ninclude \"b.policy\"\n".to_vec(),
        ),
        ("a.policy".to_string(), big),
        ("b.policy".to_string(), vec![b'#'; 200]),
    ];
    vec![
        // Loading.
        Diag {
            code: "rolecall::io::read",
            files: Vec::new(),
            message: "cannot read {dir}/p.policy: no such file",
            errors: 1,
        },
        Diag {
            code: "rolecall::io::utf8",
            files: vec![("p.policy".to_string(), b"scope s {\xff}".to_vec())],
            message: "{dir}/p.policy is not valid UTF-8 (first bad byte at offset 9)",
            errors: 1,
        },
        Diag {
            code: "rolecall::include::cycle",
            files: vec![
                ("p.policy".to_string(), b"include \"q.policy\"\n".to_vec()),
                ("q.policy".to_string(), b"include \"p.policy\"\n".to_vec()),
            ],
            message: "include cycle: {dir}/p.policy → {dir}/q.policy → {dir}/p.policy",
            errors: 1,
        },
        Diag {
            code: "rolecall::include::missing",
            files: vec![(
                "p.policy".to_string(),
                b"include \"gone.policy\"\n".to_vec(),
            )],
            message: "cannot include {dir}/gone.policy: no such file",
            errors: 1,
        },
        Diag {
            code: "rolecall::include::too_many",
            files: too_many,
            message: "a policy may include at most 256 files",
            errors: 1,
        },
        Diag {
            code: "rolecall::include::outside",
            files: vec![("p.policy".to_string(), b"include \"/\"\n".to_vec())],
            message: "cannot include /: outside `{dir}`",
            errors: 1,
        },
        Diag {
            code: "rolecall::include::total_size",
            files: total_size,
            message: "cannot include {dir}/b.policy: the policy's files would hold more than 64 MiB together",
            // The first include is counted although it is not UTF-8 (which
            // spares the test the parse of 64 MiB).
            errors: 2,
        },
        // Syntax.
        diag(
            "rolecall::syntax::too_deep",
            &format!(
                "fact f\nscope s {{\n role r\n action a\n allow r to a when {}f{}\n}}\n",
                "(".repeat(65),
                ")".repeat(65)
            ),
            "condition nested more than 64 levels deep",
        ),
        diag(
            "rolecall::syntax::number_too_large",
            "scope s {\n role r\n limit r at most 99999999999999999999\n}\n",
            "this number is too large",
        ),
        diag(
            "rolecall::syntax::bad_escape",
            "fact f \"caf\\u00e9\"\n",
            "unsupported escape `\\u` in a string",
        ),
        diag(
            "rolecall::syntax::unterminated_string",
            "policy \"Unfinished\n",
            "unterminated string",
        ),
        diag(
            "rolecall::syntax::unexpected_eof",
            "scope s {\n role r\n}\nfact\n",
            "expected a name, found end of file",
        ),
        diag(
            "rolecall::syntax::unclosed",
            "scope s {\n role r\n",
            "unclosed `{`",
        ),
        diag(
            "rolecall::syntax::dash_in_name",
            "scope s {\n role co-organizer\n}\n",
            "names may not contain `-`",
        ),
        diag(
            "rolecall::syntax::wildcard",
            "scope s {\n role r\n allow r to *\n}\n",
            "there is no wildcard",
        ),
        diag(
            "rolecall::syntax::attribute_in_condition",
            "scope s {\n role r\n action a\n allow r to a when r.sub == \"alice\"\n}\n",
            "conditions read declared facts, not attributes",
        ),
        diag(
            "rolecall::syntax::condition_not_allowed",
            "fact x\nscope s {\n role r\n limit r at most 1 when x\n}\n",
            "a `limit` declaration takes no condition",
        ),
        diag(
            "rolecall::syntax::unexpected",
            "scope s {\n role role\n}\n",
            "expected a name, found the keyword `role`",
        ),
        // Names: duplicates of every kind of declaration.
        diag(
            "rolecall::resolve::duplicate",
            "policy \"A\"\npolicy \"B\"\n",
            "policy name `B` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "fact f\nfact f\n",
            "fact `f` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "kind k\nkind k\n",
            "kind `k` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "scope s {}\nscope s {}\n",
            "scope `s` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "scope s {\n section \"X\" {}\n section \"X\" {}\n}\n",
            "section `X` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "scope s {\n role r\n role r\n}\n",
            "role `r` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "scope s {\n action a\n action a\n}\n",
            "action `a` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "scope s {\n role r\n default r\n default none\n}\n",
            "default `role` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "kind k\nscope s {\n role r\n default k: r\n default k: none\n}\n",
            "default for this kind `k` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "kind k\nscope s {\n role r\n assignable k: r\n assignable k: none\n}\n",
            "assignable list for kind `k` is declared twice",
        ),
        diag(
            "rolecall::resolve::duplicate",
            "scope s {\n role r\n limit r at most 1\n limit r exactly 2\n}\n",
            "limit for role `r` is declared twice",
        ),
        // Names: unknown ones of every kind.
        diag(
            "rolecall::resolve::unknown_scope",
            "scope s {\n role r\n}\nnowhere.r joins s as r\n",
            "unknown scope `nowhere`",
        ),
        diag(
            "rolecall::resolve::unknown_role",
            "scope s {\n role r : ghost\n}\n",
            "unknown role `ghost` in scope `s`",
        ),
        diag(
            "rolecall::resolve::unknown_action",
            "scope s {\n role r\n allow r to nothing\n}\n",
            "unknown action `nothing` in scope `s`",
        ),
        diag(
            "rolecall::resolve::unknown_fact",
            "scope s {\n role r\n action a\n allow r to a when ghost\n}\n",
            "unknown fact `ghost`",
        ),
        diag(
            "rolecall::resolve::unknown_kind",
            "scope s {\n role r\n default ghost: r\n}\n",
            "unknown kind `ghost`",
        ),
        diag(
            "rolecall::resolve::unknown_setting",
            "scope s {\n role r\n action a\n allow r to a when plan is team\n}\n",
            "unknown setting `plan`",
        ),
        diag(
            "rolecall::resolve::unknown_value",
            "setting plan {\n value free\n value team\n default free\n}\nscope s {\n role r\n action a\n allow r to a when plan is gold\n}\n",
            "unknown value `gold` of setting `plan`",
        ),
        // Names: in the wrong scope.
        diag(
            "rolecall::resolve::wrong_scope",
            "scope s {\n role r\n}\nscope t {\n role x : s.r\n}\n",
            "role `s.r` belongs to scope `s`, not to scope `t`",
        ),
        diag(
            "rolecall::resolve::wrong_scope",
            "scope s {\n action a\n}\nscope t {\n role x\n allow x to a\n}\n",
            "action `a` belongs to scope `s`, not to scope `t`",
        ),
        // Structure.
        diag(
            "rolecall::resolve::cycle",
            "scope s {\n role a : b\n role b : a\n}\n",
            "inheritance cycle: a → b → a",
        ),
        diag(
            "rolecall::resolve::invalid",
            "scope s {\n role r\n limit r between 3 and 1\n}\n",
            "empty range: between 3 and 1",
        ),
        diag(
            "rolecall::resolve::invalid",
            "scope s {\n role r\n advise 0 r per 1 to 2 participants\n}\n",
            "this advice describes no staffing",
        ),
        diag(
            "rolecall::resolve::invalid",
            "scope s {\n role r\n role q\n}\ns.r joins s as q\n",
            "an override carries a role across scopes, not within one",
        ),
    ]
}

#[test]
fn every_policy_diagnostic_is_printed_by_check() {
    for (i, case) in diagnostic_catalog().iter().enumerate() {
        let dir = case_dir(&format!("diag-{i}"));
        for (name, bytes) in &case.files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        let policy = dir.join("p.policy");
        let (code, stdout, stderr) = cli_bytes(&["check", policy.to_str().unwrap()], b"");
        let message = case.message.replace("{dir}", dir.to_str().unwrap());
        // Written, the test files are no longer needed (one is 64 MiB).
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(code, 1, "{message}: {stderr}");
        assert_eq!(stdout, "");
        assert!(
            squash(&stderr).contains(&squash(&format!("{}\n\n  × {message}\n", case.code))),
            "expected `{}` with `{message}`, got:\n{stderr}",
            case.code
        );
        let errors = case.errors;
        assert!(
            stderr.ends_with(&format!(
                "error: {} is invalid ({errors} error{})\n",
                policy.display(),
                if errors == 1 { "" } else { "s" }
            )),
            "{stderr}"
        );
    }
}

#[test]
fn every_diagnostic_code_in_the_sources_has_a_case() {
    let mut tested: Vec<&str> = diagnostic_catalog().iter().map(|c| c.code).collect();
    // Needs a thread with a small stack: `hostile_syntax::a_stack_too_small_for_the_parser_is_a_diagnostic_not_a_crash`.
    tested.push("rolecall::syntax::out_of_stack");
    // Needs more than 100 syntax errors: `syntax_errors::syntax_errors_per_file_are_bounded`.
    tested.push("rolecall::syntax::too_many");
    // The codes of loading and of the pipeline, which every command that
    // reads a policy prints, are registered in `diagnostic::code` (a pipeline
    // diagnostic with another code fails debug builds, so every test here
    // would catch it); `lint` and `test` codes belong to those commands and
    // their own test modules.
    for code in rolecall::diagnostic::code::ALL {
        assert!(
            tested.contains(code),
            "{code} is a pipeline code with no case in tests/it/errors.rs"
        );
    }
}

#[test]
fn several_errors_are_counted_in_the_summary() {
    let dir = case_dir("count");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "scope s {\n role r : a, b\n}\n").unwrap();
    let (code, _, stderr) = cli_bytes(&["check", policy.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        stderr.ends_with(&format!(
            "error: {} is invalid (2 errors)\n",
            policy.display()
        )),
        "{stderr}"
    );
}

#[test]
fn every_command_that_loads_a_policy_reports_its_diagnostics() {
    let dir = case_dir("commands");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "scope s {\n role r : ghost\n}\n").unwrap();
    let policy = policy.to_str().unwrap();
    for args in [
        vec!["check", policy],
        vec!["table", policy],
        vec!["eval", policy],
        vec!["explain", policy, "{}"],
    ] {
        let (code, stdout, stderr) = cli_bytes(&args, b"{}\n");
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(
            squash(&stderr).contains(&squash("× unknown role `ghost` in scope `s`"))
                && stderr.ends_with(&format!("error: {policy} is invalid (1 error)\n")),
            "{args:?}: {stderr}"
        );
    }
}

// ------------------------------------------------------------------ requests

const REQUEST_POLICY: &str = "fact open\nsetting layout {\n    value grid\n    value list\n    default grid\n}\nkind member\nkind guest\nscope session {\n    role viewer\n    role host : viewer\n    action chat\n    action mute on participant\n    allow viewer to chat when open\n    allow host to mute on viewer\n    assignable member: viewer, host\n    assignable guest: none\n}\nscope workspace {\n    role admin\n}\n";

/// From one list of variant names: `$name`, an exhaustive match giving the
/// variant's name, and `$list`, every name. A new variant fails to compile
/// here until it is named, and once named fails its census until a case
/// produces it.
macro_rules! census {
    (fn $name:ident, const $list:ident: $ty:ident { $($variant:ident),+ $(,)? }) => {
        fn $name(e: &$ty) -> &'static str {
            match e {
                $($ty::$variant { .. } => stringify!($variant),)+
            }
        }
        const $list: &[&str] = &[$(stringify!($variant)),+];
    };
}

census!(fn variant, const VARIANTS: EvalError {
    Json,
    Shape,
    ActionFormat,
    UnknownScope,
    UnknownRole,
    UnknownAction,
    UnknownFact,
    UnknownKind,
    UnknownSetting,
    UnknownSettingValue,
    SettingNotString,
    Internal,
    NotAssignable,
    TargetRequired,
    TargetNotAllowed,
});

/// A broken invariant of the table: no request can produce it.
const NO_REQUEST_PRODUCES: &[&str] = &["Internal"];

census!(fn shape_variant, const SHAPE_VARIANTS: ShapeError {
    NotAnObject,
    UnknownField,
    RoleNotString,
    NotRoles,
    PrincipalNotObject,
    MissingPrincipal,
    KindNotString,
    ActionNotString,
    MissingAction,
    FactNotBool,
    ContextNotObject,
    TargetNotObject,
    TargetKindNotString,
    TargetKindOfSelf,
    TargetKindWithoutTarget,
    DuplicateKey,
});

/// (request, the error message `eval` and `explain` print for it).
const REQUEST_ERRORS: &[(&str, &str)] = &[
    (
        "not json",
        "invalid JSON: expected ident at line 1 column 2",
    ),
    (
        r#"["a list"]"#,
        "invalid request: a request is a JSON object",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "who": 1}"#,
        "invalid request: unknown field `who`; a request has `principal`, `action`, and optionally `kind`, `context`, `target` and `target_kind`",
    ),
    (
        r#"{"principal": {"session": [1]}, "action": "session:chat"}"#,
        "invalid request: principal.session: each role is a string",
    ),
    (
        r#"{"principal": {"session": 1}, "action": "session:chat"}"#,
        "invalid request: principal.session: a role name or an array of role names",
    ),
    (
        r#"{"principal": "viewer", "action": "session:chat"}"#,
        "invalid request: `principal` is an object mapping each scope to a role or an array of roles",
    ),
    (
        r#"{"action": "session:chat"}"#,
        "invalid request: missing field `principal`",
    ),
    (
        r#"{"principal": {}, "kind": 1, "action": "session:chat"}"#,
        "invalid request: `kind` is a string",
    ),
    (
        r#"{"principal": {}, "action": ["session", "chat"]}"#,
        "invalid request: `action` is a string `scope:action`",
    ),
    (
        r#"{"principal": {}}"#,
        "invalid request: missing field `action`",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"open": 1}}"#,
        "invalid request: context.open: a fact is true or false, a setting a string",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"open": "yes"}}"#,
        "invalid request: context.open: a fact is true or false, a setting a string",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"layout": "tiles"}}"#,
        "setting `layout` has no value `tiles` (it takes `grid`, `list`)",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"layout": true}}"#,
        "context.layout: setting `layout` takes a string, one of `grid`, `list`",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"layot": "grid"}}"#,
        "unknown setting `layot` (did you mean `layout`?)",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"member": true}}"#,
        "unknown fact `member` (`member` is a kind of principal: give it as the request's `kind`, not in `context`)",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": ["open"]}"#,
        "invalid request: `context` is an object mapping facts to true or false",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "action": "workspace:chat"}"#,
        r#"invalid request: duplicate key "action" at line 1 column 52"#,
    ),
    (
        r#"{"principal": {}, "action": "chat"}"#,
        "action `chat` is not of the form `scope:action`",
    ),
    (
        r#"{"principal": {}, "action": "sesion:chat"}"#,
        "unknown scope `sesion` (did you mean `session`?)",
    ),
    (
        r#"{"principal": {"elsewhere": "viewer"}, "action": "session:chat"}"#,
        "unknown scope `elsewhere` (the policy declares: `session`, `workspace`)",
    ),
    (
        r#"{"principal": {"session": "nobody"}, "action": "session:chat"}"#,
        "unknown role `nobody` in scope `session` (scope `session` declares: `viewer`, `host`)",
    ),
    (
        r#"{"principal": {}, "action": "session:chatt"}"#,
        "unknown action `chatt` in scope `session` (did you mean `chat`?)",
    ),
    (
        r#"{"principal": {}, "action": "workspace:chat"}"#,
        "unknown action `chat` in scope `workspace` (scope `workspace` declares no action)",
    ),
    (
        r#"{"principal": {}, "action": "session:chat", "context": {"opn": true}}"#,
        "unknown fact `opn` (did you mean `open`?)",
    ),
    (
        r#"{"principal": {}, "kind": "stranger", "action": "session:chat"}"#,
        "unknown kind `stranger` (the policy declares: `member`, `guest`)",
    ),
    (
        r#"{"principal": {"session": "host"}, "kind": "guest", "action": "session:chat"}"#,
        "a guest cannot be assigned role `host` in scope `session` (assignable: none)",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:mute"}"#,
        "action `session:mute` is done to a participant: the request names `target` (\"self\", or the target's roles per scope like `principal`)",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:chat", "target": "self"}"#,
        "action `session:chat` is not aimed at a participant: a request for it has no `target`",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:mute", "target": ["viewer"]}"#,
        "invalid request: `target` is \"self\" or an object mapping each scope to the target's role or roles",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:mute", "target": {"session": "viewer"}, "target_kind": 1}"#,
        "invalid request: `target_kind` is a string",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:mute", "target": "self", "target_kind": "guest"}"#,
        "invalid request: `target_kind` is for another participant: with `\"target\": \"self\"` the principal's `kind` is the target's",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:chat", "target_kind": "guest"}"#,
        "invalid request: `target_kind` without `target`",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:mute", "target": {"session": "viewr"}}"#,
        "unknown role `viewr` in scope `session` (did you mean `viewer`?)",
    ),
    (
        r#"{"principal": {"session": "host"}, "action": "session:mute", "target": {"session": "host"}, "target_kind": "guest"}"#,
        "a guest cannot be assigned role `host` in scope `session` (assignable: none)",
    ),
];

/// The request tests' policy, written once: the tests run in parallel, and
/// each recreating one shared directory let one test delete another's file.
fn request_policy() -> String {
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY
        .get_or_init(|| {
            let dir = case_dir("requests");
            let policy = dir.join("p.policy");
            std::fs::write(&policy, REQUEST_POLICY).unwrap();
            policy.to_str().unwrap().to_string()
        })
        .clone()
}

#[test]
fn every_request_error_is_answered_by_eval_and_printed_by_explain() {
    let policy = request_policy();
    let table = rolecall::compile_str("p.policy", REQUEST_POLICY).unwrap();
    let mut seen = Vec::new();
    for (request, message) in REQUEST_ERRORS {
        // `eval`: one JSON error line.
        let (code, stdout, stderr) = cli_bytes(&["eval", &policy], request.as_bytes());
        assert_eq!(code, 1, "{request}");
        assert_eq!(stderr, "", "{request}");
        let expected = serde_json::json!({"error": message, "line": 1}).to_string();
        assert_eq!(stdout, format!("{expected}\n"), "{request}");
        // `explain`: one `error:` line.
        let (code, stdout, stderr) = cli_bytes(&["explain", &policy, request], b"");
        assert_eq!(code, 1, "{request}");
        assert_eq!(stdout, "", "{request}");
        assert_eq!(stderr, format!("error: {message}\n"), "{request}");
        // The library's error, for the variant census below.
        let error = Request::from_json(request)
            .and_then(|r| table.evaluate(&r))
            .expect_err(request);
        assert_eq!(error.to_string(), *message);
        seen.push(variant(&error));
    }
    for v in VARIANTS {
        assert!(
            seen.contains(v) || NO_REQUEST_PRODUCES.contains(v),
            "no request case for EvalError::{v}"
        );
    }
}

#[test]
fn a_kind_lists_what_it_may_be_assigned() {
    let policy = request_policy();
    let (code, stdout, _) = cli_bytes(
        &["eval", &policy],
        br#"{"principal": {"session": "viewer"}, "kind": "member", "action": "session:chat"}
{"principal": {"session": "viewer"}, "kind": "guest", "action": "session:chat"}
"#,
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].contains("\"decision\":\"deny\""), "{}", lines[0]);
    assert_eq!(
        lines[1],
        r#"{"error":"a guest cannot be assigned role `viewer` in scope `session` (assignable: none)","line":2}"#
    );
    let t = rolecall::compile_str(
        "p.policy",
        "kind k\nscope s {\n role a\n role b\n role c\n action x\n assignable k: a, b\n}\n",
    )
    .unwrap();
    let error = Request::from_json(r#"{"principal": {"s": "c"}, "kind": "k", "action": "s:x"}"#)
        .and_then(|r| t.evaluate(&r))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "a k cannot be assigned role `c` in scope `s` (assignable: a, b)"
    );
}

/// Every request-shape error is produced by a case of [`REQUEST_ERRORS`],
/// with its own text.
#[test]
fn every_shape_error_has_a_case() {
    let mut seen = Vec::new();
    for (request, message) in REQUEST_ERRORS {
        if let Err(EvalError::Shape(shape)) = Request::from_json(request) {
            assert_eq!(format!("invalid request: {shape}"), *message, "{request}");
            seen.push(shape_variant(&shape));
        }
    }
    for v in SHAPE_VARIANTS {
        assert!(seen.contains(v), "no request case for ShapeError::{v}");
    }
}

#[test]
fn eval_line_errors_of_its_own() {
    let policy = request_policy();
    let (code, stdout, stderr) = cli_bytes(&["eval", &policy], b"\xff\xfe\n\n   \r\n");
    assert_eq!(code, 1);
    assert_eq!(stderr, "");
    assert_eq!(
        stdout,
        concat!(
            r#"{"error":"invalid UTF-8","line":1}"#,
            "\n",
            r#"{"error":"empty line: expected a JSON request","line":2}"#,
            "\n",
            r#"{"error":"empty line: expected a JSON request","line":3}"#,
            "\n",
        )
    );
}

// ------------------------------------------------------------------ command errors

/// A reader that fails after its first line.
struct Failing(&'static [u8]);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("the disk caught fire"))
    }
}

impl BufRead for Failing {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.0.is_empty() {
            Err(std::io::Error::other("the disk caught fire"))
        } else {
            Ok(self.0)
        }
    }
    fn consume(&mut self, n: usize) {
        self.0 = self.0.get(n..).unwrap_or_default();
    }
}

#[test]
fn eval_reports_a_failing_input_after_the_lines_it_read() {
    let policy = request_policy();
    let mut input = Failing(b"{\"principal\": {}, \"action\": \"session:chat\"}\n");
    let (code, stdout, stderr) = run_with(&["eval", &policy], &mut input);
    assert_eq!(code, 1);
    assert_eq!(stdout.lines().count(), 1);
    assert_eq!(stderr, "error: reading requests: the disk caught fire\n");
}

#[test]
fn eval_requests_file_that_cannot_be_read() {
    let policy = request_policy();
    let (code, stdout, stderr) = cli_bytes(&["eval", &policy, "--requests", "no/such.jsonl"], b"");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        "error: cannot read no/such.jsonl: No such file or directory (os error 2)\n"
    );
}

#[test]
fn table_unknown_scope() {
    let policy = request_policy();
    let (code, stdout, stderr) = cli_bytes(&["table", &policy, "--scope", "nowhere"], b"");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!("error: unknown scope `nowhere`; {policy} declares: session, workspace\n")
    );
}

#[test]
fn fmt_errors() {
    let dir = case_dir("fmt");
    // Standard input that is not UTF-8.
    let (code, stdout, stderr) = cli_bytes(&["fmt", "-"], b"scope \xff");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(
        stderr,
        "error: reading standard input: stream did not contain valid UTF-8\n"
    );
    // A file that is not UTF-8.
    let binary = dir.join("binary.policy");
    std::fs::write(&binary, b"scope \xff").unwrap();
    let binary = binary.to_str().unwrap();
    let (code, _, stderr) = cli_bytes(&["fmt", binary], b"");
    assert_eq!(code, 1);
    assert_eq!(stderr, format!("error: {binary} is not valid UTF-8\n"));
    // A file that does not exist.
    let (code, _, stderr) = cli_bytes(&["fmt", "no/such.policy"], b"");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error: cannot read no/such.policy: No such file or directory (os error 2)\n"
    );
    // A syntax error: the diagnostic, exit 2.
    let (code, stdout, stderr) = cli_bytes(&["fmt", "-"], b"scope s {\n");
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        squash(&stderr).starts_with(&squash("rolecall::syntax::unclosed\n\n  × unclosed `{`\n")),
        "{stderr}"
    );
}

/// `fmt` cannot write the file back. Permissions do not stop root, so the
/// binary runs under a file-size limit of 0 (with SIGXFSZ ignored, the write
/// fails with EFBIG instead of killing the process).
#[test]
fn fmt_cannot_write() {
    let dir = case_dir("fmt-write");
    let file = dir.join("messy.policy");
    std::fs::write(&file, "scope   s {\n}\n").unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" fmt \"$1\"")
        .arg(env!("CARGO_BIN_EXE_rolecall"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: cannot write {}: File too large (os error 27)\n",
            file.display()
        )
    );
}

#[test]
fn usage_errors() {
    let policy = request_policy();
    let cases: &[(&[&str], &str)] = &[
        (&[], "Usage: rolecall <COMMAND>"),
        (
            &["frobnicate"],
            "error: unrecognized subcommand 'frobnicate'",
        ),
        (
            &["check"],
            "error: the following required arguments were not provided:\n  <FILE>...",
        ),
        (
            &["eval"],
            "error: the following required arguments were not provided:\n  <FILE>",
        ),
        (
            &["explain", &policy],
            "error: the following required arguments were not provided:\n  <REQUEST-JSON>",
        ),
        (
            &["table", &policy, "--format", "yaml"],
            "error: invalid value 'yaml' for '--format <FORMAT>'\n  [possible values: text, markdown, csv, json, html]",
        ),
        (
            &["table", &policy, "--nope"],
            "error: unexpected argument '--nope' found",
        ),
        (
            &["eval", &policy, "--requests"],
            "error: a value is required for '--requests <F>' but none was supplied",
        ),
        (
            &["explain", &policy, "{}", "extra"],
            "error: unexpected argument 'extra' found",
        ),
    ];
    for (args, message) in cases {
        let (code, stdout, stderr) = cli_bytes(args, b"");
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let run = cli(&["--version"], "");
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!("rolecall {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// The command errors of `graph`, `diff`, `snapshot`, `test`, `lint`,
/// `repl` and `serve`, each with its text and exit status. (Their policy
/// diagnostics are the pipeline's, tested above; test-file and principals
/// diagnostics are tested in `policy_tests` and `authzen`.)
#[test]
fn errors_of_the_other_commands() {
    let dir = case_dir("other-commands");
    let bad = dir.join("bad.policy");
    std::fs::write(&bad, "scope s {\n role r : ghost\n}\n").unwrap();
    let ok = dir.join("ok.policy");
    std::fs::write(&ok, "scope s {\n role r\n}\n").unwrap();
    let (bad, ok) = (bad.to_str().unwrap(), ok.to_str().unwrap());
    let missing = dir.join("no/such/dir/x.snap");
    let missing = missing.to_str().unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    let unreadable = dir.join("not-there");
    let unreadable = unreadable.to_str().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let invalid = format!("error: {bad} is invalid (1 error)\n");
    // `serve`'s token file and TLS files fail the start like the policy.
    let no_tokens = dir.join("no-tokens");
    std::fs::write(&no_tokens, "# none yet\n").unwrap();
    let no_tokens = no_tokens.to_str().unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let not_pem = not_pem.to_str().unwrap();
    let file_invalid = |file: &str| format!("error: {file} is invalid (1 error)\n");
    let enoent = "No such file or directory (os error 2)";

    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (vec!["graph", bad], 1, invalid.clone()),
        (vec!["diff", bad, ok], 2, invalid.clone()),
        (vec!["diff", ok, bad], 2, invalid.clone()),
        (vec!["snapshot", bad], 1, invalid.clone()),
        (vec!["repl", bad], 1, invalid.clone()),
        (vec!["serve", bad, "--listen", "127.0.0.1:0"], 1, invalid),
        (
            vec!["lint", bad],
            2,
            format!("error: {bad} cannot be linted: it is invalid (1 error)\n"),
        ),
        (
            vec!["lint", "--explain", "redundnt-allow"],
            2,
            "error: unknown rule `redundnt-allow`: did you mean `redundant-allow`?\n".into(),
        ),
        (
            vec!["snapshot", ok, "-o", missing],
            1,
            format!("error: cannot write {missing}: {enoent}\n"),
        ),
        (
            vec!["snapshot", ok, "--update", missing],
            1,
            format!("error: cannot write {missing}: {enoent}\n"),
        ),
        (
            vec!["snapshot", ok, "--check", missing],
            1,
            format!(
                "error: cannot read snapshot {missing}: {enoent}; \
                 create it with `rolecall snapshot {ok} --update {missing}`\n"
            ),
        ),
        (
            vec!["test", unreadable],
            2,
            format!("error: cannot read {unreadable}: {enoent}\n"),
        ),
        (
            vec!["test", empty],
            2,
            format!("error: no test files (`*.policy.test`) in {empty}\n"),
        ),
        (
            vec!["serve", ok, "--public-url", "ftp://example.com"],
            2,
            "error: --public-url `ftp://example.com`: the scheme must be `https` or `http`, found `ftp`\n"
                .into(),
        ),
        (
            vec!["serve", ok, "--listen", "127.0.0.1:0", "--token-file", unreadable],
            1,
            file_invalid(unreadable),
        ),
        (
            vec!["serve", ok, "--listen", "127.0.0.1:0", "--token-file", no_tokens],
            1,
            file_invalid(no_tokens),
        ),
        (
            vec!["serve", ok, "--listen", "127.0.0.1:0", "--tls-cert", not_pem, "--tls-key", not_pem],
            1,
            file_invalid(not_pem),
        ),
        (
            vec!["serve", ok, "--tls-cert", not_pem],
            2,
            "For more information, try '--help'.\n".into(),
        ),
        (
            vec!["serve", ok, "--listen", &taken_addr],
            1,
            format!("error: cannot listen on {taken_addr}: Address already in use (os error 98)\n"),
        ),
    ];
    for (args, expected_code, message) in cases {
        let (code, stdout, stderr) = cli_bytes(&args, b"");
        assert_eq!(code, expected_code, "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(stderr.ends_with(&message), "{args:?}: {stderr}");
        let diagnostic = [
            (unreadable, "cannot read the token file"),
            (no_tokens, "holds no token"),
            (not_pem, "holds no certificate"),
        ];
        if let Some((_, what)) = diagnostic
            .iter()
            .find(|(file, _)| args.len() > 4 && args.contains(file))
        {
            assert!(
                squash(&stderr).contains(&squash(what)),
                "{args:?}: {stderr}"
            );
        } else if message.contains("is invalid (1 error)") {
            assert!(
                squash(&stderr).contains(&squash("× unknown role `ghost` in scope `s`")),
                "{args:?}: {stderr}"
            );
        }
    }
    drop(taken);

    // `repl` on a standard input that fails: the error, and exit 1.
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("the pipe broke"))
        }
    }
    let mut failing = std::io::BufReader::new(Failing);
    let (code, stdout, stderr) = run_with(&["repl", ok], &mut failing);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: cannot read standard input: the pipe broke\n"
    );
}

census!(fn command_variant, const COMMAND_VARIANTS: CommandError {
    Invalid,
    NotLintable,
    Read,
    NotUtf8,
    Write,
    Stdout,
    FormatInput,
    Requests,
    ReplInput,
    Request,
    UnknownScope,
    UnknownRule,
    NoTestFiles,
    NoSnapshot,
    TerminalOpen,
    TerminalRead,
    History,
    PublicUrl,
    Start,
    Pin,
});

census!(fn public_url_variant, const PUBLIC_URL_VARIANTS: PublicUrlError {
    Scheme,
    NoHost,
    UserInfo,
    Query,
    Fragment,
    Host,
    Port,
    Segment,
});

#[test]
fn every_public_url_error_is_printed_by_serve() {
    let policy = request_policy();
    let cases = [
        (
            "pdp.example.com",
            PublicUrlError::Scheme("pdp.example.com".into()),
        ),
        (
            "ftp://pdp.example.com",
            PublicUrlError::Scheme("ftp".into()),
        ),
        ("https://", PublicUrlError::NoHost),
        ("https://:8443/x", PublicUrlError::NoHost),
        ("https://admin:pw@pdp.example.com", PublicUrlError::UserInfo),
        ("https://pdp.example.com/?tenant=1", PublicUrlError::Query),
        ("https://pdp.example.com/#top", PublicUrlError::Fragment),
        (
            "https://pdp_example.com",
            PublicUrlError::Host("pdp_example.com".into()),
        ),
        ("https://pdp..com", PublicUrlError::Host("pdp..com".into())),
        ("https://[::g]", PublicUrlError::Host("[::g]".into())),
        (
            "https://pdp.example.com:0",
            PublicUrlError::Port("0".into()),
        ),
        (
            "https://pdp.example.com:65536",
            PublicUrlError::Port("65536".into()),
        ),
        (
            "https://pdp.example.com:",
            PublicUrlError::Port(String::new()),
        ),
        (
            "https://pdp.example.com//tenant1",
            PublicUrlError::Segment(String::new()),
        ),
        (
            "https://pdp.example.com/a/../b",
            PublicUrlError::Segment("..".into()),
        ),
        (
            "https://pdp.example.com/t%201",
            PublicUrlError::Segment("t%201".into()),
        ),
    ];
    let mut seen = Vec::new();
    for (url, error) in &cases {
        assert_eq!(
            rolecall::serve::PublicUrl::parse(url).as_ref(),
            Err(error),
            "{url}"
        );
        let (code, stdout, stderr) = cli_bytes(
            &[
                "serve",
                &policy,
                "--listen",
                "127.0.0.1:0",
                "--public-url",
                url,
            ],
            b"",
        );
        assert_eq!((code, stdout.as_str()), (2, ""), "{url}: {stderr}");
        assert_eq!(stderr, format!("error: --public-url `{url}`: {error}\n"));
        assert!(
            miette::Diagnostic::code(error).is_some_and(|c| c.to_string() == error.code()),
            "{url}"
        );
        seen.push(public_url_variant(error));
    }
    for v in PUBLIC_URL_VARIANTS {
        assert!(seen.contains(v), "no case for PublicUrlError::{v}");
    }
}

/// The errors of the line editor, which needs the process's own terminal:
/// no test has one, so only their text is checked.
const TERMINAL_ONLY: [&str; 3] = ["TerminalOpen", "TerminalRead", "History"];

/// What a case gives the command.
enum Input {
    /// Standard input.
    Bytes(&'static [u8]),
    /// Standard input that fails ("the disk caught fire") after these bytes.
    FailingAfter(&'static [u8]),
    /// Standard output that is full (ENOSPC).
    FullOutput,
}

/// A standard output that is full (ENOSPC on every write).
struct Full;

impl std::io::Write for Full {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(28))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the command line on `input`: the exit code and standard error.
fn run_on(args: &[String], input: &Input) -> (i32, String) {
    let mut stdout: Vec<u8> = Vec::new();
    let mut full = Full;
    let mut stderr = Vec::new();
    let (mut bytes, mut failing);
    let stdin: &mut dyn BufRead = match input {
        Input::Bytes(b) => {
            bytes = *b;
            &mut bytes
        }
        Input::FullOutput => {
            bytes = &b""[..];
            &mut bytes
        }
        Input::FailingAfter(b) => {
            failing = Failing(b);
            &mut failing
        }
    };
    let stdout: &mut dyn std::io::Write = match input {
        Input::FullOutput => &mut full,
        _ => &mut stdout,
    };
    let code = run(
        std::iter::once("rolecall").chain(args.iter().map(String::as_str)),
        &mut Io {
            stdin,
            stdout,
            stderr: &mut stderr,
            color_out: false,
            color_err: false,
        },
    );
    (code, String::from_utf8(stderr).unwrap())
}

/// Every one-line error a command prints is a variant of `CommandError`
/// (`Io::error` takes nothing else); each variant is printed by a command
/// here, with its exit status and the exact line. (The texts are asserted
/// again, with more context, by the tests above.)
#[test]
fn every_command_error_is_printed_by_a_command() {
    use rolecall::serve::StartError;
    use std::io::{Error, ErrorKind};
    let dir = case_dir("command-errors");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let bad = write("bad.policy", b"scope s {\n role r : ghost\n}\n");
    let ok = write("ok.policy", b"scope s {\n role r\n action a\n}\n");
    let binary = write("binary.policy", b"scope \xff");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let missing = dir.join("no/such/dir/x.snap");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    let enoent = || Error::from_raw_os_error(2);
    let arg = |p: &Path| p.to_str().unwrap().to_string();
    let args = |list: &[&str]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let (bad_s, ok_s, missing_s) = (arg(&bad), arg(&ok), arg(&missing));

    let cases: Vec<(Vec<String>, Input, i32, CommandError)> = vec![
        (
            args(&["check", &bad_s]),
            Input::Bytes(b""),
            1,
            CommandError::Invalid {
                path: bad.clone(),
                errors: 1,
            },
        ),
        (
            args(&["lint", &bad_s]),
            Input::Bytes(b""),
            2,
            CommandError::NotLintable {
                path: bad.clone(),
                errors: 1,
            },
        ),
        (
            args(&["eval", &ok_s, "--requests", "no/such.jsonl"]),
            Input::Bytes(b""),
            1,
            CommandError::Read {
                path: "no/such.jsonl".into(),
                source: enoent(),
            },
        ),
        (
            args(&["table", &ok_s, "--set", "x"]),
            Input::Bytes(b""),
            2,
            CommandError::Pin {
                error: rolecall::resolve::PinError::Format("x".to_string()),
            },
        ),
        (
            args(&["fmt", &arg(&binary)]),
            Input::Bytes(b""),
            1,
            CommandError::NotUtf8 {
                path: binary.clone(),
            },
        ),
        (
            args(&["snapshot", &ok_s, "-o", &missing_s]),
            Input::Bytes(b""),
            1,
            CommandError::Write {
                path: missing.clone(),
                source: enoent(),
            },
        ),
        (
            args(&["table", &ok_s]),
            Input::FullOutput,
            rolecall::cli::OUTPUT_FAILED,
            CommandError::Stdout(Error::from_raw_os_error(28)),
        ),
        (
            args(&["fmt", "-"]),
            Input::Bytes(b"scope \xff"),
            1,
            CommandError::FormatInput(Error::new(
                ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            )),
        ),
        (
            args(&["eval", &ok_s]),
            Input::FailingAfter(b"{\"principal\": {}, \"action\": \"s:a\"}\n"),
            1,
            CommandError::Requests(Error::other("the disk caught fire")),
        ),
        (
            args(&["repl", &ok_s]),
            Input::FailingAfter(b""),
            1,
            CommandError::ReplInput(Error::other("the disk caught fire")),
        ),
        (
            args(&["explain", &ok_s, r#"{"principal": {}, "action": "a"}"#]),
            Input::Bytes(b""),
            1,
            CommandError::Request(EvalError::ActionFormat("a".to_string())),
        ),
        (
            args(&["table", &ok_s, "--scope", "nowhere"]),
            Input::Bytes(b""),
            2,
            CommandError::UnknownScope {
                name: "nowhere".to_string(),
                file: ok.clone(),
                known: vec!["s".to_string()],
            },
        ),
        (
            args(&["lint", "--explain", "redundnt-allow"]),
            Input::Bytes(b""),
            2,
            CommandError::UnknownRule {
                id: "redundnt-allow".to_string(),
                help: "did you mean `redundant-allow`?".to_string(),
            },
        ),
        (
            args(&["test", &arg(&empty)]),
            Input::Bytes(b""),
            2,
            CommandError::NoTestFiles {
                paths: vec![arg(&empty)],
            },
        ),
        (
            args(&["snapshot", &ok_s, "--check", &missing_s]),
            Input::Bytes(b""),
            1,
            CommandError::NoSnapshot {
                stored: missing.clone(),
                policy: ok.clone(),
                source: enoent(),
            },
        ),
        (
            args(&["serve", &ok_s, "--public-url", "ftp://example.com"]),
            Input::Bytes(b""),
            2,
            CommandError::PublicUrl {
                url: "ftp://example.com".to_string(),
                source: PublicUrlError::Scheme("ftp".to_string()),
            },
        ),
        (
            args(&["serve", &ok_s, "--listen", &taken_addr.to_string()]),
            Input::Bytes(b""),
            1,
            CommandError::Start(StartError::Bind {
                addr: taken_addr,
                source: Error::from_raw_os_error(98),
            }),
        ),
    ];
    let mut seen = Vec::new();
    for (args, input, expected_code, error) in &cases {
        let (code, stderr) = run_on(args, input);
        assert_eq!(code, *expected_code, "{args:?}: {stderr}");
        assert!(
            stderr.ends_with(&format!("error: {error}\n")),
            "{args:?}: expected `error: {error}`, got:\n{stderr}"
        );
        // The line is the last one, and the only `error:` line.
        assert_eq!(stderr.matches("error: ").count(), 1, "{args:?}: {stderr}");
        seen.push(command_variant(error));
    }
    drop(taken);

    use rustyline::error::ReadlineError;
    let terminal = [
        (
            CommandError::TerminalOpen(ReadlineError::Io(Error::other("no tty"))),
            "cannot open the terminal: no tty",
        ),
        (
            CommandError::TerminalRead(ReadlineError::Io(Error::other("hung up"))),
            "cannot read the terminal: hung up",
        ),
        (
            CommandError::History {
                path: "/h/history".into(),
                source: ReadlineError::Io(Error::other("read-only")),
            },
            "cannot save the history to /h/history: read-only",
        ),
    ];
    for (error, text) in &terminal {
        assert_eq!(error.to_string(), *text);
        assert!(TERMINAL_ONLY.contains(&command_variant(error)));
    }
    for v in COMMAND_VARIANTS {
        assert!(
            seen.contains(v) || TERMINAL_ONLY.contains(v),
            "no command prints CommandError::{v}"
        );
    }
}

#[test]
fn json_nesting_is_bounded_by_serde_json() {
    let policy = request_policy();
    let shallow = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (code, stdout, _) = cli_bytes(
        &["eval", &policy],
        format!("{shallow}\n{deep}\n").as_bytes(),
    );
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        concat!(
            r#"{"error":"invalid request: a request is a JSON object","line":1}"#,
            "\n",
            r#"{"error":"invalid JSON: recursion limit exceeded at line 1 column 128","line":2}"#,
            "\n",
        )
    );
}

#[test]
fn files_past_the_size_limit_are_refused() {
    // A sparse file one byte past 64 MiB stands for any large file.
    let dir = case_dir("size");
    let large = dir.join("large.policy");
    std::fs::File::create(&large)
        .unwrap()
        .set_len(rolecall::syntax::MAX_FILE_BYTES + 1)
        .unwrap();
    let large = large.to_str().unwrap();
    let (code, _, stderr) = cli_bytes(&["check", large], b"");
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(&format!(
            "rolecall::io::read\n\n  × cannot read {large}: larger than 64 MiB\n"
        )),
        "{stderr}"
    );
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "include \"large.policy\"\n").unwrap();
    let (code, _, stderr) = cli_bytes(&["check", policy.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        squash(&stderr).starts_with(&squash(&format!(
            "rolecall::include::missing\n\n  × cannot include {large}: larger than 64 MiB\n"
        ))),
        "{stderr}"
    );
    let (code, _, stderr) = cli_bytes(&["fmt", large], b"");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        format!("error: cannot read {large}: larger than 64 MiB\n")
    );
    // An endless device is not a regular file: refused before a byte is read.
    let (code, _, stderr) = cli_bytes(&["check", "/dev/zero"], b"");
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with(
            "rolecall::io::read\n\n  × cannot read /dev/zero: not a regular file (a character device)\n"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = cli_bytes(&["fmt", "/dev/zero"], b"");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error: cannot read /dev/zero: not a regular file (a character device)\n"
    );
}

/// Standard output that cannot be written: one error, exit 74. (More cases,
/// a closed pipe and a real process on /dev/full: `hostile_files`.)
#[test]
fn standard_output_that_cannot_be_written() {
    let policy = request_policy();
    let mut stderr = Vec::new();
    let code = run(
        ["rolecall", "check", &policy],
        &mut Io {
            stdin: &mut &b""[..],
            stdout: &mut Full,
            stderr: &mut stderr,
            color_out: false,
            color_err: false,
        },
    );
    assert_eq!(code, rolecall::cli::OUTPUT_FAILED);
    assert_eq!(
        String::from_utf8(stderr).unwrap(),
        "error: cannot write standard output: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_request_line_past_the_length_limit_is_answered_and_skipped() {
    let policy = request_policy();
    let mut input = vec![b' '; rolecall::cli::MAX_LINE_BYTES];
    // Exactly the limit, then one byte more, then a request.
    input.push(b'\n');
    input.extend(vec![b'x'; rolecall::cli::MAX_LINE_BYTES + 1]);
    input.extend_from_slice(b"\n{\"principal\": {}, \"action\": \"session:chat\"}");
    let (code, stdout, stderr) = cli_bytes(&["eval", &policy], &input);
    assert_eq!(code, 1);
    assert_eq!(stderr, "");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"error":"empty line: expected a JSON request","line":1}"#,
            r#"{"error":"line longer than 16 MiB","line":2}"#,
            lines[2],
        ]
    );
    assert!(lines[2].contains("\"decision\":\"deny\""), "{}", lines[2]);
}

#[test]
fn at_most_a_hundred_diagnostics_are_printed() {
    let dir = case_dir("many");
    let policy = dir.join("p.policy");
    let parents: Vec<String> = (0..250).map(|i| format!("ghost{i}")).collect();
    std::fs::write(
        &policy,
        format!("scope s {{\n role r : {}\n}}\n", parents.join(", ")),
    )
    .unwrap();
    let (code, _, stderr) = cli_bytes(&["check", policy.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert_eq!(
        stderr.matches("rolecall::resolve::unknown_role").count(),
        rolecall::cli::MAX_SHOWN
    );
    assert!(stderr.contains("× unknown role `ghost99` in scope `s`"));
    assert!(!stderr.contains("`ghost100`"));
    assert!(
        stderr.ends_with(&format!(
            "note: 150 more diagnostics not shown; fix these first\nerror: {} is invalid (250 errors)\n",
            policy.display()
        )),
        "{stderr}"
    );
}
