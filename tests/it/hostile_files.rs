//! Files as an attacker or an accident shapes them (issue 15, items 3–7 and
//! 10; issue 16, point 5): output files replaced whole or not at all,
//! standard output that cannot be written, includes confined to the policy's
//! directory, special files refused without a hang, a total size across
//! includes, directory loops in `rolecall test`, and text compiled without
//! touching the disk. Every hostile file is built here, in a fresh directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rolecall::cli::{Io, OUTPUT_FAILED, run};

use super::support::cli;

// ------------------------------------------------------------------ helpers

/// A fresh directory for one test.
fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("rolecall-hostile-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A valid policy of about `n` roles and actions, badly laid out (so `fmt`
/// rewrites it) and large enough that its outputs pass a few KiB.
fn messy_policy(n: usize) -> String {
    let mut text = String::from("scope   s {\n");
    for i in 0..n {
        text.push_str(&format!("role    r{i}\naction  a{i}\n"));
    }
    for i in 0..n {
        text.push_str(&format!("allow  r{i}   to a{i}\n"));
    }
    text.push_str("}\n");
    text
}

/// Runs `rolecall ARGS` in-process with `stdout` as standard output.
fn run_into(args: &[&str], stdin: &[u8], stdout: &mut dyn Write) -> (i32, String) {
    let mut input = stdin;
    let mut stderr = Vec::new();
    let code = run(
        std::iter::once("rolecall").chain(args.iter().copied()),
        &mut Io {
            stdin: &mut input,
            stdout,
            stderr: &mut stderr,
            color_out: false,
            color_err: false,
        },
    );
    (code, String::from_utf8(stderr).unwrap())
}

/// A writer that takes `room` bytes, then fails every write with `error`.
struct Failing {
    room: usize,
    error: fn() -> std::io::Error,
}

impl Failing {
    fn full(room: usize) -> Self {
        Failing {
            room,
            error: || std::io::Error::from_raw_os_error(28),
        }
    }

    fn closed_pipe() -> Self {
        Failing {
            room: 0,
            error: || std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        }
    }
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err((self.error)());
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.room == 0 {
            return Err((self.error)());
        }
        Ok(())
    }
}

/// Runs the built binary under `sh -c SCRIPT` with `$0` the binary and
/// `$1…` the arguments.
fn sh(script: &str, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_rolecall"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `work` on a thread and fails if it has not finished in a minute: a
/// hang (a FIFO opened for reading) must fail the test, not block the suite.
/// (A liveness guard, not a timing assertion: the work takes milliseconds.)
fn without_hanging<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(work());
    });
    receive
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the command hung")
}

/// The text without blanks or miette's wrapping marks.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The names in `dir`, sorted: a failed write must leave no temporary file.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

// ------------------------------------------------------------------ item 3: output files

/// On a full disk `fmt` used to truncate the file, then write part of it. Here
/// the binary runs under a file-size limit of 2 blocks (1 KiB, SIGXFSZ
/// ignored so the write fails with EFBIG): the formatted text does not fit,
/// and the old file must come out byte for byte, with no temporary file left.
#[test]
fn fmt_on_a_full_disk_leaves_the_file_whole() {
    let dir = fresh("fmt-full");
    let file = dir.join("p.policy");
    let old = messy_policy(60);
    std::fs::write(&file, &old).unwrap();
    let formatted = rolecall::fmt::format_source(&rolecall::source::SourceFile::new(
        "p.policy".to_string(),
        old.as_str(),
    ))
    .unwrap();
    // `ulimit -f` counts 512-byte blocks in dash, 1024-byte ones in bash.
    assert!(
        formatted.len() > 2048 && formatted != old,
        "the test needs a rewrite past 2 KiB"
    );
    let out = sh(
        "trap '' XFSZ; ulimit -f 2; exec \"$0\" fmt \"$1\"",
        &[s(&file)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: cannot write {}: File too large (os error 27)\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
    assert_eq!(names_in(&dir), ["p.policy"]);
    // Without the limit the same command rewrites it.
    let out = sh("exec \"$0\" fmt \"$1\"", &[s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), formatted);
    assert_eq!(names_in(&dir), ["p.policy"]);
}

/// `snapshot --update` and `-o` on a full disk keep the old snapshot.
#[test]
fn snapshot_on_a_full_disk_keeps_the_old_snapshot() {
    let dir = fresh("snapshot-full");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, messy_policy(60)).unwrap();
    let snap = dir.join("p.snapshot");
    let old = "stale = snapshot\n";
    for flag in ["--update", "-o"] {
        std::fs::write(&snap, old).unwrap();
        let out = sh(
            "trap '' XFSZ; ulimit -f 2; exec \"$0\" snapshot \"$1\" \"$2\" \"$3\"",
            &[s(&policy), flag, s(&snap)],
        );
        assert_eq!(out.status.code(), Some(1), "{flag}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "error: cannot write {}: File too large (os error 27)\n",
                snap.display()
            ),
            "{flag}"
        );
        assert_eq!(std::fs::read_to_string(&snap).unwrap(), old, "{flag}");
        assert_eq!(names_in(&dir), ["p.policy", "p.snapshot"], "{flag}");
    }
    let run = cli(&["snapshot", s(&policy), "--update", s(&snap)], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read_to_string(&snap).unwrap().len() > 1024);
}

/// `fmt` writes through a symbolic link (the link stays a link), keeps the
/// target's permissions, and breaks a hard link (the other name keeps the
/// old text), as docs/cli.md says.
#[cfg(unix)]
#[test]
fn fmt_writes_through_links_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh("fmt-links");
    std::fs::create_dir_all(dir.join("real")).unwrap();
    let target = dir.join("real/p.policy");
    let old = "scope   s {\n role r\n}\n";
    std::fs::write(&target, old).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("link.policy");
    std::os::unix::fs::symlink("real/p.policy", &link).unwrap();
    let hard = dir.join("hard.policy");
    std::fs::hard_link(&target, &hard).unwrap();

    let run = cli(&["fmt", s(&link)], "");
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("real/p.policy")
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "scope s {\n    role r\n}\n"
    );
    assert_eq!(mode(&target), 0o640);
    assert_eq!(std::fs::read_to_string(&hard).unwrap(), old);
    assert_eq!(names_in(&dir.join("real")), ["p.policy"]);
    // A new snapshot file is created as any new file (the umask's mode).
    let policy = dir.join("ok.policy");
    std::fs::write(&policy, "scope s {\n}\n").unwrap();
    let snap = dir.join("new.snapshot");
    let run = cli(&["snapshot", s(&policy), "-o", s(&snap)], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode(&snap) & 0o600, 0o600);
}

/// A file the user may not write is not replaced behind their back by
/// the rename (root may write anything, so the test needs another user).
#[cfg(unix)]
#[test]
fn fmt_does_not_replace_a_file_it_may_not_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh("fmt-readonly");
    let file = dir.join("p.policy");
    let old = "scope   s {\n}\n";
    std::fs::write(&file, old).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(
        dir.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    // As root, drop to `nobody` with setpriv when it is there; as anyone
    // else, the permissions apply already.
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let out = if root {
        match Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_rolecall"))
            .args(["fmt", s(&file)])
            .output()
        {
            Ok(out) => out,
            Err(_) => return, // no setpriv: nothing to test as root
        }
    } else {
        Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args(["fmt", s(&file)])
            .output()
            .unwrap()
    };
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: cannot write {}: Permission denied (os error 13)\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
    assert_eq!(mode(&file), 0o444);
}

/// A target that is not a regular file is refused, not replaced.
#[test]
fn fmt_and_snapshot_refuse_a_directory() {
    let dir = fresh("write-dir");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "scope s {\n}\n").unwrap();
    let target = dir.join("taken");
    std::fs::create_dir_all(&target).unwrap();
    let run = cli(&["snapshot", s(&policy), "-o", s(&target)], "");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot write {}: not a regular file (a directory)\n",
            target.display()
        )
    );
    let run = cli(&["fmt", s(&target)], "");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot read {}: not a regular file (a directory)\n",
            target.display()
        )
    );
    assert!(target.is_dir());
}

// ------------------------------------------------------------------ item 4: standard output

/// Every command, its standard output full: one error line, exit 74. Twice:
/// no room at all, and room for 20 bytes (the error comes mid-output).
#[test]
fn every_command_reports_a_standard_output_that_cannot_be_written() {
    let dir = fresh("stdout-full");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, messy_policy(40)).unwrap();
    let other = dir.join("q.policy");
    std::fs::write(&other, "scope s {\n role r0\n action a0\n}\n").unwrap();
    let test_file = dir.join("p.policy.test");
    std::fs::write(
        &test_file,
        "policy \"p.policy\"\nallow s.r0 -> s:a0\nallow s.r1 -> s:a1\n",
    )
    .unwrap();
    let p = s(&policy);
    let request = r#"{"principal": {"s": "r0"}, "action": "s:a0"}"#;
    let requests = format!("{request}\n").repeat(50);
    let messy = messy_policy(40);
    let questions = "can s.r0 a0?\n".repeat(20);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check", p], ""),
        (vec!["table", p], ""),
        (vec!["table", p, "--format", "csv"], ""),
        (vec!["table", p, "--format", "json"], ""),
        (vec!["graph", p], ""),
        (vec!["lint", p], ""),
        (vec!["lint", "--list-rules"], ""),
        (vec!["snapshot", p], ""),
        (vec!["explain", p, request], ""),
        (vec!["test", s(&test_file), "--verbose"], ""),
        (vec!["diff", s(&other), p], ""),
        (vec!["fmt", "-"], &messy),
        (vec!["eval", p], &requests),
        (vec!["repl", p], &questions),
        (vec!["--help"], ""),
    ];
    for room in [0, 20] {
        for (args, stdin) in &cases {
            let mut stdout = Failing::full(room);
            let (code, stderr) = run_into(args, stdin.as_bytes(), &mut stdout);
            assert_eq!(code, OUTPUT_FAILED, "{args:?} (room {room}): {stderr}");
            assert!(
                stderr.ends_with(
                    "error: cannot write standard output: No space left on device (os error 28)\n"
                ),
                "{args:?} (room {room}): {stderr}"
            );
            assert_eq!(stderr.matches("cannot write").count(), 1, "{args:?}");
        }
    }
}

/// `eval` and the REPL stop at the first failed write instead of reading
/// every line to answer no one: most of their input is left unread.
#[test]
fn loops_stop_at_the_first_failed_write() {
    let dir = fresh("stdout-stop");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "scope s {\n role r\n action a\n}\n").unwrap();
    let requests = "{\"principal\": {\"s\": \"r\"}, \"action\": \"s:a\"}\n".repeat(1000);
    let questions = "can s.r a?\n".repeat(1000);
    for (command, stdin) in [("eval", &requests), ("repl", &questions)] {
        let mut input = stdin.as_bytes();
        let mut stderr = Vec::new();
        let code = run(
            ["rolecall", command, s(&policy)],
            &mut Io {
                stdin: &mut input,
                stdout: &mut Failing::full(0),
                stderr: &mut stderr,
                color_out: false,
                color_err: false,
            },
        );
        assert_eq!(code, OUTPUT_FAILED, "{command}");
        assert!(input.len() > stdin.len() / 2, "{command} read on");
    }
}

/// A closed pipe (`| head -1`) is no error: nothing on standard error, and the
/// status the command had.
#[test]
fn a_closed_pipe_stays_quiet() {
    let dir = fresh("stdout-pipe");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, messy_policy(40)).unwrap();
    let request = "{\"principal\": {\"s\": \"r0\"}, \"action\": \"s:a0\"}\n".repeat(20);
    for (args, stdin) in [
        (vec!["table", s(&policy), "--format", "csv"], ""),
        (vec!["check", s(&policy)], ""),
        (vec!["eval", s(&policy)], request.as_str()),
    ] {
        let mut stdout = Failing::closed_pipe();
        let (code, stderr) = run_into(&args, stdin.as_bytes(), &mut stdout);
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
    }
}

/// The real binary with standard output on /dev/full (the disk is full for
/// every write): one line on standard error, exit 74. Before, `table` exited
/// 0 in silence and `eval` 1 in silence.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_on_dev_full() {
    let dir = fresh("dev-full");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, messy_policy(100)).unwrap();
    let request = "{\"principal\": {\"s\": \"r0\"}, \"action\": \"s:a0\"}\n";
    for (args, stdin) in [
        (vec!["table", s(&policy), "--format", "csv"], ""),
        (vec!["check", s(&policy)], ""),
        (vec!["fmt", "-"], "scope   s {\n}\n"),
        (vec!["eval", s(&policy)], request),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(full)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(OUTPUT_FAILED), "{args:?}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: cannot write standard output: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

/// The real binary into `head -c 1`: its CSV (hundreds of KiB) overflows
/// the pipe, so the write after `head` exits meets a closed pipe. Quiet, 0.
#[test]
fn the_binary_into_head() {
    let dir = fresh("head");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, messy_policy(300)).unwrap();
    // `sh` keeps only the last command's status: a group writes rolecall's.
    let out = sh(
        "{ \"$0\" table \"$1\" --format csv; echo $? >\"$2\"; } | head -c 1 >/dev/null",
        &[s(&policy), s(&dir.join("status"))],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        std::fs::read_to_string(dir.join("status")).unwrap().trim(),
        "0"
    );
}

// ------------------------------------------------------------------ item 5: includes

/// A policy directory, a secret file beside it (outside), and a marker that
/// must never appear in any output.
struct Outside {
    base: PathBuf,
    policy_dir: PathBuf,
    secret: PathBuf,
}

const MARKER: &str = "TOP-SECRET-9f2c";

fn outside(name: &str) -> Outside {
    let base = fresh(name);
    let policy_dir = base.join("policy");
    std::fs::create_dir_all(&policy_dir).unwrap();
    std::fs::create_dir_all(base.join("secrets")).unwrap();
    let secret = base.join("secrets/key.policy");
    // Neither UTF-8 nor a policy: once, its first line was shown in the error.
    let mut bytes = format!("{MARKER}=hunter2\n").into_bytes();
    bytes.push(0xff);
    std::fs::write(&secret, bytes).unwrap();
    Outside {
        base,
        policy_dir,
        secret,
    }
}

/// Relative with `..`, absolute, and through a symbolic link inside the
/// directory: each refused before it is read, the marker never printed.
#[cfg(unix)]
#[test]
fn includes_may_not_leave_the_policy_directory() {
    let o = outside("include-escape");
    std::os::unix::fs::symlink(&o.secret, o.policy_dir.join("innocent.policy")).unwrap();
    std::fs::create_dir_all(o.policy_dir.join("sub")).unwrap();
    let root = std::fs::canonicalize(&o.policy_dir).unwrap();
    let secret = std::fs::canonicalize(&o.secret).unwrap();
    let cases = [
        ("../secrets/key.policy", secret.display().to_string()),
        ("sub/../../secrets/key.policy", secret.display().to_string()),
        (s(&secret), secret.display().to_string()),
        (
            "innocent.policy",
            format!(
                "{} (it is {})",
                o.policy_dir.join("innocent.policy").display(),
                secret.display()
            ),
        ),
    ];
    for (include, shown) in cases {
        let policy = o.policy_dir.join("p.policy");
        std::fs::write(&policy, format!("include \"{include}\"\n")).unwrap();
        for args in [
            vec!["check", s(&policy)],
            vec!["table", s(&policy)],
            vec!["lint", s(&policy)],
            vec!["serve", s(&policy), "--listen", "127.0.0.1:0"],
        ] {
            let run = cli(&args, "");
            assert_ne!(run.code, 0, "{include} {args:?}");
            assert!(!run.stderr.contains(MARKER), "{include}: {}", run.stderr);
            assert!(
                run.stderr.contains("rolecall::include::outside")
                    && squash(&run.stderr).contains("notread"),
                "{include} {args:?}: {}",
                run.stderr
            );
        }
        let squashed = squash(&cli(&["check", s(&policy)], "").stderr);
        let expected = squash(&format!(
            "cannot include {shown}: outside `{}`",
            root.display()
        ));
        assert!(squashed.contains(&expected), "{include}: {squashed}");
        // The server's log line is the rendered load error.
        let error = rolecall::serve::load(&policy, None, &[]).unwrap_err();
        assert!(!error.render().contains(MARKER));
        assert_eq!(error.diagnostics[0].code, "rolecall::include::outside");
    }
}

/// Confinement does not get in the way of ordinary layouts: a policy
/// reached through a symbolically linked directory includes its neighbours,
/// and a file included under two names (one a link) is read once.
#[cfg(unix)]
#[test]
fn links_inside_the_directory_still_work() {
    let base = fresh("include-links");
    let real = base.join("real");
    std::fs::create_dir_all(real.join("common")).unwrap();
    std::fs::write(real.join("common/facts.policy"), "fact open\n").unwrap();
    std::os::unix::fs::symlink("common/facts.policy", real.join("alias.policy")).unwrap();
    std::fs::write(
        real.join("p.policy"),
        "include \"common/facts.policy\"\ninclude \"alias.policy\"\nscope s {\n role r\n action a\n allow r to a when open\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("real", base.join("linked")).unwrap();
    for root in [real.join("p.policy"), base.join("linked/p.policy")] {
        let run = cli(&["check", s(&root)], "");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("ok (1 scopes, 1 roles"),
            "{}",
            run.stdout
        );
    }
}

/// `--include-root DIR` lets includes read under DIR, on every command that
/// loads a policy; a file so allowed gets its ordinary diagnostics.
#[test]
fn include_root_allows_a_directory() {
    let o = outside("include-root");
    let shared = o.base.join("secrets/shared.policy");
    std::fs::write(&shared, "fact shared\n").unwrap();
    let policy = o.policy_dir.join("p.policy");
    std::fs::write(
        &policy,
        "include \"../secrets/shared.policy\"\nscope s {\n role r\n action a\n allow r to a when shared\n}\n",
    )
    .unwrap();
    let allowed = o.base.join("secrets");
    let p = s(&policy);
    let test_file = o.policy_dir.join("p.policy.test");
    std::fs::write(
        &test_file,
        "policy \"p.policy\"\nallow s.r -> s:a with shared\n",
    )
    .unwrap();
    let snap = o.base.join("p.snapshot");
    for args in [
        vec!["check", p],
        vec!["table", p],
        vec!["graph", p],
        vec!["lint", p],
        vec!["snapshot", p, "-o", s(&snap)],
        vec![
            "explain",
            p,
            r#"{"principal": {"s": "r"}, "action": "s:a"}"#,
        ],
        vec!["diff", p, p],
        vec!["test", s(&test_file)],
        vec!["repl", p],
    ] {
        let refused = cli(&args, "");
        assert_ne!(refused.code, 0, "{args:?}");
        assert!(
            refused.stderr.contains("rolecall::include::outside"),
            "{args:?}: {}",
            refused.stderr
        );
        let mut with_root = args.clone();
        with_root.extend(["--include-root", s(&allowed)]);
        let run = cli(&with_root, "");
        assert_eq!(run.code, 0, "{with_root:?}: {}", run.stderr);
    }
    // Allowed, the secret file is an ordinary invalid include.
    std::fs::write(&policy, "include \"../secrets/key.policy\"\n").unwrap();
    let run = cli(&["check", p, "--include-root", s(&allowed)], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("rolecall::io::utf8"), "{}", run.stderr);
    // A root that does not exist is an error of its own.
    let run = cli(
        &["check", p, "--include-root", s(&o.base.join("nowhere"))],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("for includes: no such file"),
        "{}",
        run.stderr
    );
}

/// `include "/proc/self/environ"` printed the environment: the real binary
/// with a secret in its environment must not print it.
#[cfg(target_os = "linux")]
#[test]
fn the_environment_is_not_printed() {
    let dir = fresh("environ");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "include \"/proc/self/environ\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rolecall"))
        .args(["check", s(&policy)])
        .env("ROLECALL_TEST_SECRET", MARKER)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr.contains(MARKER), "{stderr}");
    assert!(stderr.contains("rolecall::include::outside"), "{stderr}");
}

// ------------------------------------------------------------------ item 6: special files

/// A FIFO as the policy, an include, a `fmt` target, a test file or the
/// principals file: a diagnostic at once, never a hang (no writer ever comes).
#[cfg(unix)]
#[test]
fn special_files_are_refused_without_waiting() {
    let dir = fresh("fifo");
    let fifo = dir.join("pipe.policy");
    mkfifo(&fifo);
    let test_fifo = dir.join("pipe.policy.test");
    mkfifo(&test_fifo);
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "include \"pipe.policy\"\nscope s {\n role r\n}\n").unwrap();
    let ok = dir.join("ok.policy");
    std::fs::write(&ok, "scope s {\n role r\n}\n").unwrap();
    let (fifo_s, policy_s, ok_s, test_s) = (
        s(&fifo).to_string(),
        s(&policy).to_string(),
        s(&ok).to_string(),
        s(&test_fifo).to_string(),
    );
    let not_regular = "not a regular file (a named pipe)";
    let runs = without_hanging(move || {
        [
            cli(&["check", &fifo_s], ""),
            cli(&["check", &policy_s], ""),
            cli(&["fmt", &fifo_s], ""),
            cli(&["test", &test_s], ""),
            cli(
                &[
                    "serve",
                    &ok_s,
                    "--principals",
                    &fifo_s,
                    "--listen",
                    "127.0.0.1:0",
                ],
                "",
            ),
        ]
    });
    let [root, include, fmt, test, serve] = runs;
    assert_eq!(root.code, 1);
    assert!(
        squash(&root.stderr).contains(&squash(&format!(
            "cannot read {}: {not_regular}",
            fifo.display()
        ))),
        "{}",
        root.stderr
    );
    assert_eq!(include.code, 1);
    assert!(
        include.stderr.contains("rolecall::include::missing")
            && squash(&include.stderr).contains(&squash(not_regular)),
        "{}",
        include.stderr
    );
    assert_eq!(fmt.code, 1);
    assert_eq!(
        fmt.stderr,
        format!("error: cannot read {}: {not_regular}\n", fifo.display())
    );
    assert_eq!(test.code, 1);
    assert!(
        test.stderr.contains("rolecall::test::read")
            && squash(&test.stderr).contains(&squash(not_regular)),
        "{}",
        test.stderr
    );
    assert_eq!(serve.code, 1);
    assert!(
        squash(&serve.stderr).contains(&squash(not_regular)),
        "{}",
        serve.stderr
    );
}

/// `serve`'s reloader met a FIFO and blocked for good: later edits and
/// SIGHUP were ignored. Now the reload fails (counted), the previous
/// version stays, and the next good version is loaded.
#[cfg(unix)]
#[test]
fn a_fifo_does_not_block_the_reloader() {
    let dir = fresh("serve-fifo");
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "include \"part.policy\"\nscope s {\n role r\n}\n").unwrap();
    let part = dir.join("part.policy");
    std::fs::write(&part, "fact open\n").unwrap();
    let mut config = rolecall::serve::Config::new(&policy);
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.poll = None;
    config.workers = Some(1);
    let server = rolecall::serve::Server::start(config).unwrap();
    std::fs::remove_file(&part).unwrap();
    mkfifo(&part);
    server.reload();
    // The wait is for the reload thread; a blocked reloader never counts one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.failed_reloads() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the reloader hung on a FIFO"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(server.generation(), 1);
    std::fs::remove_file(&part).unwrap();
    std::fs::write(&part, "fact open\nfact closed\n").unwrap();
    server.reload();
    while server.generation() == 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the next version never loaded"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A directory where a file is expected, and a character device.
#[test]
fn directories_and_devices_are_not_policies() {
    let dir = fresh("not-files");
    let run = cli(&["check", s(&dir)], "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("not a regular file (a directory)"),
        "{}",
        run.stderr
    );
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "include \"/dev/null\"\n").unwrap();
    let run = cli(&["check", s(&policy), "--include-root", "/dev"], "");
    assert_eq!(run.code, 1);
    assert!(
        squash(&run.stderr).contains(&squash("not a regular file (a character device)")),
        "{}",
        run.stderr
    );
}

// ------------------------------------------------------------------ item 7: total size

/// Two includes of 40 MiB each pass the 64 MiB total: the second is refused at
/// its `include`. (The first is not UTF-8, so nothing is parsed: the files
/// are sparse and the test reads 80 MiB of zeros at most.)
#[test]
fn the_total_size_of_a_policy_is_bounded() {
    let dir = fresh("total");
    for name in ["a.policy", "b.policy"] {
        let mut file = std::fs::File::create(dir.join(name)).unwrap();
        file.write_all(b"\xff").unwrap();
        file.set_len(40 << 20).unwrap();
    }
    let policy = dir.join("p.policy");
    std::fs::write(&policy, "include \"a.policy\"\ninclude \"b.policy\"\n").unwrap();
    let run = cli(&["check", s(&policy)], "");
    assert_eq!(run.code, 1);
    let flat = squash(&run.stderr);
    assert!(
        run.stderr.contains("rolecall::include::total_size")
            && flat.contains(&squash(
                "the policy's files would hold more than 64 MiB together"
            ))
            && run.stderr.contains("2 │ include \"b.policy\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.len() < 4096, "bounded output");
    assert_eq!(rolecall::syntax::MAX_TOTAL_BYTES, 64 << 20);
}

// ------------------------------------------------------------------ item 10: test and symlink loops

/// `self -> .` made `rolecall test` run each test 41 times; `up -> ..` made
/// it hang. Each real directory is searched once.
#[cfg(unix)]
#[test]
fn test_visits_each_real_directory_once() {
    let base = fresh("test-loops");
    let tests = base.join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::write(
        tests.join("p.policy"),
        "scope s {\n role r\n action a\n allow r to a\n}\n",
    )
    .unwrap();
    std::fs::write(
        tests.join("p.policy.test"),
        "policy \"p.policy\"\nallow s.r -> s:a\ndeny s.r -> s:b\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(".", tests.join("self")).unwrap();
    std::os::unix::fs::symlink("..", tests.join("up")).unwrap();
    let path = s(&tests).to_string();
    let run = without_hanging(move || cli(&["test", &path], ""));
    assert_eq!(
        run.stdout.lines().last(),
        Some("1 passed, 1 failed"),
        "{}",
        run.stdout
    );
    // From the parent, the same: `tests/up` leads back to it.
    let path = s(&base).to_string();
    let run = without_hanging(move || cli(&["test", &path], ""));
    assert_eq!(
        run.stdout.lines().last(),
        Some("1 passed, 1 failed"),
        "{}",
        run.stdout
    );
}

// ------------------------------------------------------------------ issue 16.5: text touches no file

/// `compile_str` and `lint_str` read nothing: `include "/etc/hostname"` (and
/// a file the test writes, with a marker) is a diagnostic that says why,
/// and shows nothing of the file.
#[test]
fn compiling_text_touches_no_file() {
    let dir = fresh("text");
    let secret = dir.join("secret.policy");
    std::fs::write(&secret, format!("fact {}\n", MARKER.replace('-', "_"))).unwrap();
    for target in ["/etc/hostname".to_string(), s(&secret).to_string()] {
        let text = format!("include \"{target}\"\n");
        let errors = rolecall::compile_str("tenant.policy", &text).unwrap_err();
        let lint = rolecall::lint::lint_str("tenant.policy", &text).unwrap_err();
        for errors in [errors, lint] {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].code, "rolecall::include::missing");
            assert!(
                errors[0]
                    .message
                    .contains("includes from text need a file system"),
                "{}",
                errors[0].message
            );
            let shown = super::support::render_all(&errors);
            assert!(!shown.contains(&MARKER.replace('-', "_")), "{shown}");
            if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
                let host = host.trim();
                if host.len() > 3 && !text.contains(host) {
                    assert!(!shown.contains(host), "{shown}");
                }
            }
        }
    }
    // Given a file system, text includes through it, confined to its directory.
    let files = rolecall::syntax::MemoryFiles::new()
        .with("dir/facts.policy", "fact open\n")
        .with("secret.policy", "fact secret\n");
    let table = rolecall::compile_str_with(&files, "dir/main.policy", "include \"facts.policy\"\n")
        .unwrap();
    assert_eq!(table.policy().facts.len(), 1);
    let errors =
        rolecall::compile_str_with(&files, "dir/main.policy", "include \"../secret.policy\"\n")
            .unwrap_err();
    assert_eq!(errors[0].code, "rolecall::include::outside");
    // The disk, when asked for.
    let table = rolecall::compile_str_with(
        &rolecall::syntax::RealFiles,
        s(&dir.join("main.policy")),
        "include \"secret.policy\"\n",
    )
    .unwrap();
    assert_eq!(table.policy().facts.len(), 1);
}
