//! `rolecall repl [FILE...]`: ask a policy questions, interactively or from
//! a script on standard input.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::PathBuf;

use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor};

use super::{CommandError, FAILURE, Io, OK, PolicyArgs, process_streams};
use crate::repl::{Origin, Session, Step, complete};

/// Ask a policy questions: `can moderator mute_someone_on_stage?`
#[derive(Debug, clap::Args)]
#[command(after_help = "\
With no FILE, the shipped reference policies (GoTo Webinar and Livestorm) are loaded from the
binary. On a terminal: tab completion, history (in $XDG_DATA_HOME/rolecall/history or
~/.local/share/rolecall/history), Ctrl-C cancels the line, Ctrl-D quits. Otherwise one line is
read at a time from standard input and answered on standard output, errors as `error: …` lines;
the exit code is 1 when any line was an error. `:help` lists the questions and commands
(docs/repl.md has the whole language).

Examples:
  rolecall repl
  echo 'can session.moderator mute_someone_on_stage?' | rolecall repl policies/livestorm.policy
  rolecall repl --echo < questions.txt")]
pub struct Args {
    /// Policy files (with their includes); the last one is current.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// When reading a script, print each line (`> line`) before its answer.
    #[arg(long)]
    echo: bool,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// Opens the policies, then reads lines until `:quit` or the end of input.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    let mut session = if args.files.is_empty() {
        Session::with_reference_policies()
    } else {
        let mut session = Session::new();
        session.include_roots.clone_from(&args.policy.include_root);
        let mut ok = true;
        for file in &args.files {
            if let Err(diagnostics) = session.load(Origin::File(file.clone())) {
                io.diagnostics(&diagnostics);
                io.error(CommandError::invalid(file, &diagnostics));
                ok = false;
            }
        }
        if !ok {
            return FAILURE;
        }
        session
    };
    session.color = io.color_out;
    // Only the process's own terminal can be edited with rustyline; tests
    // pass their own streams and always take the scripted path.
    if process_streams() && std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        interactive(session, io)
    } else {
        scripted(session, args.echo, io)
    }
}

/// One line in, its answer out; errors are reported and reading goes on.
fn scripted(mut session: Session, echo: bool, io: &mut Io<'_>) -> i32 {
    let mut failed = false;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        match io.stdin.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                io.error(CommandError::ReplInput(e));
                return FAILURE;
            }
        }
        let line = String::from_utf8_lossy(&bytes);
        let line = line.trim_end_matches(['\n', '\r']);
        if echo && !line.trim().is_empty() {
            let _ = writeln!(io.stdout, "> {line}");
        }
        let mut out = String::new();
        let step = session.run_line(line, &mut out);
        if write!(io.stdout, "{out}").is_err() {
            // `run` reports it; reading on would answer no one.
            break;
        }
        match step {
            Step::Done => {}
            Step::Failed => failed = true,
            Step::Quit => break,
        }
    }
    if failed { FAILURE } else { OK }
}

/// The rustyline helper: owns the session so completion and hints see it.
struct Helper {
    session: Session,
}

impl Completer for Helper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let c = complete::complete(line, pos, &self.session);
        Ok((c.start, c.candidates))
    }
}

impl Hinter for Helper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        complete::hint(line, pos, &self.session)
    }
}

impl Highlighter for Helper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.session.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

impl Validator for Helper {}

impl rustyline::Helper for Helper {}

/// Where the history is kept: `$XDG_DATA_HOME/rolecall/history`, else
/// `$HOME/.local/share/rolecall/history`.
fn history_path() -> Option<PathBuf> {
    let non_empty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
    let data = std::env::var_os("XDG_DATA_HOME")
        .and_then(non_empty)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(non_empty)
                .map(|h| h.join(".local").join("share"))
        })?;
    Some(data.join("rolecall").join("history"))
}

fn interactive(session: Session, io: &mut Io<'_>) -> i32 {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<Helper, DefaultHistory> = match Editor::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            io.error(CommandError::TerminalOpen(e));
            return FAILURE;
        }
    };
    let names: Vec<&str> = session.policies().iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(
        io.stdout,
        "rolecall repl: {} loaded. `:help` for help, Tab completes, Ctrl-D quits.",
        names.join(", ")
    );
    let _ = io.stdout.flush();
    editor.set_helper(Some(Helper { session }));
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is the normal first run.
        let _ = editor.load_history(path);
    }
    loop {
        let prompt = match editor.helper() {
            Some(h) => format!("{}> ", h.session.current_name()),
            None => "> ".to_string(),
        };
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let Some(helper) = editor.helper_mut() else {
                    break;
                };
                let mut out = String::new();
                let step = helper.session.run_line(&line, &mut out);
                let _ = write!(io.stdout, "{out}");
                let _ = io.stdout.flush();
                if step == Step::Quit {
                    break;
                }
            }
            // Ctrl-C: forget the line, ask again.
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                io.error(CommandError::TerminalRead(e));
                return FAILURE;
            }
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = editor.save_history(path) {
            io.error(CommandError::History {
                path: path.clone(),
                source: e,
            });
        }
    }
    OK
}
